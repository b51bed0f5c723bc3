"""Whole-run benchmark (issue 15): per-step wall/CPU time and peak RSS of ``planner run``.

Cases: ``li`` (the Liechtenstein extract, loaded cold with no cache) and Liechtenstein
mosaics ``NxM`` (:mod:`mosaic`; the load row is then the cached Liechtenstein load plus the
mosaic build). Each case runs all default steps through :func:`planner.run.run_city` in a
fresh subprocess (its own peak RSS), optionally under a lock (``--lock /work/bigmem.lock``)
for the mosaics. Results are appended to a JSON file, so cases can be run apart; the tables
are printed from everything in it:

* per case and step: wall s, CPU s (this process, all threads), RSS high-water after the step;
* growth: for each step, the CPU time ratio between consecutive cases against the ratio of
  ``n log n`` for n = premises and n = bounding-box area in 10 m lattice cells (> 1 = growing
  faster); the load is left out (cold for ``li``, cached load + tiling for a mosaic);
* the issue's targets, met or missed.

``--repeat K`` runs the cases K times, interleaved (li, 2x2, 3x3, li, ...); the tables then
take each step's least time over the repeats (the ``timeit`` convention: the least is the
run least disturbed by the rest of the machine) and the growth table shows each step's CPU
spread (largest over least). A repeat is saved as ``<case>#<k>``.

Run: ``PYTHONPATH=. nice -n 10 python benchmarks/bench_city_run.py --cases li,2x2``, then
``flock /work/bigmem.lock nice -n 10 python benchmarks/bench_city_run.py --cases 3x3``.
``--steps layers,fiber,plan,maps`` runs a subset (7x4); ``--profile PATH`` writes each case's
cProfile stats to ``PATH.<case>`` (times then include the profiler's overhead); ``--out DIR``
keeps each case's output folder (map sizes are in the JSON either way, ``files``);
``--in-order`` also runs each case with every step in turn (none beside another, the run
before :data:`planner.run.BESIDE`) and prints the two totals and their ratio. With the plan
beside the drone and radio steps, the plan's and its companions' rows overlap in time (and
their CPU columns count each other's threads); the total row is the whole run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PBF = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "osm"
    / ("liechtenstein-2021-10-28.osm.pbf")
)
RESULTS = Path(tempfile.gettempdir()) / "bench_city_run.json"
ORDER = ["load", "layers", "fiber", "plan", "drones", "radio", "joint", "maps", "report"]


def rss_gb() -> float:
    """Peak resident memory of this process so far (GB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def box_km2(bounds: tuple) -> float:
    """Bounding-box area in km² (a mosaic's boundary is its box; the lattice covers the box)."""
    x0, y0, x1, y1 = bounds
    return (x1 - x0) * (y1 - y0) / 1e6


def child(
    case: str, steps: list[str] | None, keep: str | None = None, in_order: bool = False
) -> dict:
    """Run one case in this process and return its measurements.

    ``in_order``: every step in turn, none beside another (the run before ``run.BESIDE``).
    """
    import planner.run as run

    if in_order:
        run.BESIDE = {}
    from planner.city import load_city
    from planner.config import config_from_args

    rows: dict[str, dict] = {}
    load0 = os.getloadavg()

    def measure(name, fn, *args, **kwargs):
        t, c = time.perf_counter(), time.process_time()
        out = fn(*args, **kwargs)
        rows[name] = {
            "wall": time.perf_counter() - t,
            "cpu": time.process_time() - c,
            "rss_gb": rss_gb(),
        }
        return out

    def load_case(config, use_cache=True, progress=True):
        if case == "li":
            return load_city(PBF, use_cache=False, progress=progress)
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from mosaic import mosaic_city

        a, b = (int(v) for v in case.split("x"))
        return mosaic_city(load_city(PBF, progress=progress), a, b)

    run.load_city_from_config = lambda *a, **k: measure("load", load_case, *a, **k)
    for name, fn in list(run.STEPS.items()):
        run.STEPS[name] = lambda ctx, name=name, fn=fn: measure(name, fn, ctx)
    config = config_from_args(pbf=str(PBF), name=f"li-{case}")
    t0, c0 = time.perf_counter(), time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(keep) / case if keep else tmp
        result = run.run_city(config, out, use_cache=True, progress=False, steps=steps)
        files = {
            str(p.relative_to(out)): p.stat().st_size for p in Path(out).rglob("*") if p.is_file()
        }
    city = result.city
    return {
        "case": case,
        "steps": rows,
        "total_wall": time.perf_counter() - t0,
        "total_cpu": time.process_time() - c0,
        "in_order": in_order,
        "peak_gb": rss_gb(),
        "premises": int(city.buildings["premises"].sum()),
        "area_km2": box_km2(city.boundary.bounds),
        "status": {k: v.status for k, v in result.steps.items()},
        "loadavg": [load0, os.getloadavg()],
        "subset": steps,
        "files": files,
    }


def best_of(runs: list[dict]) -> dict:
    """One row from repeated runs of a case: per step the least wall and CPU time.

    The least of repeated timings is the estimate least disturbed by the rest of the machine
    (the ``timeit`` convention); ``spread`` is each step's largest CPU time over its least.
    """
    if len(runs) == 1:
        return runs[0]
    steps = {}
    for step in runs[0]["steps"]:
        rows = [r["steps"][step] for r in runs if step in r["steps"]]
        cpu = [x["cpu"] for x in rows]
        steps[step] = {
            "wall": min(x["wall"] for x in rows),
            "cpu": min(cpu),
            "rss_gb": max(x["rss_gb"] for x in rows),
            "spread": max(cpu) / min(cpu) if min(cpu) > 0 else 1.0,
        }
    return {
        **runs[0],
        "steps": steps,
        "total_wall": min(r["total_wall"] for r in runs),
        "total_cpu": min(r.get("total_cpu", 0.0) for r in runs),
        "peak_gb": max(r["peak_gb"] for r in runs),
        "repeats": len(runs),
        "loadavg": [x for r in runs for x in r["loadavg"]],
    }


def combined(results: list[dict]) -> list[dict]:
    """The runs grouped by case, subset and order, each group as :func:`best_of`."""
    groups: dict[tuple, list[dict]] = {}
    for r in results:
        key = (r["case"], tuple(r["subset"] or ()), bool(r.get("in_order")))
        groups.setdefault(key, []).append(r)
    return [best_of(g) for g in groups.values()]


def growth_rows(results: list[dict]) -> list[str]:
    """Markdown rows: per step and consecutive pair, time ratio over the n log n ratios."""

    def nlogn(n: float) -> float:
        return n * math.log(n)

    out = []
    for a, b in zip(results[:-1], results[1:], strict=True):
        rp = nlogn(b["premises"]) / nlogn(a["premises"])
        cells = [r["area_km2"] * 1e4 for r in (a, b)]
        ra = nlogn(cells[1]) / nlogn(cells[0])
        for step in ORDER[1:]:  # the load is cold for li, cached + tiling for a mosaic
            if step in a["steps"] and step in b["steps"]:
                ta, tb = a["steps"][step]["cpu"], b["steps"][step]["cpu"]
                r = tb / ta if ta > 0 else float("inf")
                over = [n for n, q in (("premises", rp), ("area", ra)) if r > q]
                flag = f"**faster than n log n in {' and '.join(over)}**" if over else "ok"
                spread = max(x["steps"][step].get("spread", 1.0) for x in (a, b))
                out.append(
                    f"| {a['case']} -> {b['case']} | {step} | {ta:.1f} -> {tb:.1f} | {r:.2f} "
                    f"| {rp:.2f} | {ra:.2f} | {r / rp:.2f} | {r / ra:.2f} | {spread:.2f} "
                    f"| {flag} |"
                )
    return out


def targets(results: dict[str, dict]) -> list[str]:
    """The issue's targets that these cases can check, met or missed."""
    out = []

    def row(name, value, limit, unit):
        ok = "met" if value <= limit else "**missed**"
        out.append(f"| {name} | {value:.1f} {unit} | <= {limit:g} {unit} | {ok} |")

    if "li" in results and not results["li"]["subset"]:
        row("Liechtenstein planner run, total wall", results["li"]["total_wall"], 30, "s")
    if "3x3" in results and not results["3x3"]["subset"]:
        row("3x3 mosaic, all steps, total wall", results["3x3"]["total_wall"], 300, "s")
        row("3x3 mosaic, peak RSS", results["3x3"]["peak_gb"], 8, "GB")
    if "7x4" in results:
        r = results["7x4"]
        for kind in ("wall", "cpu"):  # CPU: the fair figure on a shared machine
            t = sum(r["steps"].get(s, {}).get(kind, 0.0) for s in ("fiber", "plan", "maps"))
            row(f"7x4 mosaic, fiber + plan + maps {kind}", t, 180, "s")
        row("7x4 mosaic, peak RSS", r["peak_gb"], 8, "GB")
    return out


def print_tables(results: list[dict]) -> None:
    """Print the per-step, growth and target tables (repeated runs as :func:`best_of`)."""
    results = combined(results)
    print("| case | premises | km² | step | wall s | CPU s | RSS after GB |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        if r.get("in_order"):
            r = {**r, "case": f"{r['case']} (in order)"}
        for step in ORDER:
            if step in r["steps"]:
                s = r["steps"][step]
                print(
                    f"| {r['case']} | {r['premises']:,} | {r['area_km2']:,.0f} | {step} "
                    f"| {s['wall']:.1f} | {s['cpu']:.1f} | {s['rss_gb']:.2f} |"
                )
        la = ", ".join(f"{x[0]:.1f}" for x in r["loadavg"])
        print(
            f"| {r['case']} | | | **total** | {r['total_wall']:.1f} "
            f"| {r.get('total_cpu', 0.0):.1f} | peak {r['peak_gb']:.2f} "
            f"(best of {r.get('repeats', 1)}; load avg {la}) |"
        )
    print()
    print(
        "| cases | step | CPU s | time ratio | n log n ratio (premises) | (area cells) "
        "| ratio / premises | ratio / area | CPU spread over repeats | verdict |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for subset in sorted({tuple(r["subset"] or ()) for r in results}):
        for in_order in (False, True):
            same = [
                r
                for r in results
                if tuple(r["subset"] or ()) == subset and bool(r.get("in_order")) == in_order
            ]
            label = (",".join(subset) or "all steps") + (" in order" if in_order else "")
            for line in growth_rows(same):
                print(line.replace("| ", f"| {label}: ", 1))
    rows = order_rows(results)
    if rows:
        print()
        print(
            "| case | in order, wall s | plan beside drones + radio, wall s | ratio "
            "| in order, CPU s | beside, CPU s |"
        )
        print("|---|---|---|---|---|---|")
        print("\n".join(rows))
    print()
    print("| target | measured | limit | |")
    print("|---|---|---|---|")
    for line in targets({r["case"]: r for r in combined(results) if not r.get("in_order")}):
        print(line)


def run_case(args, case: str, steps: list[str] | None, in_order: bool) -> dict | None:
    """Run one case in a fresh subprocess; return its row (None when it failed)."""
    cmd = [sys.executable, __file__, "--child", case]
    cmd += ["--steps", args.steps] if args.steps else []
    cmd += ["--profile", args.profile] if args.profile else []
    cmd += ["--out", args.out] if args.out else []
    cmd += ["--in-order"] if in_order else []
    if args.lock and case != "li":
        cmd = ["flock", args.lock, *cmd]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        print(f"{case}: failed: {out.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def order_rows(results: list[dict]) -> list[str]:
    """Markdown rows: each case's total wall with the steps in turn and with ``BESIDE``."""
    out = []
    by = {(r["case"], tuple(r["subset"] or ()), bool(r.get("in_order"))): r for r in results}
    for (case, subset, in_order), a in by.items():
        b = by.get((case, subset, False))
        if in_order and b is not None:
            out.append(
                f"| {case} | {a['total_wall']:.1f} | {b['total_wall']:.1f} "
                f"| {a['total_wall'] / b['total_wall']:.2f} | {a.get('total_cpu', 0):.1f} "
                f"| {b.get('total_cpu', 0):.1f} |"
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", default="li,2x2", help="comma-separated: li, 2x2, 3x3 ...")
    parser.add_argument("--steps", default=None, help="comma-separated subset (e.g. for 7x4)")
    parser.add_argument("--lock", default=None, help="run the mosaic cases under flock PATH")
    parser.add_argument("--results", default=str(RESULTS), help="JSON file of all cases")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--table-only", action="store_true")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run the cases this many times, interleaved; the tables take each step's least",
    )
    parser.add_argument("--out", default=None, help="keep each case's outputs in PATH/<case>")
    parser.add_argument("--profile", default=None, help="write cProfile stats to PATH.<case>")
    parser.add_argument(
        "--in-order",
        action="store_true",
        help="also run each case with every step in turn (none beside another) and print the ratio",
    )
    args = parser.parse_args()
    steps = args.steps.split(",") if args.steps else None
    if args.child:
        if args.profile:
            import cProfile

            prof = cProfile.Profile()
            row = prof.runcall(child, args.child, steps, args.out, args.in_order)
            prof.dump_stats(f"{args.profile}.{args.child}")
        else:
            row = child(args.child, steps, args.out, args.in_order)
        print(json.dumps(row))
        return
    path = Path(args.results)
    saved = json.loads(path.read_text()) if path.is_file() else {}
    if not args.table_only:
        if not PBF.is_file():
            sys.exit(f"{PBF} not found: the shared extracts are needed")
        for rep in range(args.repeat):
            for case in args.cases.split(","):
                for in_order in (True, False) if args.in_order else (False,):
                    row = run_case(args, case, steps, in_order)
                    if row is not None:
                        key = case if not steps else f"{case}:{args.steps}"
                        key += (":in-order" if in_order else "") + (f"#{rep}" if rep else "")
                        saved[key] = row
                        path.write_text(json.dumps(saved, indent=1))
    order = sorted(saved.values(), key=lambda r: (r["subset"] is not None, r["area_km2"]))
    print_tables(order)


if __name__ == "__main__":
    main()
