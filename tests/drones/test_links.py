"""Which hub pairs get a corridor: the Gabriel graph against a brute-force oracle."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, minimum_spanning_tree
from scipy.spatial.distance import pdist, squareform

from planner.config.drones import ALL_PAIRS_MAX_HUBS, AUTO_HUB_AREA_KM2, AUTO_HUBS_MIN, DroneConfig
from planner.drones.hubs import auto_hub_count
from planner.drones.links import gabriel_pairs, hub_pairs, link_mode
from planner.errors import ConfigError


def brute_gabriel(xy: np.ndarray) -> set[tuple[int, int]]:
    """Every pair whose diameter circle holds no other point inside or on it (O(n³))."""
    n, out = len(xy), set()
    for i in range(n):
        for j in range(i + 1, n):
            mid, r2 = (xy[i] + xy[j]) / 2, np.sum((xy[i] - xy[j]) ** 2) / 4
            d2 = np.sum((xy - mid) ** 2, axis=1)
            d2[[i, j]] = np.inf
            if not np.any(d2 <= r2 * (1 + 1e-9)):
                out.add((i, j))
    return out


def connected(n: int, edges) -> bool:
    if n < 2:
        return True
    a, b = np.array(list(edges)).T
    g = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    return connected_components(g, directed=False)[0] == 1


points = st.integers(0, 10_000).flatmap(
    lambda seed: st.integers(2, 60).map(
        lambda n: np.random.default_rng(seed).integers(0, 50, (n, 2)).astype(float) * 100
    )
)


@settings(max_examples=60, deadline=None)
@given(points)
def test_gabriel_equals_brute_force_and_holds_the_minimum_spanning_tree(xy):
    # integer lattice points: collinear triples, cocircular quadruples and duplicates occur
    got = gabriel_pairs(xy)
    assert got == sorted(got) and all(i < j for i, j in got)
    assert connected(len(xy), got)
    if len(np.unique(xy, axis=0)) == len(xy):
        assert set(got) == brute_gabriel(xy)
        assert len(got) <= max(1, 3 * len(xy) - 6)
        # it holds a minimum spanning tree: its own MST weighs as much as the full one
        d = squareform(pdist(xy))
        sub = np.zeros_like(d)
        for i, j in got:
            sub[i, j] = d[i, j]
        assert minimum_spanning_tree(sub).sum() == pytest.approx(minimum_spanning_tree(d).sum())


def test_gabriel_of_collinear_points_is_the_chain():
    xy = np.column_stack([np.arange(6) * 1000.0, np.zeros(6)])
    assert gabriel_pairs(xy) == [(i, i + 1) for i in range(5)]


def test_coincident_points_hang_on_the_first_of_them():
    xy = np.array([[0.0, 0.0], [500.0, 0.0], [0.0, 0.0], [0.0, 800.0], [0.0, 0.0]])
    assert gabriel_pairs(xy) == [(0, 1), (0, 2), (0, 3), (0, 4)]


def test_gabriel_connects_each_component_on_its_own():
    # a hub on the left bank, one on the right and one far north; the north hub is
    # on the right-bank component only through the left hub's neighbourhood
    xy = np.array([[0.0, 0.0], [1000.0, 0.0], [0.0, 5000.0], [3000.0, 5000.0]])
    comp = np.array([1, 2, 2, 1])
    got = gabriel_pairs(xy, comp)
    assert set(brute_gabriel(xy)) <= set(got)
    for c in (1, 2):
        members = np.flatnonzero(comp == c)
        inner = [(i, j) for i, j in got if i in members and j in members]
        assert inner, f"component {c} has no pair of its own"
    assert (0, 3) in got  # the left-bank pair, not a Gabriel edge over all four points


def test_link_mode_and_hub_pairs():
    assert link_mode("auto", ALL_PAIRS_MAX_HUBS) == "all"
    assert link_mode("auto", ALL_PAIRS_MAX_HUBS + 1) == "gabriel"
    assert link_mode("all", 500) == "all" and link_mode("gabriel", 3) == "gabriel"
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 20_000, (30, 2))
    names = [f"h{i}" for i in range(30)]
    assert len(hub_pairs(names, None, set(names), xy, None, "all")) == 30 * 29 // 2
    assert hub_pairs(names, None, set(names), xy, None, "auto") == gabriel_pairs(xy)
    od = [("h3", "h1"), ("h0", "h29")]
    assert hub_pairs(names, od, set(names), xy, None, "gabriel") == [(0, 29), (1, 3)]
    with pytest.raises(ConfigError, match=r"drones\.od_pairs: unknown hub name"):
        hub_pairs(names, [("h0", "nowhere")], set(names), xy)


class _City:
    def __init__(self, km2):
        from shapely.geometry import box

        side = (km2 * 1e6) ** 0.5
        self.boundary = box(0, 0, side, side)


def test_auto_hub_count_grows_with_the_area():
    cfg = DroneConfig()
    assert auto_hub_count(_City(203), cfg) == AUTO_HUBS_MIN  # Liechtenstein's land area
    assert auto_hub_count(_City(1267), cfg) == int(np.ceil(1267 / AUTO_HUB_AREA_KM2))
    assert auto_hub_count(_City(2850), cfg) == 114
    assert auto_hub_count(_City(2850), DroneConfig(max_auto_hubs=7)) == 7
