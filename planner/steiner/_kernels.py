"""Compiled (numba) inner loops of the Steiner local search: Kruskal, pruning, painting, walks."""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "chain_labels",
    "kruskal",
    "paint_tree",
    "painted_windows",
    "preorder",
    "prune_leaves",
    "subtree_sizes",
    "voronoi",
    "walk",
]


@njit(cache=True, nogil=True)
def _find(up: np.ndarray, x: int) -> int:
    """Root of ``x`` in the union-find forest ``up`` (with path compression)."""
    r = x
    while up[r] != r:
        r = up[r]
    while up[x] != r:
        nxt = up[x]
        up[x] = r
        x = nxt
    return r


@njit(cache=True, nogil=True)
def kruskal(eu: np.ndarray, ev: np.ndarray, ids: np.ndarray, n: int) -> np.ndarray:
    """Mask of ``ids`` (edge ids in increasing weight order) kept by Kruskal's algorithm.

    Parameters
    ----------
    eu, ev : numpy.ndarray
        End nodes of every edge of the instance.
    ids : numpy.ndarray
        Distinct edge ids, sorted by weight (ties: the order given).
    n : int
        Number of nodes.

    Returns
    -------
    numpy.ndarray
        Boolean mask over ``ids``: the minimum spanning forest for that strict order.
    """
    up = np.empty(n, dtype=np.int64)
    for e in ids:
        up[eu[e]] = eu[e]
        up[ev[e]] = ev[e]
    keep = np.zeros(ids.size, dtype=np.bool_)
    for i in range(ids.size):
        a, b = _find(up, eu[ids[i]]), _find(up, ev[ids[i]])
        if a != b:
            up[a] = b
            keep[i] = True
    return keep


@njit(cache=True, nogil=True)
def prune_leaves(eu: np.ndarray, ev: np.ndarray, ids: np.ndarray, term: np.ndarray) -> np.ndarray:
    """Mask of ``ids`` left after repeatedly deleting edges that end in a non-terminal leaf.

    Parameters
    ----------
    eu, ev : numpy.ndarray
        End nodes of every edge of the instance.
    ids : numpy.ndarray
        Distinct edge ids of a forest (or any edge set).
    term : numpy.ndarray
        Boolean terminal mask over the nodes.

    Returns
    -------
    numpy.ndarray
        Boolean mask over ``ids`` of the edges kept.
    """
    n = term.size
    deg = np.zeros(n, dtype=np.int64)
    for e in ids:
        deg[eu[e]] += 1
        deg[ev[e]] += 1
    start = np.zeros(n + 1, dtype=np.int64)  # incidence lists (CSR) of the edge set
    for v in range(n):
        start[v + 1] = start[v] + deg[v]
    fill = start[:-1].copy()
    inc = np.empty(2 * ids.size, dtype=np.int64)
    for i in range(ids.size):
        e = ids[i]
        inc[fill[eu[e]]] = i
        fill[eu[e]] += 1
        inc[fill[ev[e]]] = i
        fill[ev[e]] += 1
    alive = np.ones(ids.size, dtype=np.bool_)
    stack = np.empty(n, dtype=np.int64)
    top = 0
    for v in range(n):
        if deg[v] == 1 and not term[v]:
            stack[top] = v
            top += 1
    while top:
        top -= 1
        x = stack[top]
        if deg[x] != 1:
            continue
        for q in range(start[x], start[x + 1]):
            i = inc[q]
            if alive[i]:
                alive[i] = False
                y = eu[ids[i]] if ev[ids[i]] == x else ev[ids[i]]
                deg[x] = 0
                deg[y] -= 1
                if deg[y] == 1 and not term[y]:
                    stack[top] = y
                    top += 1
                break
    return alive


@njit(cache=True, nogil=True)
def walk(starts: np.ndarray, pred: np.ndarray, pkeys: np.ndarray, peid: np.ndarray) -> np.ndarray:
    """Distinct edge ids on the predecessor chains from ``starts`` back to their sources.

    Parameters
    ----------
    starts : numpy.ndarray
        Nodes to walk back from.
    pred : numpy.ndarray
        Predecessor per node (negative: none).
    pkeys, peid : numpy.ndarray
        Sorted ``u * n + v`` keys of the CSR entries and their edge ids.

    Returns
    -------
    numpy.ndarray
        Edge ids, each once, in the order walked.
    """
    n = pred.size
    seen = np.zeros(n, dtype=np.bool_)
    out = np.empty(n, dtype=np.int64)
    k = 0
    for s in starts:
        x = s
        while not seen[x]:
            seen[x] = True
            p = pred[x]
            if p < 0:
                break
            out[k] = peid[np.searchsorted(pkeys, x * n + p)]
            k += 1
            x = p
    return out[:k]


@njit(cache=True, nogil=True)
def subtree_sizes(par: np.ndarray) -> np.ndarray:
    """Subtree size per preorder position, given the parent position of positions ``1..``."""
    size = np.ones(par.size + 1, dtype=np.int64)
    for i in range(par.size, 0, -1):
        size[par[i - 1]] += size[i]
    return size


@njit(cache=True, nogil=True)
def paint_tree(ps: np.ndarray, pt: np.ndarray, cost: np.ndarray, par: np.ndarray) -> np.ndarray:
    """Paint each tree edge with the cheapest candidate whose tree route crosses it.

    Parameters
    ----------
    ps, pt : numpy.ndarray
        Preorder positions of each candidate's two tree ends, candidates in increasing cost.
    cost : numpy.ndarray
        Candidate costs (increasing).
    par : numpy.ndarray
        Parent position of preorder positions ``1..`` (position 0 is the root).

    Returns
    -------
    numpy.ndarray
        Per preorder position ``i >= 1``, the paint of the edge to its parent (inf: none);
        Tarjan-style union-find, each edge painted once, stopping when all are painted.
    """
    ntree = par.size + 1
    parent = np.zeros(ntree, dtype=np.int64)
    parent[1:] = par
    dep = np.zeros(ntree, dtype=np.int64)
    for i in range(1, ntree):
        dep[i] = dep[parent[i]] + 1
    up = np.arange(ntree)
    paint = np.full(ntree, np.inf)
    unpainted = ntree - 1
    for j in range(cost.size):
        if unpainted == 0:
            break
        u, v = _find(up, ps[j]), _find(up, pt[j])
        while u != v:
            if dep[u] < dep[v]:
                u, v = v, u
            paint[u] = cost[j]
            up[u] = parent[u]
            unpainted -= 1
            u = _find(up, u)
    return paint


@njit(cache=True, nogil=True)
def painted_windows(
    flagged: np.ndarray,
    by_path: np.ndarray,
    starts: np.ndarray,
    edge_pos: np.ndarray,
    paint: np.ndarray,
    w: np.ndarray,
) -> np.ndarray:
    """Mask of ``flagged`` key paths with a window whose largest paint is below its cost.

    Parameters
    ----------
    flagged : numpy.ndarray
        Key path ids to test.
    by_path, starts : numpy.ndarray
        Tree edges grouped by key path (``by_path[starts[p]:starts[p + 1]]``).
    edge_pos : numpy.ndarray
        Preorder position of each tree edge's child end (sorts a key path into path order).
    paint, w : numpy.ndarray
        Paint and weight of each tree edge.

    Returns
    -------
    numpy.ndarray
        Boolean mask over ``flagged``.
    """
    keep = np.zeros(flagged.size, dtype=np.bool_)
    for f in range(flagged.size):
        p = flagged[f]
        sl = by_path[starts[p] : starts[p + 1]]
        sl = sl[np.argsort(edge_pos[sl], kind="mergesort")]
        L = sl.size
        cum = np.zeros(L + 1)
        for j in range(L):
            cum[j + 1] = cum[j] + w[sl[j]]
        for i in range(L):
            top = -np.inf
            for j in range(i, L):
                top = max(top, paint[sl[j]])
                if top < cum[j + 1] - cum[i]:
                    keep[f] = True
                    break
            if keep[f]:
                break
    return keep


@njit(cache=True, nogil=True)
def chain_labels(a: np.ndarray, b: np.ndarray, internal: np.ndarray) -> tuple[np.ndarray, int]:
    """Label the chains of ``internal`` nodes joined by the edges ``(a[i], b[i])``.

    Parameters
    ----------
    a, b : numpy.ndarray
        End nodes of the edges between two internal nodes.
    internal : numpy.ndarray
        Boolean mask over the nodes.

    Returns
    -------
    labels : numpy.ndarray
        Chain id per node (-1 for the others); chains are numbered in the order of their
        smallest node (as ``scipy.sparse.csgraph.connected_components`` labels them).
    count : int
        Number of chains.
    """
    n = internal.size
    up = np.arange(n)
    for i in range(a.size):
        x, y = _find(up, a[i]), _find(up, b[i])
        if x != y:
            up[max(x, y)] = min(x, y)
    labels = np.full(n, -1, dtype=np.int64)
    count = 0
    for v in range(n):
        if internal[v]:
            r = _find(up, v)
            if labels[r] < 0:
                labels[r] = count
                count += 1
            labels[v] = labels[r]
    return labels, count


@njit(cache=True, nogil=True)
def voronoi(
    indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, sources: np.ndarray, limit: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Multi-source Dijkstra (binary heap): distance, predecessor and nearest source per node.

    Parameters
    ----------
    indptr, indices, data : numpy.ndarray
        CSR arrays of the (symmetric) non-negative graph.
    sources : numpy.ndarray
        Source nodes (distance 0, their own source).
    limit : float
        Nodes farther than this stay unreached.

    Returns
    -------
    dist, pred, src : numpy.ndarray
        As ``scipy.sparse.csgraph.dijkstra(min_only=True, return_predecessors=True)``:
        ``inf`` and ``-9999`` for nodes not reached; a node's predecessor and source are
        set by the first strict improvement of its distance.
    """
    n = indptr.size - 1
    dist = np.full(n, np.inf)
    pred = np.full(n, -9999, dtype=np.int64)
    src = np.full(n, -9999, dtype=np.int64)
    cap = indices.size + sources.size + 1
    keys = np.empty(cap)
    nodes = np.empty(cap, dtype=np.int64)
    size = 0
    for s in sources:
        if dist[s] > 0.0:
            dist[s] = 0.0
            src[s] = s
            size = _heap_push(keys, nodes, size, 0.0, s)
    done = np.zeros(n, dtype=np.bool_)
    while size:
        d, x = keys[0], nodes[0]
        size = _heap_pop(keys, nodes, size)
        if done[x]:
            continue
        done[x] = True
        for k in range(indptr[x], indptr[x + 1]):
            y = indices[k]
            nd = d + data[k]
            if nd < dist[y] and nd <= limit and not done[y]:
                dist[y] = nd
                pred[y] = x
                src[y] = src[x]
                size = _heap_push(keys, nodes, size, nd, y)
    return dist, pred, src


@njit(cache=True, nogil=True)
def _heap_push(keys: np.ndarray, nodes: np.ndarray, size: int, key: float, node: int) -> int:
    """Add ``(key, node)`` to the binary min-heap of ``size`` entries; return the new size."""
    i = size
    while i > 0:
        p = (i - 1) >> 1
        if keys[p] <= key:
            break
        keys[i], nodes[i] = keys[p], nodes[p]
        i = p
    keys[i], nodes[i] = key, node
    return size + 1


@njit(cache=True, nogil=True)
def _heap_pop(keys: np.ndarray, nodes: np.ndarray, size: int) -> int:
    """Remove the root of the binary min-heap of ``size`` entries; return the new size."""
    size -= 1
    key, node, i = keys[size], nodes[size], 0
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        if c + 1 < size and keys[c + 1] < keys[c]:
            c += 1
        if key <= keys[c]:
            break
        keys[i], nodes[i] = keys[c], nodes[c]
        i = c
    keys[i], nodes[i] = key, node
    return size


@njit(cache=True, nogil=True)
def preorder(indptr: np.ndarray, nbr: np.ndarray, root: int) -> tuple[np.ndarray, np.ndarray]:
    """Depth-first preorder of the tree reachable from ``root`` and each node's parent.

    Parameters
    ----------
    indptr, nbr : numpy.ndarray
        Adjacency lists (CSR) of the tree; a node's children are visited in list order.
    root : int
        Start node.

    Returns
    -------
    order, parent : numpy.ndarray
        Nodes in preorder; parent per node (-9999 for the root and unreached nodes).
    """
    n = indptr.size - 1
    seen = np.zeros(n, dtype=np.bool_)
    order = np.empty(n, dtype=np.int64)
    parent = np.full(n, -9999, dtype=np.int64)
    stack = np.empty(n, dtype=np.int64)
    nxt = indptr[:-1].copy()
    seen[root] = True
    order[0], stack[0] = root, root
    k, top = 1, 1
    while top:
        x = stack[top - 1]
        while nxt[x] < indptr[x + 1] and seen[nbr[nxt[x]]]:
            nxt[x] += 1
        if nxt[x] == indptr[x + 1]:
            top -= 1
            continue
        y = nbr[nxt[x]]
        seen[y] = True
        parent[y] = x
        order[k], stack[top] = y, y
        k += 1
        top += 1
    return order[:k], parent
