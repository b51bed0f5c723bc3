"""A real region batch: Liechtenstein's 11 municipalities on a real 2-worker Dask cluster."""

from __future__ import annotations

import json
import math
import subprocess

import geopandas as gpd
import osmium
import pandas as pd
import pytest
import shapely
import shapely.wkb

from tests.batch.conftest import TEST_STEPS
from tests.conftest import shared_file

pytestmark = pytest.mark.shared

MUNICIPALITIES = {
    "balzers",
    "eschen",
    "gamprin",
    "mauren",
    "planken",
    "ruggell",
    "schaan",
    "schellenberg",
    "triesen",
    "triesenberg",
    "vaduz",
}


def _country_polygon(pbf) -> shapely.Geometry:
    """Liechtenstein's admin_level 2 polygon, assembled by pyosmium (independent pass)."""
    wkb = osmium.geom.WKBFactory()
    fp = (
        osmium.FileProcessor(str(pbf))
        .with_areas(osmium.filter.TagFilter(("admin_level", "2")))
        .with_filter(osmium.filter.EntityFilter(osmium.osm.AREA))
    )
    for area in fp:
        if not area.from_way() and area.tags.get("name") == "Liechtenstein":
            return shapely.wkb.loads(wkb.create_multipolygon(area), hex=True)
    raise AssertionError("no Liechtenstein polygon")


def _buildings_inside(pbf, polygon) -> int:
    """Buildings (ways and relations tagged building=*) whose first node lies in polygon."""
    shapely.prepare(polygon)
    n = 0
    fp = (
        osmium.FileProcessor(str(pbf))
        .with_locations()
        .with_filter(osmium.filter.KeyFilter("building"))
    )
    for obj in fp:
        if obj.is_way() and obj.nodes and obj.nodes[0].location.valid():
            loc = obj.nodes[0].location
            n += bool(shapely.contains_xy(polygon, loc.lon, loc.lat))
    return n


def _buildings(pbf) -> int:
    fp = osmium.FileProcessor(str(pbf), osmium.osm.WAY).with_filter(
        osmium.filter.KeyFilter("building")
    )
    return sum(1 for _ in fp)


def test_every_municipality_runs_and_no_streets_is_reported(region_run):
    result = region_run["result"]
    status = {c.city: c.status for c in result.cities}
    assert {k for k, v in status.items() if v == "ran"} == MUNICIPALITIES
    assert status["nostreets"] == "failed"
    bad = next(c for c in result.cities if c.city == "nostreets")
    assert "no streets" in bad.error and "\n" not in bad.error
    for city in MUNICIPALITIES:
        summary = json.loads((region_run["out"] / city / "summary.json").read_text())
        assert summary["city"] == city
        assert {"fiber", "fiber_plan"} <= set(summary)
        assert (region_run["out"] / city / "fiber_plan.gpkg").is_file()
        assert summary["step_seconds"].keys() == set(TEST_STEPS)


def test_split_building_counts_add_up_to_the_country(region_run):
    src = shared_file("liechtenstein")
    extracts = region_run["out"] / "_batch" / "extracts"
    files = sorted(extracts.glob("*.osm.pbf"))
    assert {f.name.removesuffix(".osm.pbf") for f in files} == MUNICIPALITIES
    total = sum(_buildings(f) for f in files)
    country = _buildings_inside(src, _country_polygon(src))
    assert country > 15_000
    assert abs(total - country) / country < 0.02, (total, country)


def test_extracts_keep_complete_ways(region_run):
    for f in sorted((region_run["out"] / "_batch" / "extracts").glob("*.osm.pbf")):
        proc = subprocess.run(["osmium", "check-refs", str(f)], capture_output=True, text=True)
        assert proc.returncode == 0, (f.name, proc.stdout, proc.stderr)
        assert "Nodes in ways missing: 0" in proc.stdout + proc.stderr


def _summaries(out, cities):
    return [json.loads((out / c / "summary.json").read_text()) for c in sorted(cities)]


def test_scorecard_totals_equal_the_sum_of_city_summaries(region_run):
    out = region_run["out"]
    sums = _summaries(out, MUNICIPALITIES)
    table = pd.read_csv(out / "region.csv")
    region = table[table["city"] == "(region)"].iloc[0]
    assert set(table["city"]) == MUNICIPALITIES | {"nostreets", "(region)"}
    expect = {
        "buildings": sum(s["layers"]["buildings"] for s in sums),
        "premises_total": sum(s["fiber"]["premises_total"] for s in sums),
        "premises_passed": sum(s["fiber"]["premises_passed"] for s in sums),
        "premises_targeted": sum(s["fiber_plan"]["premises_targeted"] for s in sums),
        "capex_total": sum(s["fiber_plan"]["capex_total"] for s in sums),
        "mobile_sites": sum(s["fiber"]["mobile_sites"] for s in sums),
    }
    for key, value in expect.items():
        assert region[key] == pytest.approx(value, rel=1e-9), key
    assert region["cities"] == 11
    assert region["coverage_pct"] == pytest.approx(
        round(100 * expect["premises_passed"] / expect["premises_total"], 2)
    )
    assert region["capex_per_premise"] == pytest.approx(
        round(expect["capex_total"] / expect["premises_targeted"], 2)
    )
    cities = gpd.read_file(out / "region.gpkg", layer="cities")
    assert len(cities) == 12 and cities.crs.to_epsg() == 4326
    vaduz = cities[cities["city"] == "vaduz"].iloc[0]
    assert vaduz["relation_id"] == 1155956 and vaduz.geometry.geom_type == "MultiPolygon"
    reg = gpd.read_file(out / "region.gpkg", layer="region")
    assert reg["capex_total"].iloc[0] == pytest.approx(expect["capex_total"])


def test_skipped_boundaries_are_listed(region_run):
    data = json.loads((region_run["out"] / "batch.json").read_text())
    skipped = {b["name"]: b["reason"] for b in data["skipped_boundaries"]}
    assert len(skipped) == 11 and "Stadt Feldkirch" in skipped and "Sargans" in skipped
    assert all(r.startswith("not closed") for r in skipped.values())
    report = (region_run["out"] / "region_report.html").read_text()
    assert "Stadt Feldkirch" in report and "© OpenStreetMap contributors" in report


def test_a_killed_worker_does_not_lose_a_city(region_run):
    killed = region_run["killed"]
    assert killed, "the test never found a busy worker to kill"
    city = next(c for c in region_run["result"].cities if c.city == killed["city"])
    assert city.status == "ran"
    pids = (region_run["out"] / "_batch" / "state" / f"{city.city}.attempts").read_text().split()
    assert str(killed["pid"]) in pids[1::2]
    assert city.attempts >= 2 and city.pid != killed["pid"]


def test_region_map_and_report(region_run):
    out = region_run["out"]
    html = (out / "region_map.html").read_text()
    assert "© OpenStreetMap contributors" in html
    assert "<script src=" not in html and 'rel="stylesheet" href="http' not in html
    assert "vaduz/report.html" not in html  # the cheap steps write no city report
    assert "vaduz/summary.json" in html
    report = (out / "region_report.html").read_text()
    assert report.count("<tr><td>") >= 22  # both rankings list the 11 municipalities
    assert "nostreets" in report and "no streets" in report


def test_resume_skips_unchanged_cities_and_outputs_are_deterministic(
    region_run, region_batch, dask_cluster, tmp_path
):
    from planner.batch import run_batch

    out = region_run["out"]
    before = (out / "region.csv").read_bytes()
    again = run_batch(
        batch_file=region_batch,
        out_root=out,
        scheduler=dask_cluster,
        steps=TEST_STEPS,
        progress=False,
    )
    assert set(again.by_status("unchanged")) == MUNICIPALITIES
    assert again.by_status("failed") == ["nostreets"]  # a failure is retried on a re-run
    assert (out / "region.csv").read_bytes() == before
    changed = tmp_path / "batch.yml"
    changed.write_text(
        region_batch.read_text() + "  planken:\n    fiber:\n      target_coverage_pct: 95\n",
        encoding="utf-8",
    )
    third = run_batch(
        batch_file=changed,
        out_root=out,
        scheduler=dask_cluster,
        steps=TEST_STEPS,
        progress=False,
    )
    assert third.by_status("ran") == ["planken"]
    row = pd.read_csv(out / "region.csv").set_index("city").loc["planken"]
    assert row["target_coverage_pct"] == 95
    assert not math.isnan(row["cost_to_target"])


def test_cities_start_largest_extract_first_as_workers_free_up(region_run):
    """List scheduling: the start order is the submission order, largest extract first.

    With every city submitted at once, the scheduler would place each on a worker at
    submission and each worker would run its own share, so a smaller city on a worker
    that finished early would start before a larger one queued on the other.
    """
    extracts = region_run["out"] / "_batch" / "extracts"
    killed = region_run["killed"].get("city")
    ran = [c for c in region_run["result"].cities if (extracts / f"{c.city}.osm.pbf").is_file()]
    size = {c.city: (extracts / f"{c.city}.osm.pbf").stat().st_size for c in ran}
    order = sorted((c for c in ran if c.city != killed), key=lambda c: (-size[c.city], c.city))
    assert len(order) >= 10 and all(c.started for c in order)
    late = [
        (a.city, b.city)
        for i, a in enumerate(order)
        for b in order[i + 1 :]
        if b.started < a.started - 1.0  # submitted later, started more than 1 s earlier
    ]
    assert not late, late
    workers = {c.worker for c in order}
    assert len(workers) >= 2  # both workers took cities
    assert all(c.cpu_seconds and c.task_cpu_seconds for c in order if c.status == "ran")
