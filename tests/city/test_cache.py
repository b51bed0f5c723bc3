"""The city cache is data only (GeoPackage + JSON) and gives exactly the freshly loaded City."""

import ast
import json
import pickle
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from planner.city import load_city, resolve_config
from planner.city.cache import CACHE_VERSION, cache_path, read_cache, write_cache
from planner.city.model import LAYER_NAMES
from planner.city.store import StoreError, decode_frame, encode_frame, write_city
from planner.fiber import analyze_fiber

PACKAGE = Path(__file__).resolve().parents[2] / "planner"


class _Payload:
    """Unpickling this creates ``marker``: proof that a planted pickle would run code."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.fixture(scope="module")
def loads(tmp_path_factory):
    """A fresh Helsinki load into an empty cache planted with pickles, then a cached load."""
    root = tmp_path_factory.mktemp("cache")
    marker = root / "code-ran"
    payload = pickle.dumps(_Payload(marker))
    pickle.loads(payload)  # the payload is live ...
    assert marker.exists()
    marker.unlink()  # ... so a planted copy that ran would leave the marker behind
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PLANNER_CACHE_DIR", str(root))
        folder = cache_path(resolve_config(None))
        folder.mkdir(parents=True)
        for name in ("city.json", "city.gpkg", "city.pkl", "city.pickle"):
            (folder / name).write_bytes(payload)
        folder.with_suffix(".pkl").write_bytes(payload)  # where the pickle cache used to be
        fresh = load_city(progress=False)
        cached = load_city(progress=False)
    return {"fresh": fresh, "cached": cached, "marker": marker, "folder": folder}


def test_planted_files_do_not_run_and_the_city_is_rebuilt(loads):
    assert not loads["marker"].exists()
    assert not loads["fresh"].from_cache
    assert loads["cached"].from_cache
    assert sorted(p.name for p in loads["folder"].iterdir()) == ["city.gpkg", "city.json"]
    meta = json.loads((loads["folder"] / "city.json").read_text(encoding="utf-8"))
    assert meta["version"] == CACHE_VERSION


def test_cached_layers_are_identical(loads):
    a, b = loads["fresh"], loads["cached"]
    assert a.crs == b.crs and a.crs.to_string() == b.crs.to_string()
    assert a.boundary.wkb == b.boundary.wkb
    assert a.assumptions == b.assumptions and a.source == b.source and a.name == b.name
    for name in LAYER_NAMES:
        x, y = getattr(a, name), getattr(b, name)
        assert list(x.columns) == list(y.columns), name
        assert list(x.dtypes.astype(str)) == list(y.dtypes.astype(str)), name
        pd.testing.assert_frame_equal(
            pd.DataFrame(x.drop(columns="geometry")),
            pd.DataFrame(y.drop(columns="geometry")),
            check_exact=True,
        )
        assert (x.geometry.to_wkb() == y.geometry.to_wkb()).all(), name
        assert x.crs == y.crs and x.attrs == y.attrs, name
    for name, layer in a.layers().items():
        pd.testing.assert_frame_equal(layer, b.layers()[name], check_exact=True)


def _edges(G: nx.MultiDiGraph) -> list:
    return [
        (u, v, k, [(a, type(x), x.wkb if a == "geometry" else x) for a, x in d.items()])
        for u, v, k, d in G.edges(keys=True, data=True)
    ]


def test_cached_graph_is_identical(loads):
    G, H = loads["fresh"].graph, loads["cached"].graph
    assert G.graph == H.graph
    assert list(G.nodes(data=True)) == list(H.nodes(data=True))
    assert _edges(G) == _edges(H)
    assert [list(G.pred[n]) for n in G] == [list(H.pred[n]) for n in H]


def test_cached_city_gives_the_same_fiber_results(loads):
    a = analyze_fiber(loads["fresh"])
    b = analyze_fiber(loads["cached"])
    assert a.kpis == b.kpis
    pd.testing.assert_frame_equal(a.premises, b.premises, check_exact=True)
    pd.testing.assert_frame_equal(a.gap_clusters, b.gap_clusters, check_exact=True)


def test_stale_or_foreign_cache_is_ignored(loads, tmp_path):
    folder = tmp_path / "key"
    write_cache(loads["fresh"], folder)
    assert read_cache(folder) is not None
    meta = json.loads((folder / "city.json").read_text(encoding="utf-8"))
    (folder / "city.json").write_text(json.dumps({**meta, "version": "0.0-1"}), encoding="utf-8")
    assert read_cache(folder) is None
    (folder / "city.json").write_text("not json", encoding="utf-8")
    assert read_cache(folder) is None
    assert read_cache(tmp_path / "missing") is None


def test_a_value_the_format_cannot_keep_is_not_cached(loads, tmp_path, caplog):
    city = loads["fresh"]
    G = city.graph.copy()
    u, v, k = next(iter(G.edges(keys=True)))
    G.edges[u, v, k]["width"] = np.float32(3.5)  # a numpy scalar would come back as a float
    odd = type(city)(**{**city.__dict__, "graph": G})
    with pytest.raises(StoreError, match="float32"):
        write_city(odd, tmp_path / "direct", CACHE_VERSION)
    write_cache(odd, tmp_path / "key")
    assert not (tmp_path / "key").exists()
    assert "could not write cache" in caplog.text


def test_no_planner_module_uses_pickle():
    users = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            if any(n.split(".")[0] in ("pickle", "dill", "joblib", "cloudpickle") for n in names):
                users.append(str(path.relative_to(PACKAGE)))
    assert not users


def test_every_column_type_round_trips_exactly(tmp_path):
    gdf = gpd.GeoDataFrame(
        {
            "i": np.array([1, 2**40, -3], dtype="int64"),
            "f": [1.5, np.nan, np.inf],
            "neg_zero": [-0.0, 1.0, np.nan],  # GeoPackage REAL would drop the sign
            "b": [True, False, True],
            "s": pd.Series(["a", None, ""], dtype="str"),
            "t": pd.Series(["a", None, "é"], dtype="string"),
            "n": pd.array([1, None, 2**60], dtype="Int64"),  # beyond float precision
            "m": pd.array([True, None, False], dtype="boolean"),
            "o": [[1, "x"], None, {"k": 2.5}],
        },
        geometry=[shapely.Point(1, 2), None, shapely.LineString([(0, 0), (1, 1)])],
        crs=3067,
    )
    gdf.attrs["note"] = {"a": [1, 2]}
    stored, schema = encode_frame(gdf)
    assert schema.codecs[gdf.columns.get_loc("neg_zero")] == "json"
    assert schema.codecs[gdf.columns.get_loc("n")] == "json"
    path = tmp_path / "t.gpkg"
    pyogrio.write_dataframe(stored, path, layer="t", geometry_type="Unknown")
    back = decode_frame(pyogrio.read_dataframe(path, layer="t"), schema.to_json(), gdf.crs)
    pd.testing.assert_frame_equal(back, gdf, check_exact=True)
    assert np.signbit(back["neg_zero"][0]) and back.attrs == gdf.attrs
    assert back.geometry.to_wkb().tolist() == gdf.geometry.to_wkb().tolist()
