"""Benchmark the fibre build plan: time, peak memory, cost vs networkx Steiner heuristics.

Run: ``PYTHONPATH=. python benchmarks/bench_plan.py`` (needs ../shared/data/osm).
"""

from __future__ import annotations

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
from planner.fiber import FiberConfig, analyze_fiber  # noqa: E402
from planner.plan import PlanConfig, plan_fiber  # noqa: E402
from planner.snapping import street_edges  # noqa: E402
from planner.steiner import tree_cost  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "osm"


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


def run(name, city, assets, nx_methods=("mehlhorn", "kou"), kou_max_terms=400):
    cov = analyze_fiber(city, FiberConfig(), assets=assets)
    tracemalloc.start()
    t0 = time.perf_counter()
    plan = plan_fiber(city, cov, PlanConfig())
    dt = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    G, terms, roots, T = plan.steiner_instance
    ours = tree_cost(T)
    s = plan.summary
    print(
        f"{name}: premises targeted {s['premises_targeted']}, terminals {len(terms)}, "
        f"roots {len(roots)}, plan {dt:.2f} s (steiner {plan.timings['steiner']:.2f} s), "
        f"peak {peak:.0f} MiB, route {s['route_length_m'] / 1000:.1f} km, capex "
        f"{s['capex_total'] / 1e6:.2f} M {s['currency']} ({s['capex_per_premise']:.0f}/premise), "
        f"Steiner cost {ours:,.0f}",
        flush=True,
    )
    for m in nx_methods:
        if m == "kou" and len(terms) > kou_max_terms:
            print(f"  networkx {m}: skipped ({len(terms)} terminals > {kou_max_terms})")
            continue
        c, t = nx_cost(G, terms, roots, m)
        print(
            f"  networkx {m}: cost {c:,.0f} in {t:.1f} s -> ours/nx cost {ours / c:.4f}, "
            f"time ratio nx/ours-steiner {t / plan.timings['steiner']:.1f}x",
            flush=True,
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
        mo = mosaic_city(li, 2, 2)
        run("mosaic 2x2 liechtenstein greenfield", mo, None, nx_methods=("mehlhorn",))


if __name__ == "__main__":
    main()
