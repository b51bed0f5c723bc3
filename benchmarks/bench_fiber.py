"""Benchmark the fibre coverage analysis: shared extracts, a >= 1M-premise mosaic, naive ratio.

Run: ``PYTHONPATH=. python benchmarks/bench_fiber.py [--mosaic 7x4] [--naive 150]``.
Assets are synthetic but placed on the real streets: one point asset (an "OLT") every
``--per`` buildings, a few metres off a random street position (seeded), because the shared
extracts carry no OSM fibre assets.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mosaic import mosaic_city  # noqa: E402

from planner.city import load_city  # noqa: E402
from planner.config import FiberConfig  # noqa: E402
from planner.fiber import FiberNetwork, analyze_fiber  # noqa: E402
from planner.fiber.netdist import node_distances, point_distances, sources_from_snaps  # noqa: E402
from planner.fiber.snapping import snap_points  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "osm"
CFG = FiberConfig(use_osm_assets=False)


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def synthetic_assets(city, per: int, seed: int = 0) -> gpd.GeoDataFrame:
    net = FiberNetwork.from_graph(city.graph)
    rng = np.random.default_rng(seed)
    n = max(1, len(city.buildings) // per)
    pick = rng.integers(0, len(net.edges), n)
    pts = shapely.line_interpolate_point(net.edges.geometry[pick], rng.random(n), normalized=True)
    pts = shapely.points(shapely.get_coordinates(pts) + rng.normal(0, 3, (n, 2)))
    return gpd.GeoDataFrame({"kind": ["olt"] * n}, geometry=pts, crs=city.crs)


def run(city, assets, label: str) -> None:
    t0 = time.perf_counter()
    cov = analyze_fiber(city, CFG, assets=assets)
    total = time.perf_counter() - t0
    k = cov.kpis
    steps = ", ".join(f"{s} {v:.2f}s" for s, v in cov.timings.items())
    print(
        f"{label}: {k['premises_total']:,} premises in {k['buildings']:,} buildings, "
        f"{len(assets):,} assets, {k['coverage_pct']}% passed -> {total:.2f}s "
        f"(peak RSS {peak_gb():.2f} GB)\n   steps: {steps}"
    )


def naive(city, assets, n: int, seed: int = 1):
    """What a notebook user writes: per building, snap by scanning every edge, then networkx
    Dijkstra from the snapped edge's two end nodes, min over every asset (exact, same result)."""
    net = FiberNetwork.from_graph(city.graph)
    E = net.edges
    H = nx.MultiGraph()
    for u, v, d in city.graph.edges(data=True):
        H.add_edge(u, v, weight=d["length"])
    b = city.buildings[city.buildings["premises"] > 0]
    rng = np.random.default_rng(seed)
    sub = b.iloc[rng.choice(len(b), n, replace=False)]
    pts = shapely.point_on_surface(sub.geometry.to_numpy())
    a_pts = assets.geometry.to_numpy()
    t0 = time.perf_counter()
    # assets: snapped once by scanning every edge
    a_snap = []
    for p in a_pts:
        dd = shapely.distance(E.geometry, p)
        e = int(np.argmin(dd))
        a_snap.append((e, float(shapely.line_locate_point(E.geometry[e], p))))
    out = np.empty(n)
    for i, p in enumerate(pts):
        dd = shapely.distance(E.geometry, p)
        e = int(np.argmin(dd))
        o = float(shapely.line_locate_point(E.geometry[e], p))
        du = nx.single_source_dijkstra_path_length(H, E.u[e], weight="weight")
        dv = nx.single_source_dijkstra_path_length(H, E.v[e], weight="weight")
        best = np.inf
        for ae, ao in a_snap:
            au, av, al = E.u[ae], E.v[ae], E.length[ae]
            for d0, off in ((du, o), (dv, E.length[e] - o)):
                best = min(best, off + d0.get(au, np.inf) + ao, off + d0.get(av, np.inf) + al - ao)
            if ae == e:
                best = min(best, abs(ao - o))
        out[i] = best
    t_naive = time.perf_counter() - t0

    t0 = time.perf_counter()
    net2 = FiberNetwork.from_graph(city.graph)
    snap = snap_points(net2.edges, pts)
    src = sources_from_snaps(snap_points(net2.edges, a_pts))
    nd = node_distances(net2.csr, net2.edges, src)
    fast = point_distances(net2.edges, nd, src, snap.edge, snap.offset)
    t_fast = time.perf_counter() - t0
    fin = np.isfinite(out)
    same = np.array_equal(fin, np.isfinite(fast)) and np.allclose(out[fin], fast[fin], atol=0.01)
    print(
        f"naive vs vectorised on the same {n} buildings of {city.name}: naive {t_naive:.2f}s, "
        f"vectorised {t_fast:.3f}s (incl. building the CSR graph), speed ratio "
        f"{t_naive / t_fast:.0f}x, identical results: {same}"
    )
    per_b = t_naive / n
    print(
        f"   naive extrapolated to all {len(b):,} buildings: {per_b * len(b):.0f}s "
        f"(vs the full vectorised analysis above)"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mosaic", default="7x4")  # >= 1M premises (36,453 per copy)
    ap.add_argument("--naive", type=int, default=150)
    ap.add_argument("--per", type=int, default=150, help="buildings per synthetic asset")
    args = ap.parse_args()
    for name in ("monaco-2026-03-10", "lauf-an-der-pegnitz-2020-01-15", "liechtenstein-2021-10-28"):
        f = SHARED / f"{name}.osm.pbf"
        if not f.is_file():
            print(f"skip {name}: not present")
            continue
        c = load_city(f, progress=False)
        run(c, synthetic_assets(c, args.per), name)
    base_file = SHARED / "liechtenstein-2021-10-28.osm.pbf"
    base = load_city(base_file if base_file.is_file() else None, progress=False)
    naive(base, synthetic_assets(base, args.per), args.naive)
    nx_, ny = (int(v) for v in args.mosaic.split("x"))
    t0 = time.perf_counter()
    m = mosaic_city(base, nx_, ny)
    print(f"mosaic {nx_}x{ny} of {base.name} built in {time.perf_counter() - t0:.1f}s: {m}")
    run(m, synthetic_assets(m, args.per), f"mosaic {nx_}x{ny}")


if __name__ == "__main__":
    main()
