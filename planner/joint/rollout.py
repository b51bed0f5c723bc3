"""One roll-out over fibre and radio: merged budget curve, cost to meet both targets, phases."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["PHASE_COLUMNS", "Item", "JointRollout", "fibre_items", "joint_rollout"]

#: Columns of ``JointPlan.phases``.
PHASE_COLUMNS = [
    "phase",
    "budget",
    "fibre_cost",
    "radio_cost",
    "sites",
    "household_pct",
    "corridor_pct",
]


@dataclass
class Item:
    """One step of the roll-out: its cost and the coverage (pct) it reaches afterwards."""

    kind: str  #: "fibre" or "site"
    cost: float
    reach: float  #: household pct (fibre) or corridor pct (site) after this step
    label: str


@dataclass
class JointRollout:
    """The merged curve, the cost to meet both targets, the phases."""

    curve: list[dict]
    meet: dict
    phases: pd.DataFrame


def fibre_items(cost_curve: list[dict]) -> list[Item]:
    """Return the fibre plan's budget curve as steps (increments between its points)."""
    items, prev = [], 0.0
    for p in cost_curve:
        c = float(p["cost"])
        if c > prev:
            items.append(Item("fibre", c - prev, float(p["coverage_pct"]), f"fibre to {c:.0f}"))
            prev = c
    return items


def _merge(fib: list[Item], site: list[Item], start: tuple[float, float], target) -> list[Item]:
    """Merge two ordered step lists by share of the remaining target gained per EUR."""
    out, i, j = [], 0, 0
    now = list(start)

    def eff(it: Item, k: int) -> float:
        need = target[k] - now[k]
        return 0.0 if need <= 0 else min(it.reach - now[k], need) / need / max(it.cost, 1e-9)

    while i < len(fib) or j < len(site):
        take_f = j >= len(site) or (i < len(fib) and eff(fib[i], 0) >= eff(site[j], 1))
        it = fib[i] if take_f else site[j]
        k = 0 if take_f else 1
        i, j = (i + 1, j) if take_f else (i, j + 1)
        now[k] = max(now[k], it.reach)
        out.append(it)
    return out


def joint_rollout(
    fib: list[Item],
    site: list[Item],
    start: tuple[float, float],
    target: tuple[float, float],
    n_phases: int,
) -> JointRollout:
    """Order fibre and site steps on one budget and cut the cost to meet both into phases.

    Parameters
    ----------
    fib, site : list of Item
        The fibre steps (cheapest coverage first) and the sites in selection order.
    start : tuple of float
        Household and corridor coverage (pct) today.
    target : tuple of float
        The two targets (pct).
    n_phases : int
        Phases of equal budget over the cost to meet both (or the whole plan if unmet).

    Returns
    -------
    JointRollout

    """
    steps = _merge(fib, site, start, target)
    now, total, curve = (
        list(start),
        0.0,
        [{"cost": 0.0, "household_pct": start[0], "corridor_pct": start[1], "kind": "today"}],
    )
    meet_at = None
    for it in steps:
        total += it.cost
        k = 0 if it.kind == "fibre" else 1
        now[k] = max(now[k], it.reach)
        curve.append(
            {
                "cost": round(total, 2),
                "household_pct": round(now[0], 3),
                "corridor_pct": round(now[1], 3),
                "kind": it.kind,
            }
        )
        if meet_at is None and now[0] >= target[0] and now[1] >= target[1]:
            meet_at = len(curve) - 1
    end = meet_at if meet_at is not None else len(curve) - 1
    meet = {"met": meet_at is not None, "cost": curve[end]["cost"], "step": end}
    return JointRollout(curve, meet, _phases(curve[: end + 1], steps[:end], n_phases))


def _phases(curve: list[dict], steps: list[Item], n: int) -> pd.DataFrame:
    total = curve[-1]["cost"] if curve else 0.0
    budget = total / n if n else total
    rows = []
    cum = np.cumsum([s.cost for s in steps]) if steps else np.zeros(0)
    phase_of = np.minimum((np.maximum(cum - 1e-6, 0) // max(budget, 1e-9)).astype(int), n - 1)
    for p in range(n):
        sel = [s for s, ph in zip(steps, phase_of, strict=True) if ph == p]
        last = [i for i, ph in enumerate(phase_of) if ph <= p]
        pt = curve[last[-1] + 1] if last else curve[0]
        rows.append(
            {
                "phase": p + 1,
                "budget": round(budget, 2),
                "fibre_cost": round(sum(s.cost for s in sel if s.kind == "fibre"), 2),
                "radio_cost": round(sum(s.cost for s in sel if s.kind == "site"), 2),
                "sites": sum(1 for s in sel if s.kind == "site"),
                "household_pct": pt["household_pct"],
                "corridor_pct": pt["corridor_pct"],
            }
        )
    return pd.DataFrame(rows, columns=PHASE_COLUMNS)
