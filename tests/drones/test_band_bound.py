"""The band router's certificate: proven lower bounds against exact full-lattice Dijkstra."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.sparse import csgraph

from planner.drones import band
from planner.drones.band import band_lattice, band_routes, lower_bounds, sub_lattice
from planner.drones.lattice import lattice_lengths, reweight, route_hubs


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


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    nr=st.integers(6, 40),
    nc=st.integers(6, 40),
    walls=st.integers(0, 3),
    w=st.sampled_from([0.0, 1e-6, 0.3, 3.0, 10.0]),
    factor=st.sampled_from([2, 3, 4, 8]),
)
def test_lower_bounds_never_exceed_the_exact_cost(seed, nr, nc, walls, w, factor):
    """Oracle: exact Dijkstra from each target on the full lattice (bound <= optimum)."""
    risk, blocked = _raster(seed, nr, nc, walls)
    free = np.flatnonzero(~blocked)
    if len(free) < 2:
        return
    targets = np.random.default_rng(seed).choice(free, size=min(3, len(free)), replace=False)
    band.BOUND_FACTOR, old = factor, band.BOUND_FACTOR
    try:
        lb = lower_bounds(band_lattice(risk, blocked, 5.0, targets), w, targets)
    finally:
        band.BOUND_FACTOR = old
    exact = csgraph.dijkstra(
        reweight(lattice_lengths(risk.shape, blocked, 5.0), risk, w), indices=targets
    )
    r, c = np.divmod(np.arange(risk.size), nc)
    blk = (r // factor) * (-(-nc // factor)) + c // factor
    ok = np.isfinite(exact)
    assert np.all(lb[:, blk][ok] <= exact[ok] * (1 + 1e-9) + 1e-9)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(16, 48),
    walls=st.integers(0, 3),
    w=st.sampled_from([1e-6, 1.0, 10.0]),
)
def test_band_certificate_brackets_the_optimum(seed, n, walls, w):
    """bound <= optimum <= band cost, the bound being optimum / (1 + certified gap)."""
    risk, blocked = _raster(seed, n, n, walls)
    free = np.flatnonzero(~blocked)
    if len(free) < 4:
        return
    hubs = np.random.default_rng(seed + 1).choice(free, size=4, replace=False)
    old = band.BAND_CELLS
    band.BAND_CELLS = 4  # narrow bands, so paths can leave them
    try:
        lat = band_lattice(risk, blocked, 5.0, hubs)
        routes = band_routes(lat, hubs, [w])[w]
    finally:
        band.BAND_CELLS = old
    exact = route_hubs(reweight(lattice_lengths(risk.shape, blocked, 5.0), risk, w), hubs)
    assert set(routes.paths) == set(exact.paths)
    for i, j in routes.paths:
        opt, got = exact.cost[i, j], routes.cost[i, j]
        assert got >= opt * (1 - 1e-9)
        gap = lat.certificate.gaps[(w, i, j)]
        assert got / (1 + gap) <= opt * (1 + 1e-9)


def test_bound_is_tight_on_uniform_risk_straight_line():
    """Uniform risk, no walls: the block bound is within a few blocks of the exact cost."""
    n = 64
    risk = np.full((n, n), 2.0)
    blocked = np.zeros((n, n), bool)
    t = np.array([32 * n + 60])
    lb = lower_bounds(band_lattice(risk, blocked, 1.0, t), 1.0, t)
    f = band.BOUND_FACTOR
    r, c = divmod(32 * n + 2, n)  # 58 cells west: exact cost 58 × (1 + 2)
    assert lb[0, (r // f) * (-(-n // f)) + c // f] >= 58 * 3 - 4 * f * 3


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), nr=st.integers(2, 20), nc=st.integers(2, 20))
def test_sub_lattice_is_the_full_lattice_restricted(seed, nr, nc):
    """Oracle: the full CSR lattice's submatrix on the chosen cells, and its boundary."""
    rng = np.random.default_rng(seed)
    blocked = rng.random((nr, nc)) < 0.3
    free = np.flatnonzero(~blocked)
    cells = np.sort(free[rng.random(len(free)) < 0.6])
    full = lattice_lengths((nr, nc), blocked, 2.0)
    g, edge = sub_lattice(cells, blocked, 2.0)
    want = full[cells][:, cells]
    assert g.has_sorted_indices
    assert g.nnz == want.nnz and (g != want).nnz == 0
    outside = np.setdiff1d(np.arange(nr * nc), cells)
    assert np.array_equal(edge, np.asarray(full[cells][:, outside].sum(axis=1)).ravel() > 0)
