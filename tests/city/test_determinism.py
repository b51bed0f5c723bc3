"""The same input gives the same City whatever PYTHONHASHSEED: layers and graph are compared."""

import json
import os
import subprocess
import sys
from pathlib import Path

import networkx as nx
import osmium
import pytest
import shapely

from planner.city.streets import finish_graph
from tests.conftest import shared_file

ROOT = Path(__file__).resolve().parents[2]

#: Loads a city without the cache and prints a digest of every layer and of the street graph.
CHILD = r"""
import hashlib, json, sys, warnings
warnings.filterwarnings("ignore")
import pandas as pd
from planner.city import load_city
city = load_city(None if sys.argv[1] == "helsinki" else sys.argv[1], use_cache=False,
                 progress=False)

def digest(parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else repr(p).encode())
    return h.hexdigest()

out = {}
for name, gdf in city.layers().items():
    attrs = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).astype(str)
    out[name] = {
        "rows": len(gdf),
        "columns": [f"{c}:{t}" for c, t in gdf.dtypes.astype(str).items()],
        "hash": digest([attrs.to_numpy().tolist(), *gdf.geometry.to_wkb()]),
    }
G = city.graph
out["graph"] = {
    "rows": G.number_of_edges(),
    "columns": sorted(G.graph),
    "hash": digest(
        [(n, list(d.items())) for n, d in G.nodes(data=True)]
        + [(u, v, k, [(a, x.wkb if a == "geometry" else x) for a, x in d.items()])
           for u, v, k, d in G.edges(keys=True, data=True)]
    ),
}
print(json.dumps(out))
"""


def _digest(source: str, seed: int) -> dict:
    env = {**os.environ, "PYTHONHASHSEED": str(seed), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, source],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _same_for_two_seeds(source: str) -> None:
    a, b = _digest(source, 1), _digest(source, 2)
    assert a.keys() == b.keys()
    differ = [name for name in a if a[name] != b[name]]
    assert not differ, {name: (a[name], b[name]) for name in differ}


def test_helsinki_is_the_same_for_any_hash_seed():
    _same_for_two_seeds("helsinki")


@pytest.mark.shared
def test_monaco_is_the_same_for_any_hash_seed():
    _same_for_two_seeds(str(shared_file("monaco")))


def _chain_osm(path: Path) -> Path:
    """A street of eight ways in a row, each with its own name and a mix of classes."""
    classes = ["residential", "footway", "tertiary", "service"] * 2
    with osmium.SimpleWriter(str(path)) as w:
        for i in range(10):
            lon, lat = 24.94 + 0.001 * i, 60.17
            w.add_node(osmium.osm.mutable.Node(id=i + 1, location=(lon, lat), version=1))
        for i, hw in enumerate(classes):
            tags = {"highway": hw, "name": f"Street {'ABCDEFGH'[i]}", "maxspeed": str(20 + i)}
            way = osmium.osm.mutable.Way(id=100 + i, nodes=[i + 1, i + 2], tags=tags, version=1)
            w.add_way(way)
        ring = [1, 2, 3, 4, 1]
        w.add_way(osmium.osm.mutable.Way(id=200, nodes=[9, 10], tags={"highway": "path"}))
        w.add_way(osmium.osm.mutable.Way(id=300, nodes=ring, tags={"building": "yes"}, version=1))
    return path


def test_osm_xml_is_the_same_for_any_hash_seed(tmp_path):
    """osmnx merges the eight ways into one edge whose tags are lists in hash-seed order."""
    _same_for_two_seeds(str(_chain_osm(tmp_path / "chain.osm")))


def test_merged_edge_tags_get_a_fixed_order_and_the_main_highway_class():
    G = nx.MultiDiGraph(crs="EPSG:3067")
    G.add_node(1, x=0.0, y=0.0)
    G.add_node(2, x=10.0, y=0.0)
    G.add_edge(
        1,
        2,
        0,
        highway=["service", "residential", "secondary", "footway"],
        name=["b", "c", "a"],
        osmid=[30, 10, 20],
        geometry=shapely.LineString([(0, 0), (10, 0)]),
    )
    data = finish_graph(G).edges[1, 2, 0]
    assert data["highway"] == "secondary"  # the most important class, not the first listed
    assert data["name"] == ["a", "b", "c"]
    assert data["osmid"] == [30, 10, 20]  # integer lists do not depend on the hash seed


def _plan_run(source: Path, out: Path, seed: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "PYTHONHASHSEED": str(seed),
        "PYTHONPATH": str(ROOT),
        "PLANNER_CACHE_DIR": str(out / "cache"),
    }
    code = "import sys; from planner.cli import main; sys.exit(main(sys.argv[1:]))"
    argv = ["plan", "--pbf", str(source), "--out", str(out), "--city", "m", "-q", "--no-cache"]
    return subprocess.Popen(
        [sys.executable, "-c", code, *argv], env=env, cwd=ROOT, stderr=subprocess.PIPE, text=True
    )


def _untimed(obj):
    if isinstance(obj, dict):
        skip = {"generated", "from_cache"}
        return {
            k: _untimed(v)
            for k, v in obj.items()
            if k not in skip and not k.endswith(("_seconds", "seconds", "_s"))
        }
    if isinstance(obj, list):
        return [_untimed(v) for v in obj]
    return obj


@pytest.mark.shared
def test_monaco_plan_run_is_the_same_for_any_hash_seed(tmp_path):
    """The whole run (layers, fiber, plan): summary.json apart from times and bom.csv."""
    source = shared_file("monaco")
    runs = {seed: _plan_run(source, tmp_path / str(seed), seed) for seed in (1, 2)}
    for proc in runs.values():
        _, err = proc.communicate(timeout=900)
        assert proc.returncode == 0, err[-2000:]
    out = {seed: tmp_path / str(seed) / "m" for seed in runs}
    a, b = (json.loads((out[s] / "summary.json").read_text(encoding="utf-8")) for s in runs)
    assert _untimed(a) == _untimed(b)
    assert (out[1] / "bom.csv").read_bytes() == (out[2] / "bom.csv").read_bytes()
