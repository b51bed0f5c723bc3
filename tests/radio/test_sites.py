"""Site files: OpenCelliD grouping, per-sector files, defaults, and one-line input errors."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from planner.errors import InputFileError
from planner.radio import RadioConfig
from planner.radio.sites import OPENCELLID_COLUMNS, load_sites, read_site_file

from .conftest import CRS_UTM, X0, Y0, lonlat, write_sites_csv


def ocid_row(radio, x, y, cell):
    lon, lat = lonlat(x, y)
    return [radio, 244, 91, 1, cell, 0, lon, lat, 1000, 5, 1, 0, 0, 0]


def test_opencellid_groups_cells_by_position(toy_city, tmp_path):
    rows = [
        ocid_row("LTE", 1000, 1000, 1),
        ocid_row("LTE", 1005, 1003, 2),  # same mast, 6 m away
        ocid_row("NR", 1002, 998, 3),
        ocid_row("GSM", 200, 1800, 4),
    ]
    path = tmp_path / "cells.csv"
    pd.DataFrame(rows, columns=OPENCELLID_COLUMNS).to_csv(path, index=False)
    cfg = RadioConfig(site_files=[path], use_osm_sites=False)
    sites, sectors = load_sites(toy_city, cfg)
    assert len(sites) == 2
    big = sites[sites["technology"] == "LTE;NR"].iloc[0]
    assert big["is_5g"] and big["n_sectors"] == 6
    assert set(sectors["frequency_ghz"]) == {3.5, 1.8, 0.9}
    assert sorted(sectors[sectors["site"] == big.name]["azimuth_deg"].unique()) == [0, 120, 240]
    # headerless country file gives the same sites
    path2 = tmp_path / "228.csv"
    pd.DataFrame(rows).to_csv(path2, index=False, header=False)
    sites2, _ = load_sites(toy_city, RadioConfig(site_files=[path2], use_osm_sites=False))
    assert len(sites2) == 2


def test_sector_file_fields_and_defaults(toy_city, tmp_path):
    path = write_sites_csv(
        tmp_path / "s.csv",
        [
            {"site_id": "A", "x": 610, "y": 610, "azimuth_deg": 90, "eirp_dbm": 60, "band": "n78"},
            {"site_id": "A", "x": 610, "y": 610, "azimuth_deg": 270, "tx_power_dbm": 40},
            {"site_id": "B", "x": 1800, "y": 200, "height_m": 25, "technology": "LTE"},
        ],
    )
    sites, sec = load_sites(toy_city, RadioConfig(site_files=[path], use_osm_sites=False))
    a = sites.set_index("site_id").loc["A"]
    # A stands inside the 30 m building: rooftop = 30 + 3 m mount
    assert a["height_m"] == 33.0 and a["height_source"] == "rooftop"
    b = sites.set_index("site_id").loc["B"]
    assert b["height_m"] == 25 and b["n_sectors"] == 3 and not b["is_5g"]
    sa = sec[sec["site_id"] == "A"].sort_values("azimuth_deg")
    assert list(sa["azimuth_deg"]) == [90, 270]
    # EIRP 60 dBm -> transmit power 60 - 17.03 dBi
    assert sa["tx_power_dbm"].iloc[0] == pytest.approx(60 - 17.0309, abs=1e-3)
    assert sa["tx_power_dbm"].iloc[1] == 40
    assert (
        "elec_tilt_deg" in sa["defaults"].iloc[0] and "tx_power_dbm" not in sa["defaults"].iloc[0]
    )
    assert (sec[sec["site_id"] == "B"]["frequency_ghz"] == 1.8).all()


def test_geojson_sectors_and_mast_default(toy_city, tmp_path):
    gdf = gpd.GeoDataFrame(
        {"site_id": ["G"], "azimuth_deg": [45.0]},
        geometry=[shapely.Point(X0 + 1500, Y0 + 1500)],
        crs=CRS_UTM,
    )
    path = tmp_path / "g.geojson"
    gdf.to_file(path, driver="GeoJSON")
    sites, sec = load_sites(toy_city, RadioConfig(site_files=[path], use_osm_sites=False))
    assert sites["height_source"].iloc[0] == "mast default" and sites["height_m"].iloc[0] == 30.0
    assert sec["azimuth_deg"].tolist() == [45.0]


def _err(toy_city, path) -> str:
    with pytest.raises(InputFileError) as exc:
        read_site_file(path, toy_city, RadioConfig())
    msg = str(exc.value)
    assert "\n" not in msg and str(path) in msg
    return msg


BAD = [
    ([{"site_id": "A", "lon": 25.0}], "missing column 'lat'"),
    (
        [{"x": 500, "y": 500, "azimuth": 10}],
        "unknown column 'azimuth' (did you mean 'azimuth_deg'?)",
    ),
    ([{"x": 500, "y": 500}, {"x": 500, "y": 500, "height_m": -5}], "row 2, field 'height_m'"),
    ([{"x": 500, "y": 500, "tx_power_dbm": -3}], "row 1, field 'tx_power_dbm'"),
    ([{"x": 500, "y": 500, "eirp_dbm": 0}], "row 1, field 'eirp_dbm'"),
    (
        [{"x": 500, "y": 500, "azimuth_deg": "north"}],
        "row 1, field 'azimuth_deg': 'north' is not a number",
    ),
    ([{"x": 500, "y": 500}, {"x": 90000, "y": 500}], "row 2, field 'lon': site lies"),
    ([{"x": 500, "y": 500, "technology": "6G"}], "row 1, field 'technology': unknown technology"),
    ([{"x": 500, "y": 500, "band": "n999"}], "row 1, field 'band': unknown band"),
]


@pytest.mark.parametrize(("rows", "expected"), BAD, ids=[b[1][:30] for b in BAD])
def test_bad_sector_csv_one_line(toy_city, tmp_path, rows, expected):
    path = write_sites_csv(tmp_path / "bad.csv", rows)
    assert expected in _err(toy_city, path)


def test_projected_coordinates_in_lonlat_columns(toy_city, tmp_path):
    path = tmp_path / "proj.csv"
    pd.DataFrame({"lon": [X0 + 100], "lat": [Y0 + 100]}).to_csv(path, index=False)
    msg = _err(toy_city, path)
    assert "row 1, field 'lon'" in msg and "WGS84" in msg


def test_geojson_in_wrong_crs(toy_city, tmp_path):
    # metres written into a file that claims WGS84
    path = tmp_path / "wrong.geojson"
    path.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},'
        f'"geometry":{{"type":"Point","coordinates":[{X0 + 100},{Y0 + 100}]}}}}]}}'
    )
    msg = _err(toy_city, path)
    assert "row 1, field 'geometry'" in msg


def test_opencellid_missing_column(toy_city, tmp_path):
    path = tmp_path / "ocid.csv"
    cols = [c for c in OPENCELLID_COLUMNS if c != "averageSignal"]
    pd.DataFrame([ocid_row("LTE", 500, 500, 1)[:-1]], columns=cols).to_csv(path, index=False)
    assert "missing column 'averageSignal'" in _err(toy_city, path)


def test_opencellid_outside_city(toy_city, tmp_path):
    path = tmp_path / "ocid.csv"
    rows = [ocid_row("LTE", 500, 500, 1), ocid_row("UMTS", 500, 50000, 2)]
    pd.DataFrame(rows, columns=OPENCELLID_COLUMNS).to_csv(path, index=False)
    assert "row 2, field 'lon': site lies" in _err(toy_city, path)


def test_missing_file_and_type(toy_city, tmp_path):
    assert "file not found" in _err(toy_city, tmp_path / "nope.csv")
    p = tmp_path / "x.txt"
    p.write_text("a")
    assert "unknown site file type" in _err(toy_city, p)


def _gdf(rows: list[dict], crs=CRS_UTM) -> gpd.GeoDataFrame:
    pts = [shapely.Point(X0 + r.pop("x"), Y0 + r.pop("y")) for r in rows]
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=pts, crs=crs)


def test_bad_geo_files_one_line(toy_city, tmp_path):
    # negative height and power in a GeoPackage: row and field named
    gdf = _gdf([{"x": 500, "y": 500, "height_m": 20.0}, {"x": 600, "y": 600, "height_m": -4.0}])
    gdf.to_file(tmp_path / "neg.gpkg", driver="GPKG")
    assert "row 2, field 'height_m'" in _err(toy_city, tmp_path / "neg.gpkg")
    gdf = _gdf([{"x": 500, "y": 500, "tx_power_dbm": -1.0}])
    gdf.to_file(tmp_path / "negp.geojson", driver="GeoJSON")
    assert "row 1, field 'tx_power_dbm'" in _err(toy_city, tmp_path / "negp.geojson")
    # UTM metres labelled as Web Mercator: the points land far from the city
    gdf = _gdf([{"x": 500, "y": 500}, {"x": 700, "y": 700}]).set_crs(3857, allow_override=True)
    gdf.to_file(tmp_path / "crs.gpkg", driver="GPKG")
    msg = _err(toy_city, tmp_path / "crs.gpkg")
    assert "row 1, field 'geometry': site lies" in msg and "CRS" in msg
    # an unknown column in a GeoJSON
    gdf = _gdf([{"x": 500, "y": 500, "hieght_m": 3.0}])
    gdf.to_file(tmp_path / "col.geojson", driver="GeoJSON")
    assert "unknown column 'hieght_m' (did you mean 'height_m'?)" in _err(
        toy_city, tmp_path / "col.geojson"
    )
