"""The A* router against exact full-lattice Dijkstra (scipy) on random rasters with walls."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import ndimage
from scipy.sparse import csgraph

from planner.drones.astar import INFLATION, SearchSpace, astar_pair, astar_paths, astar_routes
from planner.drones.lattice import (
    component_sizes,
    lattice_lengths,
    path_measures,
    reweight,
    route_hubs,
)


def _raster(seed: int, nr: int, nc: int, walls: int):
    """Random risk (smooth bumps plus speckle, zero-risk gaps) and walls with gaps."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:nr, 0:nc]
    risk = rng.random((nr, nc)) * rng.choice([0.0, 1.0, 5.0])
    for _ in range(4):
        cy, cx, s = rng.uniform(0, nr), rng.uniform(0, nc), rng.uniform(1, 6)
        risk += rng.uniform(0, 20) * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * s * s))
    risk[rng.random((nr, nc)) < 0.2] = 0.0
    blocked = rng.random((nr, nc)) < 0.08
    for _ in range(walls):
        if rng.random() < 0.5:
            r = rng.integers(0, nr)
            blocked[r, :] = True
            blocked[r, rng.integers(0, nc, 2)] = False
        else:
            c = rng.integers(0, nc)
            blocked[:, c] = True
            blocked[rng.integers(0, nr, 2), c] = False
    return risk, blocked


def _check_path(p, src, dst, blocked, nc):
    """A lattice path: ends right, free cells, king moves, no corner cutting."""
    assert p[0] == src and p[-1] == dst
    flat = blocked.ravel()
    assert not flat[p].any()
    r, c = np.divmod(p, nc)
    dr, dc = np.diff(r), np.diff(c)
    assert np.abs(dr).max(initial=0) <= 1 and np.abs(dc).max(initial=0) <= 1
    diag = (dr != 0) & (dc != 0)
    assert not flat[(r[:-1] + dr) * nc + c[:-1]][diag].any()
    assert not flat[r[:-1] * nc + c[:-1] + dc][diag].any()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    nr=st.integers(2, 40),
    nc=st.integers(2, 40),
    walls=st.integers(0, 4),
    w=st.sampled_from([0.0, 1e-6, 0.3, 3.0, 10.0]),
)
def test_astar_cost_is_the_exact_optimum(seed, nr, nc, walls, w):
    risk, blocked = _raster(seed, nr, nc, walls)
    free = np.flatnonzero(~blocked.ravel())
    if len(free) < 2:
        return
    rng = np.random.default_rng(seed)
    src, dst = rng.choice(free, 2, replace=False)
    g = reweight(lattice_lengths(risk.shape, blocked, 10.0), risk, w)
    opt = csgraph.dijkstra(g, indices=[int(src)])[0, dst]
    cost, path = astar_pair(SearchSpace(risk, blocked, 10.0), src, dst, w)
    if not np.isfinite(opt):
        assert path is None and not np.isfinite(cost)
        return
    assert opt * (1 - 1e-12) <= cost <= opt * INFLATION * (1 + 1e-12)
    _check_path(path, src, dst, blocked, nc)
    length, rk = path_measures([path], risk, 10.0)
    assert cost == pytest.approx(length[0] + w * rk[0], rel=1e-9)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    nr=st.integers(2, 40),
    nc=st.integers(2, 40),
    walls=st.integers(0, 4),
    targets=st.integers(1, 6),
    w=st.sampled_from([1e-6, 0.3, 10.0]),
)
def test_one_search_to_several_targets_finds_every_optimum(seed, nr, nc, walls, targets, w):
    risk, blocked = _raster(seed, nr, nc, walls)
    free = np.flatnonzero(~blocked.ravel())
    if len(free) < 2:
        return
    rng = np.random.default_rng(seed + 1)
    src = int(rng.choice(free))
    dsts = rng.choice(free, targets)  # repeats and the source itself allowed
    g = reweight(lattice_lengths(risk.shape, blocked, 10.0), risk, w)
    opt = csgraph.dijkstra(g, indices=[src])[0, dsts]
    space = SearchSpace(risk, blocked, 10.0)
    got = astar_paths(space, src, dsts, w)
    for o, dst, (cost, path) in zip(opt, dsts, got, strict=True):
        if not np.isfinite(o):
            assert path is None and not np.isfinite(cost)
            continue
        assert o * (1 - 1e-12) <= cost <= o * INFLATION * (1 + 1e-12)
        _check_path(path, src, dst, blocked, nc)
        length, rk = path_measures([path], risk, 10.0)
        assert cost == pytest.approx(length[0] + w * rk[0], rel=1e-9, abs=1e-9)
    again = astar_paths(space, src, dsts, w)  # the scratch arrays are reused, never cleared
    assert [c for c, _ in again] == [c for c, _ in got]


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_astar_routes_match_exact_router_for_any_thread_count(threads):
    risk, blocked = _raster(7, 90, 70, 3)
    hubs = np.random.default_rng(7).choice(np.flatnonzero(~blocked.ravel()), 6, replace=False)
    labels = ndimage.label(~blocked)[0].ravel()
    weights = [1e-6, 3.0]
    got, cert = astar_routes(SearchSpace(risk, blocked, 10.0), hubs, labels, weights, threads)
    one, _ = astar_routes(SearchSpace(risk, blocked, 10.0), hubs, labels, weights, 1)
    for w in weights:
        exact = route_hubs(reweight(lattice_lengths(risk.shape, blocked, 10.0), risk, w), hubs)
        assert set(got[w].paths) == set(exact.paths)
        ok = np.isfinite(exact.cost)
        assert np.array_equal(np.isfinite(got[w].cost), ok)
        assert np.all(got[w].cost[ok] >= exact.cost[ok] * (1 - 1e-12))
        assert np.all(got[w].cost[ok] <= exact.cost[ok] * INFLATION * (1 + 1e-12))
        assert np.array_equal(got[w].cost, one[w].cost)  # threads never change a result
        assert all(np.array_equal(got[w].paths[k], one[w].paths[k]) for k in one[w].paths)
    assert cert.pairs == sum(len(got[w].paths) for w in weights)
    assert cert.max_gap == pytest.approx(INFLATION - 1)


def test_astar_goes_around_a_wall_through_its_only_gap():
    n = 64
    risk = np.zeros((n, n))
    blocked = np.zeros((n, n), bool)
    blocked[:, 30] = True
    blocked[60, 30] = False  # one gap, far from the straight line
    src, dst = 20 * n + 5, 20 * n + 58
    cost, path = astar_pair(SearchSpace(risk, blocked, 1.0), src, dst, 0.0)
    assert 60 * n + 30 in path.tolist()
    exact = route_hubs(reweight(lattice_lengths(risk.shape, blocked, 1.0), risk, 0.0), [src, dst])
    assert cost == pytest.approx(exact.cost[0, 1], rel=2e-6)


def test_component_sizes_match_lattice_components():
    risk, blocked = _raster(5, 80, 80, 0)
    blocked[:, 40] = True  # split in two
    blocked[10:13, 10:13] = True
    blocked[11, 11] = False  # a free cell walled in: a component of one
    g = lattice_lengths(risk.shape, blocked, 1.0)
    _, want = csgraph.connected_components(g, directed=False)
    labels = ndimage.label(~blocked)[0].ravel()
    cells = np.arange(blocked.size)
    got = component_sizes(labels, cells)
    free = ~blocked.ravel()
    assert np.array_equal(got[free], np.bincount(want)[want][free])
    assert got[11 * 80 + 11] == 1 and (got[~free] == 1).all()  # blocked: a node of its own
    assert len(np.unique(want[free])) >= 3  # both halves and the walled-in cell


def test_astar_routes_only_the_pairs_asked_for():
    risk, blocked = _raster(11, 80, 80, 2)
    hubs = np.random.default_rng(11).choice(np.flatnonzero(~blocked.ravel()), 7, replace=False)
    labels = ndimage.label(~blocked)[0].ravel()
    weights = [1e-6, 3.0]
    every, _ = astar_routes(SearchSpace(risk, blocked, 10.0), hubs, labels, weights, 1)
    pairs = [(0, 3), (1, 2), (2, 6), (4, 5)]
    some, cert = astar_routes(
        SearchSpace(risk, blocked, 10.0), hubs, labels, weights, 2, pairs=pairs
    )
    for w in weights:
        routed = set(some[w].paths)
        assert routed == {p for p in pairs if p in every[w].paths}
        for i, j in routed:  # the same searches, fewer targets: the same optimum
            assert some[w].cost[i, j] == pytest.approx(every[w].cost[i, j], rel=2e-12)
        assert all(np.isinf(some[w].cost[i, j]) for i, j in every[w].paths if (i, j) not in routed)
    assert cert.pairs == sum(len(some[w].paths) for w in weights)
