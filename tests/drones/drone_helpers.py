"""Synthetic city shared by the drone tests."""

import types

import geopandas as gpd
import networkx as nx
import numpy as np
from pyproj import CRS
from shapely.geometry import LineString, Point, box

X0, Y0 = 500_000.0, 5_200_000.0
CRS32 = CRS.from_epsg(32632)
#: Household size the tests pass to the population model (the documented default).
PPH = 2.3


def make_city(width=3000.0, height=2000.0, spacing=100.0):
    """A synthetic City in the contract's shape: dense core in the middle, a prison to the
    south-west, a hospital, a lake, a tall tower, a mast and a street grid."""
    bldg = []
    rng = np.random.default_rng(1)
    for x in np.arange(50, width, 60):
        for y in np.arange(50, height, 60):
            core = abs(x - width / 2) < 500 and abs(y - height / 2) < 400
            if not core and rng.random() > 0.15:
                continue
            g = box(X0 + x - 15, Y0 + y - 15, X0 + x + 15, Y0 + y + 15)
            lv = 6 if core else 2
            bldg.append(
                dict(
                    osm_id=len(bldg),
                    building="apartments",
                    name="",
                    height_m=3.0 * lv,
                    height_source="levels",
                    levels=lv,
                    footprint_m2=900.0,
                    floor_area_m2=900.0 * lv,
                    premises=8 * lv if core else 1,
                    residential=True,
                    geometry=g,
                )
            )
    buildings = gpd.GeoDataFrame(bldg, crs=CRS32)
    air = gpd.GeoDataFrame(
        [
            dict(
                osm_id=1,
                kind="prison",
                name="JVA Test",
                height_m=np.nan,
                geometry=box(X0 + 300, Y0 + 300, X0 + 500, Y0 + 450),
            ),
            dict(
                osm_id=2,
                kind="tower",
                name="TV tower",
                height_m=210.0,
                geometry=Point(X0 + 2600, Y0 + 1000),
            ),
            dict(
                osm_id=3,
                kind="chimney",
                name="",
                height_m=np.nan,
                geometry=Point(X0 + 2700, Y0 + 300),
            ),
        ],
        crs=CRS32,
    )
    telecom = gpd.GeoDataFrame(
        [
            dict(
                osm_id=10,
                kind="mast",
                name="M1",
                height_m=np.nan,
                mobile=True,
                fibre=False,
                geometry=Point(X0 + 1500, Y0 + 1000),
            )
        ],
        crs=CRS32,
    )
    landuse = gpd.GeoDataFrame(
        [
            dict(kind="water", geometry=box(X0 + 2200, Y0 + 1400, X0 + 2900, Y0 + 1900)),
            dict(kind="park", geometry=box(X0 + 200, Y0 + 1300, X0 + 700, Y0 + 1800)),
            dict(
                kind="major_road", geometry=LineString([(X0, Y0 + 1000), (X0 + width, Y0 + 1000)])
            ),
        ],
        crs=CRS32,
    )
    key_places = gpd.GeoDataFrame(
        [dict(kind="hospital", name="St Test", geometry=Point(X0 + 1500, Y0 + 1700))], crs=CRS32
    )
    g = nx.MultiDiGraph(crs=CRS32)
    xs, ys = np.arange(0, width + 1, spacing), np.arange(0, height + 1, spacing)
    for i, x in enumerate(xs):
        for j, y in enumerate(ys):
            g.add_node((i, j), x=X0 + x, y=Y0 + y)
    for i in range(len(xs)):
        for j in range(len(ys)):
            for di, dj in ((1, 0), (0, 1)):
                if i + di < len(xs) and j + dj < len(ys):
                    a, b = (i, j), (i + di, j + dj)
                    geom = LineString(
                        [(g.nodes[a]["x"], g.nodes[a]["y"]), (g.nodes[b]["x"], g.nodes[b]["y"])]
                    )
                    for u, v, gg in ((a, b, geom), (b, a, geom.reverse())):
                        g.add_edge(
                            u, v, length=spacing, highway="residential", osmid=0, geometry=gg
                        )
    g = nx.convert_node_labels_to_integers(g)
    return types.SimpleNamespace(
        name="synthetic",
        crs=CRS32,
        source="test",
        graph=g,
        buildings=buildings,
        telecom=telecom,
        airspace=air,
        landuse=landuse,
        key_places=key_places,
        boundary=box(X0, Y0, X0 + width, Y0 + height),
        assumptions={},
        people_per_household=2.3,
    )
