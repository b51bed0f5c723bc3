"""The directed multi-commodity flow program of the Steiner problem, solved by HiGHS."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    import highspy

from planner._highs import new_highs

__all__ = ["flow_constraints", "flow_model", "highspy_module"]


def highspy_module():
    """Import HiGHS' Python interface (a dependency; imported lazily, it is slow to load)."""
    import highspy

    return highspy


def flow_constraints(
    N: int, ea: np.ndarray, eb: np.ndarray, comm: list[int], root: int
) -> tuple[sp.csc_matrix, np.ndarray, np.ndarray]:
    """Constraint matrix and row bounds of the flow program (columns: ``y``, then ``f^k``).

    Row blocks in order: flow conservation per commodity (inflow - outflow = 1 at its
    terminal, -1 at the root), ``f^k_a - y_a <= 0``, ``y_ab + y_ba <= 1`` and the in-degree
    rows (1 for terminals, <= 1 otherwise, 0 for the root).
    """
    E = ea.size
    tail = np.concatenate([ea, eb])  # arc j: tail[j] -> head[j]
    head = np.concatenate([eb, ea])
    A2 = 2 * E
    K = len(comm)
    rows, cols, vals, lo, hi = [], [], [], [], []
    r = 0
    arcs = np.arange(A2)
    for k, tk in enumerate(comm):  # flow conservation: inflow - outflow
        base = A2 * (k + 1)
        rows += [r + head, r + tail]
        cols += [base + arcs, base + arcs]
        vals += [np.ones(A2), -np.ones(A2)]
        rhs = np.zeros(N)
        rhs[tk] = 1.0
        rhs[root] = -1.0
        lo.append(rhs)
        hi.append(rhs)
        r += N
    for k in range(K):  # f^k_a - y_a <= 0
        rows += [r + arcs, r + arcs]
        cols += [A2 * (k + 1) + arcs, arcs]
        vals += [np.ones(A2), -np.ones(A2)]
        lo.append(np.full(A2, -np.inf))
        hi.append(np.zeros(A2))
        r += A2
    rows += [r + np.arange(E), r + np.arange(E)]  # y_ab + y_ba <= 1
    cols += [np.arange(E), E + np.arange(E)]
    vals += [np.ones(E), np.ones(E)]
    lo.append(np.full(E, -np.inf))
    hi.append(np.ones(E))
    r += E
    rows.append(r + head)  # in-degree
    cols.append(arcs)
    vals.append(np.ones(A2))
    dlo, dhi = np.zeros(N), np.ones(N)
    dlo[comm] = 1.0
    dhi[root] = 0.0
    lo.append(dlo)
    hi.append(dhi)
    r += N
    M = sp.csc_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(r, A2 * (K + 1)),
    )
    return M, np.concatenate(lo), np.concatenate(hi)


def flow_model(
    N: int,
    ea: np.ndarray,
    eb: np.ndarray,
    ew: np.ndarray,
    terms: list[int],
    root: int,
    time_limit: float,
) -> highspy.Highs:
    """HiGHS model of the directed multi-commodity flow IP of a Steiner tree (not yet run).

    Nodes ``0..N-1``, undirected edges ``(ea[i], eb[i])`` of cost ``ew[i]``; arc ``j`` of the
    bidirected graph is ``ea -> eb`` for ``j < E`` and ``eb -> ea`` after. Arc variables
    ``y`` (binary, columns ``0..2E-1``), one unit of flow ``f^k`` from ``root`` to every
    other terminal ``k`` with ``f^k <= y``; its LP bound equals the directed-cut bound.
    In-degree rows (1 for terminals, <= 1 otherwise, 0 for the root) and
    ``y_ij + y_ji <= 1`` tighten it. MIP relative gap 1e-9, one thread.
    """
    highspy = highspy_module()
    A2 = 2 * ea.size
    comm = [t for t in terms if t != root]
    K = len(comm)
    M, row_lower, row_upper = flow_constraints(N, ea, eb, comm, root)
    nrow, ncol = M.shape
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = ncol, nrow
    lp.col_cost_ = np.concatenate([ew, ew, np.zeros(A2 * K)])
    lp.col_lower_ = np.zeros(ncol)
    lp.col_upper_ = np.ones(ncol)
    lp.row_lower_ = row_lower
    lp.row_upper_ = row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = M.indptr
    lp.a_matrix_.index_ = M.indices
    lp.a_matrix_.value_ = M.data
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = ncol, nrow
    integer, continuous = highspy.HighsVarType.kInteger, highspy.HighsVarType.kContinuous
    lp.integrality_ = [integer] * A2 + [continuous] * (A2 * K)
    h = new_highs()
    h.setOptionValue("time_limit", float(max(time_limit, 1e-3)))
    h.setOptionValue("mip_rel_gap", 1e-9)
    h.setOptionValue("threads", 1)
    h.passModel(lp)
    return h
