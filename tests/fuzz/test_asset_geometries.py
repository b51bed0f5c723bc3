"""Asset files with GeometryCollections and mixed geometry types: split into points and lines."""

from __future__ import annotations

import json

import shapely

from planner.config import FiberConfig
from planner.fiber import analyze_fiber
from planner.fiber.supply import read_asset_file

_GC = {
    "type": "GeometryCollection",
    "geometries": [
        {"type": "Point", "coordinates": [24.94, 60.17]},
        {"type": "LineString", "coordinates": [[24.941, 60.171], [24.943, 60.172]]},
        {
            "type": "Polygon",
            "coordinates": [[[24.944, 60.17], [24.945, 60.17], [24.945, 60.171], [24.944, 60.17]]],
        },
        {
            "type": "GeometryCollection",
            "geometries": [{"type": "Point", "coordinates": [24.942, 60.175]}],
        },
    ],
}
_FEATURES = [
    ("gc", _GC),
    ("mp", {"type": "MultiPoint", "coordinates": [[24.946, 60.172], [24.947, 60.173]]}),
    (
        "ml",
        {
            "type": "MultiLineString",
            "coordinates": [
                [[24.946, 60.174], [24.947, 60.175]],
                [[24.948, 60.174], [24.949, 60.175]],
            ],
        },
    ),
    ("p", {"type": "Point", "coordinates": [24.95, 60.176]}),
]


def _write(path):
    feats = [
        {"type": "Feature", "properties": {"name": n, "kind": "olt"}, "geometry": g}
        for n, g in _FEATURES
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return path


def test_collections_are_split_into_their_parts(tmp_path, helsinki):
    assets = read_asset_file(_write(tmp_path / "a.geojson"), helsinki.crs, helsinki.boundary)
    # by hand: the collection gives point, line, polygon (as a point), nested point; the
    # multipoint two points; the multiline stays one route; the point one
    assert list(assets["name"]) == ["gc"] * 4 + ["mp"] * 2 + ["ml", "p"]
    types = list(assets.geom_type)
    assert types == ["Point", "LineString", "Point", "Point", "Point", "Point"] + [
        "MultiLineString",
        "Point",
    ]
    assert shapely.is_valid(assets.geometry.to_numpy()).all()


def test_fiber_runs_on_mixed_asset_files(tmp_path, helsinki):
    # was: GEOSException: third argument of GEOSProject_r must be Point
    path = _write(tmp_path / "a.geojson")
    cov = analyze_fiber(helsinki, FiberConfig(asset_files=[str(path)], use_osm_assets=False))
    assert cov.kpis["assets"] == 8 and cov.kpis["assets_on_network"] > 0
