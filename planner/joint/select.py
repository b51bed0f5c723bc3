"""Choose sites: lazy greedy by cost per newly covered share, then an exact SINR repair."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from planner.config.radio import RadioConfig
from planner.joint.cover import BLOCK, CoverModel, exact_covered
from planner.joint.powers import coverage_of

__all__ = [
    "Selection",
    "CoverInstance",
    "cover_instance",
    "lazy_greedy",
    "prune",
    "select_sites",
]


@dataclass
class CoverInstance:
    """A partial set-cover instance: per demand a bool matrix, weights, base mask, deficit.

    ``deficit[k]`` is the weight demand ``k`` still needs beyond ``base[k]`` to reach its
    target (0 = met).
    """

    matrix: list[sp.csr_matrix]
    weight: list[np.ndarray]
    base: list[np.ndarray]
    deficit: list[float]
    cost: np.ndarray


@dataclass
class Selection:
    """The chosen candidates in order, with the gain each added when chosen."""

    chosen: list[int]
    gains: list[list[float]]  #: per pick, the weight newly covered per demand (pairwise model)
    met: bool  #: the greedy reached every deficit (pairwise model)
    repaired: list[int] = field(default_factory=list)  #: picks added by the SINR repair
    exact_met: bool = False
    source: str = "greedy"  #: "greedy" or "milp" (the certificate found a cheaper cover)


def cover_instance(model: CoverModel, cost: np.ndarray) -> CoverInstance:
    """Return the pairwise coverage matrix as a partial set-cover instance."""
    deficit = []
    for d, base in zip(model.demands, model.base_covered, strict=True):
        need = d.target * d.total - float(d.cells.weight[base].sum())
        deficit.append(max(0.0, need * (1 - 1e-9)))
    return CoverInstance(
        matrix=model.matrix,
        weight=[d.cells.weight for d in model.demands],
        base=[b.copy() for b in model.base_covered],
        deficit=deficit,
        cost=np.asarray(cost, dtype=float),
    )


def _gain(inst: CoverInstance, covered: list[np.ndarray], got: list[float], j: int):
    """Per demand newly covered weight of ``j``, and its truncated normalised value."""
    raw, val = [], 0.0
    for k, m in enumerate(inst.matrix):
        cells = m.indices[m.indptr[j] : m.indptr[j + 1]]
        g = float(inst.weight[k][cells[~covered[k][cells]]].sum())
        raw.append(g)
        if inst.deficit[k] > 0:
            val += (min(got[k] + g, inst.deficit[k]) - min(got[k], inst.deficit[k])) / inst.deficit[
                k
            ]
    return raw, val


def lazy_greedy(inst: CoverInstance) -> Selection:
    """Lazy greedy for partial set cover: most normalised deficit covered per EUR first.

    The objective ``sum_k min(covered_k, deficit_k) / deficit_k`` is monotone submodular, so
    stale heap values are upper bounds and the lazy evaluation picks what the plain greedy
    would (Minoux's accelerated greedy).
    """
    covered = [b.copy() for b in inst.base]
    got = [0.0] * len(inst.matrix)
    n = inst.cost.size
    heap = []
    for j in range(n):
        _, v = _gain(inst, covered, got, j)
        if v > 0 and np.isfinite(inst.cost[j]):
            heap.append((-v / max(inst.cost[j], 1e-9), j))
    heapq.heapify(heap)
    chosen, gains = [], []
    while heap and any(got[k] < inst.deficit[k] for k in range(len(got))):
        _, j = heapq.heappop(heap)
        raw, v = _gain(inst, covered, got, j)
        if v <= 0:
            continue
        ratio = -v / max(inst.cost[j], 1e-9)
        if heap and ratio > heap[0][0] + 1e-15:
            heapq.heappush(heap, (ratio, j))
            continue
        chosen.append(j)
        gains.append(raw)
        for k, m in enumerate(inst.matrix):
            covered[k][m.indices[m.indptr[j] : m.indptr[j + 1]]] = True
            got[k] += raw[k]
    met = all(got[k] >= inst.deficit[k] for k in range(len(got)))
    if met:
        chosen, gains = prune(inst, chosen, gains)
    return Selection(chosen=chosen, gains=gains, met=met)


def _meets(inst: CoverInstance, picks: list[int]) -> bool:
    for k, m in enumerate(inst.matrix):
        if inst.deficit[k] <= 0:
            continue
        cov = inst.base[k].copy()
        if picks:
            cov[np.unique(m[picks].indices)] = True
        got = float(inst.weight[k][cov].sum()) - float(inst.weight[k][inst.base[k]].sum())
        if got < inst.deficit[k]:
            return False
    return True


def prune(inst: CoverInstance, chosen: list[int], gains: list) -> tuple[list[int], list]:
    """Reverse delete: drop picks, dearest first, whose removal keeps every target met."""
    keep = list(chosen)
    for j in sorted(chosen, key=lambda j: -inst.cost[j]):
        trial = [i for i in keep if i != j]
        if _meets(inst, trial):
            keep = trial
    return keep, [g for j, g in zip(chosen, gains, strict=True) if j in keep]


def _exact_shares(cfg: RadioConfig, model: CoverModel, chosen: list[int]) -> list[float]:
    return [
        float(d.cells.weight[exact_covered(cfg, model, chosen, k)].sum()) / max(d.total, 1e-9)
        for k, d in enumerate(model.demands)
    ]


def _best_addition(cfg: RadioConfig, model: CoverModel, chosen: list[int], cost: np.ndarray):
    """Return the candidate adding the most exact shortfall per EUR (vectorised blocks)."""
    best_j, best_v = -1, 0.0
    free = np.setdiff1d(np.arange(model.n), chosen)
    for k, d in enumerate(model.demands):
        need = d.target * d.total
        w_now = float(d.cells.weight[exact_covered(cfg, model, chosen, k)].sum())
        if w_now >= need:
            continue
        base, cand = model.base[k], model.cand[k]
        idx = np.asarray(chosen, dtype=int)
        b0 = np.maximum(base.best[0], cand.best[idx].max(axis=0)) if idx.size else base.best[0]
        t0 = base.total[0] + (cand.total[idx].sum(axis=0) if idx.size else 0.0)
        for s in range(0, free.size, BLOCK):
            js = free[s : s + BLOCK]
            cov = coverage_of(cfg, np.maximum(b0, cand.best[js]), t0 + cand.total[js])
            for i, j in enumerate(js):
                if not np.isfinite(cost[j]):
                    continue
                w = float(d.cells.weight[cov[i]].sum())
                v = (w - w_now) / need / max(cost[j], 1e-9)
                if v > best_v:
                    best_j, best_v = int(j), v
    return best_j


def select_sites(
    cfg: RadioConfig, model: CoverModel, inst: CoverInstance, start: Selection
) -> Selection:
    """Add sites to ``start`` (the pairwise solution) until the exact model meets the targets.

    The exact model counts the chosen sites' interference on each other (SINR); each repair
    step adds the candidate with the most exact shortfall covered per EUR.
    """
    chosen = list(start.chosen)
    sel = Selection(chosen=chosen, gains=list(start.gains), met=start.met, source=start.source)
    while True:
        shares = _exact_shares(cfg, model, chosen)
        if all(s >= d.target - 1e-12 for s, d in zip(shares, model.demands, strict=True)):
            sel.exact_met = True
            break
        j = _best_addition(cfg, model, chosen, inst.cost)
        if j < 0:
            break
        chosen.append(j)
        sel.repaired.append(j)
    return sel
