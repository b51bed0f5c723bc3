"""A Steiner-tree instance in CSR arrays with the Mehlhorn heuristic and local search."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import (
    connected_components,
    dijkstra,
)

from planner._csgraph import cheapest_edges, symmetric_csr
from planner.errors import AnalysisError
from planner.steiner._kernels import (
    chain_labels,
    kruskal,
    paint_tree,
    painted_windows,
    preorder,
    prune_leaves,
    subtree_sizes,
    voronoi,
    walk,
)

__all__ = ["NO_PRED", "Problem", "is_number", "tree_cost"]

NO_PRED = -9999  # scipy.sparse.csgraph's "no predecessor / no source" marker


def _edge_arrays(
    G: nx.Graph, weight: str
) -> tuple[list, dict, list, np.ndarray, np.ndarray, np.ndarray]:
    """Nodes, node index, raw edges ``(u, v, key, data)`` and index/weight arrays of ``G``.

    Raises
    ------
    AnalysisError
        An edge has no, a non-numeric, a negative or a non-finite ``weight``.
    """
    nodes = list(G.nodes)
    idx = {node: i for i, node in enumerate(nodes)}
    if G.is_multigraph():
        raw = list(G.edges(keys=True, data=True))
    else:
        raw = [(u, v, None, d) for u, v, d in G.edges(data=True)]
    m0 = len(raw)
    u = np.fromiter((idx[e[0]] for e in raw), dtype=np.int64, count=m0)
    v = np.fromiter((idx[e[1]] for e in raw), dtype=np.int64, count=m0)
    try:
        w = np.fromiter((e[3][weight] for e in raw), dtype=np.float64, count=m0)
    except KeyError:
        bad = next(e for e in raw if weight not in e[3])
        raise AnalysisError(f"edge ({bad[0]!r}, {bad[1]!r}) has no {weight!r} attribute") from None
    except (TypeError, ValueError):
        bad = next(e for e in raw if not is_number(e[3][weight]))
        raise AnalysisError(
            f"edge ({bad[0]!r}, {bad[1]!r}) has non-numeric {weight!r}={bad[3][weight]!r}"
        ) from None
    badmask = ~(w >= 0) | ~np.isfinite(w)
    if badmask.any():
        e = raw[int(np.flatnonzero(badmask)[0])]
        raise AnalysisError(
            f"edge ({e[0]!r}, {e[1]!r}) has invalid {weight!r}={e[3][weight]!r}; "
            "weights must be finite and >= 0"
        )
    return nodes, idx, raw, u, v, w


def _node_indices(
    idx: dict, terminals: Iterable, roots: Iterable | None
) -> tuple[list[int], list[int]]:
    """Return the terminals' indices (in the order given) and the distinct roots' (sorted).

    Raises
    ------
    AnalysisError
        A terminal or root is not a node of the graph.
    """
    try:
        term_idx = [idx[t] for t in terminals]
    except KeyError as exc:
        raise AnalysisError(f"terminal {exc.args[0]!r} is not a node of the graph") from None
    root_idx: list[int] = []
    if roots is not None:
        try:
            root_idx = sorted({idx[r] for r in roots})
        except KeyError as exc:
            raise AnalysisError(f"root {exc.args[0]!r} is not a node of the graph") from None
    return term_idx, root_idx


@dataclass(frozen=True)
class _KeyPathTree:
    """A tree rooted at its first terminal, with its key paths indexed for exchanges.

    ``pid``/``pcost``/``pa``/``pb``: key path of each tree edge, cost and end nodes of each
    path (:meth:`Problem.segments`); ``order``/``pre``: DFS preorder and each node's position
    in it (-1 off the tree); ``par``: parent position of positions ``1..``; ``size``:
    subtree size per position; ``edge_pos``: position of each edge's child end; ``by_path``
    and ``starts``: tree edges grouped by key path (``by_path[starts[p]:starts[p + 1]]``).
    """

    eids: np.ndarray
    pid: np.ndarray
    pcost: np.ndarray
    pa: np.ndarray
    pb: np.ndarray
    order: np.ndarray
    pre: np.ndarray
    par: np.ndarray
    size: np.ndarray
    edge_pos: np.ndarray
    by_path: np.ndarray
    starts: np.ndarray


class Problem:
    """A weighted street graph reduced to integer arrays plus a CSR matrix.

    The graph is treated as undirected; parallel and anti-parallel edges collapse onto the
    cheapest one, whose original ``(u, v, key, data)`` is remembered for the output tree. If
    roots are given, a virtual super-root (index ``n - 1``) is joined to every root by a
    zero-cost edge, so "connect every terminal to some root" becomes a plain Steiner tree
    problem with the super-root as an extra terminal.
    """

    def __init__(self, G: nx.Graph, terminals: Iterable, roots: Iterable | None, weight: str):
        self.G = G
        self.weight = weight
        nodes, idx, raw, u, v, w = _edge_arrays(G, weight)
        self.labels = nodes
        self.raw = raw
        orig = np.arange(len(raw), dtype=np.int64)
        n = len(nodes)
        term_idx, root_idx = _node_indices(idx, terminals, roots)
        self.has_root = bool(root_idx)
        self.super_root = n if self.has_root else -1
        if self.has_root:  # virtual super-root joined to every root at zero cost
            k = len(root_idx)
            u = np.concatenate([u, np.full(k, n, dtype=np.int64)])
            v = np.concatenate([v, np.asarray(root_idx, dtype=np.int64)])
            w = np.concatenate([w, np.zeros(k)])
            orig = np.concatenate([orig, np.full(k, -1, dtype=np.int64)])
            term_idx.append(n)
            n += 1
        self.n = n
        self._index_edges(u, v, w)
        self.orig = orig[self.keep]
        self.terms, self.unreachable = self._reachable_terminals(term_idx)
        self.term_mask = np.zeros(n, dtype=bool)
        self.term_mask[self.terms] = True

    def _index_edges(self, u: np.ndarray, v: np.ndarray, w: np.ndarray) -> None:
        """Collapse edges to the cheapest per node pair and index them in a symmetric CSR."""
        n = self.n
        self.eu, self.ev, self.ew, self.keep = cheapest_edges(u, v, w)
        self.m = self.eu.size
        # symmetric CSR so that zero-cost edges stay explicit entries
        self.A, eid = symmetric_csr(self.eu, self.ev, self.ew, n, return_order=True)
        rows = np.repeat(np.arange(n), np.diff(self.A.indptr))
        self.pkeys = rows * n + self.A.indices  # sorted, for (u, v) -> edge id lookups
        self.peid = eid

    def _part(self, nodes: np.ndarray, eids: np.ndarray) -> tuple[Problem, np.ndarray]:
        """Return the sub-instance on ``nodes`` (sorted) and edges ``eids``, and its edge ids.

        The ids map the sub-instance's edges to ours. Only what the heuristic needs is set
        (no labels or original edges); its terminals are ours among ``nodes``.
        """
        loc = np.full(self.n, -1, dtype=np.int64)
        loc[nodes] = np.arange(nodes.size)
        sub = Problem.__new__(Problem)
        sub.n = int(nodes.size)
        sub._index_edges(loc[self.eu[eids]], loc[self.ev[eids]], self.ew[eids])
        sub.terms = loc[self.terms[loc[self.terms] >= 0]]
        sub.term_mask = np.zeros(sub.n, dtype=bool)
        sub.term_mask[sub.terms] = True
        return sub, eids[sub.keep]

    def parts(self) -> list[tuple[Problem, np.ndarray]]:
        """Independent sub-instances: the street components that hold terminals.

        With roots, the super-root is the only link between street components, so the
        optimal forest is the union of each component's optimum (with its roots joined to
        a copy of the super-root). Returns ``(sub-instance, its edge ids -> ours)`` per
        component with a terminal other than the super-root; ``[(self, all ids)]`` when
        there is one (or no roots).
        """
        everything = [(self, np.arange(self.m))]
        if not self.has_root or self.terms.size <= 2:
            return everything
        sr = self.super_root
        street = np.flatnonzero((self.eu != sr) & (self.ev != sr))
        M = sp.csr_matrix(
            (np.ones(street.size), (self.eu[street], self.ev[street])), shape=(self.n, self.n)
        )
        _, comp = connected_components(M, directed=False)
        comp[sr] = -1
        tcomp = np.unique(comp[self.terms[self.terms != sr]])
        if tcomp.size <= 1:
            return everything
        ecomp = np.where(self.eu == sr, comp[self.ev], comp[self.eu])
        by_e = np.argsort(ecomp, kind="stable")
        by_n = np.argsort(comp, kind="stable")
        e_sorted, n_sorted = ecomp[by_e], comp[by_n]
        out = []
        for c in tcomp.tolist():
            eids = by_e[np.searchsorted(e_sorted, c) : np.searchsorted(e_sorted, c, side="right")]
            nodes = by_n[np.searchsorted(n_sorted, c) : np.searchsorted(n_sorted, c, side="right")]
            out.append(self._part(np.sort(np.append(nodes, sr)), np.sort(eids)))
        return out

    def _reachable_terminals(self, term_idx: list[int]) -> tuple[np.ndarray, list]:
        """Split terminals into those the tree can join and the labels of the others.

        Kept: terminals in the super-root's component, or, without roots, in the component
        holding most terminals (ties: the first terminal given).
        """
        terms = np.unique(np.asarray(term_idx, dtype=np.int64))
        if not terms.size:
            return terms, []
        ncomp, comp = connected_components(self.A, directed=False)
        if self.has_root:
            best = comp[self.super_root]
        else:
            counts = np.bincount(comp[terms], minlength=ncomp)
            first_t = comp[term_idx[0]]
            best = first_t if counts[first_t] == counts.max() else int(np.argmax(counts))
        ok = comp[terms] == best
        return terms[ok], [self.labels[i] for i in terms[~ok]]

    # ----------------------------------------------------------------- helpers
    def terminal_component_edges(self) -> np.ndarray:
        """Edge ids of the connected component holding the (reachable) terminals."""
        if not self.terms.size:
            return np.zeros(0, dtype=np.int64)
        _, comp = connected_components(self.A, directed=False)
        return np.flatnonzero(comp[self.eu] == comp[self.terms[0]])

    def voronoi(
        self, sources: np.ndarray, limit: float = np.inf
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Distance, predecessor and nearest source per node from ``sources`` (up to ``limit``).

        The compiled multi-source Dijkstra (:func:`planner.steiner._kernels.voronoi`); same
        outputs as scipy's ``dijkstra(min_only=True)`` without its per-call validation.
        """
        A = self.A
        return voronoi(A.indptr, A.indices, A.data, np.asarray(sources, dtype=np.int64), limit)

    def distinct(self, eids: np.ndarray) -> np.ndarray:
        """Sorted distinct edge ids (``np.unique`` through a mask: faster for these sizes)."""
        mask = np.zeros(self.m, dtype=bool)
        mask[eids] = True
        return np.flatnonzero(mask)

    def cost(self, eids: np.ndarray) -> float:
        """Total weight of a set of edge ids."""
        return float(self.ew[eids].sum())

    def walk(self, starts: np.ndarray, pred: np.ndarray) -> np.ndarray:
        """Edge ids on the predecessor chains from ``starts`` back to their sources."""
        return walk(np.asarray(starts, dtype=np.int64), pred, self.pkeys, self.peid)

    def mst(self, eids: np.ndarray) -> np.ndarray:
        """Minimum spanning forest of the subgraph made of edge ids ``eids``.

        Kruskal on the edges sorted by weight (stable: ties keep edge-id order), so the
        forest is the unique MST of that strict order (the one scipy's MST returns on the
        weight ranks). Returned in that order.
        """
        eids = self.distinct(eids)
        if eids.size == 0:
            return eids
        eids = eids[np.argsort(self.ew[eids], kind="stable")]
        return eids[kruskal(self.eu, self.ev, eids, self.n)]

    def prune(self, eids: np.ndarray) -> np.ndarray:
        """Repeatedly drop edges that end in a non-terminal leaf (sorted edge ids)."""
        eids = self.distinct(eids)
        return eids[prune_leaves(self.eu, self.ev, eids, self.term_mask)]

    def connects_all(self, eids: np.ndarray) -> bool:
        """Return True if the forest ``eids`` is one tree holding every terminal.

        Every caller passes an MST output (acyclic): a forest with ``k`` edges is one tree
        iff it has ``k + 1`` nodes, so no connected-components matrix is built.
        """
        if self.terms.size <= 1:
            return True
        nodes = self.nodes_of(eids)
        return nodes.size == eids.size + 1 and int(self.term_mask[nodes].sum()) == self.terms.size

    def nodes_of(self, eids: np.ndarray) -> np.ndarray:
        """Sorted unique node indices touched by edges ``eids``."""
        mask = np.zeros(self.n, dtype=bool)
        mask[self.eu[eids]] = True
        mask[self.ev[eids]] = True
        return np.flatnonzero(mask)

    # ------------------------------------------------------------ construction
    def mehlhorn(self) -> np.ndarray:
        """Mehlhorn's 2-approximation: Voronoi regions -> terminal MST -> expand paths."""
        terms = self.terms
        dist, pred, src = self.voronoi(terms)
        su, sv = src[self.eu], src[self.ev]
        bnd = np.flatnonzero((su >= 0) & (sv >= 0) & (su != sv))
        d = dist[self.eu[bnd]] + self.ew[bnd] + dist[self.ev[bnd]]
        a, b = np.minimum(su[bnd], sv[bnd]), np.maximum(su[bnd], sv[bnd])
        order = np.lexsort((d, b, a))
        a, b, bnd = a[order], b[order], bnd[order]
        first = np.ones(a.size, dtype=bool)
        first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
        a, b, bnd, d = a[first], b[first], bnd[first], d[order][first]
        pos = np.searchsorted(terms, np.concatenate([a, b]))
        order = np.argsort(d, kind="stable")
        chosen = bnd[order[kruskal(pos[: a.size], pos[a.size :], order, terms.size)]]
        starts = np.concatenate([self.eu[chosen], self.ev[chosen]])
        eids = np.concatenate([chosen, self.walk(starts, pred)])
        return self.prune(self.mst(eids))

    def three_terminal_tree(self) -> np.ndarray:
        """Return the optimal tree of three terminals: shortest paths to their best median.

        With non-negative weights an optimal Steiner tree of three terminals is the union of
        the shortest paths from some node ``v`` to each of them (``v`` minimises the sum of
        the three distances); MST + pruning removes any cycle that overlapping paths close.
        """
        dist, pred = dijkstra(self.A, directed=True, indices=self.terms, return_predecessors=True)
        v = np.array([int(np.argmin(dist.sum(axis=0)))])
        paths = [self.walk(v, pred[i]) for i in range(self.terms.size)]
        return self.prune(self.mst(np.concatenate(paths)))

    # ------------------------------------------------------------ local search
    def induced_mst(self, eids: np.ndarray) -> np.ndarray:
        """MST of the subgraph induced by the tree's nodes, then leaf pruning."""
        mask = np.zeros(self.n, dtype=bool)
        mask[self.nodes_of(eids)] = True
        ind = np.flatnonzero(mask[self.eu] & mask[self.ev])
        return self.prune(self.mst(ind))

    def segments(self, eids: np.ndarray, internal: np.ndarray) -> tuple[np.ndarray, ...]:
        """Split tree edges into segments through ``internal`` (degree-2) nodes.

        Returns per-edge segment id, per-segment cost and the two end nodes of each segment.
        """
        tu, tv, tw = self.eu[eids], self.ev[eids], self.ew[eids]
        iu, iv = internal[tu], internal[tv]
        both, direct = iu & iv, ~iu & ~iv
        # segments: chains of unmarked degree-2 nodes between marked nodes
        seg_of_node, nchain = chain_labels(tu[both], tv[both], internal)
        pid = np.empty(eids.size, dtype=np.int64)
        inner = np.where(iu, tu, tv)
        pid[~direct] = seg_of_node[inner[~direct]]
        ndirect = int(direct.sum())
        pid[direct] = nchain + np.arange(ndirect)
        nseg = nchain + ndirect
        pcost = np.bincount(pid, weights=tw, minlength=nseg)
        pa = np.empty(nseg, dtype=np.int64)
        pb = np.empty(nseg, dtype=np.int64)
        pa[nchain:], pb[nchain:] = tu[direct], tv[direct]
        li = np.flatnonzero(iu ^ iv)
        li = li[np.argsort(pid[li], kind="stable")]  # exactly two link edges per chain
        outer = np.where(iu, tv, tu)
        pa[pid[li[0::2]]], pb[pid[li[1::2]]] = outer[li[0::2]], outer[li[1::2]]
        return pid, pcost, pa, pb

    def _coverable(self, kp: _KeyPathTree) -> np.ndarray:
        """Key paths that some Voronoi candidate cheaper than the path could replace.

        An improving reconnection ``R`` of key path ``P`` has an edge ``(x, y)`` where the
        Voronoi base (nearest tree node) switches sides, and ``c(R) >=
        dist[x] + w + dist[y]``; the tree route between the two bases crosses ``P``. So only
        paths covered by a candidate with that bound below ``c(P)`` are worth an exact
        Dijkstra. Cover minima come from Tarjan-style union-find "painting" of tree edges
        in increasing candidate cost (each edge painted once). Tree edges themselves are not
        candidates, so this is a (very effective) filter rather than a proof.
        """
        eids, order, pre = kp.eids, kp.order, kp.pre
        edge_pos, pid, pcost = kp.edge_pos, kp.pid, kp.pcost
        dist, _, src = self.voronoi(order)
        tmask = np.zeros(self.m, dtype=bool)
        tmask[eids] = True
        su, sv = src[self.eu], src[self.ev]
        bnd = np.flatnonzero((su >= 0) & (sv >= 0) & (su != sv) & ~tmask)
        d = dist[self.eu[bnd]] + self.ew[bnd] + dist[self.ev[bnd]]
        ok = d < pcost.max()
        bnd, d = bnd[ok], d[ok]
        srt = np.argsort(d, kind="stable")
        paint = paint_tree(pre[su[bnd[srt]]], pre[sv[bnd[srt]]], d[srt], kp.par)
        paint_e = paint[edge_pos]
        cover = np.full(pcost.size, np.inf)
        np.minimum.at(cover, pid, paint_e)
        flagged = np.flatnonzero(cover < pcost - 1e-9 * np.maximum(1.0, pcost))
        return self._painted_windows(kp, paint_e, flagged)

    def _painted_windows(
        self, kp: _KeyPathTree, paint: np.ndarray, flagged: np.ndarray
    ) -> np.ndarray:
        """Keep the key paths with a window (sub-path) ``W`` whose largest paint is below ``c(W)``.

        An improving reconnection of key path ``P`` replaces a window ``W`` of ``P`` (all of
        it, or the part past where it leaves ``P``'s interior) by an off-tree path ``Q``,
        ``c(Q) < c(W)``. ``Q`` crosses the cut of every edge ``e`` of ``W``, so a candidate of
        bound ``<= c(Q)`` covers ``e``: ``paint[e] <= c(Q)`` for all ``e`` in ``W``. The test
        is thus as safe as the cover test (which only asks ``min paint < c(P)``) and flags far
        fewer paths. ``paint`` is aligned with ``kp.eids``; a key path is vertical in the
        rooted tree, so its edges sorted by child position are in path order.
        """
        keep = painted_windows(flagged, kp.by_path, kp.starts, kp.edge_pos, paint, self.ew[kp.eids])
        return flagged[keep]

    def key_nodes(self, eids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nodes of the tree ``eids`` (terminals included) and its key nodes among them.

        Key nodes are terminals and Steiner nodes of degree >= 3; key paths join them.
        """
        n = self.n
        deg = np.bincount(self.eu[eids], minlength=n) + np.bincount(self.ev[eids], minlength=n)
        in_tree = deg > 0
        in_tree[self.terms] = True
        return in_tree, in_tree & (self.term_mask | (deg >= 3))

    def _preorder(self, eids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """DFS preorder of the tree ``eids`` from the first terminal, and parents.

        The order of scipy's ``depth_first_order(directed=False)`` on the matrix of the
        edges ``(eu, ev)``, ``eu < ev``: a node's larger neighbours first, then its smaller
        ones, each ascending.
        """
        tu, tv = self.eu[eids], self.ev[eids]
        rows, cols = np.concatenate([tu, tv]), np.concatenate([tv, tu])
        later = np.repeat(np.array([0, 1], dtype=np.int8), eids.size)  # smaller ones later
        nbr = cols[np.lexsort((cols, later, rows))]
        indptr = np.zeros(self.n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=self.n), out=indptr[1:])
        return preorder(indptr, nbr, int(self.terms[0]))

    def _key_path_tree(self, eids: np.ndarray) -> _KeyPathTree:
        """Root the tree at the first terminal and index its key paths (see _KeyPathTree)."""
        n = self.n
        in_tree, key = self.key_nodes(eids)
        pid, pcost, pa, pb = self.segments(eids, in_tree & ~key)
        order, parent = self._preorder(eids)
        pre = np.full(n, -1, dtype=np.int64)
        pre[order] = np.arange(order.size)
        par = pre[parent[order[1:]]]
        by_path = np.argsort(pid, kind="stable")
        return _KeyPathTree(
            eids=eids,
            pid=pid,
            pcost=pcost,
            pa=pa,
            pb=pb,
            order=order,
            pre=pre,
            par=par,
            size=subtree_sizes(par),
            edge_pos=np.maximum(pre[self.eu[eids]], pre[self.ev[eids]]),
            by_path=by_path,
            starts=np.searchsorted(pid[by_path], np.arange(pcost.size + 1)),
        )

    def _cheaper_reconnection(
        self, kp: _KeyPathTree, p: int, c: float
    ) -> tuple[float, int, np.ndarray] | None:
        """Cheapest path under ``c`` joining the two sides of key path ``p`` (None if none).

        One Dijkstra bounded by ``c`` from the smaller side (the deeper key end's subtree,
        a preorder slice, or the rest of the tree without ``p``'s internal nodes).
        """
        order, pre, ntree = kp.order, kp.pre, kp.order.size
        b = max(pre[kp.pa[p]], pre[kp.pb[p]])  # deeper key end: its subtree is one side
        lo, hi = b, b + kp.size[b]
        inner = kp.edge_pos[kp.by_path[kp.starts[p] : kp.starts[p + 1]]]
        inner = inner[inner != b]  # preorder positions of P's internal nodes
        sub_small = 2 * (hi - lo) <= ntree - inner.size
        if sub_small:
            srcs = order[lo:hi]
        else:
            keep = np.ones(ntree, dtype=bool)
            keep[lo:hi] = False
            keep[inner] = False
            srcs = order[keep]
        dist, pred, _ = self.voronoi(srcs, limit=c)
        reached = np.flatnonzero(dist < c - 1e-9 * max(1.0, c))
        q = pre[reached]
        if sub_small:  # targets: tree nodes outside the subtree and off P
            off = np.ones(ntree + 1, dtype=bool)  # position -1 (off the tree) maps to the end
            off[inner] = False
            ok = (q >= 0) & ((q < lo) | (q >= hi)) & off[q]
        else:  # targets: the subtree
            ok = (q >= lo) & (q < hi)
        if not ok.any():
            return None
        cand = reached[ok]
        j = cand[np.argmin(dist[cand])]
        return (c - dist[j], p, self.walk(np.array([j]), pred))

    def _apply_exchanges(
        self,
        eids: np.ndarray,
        kp: _KeyPathTree,
        found: list[tuple[float, int, np.ndarray]],
        deadline: float,
    ) -> tuple[np.ndarray, bool]:
        """Apply exchanges in order of gain while valid: ``P`` intact, cheaper, connected."""
        applied = False
        found.sort(key=lambda x: -x[0])
        for _, p, path in found:
            if time.perf_counter() > deadline:
                break
            pe = kp.eids[kp.by_path[kp.starts[p] : kp.starts[p + 1]]]
            mask = np.zeros(self.m, dtype=bool)
            mask[eids] = True
            if not mask[pe].all():
                continue
            mask[pe] = False
            rest = np.flatnonzero(mask)
            new = self.prune(self.mst(np.concatenate([rest, path])))
            old = self.cost(eids)
            if self.cost(new) < old - 1e-9 * max(1.0, old) and self.connects_all(new):
                eids, applied = new, True
        return eids, applied

    def exchange_exact(self, eids: np.ndarray, deadline: float) -> np.ndarray:
        """Key-path exchange with an exact reconnection per key path, applied in batches.

        Each pass roots the tree once (scipy DFS preorder + subtree sizes, so each side of a
        removed key path ``P`` is a preorder slice) and, for every key path ``P``, runs one
        scipy Dijkstra from the smaller side bounded by ``c(P)``; a cheaper path to the other
        side is an improving exchange. This also finds replacements that leave from the
        middle of a key path, which the batched Voronoi modes miss. Improving exchanges are
        then applied in order of gain while still valid (``P`` intact, result cheaper and
        connected). It costs O(n) per key path, so it runs last and stops at the deadline.
        """
        while time.perf_counter() < deadline:
            kp = self._key_path_tree(eids)
            flagged = self._coverable(kp)
            found = []
            for p in flagged[np.argsort(-kp.pcost[flagged], kind="stable")]:
                if time.perf_counter() > deadline:
                    break
                c = float(kp.pcost[p])
                if c <= 0:
                    continue
                hit = self._cheaper_reconnection(kp, p, c)
                if hit is not None:
                    found.append(hit)
            if not found:
                break
            eids, applied = self._apply_exchanges(eids, kp, found, deadline)
            if not applied:
                break
        return eids

    def exchange(self, eids: np.ndarray, mode: str) -> np.ndarray:
        """One batched round of Voronoi-driven path exchange (monotone: never worse).

        ``mode="key"``: key-path exchange. Key nodes are terminals and Steiner nodes of
        degree >= 3; key paths join them through degree-2 Steiner nodes. A multi-source
        Dijkstra from the key nodes gives, per Voronoi boundary edge ``(x, y)``, a candidate
        path ``s..x-y..t`` between key nodes (it may run through the interior of the key path
        it replaces). ``mode="tree"``: Steiner-node insertion. The Dijkstra starts from every
        tree node, so candidates may attach in the middle of key paths, which are split there.

        In both modes the tree is contracted to a graph whose vertices are the key (and
        split) nodes and whose edges are the tree's key-path segments plus all candidates.
        Its MST contains every improving single exchange (replacing a segment on the cycle a
        candidate closes); after pruning Steiner leaves it is expanded back to street edges,
        whose MST + pruning costs at most the contracted MST. Accepted only if cheaper.
        """
        tw = self.ew[eids]
        in_tree, key = self.key_nodes(eids)
        sources = np.flatnonzero(key if mode == "key" else in_tree)
        dist, pred, src = self.voronoi(sources)
        su, sv = src[self.eu], src[self.ev]
        bnd = np.flatnonzero((su >= 0) & (sv >= 0) & (su != sv))
        d = dist[self.eu[bnd]] + self.ew[bnd] + dist[self.ev[bnd]]
        s, t = su[bnd], sv[bnd]
        marked = key.copy()
        if mode != "key":
            marked[s] = True
            marked[t] = True
        pid, pcost, pa, pb = self.segments(eids, in_tree & ~marked)
        nseg = pcost.size
        keep = d < pcost.max()
        bnd, d, s, t = bnd[keep], d[keep], s[keep], t[keep]
        # contracted graph: segments (kind 0) + candidates (kind 1), cheapest per node pair
        lo = np.concatenate([np.minimum(pa, pb), np.minimum(s, t)])
        hi = np.concatenate([np.maximum(pa, pb), np.maximum(s, t)])
        sc = np.concatenate([pcost, d])
        kind = np.concatenate([np.zeros(nseg, dtype=np.int8), np.ones(d.size, dtype=np.int8)])
        ref = np.concatenate([np.arange(nseg), np.arange(d.size)])
        order = np.lexsort((kind, sc, hi, lo))
        lo, hi, sc, kind, ref = lo[order], hi[order], sc[order], kind[order], ref[order]
        first = np.ones(lo.size, dtype=bool)
        first[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
        lo, hi, sc, kind, ref = lo[first], hi[first], sc[first], kind[first], ref[first]
        ends = np.concatenate([lo, hi])
        used = np.zeros(self.n, dtype=bool)
        used[ends] = True
        knodes = np.flatnonzero(used)  # np.unique(ends, return_inverse=True), via a mask
        inv = (np.cumsum(used) - 1)[ends]
        ca, cb = inv[: lo.size], inv[lo.size :]
        order = np.argsort(sc, kind="stable")
        sel = order[kruskal(ca, cb, order, knodes.size)]  # MST of the contracted graph, pruned
        sel = sel[prune_leaves(ca, cb, sel, self.term_mask[knodes])]
        old = float(tw.sum())
        tol = 1e-9 * max(1.0, old)
        if sc[sel].sum() >= old - tol:
            return eids
        smask = np.zeros(nseg, dtype=bool)
        smask[ref[sel[kind[sel] == 0]]] = True
        be = bnd[ref[sel[kind[sel] == 1]]]
        parts = [eids[smask[pid]], be, self.walk(np.concatenate([self.eu[be], self.ev[be]]), pred)]
        new = self.prune(self.mst(np.concatenate(parts)))
        if self.cost(new) < old - tol and self.connects_all(new):
            return new
        return eids

    def local_search(self, eids: np.ndarray, deadline: float, max_rounds: int) -> np.ndarray:
        """Alternate induced-subgraph MST and the three exchanges until no gain.

        Every stage is a deterministic function of the tree, so a stage known to leave the
        current tree unchanged (``settled``) is skipped until another stage changes it:
        the same result, without the confirming pass of the exact exchange after it has
        just reached its fixed point (it stops only at one, or at the deadline).
        """
        settled: set[str] = set()
        for _ in range(max_rounds):
            before = self.cost(eids)
            tol = 1e-9 * max(1.0, before)
            if "induced" not in settled:
                cand = self.induced_mst(eids)
                if self.cost(cand) < before - tol:
                    eids, settled = cand, set()
                else:
                    settled.add("induced")
            for mode in ("key", "tree"):
                if time.perf_counter() > deadline:
                    return eids
                if mode not in settled:
                    new = self.exchange(eids, mode)
                    if new is eids:
                        settled.add(mode)
                    else:
                        eids, settled = new, set()
            if "exact" not in settled:
                new = self.exchange_exact(eids, deadline)
                if new is not eids:
                    eids, settled = new, set()
                if time.perf_counter() <= deadline:  # it returns its fixed point
                    settled.add("exact")
            if self.cost(eids) >= before - tol or time.perf_counter() > deadline:
                break
        return eids

    def set_weights(self, w: np.ndarray) -> None:
        """Swap in edge weights ``w`` (aligned with ``self.eu``) in both arrays and CSR."""
        self.ew = w
        self.A.data = w[self.peid]

    def solve(
        self,
        improve: bool,
        time_limit: float,
        max_rounds: int,
        restarts: int,
        seed: int,
        restart_max_terminals: int | None = None,
    ) -> np.ndarray:
        """Solve every independent part (:meth:`parts`); return the union of their trees.

        Each part gets a share of ``time_limit`` proportional to its edges; parts with more
        than ``restart_max_terminals`` terminals (if given) get no restarts.
        ``self.history`` sums each stage's cost over the parts.
        """
        if self.terms.size <= 1:
            return np.zeros(0, dtype=np.int64)
        parts = self.parts()
        total = sum(sub.m for sub, _ in parts)
        trees, stages = [], {}
        for sub, ids in parts:
            sub.noise_ids = (self.m, ids)
            small = restart_max_terminals is None or sub.terms.size <= restart_max_terminals
            share = time_limit * sub.m / total
            e = sub.solve_part(improve, share, max_rounds, restarts if small else 0, seed)
            trees.append(ids[e])
            for name, c in sub.history:
                stages[name] = stages.get(name, 0.0) + c
        self.history = list(stages.items())
        return np.concatenate(trees)

    def solve_part(
        self, improve: bool, time_limit: float, max_rounds: int, restarts: int, seed: int
    ) -> np.ndarray:
        """Mehlhorn + local search, then perturbed restarts; return the cheapest tree."""
        self.history = []
        if self.terms.size <= 1:
            return np.zeros(0, dtype=np.int64)
        if self.terms.size <= 3:  # solved exactly: a shortest path, or three to a median
            eids = self.mehlhorn() if self.terms.size == 2 else self.three_terminal_tree()
            c = self.cost(eids)
            self.history = [("mehlhorn", c), ("local_search", c), ("restarts", c)]
            return eids
        deadline = time.perf_counter() + time_limit
        eids = self.mehlhorn()
        self.history = [("mehlhorn", self.cost(eids))]
        if not improve:
            return eids
        eids = self.local_search(eids, deadline, max_rounds)
        best, best_cost = eids, self.cost(eids)
        self.history.append(("local_search", best_cost))
        true_w = self.ew
        rng = np.random.default_rng(seed)
        for _ in range(restarts):
            if time.perf_counter() > deadline:
                break
            # perturbation: noise on every edge, extra penalty on the incumbent's edges; a
            # part draws the whole instance's noise and keeps its edges' (same as unsplit)
            m_all, ids = getattr(self, "noise_ids", (self.m, slice(None)))
            noise = true_w * rng.uniform(1.0, 1.25, size=m_all)[ids]
            noise[best] *= 1.0 + 0.25 * rng.random()
            self.set_weights(noise)
            try:
                cand = self.local_search(self.mehlhorn(), deadline, 1)
            finally:
                self.set_weights(true_w)
            cand = self.local_search(cand, deadline, max_rounds)
            c = self.cost(cand)
            if c < best_cost - 1e-9 * max(1.0, best_cost) and self.connects_all(cand):
                best, best_cost = cand, c
        self.history.append(("restarts", best_cost))
        return best

    # ------------------------------------------------------------------ output
    def to_graph(self, eids: np.ndarray) -> nx.Graph:
        """Build the output tree with the chosen original edges' attributes."""
        G, w = self.G, self.weight
        T = nx.Graph()
        edges = []
        for o in self.orig[self.distinct(eids)].tolist():
            if o < 0:
                continue  # super-root edge
            u, v, key, data = self.raw[o]
            attrs = dict(data)
            if key is not None:
                attrs["key"] = key
            edges.append((u, v, attrs))
        T.add_edges_from(edges)
        for i in self.terms:
            if i != self.super_root:
                T.add_node(self.labels[i])
        for node in T.nodes:
            T.nodes[node].update(G.nodes[node])
        T.graph["weight"] = w
        T.graph["cost"] = tree_cost(T, w)
        T.graph["unreachable"] = list(self.unreachable)
        return T


def is_number(x: object) -> bool:
    try:
        float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return True


def tree_cost(T: nx.Graph, weight: str = "cost") -> float:
    """Sum of the ``weight`` attribute over the edges of ``T``.

    Parameters
    ----------
    T : networkx.Graph
        A tree or forest (e.g. from :func:`steiner_tree`).
    weight : str
        Edge attribute to sum.

    Returns
    -------
    float
        Total edge weight (0.0 for an edgeless graph).
    """
    return float(sum(d[weight] for _, _, d in T.edges(data=True)))
