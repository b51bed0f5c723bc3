"""Benchmark drone corridor routing.

1. Synthetic lattice: 1000 x 1000 cells at 10 m (100 km²), 10 hubs = 45 pairs, risk-aware
   and shortest-feasible routing with scipy csgraph; the same lattice routed with networkx
   (single-source Dijkstra from a few hubs) for the speed ratio and a path-cost check.
2. Real extracts (Liechtenstein, Monaco; skipped when ../shared is absent): plan_corridors
   in free and streets mode, >= 10 automatic hubs (each listed with why it was chosen),
   time, peak memory, risk reduction and detour against the shortest feasible path, for a
   sweep of risk weights, for mean detour budgets (``detour_budget``) and for the
   least-exposure ceiling (no routing can do better).

Run: ``python benchmarks/bench_drones.py [--size 1000] [--nx-sources 2] [--skip-real]``
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc
from pathlib import Path

import networkx as nx
import numpy as np
from scipy import ndimage

from planner.drones.lattice import lattice_graph, lattice_lengths, reweight, route_hubs

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "osm"


def synthetic_city(n: int, res: float, seed: int = 0):
    """Density (people/km²) with towns and villages, and ~6% no-fly discs."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:n, 0:n]
    dens = np.full((n, n), 20.0)
    for _ in range(25):  # towns: gaussian blobs 200-1500 m wide
        cy, cx = rng.uniform(0, n, 2)
        s = rng.uniform(200, 1500) / res
        dens += rng.uniform(1000, 15000) * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * s * s))
    dens *= rng.lognormal(0, 0.5, size=(n, n))  # block-level variation
    dens = ndimage.uniform_filter(dens, size=max(1, int(100 / res)))
    blocked = np.zeros((n, n), bool)
    for _ in range(12):
        cy, cx = rng.uniform(0, n, 2)
        r = rng.uniform(100, 800) / res
        blocked |= (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
    free = np.flatnonzero(~blocked)
    # hubs spread out: best of many random draws by minimum spacing
    best, best_d = None, -1
    for _ in range(50):
        h = rng.choice(free, 10, replace=False)
        r, c = np.divmod(h, n)
        d = np.hypot(r[:, None] - r, c[:, None] - c) + np.eye(10) * 1e9
        if d.min() > best_d:
            best, best_d = h, d.min()
    return dens, blocked, best


def exposure(path: np.ndarray, dens: np.ndarray, res: float, n: int) -> tuple[float, float]:
    """Length (m) and people exposure (density × length × 30 m / 1e6) of a cell path."""
    r, c = np.divmod(path, n)
    step = res * np.hypot(np.diff(r), np.diff(c))
    d = dens.ravel()
    mid = 0.5 * (d[path[:-1]] + d[path[1:]])
    return float(step.sum()), float((mid * step).sum() * 30 / 1e6)


def bench_lattice(n: int, res: float, weights, nx_sources: int) -> None:
    dens, blocked, hubs = synthetic_city(n, res)
    risk = dens / 1000.0
    area = n * n * res * res / 1e6
    print(
        f"\n== synthetic lattice {n}x{n} at {res:g} m = {area:.0f} km², "
        f"{blocked.mean():.1%} blocked"
    )
    print(f"   hubs {len(hubs)} -> {len(hubs) * (len(hubs) - 1) // 2} pairs")
    tracemalloc.start()
    t0 = time.perf_counter()
    g0 = lattice_graph(risk, blocked, res, 1e-6)
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    short = route_hubs(g0, hubs)
    t_route0 = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"   CSR build {t_build:.2f} s ({g0.nnz:,} directed edges), shortest-feasible routing "
        f"{t_route0:.2f} s, traced peak {peak / 2**20:.0f} MiB"
    )
    # one edge structure, reweighted per risk weight (what plan_corridors does) against a
    # full rebuild per weight
    t0 = time.perf_counter()
    g_len = lattice_lengths(risk.shape, blocked, res)
    t_len = time.perf_counter() - t0
    t0 = time.perf_counter()
    for w in weights:
        reweight(g_len, risk, w)
    t_rew = (time.perf_counter() - t0) / len(weights)
    t0 = time.perf_counter()
    for w in weights:
        lattice_graph(risk, blocked, res, w)
    t_full = (time.perf_counter() - t0) / len(weights)
    print(
        f"   edge structure once {t_len:.2f} s, then per weight: reweight {t_rew:.3f} s vs "
        f"rebuild {t_full:.2f} s ({t_full / t_rew:.0f}x)"
    )
    base = {k: exposure(p, dens, res, n) for k, p in short.paths.items()}
    for w in weights:
        t0 = time.perf_counter()
        g = reweight(g_len, risk, w)
        routes = route_hubs(g, hubs)
        t = time.perf_counter() - t0
        m = {k: exposure(p, dens, res, n) for k, p in routes.paths.items()}
        rr = 1 - sum(v[1] for v in m.values()) / sum(v[1] for v in base.values())
        det = np.mean([m[k][0] / base[k][0] for k in m])
        print(
            f"   w={w:<5g} reweight+45 pairs {t:5.2f} s | risk reduction {rr:6.1%} | "
            f"mean detour vs shortest {det:.3f} | max {max(m[k][0] / base[k][0] for k in m):.3f}"
        )

    if nx_sources <= 0:
        return
    # networkx on the very same lattice (same edges, same weights)
    w = weights[len(weights) // 2]
    g = lattice_graph(risk, blocked, res, w)
    t0 = time.perf_counter()
    routes = route_hubs(g, hubs)
    t_scipy = time.perf_counter() - t0
    per_src_scipy = t_scipy / (len(hubs) - 1)
    t0 = time.perf_counter()
    G = nx.from_scipy_sparse_array(g, create_using=nx.DiGraph)
    t_nx_build = time.perf_counter() - t0
    t_nx, worst = 0.0, 0.0
    for i in range(nx_sources):
        t0 = time.perf_counter()
        dist = nx.single_source_dijkstra_path_length(G, int(hubs[i]), weight="weight")
        t_nx += time.perf_counter() - t0
        for j in range(i + 1, len(hubs)):
            ref = dist.get(int(hubs[j]), np.inf)
            if np.isfinite(ref) or np.isfinite(routes.cost[i, j]):
                worst = max(worst, abs(ref - routes.cost[i, j]))
    per_src_nx = t_nx / nx_sources
    print(
        f"   networkx graph build {t_nx_build:.1f} s; Dijkstra per source: networkx "
        f"{per_src_nx:.2f} s vs scipy {per_src_scipy:.3f} s (all paths incl. extraction)"
        f" -> speed ratio {per_src_nx / per_src_scipy:.1f}x; max |cost diff| {worst:.2e}"
    )
    print(
        f"   45 pairs: scipy {t_scipy:.2f} s vs networkx (extrapolated from {nx_sources} "
        f"sources) {per_src_nx * (len(hubs) - 1):.1f} s"
    )


def _exposure(r, lines, cut_m: float) -> np.ndarray:
    """People exposure of each line without its first and last ``cut_m`` metres."""
    import geopandas as gpd
    from shapely.ops import substring

    from planner.drones.metrics import MetricInputs, corridor_metrics

    cut = [substring(g, cut_m, g.length - cut_m) if g.length > 2 * cut_m else None for g in lines]
    keep = np.array([g is not None for g in cut])
    out = np.zeros(len(cut))
    if keep.any():
        empty = gpd.GeoDataFrame({"kind": [], "top_m": [], "height_m": []}, geometry=[])
        inputs = MetricInputs(
            density=r.density,
            igrc=r.igrc,
            transform=r.transform,
            width_m=30.0,
            landuse=None,
            obstacles=empty,
            band_top_m=120.0,
            masts=None,
            mast_radius_m=1,
        )
        m = corridor_metrics(gpd.GeoSeries([g for g in cut if g is not None]), inputs)
        out[keep] = m["ground_risk"].to_numpy()
    return out


def en_route_reduction(r, hub_zone_m: float = 300.0) -> float:
    """Risk reduction counting only the corridor parts more than hub_zone_m from both ends."""
    long_ = (r.baseline.length > 2 * hub_zone_m).to_numpy() & (
        r.corridors.length > 2 * hub_zone_m
    ).to_numpy()
    base = _exposure(r, r.baseline.geometry[long_], hub_zone_m).sum()
    return (
        1 - _exposure(r, r.corridors.geometry[long_], hub_zone_m).sum() / base
        if base > 0
        else float("nan")
    )


def hub_zone_share(r, hub_zone_m: float = 300.0) -> float:
    """Share of the baseline (shortest feasible) exposure within hub_zone_m of a hub."""
    total = float(r.corridors["shortest_ground_risk"].sum())
    en_route = _exposure(r, r.baseline.geometry, hub_zone_m).sum()
    return 1 - en_route / total if total > 0 else float("nan")


#: Monaco under the USEPE/EU presets: the 1,500 m heliport buffer covers the whole centre
#: (all hospitals, all industrial sites but one), so automatic siting finds 2 hubs. For the
#: ">= 10 hubs" benchmark Monaco also runs with the US preset (500 m around heliports) and
#: commercial/retail/office buildings allowed as hub sites, 150 m apart.
MONACO_10 = {
    "max_auto_hubs": 12,
    "auto_hub_building_types": [
        "industrial",
        "warehouse",
        "hangar",
        "commercial",
        "retail",
        "office",
    ],
    "auto_hub_spacing_m": 150,
}


def bench_real(weights, budgets, presets) -> None:
    from planner.city import load_city
    from planner.drones import plan_corridors

    runs = [
        ("liechtenstein-2021-10-28", 20.0, presets, {"max_auto_hubs": 12}),
        ("monaco-2026-03-10", 10.0, presets, {"max_auto_hubs": 12}),
        ("monaco-2026-03-10", 10.0, ["us"], MONACO_10),
    ]
    cities = {}
    for extract, res, run_presets, extra in runs:
        path = SHARED / f"{extract}.osm.pbf"
        if not path.is_file():
            print(f"\n== {extract}: skipped ({path} not found)")
            continue
        if extract not in cities:
            t0 = time.perf_counter()
            cities[extract] = load_city(path, progress=False)
            print(f"\n== {extract}: loaded in {time.perf_counter() - t0:.1f} s")
        city = cities[extract]
        print(
            f"\n== {extract}, {city.boundary.area / 1e6:.0f} km², {len(city.buildings)} buildings, "
            f"{res:g} m, hub options {extra}"
        )
        for preset in run_presets:
            r = plan_corridors(city, {"preset": preset, "resolution_m": res, **extra})
            print(
                f"   {preset}: {len(r.hubs)} automatic hubs, spacing "
                f"{r.summary['auto_hubs']['spacing_m']:g} m"
            )
            for h in r.summary["hubs"]:
                print(f"     - {h['name']} [{h['source']}]: {h['reason']}")
            if len(r.hubs) < 3:
                print("     fewer than 3 hubs: routing figures skipped")
                continue
            settings = [(m, {"risk_weight": w}) for m in ("free", "streets") for w in weights]
            # free mode with a mean detour budget (per-pair weight, Lagrangian sweep), and
            # the ceiling: every pair on its least-exposure path (w = 1e4, no budget)
            settings += [("free", {"detour_budget": b}) for b in budgets]
            settings += [("free", {"detour_budget": 100.0, "budget_weights": [1e4]})]
            for mode, opt in settings:
                if "risk_weight" in opt:
                    w = f"{opt['risk_weight']:g}"
                else:
                    w = "min" if "budget_weights" in opt else f"b{opt['detour_budget']:g}"
                cfg = {"preset": preset, "mode": mode, "resolution_m": res, **opt, **extra}
                tracemalloc.start()
                t0 = time.perf_counter()
                r = plan_corridors(city, cfg)
                t = time.perf_counter() - t0
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                s = r.summary
                print(
                    f"   {preset:5s} {mode:7s} w={w!s:<5} {t:5.1f} s peak {peak / 2**20:5.0f} "
                    f"MiB | hubs {len(r.hubs):2d} corridors {len(r.corridors):2d} "
                    f"infeasible {len(s['infeasible']):2d} | risk reduction "
                    f"{s['risk_reduction']:6.1%} mean detour vs shortest "
                    f"{(s['mean_detour_vs_shortest'] or float('nan')):.3f} | restricted "
                    f"{s['restricted_intersections']} obstacle {s['obstacle_violations']}"
                    f" | en-route reduction {en_route_reduction(r):6.1%}"
                )
                if w == "min":
                    print(
                        f"   baseline exposure within 300 m of a hub: {hub_zone_share(r):.1%} "
                        "(largely unavoidable by routing)"
                    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=1000, help="lattice side in cells")
    ap.add_argument("--res", type=float, default=10.0)
    ap.add_argument("--nx-sources", type=int, default=2)
    ap.add_argument("--skip-real", action="store_true")
    ap.add_argument("--weights", type=str, default="0.1,0.3,1")
    ap.add_argument("--budgets", type=str, default="1.05,1.1,1.15", help="mean detour budgets")
    ap.add_argument("--presets", type=str, default="usepe", help="e.g. usepe,eu")
    a = ap.parse_args()
    weights = [float(x) for x in a.weights.split(",")]
    bench_lattice(a.size, a.res, weights, a.nx_sources)
    if not a.skip_real:
        bench_real(weights, [float(x) for x in a.budgets.split(",")], a.presets.split(","))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nprocess peak RSS {rss:.0f} MiB")


if __name__ == "__main__":
    main()
