"""Fibre build plan: exact oracle, forest, cost = sum of parts, re-run coverage, bad input."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from fiber_helpers import city, random_assets
from pydantic import ValidationError

from planner.config import FiberConfig, PlanConfig
from planner.errors import ConfigError
from planner.fiber import analyze_fiber
from planner.plan import plan_fiber, write_plan_outputs
from planner.steiner import exact_steiner_tree, steiner_tree, tree_cost, validate_tree


@pytest.fixture(scope="module", params=["greenfield", "assets"])
def planned(request):
    c = city("helsinki")
    assets = None if request.param == "greenfield" else random_assets(c, 4, seed=3)
    cov = analyze_fiber(c, FiberConfig(), assets=assets)
    plan = plan_fiber(c, cov, PlanConfig(phase_budget=1.5e6, budget=2.5e6))
    return c, cov, assets, plan


def test_plan_is_forest_connecting_every_target(planned):
    _, cov, _, plan = planned
    G, terms, roots, T = plan.steiner_instance
    validate_tree(T, terms, roots)
    assert nx.is_forest(T)
    targets = cov.premises["fiber_class"].isin(["near", "unserved", "unreachable"])
    listed = set(plan.drops["osm_id"]) | set(plan.unreachable["osm_id"])
    assert listed == set(cov.premises.loc[targets, "osm_id"])
    assert (plan.unreachable["reason"] != "").all()


def test_capex_is_sum_of_parts(planned):
    _, _, _, plan = planned
    s = plan.summary
    assert plan.bom["total"].sum() == pytest.approx(s["capex_total"], abs=0.01)
    assert plan.phases["capex"].sum() == pytest.approx(s["capex_total"], abs=0.05)
    route = plan.routes["cost"].sum()
    drops = plan.drops["cost"].sum()
    cfg = plan.config
    equip = (
        (s["splitters"] + s["first_level_splitters"]) * cfg.splitter
        + s["cabinets"] * cfg.cabinet
        + s["olt_ports"] * cfg.olt_port
    )
    assert route + drops + equip == pytest.approx(s["capex_total"], abs=0.05)
    assert (plan.bom["labour"] + plan.bom["material"]).sum() == pytest.approx(s["capex_total"])
    # splitters never exceed their ports; drops within the limit
    ratio = cfg.split_ratio
    multi = plan.drops.groupby("splitter")["premises"].agg(["sum", "count"])
    assert ((multi["sum"] <= ratio) | (multi["count"] == 1)).all()
    assert (plan.drops["drop_m"] <= s["drop_limit_m"] + 1e-6).all()


def test_rerun_coverage_passes_every_claimed_premise(planned):
    c, _, assets, plan = planned
    lines = plan.routes[["geometry"]]
    extra = lines if assets is None else pd.concat([assets[["geometry"]], lines])
    cov2 = analyze_fiber(c, FiberConfig(), assets=extra)
    cls = cov2.premises.set_index("osm_id")["fiber_class"]
    claimed = plan.drops["osm_id"].to_numpy()
    assert (cls.loc[claimed] == "passed").all()
    assert cov2.kpis["premises_passed"] >= plan.summary["premises_passed_after"]


def test_budget_mode_and_phases(planned):
    _, _, _, plan = planned
    b = plan.summary["budget"]
    assert b["spent"] <= b["budget"]
    assert 0 < b["premises_passed"] <= b["premises_full_plan"]
    assert plan.phases["premises_passed"].sum() == plan.summary["premises_targeted"]
    assert list(plan.phases["phase"]) == list(range(1, len(plan.phases) + 1))
    assert len(plan.phases) >= 2


def test_outputs(planned, tmp_path):
    import geopandas as gpd
    import pyogrio

    _, _, _, plan = planned
    paths = write_plan_outputs(plan, tmp_path)
    layers = {name for name, _ in pyogrio.list_layers(paths[0])}
    assert {"routes", "cabinets", "drops"} <= layers
    r = gpd.read_file(paths[0], layer="routes")
    assert r.crs.to_epsg() == 4326 and {"length_m", "highway", "cost", "phase"} <= set(r)
    bom = pd.read_csv(paths[1])
    assert bom["total"].sum() == pytest.approx(plan.summary["capex_total"], abs=0.01)


@pytest.mark.parametrize("seed", range(4))
def test_exact_optimum_oracle(seed):
    c = city("helsinki")
    cov = analyze_fiber(c, FiberConfig())
    G = plan_fiber(c, cov, PlanConfig()).steiner_instance[0]
    rng = np.random.default_rng(seed)
    center = int(rng.choice(list(G.nodes)))
    H = G.subgraph(nx.ego_graph(G, center, radius=14)).copy()
    nodes = np.array(list(H.nodes))
    terms = rng.choice(nodes, size=min(25, len(nodes)), replace=False).tolist()
    roots = terms[:1]
    ours = tree_cost(steiner_tree(H, terms[1:], roots=roots))
    opt = exact_steiner_tree(H, terms[1:], roots=roots)
    assert opt.graph["optimal"]
    assert ours <= 1.05 * tree_cost(opt) + 1e-6


def test_routing_certificate(planned):
    """summary.json carries a valid lower bound on the routing optimum and the gap to it."""
    _, _, _, plan = planned
    s = plan.summary
    cost = tree_cost(plan.steiner_instance[3])
    lb = s["routing_lower_bound"]
    assert s["routing_steiner_cost"] == pytest.approx(cost, abs=0.01)
    assert 0.9 * cost <= lb <= cost + 0.01  # valid, and tight enough to mean something
    assert s["routing_gap_pct"] == pytest.approx(100 * (cost / lb - 1), abs=1e-3)
    assert s["routing_bound_is_optimum"]  # Helsinki is small: every block solved


def test_routing_certificate_can_be_switched_off():
    c = city("helsinki")
    cov = analyze_fiber(c, FiberConfig())
    plan = plan_fiber(c, cov, PlanConfig(optimality_bound=False))
    assert "routing_lower_bound" not in plan.summary and "bound" not in plan.timings
    with pytest.raises(ConfigError, match="bound_time_limit_s"):
        PlanConfig.parse({"bound_time_limit_s": 0})


def test_bad_config():
    with pytest.raises(ValidationError):
        PlanConfig(split_ratio=48)
    with pytest.raises(ConfigError, match="split_ratio"):
        PlanConfig.parse({"split_ratio": 48})
    with pytest.raises(ConfigError, match="crossing"):
        PlanConfig.parse({"crossing": -1})
    with pytest.raises(ConfigError, match="trench_per_m"):
        PlanConfig.parse({"trench_per_m": {"residential": 0}})
    with pytest.raises(ConfigError, match="extra|permitted"):
        PlanConfig.parse({"nope": 1})
    assert PlanConfig.parse({"split_ratio": 64}).split_ratio == 64


def test_budget_below_cheapest_cluster():
    c = city("helsinki")
    cov = analyze_fiber(c, FiberConfig())
    with pytest.raises(ConfigError, match="budget"):
        plan_fiber(c, cov, PlanConfig(budget=1.0))


def test_two_level_counts():
    c = city("helsinki")
    cov = analyze_fiber(c, FiberConfig())
    p = plan_fiber(c, cov, PlanConfig(two_level=True, first_level_ratio=4, split_ratio=32))
    s = p.summary
    assert s["olt_ports"] == s["first_level_splitters"] > 0
    assert s["splitters"] <= 4 * s["first_level_splitters"]
    assert p.bom["total"].sum() == pytest.approx(s["capex_total"], abs=0.01)


def test_cost_curve_is_monotone_and_ends_at_the_full_plan(planned):
    *_, plan = planned
    curve = plan.summary["cost_curve"]
    assert len(curve) > 5
    costs = [p["cost"] for p in curve]
    prem = [p["premises"] for p in curve]
    assert costs == sorted(costs) and prem == sorted(prem)
    assert prem[-1] == plan.summary["premises_passed_after"]
    assert curve[-1]["coverage_pct"] == pytest.approx(plan.summary["coverage_pct_after"], abs=0.01)
