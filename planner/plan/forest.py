"""The Steiner forest rooted at a super root, and its street edges as owned route pieces."""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order

__all__ = ["RootedForest", "root_forest", "route_pieces"]


@dataclass(frozen=True)
class RootedForest:
    """The routing forest as a tree under one super root.

    Forest positions ``0..S-1`` are the tree's instance nodes in sorted order; ``S`` is the
    super root, parent of every root in the tree.

    Attributes
    ----------
    nodes : ndarray of int
        Instance node of each forest position.
    position : ndarray of int
        Forest position of every instance node, -1 if not in the forest.
    super_root : int
        ``S``.
    adjacency : scipy.sparse.csr_matrix
        The forest's edges plus super-root edges, ``(S + 1) x (S + 1)``.
    order, parent : ndarray of int
        Breadth-first order from the super root (parents first) and each position's parent.
    pieces : DataFrame
        One row per forest edge: ``edge`` (street edge), ``a``, ``b`` (range along it),
        ``cost``, ``owner`` (forest position of its child end) and ``kind`` ("route").
    """

    nodes: np.ndarray
    position: np.ndarray
    super_root: int
    adjacency: sp.csr_matrix
    order: np.ndarray
    parent: np.ndarray
    pieces: pd.DataFrame


def route_pieces(
    tree: nx.Graph, nodes: np.ndarray, edges: list[tuple[int, int]], parent: np.ndarray
) -> pd.DataFrame:
    """Route pieces of the forest edges ``(x, y)`` (positions), owned by their child end."""
    pe, pa, pb, pc, pown = [], [], [], [], []
    for x, y in edges:
        d = tree.edges[nodes[x], nodes[y]]
        child = y if parent[y] == x else x
        pe.append(d["eid"]), pa.append(d["a"]), pb.append(d["b"])
        pc.append(d["cost"]), pown.append(child)
    return pd.DataFrame({"edge": pe, "a": pa, "b": pb, "cost": pc, "owner": pown, "kind": "route"})


def root_forest(tree: nx.Graph, roots: list[int], n_nodes: int) -> RootedForest:
    """Root the Steiner forest ``tree`` (instance of ``n_nodes`` nodes) at a super root."""
    nodes = np.array(sorted(tree.nodes), dtype=np.int64)
    pos = np.full(n_nodes, -1, dtype=np.int64)
    pos[nodes] = np.arange(len(nodes))
    S = len(nodes)
    t_edges = np.array(list(tree.edges), dtype=np.int64).reshape(-1, 2)
    edges = list(zip(pos[t_edges[:, 0]].tolist(), pos[t_edges[:, 1]].tolist(), strict=True))
    rootpos = pos[np.asarray(roots, dtype=np.int64)] if roots else np.zeros(0, dtype=np.int64)
    rootpos = rootpos[rootpos >= 0]
    ra = np.r_[pos[t_edges[:, 0]], np.full(len(rootpos), S)].astype(np.int64)
    rb = np.r_[pos[t_edges[:, 1]], rootpos].astype(np.int64)
    A = sp.coo_matrix((np.ones(len(ra)), (ra, rb)), shape=(S + 1, S + 1)).tocsr()
    order, parent = breadth_first_order(A, S, directed=False, return_predecessors=True)
    return RootedForest(
        nodes=nodes,
        position=pos,
        super_root=S,
        adjacency=A,
        order=order,
        parent=parent,
        pieces=route_pieces(tree, nodes, edges, parent),
    )
