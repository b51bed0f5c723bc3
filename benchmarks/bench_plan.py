"""Benchmark the fibre build plan: time, peak memory, cost vs networkx Steiner heuristics.

Run: ``PYTHONPATH=. python benchmarks/bench_plan.py [liechtenstein] [lauf] [mosaic]``
(needs ../shared/data/osm). Per instance: our Steiner cost, networkx Mehlhorn and Kou on the
same instance (each in a child process capped at ``NX_CAP_S`` seconds and ``NX_MEM_GB`` of
address space; reported as "did not finish" past either), and a certified lower bound on the
optimum (:func:`planner.steiner.steiner_lower_bound`, ``BOUND_S`` cap) with ours/LB, nx/LB and
the best improvement over networkx any algorithm could reach, ``1 - LB / nx``.
"""

from __future__ import annotations

import multiprocessing as mp
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely
from networkx.algorithms.approximation import steiner_tree as nx_steiner

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mosaic import mosaic_city  # noqa: E402

from planner.city import load_city  # noqa: E402
from planner.config import (
    FiberConfig,  # noqa: E402
    PlanConfig,  # noqa: E402
)
from planner.fiber import analyze_fiber  # noqa: E402
from planner.fiber.snapping import street_edges  # noqa: E402
from planner.plan import plan_fiber  # noqa: E402
from planner.steiner import steiner_lower_bound, tree_cost  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "osm"
NX_CAP_S = {"mehlhorn": 600.0, "kou": 300.0}
NX_MEM_GB = 8
BOUND_S = 300.0
ROWS: list[dict] = []


def seeded_assets(city, n: int, seed: int = 7) -> gpd.GeoDataFrame:
    """A few point assets on random real streets."""
    rng = np.random.default_rng(seed)
    E = street_edges(city.graph)
    pick = rng.integers(0, len(E), n)
    pts = shapely.line_interpolate_point(E.geometry[pick], 0.5, normalized=True)
    return gpd.GeoDataFrame({"kind": ["olt"] * n}, geometry=pts, crs=city.crs)


def nx_cost(G, terms, roots, method):
    """networkx heuristic on the same instance; roots joined to a super-root terminal."""
    H = G.copy()
    if roots:
        H.add_edges_from((("S",), r, {"cost": 0.0}) for r in roots)
        terms = [*terms, ("S",)]
        H = H.subgraph(nx.node_connected_component(H, ("S",))).copy()  # nx needs connected
    t0 = time.perf_counter()
    T = nx_steiner(H, terms, weight="cost", method=method)
    return tree_cost(T), time.perf_counter() - t0


def _nx_child(G, terms, roots, method, q) -> None:
    lim = NX_MEM_GB * 2**30
    resource.setrlimit(resource.RLIMIT_AS, (lim, lim))
    try:
        q.put(nx_cost(G, terms, roots, method))
    except MemoryError:
        q.put(("memory", None))


def nx_capped(G, terms, roots, method) -> tuple:
    """networkx in a forked child: (cost, seconds) or (reason it did not finish, None)."""
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_nx_child, args=(G, terms, roots, method, q))
    cap = NX_CAP_S[method]
    t0 = time.perf_counter()
    p.start()
    p.join(cap)
    if p.is_alive():
        p.kill()
        p.join()
        return f"did not finish in {cap:.0f} s", None
    if q.empty():
        return f"child died (exit {p.exitcode}) after {time.perf_counter() - t0:.0f} s", None
    c, t = q.get()
    if c == "memory":
        return f"did not finish: over {NX_MEM_GB} GB memory", None
    return c, t


def run(name, city, assets):
    cov = analyze_fiber(city, FiberConfig(), assets=assets)
    t0 = time.perf_counter()
    plan = plan_fiber(city, cov, PlanConfig())
    dt = time.perf_counter() - t0
    # peak memory in a second run: tracemalloc slows Python-heavy steps several fold, so it
    # must not be on while the plan is timed
    tracemalloc.start()
    plan_fiber(city, cov, PlanConfig(optimality_bound=False))
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    G, terms, roots, T = plan.steiner_instance
    ours = tree_cost(T)
    s = plan.summary
    print(
        f"{name}: premises targeted {s['premises_targeted']}, terminals {len(terms)}, "
        f"roots {len(roots)}, plan {dt:.2f} s (steiner {plan.timings['steiner']:.2f} s, "
        f"bound {plan.timings.get('bound', 0):.2f} s: gap {s.get('routing_gap_pct')} %, "
        f"optimum proven {s.get('routing_bound_is_optimum')}), peak {peak:.0f} MiB, "
        f"route {s['route_length_m'] / 1000:.1f} km, capex {s['capex_total'] / 1e6:.2f} M "
        f"{s['currency']} ({s['capex_per_premise']:.0f}/premise), Steiner cost {ours:,.0f}",
        flush=True,
    )
    t0 = time.perf_counter()
    lb, info = steiner_lower_bound(G, terms, roots, "cost", time_limit=BOUND_S, full_output=True)
    t_lb = time.perf_counter() - t0
    print(
        f"  lower bound {lb:,.0f} in {t_lb:.1f} s (optimum proven: {info['exact']}; reductions: "
        f"{info['nodes']} -> {info['reduced_nodes']} nodes, {info['terminals']} -> "
        f"{info['reduced_terminals']} terminals, {100 * info['fixed_cost'] / lb:.0f}% of the "
        f"cost fixed; {info['blocks']} blocks, largest {info['largest_block']}) -> ours/LB "
        f"{ours / lb:.5f}",
        flush=True,
    )
    row = {"name": name, "terms": len(terms), "ours": ours, "t_ours": plan.timings["steiner"]}
    row.update(lb=lb, t_lb=t_lb, exact=info["exact"], plan_s=dt)
    for m in ("mehlhorn", "kou"):
        c, t = nx_capped(G, terms, roots, m)
        row[m] = (c, t)
        if t is None:
            print(f"  networkx {m}: {c}", flush=True)
            continue
        print(
            f"  networkx {m}: cost {c:,.0f} in {t:.1f} s -> ours/nx cost {ours / c:.4f}, "
            f"nx/LB {c / lb:.4f} (best possible gain over nx {100 * (1 - lb / c):.2f}%), "
            f"time ratio nx/ours-steiner {t / plan.timings['steiner']:.1f}x",
            flush=True,
        )
    ROWS.append(row)


def table() -> None:
    """Markdown table of all instances plus averages (the issue's target is an average)."""
    print(
        "\n| instance | terminals | ours (s) | lower bound (s) | ours / LB | nx Mehlhorn / LB "
        "(ours / nx, nx s) | nx Kou / LB (ours / nx, nx s) | best possible gain over nx "
        "Mehlhorn |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    gains = {"mehlhorn": [], "kou": []}
    best = []
    for r in ROWS:
        cells = []
        for m in ("mehlhorn", "kou"):
            c, t = r[m]
            if t is None:
                cells.append(c)
                continue
            cells.append(f"{c / r['lb']:.4f} ({r['ours'] / c:.4f}, {t:.1f} s)")
            gains[m].append(1 - r["ours"] / c)
        c = r["mehlhorn"][0]
        best.append(1 - r["lb"] / c if r["mehlhorn"][1] is not None else np.nan)
        print(
            f"| {r['name']} | {r['terms']:,} | {r['ours']:,.0f} ({r['t_ours']:.1f}) | "
            f"{r['lb']:,.0f} ({r['t_lb']:.1f}{', optimum' if r['exact'] else ''}) | "
            f"{r['ours'] / r['lb']:.5f} | {cells[0]} | {cells[1]} | "
            f"{100 * best[-1]:.2f}% |"
        )
    for m, g in gains.items():
        if g:
            print(
                f"average cost reduction vs networkx {m}: {100 * np.mean(g):.2f}% over {len(g)} "
                f"instances (min {100 * min(g):.2f}%)"
            )
    if np.isfinite(best).any():
        print(
            f"average best possible reduction vs networkx mehlhorn (1 - LB/nx): "
            f"{100 * np.nanmean(best):.2f}% (max {100 * np.nanmax(best):.2f}%)"
        )


def main() -> None:
    if not SHARED.is_dir():
        print(f"{SHARED} absent; nothing to benchmark")
        return
    which = sys.argv[1:] or ["liechtenstein", "lauf", "mosaic"]
    li = load_city(SHARED / "liechtenstein-2021-10-28.osm.pbf", progress=False)
    if "liechtenstein" in which:
        run("liechtenstein greenfield", li, None)
        run("liechtenstein 5 assets", li, seeded_assets(li, 5))
    if "lauf" in which:
        la = load_city(SHARED / "lauf-an-der-pegnitz-2020-01-15.osm.pbf", progress=False)
        run("lauf greenfield", la, None)
        run("lauf 3 assets", la, seeded_assets(la, 3))
    if "mosaic" in which:
        mo = mosaic_city(li, 3, 2)  # >= 200,000 premises (36,453 per copy)
        run("mosaic 3x2 liechtenstein greenfield", mo, None)
    table()


if __name__ == "__main__":
    main()
