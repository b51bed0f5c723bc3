"""Scorecard arithmetic, escaping of OSM names, batch files and the content hash."""

from __future__ import annotations

import math
import os

import pytest
import shapely

from planner.batch.hashing import job_hash
from planner.batch.region_map import popup_html, write_region_map
from planner.batch.region_report import rank_by_cost, rank_by_gap, write_region_report
from planner.batch.scorecard import (
    cost_to_target,
    region_totals,
    scorecard_frame,
    write_scorecard,
)
from planner.batch.spec import city_config, deep_merge, load_batch
from planner.errors import ConfigError

EVIL = '<img src=x onerror="alert(1)">&'


def _summary(total, passed, capex, targeted, target=80.0, sites=2, people=5000.0, risk=None):
    curve = [
        {"cost": 0.0, "premises": passed, "coverage_pct": 100 * passed / total},
        {
            "cost": capex / 2,
            "premises": (passed + total) // 2,
            "coverage_pct": 100 * ((passed + total) // 2) / total,
        },
        {"cost": capex, "premises": total, "coverage_pct": 100.0},
    ]
    s = {
        "layers": {"buildings": total // 2, "premises": total},
        "fiber": {
            "premises_total": total,
            "premises_passed": passed,
            "coverage_pct": round(100 * passed / total, 2),
            "target_coverage_pct": target,
            "gap_to_target_pct": max(0.0, target - 100 * passed / total),
            "premises_needed_for_target": max(0, math.ceil(target / 100 * total) - passed),
            "mobile_sites": sites,
            "mobile_sites_per_10k_people": 1e4 * sites / people,
            "mobile_assumptions": {"people": people},
        },
        "fiber_plan": {
            "capex_total": capex,
            "premises_targeted": targeted,
            "capex_per_premise": capex / targeted,
            "coverage_pct_after": 100.0,
            "route_length_m": 1000.0,
            "currency": "EUR",
            "cost_curve": curve,
        },
    }
    if risk:
        s["drones"] = {
            "corridors": [{}] * 3,
            "ground_risk": risk[0],
            "shortest_ground_risk": risk[1],
            "risk_reduction": 1 - risk[0] / risk[1],
        }
    return s


def _rows():
    return [
        {
            "city": "b",
            "name": EVIL,
            "relation_id": 2,
            "status": "ran",
            "summary": _summary(1000, 100, 5e5, 900, risk=(10.0, 20.0)),
            "geometry": shapely.box(9.5, 47.1, 9.6, 47.2),
        },
        {
            "city": "a",
            "name": "A",
            "relation_id": 1,
            "status": "unchanged",
            "summary": _summary(400, 400, 1e5, 1, risk=(5.0, 5.0)),
            "geometry": shapely.box(9.4, 47.1, 9.5, 47.2),
        },
        {
            "city": "c",
            "name": "C",
            "relation_id": 3,
            "status": "failed",
            "error": EVIL,
            "summary": None,
            "geometry": shapely.box(9.6, 47.1, 9.7, 47.2),
        },
    ]


def test_cost_to_target_reads_the_cost_curve():
    s = _summary(1000, 100, 1000.0, 900)
    # curve: 10 % at 0, 55 % at 500, 100 % at 1000 -> 80 % at 500 + 25/45 * 500
    assert cost_to_target(s["fiber_plan"], s["fiber"]) == pytest.approx(
        500 + 25 / 45 * 500, abs=0.01
    )
    met = _summary(100, 90, 10.0, 10)
    assert cost_to_target(met["fiber_plan"], met["fiber"]) == 0.0
    s["fiber_plan"]["cost_curve"] = s["fiber_plan"]["cost_curve"][:2]
    assert cost_to_target(s["fiber_plan"], s["fiber"]) is None


def test_region_totals_are_sums_and_recomputed_ratios():
    frame = scorecard_frame(_rows())
    assert list(frame["city"]) == ["a", "b", "c"]
    tot = region_totals(frame)
    assert tot["cities"] == 2
    assert tot["premises_total"] == 1400 and tot["premises_passed"] == 500
    assert tot["capex_total"] == 6e5 and tot["capex_per_premise"] == round(6e5 / 901, 2)
    assert tot["coverage_pct"] == round(100 * 500 / 1400, 2)
    assert tot["sites_per_10k"] == round(1e4 * 4 / 10000, 2)
    assert tot["risk_reduction_pct"] == round(100 * (1 - 15 / 25), 2)
    assert tot["corridors"] == 6
    assert math.isnan(tot["route_coverage_pct"])


def test_outputs_do_not_depend_on_row_order(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    write_scorecard(scorecard_frame(_rows()), a)
    write_scorecard(scorecard_frame(list(reversed(_rows()))), b)
    assert (a / "region.csv").read_bytes() == (b / "region.csv").read_bytes()
    lines = (a / "region.csv").read_text().splitlines()
    assert lines[-1].startswith("(region),region,")


def test_osm_names_are_escaped_everywhere(tmp_path):
    frame = scorecard_frame(_rows())
    popup = popup_html(frame.iloc[1], [("b/map.html", "city map")])
    assert "<img" not in popup and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in popup
    path = write_region_map(frame, tmp_path, title=EVIL)
    html = path.read_text()
    assert "<img src=x" not in html and "© OpenStreetMap contributors" in html
    report = write_region_report(frame, tmp_path, EVIL, [(EVIL, EVIL)]).read_text()
    assert "<img src=x" not in report and "&lt;img src=x" in report
    assert "© OpenStreetMap contributors" in report


def test_rankings():
    frame = scorecard_frame(_rows())
    assert list(rank_by_gap(frame)["city"]) == ["b", "a"]
    assert list(rank_by_cost(frame)["city"]) == ["b", "a"]


def test_batch_file_and_overrides(tmp_path):
    (tmp_path / "x.osm.pbf").write_bytes(b"")
    f = tmp_path / "batch.yml"
    f.write_text(
        "defaults:\n  fiber: {target_coverage_pct: 90, near_m: 300}\n"
        "cities:\n  x:\n    source: {pbf: x.osm.pbf}\n    fiber: {near_m: 200}\n",
        encoding="utf-8",
    )
    bf = load_batch(f)
    assert bf.cities["x"]["source"]["pbf"] == str(tmp_path / "x.osm.pbf")
    cfg = city_config("x", bf.defaults, bf.cities["x"])
    assert cfg.fiber.target_coverage_pct == 90 and cfg.fiber.near_m == 200
    assert deep_merge({"a": {"b": 1, "c": 2}}, {"a": {"b": 3}}) == {"a": {"b": 3, "c": 2}}
    f.write_text("defaults:\n  source: {pbf: x}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="defaults may not set 'source'"):
        load_batch(f)
    f.write_text("regions: {}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown key 'regions'"):
        load_batch(f)
    f.write_text("cities:\n  y: {fiber: {}}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="city 'y' needs a source"):
        city_config("y", {}, load_batch(f).cities["y"], where=str(f))


def test_job_hash_follows_file_content_not_path(tmp_path):
    a, b = tmp_path / "a.osm.pbf", tmp_path / "b.osm.pbf"
    a.write_bytes(b"same")
    b.write_bytes(b"same")
    ca = city_config("x", {}, {"source": {"pbf": str(a)}})
    cb = city_config("x", {}, {"source": {"pbf": str(b)}})
    assert job_hash(ca, ["fiber"]) == job_hash(cb, ["fiber"])
    assert job_hash(ca, ["fiber"]) != job_hash(ca, ["fiber", "plan"])
    b.write_bytes(b"changed")
    assert job_hash(ca, None) != job_hash(cb, None)
    cc = city_config("x", {"fiber": {"target_coverage_pct": 90}}, {"source": {"pbf": str(a)}})
    assert job_hash(ca, None) != job_hash(cc, None)


def test_task_memory_and_local_cluster_size():
    from planner.batch.cluster import (
        MIN_WORKER_MEMORY,
        TASK_BASE_BYTES,
        TASK_BYTES_PER_PBF_BYTE,
        local_cluster_size,
        task_memory,
    )

    assert task_memory(10**6, []) is None  # workers declare no memory: no reservation
    assert task_memory(10**5, [3e9]) == TASK_BASE_BYTES + TASK_BYTES_PER_PBF_BYTE * 10**5
    assert task_memory(10**9, [3e9, 2e9]) == 3e9  # capped at the biggest worker
    n, limit = local_cluster_size(n_cities=1)
    assert n == 1 and limit >= MIN_WORKER_MEMORY
    assert local_cluster_size(n_cities=11, n_workers=2, memory_limit=3 * 10**9) == (2, 3 * 10**9)


def test_local_worker_config_shares_cores_and_drops_the_malloc_trim(monkeypatch):
    from planner.batch.cluster import local_worker_config

    monkeypatch.setattr("os.cpu_count", lambda: 8)
    cfg = local_worker_config(3)
    env = cfg["distributed.nanny.pre-spawn-environ"]
    assert env["MALLOC_TRIM_THRESHOLD_"] is None  # Dask drops a None variable
    assert env["OMP_NUM_THREADS"] == env["OPENBLAS_NUM_THREADS"] == 2  # 8 // 3
    assert local_worker_config(16)["distributed.nanny.pre-spawn-environ"]["MKL_NUM_THREADS"] == 1
    assert cfg["distributed.worker.profile.enabled"] is False


def test_the_nanny_spawns_workers_without_the_malloc_trim():
    pytest.importorskip("distributed")
    import dask
    from distributed.nanny import Nanny

    from planner.batch.cluster import local_worker_config

    with dask.config.set(local_worker_config(2)):
        nanny = Nanny("tcp://127.0.0.1:1", nthreads=1)  # not started: only its settings
    assert "MALLOC_TRIM_THRESHOLD_" not in nanny.pre_spawn_env
    threads = str(max(1, (os.cpu_count() or 1) // 2))
    assert nanny.pre_spawn_env["OMP_NUM_THREADS"] == os.environ.get("OMP_NUM_THREADS", threads)
