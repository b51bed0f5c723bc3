"""Oracle tests: network distances equal brute-force networkx shortest paths."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from fiber_helpers import SHARED, city, oracle_distances, random_assets

from planner.config import FiberConfig
from planner.fiber import analyze_fiber
from planner.fiber.snapping import snap_points, street_edges

CFG = FiberConfig(use_osm_assets=False)


def _check(c, n_assets, seed):
    assets = random_assets(c, n_assets, seed)
    cov = analyze_fiber(c, CFG, assets=assets)
    p = cov.premises
    edges = street_edges(c.graph)
    asnap = snap_points(edges, assets.geometry.to_numpy(), CFG.max_snap_m).frame(edges)
    psnap = p[["u", "v", "key"]].copy()
    psnap["offset_m"] = p["offset_m"].to_numpy()
    # the oracle works on the exact, unrounded offsets
    raw = snap_points(edges, p.geometry.to_numpy(), CFG.max_snap_m)
    psnap["offset_m"] = np.where(raw.ok, raw.offset, np.nan)
    expected = oracle_distances(c.graph, psnap, asnap)
    got = p["network_m"].to_numpy()
    ok = ~p["fallback"].to_numpy()
    assert ok.sum() > 0.9 * len(p)
    assert np.array_equal(np.isinf(expected[ok]), np.isinf(got[ok]))
    fin = ok & np.isfinite(expected)
    assert fin.sum() > 0
    np.testing.assert_allclose(got[fin], expected[fin], atol=0.01, rtol=0)
    # the class follows the distance: classes recomputed from the oracle agree
    d = expected[fin] + p["snap_m"].to_numpy()[fin]
    passed = p["fiber_class"].to_numpy()[fin] == "passed"
    margin = np.abs(d - CFG.drop_limit_m) > 0.02
    assert np.array_equal(passed[margin], (d <= CFG.drop_limit_m)[margin])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_network_distance_matches_networkx_helsinki(seed):
    _check(city("helsinki"), n_assets=4, seed=seed)


def test_same_edge_asset_exact():
    """A premise and an asset on the same long edge: the along-edge distance, not via nodes."""
    c = city("helsinki")
    cov0 = analyze_fiber(c, CFG, assets=random_assets(c, 1, 5))
    p = cov0.premises
    edges = street_edges(c.graph)
    i = int(np.argmax(edges.length[p["edge"].to_numpy()]))
    e, off = int(p["edge"].iloc[i]), float(p["offset_m"].iloc[i])
    target = off + 1.0 if off + 1.0 < edges.length[e] else off - 1.0
    pt = shapely.line_interpolate_point(edges.geometry[e], target)
    assets = random_assets(c, 1, 5).iloc[:0]
    import geopandas as gpd

    assets = gpd.GeoDataFrame({"kind": ["olt"]}, geometry=[pt], crs=c.crs)
    cov = analyze_fiber(c, CFG, assets=assets)
    assert abs(cov.premises["network_m"].iloc[i] - 1.0) < 0.01


def test_snap_is_nearest_edge():
    c = city("helsinki")
    edges = street_edges(c.graph)
    pts = shapely.point_on_surface(c.buildings.geometry.to_numpy()[:80])
    snap = snap_points(edges, pts)
    brute = np.array([shapely.distance(edges.geometry, p).min() for p in pts])
    np.testing.assert_allclose(snap.distance, brute, atol=1e-6)
    on = shapely.line_interpolate_point(edges.geometry[snap.edge], snap.offset)
    np.testing.assert_allclose(shapely.distance(on, pts), brute, atol=1e-6)


def test_snap_in_any_order_is_each_points_own_snap():
    """Points, empty and missing geometries in one call, shuffled: each gets the snap it
    gets alone (the query order is internal) and its nearest edge by brute force."""
    c = city("helsinki")
    edges = street_edges(c.graph)
    pts = shapely.point_on_surface(c.buildings.geometry.to_numpy()[:60])
    geoms = np.concatenate([pts, [None, shapely.Point()]]).astype(object)
    geoms = geoms[np.random.default_rng(3).permutation(len(geoms))]
    snap = snap_points(edges, geoms, max_distance=40.0)
    for i, g in enumerate(geoms):
        one = snap_points(edges, np.array([g], dtype=object), max_distance=40.0)
        assert (snap.edge[i], snap.ok[i]) == (one.edge[0], one.ok[0])
        np.testing.assert_equal(
            [snap.distance[i], snap.offset[i]], [one.distance[0], one.offset[0]]
        )
        if g is not None and not g.is_empty:
            brute = shapely.distance(edges.geometry, g).min()
            assert snap.ok[i] == (brute <= 40.0)
            if snap.ok[i]:
                assert abs(snap.distance[i] - brute) < 1e-6
    assert 0 < snap.ok.sum() < len(geoms)  # some beyond 40 m, and the two empty ones


@pytest.mark.shared
@pytest.mark.skipif(not SHARED.is_dir(), reason="shared OSM extracts not present")
def test_network_distance_matches_networkx_liechtenstein():
    f = SHARED / "liechtenstein-2021-10-28.osm.pbf"
    if not f.is_file():
        pytest.skip("extract missing")
    _check(city("liechtenstein-2021-10-28"), n_assets=6, seed=11)


def test_same_edge_offset_beyond_every_source_end():
    """A query offset larger than every interval end must still find its own edge's source."""
    from planner.fiber.netdist import _same_edge, merge_intervals

    src = merge_intervals([0, 1, 2], [30.0, 10.0, 5.0], [30.0, 10.0, 5.0])
    got = _same_edge(src, np.array([0, 2, 1]), np.array([200.0, 5.0, 0.0]))
    np.testing.assert_allclose(got, [170.0, 0.0, 10.0])
