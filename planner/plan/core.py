"""Fibre build plan orchestrator: costs, targets, routing, reach, architecture, roll-out."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import geopandas as gpd

from planner.city import City
from planner.config.plan import PlanConfig
from planner.fiber import FiberCoverage
from planner.plan.architecture import design_architecture
from planner.plan.costs import price_streets
from planner.plan.forest import root_forest
from planner.plan.inputs import plan_inputs
from planner.plan.reach import reach_targets
from planner.plan.result import FiberPlan
from planner.plan.rollout import budget_mode, roll_out
from planner.plan.roots import place_roots
from planner.plan.routing import route_forest, routing_certificate, steiner_graph, terminal_nodes
from planner.plan.summary import plan_summary
from planner.plan.tables import plan_tables
from planner.plan.targets import select_targets

__all__ = ["plan_fiber"]


class _Stopwatch:
    """Seconds spent per named step (``with clock("step"): ...``)."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        yield
        self.timings[name] = time.perf_counter() - t0


def plan_fiber(
    city: City,
    coverage: FiberCoverage,
    config: PlanConfig | None = None,
    ducts: gpd.GeoDataFrame | None = None,
) -> FiberPlan:
    """Plan the cheapest fibre build that passes every premise not passed today.

    Parameters
    ----------
    city : planner.city.City
        The loaded city (projected): street ``highway`` tags, node coordinates, CRS.
    coverage : planner.fiber.FiberCoverage
        Result of :func:`planner.fiber.analyze_fiber` for the same city; its street network,
        fibre sources and drop limit are used (never rebuilt).
    config : PlanConfig, optional
        Unit costs, architecture, budgets (defaults and sources in
        ``planner.config.plan.SOURCES``).
    ducts : GeoDataFrame, optional
        Existing duct lines (with a CRS), added to those of ``config.duct_files``; street
        length within ``coverage.config.route_buffer_m`` of one gets ``duct_reuse_discount``.

    Returns
    -------
    FiberPlan

    Raises
    ------
    AnalysisError
        No target premise can be connected to existing fibre, or ``coverage`` holds no
        street network.
    ConfigError
        ``budget`` is smaller than the cheapest cluster of the plan.
    InputFileError
        A duct file is bad or ``ducts`` has no CRS.

    Notes
    -----
    The steps and their modules are described in docs/plan.md.
    """
    cfg, fcfg, clock = config or PlanConfig(), coverage.config, _Stopwatch()
    inputs = plan_inputs(coverage)
    with clock("costs"):
        prices = price_streets(city, inputs.network, cfg, fcfg, ducts)
        per_m = prices.costs["per_m"]
    with clock("targets"):
        targets = select_targets(
            coverage.premises, inputs, fcfg.drop_limit_m, cfg.new_sites_for_unreachable
        )
        graph = steiner_graph(inputs.network.edges, prices.costs["cost"])
        roots = place_roots(graph, city.graph, inputs, per_m, targets)
    with clock("steiner"):
        routing = route_forest(graph, terminal_nodes(targets), roots.nodes, cfg)
    bound = None
    if cfg.optimality_bound and routing.terminals:
        with clock("bound"):
            bound = routing_certificate(routing, cfg.bound_time_limit_s)
    with clock("stubs"):
        forest = root_forest(routing.tree, roots.nodes, graph.number_of_nodes())
        reach = reach_targets(cfg, forest, inputs, targets, per_m, fcfg.drop_limit_m)
    with clock("architecture"):
        arch = design_architecture(cfg, forest, targets, reach.owner)
    with clock("rollout"):
        rollout = roll_out(cfg, forest, targets, reach, arch)
    with clock("outputs"):
        tables = plan_tables(
            cfg, city.crs, coverage, inputs, prices.costs, targets, reach, arch, rollout
        )
        budget = budget_mode(cfg, forest, rollout, tables.capex, float(targets.premises.sum()))
        summary = plan_summary(
            cfg, coverage, inputs, prices, targets, roots, arch, rollout, tables, budget, bound
        )
    return tables.fiber_plan(summary, cfg, city.crs, clock.timings, routing)
