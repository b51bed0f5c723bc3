"""Benchmark map export size and time: Liechtenstein and a >= 1M-premise mosaic of it.

Run: ``PYTHONPATH=. python benchmarks/bench_maps.py [--mosaic 7x4] [--no-plan]``.
Targets (issue 6): a Liechtenstein-size map < 10 MB, a 1M-premise mosaic map < 30 MB.
The mosaic map carries the city layers, the fibre coverage (synthetic point assets on the
real streets, as in ``bench_fiber.py``) and, unless ``--no-plan``, the fibre build plan;
drone corridors are left out (a 28-town lattice is not a drone use case).

Each case writes the maps twice in the same run: with the fast layers (default,
``LayerBuilder.fast_geojson``) and with stock ``folium.GeoJson`` on the GeoDataFrames
(the previous method), element ids made deterministic, and checks the files are
byte-identical; it prints both wall and CPU times and the ratio. ``--mosaic none`` skips
the mosaic.
"""

from __future__ import annotations

import argparse
import filecmp
import itertools
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_fiber import CFG, peak_gb, synthetic_assets  # noqa: E402
from branca.element import Element  # noqa: E402
from mosaic import mosaic_city  # noqa: E402

from planner.city import load_city  # noqa: E402
from planner.fiber import analyze_fiber  # noqa: E402
from planner.plan import plan_fiber  # noqa: E402
from planner.render._builder import LayerBuilder  # noqa: E402
from planner.render.maps import write_maps  # noqa: E402

GENERATE_ID = Element.__dict__["_generate_id"]
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "osm"


def timed_maps(out, city, cov, plan, fast: bool) -> tuple[float, float]:
    """Write the maps with fast or stock GeoJSON layers; return (wall, CPU) seconds."""
    counter = itertools.count()
    Element._generate_id = classmethod(lambda cls: f"{next(counter):032x}")
    LayerBuilder.fast_geojson = fast
    t, c = time.perf_counter(), time.process_time()
    try:
        write_maps(out, city, cov, plan)
    finally:
        LayerBuilder.fast_geojson = True
        Element._generate_id = GENERATE_ID
    return time.perf_counter() - t, time.process_time() - c


def run(city, label: str, with_plan: bool, keep: str | None = None) -> None:
    t0 = time.perf_counter()
    cov = analyze_fiber(city, CFG, assets=synthetic_assets(city, 400))
    t_fiber = time.perf_counter() - t0
    plan = None
    t_plan = 0.0
    if with_plan:
        t0 = time.perf_counter()
        plan = plan_fiber(city, cov)
        t_plan = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as old:
        tmp = keep or tmp
        t_old = timed_maps(old, city, cov, plan, fast=False)
        t_maps = timed_maps(tmp, city, cov, plan, fast=True)
        meta = json.loads((Path(tmp) / "maps.json").read_text())
        sizes = {p.name: p.stat().st_size / 1e6 for p in Path(tmp).glob("*.html")}
        same = all(filecmp.cmp(p, Path(tmp) / p.name, shallow=False) for p in Path(old).iterdir())
    print(
        f"{label}: {cov.kpis['premises_total']:,} premises, {len(city.buildings):,} buildings; "
        f"fiber {t_fiber:.1f}s, plan {t_plan:.1f}s, maps {t_maps[0]:.1f}s "
        f"(CPU {t_maps[1]:.1f}s), peak RSS {peak_gb():.2f} GB"
    )
    print(
        f"   maps with stock folium.GeoJson: {t_old[0]:.1f}s (CPU {t_old[1]:.1f}s); "
        f"CPU ratio {t_old[1] / t_maps[1]:.1f}x; files byte-identical: {same}"
    )
    for name, mb in sorted(sizes.items()):
        print(f"   {name:24s} {mb:6.2f} MB")
    for name, m in meta.items():
        if isinstance(m, dict) and m.get("aggregated"):
            print(f"   {name} aggregated: {', '.join(m['aggregated'])}")
        if isinstance(m, dict) and m.get("features"):
            big = sorted(m["features"].items(), key=lambda kv: -kv[1])[:6]
            print(f"   {name} largest layers: " + ", ".join(f"{k}: {v:,}" for k, v in big))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mosaic", default="7x4")
    ap.add_argument("--no-plan", action="store_true")
    ap.add_argument("--keep", help="write the mosaic maps to this folder instead of a temp one")
    args = ap.parse_args()
    pbf = SHARED / "liechtenstein-2021-10-28.osm.pbf"
    if not pbf.exists():
        sys.exit(f"needs {pbf}")
    base = load_city(pbf, progress=False)
    run(base, "Liechtenstein", not args.no_plan)
    if args.mosaic == "none":
        return
    nx_, ny = (int(v) for v in args.mosaic.split("x"))
    t0 = time.perf_counter()
    m = mosaic_city(base, nx_, ny)
    print(f"mosaic {nx_}x{ny} built in {time.perf_counter() - t0:.1f}s")
    run(m, f"mosaic {nx_}x{ny}", not args.no_plan, args.keep)


if __name__ == "__main__":
    main()
