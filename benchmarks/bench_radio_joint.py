"""Benchmark the radio and joint steps of ``planner run`` on Liechtenstein (issue 15).

The inputs of the two steps (the cached city, the fibre coverage and plan, the drone
corridors) are built once with this tree and pickled; then each code tree given runs, in a
fresh subprocess, ``analyze_radio`` (as the run's radio step) and ``plan_joint`` (as the
run's joint step) on them, several times, and reports wall and CPU seconds per step and the
joint plan's own sub-step timings. The joint step's ``reroute`` sub-step is mostly
``planner.drones.reroute_corridors`` (the drone router) and is printed apart.

With ``--base DIR`` (a checkout of the previous code, e.g. ``git worktree add /tmp/base
ffbf5c6``) both trees run in the same session, alternating, and the script prints the
speed ratio and whether the two trees' results are identical (radio grids, the joint
plan's coverage matrix and powers, its chosen sites, the re-checked grids and both
summaries apart from times).

Run: ``PYTHONPATH=. nice -n 10 python benchmarks/bench_radio_joint.py --base /tmp/base
[--repeat 2]``
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PBF = ROOT.parent / "shared" / "data" / "osm" / "liechtenstein-2021-10-28.osm.pbf"
GRIDS = ("rsrp_dbm", "sinr_db", "serving_site", "serving_sector", "covered")


def build_inputs(path: Path) -> None:
    """Run load, layers, fiber, plan and drones once; pickle what the two steps take."""
    import planner.run as run
    from planner.config import config_from_args

    config = config_from_args(pbf=str(PBF), name="li")
    with tempfile.TemporaryDirectory() as tmp:
        res = run.run_city(config, tmp, progress=False, steps=["layers", "fiber", "plan", "drones"])
    r = res.results
    data = {"config": config, "city": res.city, "fiber": r.fiber, "plan": r.plan}
    data["drones"] = r.drones
    path.write_bytes(pickle.dumps(data, protocol=5))


def _strip(obj):
    """Drop times and temporary paths from a summary (what may differ between runs)."""
    if isinstance(obj, dict):
        return {
            k: _strip(v)
            for k, v in obj.items()
            if not (k.endswith("seconds") or k.endswith("_s") or k == "site_files")
        }
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


def child(inputs: Path, out: Path) -> None:
    """Time the radio and joint steps on the pickled inputs; write figures and results."""
    from planner.joint import plan_joint
    from planner.radio import analyze_radio

    d = pickle.loads(inputs.read_bytes())
    cfg, city, band = d["config"], d["city"], d["config"].drones.band
    rows = {}

    def measure(name, fn):
        t, c = time.perf_counter(), time.process_time()
        value = fn()
        rows[name] = {"wall": time.perf_counter() - t, "cpu": time.process_time() - c}
        return value

    radio = measure(
        "radio",
        lambda: analyze_radio(
            city, cfg.radio, corridors=d["drones"].corridors, band=(band.min_m, band.max_m)
        ),
    )
    with tempfile.TemporaryDirectory() as tmp:
        joint = measure(
            "joint",
            lambda: plan_joint(
                city, d["fiber"], d["plan"], d["drones"], radio=radio, config=cfg.joint,
                drones=cfg.drones, radio_config=cfg.radio, work_dir=tmp,
            ),
        )  # fmt: skip
    m = joint.model
    result = {
        "radio": {k: getattr(radio, k) for k in GRIDS},
        "after": {k: getattr(joint.radio_after, k) for k in GRIDS},
        "matrix": [(x.indptr, x.indices) for x in m.matrix],
        "powers": [(p.best, p.total) for p in (*m.base, *m.cand)],
        "chosen": list(joint.selection.chosen),
        "summaries": _strip(json.loads(json.dumps([radio.summary, joint.summary], default=str))),
    }
    rows["joint_parts"] = {"wall": joint.timings, "cpu": joint.cpu_timings}
    rows["loadavg"] = os.getloadavg()
    out.write_bytes(pickle.dumps({"rows": rows, "result": result}, protocol=5))


def run_tree(tree: Path, inputs: Path) -> dict:
    """Run :func:`child` with ``tree`` first on the import path; return its output."""
    with tempfile.NamedTemporaryFile(suffix=".pkl", delete=False) as f:
        out = Path(f.name)
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONHASHSEED": "0"}
    script = [sys.executable, __file__, "--child", str(inputs), str(out)]
    subprocess.run(script, env=env, check=True, cwd=tree)
    data = pickle.loads(out.read_bytes())
    out.unlink()
    return data


def same(a, b) -> bool:
    """Exact equality of nested results (arrays bit for bit, NaN equal to NaN)."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    return a == b


def report(runs: dict[str, list[dict]]) -> None:
    """Print the best (lowest CPU) figures per tree and step, and the ratio to the base."""

    def best(tree, step):
        return min((r["rows"][step] for r in runs[tree]), key=lambda v: v["cpu"])

    print("| tree | step | wall s | CPU s | load avg (1 min) |")
    print("|---|---|---:|---:|---:|")
    for tree, rs in runs.items():
        loads = ", ".join(f"{r['rows']['loadavg'][0]:.1f}" for r in rs)
        for step in ("radio", "joint"):
            b = best(tree, step)
            print(f"| {tree} | {step} | {b['wall']:.1f} | {b['cpu']:.1f} | {loads} |")
    for tree, rs in runs.items():
        r = min(rs, key=lambda v: v["rows"]["joint"]["cpu"])["rows"]["joint_parts"]
        parts = ", ".join(f"{k} {v:.1f}/{r['cpu'][k]:.1f}" for k, v in r["wall"].items())
        print(f"{tree} joint sub-steps (wall/CPU s): {parts}")
        print(f"{tree} joint without reroute (drone router, not radio/joint code): CPU "
              f"{best(tree, 'joint')['cpu'] - r['cpu']['reroute']:.1f} s")  # fmt: skip
    if "base" in runs:
        for step in ("radio", "joint"):
            ratio = best("base", step)["cpu"] / max(best("this", step)["cpu"], 1e-9)
            print(f"{step}: CPU ratio base / this = {ratio:.2f}")
        ident = all(same(runs["base"][0]["result"], r["result"]) for r in runs["this"])
        print("results identical to the base tree:", ident)


def main() -> None:
    """Build the inputs once, run each tree ``--repeat`` times (alternating), print."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", type=Path, help="checkout of the previous code to compare")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--inputs", type=Path, help="reuse a pickle written by a previous run")
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    if not PBF.exists():
        sys.exit(f"skipped: {PBF} not found")
    inputs = args.inputs or Path(tempfile.gettempdir()) / "bench_radio_joint_inputs.pkl"
    if args.inputs is None or not inputs.exists():
        build_inputs(inputs)
    trees = {"this": ROOT, **({"base": args.base.resolve()} if args.base else {})}
    runs: dict[str, list[dict]] = {name: [] for name in trees}
    for _ in range(args.repeat):
        for name, tree in trees.items():
            runs[name].append(run_tree(tree, inputs))
    report(runs)


if __name__ == "__main__":
    main()
