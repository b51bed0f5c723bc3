"""The compiled Steiner kernels against scipy / plain-Python oracles on random graphs."""

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import (
    connected_components,
    depth_first_order,
    dijkstra,
    minimum_spanning_tree,
)

from planner._csgraph import cheapest_edges, symmetric_csr
from planner.steiner._kernels import (
    chain_labels,
    kruskal,
    painted_windows,
    preorder,
    prune_leaves,
    voronoi,
    walk,
)


def _graph(seed: int, n: int = 60, m: int = 150, ties: bool = False):
    """Random simple graph: (eu < ev, weights, CSR matrix, edge id per CSR entry)."""
    rng = np.random.default_rng(seed)
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)
    w = rng.integers(0, 4, m).astype(float) if ties else rng.uniform(0.0, 10.0, m)
    eu, ev, ew, _ = cheapest_edges(u, v, w)
    A, eid = symmetric_csr(eu, ev, ew, n, return_order=True)
    return eu, ev, ew, A, eid


@pytest.mark.parametrize("seed", range(8))
def test_voronoi_matches_scipy_min_only_dijkstra(seed):
    eu, ev, ew, A, _ = _graph(seed)
    rng = np.random.default_rng(seed)
    sources = rng.choice(A.shape[0], 5, replace=False)
    for limit in (np.inf, 4.0):
        d, p, s = voronoi(A.indptr, A.indices, A.data, sources.astype(np.int64), limit)
        D, P, S = dijkstra(
            A, directed=True, indices=sources, min_only=True, return_predecessors=True, limit=limit
        )
        np.testing.assert_array_equal(d, D)
        np.testing.assert_array_equal(p, P)
        np.testing.assert_array_equal(s, S)


@pytest.mark.parametrize("seed", range(8))
def test_kruskal_is_scipys_mst_on_the_weight_order(seed):
    eu, ev, ew, _, _ = _graph(seed, ties=True)
    ids = np.argsort(ew, kind="stable")
    mine = set(ids[kruskal(eu, ev, ids, 60)].tolist())
    rank = np.empty(ids.size)
    rank[ids] = np.arange(1, ids.size + 1)
    F = minimum_spanning_tree(sp.csr_matrix((rank, (eu, ev)), shape=(60, 60)))
    assert mine == set(ids[F.data.astype(np.int64) - 1].tolist())


def _prune_rounds(eu, ev, ids, term):
    """Oracle: delete every edge ending in a non-terminal leaf, round after round."""
    ids = list(ids)
    while True:
        deg = np.bincount(np.concatenate([eu[ids], ev[ids]]), minlength=term.size)
        leaf = (deg == 1) & ~term
        bad = {e for e in ids if leaf[eu[e]] or leaf[ev[e]]}
        if not bad:
            return set(ids)
        ids = [e for e in ids if e not in bad]


@pytest.mark.parametrize("seed", range(8))
def test_prune_leaves_matches_round_by_round_pruning(seed):
    eu, ev, ew, _, _ = _graph(seed, m=80)
    term = np.random.default_rng(seed).random(60) < 0.15
    ids = np.arange(eu.size)
    got = set(ids[prune_leaves(eu, ev, ids, term)].tolist())
    assert got == _prune_rounds(eu, ev, ids, term)


@pytest.mark.parametrize("seed", range(6))
def test_walk_collects_every_predecessor_edge(seed):
    eu, ev, ew, A, eid = _graph(seed)
    _, pred = dijkstra(A, directed=True, indices=0, return_predecessors=True)
    n = A.shape[0]
    rows = np.repeat(np.arange(n), np.diff(A.indptr))
    pkeys = rows * n + A.indices
    starts = np.arange(0, n, 7, dtype=np.int64)
    got = walk(starts, pred, pkeys, eid)
    want = set()
    for s in starts.tolist():
        x = s
        while pred[x] >= 0:
            a, b = sorted((x, int(pred[x])))
            want.add(int(np.flatnonzero((eu == a) & (ev == b))[0]))
            x = int(pred[x])
    assert got.size == len(want) and set(got.tolist()) == want


@pytest.mark.parametrize("seed", range(6))
def test_preorder_is_scipys_depth_first_order(seed):
    T = nx.random_labeled_tree(50, seed=seed)
    a = np.array([min(e) for e in T.edges], dtype=np.int64)
    b = np.array([max(e) for e in T.edges], dtype=np.int64)
    rows, cols = np.concatenate([a, b]), np.concatenate([b, a])
    later = np.repeat(np.array([0, 1]), a.size)
    nbr = cols[np.lexsort((cols, later, rows))]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=50))])
    order, parent = preorder(indptr, nbr, 3)
    M = sp.csr_matrix((np.ones(a.size), (a, b)), shape=(50, 50))
    want, P = depth_first_order(M, 3, directed=False)
    np.testing.assert_array_equal(order, want)
    np.testing.assert_array_equal(parent[want], P[want])


@pytest.mark.parametrize("seed", range(6))
def test_chain_labels_number_components_by_smallest_node(seed):
    eu, ev, _, _, _ = _graph(seed, m=50)
    internal = np.random.default_rng(seed).random(60) < 0.6
    both = internal[eu] & internal[ev]
    labels, count = chain_labels(eu[both], ev[both], internal)
    M = sp.csr_matrix((np.ones(int(both.sum())), (eu[both], ev[both])), shape=(60, 60))
    _, lab = connected_components(M, directed=False)
    ids, want = np.unique(lab[internal], return_inverse=True)
    assert count == ids.size
    np.testing.assert_array_equal(labels[internal], want)
    assert (labels[~internal] == -1).all()


def test_painted_windows_matches_the_plain_window_test():
    rng = np.random.default_rng(5)
    sizes = rng.integers(1, 6, 30)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    E = int(starts[-1])
    by_path = rng.permutation(E)
    edge_pos = rng.permutation(E) + 1
    paint, w = rng.uniform(0, 10, E), rng.uniform(0, 4, E)
    flagged = np.arange(sizes.size)
    got = painted_windows(flagged, by_path, starts, edge_pos, paint, w)
    for p in flagged:
        sl = by_path[starts[p] : starts[p + 1]]
        sl = sl[np.argsort(edge_pos[sl])]
        want = any(
            max(paint[sl[i : j + 1]]) < w[sl[i : j + 1]].sum()
            for i in range(sl.size)
            for j in range(i, sl.size)
        )
        assert bool(got[p]) == want
