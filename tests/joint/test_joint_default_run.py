"""``planner run`` includes the joint site plan by default (summary, sites.gpkg, map, report)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from planner.render.joint import JOINT_SECTION_TITLE
from planner.run import DEFAULT_STEPS, REQUIRES, steps_to_run


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    """The default ``planner run`` of the Helsinki sample (OSM sites)."""
    from planner.config import CityConfig
    from planner.run import run_city

    root = tmp_path_factory.mktemp("joint-run")
    return run_city(CityConfig(name="helsinki"), out_root=root, progress=False)


def test_joint_is_a_default_step_after_its_inputs():
    assert "joint" in DEFAULT_STEPS
    order = steps_to_run(None)
    assert all(order.index(r) < order.index("joint") for r in REQUIRES["joint"])


def test_default_run_records_the_joint_plan(default_run):
    assert default_run.steps["joint"].status == "ok"
    summary = json.loads((default_run.out_dir / "summary.json").read_text(encoding="utf-8"))
    jp = summary["joint_plan"]
    assert summary["steps"]["joint"]["status"] == "ok"
    # the sample's mast already covers the corridors: nothing to build, nothing recomputed
    cov = jp["coverage"]
    assert cov["corridor_pct_after"] == summary["radio"]["route_network"]["covered_pct"]["value"]
    if jp["sites"]["chosen"] == 0:
        assert jp["cost_to_meet_both"]["sites_eur"] == 0
        assert jp["coverage"]["corridor_pct_planned"] == cov["corridor_pct_after"]
    names = {p.name for p in default_run.files}
    assert {"sites.gpkg", "joint_phases.csv"} <= names


def test_default_run_map_and_report_have_the_joint_part(default_run):
    report = (default_run.out_dir / "report.md").read_text(encoding="utf-8")
    assert JOINT_SECTION_TITLE in report
    page = (default_run.out_dir / "map.html").read_text(encoding="utf-8")
    assert "Corridor coverage after the plan" in page


def test_upgrade_reuses_its_sites_horizon_with_the_same_powers(default_run):
    """The horizon cache (existing site -> its upgrade candidate) changes no power."""
    from planner.joint.core import joint_config, site_demands
    from planner.joint.powers import radio_scene, site_powers

    r = default_run.results
    radio, costed, city = r.radio, r.joint.costed, default_run.city
    up = costed.cand.table.index[costed.cand.table["kind"] == "upgrade"].to_numpy()
    assert len(up) == len(radio.sites) > 0
    cells = site_demands(city, radio, r.drones.corridors, joint_config(None))[0].cells
    bands = np.unique(np.round(costed.cand.sectors["frequency_ghz"].to_numpy(float), 4))
    args = (city, radio.config, radio.transform, radio.covered.shape[1:], radio.heights_m, bands)
    cached, fresh = radio_scene(*args), radio_scene(*args)
    cached.store = True
    site_powers(cached, radio.sites, radio.sectors, cells)
    cached.store = False
    assert len(cached.horizons) == len(radio.sites)
    a = site_powers(cached, costed.cand.sites, costed.cand.sectors, cells)
    b = site_powers(fresh, costed.cand.sites, costed.cand.sectors, cells)
    assert not fresh.horizons
    assert np.array_equal(a.best, b.best) and np.array_equal(a.total, b.total)


def test_default_run_leaves_joint_out_when_an_input_failed(monkeypatch, tmp_path):
    """Drones failing: the default run does not list joint as a further partial result."""
    import planner.run as run
    from planner.config import CityConfig
    from planner.errors import AnalysisError

    def fails(ctx):
        raise AnalysisError("no corridors")

    fake = dict.fromkeys(run.STEPS, lambda ctx: None)
    fake["drones"] = fails
    monkeypatch.setattr(run, "STEPS", fake)
    res = run.run_city(CityConfig(name="helsinki"), out_root=tmp_path, progress=False)
    assert "joint" not in res.steps and list(res.incomplete) == ["drones"]
    asked = run.run_city(
        CityConfig(name="helsinki"), out_root=tmp_path, progress=False, steps=["joint"]
    )
    assert asked.steps["joint"].status == "skipped"
    assert "drones" in asked.steps["joint"].reason


def test_one_horizon_serves_every_cell_set(default_run):
    """Powers at several cell sets from one sweep per site: a subset reads the same values.

    Oracle: the powers at a subset of the corridor cells, evaluated together with the full
    set (so with the full set's horizon), are exactly the full set's powers at those cells;
    and the full set's own powers are unchanged by the subset riding along.
    """
    from planner.joint.core import joint_config, site_demands
    from planner.joint.powers import Cells, radio_scene, site_powers, site_powers_at

    r = default_run.results
    radio, costed, city = r.radio, r.joint.costed, default_run.city
    full = site_demands(city, radio, r.drones.corridors, joint_config(None))[0].cells
    pick = np.arange(0, full.flat.size, 3)
    sub = Cells(full.flat[pick], full.x[pick], full.y[pick], full.weight[pick], full.level)
    bands = np.unique(np.round(costed.cand.sectors["frequency_ghz"].to_numpy(float), 4))
    args = (city, radio.config, radio.transform, radio.covered.shape[1:], radio.heights_m, bands)
    sites, sectors = costed.cand.sites, costed.cand.sectors
    both = site_powers_at(radio_scene(*args), sites, sectors, [full, sub])
    alone = site_powers(radio_scene(*args), sites, sectors, full)
    assert np.array_equal(both[0].best, alone.best) and np.array_equal(both[0].total, alone.total)
    assert np.array_equal(both[1].best, alone.best[:, :, pick])
    assert np.array_equal(both[1].total, alone.total[:, :, pick])
    assert both[1].best.any()


def test_radials_at_the_cells_azimuths_give_the_full_sweeps_powers(default_run, monkeypatch):
    """Sweeping only the radials the cells read, each only as far as they read, changes no
    power (oracle: the full sweep of every radial to the full reach)."""
    from planner.joint import powers
    from planner.joint.core import joint_config, site_demands
    from planner.radio.los import horizon

    r = default_run.results
    radio, costed, city = r.radio, r.joint.costed, default_run.city
    cells = site_demands(city, radio, r.drones.corridors, joint_config(None))[0].cells
    bands = np.unique(np.round(costed.cand.sectors["frequency_ghz"].to_numpy(float), 4))
    args = (city, radio.config, radio.transform, radio.covered.shape[1:], radio.heights_m, bands)
    sites, sectors = costed.cand.sites, costed.cand.sectors
    part = powers.site_powers(powers.radio_scene(*args), sites, sectors, cells)
    swept = []

    def full(surface, transform, x0, y0, z0, reach, azimuths=None, lengths=None):
        swept.append((len(azimuths) * np.ceil(reach / abs(transform.a)), int(lengths.sum())))
        return horizon(surface, transform, x0, y0, z0, reach)

    monkeypatch.setattr(powers, "horizon", full)
    whole = powers.site_powers(powers.radio_scene(*args), sites, sectors, cells)
    assert swept and np.array_equal(part.best, whole.best)
    assert sum(n for n, _ in swept) > sum(k for _, k in swept)  # some radials were cut short
    assert np.array_equal(part.total, whole.total) and part.best.any()


def test_a_cheaper_milp_cover_redoes_the_steps_after_the_selection(default_run, monkeypatch):
    """The steps after the selection run first on the greedy's picks, beside the MILP; when
    the MILP reports a cheaper cover they run again on its picks, so the plan is the one of
    the MILP's selection (oracle: the sites SINR repair starts from are the MILP's)."""
    from dataclasses import replace

    from planner.joint import core

    r = default_run.results
    starts = []
    real_select = core.select_sites

    def select(cfg, model, inst, start):
        starts.append((start.source, list(start.chosen)))
        return real_select(cfg, model, inst, start)

    def cheaper(program):
        cert = core.solve_program.__wrapped__(program)
        picks = list(range(min(2, program.inst.cost.size)))
        return replace(cert, optimum_cost=cert.greedy_cost - 1.0, chosen=picks)

    cheaper.__wrapped__ = core.solve_program
    monkeypatch.setattr(core, "solve_program", cheaper)
    monkeypatch.setattr(core, "select_sites", select)
    plan = core.plan_joint(default_run.city, r.fiber, r.plan, r.drones, radio=r.radio)
    assert [s for s, _ in starts] == ["greedy", "milp"]
    assert starts[1][1] == list(range(min(2, r.joint.costed.cand.sites.shape[0])))
    assert plan.selection.source == "milp"
    assert plan.selection.chosen[: len(starts[1][1])] == starts[1][1]


def test_work_on_the_greedys_picks_stops_once_the_milp_beats_them(default_run, monkeypatch):
    """HiGHS reporting a cheaper incumbent while SINR repair runs on the greedy's picks: the
    radio check and re-route are not run for them, only for the MILP's picks."""
    from dataclasses import replace

    from planner.joint import core

    r = default_run.results
    seen, checked = {}, []
    real_select, real_after, real_solve = core.select_sites, core._radio_after, core.solve_program

    def solve(program):
        seen["program"] = program
        cert = real_solve(program)
        picks = list(range(min(2, program.inst.cost.size)))
        return replace(cert, optimum_cost=cert.greedy_cost - 1.0, chosen=picks)

    def select(cfg, model, inst, start):
        if start.source == "greedy":
            seen["program"].beaten.set()  # as HiGHS' improving-solution callback would
        return real_select(cfg, model, inst, start)

    def after(city, radio, costed, chosen, *args):
        checked.append(list(chosen))
        return real_after(city, radio, costed, chosen, *args)

    monkeypatch.setattr(core, "solve_program", solve)
    monkeypatch.setattr(core, "select_sites", select)
    monkeypatch.setattr(core, "_radio_after", after)
    monkeypatch.setattr(core, "cover_program", _wait_for_seen(core.cover_program, seen))
    plan = core.plan_joint(default_run.city, r.fiber, r.plan, r.drones, radio=r.radio)
    assert plan.selection.source == "milp"
    assert len(checked) == 1 and checked[0][:2] == plan.selection.chosen[:2]


def _wait_for_seen(build, seen):
    """``cover_program`` that records its program at once (before the thread starts)."""

    def wrapped(*args):
        seen["program"] = build(*args)
        return seen["program"]

    return wrapped
