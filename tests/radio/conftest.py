"""Fixtures of the radio tests: a small synthetic city (no OSM needed)."""

from __future__ import annotations

from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import CRS

CRS_UTM = CRS.from_epsg(32635)
X0, Y0 = 385000.0, 6671000.0


def make_city(buildings: list[tuple[float, float, float, float, float]] | None = None):
    """A 2 km x 2 km city; buildings as (x, y, width, depth, height) offsets from (X0, Y0)."""
    rows = buildings or [(600, 600, 40, 40, 30), (1400, 900, 60, 30, 12), (900, 1500, 30, 30, 50)]
    geoms = [shapely.box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + d) for x, y, w, d, _ in rows]
    b = gpd.GeoDataFrame(
        {
            "height_m": [float(r[4]) for r in rows],
            "people": [100.0] * len(rows),
            "premises": [40] * len(rows),
        },
        geometry=geoms,
        crs=CRS_UTM,
    )
    empty = gpd.GeoDataFrame({"kind": pd.Series([], dtype="string")}, geometry=[], crs=CRS_UTM)
    kp = gpd.GeoDataFrame(
        {"kind": ["hospital", "school", "university"], "class": ["hospital", None, "university"]},
        geometry=shapely.points([X0 + 500, X0 + 1000, X0 + 1900], [Y0 + 500, Y0 + 1000, Y0 + 100]),
        crs=CRS_UTM,
    )
    return SimpleNamespace(
        name="toy",
        crs=CRS_UTM,
        boundary=shapely.box(X0, Y0, X0 + 2000, Y0 + 2000),
        buildings=b,
        telecom=gpd.GeoDataFrame(
            {"kind": [], "osm_id": [], "osm_type": [], "height_m": [], "mobile": []},
            geometry=[],
            crs=CRS_UTM,
        ),
        key_places=kp,
        airspace=empty,
    )


def lonlat(x: float, y: float) -> tuple[float, float]:
    """WGS84 lon/lat of an offset from (X0, Y0)."""
    p = gpd.GeoSeries([shapely.Point(X0 + x, Y0 + y)], crs=CRS_UTM).to_crs(4326).iloc[0]
    return float(p.x), float(p.y)


def write_sites_csv(path, rows: list[dict]) -> str:
    """Write a per-sector CSV; ``x``/``y`` offsets become lon/lat."""
    out = []
    for r in rows:
        r = dict(r)
        if "x" in r:
            r["lon"], r["lat"] = lonlat(r.pop("x"), r.pop("y"))
        out.append(r)
    pd.DataFrame(out).to_csv(path, index=False)
    return str(path)


def load_osm_text(tmp_path_factory, text: str, name: str):
    """Load a City from OSM XML ``text`` written to a fresh folder (private cache, no cache)."""
    from planner.city import load_city

    d = tmp_path_factory.mktemp(name)
    path = d / f"{name}.osm"
    path.write_text(text, encoding="utf-8")
    mp = pytest.MonkeyPatch()
    mp.setenv("PLANNER_CACHE_DIR", str(d / "cache"))
    try:
        return load_city(path, use_cache=False, progress=False)
    finally:
        mp.undo()


@pytest.fixture
def toy_city():
    return make_city()


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
