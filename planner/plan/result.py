"""What :func:`planner.plan.plan_fiber` returns: FiberPlan, its typed summary and column lists."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple, NotRequired, TypedDict

import geopandas as gpd
import networkx as nx
import pandas as pd
from pyproj import CRS

from planner.config.plan import PlanConfig

__all__ = [
    "BOM_COLUMNS",
    "CABINET_COLUMNS",
    "CLUSTER_COLUMNS",
    "DROP_COLUMNS",
    "PHASE_COLUMNS",
    "ROUTE_COLUMNS",
    "SPLITTER_COLUMNS",
    "UNREACHABLE_COLUMNS",
    "BudgetResult",
    "CostCurvePoint",
    "FiberPlan",
    "PlanSummary",
    "RoutingCertificate",
    "SteinerInstance",
]

#: Columns of ``FiberPlan.routes`` (one row per planned street edge piece).
ROUTE_COLUMNS = [
    "edge",
    "u",
    "v",
    "key",
    "length_m",
    "highway",
    "cost_per_m",
    "crossings",
    "duct_m",
    "cost",
    "kind",
    "phase",
    "owner",
    "cluster",
]
#: Columns of ``FiberPlan.cabinets``: ``name`` is ``"cabinet <id>"``, ``premises`` the premises
#: served by its splitters, ``cost`` the cabinet's installed unit cost (``PlanConfig.cabinet``).
CABINET_COLUMNS = [
    "cabinet",
    "name",
    "premises",
    "splitters",
    "first_level_splitters",
    "cost",
    "phase",
]
#: Columns of ``FiberPlan.splitters``.
SPLITTER_COLUMNS = ["splitter", "ratio", "premises", "cabinet", "phase"]
#: Columns of ``FiberPlan.drops`` (one row per premise building).
DROP_COLUMNS = ["osm_id", "premises", "drop_m", "cost", "splitter", "cabinet", "phase", "cluster"]
#: Columns of ``FiberPlan.unreachable``.
UNREACHABLE_COLUMNS = ["osm_id", "premises", "fiber_class", "reason"]
#: Columns of ``FiberPlan.clusters`` (ranked by cost per premise passed).
CLUSTER_COLUMNS = ["cluster", "premises", "cost", "cost_per_premise", "first_phase", "rank"]
#: Columns of ``FiberPlan.bom`` (``bom.csv``).
BOM_COLUMNS = [
    "category",
    "item",
    "unit",
    "quantity",
    "unit_cost",
    "total",
    "labour",
    "material",
    "currency",
]
#: Columns of ``FiberPlan.phases``.
PHASE_COLUMNS = [
    "phase",
    "route_length_m",
    "premises_passed",
    "route_cost",
    "crossings",
    "drop_cost",
    "equipment_cost",
    "capex",
    "cumulative_capex",
    "cumulative_premises",
]


class CostCurvePoint(TypedDict):
    """One point of the budget curve: what a budget equal to ``cost`` passes."""

    cost: float
    premises: int
    coverage_pct: float


class BudgetResult(TypedDict):
    """Budget mode: the most premises passed with ``budget``, against the full plan."""

    budget: float
    spent: float
    premises_passed: int
    premises_full_plan: int
    share_of_full_plan_pct: float
    full_plan_capex: float
    method: str


class RoutingCertificate(TypedDict):
    """The Steiner forest's cost, a proven lower bound on the optimum and the gap."""

    routing_steiner_cost: float
    routing_lower_bound: float
    routing_gap_pct: float | None
    routing_bound_is_optimum: bool


class PlanSummary(TypedDict):
    """``summary.json["fiber_plan"]``; built by :func:`planner.plan.summary.plan_summary`."""

    route_length_m: float
    route_cost: float
    premises_targeted: int
    buildings_targeted: int
    premises_not_plannable: int
    premises_passed_before: int
    premises_passed_after: int
    coverage_pct_before: float
    coverage_pct_after: float
    capex_total: float
    capex_per_premise: float | None
    currency: str
    splitters: int
    split_ratio: int
    two_level: bool
    first_level_splitters: int
    cabinets: int
    olt_ports: int
    greenfield: bool
    central_offices: list[list[float]]
    central_office_method: str | None
    phases: list[dict]
    budget: BudgetResult | None
    cost_curve: list[CostCurvePoint]
    assumptions: dict
    drop_limit_m: float
    duct_length_m: float
    duct_reused_m: float
    street_edges_without_highway: int
    street_edges_without_highway_costed_as: str
    routing_steiner_cost: NotRequired[float]
    routing_lower_bound: NotRequired[float]
    routing_gap_pct: NotRequired[float | None]
    routing_bound_is_optimum: NotRequired[bool]


class SteinerInstance(NamedTuple):
    """The routing instance and its solution: ``G, terms, roots, T = plan.steiner_instance``.

    ``graph`` has street nodes ``0..n-1`` (CSR indices of the street network) and one virtual
    node per existing fibre interval; edges carry ``cost``, ``eid`` (street edge) and the
    covered range ``a..b`` along it.
    """

    graph: nx.Graph
    terminals: list[int]
    roots: list[int]
    tree: nx.Graph


@dataclass
class FiberPlan:
    """Result of :func:`planner.plan.plan_fiber` (projected GeoDataFrames, city CRS)."""

    routes: gpd.GeoDataFrame
    splitters: gpd.GeoDataFrame
    cabinets: gpd.GeoDataFrame
    drops: gpd.GeoDataFrame
    bom: pd.DataFrame
    phases: pd.DataFrame
    clusters: pd.DataFrame
    unreachable: gpd.GeoDataFrame
    summary: PlanSummary
    config: PlanConfig
    crs: CRS | None = None
    timings: dict[str, float] = field(default_factory=dict)
    steiner_instance: SteinerInstance | None = field(default=None, repr=False)

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """Return the GeoDataFrame layers by name, in ``fiber_plan.gpkg`` order."""
        return {
            "routes": self.routes,
            "cabinets": self.cabinets,
            "splitters": self.splitters,
            "drops": self.drops,
            "unreachable": self.unreachable,
        }

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"FiberPlan({s['premises_targeted']} premises, {s['route_length_m']:.0f} m, "
            f"{s['capex_total']:.0f} {s['currency']})"
        )
