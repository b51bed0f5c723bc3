"""Fibre build plan: coverage hand-off, column lists, cabinets, typed results, step helpers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from fiber_helpers import city, random_assets

from planner.config import FiberConfig, PlanConfig
from planner.errors import AnalysisError
from planner.fiber import analyze_fiber
from planner.plan import (
    BOM_COLUMNS,
    CABINET_COLUMNS,
    CLUSTER_COLUMNS,
    DROP_COLUMNS,
    PHASE_COLUMNS,
    ROUTE_COLUMNS,
    SPLITTER_COLUMNS,
    UNREACHABLE_COLUMNS,
    PlanSummary,
    SteinerInstance,
    plan_fiber,
)
from planner.plan.rollout import horn_order


@pytest.fixture(scope="module")
def with_assets():
    c = city("helsinki")
    cov = analyze_fiber(c, FiberConfig(), assets=random_assets(c, 4, seed=3))
    return c, cov


@pytest.fixture(scope="module")
def plan(with_assets):
    c, cov = with_assets
    return plan_fiber(c, cov, PlanConfig(two_level=True, first_level_ratio=4, split_ratio=32))


def test_plan_uses_the_coverage_network_and_sources(with_assets, monkeypatch):
    c, cov = with_assets

    def boom(*a, **k):
        raise AssertionError("the plan rebuilt what the coverage holds")

    import planner.fiber.placement as placement_mod
    from planner.fiber import FiberNetwork

    monkeypatch.setattr(placement_mod, "asset_sources", boom)
    monkeypatch.setattr(FiberNetwork, "from_graph", classmethod(boom))
    p = plan_fiber(c, cov, PlanConfig(optimality_bound=False))
    assert p.summary["premises_targeted"] > 0
    G = p.steiner_instance.graph
    n = cov.network.edges.n_nodes
    assert G.number_of_nodes() == n + len(cov.sources)  # one virtual root per fibre interval


def test_coverage_without_network_is_refused(with_assets):
    c, cov = with_assets
    bare = dataclasses.replace(cov, network=None)
    with pytest.raises(AnalysisError, match="no street network"):
        plan_fiber(c, bare, PlanConfig())


def test_tables_have_the_documented_columns(plan):
    layers = {
        "routes": ROUTE_COLUMNS,
        "cabinets": CABINET_COLUMNS,
        "splitters": SPLITTER_COLUMNS,
        "drops": DROP_COLUMNS,
        "unreachable": UNREACHABLE_COLUMNS,
    }
    for name, cols in layers.items():
        frame = getattr(plan, name)
        assert frame.geometry.name == "geometry"
        assert [c for c in frame.columns if c != "geometry"] == cols, name
    assert list(plan.clusters.columns) == CLUSTER_COLUMNS
    assert list(plan.bom.columns) == BOM_COLUMNS
    assert list(plan.phases.columns) == PHASE_COLUMNS
    assert list(plan.layers()) == ["routes", "cabinets", "splitters", "drops", "unreachable"]


def test_cabinets_name_premises_and_cost(plan):
    cab, spl = plan.cabinets, plan.splitters
    cfg = plan.config
    assert len(cab) == plan.summary["cabinets"] > 0
    assert cab["name"].tolist() == [f"cabinet {i}" for i in cab["cabinet"]]
    assert cab["premises"].sum() == plan.summary["premises_targeted"]
    per_cab = spl.groupby("cabinet")["premises"].sum()
    assert (cab.set_index("cabinet")["premises"] == per_cab).all()
    assert (cab["cost"] == cfg.cabinet).all()
    bom_cab = plan.bom.loc[plan.bom["category"] == "cabinet", "total"].sum()
    assert cab["cost"].sum() == pytest.approx(bom_cab)
    assert (cab["first_level_splitters"] > 0).all()  # two-level


def test_summary_and_instance_are_typed(plan):
    keys = set(PlanSummary.__required_keys__)
    assert keys <= set(plan.summary)
    assert set(plan.summary) - keys <= set(PlanSummary.__optional_keys__)
    assert isinstance(plan.steiner_instance, SteinerInstance)
    G, terms, roots, T = plan.steiner_instance
    assert set(terms) <= set(T.nodes) and set(roots) <= set(G.nodes)
    assert {"costs", "targets", "steiner", "bound", "rollout", "outputs"} <= set(plan.timings)


def test_horn_order_prefers_premises_per_cost():
    # super root 3 with children 0 (10 premises for 10) and 1 (10 for 50); 2 (100 for 1) under 1
    parent = np.array([3, 3, 1, -9999])
    w = np.array([10.0, 10.0, 100.0, 0.0])
    c = np.array([10.0, 50.0, 1.0, 0.0])
    seq = horn_order(parent, w, c, 3, np.array([3, 0, 1, 2])).tolist()
    # the group {1, 2} passes 110 premises for 51 (2.2 per unit), node 0 only 1 per unit
    assert seq == [3, 1, 2, 0]
