"""HiGHS MILP of the partial set cover: the optimum on small instances, a lower bound otherwise."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from planner.joint.select import BETTER_BY, CoverInstance, Selection

__all__ = [
    "Certificate",
    "CoverProgram",
    "better_of",
    "certify_cover",
    "cover_program",
    "milp_columns",
    "replace_below",
    "solve_program",
]

#: HiGHS's sub-MIP heuristics, off: on the joint plan's covers they took 16 of 20 s before
#: the root bound closed (2 × 2 Liechtenstein mosaic: 21 s with them, 5.6 s without, same
#: optimum); the greedy + local search cover stands in for their incumbents.
SUB_MIP_OFF = {
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_root_reduced_cost": False,
}


@dataclass
class Certificate:
    """The MILP's answer: optimum cost or lower bound, the gap of the greedy, solver status."""

    greedy_cost: float
    lower_bound: float | None
    optimum_cost: float | None  #: best integer solution HiGHS found (None: none)
    optimum_sites: int | None
    is_optimum: bool
    gap_pct: float | None
    status: str
    chosen: list[int]


def milp_columns(inst: CoverInstance) -> tuple[sp.csr_matrix, np.ndarray, list[int]]:
    """Merge cells with the same covering candidates (and demand) into one weighted column.

    Returns the stacked ``(columns, candidates)`` matrix, the weight per column and its demand.
    """
    mats, weights, demand = [], [], []
    for k, m in enumerate(inst.matrix):
        if inst.deficit[k] <= 0:
            continue
        free = ~inst.base[k]
        cols = m[:, free].T.tocsr().astype(np.int8)
        if cols.shape[0] == 0:
            continue
        keys = [
            cols.indices[cols.indptr[i] : cols.indptr[i + 1]].tobytes()
            for i in range(cols.shape[0])
        ]
        uniq, first, inv = np.unique(
            np.array(keys, dtype=object), return_index=True, return_inverse=True
        )
        w = np.bincount(inv, weights=inst.weight[k][free])
        keep = np.array([len(u) > 0 for u in uniq])
        mats.append(cols[first[keep]])
        weights.append(w[keep])
        demand += [k] * int(keep.sum())
    if not mats:
        return sp.csr_matrix((0, inst.cost.size), dtype=np.int8), np.zeros(0), []
    return sp.vstack(mats, format="csr"), np.concatenate(weights), demand


@contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Silence C-level stdout (HiGHS prints its banner when a solver is created)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _model(inst: CoverInstance, cols: sp.csr_matrix, w: np.ndarray, demand: list[int]):
    """Build the HiGHS model: x (candidates, binary) then y (columns, 0..1)."""
    import highspy

    n, m = inst.cost.size, cols.shape[0]
    ks = sorted(set(demand))
    # rows: y_i - sum_j a_ij x_j <= 0 (m rows), then sum_i w_i y_i >= deficit_k per demand
    a = sp.hstack([-cols.astype(float), sp.identity(m, format="csr")], format="csr")
    dem = np.asarray(demand)
    cov_rows = sp.csr_matrix(
        (w, (np.searchsorted(ks, dem), n + np.arange(m))), shape=(len(ks), n + m)
    )
    A = sp.vstack([a, cov_rows], format="csc")
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n + m, A.shape[0]
    usable = np.isfinite(inst.cost)  # a candidate without backhaul route cannot be built
    lp.col_cost_ = np.concatenate([np.where(usable, inst.cost, 0.0), np.zeros(m)])
    lp.col_lower_ = np.zeros(n + m)
    lp.col_upper_ = np.concatenate([usable.astype(float), np.ones(m)])
    lp.row_lower_ = np.concatenate([np.full(m, -np.inf), [inst.deficit[k] for k in ks]])
    lp.row_upper_ = np.concatenate([np.zeros(m), np.full(len(ks), np.inf)])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr
    lp.a_matrix_.index_ = A.indices
    lp.a_matrix_.value_ = A.data
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n + m, A.shape[0]
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n + [highspy.HighsVarType.kContinuous] * m
    return highspy, lp


@dataclass
class CoverProgram:
    """The certificate's MILP, built and ready to solve (in any thread)."""

    inst: CoverInstance
    greedy_cost: float
    highs: object | None  #: the HiGHS model, its time limit set (None: nothing to cover)
    #: set as soon as HiGHS holds a cover cheaper than the greedy's by ``replace_pct``
    #: (:func:`better_of` will then take the MILP's): work done on the greedy's picks
    #: meanwhile can stop
    beaten: threading.Event = field(default_factory=threading.Event)
    replace_pct: float = 0.0  #: how much cheaper (%) the MILP's cover must be to replace

    @property
    def replace_below(self) -> float:
        """Cost a MILP cover must be under to replace the greedy's."""
        return replace_below(self.greedy_cost, self.replace_pct)


def replace_below(greedy_cost: float, replace_pct: float) -> float:
    """Return the cost under which a MILP cover replaces a greedy cover of ``greedy_cost``."""
    return greedy_cost * (1.0 - replace_pct / 100.0) - BETTER_BY


def certify_cover(
    inst: CoverInstance, greedy: list[int], time_limit: float, replace_pct: float = 0.0
) -> Certificate:
    """Solve the partial set cover exactly (within ``time_limit``) and compare the greedy.

    Parameters
    ----------
    inst : CoverInstance
        The pairwise instance the greedy solved.
    greedy : list of int
        The greedy's picks (its cost is the upper bound).
    time_limit : float
        HiGHS seconds (wall-clock); at the limit the MIP dual bound is the certified lower
        bound.
    replace_pct : float
        How much cheaper (%) a MILP cover must be to count as beating the greedy's.

    Returns
    -------
    Certificate
    """
    return solve_program(cover_program(inst, greedy, time_limit, replace_pct))


def cover_program(
    inst: CoverInstance, greedy: list[int], time_limit: float, replace_pct: float = 0.0
) -> CoverProgram:
    """Build the certificate's MILP (see :func:`certify_cover`) for :func:`solve_program`.

    HiGHS is created here, in the calling thread, where its banner can be silenced. The
    greedy's picks are not given to HiGHS as a start: with one, HiGHS 1.16 reported an
    objective (and "Optimal") that left out a presolve-fixed site's cost (2 × 2 mosaic:
    125,563 for a 247,563 EUR cover whose true optimum is 244,000).
    """
    g_cost = float(inst.cost[greedy].sum()) if greedy else 0.0
    cols, w, demand = milp_columns(inst)
    if not demand:
        return CoverProgram(inst, g_cost, None, replace_pct=replace_pct)
    highspy, lp = _model(inst, cols, w, demand)
    with _quiet_stdout():
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", 1e-6)
    h.setOptionValue("threads", 1)
    for name, value in SUB_MIP_OFF.items():
        h.setOptionValue(name, value)
    h.passModel(lp)
    return CoverProgram(inst, g_cost, h, replace_pct=replace_pct)


def _run(h, program: CoverProgram) -> str:
    """Run HiGHS; return its status. Sets ``program.beaten`` when it finds a cheaper cover.

    The improving-solution callback tells at once when HiGHS holds a cover cheaper than
    :attr:`CoverProgram.replace_below` (:func:`better_of` will take the MILP's then).
    """
    import highspy

    kind_improving = highspy.cb.HighsCallbackType.kCallbackMipImprovingSolution
    cheaper = program.replace_below

    def callback(kind, message, data_out, data_in, user) -> None:
        if kind == kind_improving and data_out.objective_function_value < cheaper:
            program.beaten.set()

    h.setCallback(callback, None)
    h.startCallback(kind_improving)
    h.run()
    return h.modelStatusToString(h.getModelStatus())


def solve_program(program: CoverProgram) -> Certificate:
    """Solve a :func:`cover_program` and compare the greedy (see :func:`certify_cover`)."""
    inst, g_cost, h = program.inst, program.greedy_cost, program.highs
    if h is None:
        return Certificate(g_cost, 0.0, 0.0, 0, True, 0.0 if g_cost == 0 else None, "trivial", [])
    status = _run(h, program)
    info = h.getInfo()
    n = inst.cost.size
    sol = np.asarray(h.getSolution().col_value)[:n] if info.primal_solution_status else None
    lb = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else None
    chosen = [] if sol is None else np.flatnonzero(sol > 0.5).tolist()
    opt = float(inst.cost[chosen].sum()) if sol is not None else None
    if opt is not None and opt < program.replace_below:
        program.beaten.set()  # also when HiGHS's presolve found it (no callback then)
    if opt is not None and abs(float(info.objective_function_value) - opt) > 1e-6 * max(1, opt):
        # HiGHS's own objective must be the cover's cost, else neither it nor its bound holds
        status, lb = "inconsistent objective", None
    is_opt = status == "Optimal"
    if is_opt and opt is not None:
        lb = opt if lb is None else min(lb, opt)
    gap = round(100 * (g_cost / lb - 1), 4) if lb and lb > 0 else None
    return Certificate(
        greedy_cost=round(g_cost, 2),
        lower_bound=None if lb is None else round(lb, 2),
        optimum_cost=None if opt is None else round(opt, 2),
        optimum_sites=None if sol is None else len(chosen),
        is_optimum=is_opt,
        gap_pct=gap,
        status=status,
        chosen=chosen,
    )


def better_of(
    inst: CoverInstance, greedy: Selection, cert: Certificate, replace_pct: float = 0.0
) -> Selection:
    """Return the greedy's picks, or the MILP's when it found one ``replace_pct`` cheaper."""
    if (
        cert.optimum_cost is None
        or not cert.chosen
        or cert.optimum_cost >= replace_below(cert.greedy_cost, replace_pct)
    ):
        return greedy
    return Selection(chosen=list(cert.chosen), gains=[], met=True, source="milp")
