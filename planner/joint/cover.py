"""The coverage matrix of the candidates and the exact (SINR-aware) coverage of a chosen set."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from planner.config.radio import RadioConfig
from planner.joint.demand import Demand
from planner.joint.powers import SitePowers, coverage_of

__all__ = [
    "BLOCK",
    "CoverModel",
    "cover_model",
    "exact_covered",
    "existing_cover",
    "no_gain",
    "targets_met",
]

#: Candidates evaluated together when the per-candidate state is materialised (memory bound).
BLOCK = 64


@dataclass
class CoverModel:
    """Per demand: existing power, candidate powers, base coverage and the pairwise matrix.

    ``matrix[k]`` is a CSR ``(candidates, cells)`` bool matrix: candidate ``j`` covers cell
    ``i`` of demand ``k`` when the existing sites plus ``j`` alone cover it (RSRP and SINR).
    """

    demands: list[Demand]
    base: list[SitePowers]  #: existing sites summed: arrays of shape (1, bands, cells)
    cand: list[SitePowers]  #: candidates: (candidates, bands, cells)
    base_covered: list[np.ndarray]
    matrix: list[sp.csr_matrix]

    @property
    def n(self) -> int:
        """Number of candidates."""
        return self.cand[0].best.shape[0] if self.cand else 0


def _summed(p: SitePowers) -> SitePowers:
    """Return the power of several sites together: max of the best, sum of the totals."""
    if p.best.shape[0] == 0:
        z = np.zeros((1, *p.best.shape[1:]), np.float32)
        return SitePowers(z, z.copy())
    return SitePowers(p.best.max(axis=0, keepdims=True), p.total.sum(axis=0, keepdims=True))


def _pairwise(cfg: RadioConfig, base: SitePowers, cand: SitePowers) -> sp.csr_matrix:
    """Bool CSR of the cells each candidate covers together with the existing sites only."""
    out = []
    n = cand.best.shape[0]
    for s in range(0, n, BLOCK):
        b = np.maximum(base.best, cand.best[s : s + BLOCK])
        t = base.total + cand.total[s : s + BLOCK]
        out.append(sp.csr_matrix(coverage_of(cfg, b, t)))
    if not out:
        return sp.csr_matrix((0, base.best.shape[-1]), dtype=bool)
    return sp.vstack(out, format="csr")


def existing_cover(
    cfg: RadioConfig, existing: list[SitePowers]
) -> tuple[list[SitePowers], list[np.ndarray]]:
    """Return the summed power of the existing sites per demand, and the cells they cover."""
    base = [_summed(p) for p in existing]
    return base, [coverage_of(cfg, b.best[0], b.total[0]) for b in base]


def targets_met(demands: list[Demand], covered: list[np.ndarray]) -> bool:
    """Return whether the existing sites alone reach every demand's target (nothing to build)."""
    return all(
        float(d.cells.weight[c].sum()) >= d.target * d.total - 1e-9
        for d, c in zip(demands, covered, strict=True)
    )


def no_gain(n: int, base: SitePowers) -> SitePowers:
    """Return zero power of ``n`` candidates (read-only views), for when nothing must be built."""
    z = np.broadcast_to(np.zeros((1, *base.best.shape[1:]), np.float32), (n, *base.best.shape[1:]))
    return SitePowers(z, z)


def cover_model(
    cfg: RadioConfig,
    demands: list[Demand],
    existing: list[SitePowers],
    cand: list[SitePowers] | None,
    n: int = 0,
) -> CoverModel:
    """Build the coverage matrix per demand from the existing and candidate powers.

    ``cand`` None means the targets are met without new sites (:func:`targets_met`): the
    ``n`` candidates get zero power and an empty matrix, and no power is computed for them.
    """
    base, covered = existing_cover(cfg, existing)
    if cand is None:
        cand = [no_gain(n, b) for b in base]
        matrix = [sp.csr_matrix((n, b.best.shape[-1]), dtype=bool) for b in base]
    else:
        matrix = [_pairwise(cfg, b, c) for b, c in zip(base, cand, strict=True)]
    return CoverModel(demands, base, cand, covered, matrix)


def exact_covered(cfg: RadioConfig, model: CoverModel, chosen: list[int], k: int) -> np.ndarray:
    """Cells of demand ``k`` covered by the existing sites plus every chosen candidate.

    SINR makes coverage non-additive: the chosen sites interfere with each other, so this is
    evaluated on their summed power, not from the pairwise matrix.
    """
    base, cand = model.base[k], model.cand[k]
    idx = np.asarray(chosen, dtype=int)
    best = np.maximum(base.best[0], cand.best[idx].max(axis=0)) if idx.size else base.best[0]
    total = base.total[0] + (cand.total[idx].sum(axis=0) if idx.size else 0.0)
    return coverage_of(cfg, best, total)
