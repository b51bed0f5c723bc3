"""Sparse graph primitives: undirected edge lists and symmetric CSR matrices for scipy."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["cheapest_edges", "symmetric_csr"]


def cheapest_edges(
    u: np.ndarray, v: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Collapse edges to a simple undirected graph, keeping the cheapest parallel edge.

    Parameters
    ----------
    u, v : numpy.ndarray
        End node indices of each edge (any direction).
    w : numpy.ndarray
        Edge weights.

    Returns
    -------
    lo, hi, weight, index : numpy.ndarray
        One row per node pair ``lo < hi``, sorted by ``(lo, hi)``; ``index`` is the position of
        the kept edge in the input. Self-loops are dropped; ties keep the first edge given.
    """
    u, v, w = np.asarray(u), np.asarray(v), np.asarray(w)
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    idx = np.flatnonzero(lo != hi)
    order = idx[np.lexsort((w[idx], hi[idx], lo[idx]))]
    lo, hi = lo[order], hi[order]
    first = np.ones(lo.size, dtype=bool)
    first[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
    keep = order[first]
    return lo[first], hi[first], w[keep], keep


def symmetric_csr(
    a: np.ndarray, b: np.ndarray, w: np.ndarray, n: int, return_order: bool = False
) -> sp.csr_matrix | tuple[sp.csr_matrix, np.ndarray]:
    """Build the symmetric CSR matrix of undirected edges, zero weights kept as entries.

    Parameters
    ----------
    a, b : numpy.ndarray
        End node indices of each edge; each node pair at most once (see
        :func:`cheapest_edges`).
    w : numpy.ndarray
        Edge weights; a zero weight stays an explicit (traversable) entry.
    n : int
        Number of nodes.
    return_order : bool
        Also return, per stored entry, the index of its edge in the input.

    Returns
    -------
    scipy.sparse.csr_matrix or (csr_matrix, numpy.ndarray)
        Canonical (sorted indices) ``n x n`` matrix with both directions of each edge.
    """
    a, b, w = np.asarray(a), np.asarray(b), np.asarray(w)
    m = a.size
    rows, cols = np.concatenate([a, b]), np.concatenate([b, a])
    eid = np.concatenate([np.arange(m), np.arange(m)])
    order = np.lexsort((cols, rows))
    rows, cols, eid = rows[order], cols[order], eid[order]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    matrix = sp.csr_matrix((w[eid], cols, indptr), shape=(n, n))
    return (matrix, eid) if return_order else matrix
