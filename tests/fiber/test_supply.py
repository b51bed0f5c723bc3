"""Operator asset files: formats, reprojection and one-line refusals of bad input."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from fiber_helpers import city

from planner.config import FiberConfig
from planner.errors import InputFileError
from planner.fiber import analyze_fiber
from planner.fiber.supply import read_asset_file


def _pts(n=3):
    c = city()
    pts = shapely.point_on_surface(c.buildings.geometry.to_numpy()[:n])
    return gpd.GeoDataFrame({"kind": ["olt"] * n, "operator": ["X"] * n}, geometry=pts, crs=c.crs)


def test_geojson_gpkg_csv_roundtrip(tmp_path):
    c = city()
    g = _pts()
    g.to_crs(4326).to_file(tmp_path / "a.geojson", driver="GeoJSON")
    g.to_crs(3857).to_file(tmp_path / "a.gpkg", driver="GPKG")
    w = g.to_crs(4326)
    w.assign(lon=w.geometry.x, lat=w.geometry.y).drop(columns="geometry").to_csv(
        tmp_path / "a.csv", index=False
    )
    for name in ("a.geojson", "a.gpkg", "a.csv"):
        a = read_asset_file(tmp_path / name, c.crs, c.boundary)
        assert len(a) == 3 and a.crs == c.crs
        assert a.geometry.distance(g.geometry).max() < 0.01
        assert list(a["kind"]) == ["olt"] * 3


def test_wrong_crs_far_outside_refused(tmp_path):
    c = city()
    g = _pts()
    # projected metres written but labelled as a different projected CRS: lands far away
    g.set_crs(3857, allow_override=True).to_file(tmp_path / "w.gpkg", driver="GPKG")
    with pytest.raises(InputFileError, match="outside the city"):
        read_asset_file(tmp_path / "w.gpkg", c.crs, c.boundary)


def test_lonlat_swapped_csv_refused(tmp_path):
    c = city()
    w = _pts().to_crs(4326)
    (tmp_path / "s.csv").write_text(
        "lon,lat\n" + "\n".join(f"{p.y},{p.x}" for p in w.geometry) + "\n"
    )
    with pytest.raises(InputFileError, match="outside the city"):
        read_asset_file(tmp_path / "s.csv", c.crs, c.boundary)


def test_missing_geometry_refused(tmp_path):
    c = city()
    (tmp_path / "m.geojson").write_text(
        '{"type":"FeatureCollection","features":['
        '{"type":"Feature","properties":{"kind":"olt"},"geometry":null}]}'
    )
    with pytest.raises(InputFileError, match="without geometry"):
        read_asset_file(tmp_path / "m.geojson", c.crs, c.boundary)
    (tmp_path / "m.csv").write_text("lon,lat\n24.94,\n")
    with pytest.raises(InputFileError, match="without numeric lon/lat"):
        read_asset_file(tmp_path / "m.csv", c.crs, c.boundary)
    (tmp_path / "n.csv").write_text("x1,y1\n1,2\n")
    with pytest.raises(InputFileError, match="lon and lat"):
        read_asset_file(tmp_path / "n.csv", c.crs, c.boundary)


def test_empty_files_refused(tmp_path):
    c = city()
    (tmp_path / "e.csv").write_text("")
    (tmp_path / "h.csv").write_text("lon,lat\n")
    (tmp_path / "e.geojson").write_text('{"type":"FeatureCollection","features":[]}')
    for name in ("e.csv", "h.csv", "e.geojson"):
        with pytest.raises(InputFileError, match="empty|no features"):
            read_asset_file(tmp_path / name, c.crs, c.boundary)
    with pytest.raises(InputFileError, match="not found"):
        read_asset_file(tmp_path / "nope.gpkg", c.crs, c.boundary)


def test_no_assets_is_loud_greenfield(caplog):
    c = city()
    with caplog.at_level("WARNING"):
        cov = analyze_fiber(c, FiberConfig(use_osm_assets=False))
    assert "greenfield" in caplog.text
    assert cov.kpis["greenfield"] and cov.kpis["premises_passed"] == 0
    assert cov.kpis["premises_unserved"] == cov.kpis["premises_total"] > 0


def test_asset_files_from_config(tmp_path):
    c = city()
    _pts().to_crs(4326).to_file(tmp_path / "a.geojson", driver="GeoJSON")
    cov = analyze_fiber(c, FiberConfig(use_osm_assets=False, asset_files=[tmp_path / "a.geojson"]))
    assert cov.kpis["assets"] == 3 and cov.kpis["premises_passed"] > 0


def test_config_rejects_unknown_key():
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        FiberConfig(drop_limit=100)
    with pytest.raises(ValidationError):
        FiberConfig(drop_limit_m=600, near_m=500)
