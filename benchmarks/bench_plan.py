"""Benchmark the fibre build plan: Steiner time and cost vs networkx Mehlhorn, bound and gap.

Run: ``PYTHONPATH=. python benchmarks/bench_plan.py [liechtenstein] [lauf] [monaco] [2x2] [3x1]
[3x2] [--kou] [--full-bound] [--repeat N]`` (needs ../shared/data/osm; mosaics of the
Liechtenstein extract via benchmarks/mosaic.py; default: liechtenstein lauf 2x2 3x1). Per
instance, in the same run: the plan's time, our Steiner step (wall and CPU seconds, cost),
networkx Mehlhorn on the same instance (child process capped at ``NX_CAP_S`` seconds and
``NX_MEM_GB`` of address space; wall and CPU seconds, cost), the time ratio nx / ours, and the
plan's own routing certificate (lower bound and gap within ``PlanConfig.bound_time_limit_s``).
Both Steiner timings are the run of median CPU time of ``--repeat`` runs (default 3): one run on
a loaded 2-core machine varies by up to 2x. ``--kou`` adds networkx Kou, ``--full-bound`` a
lower bound capped at ``BOUND_S`` (the optimum when it is proven).
"""

from __future__ import annotations

import multiprocessing as mp
import resource
import sys
import time
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
from planner.plan.routing import route_forest  # noqa: E402
from planner.steiner import steiner_lower_bound, tree_cost  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "osm"
NX_CAP_S = {"mehlhorn": 600.0, "kou": 300.0}
MOSAICS = {"2x2": (2, 2), "3x1": (3, 1), "3x2": (3, 2), "3x3": (3, 3), "7x4": (7, 4)}
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
    t0, c0 = time.perf_counter(), time.process_time()
    T = nx_steiner(H, terms, weight="cost", method=method)
    return tree_cost(T), (time.perf_counter() - t0, time.process_time() - c0)


def _nx_child(G, terms, roots, method, q) -> None:
    lim = NX_MEM_GB * 2**30
    resource.setrlimit(resource.RLIMIT_AS, (lim, lim))
    try:
        q.put(nx_cost(G, terms, roots, method))
    except MemoryError:
        q.put(("memory", None))


def nx_capped(G, terms, roots, method) -> tuple:
    """networkx in a forked child: (cost, (wall s, CPU s)) or (why it did not finish, None)."""
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


def peak_rss_gb() -> float:
    """Peak resident memory of this process so far (GB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def ours_timed(G, terms, roots, cfg: PlanConfig):
    """Our Steiner step as the plan runs it: (cost, (wall s, CPU s))."""
    t0, c0 = time.perf_counter(), time.process_time()
    T = route_forest(G, terms, roots, cfg).tree
    return tree_cost(T), (time.perf_counter() - t0, time.process_time() - c0)


def median_run(runs: list[tuple]) -> tuple:
    """The ``(cost, (wall, CPU))`` run of median CPU time (runs whose timing is None last)."""
    done = sorted((r for r in runs if r[1] is not None), key=lambda r: r[1][1])
    return done[len(done) // 2] if done else runs[0]


def run(name, city, assets, opts) -> None:
    cov = analyze_fiber(city, FiberConfig(), assets=assets)
    cfg = PlanConfig()
    t0, c0 = time.perf_counter(), time.process_time()
    plan = plan_fiber(city, cov, cfg)
    dt, dc = time.perf_counter() - t0, time.process_time() - c0
    G, terms, roots, _ = plan.steiner_instance
    ours, (t_w, t_c) = median_run([ours_timed(G, terms, roots, cfg) for _ in range(opts["repeat"])])
    s = plan.summary
    print(
        f"{name}: premises targeted {s['premises_targeted']}, terminals {len(terms)}, "
        f"roots {len(roots)}, plan {dt:.2f} s wall / {dc:.2f} s CPU (steiner "
        f"{plan.timings['steiner']:.2f} s, bound {plan.timings.get('bound', 0):.2f} s wall), capex "
        f"{s['capex_total'] / 1e6:.2f} M {s['currency']}; Steiner {ours:,.0f} in {t_w:.2f} s "
        f"wall / {t_c:.2f} s CPU; bound {s.get('routing_lower_bound'):,.0f}, gap "
        f"{s.get('routing_gap_pct')} % (optimum proven {s.get('routing_bound_is_optimum')}); "
        f"process peak RSS so far {peak_rss_gb():.2f} GB",
        flush=True,
    )
    row = {"name": name, "terms": len(terms), "roots": len(roots), "ours": ours}
    row.update(t_ours=(t_w, t_c), plan=(dt, dc), lb=s.get("routing_lower_bound"))
    row.update(gap=s.get("routing_gap_pct"), exact=s.get("routing_bound_is_optimum"))
    if opts["full_bound"]:
        t0 = time.perf_counter()
        lb, info = steiner_lower_bound(G, terms, roots, "cost", BOUND_S, full_output=True)
        print(
            f"  bound capped at {BOUND_S:.0f} s: {lb:,.0f} in {time.perf_counter() - t0:.1f} s "
            f"(optimum proven: {info['exact']}) -> ours/LB {ours / lb:.5f}",
            flush=True,
        )
    for m in ("mehlhorn", "kou") if opts["kou"] else ("mehlhorn",):
        c, t = median_run([nx_capped(G, terms, roots, m) for _ in range(opts["repeat"])])
        row[m] = (c, t)
        if t is None:
            print(f"  networkx {m}: {c}", flush=True)
            continue
        print(
            f"  networkx {m}: cost {c:,.0f} in {t[0]:.2f} s wall / {t[1]:.2f} s CPU -> ours/nx "
            f"cost {ours / c:.4f}, time nx/ours {t[0] / t_w:.2f}x wall, {t[1] / t_c:.2f}x CPU",
            flush=True,
        )
    ROWS.append(row)


def table() -> None:
    """Markdown table: per instance ours vs networkx Mehlhorn (time, cost) and the certificate."""
    print(
        "\n| instance | terminals | roots | plan s (CPU) | ours: Steiner s (CPU), cost | "
        "nx Mehlhorn: s (CPU), cost | nx/ours time (CPU) | ours/nx cost | bound | gap % |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in ROWS:
        (tw, tc), (pw, pc) = r["t_ours"], r["plan"]
        c, t = r["mehlhorn"]
        nx_cells = (
            [c, "", "", ""]
            if t is None
            else [
                f"{t[0]:.2f} ({t[1]:.2f}), {c:,.0f}",
                f"{t[0] / tw:.2f}x ({t[1] / tc:.2f}x)",
                f"{r['ours'] / c:.4f}",
            ]
        )
        proven = ", optimum" if r["exact"] else ""
        print(
            f"| {r['name']} | {r['terms']:,} | {r['roots']} | {pw:.1f} ({pc:.1f}) | "
            f"{tw:.2f} ({tc:.2f}), {r['ours']:,.0f} | {' | '.join(nx_cells[:3])} | "
            f"{r['lb']:,.0f}{proven} | {r['gap']} |"
        )


def main() -> None:
    args = sys.argv[1:]
    if "--help" in args or "-h" in args:
        print(__doc__)
        return
    if not SHARED.is_dir():
        print(f"{SHARED} absent; nothing to benchmark")
        return
    repeat = 3
    if "--repeat" in args:
        i = args.index("--repeat")
        repeat = int(args[i + 1])
        del args[i : i + 2]
    opts = {"kou": "--kou" in args, "full_bound": "--full-bound" in args, "repeat": repeat}
    which = [a for a in args if not a.startswith("--")] or ["liechtenstein", "lauf", "2x2", "3x1"]
    li = None
    if "liechtenstein" in which or any(k in which for k in MOSAICS):
        li = load_city(SHARED / "liechtenstein-2021-10-28.osm.pbf", progress=False)
    if "liechtenstein" in which:
        run("liechtenstein greenfield", li, None, opts)
        run("liechtenstein 5 assets", li, seeded_assets(li, 5), opts)
    if "lauf" in which:
        la = load_city(SHARED / "lauf-an-der-pegnitz-2020-01-15.osm.pbf", progress=False)
        run("lauf greenfield", la, None, opts)
        run("lauf 3 assets", la, seeded_assets(la, 3), opts)
    if "monaco" in which:
        mc = load_city(SHARED / "monaco-2026-03-10.osm.pbf", progress=False)
        run("monaco greenfield", mc, None, opts)
    for key, (a, b) in MOSAICS.items():
        if key in which:
            run(f"mosaic {key} liechtenstein greenfield", mosaic_city(li, a, b), None, opts)
    table()


if __name__ == "__main__":
    main()
