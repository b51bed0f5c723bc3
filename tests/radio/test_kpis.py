"""Corridor, route-network and key-place KPIs on a hand-made coverage mask (hand-counted)."""

from __future__ import annotations

from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pytest
import shapely
from affine import Affine

from planner.radio import RadioConfig
from planner.radio.coverage import CoverageGrids
from planner.radio.kpis import corridor_coverage, key_places_reached, network_coverage

from .conftest import CRS_UTM, X0, Y0

RES = 10.0
ROWS, COLS = 20, 100  # 1,000 m x 200 m, origin (X0, Y0 + 200)


def grids() -> CoverageGrids:
    """Ground: covered west of x = 500 m. 60 m: covered except x in [300, 500) and [700, 750)."""
    cov = np.ones((2, ROWS, COLS), dtype=bool)
    cov[0, :, 50:] = False
    cov[1, :, 30:50] = False
    cov[1, :, 70:75] = False
    z = np.zeros(cov.shape, np.float32)
    return CoverageGrids(
        heights_m=[1.5, 60.0],
        rsrp_dbm=z,
        sinr_db=z,
        server=z.astype(np.int32),
        site=z.astype(np.int32),
        covered=cov,
        margin_db=z,
        transform=Affine(RES, 0.0, X0, 0.0, -RES, Y0 + ROWS * RES),
    )


def line(x0: float, x1: float, y: float = 105.0) -> shapely.LineString:
    return shapely.LineString([(X0 + x0, Y0 + y), (X0 + x1, Y0 + y)])


def test_corridor_covered_length_and_longest_gap():
    corr = gpd.GeoDataFrame(
        {"from_hub": ["a", "b"], "to_hub": ["b", "c"], "altitude_m": [60.0, 55.0]},
        geometry=[line(0, 1000), line(900, 1100)],
        crs=CRS_UTM,
    )
    out = corridor_coverage(grids(), corr, RadioConfig()).set_index("from_hub")
    a = out.loc["a"]
    # gaps 300-500 m (200 m) and 700-750 m (50 m): 750 m covered, longest gap 200 m
    assert a["height_evaluated_m"] == 60.0
    assert a["length_m"] == pytest.approx(1000.0)
    assert a["covered_m"] == pytest.approx(750.0)
    assert a["radio_coverage_share"] == pytest.approx(0.75)
    assert a["longest_uncovered_m"] == pytest.approx(200.0)
    b = out.loc["b"]
    # 900-1000 m covered, 1000-1100 m off the grid counts as uncovered
    assert b["covered_m"] == pytest.approx(100.0) and b["longest_uncovered_m"] == pytest.approx(100)


def test_route_network_counts_shared_segments_once():
    corr = gpd.GeoDataFrame(
        {"altitude_m": [60.0, 60.0]}, geometry=[line(0, 1000), line(500, 1000)], crs=CRS_UTM
    )
    net = network_coverage(grids(), corr, RadioConfig())
    assert net["length_m"] == pytest.approx(1000.0)
    assert net["covered_m"] == pytest.approx(750.0)
    assert net["covered_pct"] == pytest.approx(75.0)
    assert net["longest_uncovered_m"] == pytest.approx(200.0)


def test_key_places_reached_on_the_ground():
    pts = gpd.GeoDataFrame(
        {
            "kind": ["hospital", "university", "railway_station", "school", "airport"],
            "class": ["hospital", "university", "railway_station", None, "airport"],
        },
        geometry=[
            *shapely.points(
                [X0 + 100, X0 + 600, X0 + 250, X0 + 10], [Y0 + 50, Y0 + 50, Y0 + 150, Y0 + 50]
            ),
            shapely.box(X0 + 280, Y0 + 20, X0 + 320, Y0 + 60),
        ],
        crs=CRS_UTM,
    )
    city = SimpleNamespace(key_places=pts)
    kp = key_places_reached(grids(), city)
    # ground covered west of 500 m: hospital, station, airport yes; university no; school has
    # no MIIT class
    assert kp["total"] == 4 and kp["reached"] == 3 and kp["reached_pct"] == pytest.approx(75.0)
    assert kp["by_class"] == {
        "hospital": [1, 1],
        "university": [0, 1],
        "tourism_area": [0, 0],
        "railway_station": [1, 1],
        "airport": [1, 1],
    }
