"""Benchmark ``planner batch``: Liechtenstein's 11 municipalities on 1 and 2 Dask workers.

1. Split the shared Liechtenstein extract into its 11 admin_level 8 municipalities (osmium
   extract, complete ways); time it.
2. Sequential baseline: the same 11 cities one after another with ``run_city`` in one
   fresh process (wall time, CPU time, peak RSS). The process imports the same modules
   as a warmed-up worker before the clock starts (``planner.batch.warmup``).
3. Reference for the speed-up this machine allows: two such plain processes at once,
   each running half of the cities (longest-first split by extract size); wall time of
   the slower one.
4. The batch engine on a LocalCluster with 1 and with 2 single-threaded workers (each a
   fresh cluster, ``force=True``, no city cache): wall time of the tasks, wall time end to
   end (cluster start with the workers' warm-up, tasks, region scorecard/map/report),
   peak RSS, busy and idle seconds and CPU seconds per worker (the whole worker process
   and the task thread), CPU seconds of the client process (which, for a LocalCluster,
   also holds the scheduler and the nannies).
5. Speed-up = 1-worker time / 2-worker time (target >= 1.7 on 2 cores); engine overhead =
   1-worker time / sequential time - 1 (target < 10 %), in wall time and in CPU time
   (the CPU figures hold when other users load the machine; the wall figures do not).

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


def _cpu() -> float:
    """CPU seconds (user + system) of this process so far."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def sequential(extracts: Path, out: Path, steps: list[str] | None, names=None) -> dict:
    """Run the extracts with run_city in this process; return wall/CPU time and peak RSS."""
    from planner.batch.warmup import import_pipelines

    import_s = import_pipelines()  # what a worker's warm-up does, outside the clock too
    from planner.config import config_from_args
    from planner.run import run_city

    files = sorted(extracts.glob("*.osm.pbf"))
    if names is not None:
        files = [f for f in files if f.name.removesuffix(".osm.pbf") in names]
    t0, c0 = time.perf_counter(), _cpu()
    per_city, cpu, failed = {}, {}, []
    for f in files:
        t, c = time.perf_counter(), _cpu()
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
        cpu[name] = round(_cpu() - c, 2)
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "seconds": round(time.perf_counter() - t0, 2),
        "cpu_seconds": round(_cpu() - c0, 2),
        "import_seconds": round(import_s, 2),
        "failed": failed,
        "peak_rss_mb": ru.ru_maxrss // 1024,
        "minor_page_faults": ru.ru_minflt,
        "per_city": per_city,
        "per_city_cpu": cpu,
    }


def halves(extracts: Path) -> list[list[str]]:
    """Split the cities in two, longest-first by extract size (the engine's order)."""
    files = sorted(extracts.glob("*.osm.pbf"), key=lambda f: (-f.stat().st_size, f.name))
    parts: list[list[str]] = [[], []]
    load = [0, 0]
    for f in files:
        i = load.index(min(load))
        parts[i].append(f.name.removesuffix(".osm.pbf"))
        load[i] += f.stat().st_size
    return parts


def _per_worker(outcomes) -> dict:
    """Busy/idle seconds, CPU seconds and peak RSS per worker of one engine run."""
    rows: dict[str, dict] = {}
    for o in outcomes:
        if o.started is None:
            continue
        r = rows.setdefault(o.worker, {"cities": 0, "busy": 0.0, "cpu": 0.0, "task_cpu": 0.0})
        r["cities"] += 1
        r["busy"] += o.seconds or 0.0
        r["cpu"] += o.cpu_seconds or 0.0
        r["task_cpu"] += o.task_cpu_seconds or 0.0
        r["peak_rss_mb"] = max(r.get("peak_rss_mb", 0), (o.peak_rss or 0) // 2**20)
        r["first"] = min(r.get("first", o.started), o.started)
        r["last"] = max(r.get("last", 0.0), o.started + (o.seconds or 0.0))
    start = min((r["first"] for r in rows.values()), default=0.0)
    end = max((r["last"] for r in rows.values()), default=0.0)
    return {
        w: {
            "cities": r["cities"],
            "busy_seconds": round(r["busy"], 2),
            "idle_seconds": round(end - start - r["busy"], 2),  # within the tasks' span
            "cpu_seconds": round(r["cpu"], 2),
            "task_thread_cpu_seconds": round(r["task_cpu"], 2),
            "peak_rss_mb": r["peak_rss_mb"],
        }
        for w, r in sorted(rows.items())
    }


def engine(workers: int, out: Path, steps: list[str] | None) -> dict:
    """Run the batch on a fresh LocalCluster of ``workers`` workers."""
    from planner.batch import execute, plan_batch, write_region
    from planner.batch.cluster import connect

    t0 = time.perf_counter()
    plan = plan_batch(region=PBF, admin_level=8, out_root=out)  # split is cached by now
    with connect(None, len(plan.jobs), n_workers=workers, memory_limit=3_000_000_000) as client:
        t1, c1 = time.perf_counter(), _cpu()
        outcomes = execute(
            client, plan.jobs, out, steps, use_cache=False, force=True, retries=0, progress=False
        )
        t2, c2 = time.perf_counter(), _cpu()
    write_region(plan, outcomes, out)
    t3 = time.perf_counter()
    per_worker = _per_worker(outcomes)
    return {
        "workers": workers,
        "tasks_seconds": round(t2 - t1, 2),
        "cpu_seconds": round(sum(w["cpu_seconds"] for w in per_worker.values()), 2),
        "client_process_cpu_seconds": round(c2 - c1, 2),
        "cluster_start_seconds": round(t1 - t0, 2),
        "region_outputs_seconds": round(t3 - t2, 2),
        "end_to_end_seconds": round(t3 - t0, 2),
        "failed": [o.city for o in outcomes if o.status == "failed"],
        "peak_rss_mb_per_worker": sorted(w["peak_rss_mb"] for w in per_worker.values()),
        "per_worker": per_worker,
        "per_city": {o.city: o.seconds for o in outcomes},
        "per_city_cpu": {o.city: o.cpu_seconds for o in outcomes},
    }


def two_processes(out: Path, steps: list[str] | None) -> dict:
    """Run the two halves of the cities in two plain processes at once."""
    t0 = time.perf_counter()
    procs = [
        _spawn(["--child", "half", "--half", str(i), "--out", str(out)], steps) for i in (0, 1)
    ]
    res = [_result(p, "half") for p in procs]
    return {
        "seconds": round(time.perf_counter() - t0, 2),
        "cpu_seconds": round(sum(r["cpu_seconds"] for r in res), 2),
        "per_process_seconds": [r["seconds"] for r in res],
        "failed": [f for r in res for f in r["failed"]],
    }


def _spawn(args: list[str], steps: list[str] | None) -> subprocess.Popen:
    cmd = [sys.executable, __file__, *args]
    if steps:
        cmd += ["--steps", ",".join(steps)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _result(proc: subprocess.Popen, mode: str) -> dict:
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"{mode}: {stderr.strip().splitlines()[-1:]}")
    return json.loads(stdout.strip().splitlines()[-1])


def _child(mode: str, out: Path, steps: list[str] | None) -> dict:
    return _result(_spawn(["--child", mode, "--out", str(out)], steps), mode)


def _run_child(mode: str, out: Path, steps: list[str] | None, half: int | None) -> dict:
    extracts = out / "_batch" / "extracts"
    if mode == "seq":
        return sequential(extracts, out / "seq", steps)
    if mode == "half":
        return sequential(extracts, out / f"half{half}", steps, halves(extracts)[half])
    return engine(int(mode), out / f"w{mode}", steps)


def _pct(value: float, base: float) -> float:
    return round(100 * (value / base - 1), 1)


def main() -> None:
    """Run the benchmark and print one JSON document."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", help="comma-separated steps (default: all)")
    ap.add_argument("--out", help="work folder (default: a temporary one)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--half", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    steps = args.steps.split(",") if args.steps else None
    if args.child:
        print(json.dumps(_run_child(args.child, Path(args.out), steps, args.half)))
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
    par = two_processes(out, steps)
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
        "two_plain_processes": par,
        "engine_1_worker": one,
        "engine_2_workers": two,
        "speed_up_2_vs_1": round(one["tasks_seconds"] / two["tasks_seconds"], 2),
        "speed_up_2_vs_sequential": round(seq["seconds"] / two["tasks_seconds"], 2),
        "speed_up_two_plain_processes_vs_sequential": round(seq["seconds"] / par["seconds"], 2),
        "overhead_1_worker_vs_sequential_pct": _pct(one["tasks_seconds"], seq["seconds"]),
        "overhead_end_to_end_pct": _pct(one["end_to_end_seconds"], seq["seconds"]),
        "cpu_overhead_1_worker_vs_sequential_pct": _pct(one["cpu_seconds"], seq["cpu_seconds"]),
        "cpu_overhead_2_workers_vs_sequential_pct": _pct(two["cpu_seconds"], seq["cpu_seconds"]),
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
