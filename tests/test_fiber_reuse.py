"""Coverage hand-off to the plan, off-network assets, duct reuse and small helpers."""

from __future__ import annotations

import logging

import geopandas as gpd
import pytest
import shapely
from fiber_helpers import city, random_assets

import planner.fiber as fiber_mod
import planner.plan as plan_mod
from planner.fiber import FiberConfig, analyze_fiber
from planner.plan import PlanConfig, plan_fiber


@pytest.fixture(scope="module")
def cov_assets():
    c = city("helsinki")
    return c, analyze_fiber(c, FiberConfig(), assets=random_assets(c, 4, seed=3))


def test_plan_reuses_network_and_sources_of_coverage(cov_assets, monkeypatch):
    c, cov = cov_assets
    assert cov.network is not None and cov.sources is not None and len(cov.sources)

    def boom(*a, **k):
        raise AssertionError("recomputed")

    monkeypatch.setattr(plan_mod, "asset_sources", boom)
    monkeypatch.setattr(fiber_mod.FiberNetwork, "from_graph", classmethod(boom))
    plan = plan_fiber(c, cov, PlanConfig())
    assert plan.summary["premises_targeted"] > 0
    # an explicit network= still works (and is the one used)
    plan2 = plan_fiber(c, cov, PlanConfig(), network=cov.network)
    assert plan2.summary["capex_total"] == pytest.approx(plan.summary["capex_total"])


def test_assets_all_off_network_are_greenfield(caplog):
    c = city("helsinki")
    x0, y0, x1, y1 = c.boundary.bounds
    # 3 km beyond the city's east edge: farther than max_snap_m from every street
    pts = shapely.points([[x1 + 3000, y0], [x1 + 3000, y1]])
    far = gpd.GeoDataFrame({"kind": ["cabinet"] * 2}, geometry=pts, crs=c.crs)
    with caplog.at_level(logging.WARNING, logger="planner.fiber"):
        cov = analyze_fiber(c, FiberConfig(use_osm_assets=False), assets=far)
    assert "off the street network" in caplog.text and "GREENFIELD" in caplog.text
    k = cov.kpis
    assert k["greenfield"] and k["assets_all_off_network"]
    assert k["assets"] == 2 and k["assets_on_network"] == 0
    assert k["premises_unreachable"] == 0
    assert k["premises_unserved"] == k["premises_total"]
    plan = plan_fiber(c, cov, PlanConfig())
    assert plan.summary["greenfield"] and plan.summary["central_offices"]
    assert plan.summary["premises_targeted"] > 0
