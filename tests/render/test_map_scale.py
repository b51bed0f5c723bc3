"""Map layers at scale: the vertex lower bound and the simplification shortcut it allows."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from planner.render import _geometry


def _shapes(seed: int = 0) -> np.ndarray:
    """Wiggly lines, a MultiLineString, polygons with and without holes, and a point."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(30):
        t = np.linspace(0, 1, int(rng.integers(2, 60)))
        out.append(shapely.LineString(np.c_[t * 500, rng.normal(0, 4, len(t))]))
    out.append(shapely.MultiLineString([[(0, 0), (5, 1), (10, 0)], [(10, 0), (20, 3), (30, 0)]]))
    ring = np.c_[np.cos(np.linspace(0, 2 * np.pi, 80)), np.sin(np.linspace(0, 2 * np.pi, 80))]
    hole = 0.3 * ring[::-1]
    out.append(shapely.Polygon(ring * 100))
    out.append(shapely.Polygon(ring * 100 + 500, [hole * 100 + 500]))
    out.append(shapely.Point(1, 2))
    return np.array(out, dtype=object)


def _doubling(geoms, start_m, max_vertices, max_tolerance_m):
    """The plain doubling search (oracle): every tolerance tried in turn."""
    geoms = geoms.copy()
    multi = shapely.get_type_id(geoms) == 5
    geoms[multi] = shapely.line_merge(geoms[multi])
    tol = max(start_m, 1.0)
    while True:
        simple = shapely.simplify(geoms, tol, preserve_topology=True)
        m = int(shapely.get_num_coordinates(simple).sum())
        if m <= max_vertices or tol >= max_tolerance_m:
            return simple, m, tol
        tol = min(2 * tol, max_tolerance_m)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_min_vertices_bounds_every_tolerance(seed):
    geoms = _shapes(seed)
    low = _geometry.min_vertices(geoms)
    counts = [
        int(shapely.get_num_coordinates(shapely.simplify(geoms, t, preserve_topology=True)).sum())
        for t in (0.1, 1, 10, 100, 1e4, 1e7)
    ]
    assert min(counts) >= low
    # 30 lines + 2 merged-able parts keep 2 ends each, 2 exteriors 4 each, the point 1
    assert low == 30 * 2 + 2 * 2 + 2 * 4 + 1


@pytest.mark.parametrize("budget", [10, 60, 90, 150, 400, 10_000])
def test_simplify_to_budget_equals_the_doubling_search(budget):
    geoms = _shapes(3)
    s = _geometry.simplify_to_budget(geoms, 0.5, budget, 64.0)
    simple, m, tol = _doubling(geoms, 0.5, budget, 64.0)
    assert (s.vertices_after, s.tolerance_m) == (m, tol)
    assert all(a.equals_exact(b, 0) for a, b in zip(s.geoms, simple, strict=True))
    assert s.vertices_before == int(shapely.get_num_coordinates(geoms).sum())
