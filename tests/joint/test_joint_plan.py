"""The joint plan end to end on the Helsinki sample: claims, checks, outputs."""

from __future__ import annotations

import json

import numpy as np
import pyogrio

from planner.config.radio import RadioConfig
from planner.joint import SITE_COLUMNS, write_joint_outputs
from planner.joint.cover import exact_covered
from planner.joint.tables import write_site_file
from planner.radio import analyze_radio
from tests.joint.conftest import SHORT_RANGE


def test_meets_corridor_target_with_several_sites(joint):
    s = joint.summary
    assert s["sites"]["chosen"] >= 2
    assert s["coverage"]["corridor_pct_before"] < 90
    assert s["coverage"]["corridor_pct_after"] >= 90
    assert list(joint.sites.columns) == [*SITE_COLUMNS, "geometry"]
    json.dumps(s)


def test_claim_equals_independent_radio_recomputation(joint, planned_city, tmp_path):
    city, _, _, dc, corr = planned_city
    path = write_site_file(joint.costed.cand, list(joint.selection.chosen), tmp_path / "s.gpkg")
    cfg = RadioConfig(**SHORT_RANGE, site_files=[path])
    again = analyze_radio(city, cfg, corridors=corr.corridors, band=(dc.band.min_m, dc.band.max_m))
    claim = joint.summary["coverage"]["corridor_pct_after"]
    assert again.summary["route_network"]["covered_pct"]["value"] == claim
    # the planner's own SINR-aware model agrees with the radio model
    assert abs(joint.summary["coverage"]["corridor_pct_planned"] - claim) <= 1.0


def test_point_model_matches_radio_grid(joint):
    """Coverage of the existing+chosen sites at the demand cells equals the radio grids'."""
    d = joint.model.demands[0]
    mine = exact_covered(joint.radio_before.config, joint.model, joint.selection.chosen, 0)
    after = joint.radio_after  # modelled at the ground and the corridors' height only
    level = after.heights_m.index(joint.radio_before.heights_m[d.cells.level])
    grid = after.covered[level].ravel()[d.cells.flat]
    assert (mine == grid).mean() >= 0.99


def test_joint_routing_never_dearer_than_separate(joint):
    r = joint.routing
    assert r.joint_cost <= r.separate_cost + 1e-6
    assert r.joint_cost >= r.homes_cost - 1e-6
    b = joint.summary["backhaul"]
    assert b["saving_vs_separate_eur"] >= 0


def test_corridors_rerouted_cross_no_nofly_zone(joint):
    c = joint.summary["corridors"]
    assert c["nofly_intersections"] == 0
    assert c["corridor_pct_rerouted"] is not None


def test_cost_to_meet_both_parts_add_up(joint):
    m = joint.summary["cost_to_meet_both"]
    total = m["fibre_eur"] + m["sites_eur"] + m["backhaul_eur"]
    assert abs(total - m["total_eur"]) < 1.0
    assert m["sites_new"] + m["sites_upgraded"] == joint.summary["sites"]["chosen"]
    curve = joint.summary["rollout"]["budget_curve"]
    costs = [p["cost"] for p in curve]
    assert costs == sorted(costs)
    assert len(joint.phases) == joint.config.phases


def test_certificate_bounds_greedy(joint):
    c = joint.summary["certificate"]
    if c["lower_bound"] is not None:
        assert c["lower_bound"] <= c["greedy_cost"] + 1e-6


def test_write_outputs(joint, tmp_path):
    paths = write_joint_outputs(joint, tmp_path)
    assert (tmp_path / "sites.gpkg") in paths
    layers = {name for name, _ in pyogrio.list_layers(tmp_path / "sites.gpkg")}
    assert {"sites", "sectors", "backhaul", "corridors_before", "corridors_after"} <= layers
    assert np.isfinite(joint.sites["total_cost"]).all()


def test_powers_in_range_equal_a_full_array_pass(joint):
    """Oracle: the statistical model over every cell, out-of-range powers set to 0 after.

    The powers are evaluated on each site's in-range cells only; with no blocking surface
    (``det`` None) the per-cell formula is evaluated here over all cells instead.
    """
    import math

    from planner.joint.powers import RadioScene, site_powers
    from planner.radio.antenna import af_table, sector_gain_dbi
    from planner.radio.coverage import Link, antenna_for, link_loss_db, re_power_offset_db

    radio, cand = joint.radio_before, joint.costed.cand
    cfg, cells = radio.config, joint.model.demands[0].cells
    bands = np.unique(np.round(cand.sectors["frequency_ghz"].to_numpy(float), 4))
    shape, h_ut = radio.covered.shape[1:], radio.heights_m[cells.level]
    scene = RadioScene(cfg, radio.transform, shape, radio.heights_m, None, None, None, bands)
    got = site_powers(scene, cand.sites, cand.sectors, cells)
    rng = cfg.max_range_ground_m if h_ut <= 22.5 else cfg.max_range_air_m
    some_out = False
    for s, site in enumerate(cand.sites.itertuples()):
        dx = (cells.x - site.geometry.x).astype(np.float32)
        dy = (cells.y - site.geometry.y).astype(np.float32)
        d2d = np.hypot(dx, dy)
        link = Link(dx, dy, d2d, float(site.height_m), h_ut, str(site.scenario))
        zen = np.degrees(np.arctan2(d2d, np.float32(h_ut - site.height_m)))
        phi = np.degrees(np.arctan2(dx, dy))
        best = np.zeros((len(bands), d2d.size), np.float32)
        total = np.zeros_like(best)
        for row in cand.sectors[cand.sectors["site"] == s].itertuples():
            ant = antenna_for(row, cfg)
            loss = link_loss_db(link, float(row.frequency_ghz), cfg, None, None)[0]
            g = sector_gain_dbi(ant, zen, phi - np.float32(row.azimuth_deg), af_table(ant))
            re = np.float32(float(row.tx_power_dbm) - re_power_offset_db(cfg))
            p = np.exp((re + g - loss) * np.float32(math.log(10) / 10)) * (d2d <= rng)
            b = np.searchsorted(bands, round(float(row.frequency_ghz), 4))
            total[b] += p
            best[b] = np.maximum(best[b], p)
        assert np.array_equal(got.total[s], total) and np.array_equal(got.best[s], best)
        some_out |= bool((d2d > rng).any() and (d2d <= rng).any())
    assert some_out and got.best.any()


def test_coverage_of_a_block_equals_one_candidate_at_a_time(joint):
    from planner.joint.powers import coverage_of

    cfg, cand = joint.radio_before.config, joint.model.cand[0]
    base = joint.model.base[0]
    best, total = np.maximum(base.best, cand.best), base.total + cand.total
    block = coverage_of(cfg, best, total)
    one = np.stack([coverage_of(cfg, best[i], total[i]) for i in range(best.shape[0])])
    assert block.shape == one.shape and np.array_equal(block, one) and one.any()


def test_site_powers_do_not_depend_on_threads(joint, planned_city):
    # the sites run in threads, each writing its own rows: every power bit for bit the same
    from planner.joint.powers import radio_scene, site_powers_at

    radio, cand = joint.radio_before, joint.costed.cand
    cfg, cells = radio.config, [d.cells for d in joint.model.demands]
    bands = np.unique(np.round(cand.sectors["frequency_ghz"].to_numpy(float), 4))
    shape = radio.covered.shape[1:]
    runs = []
    for threads in (1, 2, 3):
        scene = radio_scene(planned_city[0], cfg, radio.transform, shape, radio.heights_m, bands)
        assert scene.det is not None  # the horizons are exercised too
        runs.append(site_powers_at(scene, cand.sites, cand.sectors, cells, threads=threads))
    for other in runs[1:]:
        for a, b in zip(runs[0], other, strict=True):
            assert np.array_equal(a.best, b.best) and np.array_equal(a.total, b.total)
    assert runs[0][0].best.any()
