"""The vectorised street simplification gives exactly osmnx's graph (osmnx is the oracle)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import CRS
from shapely import LineString

from planner.city.load import _choose_crs, _read_raw, resolve_config
from planner.city.osm import clean_raw
from planner.city.simplify import endpoint_mask, simplified_gdfs
from planner.city.streets import graph_from_segments
from tests.conftest import shared_file

UTM = CRS.from_epsg(32635)


def assert_identical(A, B) -> None:
    """Same graph attributes, node order and data, edge order, keys, data, value types, preds."""
    assert A.graph == B.graph
    assert list(A.nodes(data=True)) == list(B.nodes(data=True))
    for (_, da), (_, db) in zip(A.nodes(data=True), B.nodes(data=True), strict=True):
        assert [type(x) for x in da.values()] == [type(x) for x in db.values()]
    ea, eb = list(A.edges(keys=True, data=True)), list(B.edges(keys=True, data=True))
    assert [e[:3] for e in ea] == [e[:3] for e in eb]
    for (*_, da), (*_, db) in zip(ea, eb, strict=True):
        assert list(da) == list(db)
        for key in da:
            if key == "geometry":
                assert da[key].equals_exact(db[key], 0), key
            else:
                assert da[key] == db[key], key
                assert type(da[key]) is type(db[key]), key
    assert all(list(A.pred[n]) == list(B.pred[n]) for n in A)


def raw_segments(source):
    config = resolve_config(source)
    raw, _ = _read_raw(config)
    clean_raw(raw)
    return raw.segments, _choose_crs(config, raw)


def test_helsinki_matches_osmnx():
    segments, crs = raw_segments(None)
    assert_identical(
        graph_from_segments(segments, crs, method="osmnx"), graph_from_segments(segments, crs)
    )


def test_monaco_matches_osmnx():
    segments, crs = raw_segments(str(shared_file("monaco")))
    assert_identical(
        graph_from_segments(segments, crs, method="osmnx"), graph_from_segments(segments, crs)
    )


def random_segments(seed: int) -> gpd.GeoDataFrame:
    """A small street network with chains, rings, lollipops, parallel ways and missing tags."""
    rng = np.random.default_rng(seed)
    n = 60
    xy = rng.uniform(24.0, 24.02, size=(n, 2))
    xy[:, 1] += 36.0
    rows = []
    way = 100
    for _ in range(25):
        length = int(rng.integers(1, 7))
        path = rng.choice(n, size=length + 1, replace=rng.random() < 0.3).tolist()
        if rng.random() < 0.15:
            path.append(path[0])
        way += 1
        tags = {
            "highway": rng.choice(["residential", "primary", "service", "track"]),
            "name": rng.choice(["A", "B", None]),
            "maxspeed": rng.choice(["30", "50", None]),
        }
        for a, b in zip(path[:-1], path[1:], strict=True):
            if rng.random() < 0.3:
                way += 1
                tags = {**tags, "highway": rng.choice(["residential", "primary", "tertiary"])}
            rows.append({"u": a + 1, "v": b + 1, "osmid": way, **tags})
    # a ring with no junction (removed), a lollipop (self-loop edge) and two parallel chains
    extra = [[1050, 1051, 1052, 1053, 1054, 1055, 1050], [1056, 1057, 1058, 1059, 1056, 1060]]
    extra += [[1061, 1062, 1063, 1064], [1061, 1065, 1066, 1064], [1064, 1067], [1061, 1068]]
    for w, path in enumerate(extra):
        for a, b in zip(path[:-1], path[1:], strict=True):
            rows.append({"u": a, "v": b, "osmid": 9 + w, "highway": "service"})
    pos = {i + 1: xy[i] for i in range(n)}
    pos |= {i: rng.uniform(24.0, 24.02, size=2) + (0, 36.0) for i in range(1050, 1069)}
    df = pd.DataFrame(rows)
    geoms = [LineString([pos[a], pos[b]]) for a, b in zip(df["u"], df["v"], strict=True)]
    return gpd.GeoDataFrame(df, geometry=geoms, crs=4326)


@pytest.mark.parametrize("seed", range(12))
def test_random_networks_match_osmnx(seed):
    segments = random_segments(seed)
    assert_identical(
        graph_from_segments(segments, UTM, method="osmnx"), graph_from_segments(segments, UTM)
    )


def test_endpoint_rules_by_hand():
    # 0-1-2 two-way chain, 2-3 and 2-4 branches, 5->6 one-way, 7 self-loop
    u = np.array([0, 1, 1, 2, 2, 3, 2, 4, 5, 7])
    v = np.array([1, 0, 2, 1, 3, 2, 4, 2, 6, 7])
    assert endpoint_mask(u, v, 8).tolist() == [True, False, True, True, True, True, True, True]


def test_unsupported_pattern_defers_to_osmnx():
    # a one-way chain 0 -> 1 -> 2: node 1 is interstitial with one edge each way only
    nodes = pd.DataFrame({"x": [0.0, 1.0, 2.0], "y": [0.0, 0.0, 0.0]}, index=[10, 11, 12])
    edges = pd.DataFrame({"u": [10, 11], "v": [11, 12], "key": [0, 0], "osmid": [1, 1]})
    assert simplified_gdfs(nodes, edges, ["osmid"]) is None
