"""The PON architecture: splitter groups along the forest, cabinets, OLT ports."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse.csgraph import depth_first_order

from planner.config.plan import PlanConfig
from planner.plan.forest import RootedForest
from planner.plan.targets import Targets

__all__ = [
    "Architecture",
    "design_architecture",
    "field_ratio",
    "group_splitters",
    "top_root",
]


@dataclass(frozen=True)
class Architecture:
    """Splitters and cabinets of the plan.

    Attributes
    ----------
    ratio : int
        Split ratio of the field splitters (``1:ratio``).
    splitter_of : ndarray of int
        Splitter of each target.
    groups : list of list of int
        Targets of each splitter (a building with more premises than ``ratio`` appears in
        several).
    splitter_points : ndarray of shapely.Point
        Each splitter sits at its median target's street point.
    splitters_per_cabinet : int
        Field splitters per cabinet.
    cabinet_of_splitter : ndarray of int
        Cabinet of each splitter (consecutive runs of ``splitters_per_cabinet``).
    cabinet_points : ndarray of shapely.Point
        Each cabinet sits at its middle splitter.
    first_level : ndarray of int
        Cabinet (first-level) splitters per cabinet; zeros for single-level splitting.
    olt_ports : int
        Field splitters (single level) or cabinet splitters (two-level).
    """

    ratio: int
    splitter_of: np.ndarray
    groups: list[list[int]]
    splitter_points: np.ndarray
    splitters_per_cabinet: int
    cabinet_of_splitter: np.ndarray
    cabinet_points: np.ndarray
    first_level: np.ndarray
    olt_ports: int

    @property
    def n_splitters(self) -> int:
        """Number of field splitters."""
        return len(self.groups)

    @property
    def n_cabinets(self) -> int:
        """Number of cabinets."""
        return len(self.cabinet_points)

    @property
    def n_first_level(self) -> int:
        """Number of cabinet (first-level) splitters."""
        return int(self.first_level.sum())


def field_ratio(cfg: PlanConfig) -> int:
    """Split ratio of a field splitter: the whole ratio, or its share under two-level."""
    return cfg.split_ratio // cfg.first_level_ratio if cfg.two_level else cfg.split_ratio


def top_root(parent: np.ndarray, S: int, order: np.ndarray) -> np.ndarray:
    """Return the super root's child above each node (its tree of the forest)."""
    top = np.full(S + 1, S, dtype=np.int64)
    for v in order[1:]:
        p = parent[v]
        top[v] = v if p == S else top[p]
    return top


def group_splitters(
    forest: RootedForest, targets: Targets, owner: np.ndarray, ratio: int
) -> tuple[np.ndarray, list[list[int]]]:
    """Cut targets in depth-first order of the forest into groups of <= ``ratio`` premises.

    Groups never span two trees of the forest; a building with more premises than ``ratio``
    gets ``ceil(premises / ratio)`` splitters of its own. Returns each target's (first)
    splitter and the targets of every splitter.
    """
    S = forest.super_root
    # depth-first order along the forest keeps splitter groups local
    dfo = depth_first_order(forest.adjacency, S, directed=False, return_predecessors=False)
    rank = np.empty(S + 1, dtype=np.int64)
    rank[dfo] = np.arange(len(dfo))
    top = top_root(forest.parent, S, forest.order)
    porder = np.lexsort((targets.offset_m, targets.edge, rank[owner]))
    split_of = np.empty(len(targets.rows), dtype=np.int64)
    n_split, cur, cur_top, groups = -1, 0, -2, []
    for i in porder:
        w = int(targets.premises[i])
        if w > ratio:
            n_split += 1
            split_of[i] = n_split
            groups.append([i])
            extra = -(-w // ratio) - 1
            groups.extend([[i]] * extra)
            n_split += extra
            cur = ratio
            continue
        if cur_top != top[owner[i]] or cur + w > ratio or n_split < 0:
            n_split += 1
            groups.append([])
            cur, cur_top = 0, top[owner[i]]
        split_of[i] = n_split
        groups[n_split].append(i)
        cur += w
    return split_of, groups


def design_architecture(
    cfg: PlanConfig, forest: RootedForest, targets: Targets, owner: np.ndarray
) -> Architecture:
    """Splitters along the forest, cabinets over runs of splitters, first-level splitters."""
    ratio = field_ratio(cfg)
    split_of, groups = group_splitters(forest, targets, owner, ratio)
    spl_pt = np.array([targets.street_point[g[len(g) // 2]] for g in groups], dtype=object)
    n_spl = len(groups)
    per_cab = cfg.splitters_per_cabinet * (cfg.first_level_ratio if cfg.two_level else 1)
    cab_of_spl = np.arange(n_spl) // per_cab
    n_cab = int(cab_of_spl.max()) + 1 if n_spl else 0
    cab_pt = np.array(
        [spl_pt[min(c * per_cab + per_cab // 2, n_spl - 1)] for c in range(n_cab)], dtype=object
    )
    if cfg.two_level:
        l1 = np.bincount(cab_of_spl, minlength=n_cab)
        l1 = -(-l1 // cfg.first_level_ratio)
    else:
        l1 = np.zeros(n_cab, dtype=np.int64)
    return Architecture(
        ratio=ratio,
        splitter_of=split_of,
        groups=groups,
        splitter_points=spl_pt,
        splitters_per_cabinet=per_cab,
        cabinet_of_splitter=cab_of_spl,
        cabinet_points=cab_pt,
        first_level=l1,
        olt_ports=int(l1.sum()) if cfg.two_level else n_spl,
    )
