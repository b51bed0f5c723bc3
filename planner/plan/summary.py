"""The plan summary (``summary.json["fiber_plan"]``), built in one place."""

from __future__ import annotations

from planner.config.plan import PlanConfig
from planner.fiber import FiberCoverage
from planner.plan.architecture import Architecture
from planner.plan.costs import StreetPrices
from planner.plan.inputs import PlanInputs
from planner.plan.result import BudgetResult, PlanSummary, RoutingCertificate
from planner.plan.rollout import Rollout, cost_curve
from planner.plan.roots import CENTRAL_OFFICE_METHOD, Roots
from planner.plan.tables import PlanTables
from planner.plan.targets import Targets

__all__ = ["plan_summary"]


def plan_summary(
    cfg: PlanConfig,
    coverage: FiberCoverage,
    inputs: PlanInputs,
    prices: StreetPrices,
    targets: Targets,
    roots: Roots,
    arch: Architecture,
    rollout: Rollout,
    tables: PlanTables,
    budget: BudgetResult | None,
    certificate: RoutingCertificate | None,
) -> PlanSummary:
    """Coverage before and after, capex, equipment, phases, budget, cost curve, certificate."""
    premises, routes = coverage.premises, tables.routes
    prem = premises["premises"]
    total = float(prem.sum())
    passed0 = float(prem[premises["fiber_class"].to_numpy() == "passed"].sum())
    targeted = float(targets.premises.sum())
    capex = tables.capex
    summary = PlanSummary(
        route_length_m=round(float(routes["length_m"].sum()), 1),
        route_cost=round(float(routes["cost"].sum()), 2),
        premises_targeted=int(targeted),
        buildings_targeted=len(targets.rows),
        premises_not_plannable=int(prem.to_numpy()[targets.reason != ""].sum()),
        premises_passed_before=int(passed0),
        premises_passed_after=int(passed0 + targeted),
        coverage_pct_before=round(100 * passed0 / total, 2) if total else 0.0,
        coverage_pct_after=round(100 * (passed0 + targeted) / total, 2) if total else 0.0,
        capex_total=round(capex, 2),
        capex_per_premise=round(capex / targeted, 2) if targeted else None,
        currency=cfg.currency,
        splitters=arch.n_splitters,
        split_ratio=cfg.split_ratio,
        two_level=cfg.two_level,
        first_level_splitters=arch.n_first_level,
        cabinets=arch.n_cabinets,
        olt_ports=arch.olt_ports,
        greenfield=inputs.greenfield,
        central_offices=[[round(x, 1), round(y, 1)] for x, y in roots.central_offices],
        central_office_method=CENTRAL_OFFICE_METHOD if roots.central_offices else None,
        phases=tables.phases.to_dict(orient="records"),
        budget=budget,
        cost_curve=cost_curve(rollout, passed0, total),
        assumptions=cfg.report(),
        drop_limit_m=coverage.config.drop_limit_m,
        duct_length_m=prices.duct_length_m,
        duct_reused_m=round(float(routes["duct_m"].sum()), 1),
        street_edges_without_highway=int(prices.costs["highway_missing"].sum()),
        street_edges_without_highway_costed_as="unclassified",
    )
    if certificate is not None:
        summary.update(certificate)
    return summary
