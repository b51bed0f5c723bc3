"""Baselines the joint plan is measured against: population-only sites, separate backhaul."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.city import City
from planner.joint.cover import CoverModel, cover_model, exact_covered
from planner.joint.demand import Demand, population_cells
from planner.joint.powers import coverage_of, radio_scene, site_powers
from planner.joint.result import JointPlan
from planner.joint.select import cover_instance, lazy_greedy

__all__ = ["Baseline", "population_only_baseline"]


@dataclass
class Baseline:
    """Sites chosen without regard to corridors, extended until the same corridor coverage.

    When the people order never reaches it (interference), ``sites``/``cost`` are those of the
    prefix with the highest corridor coverage, ``corridor_pct`` that coverage.
    """

    sites: int
    cost: float  #: equipment + backhaul (each site's street route to the fibre plan)
    corridor_pct: float
    reached: bool  #: the joint plan's corridor coverage was reached


def _population_model(city: City, plan: JointPlan) -> CoverModel:
    radio, costed = plan.radio_before, plan.costed
    cells = population_cells(city, radio.transform, radio.covered.shape[1:])
    d = Demand("population", cells, 1.0)
    fcs = np.concatenate(
        [s["frequency_ghz"].to_numpy(float) for s in (radio.sectors, costed.cand.sectors) if len(s)]
    )
    scene = radio_scene(
        city,
        radio.config,
        radio.transform,
        radio.covered.shape[1:],
        radio.heights_m,
        np.unique(np.round(fcs, 4)),
    )
    ex = site_powers(scene, radio.sites, radio.sectors, cells)
    ca = site_powers(scene, costed.cand.sites, costed.cand.sectors, cells)
    return cover_model(radio.config, [d], [ex], [ca])


def population_only_baseline(city: City, plan: JointPlan) -> Baseline:
    """Greedy by ground people covered per EUR, then add in that order to the joint coverage.

    The candidates and costs are the joint plan's; the corridor coverage is the exact
    (SINR-aware) model's, with the rest of the candidates appended after the people order.
    """
    cfg = plan.radio_before.config
    pop = _population_model(city, plan)
    order = lazy_greedy(cover_instance(pop, plan.costed.total_cost)).chosen
    usable = np.flatnonzero(np.isfinite(plan.costed.total_cost))
    order += [int(j) for j in usable[np.argsort(plan.costed.total_cost[usable])] if j not in order]
    model, d = plan.model, plan.model.demands[0]
    goal = 100 * float(d.cells.weight[exact_covered(cfg, model, plan.selection.chosen, 0)].sum())
    goal /= max(d.total, 1e-9)
    chosen: list[int] = []
    best, total = model.base[0].best[0].copy(), model.base[0].total[0].copy()
    pct = 100 * float(d.cells.weight[coverage_of(cfg, best, total)].sum()) / max(d.total, 1e-9)
    if pct >= goal - 1e-9:  # the existing sites reach it: nothing to build either way
        return Baseline(sites=0, cost=0.0, corridor_pct=round(pct, 3), reached=True)
    top = (pct, 0)
    for j in order:
        chosen.append(int(j))
        np.maximum(best, model.cand[0].best[j], out=best)
        total += model.cand[0].total[j]
        pct = 100 * float(d.cells.weight[coverage_of(cfg, best, total)].sum()) / d.total
        if pct > top[0]:
            top = (pct, len(chosen))
        if pct >= goal - 1e-9:
            break
    n = top[1] if pct < goal - 1e-9 else len(chosen)
    return Baseline(
        sites=n,
        cost=float(plan.costed.total_cost[chosen[:n]].sum()),
        corridor_pct=round(max(pct, top[0]), 3),
        reached=pct >= goal - 1e-9,
    )
