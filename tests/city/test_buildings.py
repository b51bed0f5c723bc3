import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from planner.city.buildings import estimate_buildings
from planner.config.buildings import BuildingAssumptions

CRS = "EPSG:32632"
TAGS = [
    "building",
    "height",
    "building:levels",
    "building:flats",
    "name",
    "shop",
    "amenity",
    "office",
    "craft",
    "tourism",
    "addr:housenumber",
]


def buildings(rows):
    """rows: (x0, side_m, tags) -> raw building frame like the OSM reader's."""
    recs, geoms = [], []
    for i, (x0, side, tags) in enumerate(rows):
        rec = dict.fromkeys(TAGS)
        rec.update({"osm_id": i, "osm_type": "way", "building": "yes"})
        rec.update(tags)
        recs.append(rec)
        geoms.append(box(x0, 0, x0 + side, side))
    return gpd.GeoDataFrame(pd.DataFrame(recs), geometry=geoms, crs=CRS)


NO_ADDR = gpd.GeoDataFrame(geometry=[], crs=CRS)


def test_floor_area_households_and_business_tags():
    raw = buildings(
        [
            (0, 30, {}),  # 900 m2 x 2 default levels / 90 = 20 households
            (100, 30, {"building:levels": "4"}),  # 3600 / 90 = 40
            (200, 30, {"building:flats": "7"}),  # flats win
            (300, 30, {"shop": "bakery"}),  # business: 1 premise, 0 households
            (400, 10, {}),  # 100 m2 untyped: one house
            (500, 5, {}),  # 25 m2 < 30 m2: nothing
            (600, 30, {"building": "garage"}),  # ancillary: nothing
        ]
    )
    b = estimate_buildings(raw, NO_ADDR, BuildingAssumptions())
    assert b["households"].tolist() == [20, 40, 7, 0, 1, 0, 0]
    assert b["premises"].tolist() == [20, 40, 7, 1, 1, 0, 0]
    assert b.attrs["households_scale"] == 1.0


def test_landuse_zones_decide_untyped_buildings():
    raw = buildings([(0, 30, {}), (100, 30, {}), (200, 30, {}), (300, 30, {"building": "house"})])
    zones = gpd.GeoDataFrame(
        {"landuse": ["industrial", "farmyard", "residential", "industrial"]},
        geometry=[
            box(-5, -5, 50, 50),
            box(95, -5, 150, 50),
            box(195, -5, 250, 50),
            box(295, -5, 350, 50),
        ],
        crs=CRS,
    )
    b = estimate_buildings(raw, NO_ADDR, BuildingAssumptions(), zones)
    # industrial zone -> business premise; farmyard -> one household; residential zone and
    # typed houses are untouched
    assert b["premises"].tolist() == [1, 1, 20, 1]
    assert b["premises_source"].tolist() == ["non_residential", "landuse", "floor_area", "type"]
    assert b["residential"].tolist() == [False, True, True, True]
    off = BuildingAssumptions(non_residential_landuse=[], single_household_landuse=[])
    assert estimate_buildings(raw, NO_ADDR, off, zones)["premises"].tolist() == [20, 20, 20, 1]


def test_nested_zones_take_the_smallest():
    raw = buildings([(0, 30, {})])
    zones = gpd.GeoDataFrame(
        {"landuse": ["farmland", "industrial"]},
        geometry=[box(-500, -500, 500, 500), box(-5, -5, 50, 50)],
        crs=CRS,
    )
    b = estimate_buildings(raw, NO_ADDR, BuildingAssumptions(), zones)
    assert b["premises_source"].tolist() == ["non_residential"]


@pytest.mark.parametrize("total", [10, 37, 200, 2])
def test_census_calibration_scales_only_floor_area_estimates(total):
    raw = buildings(
        [
            (0, 30, {}),  # 20 by floor area
            (100, 30, {"building:levels": "4"}),  # 40 by floor area
            (200, 30, {"building:flats": "7"}),  # 7 from flats, kept
            (400, 10, {}),  # 1 house, kept
        ]
    )
    b = estimate_buildings(raw, NO_ADDR, BuildingAssumptions(households_total=total))
    assert b["households"].iloc[2] == 7 and b["households"].iloc[3] == 1
    scaled = b["households"].iloc[:2].to_numpy()
    assert (scaled >= 1).all()
    want = max(total - 8, 2)  # at least one household per building
    assert abs(scaled.sum() - want) <= 1
    # proportions kept (20:40) up to rounding
    assert scaled[1] >= scaled[0]
    assert b.attrs["households_scale"] == pytest.approx(scaled.sum() / 60)


def test_addresses_raise_counts():
    raw = buildings([(0, 10, {})])
    pts = gpd.GeoDataFrame(geometry=[Point(2, 2), Point(5, 5), Point(8, 8)], crs=CRS)
    b = estimate_buildings(raw, pts, BuildingAssumptions())
    assert b["households"].tolist() == [3] and b["premises_source"].tolist() == ["addresses"]
    assert np.isclose(b["people"].iloc[0], 3 * 2.3)
