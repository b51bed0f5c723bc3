"""Property tests: more supply or a longer drop never lowers coverage; classes reconcile."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from fiber_helpers import city, random_assets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.config import FiberConfig
from planner.fiber import CLASSES, analyze_fiber

SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))


def _cov(assets, **kw):
    return analyze_fiber(city(), FiberConfig(use_osm_assets=False, **kw), assets=assets)


@SETTINGS
@given(seed=st.integers(0, 10_000), n=st.integers(1, 6), extra=st.integers(0, 10_000))
def test_adding_an_asset_never_lowers_coverage(seed, n, extra):
    c = city()
    a = random_assets(c, n, seed)
    b = pd.concat([a, random_assets(c, 1, extra)], ignore_index=True)
    b = gpd.GeoDataFrame(b, geometry="geometry", crs=c.crs)
    ca, cb = _cov(a), _cov(b)
    assert cb.kpis["premises_passed"] >= ca.kpis["premises_passed"]
    da, db = ca.premises["distance_m"].to_numpy(), cb.premises["distance_m"].to_numpy()
    assert np.all(db <= da + 1e-9)


@SETTINGS
@given(seed=st.integers(0, 10_000), d1=st.floats(1, 1000), d2=st.floats(1, 1000))
def test_raising_drop_limit_never_lowers_coverage(seed, d1, d2):
    lo, hi = sorted((d1, d2))
    a = random_assets(city(), 3, seed)
    c_lo = _cov(a, drop_limit_m=lo, near_m=max(lo, 500))
    c_hi = _cov(a, drop_limit_m=hi, near_m=max(hi, 500))
    assert c_hi.kpis["premises_passed"] >= c_lo.kpis["premises_passed"]


@SETTINGS
@given(seed=st.integers(0, 10_000), n=st.integers(0, 5), drop=st.floats(10, 400))
def test_class_counts_reconcile(seed, n, drop):
    a = random_assets(city(), n, seed) if n else None
    cov = _cov(a, drop_limit_m=drop, near_m=max(drop, 500))
    k = cov.kpis
    parts = sum(k[f"premises_{c}"] for c in CLASSES)
    assert parts == k["premises_total"] == int(cov.premises["premises"].sum())
    for r, h in cov.hexes.items():
        assert int(h["premises"].sum()) == k["premises_total"], r
        assert int(h["passed"].sum()) == k["premises_passed"]
    assert k["gap_cluster_premises"] <= k["premises_unserved"] + k["premises_unreachable"]
    if n == 0:
        assert k["greenfield"] and k["premises_unserved"] == k["premises_total"]


def test_fibre_route_along_a_street_passes_its_premises():
    """A route drawn along a street covers it: premises on that street are at distance 0."""
    c = city()
    cov0 = _cov(random_assets(c, 1, 0))
    p = cov0.premises
    from planner.fiber.snapping import street_edges

    E = street_edges(c.graph)
    e = int(p["edge"].value_counts().index[0])
    route = gpd.GeoDataFrame({"kind": ["route"]}, geometry=[E.geometry[e]], crs=c.crs)
    cov = _cov(route)
    on = cov.premises["edge"].to_numpy() == e
    assert on.any()
    assert np.allclose(cov.premises["network_m"].to_numpy()[on], 0.0, atol=1e-6)
