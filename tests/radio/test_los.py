"""Vectorised line of sight (polar sweep) against an independent brute-force ray march."""

from __future__ import annotations

import math

import numpy as np
from affine import Affine

from planner.radio.los import (
    height_surface,
    horizon,
    horizon_extent,
    is_los,
    known_mask,
    max_obstacle_slope,
)

CELL = 10.0


def surface_and_transform(rng, n=200):
    surf = np.zeros((n, n), dtype=np.float32)
    for _ in range(150):  # random blocks 2-6 cells wide, 5-60 m tall
        r, c = rng.integers(0, n - 6, 2)
        w, d = rng.integers(2, 7, 2)
        surf[r : r + d, c : c + w] = max(surf[r, c], rng.uniform(5, 60))
    return surf, Affine(CELL, 0, 0.0, 0, -CELL, n * CELL)


def brute(surf, tr, p0, p1, exclude, step=CELL / 8):
    """Independent oracle: march the straight segment every ``step`` m, cell-by-cell heights."""
    (x0, y0, z0), (x1, y1, z1) = p0, p1
    d = math.hypot(x1 - x0, y1 - y0)
    n = int(d / step)
    for i in range(1, n + 1):
        t = i * step / d
        if t * d > d - exclude:
            break
        x, y, z = x0 + t * (x1 - x0), y0 + t * (y1 - y0), z0 + t * (z1 - z0)
        c = int(math.floor((x - tr.c) / tr.a))
        r = int(math.floor((y - tr.f) / tr.e))
        if 0 <= r < surf.shape[0] and 0 <= c < surf.shape[1] and surf[r, c] > z:
            return False
    return True


def test_sweep_agrees_with_ray_march(rng):
    surf, tr = surface_and_transform(rng)
    site = (1000.0, 1000.0, 35.0)
    hz = horizon(surf, tr, *site, max_range_m=1500.0)
    n = 400
    ang = rng.uniform(0, 2 * math.pi, n)
    dist = rng.uniform(30, 950, n)
    dx, dy = dist * np.sin(ang), dist * np.cos(ang)
    agree = disagree_grazing = 0
    for h in (1.5, 20.0, 60.0):
        vis = is_los(hz, dx, dy, h, exclude_m=CELL)
        for i in range(n):
            target = (site[0] + dx[i], site[1] + dy[i], h)
            ref = brute(surf, tr, site, target, CELL)
            if ref == vis[i]:
                agree += 1
                continue
            # a disagreement must be a grazing ray, explained by the sweep's discretisation:
            # the ray turned sideways by at most half a cell at the target (its azimuth step),
            # or sampled at the sweep's step of one cell (a corner clipped between samples)
            ux, uy = dy[i] / dist[i], -dx[i] / dist[i]  # unit vector across the ray
            alts = [
                brute(surf, tr, site, (target[0] + o * ux, target[1] + o * uy, h), CELL, s)
                for o in (-CELL / 2, -CELL / 4, 0.0, CELL / 4, CELL / 2)
                for s in (CELL / 8, CELL)
            ]
            assert vis[i] in alts, (i, h, dist[i])
            disagree_grazing += 1
    assert agree / (agree + disagree_grazing) >= 0.97


def test_open_ground_is_visible_and_wall_blocks():
    n = 100
    surf = np.zeros((n, n), dtype=np.float32)
    tr = Affine(CELL, 0, 0.0, 0, -CELL, n * CELL)
    hz = horizon(surf, tr, 500.0, 500.0, 30.0, 600.0)
    dx = np.array([100.0, -200.0, 0.0, 300.0])
    dy = np.array([0.0, 50.0, -400.0, 300.0])
    assert is_los(hz, dx, dy, 1.5, CELL).all()
    surf[:, 60] = 40.0  # a 40 m wall at x = 600-610 m, east of the site
    hz = horizon(surf, tr, 500.0, 500.0, 30.0, 600.0)
    vis = is_los(hz, np.array([200.0, -200.0]), np.array([0.0, 0.0]), 1.5, CELL)
    assert list(vis) == [False, True]
    # above the wall's shadow: a drone at 120 m, 200 m east, clears it
    assert is_los(hz, np.array([200.0]), np.array([0.0]), 120.0, CELL)[0]


def test_height_surface_and_known_mask(toy_city):
    tr = Affine(20, 0, toy_city.boundary.bounds[0], 0, -20, toy_city.boundary.bounds[3])
    surf = height_surface(toy_city.buildings, tr, (100, 100))
    assert surf.max() == 50.0 and (surf > 0).sum() >= 4
    known = known_mask(surf, 20.0, 100.0)
    assert known.sum() > (surf > 0).sum() and not known.all()


def array_horizon(surface, transform, x0, y0, z0, max_range_m):
    """Oracle: the NumPy array formula of the sweep (whole radial grid at once, float32)."""
    cell = abs(transform.a)
    n_r = max(1, math.ceil(max_range_m / cell))
    n_az = max(8, math.ceil(2 * math.pi * max_range_m / cell))
    az = np.arange(n_az, dtype=np.float32) * np.float32(2 * math.pi / n_az)
    r = (np.arange(n_r, dtype=np.float32) + 1) * np.float32(cell)
    col0, row0 = (x0 - transform.c) / transform.a, (y0 - transform.f) / transform.e
    sx, sy = np.sin(az)[:, None], np.cos(az)[:, None]
    cols = np.floor(col0 + sx * r / cell).astype(np.int32)
    rows = np.floor(row0 - sy * r / cell).astype(np.int32)
    inside = (rows >= 0) & (rows < surface.shape[0]) & (cols >= 0) & (cols < surface.shape[1])
    h = surface[np.clip(rows, 0, surface.shape[0] - 1), np.clip(cols, 0, surface.shape[1] - 1)]
    slope = (h * inside - np.float32(z0)) / r
    return np.maximum.accumulate(slope, axis=1)


def test_compiled_sweep_is_the_array_formula_bit_for_bit(rng):
    """The compiled sweep gives exactly the float32 array formula's slopes (sites in, near
    and off the grid's edge)."""
    surf, tr = surface_and_transform(rng)
    for x0, y0, z0, reach in [(1000.0, 1000.0, 25.0, 1500.0), (3.3, 1999.1, 8.0, 700.0)]:
        hz = horizon(surf, tr, x0, y0, z0, reach)
        assert np.array_equal(hz.slope, array_horizon(surf, tr, x0, y0, z0, reach))


def test_radials_cut_at_the_farthest_target_give_the_full_sweeps_slopes(rng):
    """``horizon_extent``: each radial swept only as far as its targets read; the slopes at the
    targets are a full sweep's, and the samples beyond are not swept (NaN)."""
    surf, tr = surface_and_transform(rng)
    dx, dy = (rng.uniform(-900, 900, (2, 3000)) * rng.uniform(0, 1, 3000)).astype(np.float32)
    az, lengths = horizon_extent(tr, 1000.0, dx, dy, CELL)
    cut = horizon(surf, tr, 1000.0, 1000.0, 25.0, 1000.0, azimuths=az, lengths=lengths)
    full = horizon(surf, tr, 1000.0, 1000.0, 25.0, 1000.0)
    got, want = (max_obstacle_slope(h, dx, dy, CELL) for h in (cut, full))
    assert np.array_equal(got, want) and np.isfinite(got).any()
    assert lengths.sum() < lengths.size * full.slope.shape[1]
    assert np.isnan(cut.slope).any() and not np.isnan(full.slope).any()
