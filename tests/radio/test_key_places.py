"""MIIT key places from OSM: classes, tourism areas, airports, stations; no side effects."""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pytest
from affine import Affine

from planner.city.osm import KEY_PLACE_TAGS
from planner.config.radio import KEY_PLACE_CLASSES, TOURISM_AREA_TYPES
from planner.radio.kpis import key_places_reached
from planner.render._report_sections import radio_part
from tests.radio.conftest import load_osm_text


def _node(i: int, lat: float, lon: float, **tags: str) -> str:
    body = "".join(f'<tag k="{k.replace("__", ":")}" v="{v}"/>' for k, v in tags.items())
    return f'<node id="{i}" lat="{lat:.5f}" lon="{lon:.5f}" version="1">{body}</node>'


def _area(way: int, first: int, lat: float, lon: float, d: float, **tags: str) -> str:
    """A square way of side ``d`` degrees (nodes ``first``..``first+3``) with ``tags``."""
    corners = [(lat, lon), (lat, lon + d), (lat + d, lon + d), (lat + d, lon)]
    nodes = "".join(_node(first + k, a, o) for k, (a, o) in enumerate(corners))
    refs = "".join(f'<nd ref="{first + k}"/>' for k in [0, 1, 2, 3, 0])
    body = "".join(f'<tag k="{k.replace("__", ":")}" v="{v}"/>' for k, v in tags.items())
    return f'{nodes}<way id="{way}" version="1">{refs}{body}</way>'


LAT, LON = 60.17, 24.94
PARTS = [
    # a street across the area
    _node(1, LAT - 0.001, LON - 0.01),
    _node(2, LAT - 0.001, LON + 0.02),
    '<way id="1" version="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="residential"/></way>',
    # hospital grounds and the same hospital as a node inside them: one place
    _area(10, 100, LAT, LON, 0.001, amenity="hospital", name="H"),
    _node(11, LAT + 0.0005, LON + 0.0005, amenity="hospital"),
    _node(12, LAT + 0.003, LON, amenity="university"),
    _node(13, LAT + 0.003, LON + 0.002, amenity="school"),
    # stations: mainline (no station / train tag), halt, light rail, subway, train=no
    _node(20, LAT + 0.005, LON, railway="station", name="Central"),
    _node(21, LAT + 0.005, LON + 0.002, railway="halt"),
    _node(22, LAT + 0.005, LON + 0.004, railway="station", station="light_rail"),
    _node(23, LAT + 0.005, LON + 0.006, railway="station", station="subway"),
    _node(24, LAT + 0.005, LON + 0.008, railway="station", train="no"),
    # a museum building and its museum node inside: one tourism area, one building
    _area(30, 300, LAT + 0.007, LON, 0.0005, building="museum", tourism="museum", name="M"),
    _node(31, LAT + 0.00725, LON + 0.00025, tourism="museum"),
    _node(32, LAT + 0.007, LON + 0.004, tourism="attraction", name="statue"),
    _node(33, LAT + 0.007, LON + 0.006, tourism="zoo"),
    _node(34, LAT + 0.007, LON + 0.008, tourism="viewpoint"),
    # a commercial zone holding an attraction area tagged landuse=residential holding a
    # building=yes: the attraction is a key place, never a zone (it would make the building
    # residential)
    _area(40, 400, LAT + 0.009, LON, 0.003, landuse="commercial"),
    _area(41, 410, LAT + 0.0095, LON + 0.0005, 0.002, tourism="attraction", landuse="residential"),
    _area(42, 420, LAT + 0.010, LON + 0.001, 0.0003, building="yes"),
    # airports: IATA code, international type; a general-aviation field is no key place
    _area(50, 500, LAT + 0.013, LON, 0.002, aeroway="aerodrome", iata="XYZ"),
    _node(51, LAT + 0.013, LON + 0.006, aeroway="aerodrome", aerodrome__type="international"),
    _node(52, LAT + 0.013, LON + 0.009, aeroway="aerodrome", aerodrome__type="public"),
]
OSM = '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">' + "".join(PARTS) + "</osm>\n"
NO_TOURISM = re.sub(r'<tag k="tourism" v="[^"]*"/>', "", OSM)
EXPECTED = {  # osm_id: (kind, class)
    10: ("hospital", "hospital"),
    12: ("university", "university"),
    13: ("school", None),
    20: ("railway_station", "railway_station"),
    21: ("railway_station", None),
    22: ("railway_station", None),
    24: ("railway_station", None),
    30: ("tourism_area", "tourism_area"),
    33: ("tourism_area", "tourism_area"),
    41: ("tourism_area", "tourism_area"),
    50: ("airport", "airport"),
    51: ("airport", "airport"),
}


@pytest.fixture(scope="module")
def cities(tmp_path_factory):
    return (
        load_osm_text(tmp_path_factory, OSM, "places"),
        load_osm_text(tmp_path_factory, NO_TOURISM, "plain"),
    )


def test_every_class_and_proxy(cities):
    kp = cities[0].key_places
    classes = kp["class"].astype(object).where(kp["class"].notna(), None)
    got = {int(i): (k, c) for i, k, c in zip(kp["osm_id"], kp["kind"], classes, strict=True)}
    assert got == EXPECTED
    assert set(kp["class"].dropna()) == set(KEY_PLACE_CLASSES)


def test_no_double_count(cities):
    city = cities[0]
    kp = city.key_places
    # the museum node inside the museum building and the hospital node inside its grounds are
    # dropped; the museum building is one place and still one building
    assert kp["osm_id"].is_unique and not {11, 31} & set(kp["osm_id"])
    assert list(city.buildings["osm_id"]).count(30) == 1
    # the aerodrome is also in the airspace layer (flight rules), the GA field only there
    assert {"aerodrome"} == set(city.airspace["kind"])
    assert len(city.airspace) == 3


def test_tourism_tags_feed_only_the_key_places(cities):
    city, plain = cities
    for layer in ("buildings", "landuse", "telecom", "airspace", "admin_areas"):
        a, b = getattr(city, layer), getattr(plain, layer)
        assert a.drop(columns="geometry").equals(b.drop(columns="geometry")), layer
        assert a.geometry.geom_equals(b.geometry).all(), layer
    # the building in the attraction area stays in the commercial zone: no households
    b = city.buildings.set_index("osm_id")
    assert b.loc[42, "households"] == 0 and b.loc[42, "premises_source"] == "non_residential"
    assert set(plain.key_places["kind"]) == set(city.key_places["kind"]) - {"tourism_area"}


def test_reader_fetches_the_tourism_area_types():
    assert sorted(KEY_PLACE_TAGS["tourism"]) == sorted(TOURISM_AREA_TYPES)


def test_radio_kpi_and_report_per_class(cities):
    city = cities[0]
    x0, y0, x1, y1 = city.key_places.total_bounds
    grid = SimpleNamespace(
        transform=Affine(10.0, 0, x0 - 100, 0, -10.0, y1 + 100),
        covered=np.zeros((1, int((y1 - y0) / 10) + 21, int((x1 - x0) / 10) + 21), dtype=bool),
    )
    none = key_places_reached(grid, city)
    assert none["by_class"] == {
        "hospital": [0, 1],
        "university": [0, 1],
        "tourism_area": [0, 3],
        "railway_station": [0, 1],
        "airport": [0, 2],
    }
    assert none["total"] == 8 and none["reached"] == 0 and none["reached_pct"] == 0.0
    grid.covered[:] = True
    full = key_places_reached(grid, city)
    assert full["reached"] == 8 and full["reached_pct"] == 100.0
    assert all(r == t for r, t in full["by_class"].values())
    shown = {**full["by_class"], "airport": [1, 2]}
    summary = {"radio": {"key_places": {"reached_pct": {"value": 87.5}, "by_class": shown}}}
    sec = radio_part(summary, None).section
    caption, rows = sec.tables[1]
    assert "class" in caption
    by = {r["class"]: r for r in rows}
    assert by["airport"]["reached"] == "1" and by["airport"]["total"] == "2"
    assert by["airport"]["reached_pct"] == "50"
