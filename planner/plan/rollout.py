"""Roll-out order (Horn), phases by budget, the cost curve and the budget mode."""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.config.plan import PlanConfig
from planner.errors import ConfigError
from planner.plan.architecture import Architecture
from planner.plan.forest import RootedForest
from planner.plan.reach import Reach
from planner.plan.result import BudgetResult, CostCurvePoint
from planner.plan.targets import Targets

__all__ = [
    "Rollout",
    "budget_mode",
    "cost_curve",
    "cut_phases",
    "horn_order",
    "node_costs",
    "phase_table",
    "roll_out",
]


@dataclass(frozen=True)
class Rollout:
    """Build order and phases of the plan.

    Attributes
    ----------
    node_cost : ndarray
        Per forest position (and super root): its route piece, plus drops, stubs and
        equipment amortised per premise of the targets it serves.
    node_premises : ndarray
        Premises passed when the position is built.
    sequence : ndarray of int
        Horn's roll-out order of the positions, super root first.
    sequence_position : ndarray of int
        Position of each forest position in :attr:`sequence`.
    node_phase : ndarray of int
        Phase (1..k) of each forest position.
    premise_phase, splitter_phase, cabinet_phase : ndarray of int
        Phase of each target, splitter (its first premise) and cabinet (its first splitter).
    """

    node_cost: np.ndarray
    node_premises: np.ndarray
    sequence: np.ndarray
    sequence_position: np.ndarray
    node_phase: np.ndarray
    premise_phase: np.ndarray
    splitter_phase: np.ndarray
    cabinet_phase: np.ndarray


def horn_order(
    parent: np.ndarray, w: np.ndarray, c: np.ndarray, S: int, order: np.ndarray
) -> np.ndarray:
    """Roll-out order of a rooted forest maximising premises passed per cost spent so far.

    Horn's algorithm for out-tree precedence (1|outtree|sum w_j C_j): repeatedly merge the
    group with the highest premises/cost ratio into its parent's group, appending its
    sequence (linked lists, heap; O(n log n)). Returns node positions, super root first.
    """
    N = S + 1
    W, C = w.astype(float).copy(), c.astype(float).copy()
    nxt = np.full(N, -1, dtype=np.int64)
    tail = np.arange(N)
    head_of = np.arange(N)  # union-find parent
    alive = np.ones(N, dtype=bool)

    def find(x):
        while head_of[x] != x:
            head_of[x] = head_of[head_of[x]]
            x = head_of[x]
        return x

    def key(v):
        return -(W[v] / C[v]) if C[v] > 0 else -np.inf

    heap = [(key(v), int(v)) for v in order if v != S]
    heapq.heapify(heap)
    ver = {}
    while heap:
        k, v = heapq.heappop(heap)
        if not alive[v] or find(v) != v or ver.get(v, k) != k:
            continue
        p = find(parent[v])
        nxt[tail[p]] = v
        tail[p] = tail[v]
        W[p] += W[v]
        C[p] += C[v]
        head_of[v] = p
        alive[v] = False
        if p != S:
            ver[p] = key(p)
            heapq.heappush(heap, (ver[p], int(p)))
    seq, x = [], S
    while x != -1:
        seq.append(x)
        x = nxt[x]
    return np.array(seq, dtype=np.int64)


def node_costs(
    cfg: PlanConfig, forest: RootedForest, targets: Targets, reach: Reach, arch: Architecture
) -> np.ndarray:
    """Cost of building each forest position: route piece, drops, stubs, equipment share."""
    pieces = reach.pieces
    node_cost = np.zeros(forest.super_root + 1)
    route = pieces["kind"] == "route"
    np.add.at(
        node_cost,
        pieces["owner"].to_numpy(dtype=np.int64)[route],
        pieces["cost"].to_numpy()[route],
    )
    ratio, per_cab = arch.ratio, arch.splitters_per_cabinet
    equip_per_prem = (cfg.splitter + cfg.olt_port) / ratio + cfg.cabinet / (per_cab * ratio)
    np.add.at(
        node_cost,
        reach.owner,
        reach.drop_cost + reach.stub_cost + equip_per_prem * targets.premises,
    )
    return node_cost


def cut_phases(
    sequence: np.ndarray, node_cost: np.ndarray, phase_budget: float | None
) -> np.ndarray:
    """Phase of every position: cut the roll-out order whenever ``phase_budget`` is spent."""
    phase = np.ones(len(node_cost), dtype=np.int64)
    if phase_budget:
        ph, spent = 1, 0.0
        for v in sequence:
            if spent > 0 and spent + node_cost[v] > phase_budget:
                ph, spent = ph + 1, 0.0
            phase[v] = ph
            spent += node_cost[v]
    return phase


def roll_out(
    cfg: PlanConfig, forest: RootedForest, targets: Targets, reach: Reach, arch: Architecture
) -> Rollout:
    """Order the forest by premises per cost (Horn) and cut the order into phases."""
    S = forest.super_root
    node_cost = node_costs(cfg, forest, targets, reach, arch)
    node_w = np.bincount(reach.owner, weights=targets.premises, minlength=S + 1)
    seq = horn_order(forest.parent, node_w, node_cost, S, forest.order)  # BFS: parents first
    seq_pos = np.empty(S + 1, dtype=np.int64)
    seq_pos[seq] = np.arange(len(seq))
    phase_node = cut_phases(seq, node_cost, cfg.phase_budget)
    p_phase = phase_node[reach.owner]
    spl_phase = np.array([p_phase[g].min() for g in arch.groups], dtype=np.int64)
    # cabinets take consecutive runs of per_cab splitters (cab_of_spl = arange // per_cab)
    n_spl, per_cab = arch.n_splitters, arch.splitters_per_cabinet
    cab_phase = (
        np.minimum.reduceat(spl_phase, np.arange(0, n_spl, per_cab))
        if n_spl
        else np.zeros(0, dtype=np.int64)
    )
    return Rollout(
        node_cost=node_cost,
        node_premises=node_w,
        sequence=seq,
        sequence_position=seq_pos,
        node_phase=phase_node,
        premise_phase=p_phase,
        splitter_phase=spl_phase,
        cabinet_phase=cab_phase,
    )


def phase_table(
    cfg: PlanConfig,
    routes: pd.DataFrame,
    drops: pd.DataFrame,
    arch: Architecture,
    rollout: Rollout,
) -> pd.DataFrame:
    """Cost and premises of every phase (``PHASE_COLUMNS``), with running totals."""
    spl_phase, cab_phase, l1 = rollout.splitter_phase, rollout.cabinet_phase, arch.first_level
    k = int(max([1, *routes["phase"].tolist(), *drops["phase"].tolist()]))
    idx = np.arange(1, k + 1)
    route = routes.groupby("phase")["cost"].sum().reindex(idx, fill_value=0.0)
    length = routes.groupby("phase")["length_m"].sum().reindex(idx, fill_value=0.0)
    drop = drops.groupby("phase")["cost"].sum().reindex(idx, fill_value=0.0)
    prem = drops.groupby("phase")["premises"].sum().reindex(idx, fill_value=0)
    nspl = np.bincount(spl_phase, minlength=k + 1)[1:]
    ncab = np.bincount(cab_phase, minlength=k + 1)[1:]
    nl1 = np.bincount(cab_phase, weights=l1, minlength=k + 1)[1:] if len(l1) else np.zeros(k)
    ports = nl1 if cfg.two_level else nspl
    crossings = routes.groupby("phase")["crossings"].sum().reindex(idx, fill_value=0.0)
    equip = (nspl + nl1) * cfg.splitter + ncab * cfg.cabinet + ports * cfg.olt_port
    # route cost already includes crossings
    capex = route.to_numpy() + drop.to_numpy() + equip
    df = pd.DataFrame(
        {
            "phase": idx,
            "route_length_m": np.round(length.to_numpy(), 1),
            "premises_passed": prem.to_numpy().astype(np.int64),
            "route_cost": np.round(route.to_numpy(), 2),
            "crossings": crossings.to_numpy(),
            "drop_cost": np.round(drop.to_numpy(), 2),
            "equipment_cost": np.round(equip, 2),
            "capex": capex,
        }
    )
    df["cumulative_capex"] = df["capex"].cumsum()
    df["cumulative_premises"] = df["premises_passed"].cumsum()
    df["capex"] = df["capex"].round(2)
    df["cumulative_capex"] = df["cumulative_capex"].round(2)
    return df


def cost_curve(
    rollout: Rollout, passed0: float, total: float, points: int = 200
) -> list[CostCurvePoint]:
    """Premises passed and coverage against cumulative cost along the roll-out order.

    The budget-mode curve: each point is what a budget equal to its ``cost`` passes when
    the plan is built in Horn order (equipment spread per premise, as in the phases).
    """
    seq = rollout.sequence
    cost = np.cumsum(rollout.node_cost[seq])
    prem = passed0 + np.cumsum(rollout.node_premises[seq])
    if len(seq) == 0:
        return []
    pick = np.unique(np.linspace(0, len(seq) - 1, min(points, len(seq))).astype(int))
    return [
        CostCurvePoint(
            cost=round(float(cost[i]), 2),
            premises=int(prem[i]),
            coverage_pct=round(100 * float(prem[i]) / total, 3) if total else 0.0,
        )
        for i in pick
    ]


def _cheapest_step(forest: RootedForest, rollout: Rollout) -> float:
    """Least root-path cost to any position that passes premises (0 if none does)."""
    S, parent, node_cost = forest.super_root, forest.parent, rollout.node_cost
    path = np.zeros(S + 1)
    for v in rollout.sequence[1:]:  # parents precede children in Horn's sequence
        path[v] = node_cost[v] + (path[parent[v]] if parent[v] != S else 0.0)
    has = rollout.node_premises > 0
    return float(path[has].min()) if has.any() else 0.0


def budget_mode(
    cfg: PlanConfig, forest: RootedForest, rollout: Rollout, capex: float, targeted: float
) -> BudgetResult | None:
    """With budget B pass the most premises: Horn prefix, then greedy fill of what still fits.

    Raises
    ------
    ConfigError
        The budget is below the cheapest root path to any premise.
    """
    if cfg.budget is None:
        return None
    cheapest = _cheapest_step(forest, rollout)
    if cfg.budget < cheapest:
        raise ConfigError(
            f"plan.budget = {cfg.budget:g} is smaller than the cheapest cluster of the "
            f"plan ({cheapest:.0f} {cfg.currency})"
        )
    S, parent, node_cost = forest.super_root, forest.parent, rollout.node_cost
    built = np.zeros(S + 1, dtype=bool)
    built[S] = True
    spent, got = 0.0, 0.0
    for v in rollout.sequence[1:]:
        if built[parent[v]] and spent + node_cost[v] <= cfg.budget:
            built[v] = True
            spent += node_cost[v]
            got += rollout.node_premises[v]
    return BudgetResult(
        budget=cfg.budget,
        spent=round(float(spent), 2),
        premises_passed=int(got),
        premises_full_plan=int(targeted),
        share_of_full_plan_pct=round(float(100 * got / targeted), 2) if targeted else 0.0,
        full_plan_capex=round(capex, 2),
        method="Horn order (premises per cost, out-tree precedence), greedy fill; "
        "equipment amortised per premise",
    )
