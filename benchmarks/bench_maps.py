"""Benchmark map export size and time: Liechtenstein and a >= 1M-premise mosaic of it.

Run: ``PYTHONPATH=. python benchmarks/bench_maps.py [--mosaic 7x4] [--no-plan]``.
Targets (issue 6): a Liechtenstein-size map < 10 MB, a 1M-premise mosaic map < 30 MB.
The mosaic map carries the city layers, the fibre coverage (synthetic point assets on the
real streets, as in ``bench_fiber.py``) and, unless ``--no-plan``, the fibre build plan;
drone corridors are left out (a 28-town lattice is not a drone use case).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_fiber import CFG, peak_gb, synthetic_assets  # noqa: E402
from mosaic import mosaic_city  # noqa: E402

from planner.city import load_city  # noqa: E402
from planner.fiber import analyze_fiber  # noqa: E402
from planner.plan import plan_fiber  # noqa: E402
from planner.render.maps import write_maps  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "osm"


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
    with tempfile.TemporaryDirectory() as tmp:
        tmp = keep or tmp
        t0 = time.perf_counter()
        write_maps(tmp, city, cov, plan)
        t_maps = time.perf_counter() - t0
        meta = json.loads((Path(tmp) / "maps.json").read_text())
        sizes = {p.name: p.stat().st_size / 1e6 for p in Path(tmp).glob("*.html")}
    print(
        f"{label}: {cov.kpis['premises_total']:,} premises, {len(city.buildings):,} buildings; "
        f"fiber {t_fiber:.1f}s, plan {t_plan:.1f}s, maps {t_maps:.1f}s, peak RSS {peak_gb():.2f} GB"
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
    nx_, ny = (int(v) for v in args.mosaic.split("x"))
    t0 = time.perf_counter()
    m = mosaic_city(base, nx_, ny)
    print(f"mosaic {nx_}x{ny} built in {time.perf_counter() - t0:.1f}s")
    run(m, f"mosaic {nx_}x{ny}", not args.no_plan, args.keep)


if __name__ == "__main__":
    main()
