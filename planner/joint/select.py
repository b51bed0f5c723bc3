"""Choose sites: lazy greedy by cost per share, a swap local search, an exact SINR repair."""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp

from planner.config.radio import RadioConfig
from planner.joint.cover import BLOCK, CoverModel, exact_covered
from planner.joint.powers import coverage_of

__all__ = [
    "BETTER_BY",
    "Selection",
    "CoverInstance",
    "cover_instance",
    "improve",
    "lazy_greedy",
    "prune",
    "select_sites",
]


#: EUR by which a cover must undercut another to replace it (local search, MILP).
BETTER_BY = 0.01


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
    #: "greedy", "local_search" (:func:`improve` found a cheaper cover) or "milp" (the
    #: certificate's MILP found one cheaper by ``milp_replace_pct``)
    source: str = "greedy"


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


@dataclass
class _Counts:
    """How many picks cover each still-free cell, per demand with a deficit."""

    inst: CoverInstance
    counts: dict[int, np.ndarray]

    @classmethod
    def of(cls, inst: CoverInstance, picks: list[int]) -> _Counts:
        out = {}
        for k, m in enumerate(inst.matrix):
            if inst.deficit[k] > 0:
                cells = m[picks].indices if picks else np.zeros(0, dtype=np.int64)
                out[k] = np.bincount(cells, minlength=m.shape[1]).astype(np.float64)
        return cls(inst, out)

    def shortfall(self) -> dict[int, float]:
        """Weight each demand still lacks (≤ 0: met)."""
        inst = self.inst
        return {
            k: inst.deficit[k] - float(inst.weight[k][(c > 0) & ~inst.base[k]].sum())
            for k, c in self.counts.items()
        }

    def add(self, j: int, by: float = 1.0) -> None:
        for k, c in self.counts.items():
            m = self.inst.matrix[k]
            c[m.indices[m.indptr[j] : m.indptr[j + 1]]] += by


def _pruned(inst: CoverInstance, picks: list[int], fixed: int = -1) -> list[int]:
    """Reverse delete on cover counts: dearest pick first, ``fixed`` kept (:func:`prune`)."""
    keep, cnt = list(picks), _Counts.of(inst, picks)
    for j in sorted((j for j in picks if j != fixed), key=lambda j: -inst.cost[j]):
        cnt.add(j, -1.0)
        if all(v <= 0 for v in cnt.shortfall().values()):
            keep.remove(j)
        else:
            cnt.add(j)
    return keep


def _repair(inst: CoverInstance, picks: list[int]) -> list[int] | None:
    """Add candidates, most shortfall covered per EUR first, until every deficit is met."""
    picks, cnt = list(picks), _Counts.of(inst, picks)
    usable = np.isfinite(inst.cost)
    while True:
        short = cnt.shortfall()
        if all(v <= 0 for v in short.values()):
            return picks
        val = np.zeros(inst.cost.size)
        for k, need in short.items():
            if need > 0:
                free = inst.weight[k] * ((cnt.counts[k] == 0) & ~inst.base[k])
                val += np.minimum(inst.matrix[k] @ free, need) / inst.deficit[k]
        ratio = np.where(usable & (val > 0), val / np.maximum(inst.cost, 1e-9), -1.0)
        j = int(np.argmax(ratio))
        if ratio[j] <= 0:
            return None
        picks.append(j)
        cnt.add(j)


def improve(inst: CoverInstance, start: Selection, drop: int = 2) -> Selection:
    """Local search on a met cover: drop and repair, or add one and prune; keep if cheaper.

    A drop move removes one to ``drop`` picks, re-covers the shortfall greedily (most
    shortfall per EUR, :func:`_repair`) and reverse-deletes (:func:`prune`); an add move
    adds one candidate and reverse-deletes the other picks, which lifts the greedy out of
    its typical trap (cheap picks early that one dearer site covers alone). The first move
    that lowers the cost by more than :data:`BETTER_BY` is taken, until none does; the MILP then
    starts from the result.

    Returns
    -------
    Selection
        ``start`` itself when no move helps, else the cheaper picks (``local_search``).
    """
    if not start.met or not start.chosen:
        return start
    inst = replace(inst, matrix=[m.astype(np.float64) for m in inst.matrix])  # fast products
    picks = list(start.chosen)
    best = float(inst.cost[picks].sum())
    better = True
    while better:
        trial = _first_better(inst, picks, best, drop)
        better = trial is not None
        if better:
            picks, best = trial, float(inst.cost[trial].sum())
    if picks == list(start.chosen):
        return start
    return Selection(chosen=picks, gains=[], met=True, source="local_search")


def _first_better(
    inst: CoverInstance, picks: list[int], best: float, drop: int
) -> list[int] | None:
    """Return the first move's picks cheaper than ``best`` (drop and repair, add and prune)."""
    drops = (r for n in range(1, drop + 1) for r in itertools.combinations(picks, n))
    for gone in drops:
        trial = _repair(inst, [j for j in picks if j not in gone])
        if trial is not None:
            trial = _pruned(inst, trial)
            if float(inst.cost[trial].sum()) < best - BETTER_BY:
                return trial
    for j in np.flatnonzero(np.isfinite(inst.cost) & (inst.cost < best - BETTER_BY)):
        if j not in picks:
            trial = _pruned(inst, [*picks, int(j)], fixed=int(j))
            if float(inst.cost[trial].sum()) < best - BETTER_BY:
                return trial
    return None


def prune(inst: CoverInstance, chosen: list[int], gains: list) -> tuple[list[int], list]:
    """Reverse delete: drop picks, dearest first, whose removal keeps every target met."""
    keep = _pruned(inst, chosen)
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
