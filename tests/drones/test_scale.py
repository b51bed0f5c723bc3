"""Coarse-to-fine band router: valid paths, costs within the certificate of the exact optimum."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import csgraph

from planner.drones import band
from planner.drones.band import band_lattice, band_routes, component_graph
from planner.drones.lattice import lattice_lengths, path_measures, reweight, route_hubs


def _city(n: int = 160, seed: int = 1):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:n, 0:n]
    risk = np.zeros((n, n))
    for _ in range(12):
        cy, cx = rng.uniform(0, n, 2)
        s = rng.uniform(4, 20)
        risk += rng.uniform(1, 10) * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * s * s))
    blocked = np.zeros((n, n), bool)
    for _ in range(6):
        cy, cx = rng.uniform(0, n, 2)
        blocked |= (yy - cy) ** 2 + (xx - cx) ** 2 <= rng.uniform(3, 12) ** 2
    blocked[n // 2, 10 : n - 10] = True  # a long wall with a gap at each end
    free = np.flatnonzero(~blocked)
    hubs = rng.choice(free, 6, replace=False)
    return risk, blocked, hubs


@pytest.mark.parametrize("w", [1e-6, 0.3, 10.0])
def test_band_routes_valid_and_certified(w):
    risk, blocked, hubs = _city()
    res = 10.0
    exact = route_hubs(reweight(lattice_lengths(risk.shape, blocked, res), risk, w), hubs)
    lat = band_lattice(risk, blocked, res, hubs)
    routes = band_routes(lat, hubs, [w])[w]
    assert set(routes.paths) == set(exact.paths)
    nc = risk.shape[1]
    for i, j in sorted(routes.paths):
        p = routes.paths[(i, j)]
        assert p[0] == hubs[i] and p[-1] == hubs[j]
        assert not blocked.ravel()[p].any()
        r, c = np.divmod(p, nc)
        assert np.abs(np.diff(r)).max() <= 1 and np.abs(np.diff(c)).max() <= 1
        length, rk = path_measures([p], risk, res)
        assert routes.cost[i, j] == pytest.approx(length[0] + w * rk[0], rel=1e-9)
        # never cheaper than the optimum, never above the certified bound
        assert routes.cost[i, j] >= exact.cost[i, j] * (1 - 1e-12)
        gap = lat.certificate.gaps[(w, i, j)]
        assert routes.cost[i, j] <= exact.cost[i, j] * (1 + gap) * (1 + 1e-12)
    assert lat.certificate.pairs == len(routes.paths)


def test_band_mostly_optimal_on_smooth_risk():
    risk, blocked, hubs = _city(seed=3)
    w = 1e-6
    exact = route_hubs(reweight(lattice_lengths(risk.shape, blocked, 10.0), risk, w), hubs)
    routes = band_routes(band_lattice(risk, blocked, 10.0, hubs), hubs, [w])[w]
    k = np.triu_indices(len(hubs), 1)
    ok = np.isfinite(exact.cost[k])
    assert np.max(routes.cost[k][ok] / exact.cost[k][ok]) < 1.01


def test_band_widens_when_the_band_is_cut(monkeypatch):
    """A wall the coarse lattice does not see: the target is reached by widening the band."""
    n = 64
    risk = np.zeros((n, n))
    blocked = np.zeros((n, n), bool)
    blocked[:, 30] = True
    blocked[60, 30] = False  # one fine gap, far from the straight line
    hubs = np.array([20 * n + 5, 20 * n + 58])
    monkeypatch.setattr(band, "BAND_CELLS", 4)
    routes = band_routes(band_lattice(risk, blocked, 1.0, hubs), hubs, [0.0])[0.0]
    exact = route_hubs(reweight(lattice_lengths(risk.shape, blocked, 1.0), risk, 0.0), hubs)
    assert routes.cost[0, 1] == pytest.approx(exact.cost[0, 1])


def test_component_graph_matches_lattice_components():
    risk, blocked, _ = _city(n=80, seed=5)
    blocked[:, 40] = True  # split in two
    g = lattice_lengths(risk.shape, blocked, 1.0)
    _, want = csgraph.connected_components(g, directed=False)
    lat = band_lattice(risk, blocked, 1.0, np.array([0]))
    _, got = csgraph.connected_components(component_graph(lat.labels), directed=False)
    # same partition: a bijection between labels
    pairs = set(zip(want.tolist(), got.tolist(), strict=True))
    assert len(pairs) == len(set(want.tolist())) == len(set(got.tolist()))


def test_band_routes_several_weights_at_once():
    risk, blocked, hubs = _city(seed=2)
    lat = band_lattice(risk, blocked, 10.0, hubs)
    both = band_routes(lat, hubs, [1e-6, 3.0])
    one = band_routes(band_lattice(risk, blocked, 10.0, hubs), hubs, [3.0])[3.0]
    assert set(both) == {1e-6, 3.0}
    assert np.all(both[3.0].cost <= one.cost * (1 + 1e-12))  # a union band is never worse
    assert lat.certificate.pairs == 2 * len(one.paths)
