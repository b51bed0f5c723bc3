"""Benchmark ``planner batch``: Liechtenstein's 11 municipalities on 1 and 2 Dask workers.

1. Split the shared Liechtenstein extract into its 11 admin_level 8 municipalities (osmium
   extract, complete ways); time it.
2. Sequential baseline: the same 11 cities one after another with ``run_city`` in one
   fresh process (wall time, peak RSS).
3. The batch engine on a LocalCluster with 1 and with 2 single-threaded workers (each a
   fresh cluster, ``force=True``, no city cache): wall time of the tasks, wall time end to
   end (cluster start, tasks, region scorecard/map/report), peak RSS per worker.
4. Speed-up = 1-worker time / 2-worker time (target >= 1.7 on 2 cores); engine overhead =
   1-worker time / sequential time - 1 (target < 10 %).

Run: ``python benchmarks/bench_batch.py [--steps layers,fiber,plan] [--out DIR]``
(default: every step). Skipped when ../shared is absent.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "osm"
PBF = SHARED / "liechtenstein-2021-10-28.osm.pbf"


def sequential(extracts: Path, out: Path, steps: list[str] | None) -> dict:
    """Run every extract with run_city in this process; return wall time and peak RSS."""
    from planner.config import config_from_args
    from planner.run import run_city

    files = sorted(extracts.glob("*.osm.pbf"))
    t0 = time.perf_counter()
    per_city, failed = {}, []
    for f in files:
        t = time.perf_counter()
        name = f.name.removesuffix(".osm.pbf")
        try:  # as the engine does: a failing city is reported, the others go on
            run_city(
                config_from_args(name=name, pbf=f),
                out,
                use_cache=False,
                progress=False,
                steps=steps,
            )
        except Exception as exc:  # noqa: BLE001 - PlannerError or a bug in a step
            failed.append(f"{name}: {type(exc).__name__}: {exc}"[:200])
        per_city[name] = round(time.perf_counter() - t, 2)
    return {
        "seconds": round(time.perf_counter() - t0, 2),
        "failed": failed,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "per_city": per_city,
    }


def engine(workers: int, out: Path, steps: list[str] | None) -> dict:
    """Run the batch on a fresh LocalCluster of ``workers`` workers."""
    from planner.batch import execute, plan_batch, write_region
    from planner.batch.cluster import connect

    t0 = time.perf_counter()
    plan = plan_batch(region=PBF, admin_level=8, out_root=out)  # split is cached by now
    with connect(None, len(plan.jobs), n_workers=workers, memory_limit=3_000_000_000) as client:
        t1 = time.perf_counter()
        outcomes = execute(
            client, plan.jobs, out, steps, use_cache=False, force=True, retries=0, progress=False
        )
        t2 = time.perf_counter()
    write_region(plan, outcomes, out)
    t3 = time.perf_counter()
    peak: dict[str, int] = {}
    for o in outcomes:
        peak[o.worker] = max(peak.get(o.worker, 0), o.peak_rss or 0)
    return {
        "workers": workers,
        "tasks_seconds": round(t2 - t1, 2),
        "cluster_start_seconds": round(t1 - t0, 2),
        "region_outputs_seconds": round(t3 - t2, 2),
        "end_to_end_seconds": round(t3 - t0, 2),
        "failed": [o.city for o in outcomes if o.status == "failed"],
        "peak_rss_mb_per_worker": sorted(v // 2**20 for v in peak.values()),
        "per_city": {o.city: o.seconds for o in outcomes},
    }


def _child(mode: str, out: Path, steps: list[str] | None) -> dict:
    cmd = [sys.executable, __file__, "--child", mode, "--out", str(out)]
    if steps:
        cmd += ["--steps", ",".join(steps)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{mode}: {proc.stderr.strip().splitlines()[-1:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    """Run the benchmark and print one JSON document."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", help="comma-separated steps (default: all)")
    ap.add_argument("--out", help="work folder (default: a temporary one)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    steps = args.steps.split(",") if args.steps else None
    if args.child:
        out = Path(args.out)
        if args.child == "seq":
            res = sequential(out / "_batch" / "extracts", out / "seq", steps)
        else:
            res = engine(int(args.child), out / f"w{args.child}", steps)
        print(json.dumps(res))
        return
    if not PBF.is_file():
        print(f"skipped: {PBF} not present")
        return
    out = Path(args.out or tempfile.mkdtemp(prefix="bench-batch-"))
    load0 = [round(x, 2) for x in os.getloadavg()]  # other users of the machine
    from planner.batch import find_boundaries, split_region

    t = time.perf_counter()
    found = find_boundaries(PBF, 8)
    split_region(PBF, found.cities, out / "_batch" / "extracts")
    split_s = round(time.perf_counter() - t, 2)
    for d in ("w1", "w2"):  # the engine runs reuse the split through its manifest
        (out / d / "_batch").mkdir(parents=True, exist_ok=True)
        link = out / d / "_batch" / "extracts"
        if not link.exists():
            os.symlink(out / "_batch" / "extracts", link)
    seq = _child("seq", out, steps)
    one = _child("1", out, steps)
    two = _child("2", out, steps)
    report = {
        "cities": len(found.cities),
        "steps": steps or "all",
        "cpu_count": os.cpu_count(),
        "load_average_at_start": load0,
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "split_seconds": split_s,
        "sequential": seq,
        "engine_1_worker": one,
        "engine_2_workers": two,
        "speed_up_2_vs_1": round(one["tasks_seconds"] / two["tasks_seconds"], 2),
        "speed_up_2_vs_sequential": round(seq["seconds"] / two["tasks_seconds"], 2),
        "overhead_1_worker_vs_sequential_pct": round(
            100 * (one["tasks_seconds"] / seq["seconds"] - 1), 1
        ),
        "overhead_end_to_end_pct": round(100 * (one["end_to_end_seconds"] / seq["seconds"] - 1), 1),
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
