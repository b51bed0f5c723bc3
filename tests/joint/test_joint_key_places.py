"""Key places as an optional objective: demand = the radio KPI's places; MILP = brute force."""

from __future__ import annotations

import itertools

import numpy as np

from planner.config.joint import SOURCES, JointConfig
from planner.joint.certify import certify_cover
from planner.joint.core import site_demands
from planner.joint.demand import key_place_cells
from planner.joint.select import CoverInstance, lazy_greedy
from planner.radio.kpis import cell_lookup


def test_key_place_flag_is_off_by_default_and_cited():
    assert JointConfig().key_places_target_pct is None
    assert "MIIT" in SOURCES["key_places_target_pct"]


def test_key_place_demand_counts_what_the_radio_kpi_counts(joint, planned_city):
    city = planned_city[0]
    radio = joint.radio_after
    cells = key_place_cells(city, radio.transform, radio.covered.shape[1:])
    kp = radio.summary["key_places"]
    # every key place of the sample is on the grid: the demand weighs each once
    assert cells.weight.sum() == kp["total"] > 0
    assert cells.level == 0
    # covered weight on the radio grid = the KPI's reached count
    assert radio.covered[0].ravel()[cells.flat] @ cells.weight == kp["reached"]
    # hand oracle: the cells are the places' own cells
    r, c = np.divmod(cells.flat, radio.covered.shape[2])
    x = radio.transform.c + radio.transform.a * (c + 0.5)
    y = radio.transform.f + radio.transform.e * (r + 0.5)
    flat, inside = cell_lookup(radio.transform, radio.covered.shape[1:], x, y)
    assert inside.all() and np.array_equal(flat, cells.flat)


def _brute(inst: CoverInstance, n: int) -> float:
    best = np.inf
    for k in range(n + 1):
        for s in itertools.combinations(range(n), k):
            c = float(inst.cost[list(s)].sum())
            if c >= best:
                continue
            ok = True
            for m, w, base, need in zip(
                inst.matrix, inst.weight, inst.base, inst.deficit, strict=True
            ):
                cov = base.copy()
                if s:
                    cov |= np.asarray(m[list(s)].sum(axis=0)).ravel() > 0
                ok &= float(w[cov].sum()) - float(w[base].sum()) >= need
            if ok:
                best = c
    return best


def test_key_places_objective_milp_equals_brute_force(joint, planned_city):
    """Corridors and key places together on 10 real candidates: MILP optimum = brute force."""
    from planner.joint.core import cover_model_of

    city = planned_city[0]
    jcfg = JointConfig(corridor_target_pct=40, key_places_target_pct=50)
    demands = site_demands(city, joint.radio_before, joint.corridors_before, jcfg)
    assert [d.name for d in demands] == ["corridors", "key_places"]
    model = cover_model_of(city, joint.radio_before, joint.costed, demands)
    cost = joint.costed.total_cost
    # the 10 candidates covering the most key places, then the most corridor metres
    kp = np.asarray(model.matrix[1].sum(axis=1)).ravel()
    cm = np.asarray(model.matrix[0] @ demands[0].cells.weight).ravel()
    pick = np.lexsort((-cm, -kp))[:10]
    mats = [m[pick] for m in model.matrix]
    need = []
    for d, m, base in zip(demands, mats, model.base_covered, strict=True):
        reach = base | (np.asarray(m.sum(axis=0)).ravel() > 0)
        need.append(min(d.target * d.total, float(d.cells.weight[reach].sum())) * (1 - 1e-9))
    inst = CoverInstance(
        matrix=mats,
        weight=[d.cells.weight for d in demands],
        base=[b.copy() for b in model.base_covered],
        deficit=[
            max(0.0, n - float(d.cells.weight[b].sum()))
            for n, d, b in zip(need, demands, model.base_covered, strict=True)
        ],
        cost=cost[pick],
    )
    assert inst.deficit[1] > 0  # the key places are a binding objective
    sel = lazy_greedy(inst)
    cert = certify_cover(inst, sel.chosen, 20.0)
    assert cert.is_optimum
    assert abs(cert.optimum_cost - _brute(inst, len(pick))) < 0.01
    assert cert.optimum_cost <= float(inst.cost[sel.chosen].sum()) + 0.01
