"""Fast map layers give exactly what stock folium gives (folium/geopandas are the oracle)."""

from __future__ import annotations

import html
import itertools
import json

import branca.element
import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import (
    GeometryCollection,
    LineString,
    MultiLineString,
    MultiPoint,
    MultiPolygon,
    Point,
    Polygon,
)

from planner._format import format_value
from planner.render import maps
from planner.render._builder import LayerBuilder, escaped_text
from planner.render._geojson import GeoJsonLayer, RawElement, feature_collection

HOLE = Polygon([(0, 0), (4, 0), (4, 4), (0, 4)], [[(1, 1), (2, 1), (2, 2), (1, 2)]])
GEOMS = [
    Point(24.1, 60.2),
    LineString([(0, 0), (1, 0.5), (2, 2)]),
    HOLE,
    MultiPolygon([HOLE, Polygon([(5, 5), (6, 5), (6, 6)])]),
    MultiLineString([[(0, 0), (1, 1)], [(2, 2), (3, 3), (4, 5)]]),
    MultiPoint([(0, 0), (1, 1)]),
    GeometryCollection([Point(1, 1), LineString([(0, 0), (1, 1)])]),
    Point(1, 2, 3),
    None,
    Polygon(),
    Point(0.1 + 0.2, -0.0),
]


def test_feature_collection_equals_the_geo_interface_round_trip():
    n = len(GEOMS)
    frame = gpd.GeoDataFrame(
        {
            "name": ["<b>a</b>", None, "c", "d", np.nan, "f", "g", "h", "i", "j", "k"],
            "n": np.arange(n),
            "x": np.linspace(0, 1, n),
            "flag": [True, False] * 5 + [True],
        },
        geometry=GEOMS,
        crs=4326,
        index=pd.Index(np.arange(n) * 7 + 3),
    )
    frame.loc[frame.index[2], "x"] = np.nan
    want = json.loads(json.dumps(frame.__geo_interface__))
    got = feature_collection(frame)
    assert got == want
    assert json.dumps(got, sort_keys=True) == json.dumps(want, sort_keys=True)


def test_feature_collection_without_properties():
    frame = gpd.GeoDataFrame(geometry=GEOMS[:6], crs=4326)
    assert feature_collection(frame) == json.loads(json.dumps(frame.__geo_interface__))


@pytest.mark.parametrize(
    "values",
    [
        pd.Series([1, 1.0, True, "<i>x</i>", None, np.nan, [1, 2], {"a": 1}, 1, "1"]),
        pd.Series([1.5, np.nan, 1.5, 2e6, -3.25, np.inf]),
        pd.Series([3, 3, 1_000_000, -7]),
        pd.Series(["a", "b", "a", None], dtype="category"),
        pd.Series(["x", None, "x"], dtype="string"),
        pd.Series([True, False, True]),
    ],
)
@pytest.mark.parametrize("money", [False, True])
def test_escaped_text_equals_formatting_each_value(values, money):
    want = values.map(lambda v: html.escape(format_value(v, money=money)))
    got = escaped_text(values, money)
    assert got.tolist() == list(want)
    assert got.index.equals(values.index)


def test_raw_element_renders_like_a_jinja_element():
    for text in ["abc", "abc\n", "a\n\nb\n\n", "x = {a: [1, 2]}; }} ]"]:
        assert RawElement(text).render() == branca.element.Element(text).render()


def deterministic_ids(monkeypatch) -> None:
    counter = itertools.count()
    monkeypatch.setattr(
        branca.element.Element,
        "_generate_id",
        classmethod(lambda cls: f"{next(counter):032x}"),
    )


def page(city, monkeypatch, fast: bool) -> str:
    deterministic_ids(monkeypatch)
    monkeypatch.setattr(LayerBuilder, "fast_geojson", fast)
    m, _ = maps.city_map_info(city)
    return m.get_root().render()


def test_city_map_is_byte_identical_to_stock_folium(helsinki, monkeypatch):
    fast = page(helsinki, monkeypatch, True)
    assert "geo_json_" in fast
    assert fast == page(helsinki, monkeypatch, False)


def test_jinja_syntax_in_data_renders_as_stock_folium(monkeypatch):
    frame = gpd.GeoDataFrame({"name": ["{{ 7 * 7 }}", "b"]}, geometry=GEOMS[:2], crs=4326)

    def render(cls, data) -> str:
        deterministic_ids(monkeypatch)
        m = folium.Map(location=[0, 0])
        cls(data, style_function=lambda f: {"color": "red"}).add_to(m)
        return m.get_root().render()

    assert render(GeoJsonLayer, feature_collection(frame)) == render(folium.GeoJson, frame)
