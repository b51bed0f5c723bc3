"""Coverage grids: agreement with the per-cell reference, monotonicity, KPIs and outputs."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely

from planner.errors import ConfigError
from planner.radio import (
    CORRIDOR_COLUMNS,
    COVERED_SHARE,
    RadioConfig,
    analyze_radio,
    band_names,
    write_radio_outputs,
)
from planner.radio.analysis import _blocking, radio_grid
from planner.radio.coverage import compute_coverage
from planner.radio.reference import naive_cells
from planner.radio.sites import load_sites

from .conftest import CRS_UTM, X0, Y0, make_city, write_sites_csv

SITES = [
    {"site_id": "A", "x": 300, "y": 300, "height_m": 25},
    {"site_id": "B", "x": 1700, "y": 600, "height_m": 30, "elec_tilt_deg": 3},
    {"site_id": "C", "x": 900, "y": 1700, "height_m": 20, "technology": "LTE"},
]


def cfg_for(tmp_path, rows=SITES, **kw):
    path = write_sites_csv(tmp_path / "sites.csv", rows)
    return RadioConfig(site_files=[path], use_osm_sites=False, resolution_m=40.0, **kw)


@pytest.mark.parametrize("blocking", ["off", "on", "auto"])
def test_vectorised_matches_per_cell_reference(toy_city, tmp_path, blocking, rng):
    cfg = cfg_for(tmp_path, blocking=blocking)
    sites, sectors = load_sites(toy_city, cfg)
    tr, shape = radio_grid(toy_city, cfg.resolution_m)
    surface, s_tr, det = _blocking(toy_city, cfg, tr, shape)
    heights = [1.5, 60.0, 120.0]
    g = compute_coverage(
        sites, sectors, tr, shape, heights, cfg, surface, s_tr, det if det.any() else None
    )
    cells = rng.choice(shape[0] * shape[1], 40, replace=False)
    blk = None if blocking == "off" else (surface, s_tr, det.ravel())
    r, s, k = naive_cells(cells, sites, sectors, tr, shape[1], heights, cfg, blk)
    vr = g.rsrp_dbm.reshape(len(heights), -1)[:, cells]
    vs = g.sinr_db.reshape(len(heights), -1)[:, cells]
    vk = g.server.reshape(len(heights), -1)[:, cells]
    # the model tabulates path loss on a 0.001-decade distance grid: <= 0.05 dB from exact
    if blocking == "off":
        np.testing.assert_allclose(vr, r, atol=0.05)
        np.testing.assert_allclose(vs, s, atol=0.1)
        assert np.mean(vk == k) >= 0.95  # the rest are exact ties (cells on a sector seam)
    else:  # sweep vs ray march: a few grazing rays may differ
        assert np.mean(np.abs(vr - r) < 0.05) >= 0.9
        assert np.mean(vk == k) >= 0.9


def test_monotone_in_transmit_power(toy_city, tmp_path):
    # a strict RSRP threshold so that the toy city is only partly covered
    lo = analyze_radio(toy_city, cfg_for(tmp_path, tx_power_dbm=40.0, rsrp_min_dbm=-85.0))
    hi = analyze_radio(toy_city, cfg_for(tmp_path, tx_power_dbm=46.0, rsrp_min_dbm=-85.0))
    assert (hi.covered >= lo.covered).all() and hi.covered.sum() > lo.covered.sum()
    assert np.nanmin(hi.rsrp_dbm - lo.rsrp_dbm) == pytest.approx(6.0, abs=1e-3)
    assert np.nanmin(hi.sinr_db - lo.sinr_db) >= -1e-4


def test_tall_building_never_adds_coverage(tmp_path):
    one = [SITES[0]]
    base = make_city()
    tall = make_city(
        [
            (600, 600, 40, 40, 30),
            (1400, 900, 60, 30, 12),
            (900, 1500, 30, 30, 50),
            (500, 450, 120, 30, 90),
        ]
    )
    a = analyze_radio(base, cfg_for(tmp_path, one, blocking="on", rsrp_min_dbm=-85.0))
    b = analyze_radio(tall, cfg_for(tmp_path, one, blocking="on", rsrp_min_dbm=-85.0))
    assert (b.covered <= a.covered).all() and b.covered.sum() < a.covered.sum()
    assert np.nanmax(b.rsrp_dbm - a.rsrp_dbm) <= 1e-4
    # with several sites the best-server RSRP still never rises (SINR may: a blocked interferer)
    a3 = analyze_radio(base, cfg_for(tmp_path, blocking="on"))
    b3 = analyze_radio(tall, cfg_for(tmp_path, blocking="on"))
    assert np.nanmax(b3.rsrp_dbm - a3.rsrp_dbm) <= 1e-4


def test_summary_kpis_and_corridors(toy_city, tmp_path):
    corr = gpd.GeoDataFrame(
        {"from_hub": ["h1", "h2"], "to_hub": ["h2", "h3"], "altitude_m": [60.0, None]},
        geometry=[
            shapely.LineString([(X0 + 100, Y0 + 100), (X0 + 1900, Y0 + 1900)]),
            shapely.LineString([(X0 + 1900, Y0 + 1900), (X0 + 1900, Y0 + 100)]),
        ],
        crs=CRS_UTM,
    )
    res = analyze_radio(toy_city, cfg_for(tmp_path), corridors=corr)
    s = res.summary
    json.dumps(s, allow_nan=False)
    assert s["heights_m"] == [1.5, 60.0, 90.0, 120.0]
    assert set(s["area_covered_pct"]) == {"1.5", "60", "90", "120"}
    assert s["sites"] == 3 and s["sites_5g"] == 2 and s["sectors"] == 9
    assert s["sites_5g_per_10k_people"]["value"] == pytest.approx(1e4 * 2 / 300, abs=1e-3)
    assert s["sites_5g_per_10k_people"]["target"] == 12.0
    assert s["route_network"]["covered_pct"]["target"] == 90.0
    assert s["key_places"]["total"] == 2  # hospital + university; schools are not MIIT classes
    assert list(res.corridors.columns[:-1]) == CORRIDOR_COLUMNS
    assert res.corridors["height_evaluated_m"].tolist() == [60.0, 120.0]
    assert (res.corridors[COVERED_SHARE].between(0, 1)).all()
    assert (res.corridors["longest_uncovered_m"] <= res.corridors["length_m"] + 1e-6).all()
    assert s["assumptions"]["sources"]["rsrp_min_dbm"]


def test_deterministic(toy_city, tmp_path):
    a = analyze_radio(toy_city, cfg_for(tmp_path))
    b = analyze_radio(toy_city, cfg_for(tmp_path))
    assert np.array_equal(a.rsrp_dbm, b.rsrp_dbm, equal_nan=True)
    assert np.array_equal(a.serving_site, b.serving_site)
    sa, sb = dict(a.summary), dict(b.summary)
    sa.pop("seconds"), sb.pop("seconds")
    assert sa == sb


def test_location_probability_margin(toy_city, tmp_path):
    med = analyze_radio(toy_city, cfg_for(tmp_path, rsrp_min_dbm=-85.0))
    p90 = analyze_radio(toy_city, cfg_for(tmp_path, rsrp_min_dbm=-85.0, location_probability=0.9))
    assert (p90.covered <= med.covered).all() and p90.covered.sum() < med.covered.sum()


def test_rma_los_sigma_beyond_breakpoint(tmp_path):
    # one 30 m RMa site at 0.9 GHz, no buildings, blocking on: every ground cell is LOS.
    # TR 38.901: sigma_SF = 4 dB up to d_BP = 2 pi hBS hUT fc / c = 848.2 m, 6 dB beyond
    city = make_city([(1990, 1990, 5, 5, 3)])
    rows = [{"site_id": "R", "x": 100, "y": 100, "height_m": 30, "technology": "GSM"}]
    cfg = cfg_for(tmp_path, rows, scenario="RMa", blocking="on", location_probability=0.9)
    sites, sectors = load_sites(city, cfg)
    tr, shape = radio_grid(city, cfg.resolution_m)
    surface, s_tr, det = _blocking(city, cfg, tr, shape)
    g = compute_coverage(sites, sectors, tr, shape, [1.5, 60.0], cfg, surface, s_tr, det)
    z = 1.2815516
    d_bp = 2 * np.pi * 30 * 1.5 * 0.9e9 / 3e8
    margin = g.margin_db[0]
    assert sectors["frequency_ghz"].eq(0.9).all() and sites["scenario"].eq("RMa").all()
    rows_i, cols_i = np.indices(margin.shape)
    x, y = tr.c + tr.a * (cols_i + 0.5), tr.f + tr.e * (rows_i + 0.5)
    d = np.hypot(x - (X0 + 100), y - (Y0 + 100))
    has = np.isfinite(g.rsrp_dbm[0])
    near, far = has & (d < d_bp - 30), has & (d > d_bp + 30)
    assert near.any() and far.any()
    assert np.allclose(margin[near], 4 * z, atol=1e-4)
    assert np.allclose(margin[far], 6 * z, atol=1e-4)
    # aerial RMa-AV LOS at 60 m: 4.2 exp(-0.0046 h) everywhere, no breakpoint
    aer = np.isfinite(g.rsrp_dbm[1])
    assert np.allclose(g.margin_db[1][aer], 4.2 * np.exp(-0.0046 * 60) * z, atol=1e-4)


def test_outputs_cog_and_gpkg(toy_city, tmp_path):
    res = analyze_radio(toy_city, cfg_for(tmp_path))
    paths = write_radio_outputs(res, tmp_path / "out")
    assert [p.name for p in paths] == ["radio_coverage.tif", "radio.gpkg"]
    with rasterio.open(paths[0]) as ds:
        assert ds.count == 12 and ds.dtypes[0] == "float32"
        assert list(ds.descriptions) == band_names(res.heights_m)
        assert ds.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
        np.testing.assert_allclose(ds.read(1), res.rsrp_dbm[0], equal_nan=True)
    import pyogrio

    layers = [name for name, _ in pyogrio.list_layers(paths[1])]
    assert layers == ["sites", "sectors", "corridors"]
    sites = gpd.read_file(paths[1], layer="sites")
    assert {"height_m", "height_source", "scenario", "technology"} <= set(sites.columns)


def test_config_errors_one_line():
    with pytest.raises(ConfigError) as exc:
        RadioConfig.parse({"heigths_m": [60]})
    assert "did you mean 'heights_m'" in str(exc.value)
    with pytest.raises(ConfigError, match="outside"):
        RadioConfig.parse({"heights_m": [400]})
    assert RadioConfig().flight_heights((50, 100)) == [50.0, 75.0, 100.0]
    assert RadioConfig(heights_m=[30, 30, 100]).flight_heights() == [30.0, 100.0]
    rep = RadioConfig().report()
    assert set(rep["values"]) - {"targets"} <= set(rep["sources"])


GRIDS = ("rsrp_dbm", "sinr_db", "server", "site", "covered", "margin_db")


@pytest.mark.parametrize("blocking", ["off", "on", "auto"])
def test_threads_and_blocks_do_not_change_the_grids(toy_city, tmp_path, blocking):
    # row bands per thread, cut blocks: every grid bit for bit the single-thread one's
    cfg = cfg_for(tmp_path, blocking=blocking, location_probability=0.9)
    sites, sectors = load_sites(toy_city, cfg)
    tr, shape = radio_grid(toy_city, cfg.resolution_m)
    surface, s_tr, det = _blocking(toy_city, cfg, tr, shape)
    args = (sites, sectors, tr, shape, [1.5, 60.0, 120.0])
    blk = (surface, s_tr, det if det.any() else None)
    one = compute_coverage(*args, cfg, *blk, threads=1)
    small = cfg.model_copy(update={"chunk_cells": 1024})  # several blocks per window
    for c, threads in ((cfg, 2), (cfg, 3), (small, 1), (small, 2), (cfg, 64)):
        g = compute_coverage(*args, c, *blk, threads=threads)
        for name in GRIDS:
            a, b = getattr(one, name), getattr(g, name)
            assert a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True), (name, threads)


def test_row_bands_cover_the_grid_once(toy_city, tmp_path):
    from planner.radio import coverage as cov

    cfg = cfg_for(tmp_path)
    tr, shape = radio_grid(toy_city, cfg.resolution_m)
    model = cov._Model(cfg, tr, shape, [1.5], np.array([cfg.max_range_ground_m]), *[None] * 9)
    jobs = [
        cov._SiteJob(i, X0 + x, Y0 + 300, 25.0, "UMa", np.arange(3))
        for i, x in enumerate((300, 1700))
    ]
    for n in (1, 2, 3, 500):
        bands = cov._row_bands(model, jobs, n)
        assert 1 <= len(bands) <= min(n, shape[0])
        assert bands[0].start == 0 and bands[-1].stop == shape[0]
        assert all(b.stop > b.start for b in bands)
        assert all(a.stop == b.start for a, b in zip(bands[:-1], bands[1:], strict=True))


def test_usable_threads_honours_omp_num_threads(monkeypatch):
    from planner._threads import usable_threads
    from planner.drones.astar import route_threads

    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert usable_threads() == route_threads() == 1
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert usable_threads() >= 1


def test_horizon_cache_shares_and_bounds(toy_city, tmp_path):
    from planner.radio import coverage as cov

    cfg = cfg_for(tmp_path, blocking="on")
    tr, shape = radio_grid(toy_city, cfg.resolution_m)
    surface, s_tr, det = _blocking(toy_city, cfg, tr, shape)
    ranges = np.array([cfg.max_range_ground_m])
    model = cov._Model(
        cfg, tr, shape, [1.5], ranges, None, None, [], [], det, surface, s_tr, None, None
    )
    jobs = [
        cov._SiteJob(i, X0 + x, Y0 + 300, 25.0, "UMa", np.arange(3))
        for i, x in enumerate((300, 1700))
    ]
    hzs = cov._Horizons(model, threads=2, cap=1)
    a = hzs.get(jobs[0])
    assert hzs.get(jobs[0]) is a  # shared while a thread has not passed the site
    b1, b2 = hzs.get(jobs[1]), hzs.get(jobs[1])  # over the cap: each caller sweeps its own
    assert b1 is not b2 and np.array_equal(b1.slope, b2.slope, equal_nan=True)
    hzs.passed(0, 0)
    hzs.passed(1, 0)
    assert hzs.get(jobs[0]) is not a  # dropped once every thread passed it


def test_link_loss_kernel_equals_the_array_formula(rng):
    from planner.radio.coverage import Link, distance_index, link_loss_db, loss_tables

    cfg = RadioConfig()
    d2d = rng.uniform(0, 6000, 5000).astype(np.float32)
    det, vis = rng.random(5000) < 0.7, rng.random(5000) < 0.4
    idx = distance_index(d2d)
    link = Link(d2d, d2d, d2d, 25.0, 1.5, "UMa", idx)
    loss, los = link_loss_db(link, 3.5, cfg, det, vis)
    t_l, t_n, t_mix, t_los = loss_tables("UMa", 25.0, 1.5, 3.5, cfg, int(idx.max()) + 2)
    want = np.where(det, np.where(vis, t_l[idx], t_n[idx]), t_mix[idx])
    assert loss.dtype == want.dtype and np.array_equal(loss, want)
    assert np.array_equal(los, np.where(det, vis, t_los[idx]))
    link.idx = idx.reshape(50, 100)  # not flat: the array formula itself
    loss2, los2 = link_loss_db(link, 3.5, cfg, det.reshape(50, 100), vis.reshape(50, 100))
    assert np.array_equal(loss2.ravel(), want) and np.array_equal(los2.ravel(), los)
