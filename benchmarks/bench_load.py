"""Load time and peak memory per shared extract: cold, cached, and osmnx's XML loaders.

Each measurement runs in a fresh subprocess so that peak RSS (ru_maxrss) is its own.
The street graph step alone is also timed both ways on the same raw segments in one process:
``osmnx.simplify_graph`` + ``project_graph`` (the previous method) against the vectorised
simplification, with a check that the two graphs are identical (order, keys, values, types).
Run: python benchmarks/bench_load.py [--skip-osmnx] [--streets-only]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "osm"
FILES = [
    "monaco-2026-03-10.osm.pbf",
    "lauf-an-der-pegnitz-2020-01-15.osm.pbf",
    "liechtenstein-2021-10-28.osm.pbf",
]

CHILD = r"""
import json, os, resource, sys, time, warnings
warnings.filterwarnings("ignore")
mode, path, cache = sys.argv[1], sys.argv[2], sys.argv[3]
os.environ["PLANNER_CACHE_DIR"] = cache
from planner.city import load_city
import osmnx as ox
from planner.city.osm import FEATURE_TAGS
t0 = time.perf_counter()
if mode in ("cold", "cached"):
    city = load_city(path, use_cache=True, progress=False)
    n = {"buildings": len(city.buildings), "edges": city.graph.number_of_edges(),
         "cache": city.from_cache}
else:
    G = ox.graph_from_xml(path, bidirectional=True, retain_all=True)
    b = ox.features_from_xml(path, tags={"building": True})
    f = ox.features_from_xml(path, tags=FEATURE_TAGS)
    n = {"buildings": len(b), "edges": G.number_of_edges()}
secs = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": secs, "peak_mb": peak, **n}))
"""


STREETS = r"""
import json, sys, time, warnings
warnings.filterwarnings("ignore")
from planner.city.load import _choose_crs, _read_raw, resolve_config
from planner.city.osm import clean_raw
from planner.city.streets import graph_from_segments
config = resolve_config(None if sys.argv[1] == "helsinki" else sys.argv[1])
raw, _ = _read_raw(config)
clean_raw(raw)
crs = _choose_crs(config, raw)
out = {}
graphs = {}
for method in ("osmnx", "vectorised"):
    t, c = time.perf_counter(), time.process_time()
    graphs[method] = graph_from_segments(raw.segments, crs, method=method)
    out[method] = [time.perf_counter() - t, time.process_time() - c]
A, B = graphs["osmnx"], graphs["vectorised"]
ea, eb = list(A.edges(keys=True, data=True)), list(B.edges(keys=True, data=True))
same = A.graph == B.graph and list(A.nodes(data=True)) == list(B.nodes(data=True))
same = same and [e[:3] for e in ea] == [e[:3] for e in eb]
for (*_, da), (*_, db) in zip(ea, eb):
    same = same and list(da) == list(db) and all(
        da[k].equals_exact(db[k], 0) if k == "geometry" else
        (da[k] == db[k] and type(da[k]) is type(db[k])) for k in da)
out["identical"] = bool(same)
out["edges"] = B.number_of_edges()
out["segments"] = len(raw.segments)
print(json.dumps(out))
"""


def measure_streets(source: str) -> dict:
    """Time the street graph step with osmnx and vectorised on the same segments."""
    out = subprocess.run([sys.executable, "-c", STREETS, source], capture_output=True, text=True)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr else "failed"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def print_streets() -> None:
    """Print the street-graph table: osmnx vs vectorised simplification (wall and CPU)."""
    print(
        "| extract | segments | edges | osmnx s (CPU) | vectorised s (CPU) | CPU ratio "
        "| identical |"
    )
    print("|---|---|---|---|---|---|---|")
    for source in ["helsinki", *[str(SHARED / f) for f in FILES]]:
        r = measure_streets(source)
        if "error" in r:
            print(f"| {Path(source).name} | error: {r['error']} |")
            continue
        (ow, oc), (vw, vc) = r["osmnx"], r["vectorised"]
        print(
            f"| {Path(source).name} | {r['segments']:,} | {r['edges']:,} | {ow:.2f} ({oc:.2f}) "
            f"| {vw:.2f} ({vc:.2f}) | {oc / vc:.1f}x | {r['identical']} |",
            flush=True,
        )


def measure(mode: str, path: Path, cache: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(path), cache], capture_output=True, text=True
    )
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr else "failed"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def to_xml(pbf: Path, dst: Path) -> Path:
    import osmium

    with osmium.SimpleWriter(str(dst)) as writer:
        for obj in osmium.FileProcessor(str(pbf)):
            writer.add(obj)
    return dst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-osmnx", action="store_true")
    parser.add_argument("--streets-only", action="store_true")
    args = parser.parse_args()
    if not SHARED.is_dir():
        sys.exit(f"{SHARED} not found: the shared extracts are needed")
    print_streets()
    if args.streets_only:
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in FILES:
            pbf = SHARED / name
            cache = str(Path(tmp) / "cache")
            cold = measure("cold", pbf, cache)
            cached = measure("cached", pbf, cache)
            row = {"file": name, "cold": cold, "cached": cached}
            if not args.skip_osmnx:
                xml = to_xml(pbf, Path(tmp) / name.replace(".pbf", ""))
                row["osmnx"] = measure("osmnx", xml, cache)
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)
    print(
        "| extract | cold s | cold peak MB | cached s | cached peak MB | osmnx XML s "
        "| osmnx peak MB | speed-up cold | speed-up cached |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        ox_s = r.get("osmnx", {}).get("seconds")
        ox_m = r.get("osmnx", {}).get("peak_mb")
        c, k = r["cold"], r["cached"]
        ratio = f"{ox_s / c['seconds']:.1f}x" if ox_s else "n/a"
        ratio_c = f"{ox_s / k['seconds']:.1f}x" if ox_s else "n/a"
        print(
            f"| {r['file']} | {c['seconds']:.2f} | {c['peak_mb']:.0f} | {k['seconds']:.2f} | "
            f"{k['peak_mb']:.0f} | {ox_s if ox_s is None else f'{ox_s:.2f}'} | "
            f"{ox_m if ox_m is None else f'{ox_m:.0f}'} | {ratio} | {ratio_c} |"
        )


if __name__ == "__main__":
    main()
