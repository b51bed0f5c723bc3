"""Benchmark big cities (issue 15): per-step time and peak memory, A* router vs exact.

Cases: ``li`` (the Liechtenstein extract) and Liechtenstein mosaics ``3x1``, ``2x2``, ``3x3``
(:mod:`mosaic`). For each case it prints the drone step's time and the process's peak RSS
with the A* router (the default: one A* search per hub pair and weight, two threads), and

* ``--old``: the same step with today's exact router (``PLANNER_DRONE_ROUTER=exact``, one
  full-lattice Dijkstra per hub and risk weight) and the time ratio; refused by the memory
  guard when it would not fit (``PLANNER_MEMORY_BUDGET_GB``);
* always: the drone step's in-run certificate (``summary.json["drones"]["routing_certificate"]``:
  the proven bound on each corridor's gap to the full-resolution optimum, max and mean);
* ``--sample S``: the certificate checked in the same run: for the first ``S`` source hubs,
  the exact full-resolution optimum of each of their pairs at every candidate risk weight
  (one full-lattice sweep per source and weight), against the A* router's cost and its
  proven bound (a violation would be a bug); CPU times;
* ``--steps fiber,plan``: those steps too (their own APIs, default configs).

Run: ``PYTHONPATH=. python benchmarks/bench_city_scale.py --case li --old --sample 9``
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from planner import load_city  # noqa: E402
from planner.drones.airspace import flight_rules, restricted_airspace  # noqa: E402
from planner.drones.astar import SearchSpace, astar_routes  # noqa: E402
from planner.drones.corridors import drone_config, plan_corridors  # noqa: E402
from planner.drones.grid import city_grid, drone_step_bytes  # noqa: E402
from planner.drones.hubs import site_hubs  # noqa: E402
from planner.drones.lattice import lattice_lengths, reweight  # noqa: E402
from planner.drones.risk import ground_risk_model  # noqa: E402

PBF = Path("/work/shared/data/osm/liechtenstein-2021-10-28.osm.pbf")


def peak_gb() -> float:
    """Peak resident memory of this process so far (GB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def load(case: str):
    """The Liechtenstein city, or a mosaic of it (``NxM``)."""
    city = load_city(PBF, progress=False)
    if case != "li":
        from mosaic import mosaic_city

        a, b = (int(v) for v in case.split("x"))
        city = mosaic_city(city, a, b)
    return city


def timed_step(name: str, fn, rows: list) -> object:
    """Run ``fn``, append ``(name, wall seconds, peak GB)`` to ``rows`` and print it."""
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    rows.append((name, time.perf_counter() - t0, peak_gb()))
    cpu = time.process_time() - c0  # the fair figure on a shared, oversubscribed machine
    print(
        f"   {name:<22} {rows[-1][1]:8.1f} s wall {cpu:8.1f} s cpu   peak {rows[-1][2]:5.2f} GB",
        flush=True,
    )
    return out


def drones(city, method: str):
    """The drone step with the given free-mode router."""
    old = os.environ.get("PLANNER_DRONE_ROUTER")
    os.environ["PLANNER_DRONE_ROUTER"] = method
    try:
        return plan_corridors(city)
    finally:
        if old is None:
            del os.environ["PLANNER_DRONE_ROUTER"]
        else:
            os.environ["PLANNER_DRONE_ROUTER"] = old


def certificate(city, sources: int) -> None:
    """A* costs vs the exact full-lattice optimum for the pairs of the first sources."""
    from scipy import ndimage
    from scipy.sparse import csgraph

    cfg = drone_config(None)
    rules = flight_rules(cfg)
    space = restricted_airspace(city, cfg, rules, city_grid(city, cfg.resolution_m))
    people = ground_risk_model(city, cfg, people_per_household=city.people_per_household)
    nodes = site_hubs(city, cfg, space, people).routable["cell"].to_numpy(dtype=np.int64)
    res = people.grid.resolution
    g_len = lattice_lengths(people.grid.shape, space.blocked, res)
    labels = ndimage.label(~space.blocked)[0].ravel()
    print(f"   certificate: {len(nodes)} hubs, exact sweeps from the first {sources} hubs")
    print("   weight  pairs  measured_max  measured_mean  bound_violations  astar_s  exact_cpu_s")
    worst, bad = 0.0, 0
    ws = sorted({1e-6, *cfg.budget_weights})
    t0 = time.perf_counter()
    allw, cert = astar_routes(SearchSpace(people.risk, space.blocked, res), nodes, labels, ws)
    ta = (time.perf_counter() - t0) / len(ws)
    for w in ws:
        found = allw[w]
        t0 = time.process_time()
        src = nodes[: min(sources, len(nodes) - 1)]
        dist = csgraph.dijkstra(reweight(g_len, people.risk, w), indices=src)
        te = time.process_time() - t0
        pairs = [
            (i, j)
            for i in range(len(src))
            for j in range(i + 1, len(nodes))
            if np.isfinite(dist[i, nodes[j]]) and dist[i, nodes[j]] > 0
        ]
        meas = np.array([found.cost[i, j] / dist[i, nodes[j]] - 1 for i, j in pairs])
        # the certificate must hold: cost <= optimum x (1 + proven gap bound), >= optimum
        viol = sum(
            not (
                dist[i, nodes[j]] * (1 - 1e-12)
                <= found.cost[i, j]
                <= dist[i, nodes[j]] * (1 + cert.gaps[(w, i, j)]) * (1 + 1e-12)
            )
            for i, j in pairs
        )
        bad += viol
        worst = max(worst, float(meas.max(initial=0)))
        print(
            f"   {w:<7g} {len(pairs):5d}  {meas.max(initial=0):12.3g}  "
            f"{meas.mean() if len(meas) else 0:13.3g}  {viol:16d}  {ta:7.1f}  {te:11.1f}",
            flush=True,
        )
    print(f"   worst measured gap over the sample: {worst:.2e}; certificate violations: {bad}")


def certificate_table(summary: dict) -> None:
    """Print the drone step's in-run certificate (summary.json's ``routing_certificate``)."""
    cert = summary.get("routing_certificate")
    if not cert:
        print("   no routing certificate (streets mode)")
        return
    print(
        f"   routing certificate ({cert['router']}): {cert['proven_optimal']}/"
        f"{len(cert['corridors'])} corridors proven optimal, gap bound max "
        f"{cert['max_gap_bound']:.4%}, mean {cert['mean_gap_bound']:.4%}"
    )
    print("   from_hub -> to_hub                          risk_weight  gap_bound")
    for c in cert["corridors"]:
        pair = f"{c['from_hub']} -> {c['to_hub']}"
        print(f"   {pair[:44]:<44} {c['risk_weight']:11g}  {c['gap_bound']:9.4%}")


def compare_corridors(astar: pd.DataFrame, exact: pd.DataFrame) -> None:
    """Print the corridor costs of the two routers, pair by pair (matched by hub names).

    In budget mode each pair's risk weight is chosen among several, under one detour budget
    over the routed pairs: where the two routers picked the same weight the costs must agree
    within the A* bound. Another pick (its cost is then not comparable) means the routers
    gave the budget different inputs.
    """
    key = ["from_hub", "to_hub"]
    both = astar.merge(exact, on=key, suffixes=("_astar", "_exact"), how="outer", indicator=True)
    only = int((both["_merge"] != "both").sum())
    both = both[both["_merge"] == "both"]
    same = both["risk_weight_astar"] == both["risk_weight_exact"]
    ratio = (both["cost_astar"] / both["cost_exact"])[same].to_numpy()
    print(
        f"   corridors matched by hub pair: {len(both)} (in one router only: {only}); "
        f"same risk weight: {int(same.sum())}, cost A*/exact max {ratio.max():.12f}, "
        f"min {ratio.min():.12f}; another weight picked: {int((~same).sum())}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", default="li", help="li, 3x1, 2x2, 3x3")
    ap.add_argument("--old", action="store_true", help="also run today's exact router")
    ap.add_argument("--sample", type=int, default=0, help="source hubs to check exactly")
    ap.add_argument("--steps", default="", help="extra steps: fiber,plan")
    args = ap.parse_args()
    rows: list = []
    print(f"== case {args.case}")
    city = timed_step("load (+mosaic)", lambda: load(args.case), rows)
    _, shape = city_grid(city, 10.0)
    print(
        f"   lattice {shape[0]:,} x {shape[1]:,} = {shape[0] * shape[1] / 1e6:.1f} M cells; "
        f"estimated drone peak A* {drone_step_bytes(shape, 'astar') / 1e9:.1f} GB, "
        f"exact {drone_step_bytes(shape, 'exact') / 1e9:.1f} GB"
    )
    steps = [s for s in args.steps.split(",") if s]
    if "fiber" in steps or "plan" in steps:
        from planner import analyze_fiber, plan_fiber

        fiber = timed_step("fiber", lambda: analyze_fiber(city), rows)
        if "plan" in steps:
            timed_step("plan", lambda: plan_fiber(city, fiber), rows)
    res = timed_step("drones (A*)", lambda: drones(city, "astar"), rows)
    print(f"   {len(res.hubs)} hubs, {len(res.corridors)} corridors")
    certificate_table(res.summary)
    if args.old:
        new = rows[-1][1]
        try:
            old = timed_step("drones (exact, today)", lambda: drones(city, "exact"), rows)
        except Exception as exc:  # the memory guard's refusal
            print(f"   today's router not run: {exc}")
        else:
            print(f"   ratio today/A* {rows[-1][1] / new:.1f}x")
            compare_corridors(res.corridors, old.corridors)
    if args.sample:
        certificate(city, args.sample)


if __name__ == "__main__":
    main()
