"""Exact Steiner tree of small instances: path reductions, then a HiGHS flow program (oracle)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import networkx as nx
import numpy as np

from planner.errors import AnalysisError
from planner.steiner._flow import flow_model, highspy_module
from planner.steiner._problem import Problem

__all__ = ["exact_steiner_tree", "reduce_paths"]


def reduce_paths(P: Problem) -> tuple[list[tuple[int, int, float, list[int]]], np.ndarray]:
    """Exact-preserving reductions for the IP: drop Steiner leaves, contract degree-2 nodes.

    Returns the reduced edges ``(a, b, w, [edge ids])`` and the terminal indices. With
    non-negative weights an optimal tree never needs a non-terminal leaf, and a degree-2
    Steiner node is used either with both edges or not at all, so these are exact.

    Deliberately separate from :mod:`planner.steiner._reductions`: these carry the street
    edge paths of contracted chains, and the exact solver is the oracle the lower bound is
    tested against, so it must not share (and silently agree with) the bound's reductions.
    """
    terms = set(P.terms.tolist())
    adj: dict[int, dict[int, tuple[float, list[int]]]] = {}
    for e in P.terminal_component_edges():
        a, b, w = int(P.eu[e]), int(P.ev[e]), float(P.ew[e])
        adj.setdefault(a, {})[b] = (w, [int(e)])
        adj.setdefault(b, {})[a] = (w, [int(e)])
    stack = [v for v in adj if v not in terms and len(adj[v]) <= 2]
    while stack:
        v = stack.pop()
        if v not in adj or v in terms:
            continue
        nb = adj[v]
        if len(nb) <= 1:
            for u in nb:
                del adj[u][v]
                stack.append(u)
            del adj[v]
        elif len(nb) == 2:
            (a, (wa, pa)), (b, (wb, pb)) = nb.items()
            del adj[a][v], adj[b][v], adj[v]
            w = wa + wb
            if b not in adj[a] or adj[a][b][0] > w:
                adj[a][b] = (w, pa + pb)
                adj[b][a] = (w, pa + pb)
            stack += [a, b]
    edges = [(a, b, w, p) for a in adj for b, (w, p) in adj[a].items() if a < b]
    return edges, np.asarray(sorted(terms), dtype=np.int64)


def exact_steiner_tree(
    G: nx.Graph,
    terminals: Iterable[Hashable],
    roots: Iterable[Hashable] | None = None,
    weight: str = "cost",
    time_limit: float = 60.0,
) -> nx.Graph:
    """Optimal Steiner tree (or root-connecting forest) by integer programming with HiGHS.

    Intended for small instances (<= ~30 terminals, a few thousand edges) as a test oracle.

    Parameters
    ----------
    G : networkx.Graph
        Graph as in :func:`steiner_tree` (treated as undirected, parallel edges -> cheapest).
    terminals : iterable of node
        Nodes to connect.
    roots : iterable of node, optional
        Existing-fiber nodes, contracted into one zero-cost super-root.
    weight : str
        Non-negative edge cost attribute.
    time_limit : float
        HiGHS time limit in seconds.

    Returns
    -------
    networkx.Graph
        As :func:`steiner_tree`; ``T.graph`` also holds ``optimal`` (bool) and
        ``lower_bound`` (the MIP dual bound).

    Raises
    ------
    AnalysisError
        Bad input (see :func:`steiner_tree`) or HiGHS found no feasible solution in time.

    Notes
    -----
    Directed multi-commodity flow formulation rooted at the super-root (or the first
    terminal): arc variables ``y`` (binary), one unit of flow ``f^k`` from the root to each
    other terminal ``k`` with ``f^k <= y``; its LP bound equals the directed-cut bound.
    In-degree constraints (1 for terminals, <= 1 otherwise, 0 for the root) and
    ``y_ij + y_ji <= 1`` tighten it further. Before solving, Steiner leaves are pruned and
    degree-2 Steiner nodes contracted, which shrinks unsimplified OSM graphs several-fold.
    """
    P = Problem(G, terminals, roots, weight)
    if P.terms.size <= 1:
        T = P.to_graph(np.zeros(0, dtype=np.int64))
        T.graph.update(optimal=True, lower_bound=0.0)
        return T
    edges, terms = reduce_paths(P)
    nodes = sorted({a for a, _, _, _ in edges} | {b for _, b, _, _ in edges} | set(terms.tolist()))
    loc = {v: i for i, v in enumerate(nodes)}
    E = len(edges)
    ea = np.array([loc[a] for a, _, _, _ in edges], dtype=np.int64)
    eb = np.array([loc[b] for _, b, _, _ in edges], dtype=np.int64)
    ew = np.array([w for _, _, w, _ in edges])
    root = loc[P.super_root] if P.has_root else loc[int(terms[0])]
    h = flow_model(len(nodes), ea, eb, ew, [loc[int(t)] for t in terms], root, time_limit)
    h.run()
    status = h.getModelStatus()
    sol = h.getSolution()
    if not sol.value_valid:
        raise AnalysisError(f"exact Steiner solver found no solution within {time_limit} s")
    A2 = 2 * E
    y = np.asarray(sol.col_value[:A2])
    used = np.flatnonzero((y[:E] > 0.5) | (y[E:] > 0.5))
    eids = np.array([e for j in used for e in edges[j][3]], dtype=np.int64)
    T = P.to_graph(P.prune(P.mst(eids)))  # drop zero-cost cycles/strays HiGHS may add
    T.graph["optimal"] = status == highspy_module().HighsModelStatus.kOptimal
    T.graph["lower_bound"] = float(h.getInfo().mip_dual_bound)
    return T
