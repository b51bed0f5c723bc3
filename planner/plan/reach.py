"""How fibre reaches each target: nearest covered range on its street, stubs, drop length."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.config.plan import PlanConfig
from planner.errors import AnalysisError
from planner.fiber.netdist import Sources
from planner.fiber.snapping import StreetEdges
from planner.plan.forest import RootedForest
from planner.plan.inputs import PlanInputs
from planner.plan.targets import Targets

__all__ = ["PIECE_COLUMNS", "Reach", "covered_ranges", "nearest_cover", "reach_targets", "stubs"]

#: Columns of a route-piece frame (forest edges and stubs).
PIECE_COLUMNS = ["edge", "a", "b", "cost", "owner", "kind"]


@dataclass(frozen=True)
class Reach:
    """Where and how far each target gets its fibre (one entry per target).

    Attributes
    ----------
    nearest : DataFrame
        The nearest covered range on the target's street (``a``, ``b``, ``owner``, ...).
    distance_m : ndarray
        Along-street distance from that range (after stubs) to the target's street point.
    owner : ndarray of int
        Forest position that brings fibre to the target.
    drop_m : ndarray
        Drop length: ``distance_m + snap_m``.
    drop_cost : ndarray
        Drop termination plus drop cable cost.
    stub_cost : ndarray
        The target's share of the stubs built for it.
    pieces : DataFrame
        Route pieces of the forest followed by the stubs (:data:`PIECE_COLUMNS`).
    """

    nearest: pd.DataFrame
    distance_m: np.ndarray
    owner: np.ndarray
    drop_m: np.ndarray
    drop_cost: np.ndarray
    stub_cost: np.ndarray
    pieces: pd.DataFrame


def covered_ranges(
    forest: RootedForest, fibre: Sources | None, edges: StreetEdges, target_edges: np.ndarray
) -> pd.DataFrame:
    """Covered ranges on the targets' edges: route pieces, existing fibre, forest nodes.

    Existing fibre is owned by the super root; a street node in the forest covers the point
    range at its end of the edge.
    """
    S, pos = forest.super_root, forest.position
    parts = [forest.pieces[["edge", "a", "b", "owner"]]]
    if fibre is not None and len(fibre):
        parts.append(
            pd.DataFrame({"edge": fibre.edge, "a": fibre.start, "b": fibre.end, "owner": S})
        )
    ue = np.unique(target_edges)
    for end, at in ((edges.u_idx, 0.0), (edges.v_idx, None)):
        nodes = end[ue]
        in_tree = pos[nodes] >= 0
        x = np.full(in_tree.sum(), 0.0) if at == 0.0 else edges.length[ue[in_tree]]
        parts.append(
            pd.DataFrame({"edge": ue[in_tree], "a": x, "b": x, "owner": pos[nodes[in_tree]]})
        )
    ranges = pd.concat(parts, ignore_index=True)
    ranges = ranges[ranges["edge"].isin(ue)].reset_index(drop=True)
    ranges["rid"] = np.arange(len(ranges))
    return ranges


def nearest_cover(ranges: pd.DataFrame, targets: Targets) -> pd.DataFrame:
    """For each target the covered range on its edge nearest to it, with distance ``d``.

    Raises
    ------
    AnalysisError
        A target's street edge carries no covered range (an internal error).
    """
    n = len(targets.rows)
    tp = pd.DataFrame(
        {"i": np.arange(n), "edge": targets.edge, "o": targets.offset_m, "s": targets.snap_m}
    )
    m = tp.merge(ranges, on="edge")
    m["d"] = np.maximum(0.0, np.maximum(m["a"] - m["o"], m["o"] - m["b"]))
    best = m.sort_values(["i", "d"]).drop_duplicates("i").set_index("i").sort_index()
    if len(best) != n:
        raise AnalysisError("internal: a target premise's street edge is not on the plan")
    return best


def stubs(
    best: pd.DataFrame, reach_m: np.ndarray, per_m: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray]:
    """Partial-edge stubs extending the nearest range until each target is within ``reach_m``.

    A left and a right stub meeting in the same gap are merged into one; a stub's cost is
    shared equally by the targets it serves. Returns the stub pieces and each target's share.
    """
    stub_cost = np.zeros(len(best))
    needs = best["d"].to_numpy() > reach_m
    if not needs.any():
        return pd.DataFrame(columns=PIECE_COLUMNS), stub_cost
    b = best[needs].copy()
    b["r"] = reach_m[needs]
    left = b["b"] <= b["o"]
    b["sa"] = np.where(left, b["b"], b["o"] + b["r"])
    b["sb"] = np.where(left, b["o"] - b["r"], b["a"])
    g = b.reset_index().groupby(["rid", left.to_numpy()])
    st = g.agg(
        edge=("edge", "first"),
        a=("sa", "min"),
        b=("sb", "max"),
        owner=("owner", "first"),
        members=("i", list),
    ).reset_index(drop=True)
    st = st.sort_values(["edge", "a"]).reset_index(drop=True)
    grp = (st["edge"] != st["edge"].shift()) | (st["a"] > st["b"].shift().fillna(-1))
    st["g"] = grp.cumsum()
    st = st.groupby("g").agg(
        edge=("edge", "first"),
        a=("a", "min"),
        b=("b", "max"),
        owner=("owner", "first"),
        members=("members", "sum"),
    )
    st["cost"] = (st["b"] - st["a"]) * per_m[st["edge"].to_numpy()]
    st["kind"] = "stub"
    for c, mem in zip(st["cost"], st["members"], strict=True):
        stub_cost[mem] += c / len(mem)
    return st[PIECE_COLUMNS], stub_cost


def reach_targets(
    cfg: PlanConfig,
    forest: RootedForest,
    inputs: PlanInputs,
    targets: Targets,
    per_m: np.ndarray,
    drop_limit: float,
) -> Reach:
    """Bring fibre within the drop limit of every target: nearest cover, then stubs."""
    ranges = covered_ranges(forest, inputs.fibre, inputs.network.edges, targets.edge)
    best = nearest_cover(ranges, targets)
    reach_m = np.maximum(drop_limit - targets.snap_m - 1e-3, 0.0)
    stub_pieces, stub_cost = stubs(best, reach_m, per_m)
    dist = best["d"].to_numpy()
    dist = np.where(dist > reach_m, reach_m, dist)
    drop_m = dist + targets.snap_m
    return Reach(
        nearest=best,
        distance_m=dist,
        owner=best["owner"].to_numpy(dtype=np.int64),  # int also when empty
        drop_m=drop_m,
        drop_cost=cfg.drop_per_premise * targets.premises + cfg.drop_per_m * drop_m,
        stub_cost=stub_cost,
        pieces=pd.concat([forest.pieces, stub_pieces], ignore_index=True),
    )
