"""Benchmark the joint fibre + 5G site plan (issue 12) against two baselines, per city.

Cases (``--cases``, default all): ``helsinki`` (the sample with no existing sites and a 350 m
aerial range, so that several sites are needed), ``liechtenstein`` (automatic hubs, OSM
sites; skipped when ../shared is absent) and ``mosaic`` (the 3 x 3 Liechtenstein mosaic,
about 2,850 km², 1,000 candidates; radio grid 50 m and drone grid 30 m to keep it in
memory; run it under ``flock /work/bigmem.lock``). Each case reports the joint plan's wall
and CPU seconds (including the radio model on the existing sites) per step, its cost and
coverage, and the two baselines measured in the same run: (1) sites placed without regard
to corridors (population-only greedy, extended until the same corridor coverage) and
(2) backhaul routed separately from the fibre-to-homes network.

With ``--compare-reroute`` each case also times the coverage-aware re-routing both ways in
the same run: ``planner.drones.reroute_corridors`` on the drone step's result (airspace, risk
model and hubs reused) against the previous method, a full ``plan_corridors`` with the same
air penalty, and checks they give the same corridors.

Run: ``python benchmarks/bench_joint.py [--cases helsinki,liechtenstein,mosaic]
[--compare-reroute]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

from planner.city import load_city
from planner.config.drones import DroneConfig
from planner.config.plan import PlanConfig
from planner.config.radio import RadioConfig
from planner.drones import plan_corridors, reroute_corridors
from planner.fiber import analyze_fiber
from planner.joint import plan_joint
from planner.joint.baselines import population_only_baseline
from planner.joint.reroute import air_penalty, penalty_level, reroute_config
from planner.plan import plan_fiber
from planner.radio import analyze_radio

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "osm"
LI = SHARED / "liechtenstein-2021-10-28.osm.pbf"
CASES = ("helsinki", "liechtenstein", "mosaic")


def log(msg: str) -> None:
    """Progress line on stderr."""
    print(time.strftime("%H:%M:%S"), msg, file=sys.stderr, flush=True)


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(t: tuple[float, float]) -> dict:
    return {
        "wall_s": round(time.perf_counter() - t[0], 1),
        "cpu_s": round(time.process_time() - t[1], 1),
    }


def _baselines(city, res) -> dict:
    """The two baselines on the joint plan's candidates, with the joint plan's own figures."""
    base = population_only_baseline(city, res)
    r, s = res.routing, res.summary
    joint_sites = float(res.sites["site_cost"].sum())
    joint_total = joint_sites + r.backhaul_cost
    separate_total = joint_sites + (r.separate_cost - r.homes_cost)
    return {
        "joint": {
            "sites": int(len(res.sites)),
            "sites_eur": round(joint_sites, 2),
            "backhaul_trench_eur": round(r.backhaul_cost, 2),
            "sites_plus_backhaul_eur": round(joint_total, 2),
            "corridor_pct_after": s["coverage"]["corridor_pct_after"],
        },
        "population_only": {
            **base.__dict__,
            "cheaper_joint": bool(
                not base.reached or float(res.sites["total_cost"].sum()) < base.cost
            )
            if len(res.sites)
            else base.cost == 0.0,
        },
        "separate_backhaul": {
            "trench_eur": round(r.separate_cost - r.homes_cost, 2),
            "sites_plus_backhaul_eur": round(separate_total, 2),
            "joint_saving_eur": round(separate_total - joint_total, 2),
            "cheaper_joint": joint_total <= separate_total + 1e-6,
        },
    }


def reroute_both_ways(city, corr, res, dc: DroneConfig) -> dict | None:
    """CPU s of one re-routing attempt: the entry point vs a full plan_corridors (same run)."""
    s = res.summary.get("corridors") or {}
    if not s.get("rerouted"):
        return None
    after = res.radio_after
    cfg = reroute_config(dc, corr.corridors)
    level = penalty_level(after, corr.corridors)
    pen = air_penalty(after, city, cfg, s["air_penalty_weight"], level)
    t = _clock()
    again = reroute_corridors(city, corr, pen, budget_weights=cfg.budget_weights)
    entry = _since(t)
    t = _clock()
    full = plan_corridors(city, cfg, air_penalty=pen)
    whole = _since(t)
    same = bool(
        again.corridors.geometry.equals(full.corridors.geometry) and again.summary == full.summary
    )
    return {
        "reroute_corridors": entry,
        "full_plan_corridors": whole,
        "cpu_ratio": round(whole["cpu_s"] / max(entry["cpu_s"], 1e-9), 2),
        "same_result": same,
    }


def run_case(
    name: str,
    city,
    rcfg: RadioConfig,
    dc: DroneConfig,
    jcfg: dict | None = None,
    compare_reroute: bool = False,
) -> dict:
    """Time one city end to end (joint plan incl. the radio model) against the baselines."""
    t = _clock()
    cov = analyze_fiber(city)
    plan = plan_fiber(city, cov, PlanConfig(optimality_bound=False))
    corr = plan_corridors(city, dc)
    prep = _since(t)
    log(f"{name}: fibre, plan, corridors {prep}")
    t = _clock()
    radio = analyze_radio(city, rcfg, corridors=corr.corridors, band=(dc.band.min_m, dc.band.max_m))
    radio_s = _since(t)
    res = plan_joint(city, cov, plan, corr, radio=radio, config=jcfg, drones=dc)
    joint_s = _since(t)
    log(f"{name}: radio {radio_s}, joint {joint_s}")
    s = res.summary
    reroute_cpu = res.cpu_timings.get("reroute", 0.0)
    out = {
        "city": name,
        "load_average": os.getloadavg(),
        "prep (fibre, plan, corridors)": prep,
        "radio_model_existing_sites": radio_s,
        "joint_incl_radio": joint_s,
        "joint_incl_radio_without_reroute_cpu_s": round(joint_s["cpu_s"] - reroute_cpu, 1),
        "steps_wall_s": res.timings,
        "steps_cpu_s": res.cpu_timings,
        "candidates": s["candidates"],
        "sites": s["sites"],
        "coverage": s["coverage"],
        "certificate": s["certificate"],
        "corridors": s.get("corridors"),
        "cost_to_meet_both": s["cost_to_meet_both"],
        "baselines": _baselines(city, res),
        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, 2),
    }
    if compare_reroute:
        out["reroute_both_ways"] = reroute_both_ways(city, corr, res, dc)
    print(json.dumps(out, indent=1, default=str), flush=True)
    return out


def main() -> None:
    """Run the benchmark cases."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", default=",".join(CASES), help="comma-separated: " + ", ".join(CASES))
    ap.add_argument(
        "--compare-reroute",
        action="store_true",
        help="also time the re-routing entry point against a full plan_corridors",
    )
    args = ap.parse_args()
    cmp = args.compare_reroute
    cases = [c for c in args.cases.split(",") if c]
    if "helsinki" in cases:
        rc = RadioConfig(use_osm_sites=False, max_range_air_m=350.0)
        run_case(
            "helsinki (no sites, 350 m aerial range)",
            load_city(progress=False),
            rc,
            DroneConfig(),
            compare_reroute=cmp,
        )
    if not LI.exists():
        log(f"{LI} absent: Liechtenstein and the mosaic skipped")
        return
    li = load_city(LI, progress=False) if {"liechtenstein", "mosaic"} & set(cases) else None
    if "liechtenstein" in cases:
        run_case("liechtenstein", li, RadioConfig(), DroneConfig(), compare_reroute=cmp)
    if "mosaic" in cases:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from mosaic import mosaic_city

        big = mosaic_city(li, 3, 3)
        log(f"mosaic 3x3: {big.boundary.area / 1e6:,.0f} km2")
        run_case(
            "mosaic-3x3",
            big,
            RadioConfig(resolution_m=50.0),
            DroneConfig(resolution_m=30.0),
            {"max_candidates": 1000},
            compare_reroute=cmp,
        )


if __name__ == "__main__":
    main()
