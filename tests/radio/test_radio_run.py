"""``planner run`` on the Helsinki sample: radio outputs, summary, maps and report, end to end."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import rasterio
import shapely

from planner.cli import main
from planner.radio import COVERAGE_TIF, RADIO_GPKG, band_names

#: Stricter than the defaults so that corridors are partly covered (a non-trivial check).
CONFIG = """\
name: helsinki_radio
source:
  sample: helsinki
radio:
  rsrp_min_dbm: -90
  sinr_min_db: 0
"""
#: Sampling step (m) of the independent recomputation along each corridor.
STEP_M = 2.0


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """Output folder of ``planner run helsinki_radio.yml`` (every step)."""
    root = tmp_path_factory.mktemp("radio_run")
    cfg = root / "helsinki_radio.yml"
    cfg.write_text(CONFIG, encoding="utf-8")
    assert main(["run", str(cfg), "--out", str(root / "out"), "-q"]) == 0
    return root / "out" / "helsinki_radio"


@pytest.fixture(scope="module")
def summary(run_dir):
    return json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))


def test_coverage_tif_is_cog_with_band_names(run_dir, summary):
    with rasterio.open(run_dir / COVERAGE_TIF) as src:
        assert src.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
        assert list(src.descriptions) == band_names(summary["radio"]["heights_m"])
        assert src.dtypes[0] == "float32" and np.isnan(src.nodata)


def test_radio_gpkg_layers(run_dir, summary):
    # layer_styles: the QGIS styles every GeoPackage of a run carries (docs/qgis.md)
    layers = {name for name, _ in pyogrio.list_layers(run_dir / RADIO_GPKG)} - {"layer_styles"}
    assert layers == {"sites", "sectors", "corridors"}
    sites = gpd.read_file(run_dir / RADIO_GPKG, layer="sites")
    assert len(sites) == summary["radio"]["sites"] >= 1


def test_summary_radio_section(summary):
    r = summary["radio"]
    assert summary["step_seconds"]["radio"] < 30
    assert len(r["corridors"]) == len(summary["drones"]["corridors"]) > 0
    assert r["route_network"]["covered_pct"]["target"] == 90.0
    assert r["sites_5g_per_10k_people"]["target"] == 12
    shares = [c["radio_coverage_share"] for c in r["corridors"]]
    assert min(shares) < 1.0 and max(shares) > 0.0  # the check below is not trivial


def _covered_share(src, line, height: float, rsrp_min: float, sinr_min: float) -> float:
    """Share of ``line`` whose raster cell is covered at ``height`` (read from the bands)."""
    names = list(src.descriptions)
    rsrp = src.read(names.index(f"rsrp_dbm_{height:g}m") + 1)
    sinr = src.read(names.index(f"sinr_db_{height:g}m") + 1)
    ok = (rsrp >= rsrp_min) & (sinr >= sinr_min)  # NaN compares False: no site in range
    n = max(1, int(np.ceil(line.length / STEP_M)))
    pts = shapely.line_interpolate_point(line, (np.arange(n) + 0.5) * line.length / n)
    xy = shapely.get_coordinates(pts)
    rows, cols = rasterio.transform.rowcol(src.transform, xy[:, 0], xy[:, 1])
    rows, cols = np.asarray(rows), np.asarray(cols)
    inside = (rows >= 0) & (rows < src.height) & (cols >= 0) & (cols < src.width)
    hit = np.zeros(n, dtype=bool)
    hit[inside] = ok[rows[inside], cols[inside]]
    return float(hit.mean())


def test_corridor_shares_match_the_raster(run_dir, summary):
    """Each corridor's claimed share, recomputed from radio_coverage.tif and airspace.gpkg."""
    r = summary["radio"]
    values = r["assumptions"]["values"]
    assert values["location_probability"] == 0.5  # no fading margin: the bands decide alone
    corridors = gpd.read_file(run_dir / "airspace.gpkg", layer="corridors")
    assert len(corridors) == len(r["corridors"])
    with rasterio.open(run_dir / COVERAGE_TIF) as src:
        corridors = corridors.to_crs(src.crs)
        for line, claim in zip(corridors.geometry, r["corridors"], strict=True):
            share = _covered_share(
                src,
                line,
                claim["height_evaluated_m"],
                values["rsrp_min_dbm"],
                values["sinr_min_db"],
            )
            assert share == pytest.approx(claim["radio_coverage_share"], abs=0.03), claim


def test_maps_and_report_show_radio(run_dir, summary):
    maps = json.loads((run_dir / "maps.json").read_text(encoding="utf-8"))
    heights = summary["radio"]["heights_m"]
    for fname in ("map.html", "map_radio.html"):
        layers = maps[fname]["layers"]
        assert all(f"Mobile coverage at {h:g} m" in layers for h in heights), fname
        assert any(name.startswith("Mobile sites") for name in layers), fname
    for fname in ("map.html", "map_airspace.html"):  # corridor popups: radio share, no circle
        text = (run_dir / fname).read_text(encoding="utf-8")
        assert "radio coverage share" in text and "mobile coverage share" not in text, fname
    report = (run_dir / "report.md").read_text(encoding="utf-8")
    assert "## Mobile coverage" in report and "route network covered at" in report
    assert "radio_coverage_share" in report
    # the circle model's column is left out of the drone corridor table when radio ran
    drones = report.split("## Drone corridors")[1].split("## Mobile coverage")[0]
    assert "mobile_coverage_share" not in drones.split("**Corridors**")[1].split("\n\n**")[0]
