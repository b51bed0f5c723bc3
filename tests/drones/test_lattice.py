import itertools
import math

import networkx as nx
import numpy as np
import pytest
from affine import Affine

from planner.drones.lattice import (
    cell_centres,
    lattice_graph,
    lattice_lengths,
    path_measures,
    reweight,
    route_hubs,
    select_by_budget,
    xy_to_cell,
)
from planner.errors import AnalysisError


def nx_lattice(risk, blocked, res, w):
    """Plain-Python reference lattice, written independently of the CSR builder."""
    nr, nc = risk.shape
    g = nx.Graph()
    for r in range(nr):
        for c in range(nc):
            if blocked[r, c]:
                continue
            for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
                r2, c2 = r + dr, c + dc
                if not (0 <= r2 < nr and 0 <= c2 < nc) or blocked[r2, c2]:
                    continue
                if dr and dc and (blocked[r + dr, c] or blocked[r, c + dc]):
                    continue
                length = res * (math.sqrt(2) if dr and dc else 1)
                cost = length * (1 + w * (risk[r, c] + risk[r2, c2]) / 2)
                g.add_edge(r * nc + c, r2 * nc + c2, weight=cost)
    return g


def path_cost(g, seq):
    return sum(g[a][b]["weight"] for a, b in zip(seq[:-1], seq[1:], strict=True))


@pytest.mark.parametrize("seed", range(6))
def test_oracle_networkx_dijkstra_and_astar(seed):
    rng = np.random.default_rng(seed)
    nr, nc = rng.integers(8, 25, size=2)
    risk = rng.random((nr, nc)) * rng.choice([1, 10])
    blocked = rng.random((nr, nc)) < 0.25
    res, w = 7.5, float(rng.choice([0.0, 1.0, 4.0]))
    free = np.flatnonzero(~blocked)
    hubs = rng.choice(free, size=min(6, len(free)), replace=False)
    routes = route_hubs(lattice_graph(risk, blocked, res, w), hubs)
    g = nx_lattice(risk, blocked, res, w)
    ncols = nc

    def h(a, b):  # admissible: straight-line distance × min factor 1
        (ra, ca), (rb, cb) = divmod(a, ncols), divmod(b, ncols)
        return res * math.hypot(ra - rb, ca - cb)

    for i in range(len(hubs)):
        for j in range(i + 1, len(hubs)):
            a, b = int(hubs[i]), int(hubs[j])
            try:
                ref = nx.dijkstra_path_length(g, a, b)
                ref_a = path_cost(g, nx.astar_path(g, a, b, heuristic=h))
            except (nx.NetworkXNoPath, nx.NodeNotFound):
                assert not np.isfinite(routes.cost[i, j])
                assert (i, j) not in routes.paths
                continue
            assert routes.cost[i, j] == pytest.approx(ref, abs=1e-6)
            assert ref_a == pytest.approx(ref, abs=1e-6)
            seq = routes.paths[(i, j)]
            assert seq[0] == a and seq[-1] == b
            # the extracted path is a real path in the reference graph with that cost
            assert path_cost(g, seq) == pytest.approx(ref, abs=1e-6)
            assert not blocked.ravel()[seq].any()


def test_corner_cutting_and_straight_line():
    risk = np.zeros((3, 3))
    blocked = np.zeros((3, 3), bool)
    blocked[0, 1] = True
    blocked[1, 0] = True
    g = lattice_graph(risk, blocked)
    # (0,0) is enclosed by two blocked orthogonal neighbours: no diagonal escape
    assert g[0].nnz == 0
    routes = route_hubs(lattice_graph(np.zeros((1, 5))), np.array([0, 4]))
    assert routes.cost[0, 1] == pytest.approx(4.0)
    assert routes.paths[(0, 1)].tolist() == [0, 1, 2, 3, 4]


def test_risk_weight_makes_detour():
    risk = np.zeros((5, 9))
    risk[1:, 4] = 100.0  # a wall of risk with a gap in row 0
    hubs = np.array([2 * 9 + 0, 2 * 9 + 8])
    short = route_hubs(lattice_graph(risk, None, 1.0, 0.0), hubs)
    safe = route_hubs(lattice_graph(risk, None, 1.0, 1.0), hubs)
    assert short.cost[0, 1] == pytest.approx(8.0)
    cells = safe.paths[(0, 1)]
    assert risk.ravel()[cells].max() == 0.0  # goes round through the gap


def test_cell_helpers_roundtrip():
    tr = Affine(10, 0, 1000, 0, -10, 2000)
    nodes = np.array([0, 5, 17, 29])
    xy = cell_centres(nodes, tr, ncols=6)
    assert xy_to_cell(xy[:, 0], xy[:, 1], tr, (5, 6)).tolist() == nodes.tolist()
    assert xy_to_cell(np.array([0.0]), np.array([0.0]), tr, (5, 6)).tolist() == [-1]


def test_path_measures_match_graph_costs():
    rng = np.random.default_rng(3)
    risk = rng.uniform(0, 4, (9, 11))
    blocked = rng.random((9, 11)) < 0.15
    hubs = np.flatnonzero(~blocked.ravel())[[0, 20, -1]]
    w = 0.7
    routes = route_hubs(lattice_graph(risk, blocked, 10.0, w), hubs)
    keys = list(routes.paths)
    length, r = path_measures([routes.paths[k] for k in keys], risk, 10.0)
    ref = nx_lattice(risk, blocked, 10.0, w)
    ref0 = nx_lattice(risk, blocked, 10.0, 0.0)
    for n, k in enumerate(keys):
        p = [int(x) for x in routes.paths[k]]
        assert length[n] + w * r[n] == pytest.approx(nx.path_weight(ref, p, "weight"))
        assert length[n] == pytest.approx(nx.path_weight(ref0, p, "weight"))


def brute_force(lengths, risks):
    """(mean detour, total risk) of every combination of candidates."""
    det = lengths / lengths[0]
    out = []
    for combo in itertools.product(range(lengths.shape[0]), repeat=lengths.shape[1]):
        c = np.array(combo)
        cols = np.arange(len(c))
        out.append((det[c, cols].mean(), risks[c, cols].sum()))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_select_by_budget_is_lagrangian_optimal(seed):
    rng = np.random.default_rng(seed)
    m, p = 4, 5
    base = rng.uniform(500, 3000, p)
    lengths = np.vstack([base, base * rng.uniform(1.0, 1.6, (m - 1, p))])
    risks = np.vstack([rng.uniform(5, 20, p), rng.uniform(0, 15, (m - 1, p))])
    combos = brute_force(lengths, risks)
    for budget in (1.0, 1.05, 1.1, 1.2, 2.0):
        ch, mu = select_by_budget(lengths, risks, budget)
        cols = np.arange(p)
        mean = (lengths[ch, cols] / base).mean()
        total = risks[ch, cols].sum()
        assert mean <= budget + 1e-12 and mu >= 0
        # no combination is both at most as long (on average) and less risky
        assert all(r >= total - 1e-9 for d, r in combos if d <= mean + 1e-12)
    # a generous budget reaches the least risk of each pair
    ch, _ = select_by_budget(lengths, risks, 10.0)
    assert risks[ch, np.arange(p)].sum() == pytest.approx(risks.min(axis=0).sum())
    # budget 1: only shortest-length candidates
    ch, _ = select_by_budget(lengths, risks, 1.0)
    assert np.allclose(lengths[ch, np.arange(p)], base)


def test_select_by_budget_bad_input():
    with pytest.raises(AnalysisError, match="budget"):
        select_by_budget(np.ones((2, 3)), np.ones((2, 3)), 0.9)
    with pytest.raises(AnalysisError, match="shape"):
        select_by_budget(np.ones((2, 3)), np.ones((3, 3)), 1.1)


def test_reweight_shares_structure_and_matches_builder():
    rng = np.random.default_rng(7)
    risk = rng.uniform(0, 3, size=(9, 11))
    blocked = rng.random((9, 11)) < 0.2
    g_len = lattice_lengths(risk.shape, blocked, 5.0)
    for w in (0.0, 1e-6, 0.7, 10.0):
        g = reweight(g_len, risk, w)
        assert np.shares_memory(g.indptr, g_len.indptr)
        assert np.shares_memory(g.indices, g_len.indices)
        # equals the nx reference lattice edge by edge
        ref = nx_lattice(risk, blocked, 5.0, w)
        dense = g.toarray()
        assert g.nnz == 2 * ref.number_of_edges()
        for u, v, d in ref.edges(data=True):
            assert dense[u, v] == pytest.approx(d["weight"]) == dense[v, u]
        assert (abs(g - lattice_graph(risk, blocked, 5.0, w)) > 1e-12).nnz == 0
    with pytest.raises(AnalysisError):
        reweight(g_len, risk[:, :-1], 1.0)
