"""Outputs: GeoPackage layers in WGS84, the coverage GeoTIFF, gap clusters and KPIs."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyogrio
import rasterio
from fiber_helpers import city, random_assets

from planner.config import FiberConfig
from planner.fiber import analyze_fiber, write_fiber_outputs


def test_write_outputs(tmp_path):
    c = city()
    cov = analyze_fiber(c, FiberConfig(use_osm_assets=False), assets=random_assets(c, 5, 3))
    paths = write_fiber_outputs(cov, tmp_path)
    assert [p.name for p in paths] == ["fiber.gpkg", "fiber_coverage.tif"]
    layers = {name for name, _ in pyogrio.list_layers(paths[0])}
    assert {"premises", "assets", "gap_clusters", "hex8", "hex9", "districts"} <= layers
    p = gpd.read_file(paths[0], layer="premises")
    assert p.crs.to_epsg() == 4326 and len(p) == len(cov.premises)
    with rasterio.open(paths[1]) as src:
        prem = src.read(1, masked=True)
        passed = src.read(2, masked=True)
        assert int(prem.sum()) == cov.kpis["premises_total"]
        assert int(passed.sum()) == cov.kpis["premises_passed"]


def test_gap_clusters_cover_gap_premises_once():
    c = city()
    cov = analyze_fiber(c, FiberConfig(use_osm_assets=False), assets=random_assets(c, 2, 9))
    g = cov.gap_clusters
    p = cov.premises
    gap = p["fiber_class"].isin(["unserved", "unreachable"]) & (p["edge"] >= 0)
    assert g["premises"].sum() == p.loc[gap, "premises"].sum()
    assert list(g["rank_premises"]) == list(range(1, len(g) + 1))
    assert sorted(g["rank_length"]) == list(range(1, len(g) + 1))
    assert np.all(np.diff(g["premises"].to_numpy()) <= 0)


def test_kpis_json_and_mobile():
    import json

    c = city()
    k = analyze_fiber(c, FiberConfig(use_osm_assets=False), assets=random_assets(c, 2, 1)).kpis
    json.dumps(k)
    assert k["mobile_sites"] == int(c.telecom["mobile"].sum())
    pct = k["key_places_within_500m_of_a_site_pct"]
    assert pct is None or 0 <= pct <= 100
