"""Benchmark the joint fibre + 5G site plan (issue 12) against two baselines.

Liechtenstein with its automatic hubs (skipped when ../shared is absent): plan to >= 90 %
corridor coverage including the radio model; the joint plan's cost against (1) sites placed
without regard to corridors (population-only greedy, extended until the same corridor
coverage) and (2) backhaul routed separately from the fibre-to-homes network.

Run: ``python benchmarks/bench_joint.py [--sample] [--no-osm-sites] [--air-range M]``
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

from planner.city import load_city
from planner.config.drones import DroneConfig
from planner.config.plan import PlanConfig
from planner.config.radio import RadioConfig
from planner.drones import plan_corridors
from planner.fiber import analyze_fiber
from planner.joint import plan_joint
from planner.joint.baselines import population_only_baseline
from planner.plan import plan_fiber
from planner.radio import analyze_radio

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "osm"
LI = SHARED / "liechtenstein-2021-10-28.osm.pbf"


def log(msg: str) -> None:
    """Progress line on stderr."""
    print(time.strftime("%H:%M:%S"), msg, file=sys.stderr, flush=True)


def run_case(name: str, city, use_osm_sites: bool, air_range: float | None = None) -> dict:
    """Time one city end to end and compare with the baselines."""
    t0 = time.perf_counter()
    cov = analyze_fiber(city)
    log(f"fibre {time.perf_counter() - t0:.1f} s")
    plan = plan_fiber(city, cov, PlanConfig(optimality_bound=False))
    log(f"plan {time.perf_counter() - t0:.1f} s")
    dc = DroneConfig()
    corr = plan_corridors(city, dc)
    t_prep = time.perf_counter() - t0
    log(f"corridors {t_prep:.1f} s")
    t1 = time.perf_counter()
    extra = {"max_range_air_m": air_range} if air_range else {}
    rcfg = RadioConfig(use_osm_sites=use_osm_sites, **extra)
    radio = analyze_radio(city, rcfg, corridors=corr.corridors, band=(dc.band.min_m, dc.band.max_m))
    res = plan_joint(city, cov, plan, corr, radio=radio, drones=dc)
    t_joint = time.perf_counter() - t1
    log(f"joint {t_joint:.1f} s: {res.timings}")
    base = population_only_baseline(city, res)
    s = res.summary
    joint_sites = float(res.sites["total_cost"].sum())
    r = res.routing
    out = {
        "city": name,
        "prep_s (fibre, plan, corridors)": round(t_prep, 1),
        "joint_s (incl. radio model)": round(t_joint, 1),
        "steps_s": res.timings,
        "candidates": s["candidates"],
        "sites": s["sites"],
        "coverage": s["coverage"],
        "certificate": s["certificate"],
        "joint_sites_eur": round(joint_sites, 2),
        "population_only": base.__dict__,
        "joint_trench_eur": round(r.joint_cost, 2),
        "separate_trench_eur": round(r.separate_cost, 2),
        "cost_to_meet_both": s["cost_to_meet_both"],
        "corridors": s.get("corridors"),
        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, 2),
    }
    print(json.dumps(out, indent=1, default=str), flush=True)
    return out


def main() -> None:
    """Run the benchmark cases."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--sample", action="store_true", help="Helsinki sample only")
    ap.add_argument("--no-osm-sites", action="store_true", help="start from no existing sites")
    ap.add_argument("--air-range", type=float, default=None, help="max_range_air_m (m)")
    args = ap.parse_args()
    if args.sample or not LI.exists():
        run_case("helsinki", load_city(progress=False), not args.no_osm_sites, args.air_range)
        return
    run_case("liechtenstein", load_city(LI, progress=False), not args.no_osm_sites)


if __name__ == "__main__":
    main()
