"""Benchmark planner.steiner against networkx's Steiner heuristics on real OSM streets.

Run:  python benchmarks/bench_steiner.py [--quick]

Instances are built from the Liechtenstein extract (pyrosm driving network, largest
connected component, cost = segment length in metres) in ../shared/data/osm; the script
exits cleanly if it is absent. A mosaic tiles 16 copies of the graph (node ids offset by
10**11 per copy, coordinates shifted by the extract's width/height + 500 m) and joins
neighbouring copies at 3 node pairs (east/west-most and north/south-most nodes) by straight
edges whose cost is their Euclidean length. Every instance also gets a certified lower bound
on the optimum (``steiner_lower_bound``, 300 s cap; "optimum" when it is the optimum itself),
so ``1 - LB / nx`` is the most any algorithm could save over networkx. Peak memory is the peak
resident set size sampled every 20 ms during the call, minus the resident size before it.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import threading
import time
from pathlib import Path

import networkx as nx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from networkx.algorithms.approximation import steiner_tree as nx_steiner_tree  # noqa: E402

from planner.steiner import (  # noqa: E402
    steiner_lower_bound,
    steiner_tree,
    tree_cost,
    validate_tree,
)

PBF = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "osm"
    / "liechtenstein-2021-10-28.osm.pbf"
)
SUPER = "__super_root__"


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096 / 2**20


def measured(fn, *args, **kwargs):
    """Run fn, return (result, seconds, peak extra RSS in MB)."""
    base, peak, stop = rss_mb(), [0.0], threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], rss_mb())
            time.sleep(0.02)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    dt = time.perf_counter() - t0
    stop.set()
    th.join()
    return out, dt, max(0.0, max(peak[0], rss_mb()) - base)


def load_graph() -> nx.Graph:
    import pyrosm

    nodes, edges = pyrosm.OSM(str(PBF)).get_network(network_type="driving", nodes=True)
    lat0 = float(nodes["lat"].mean())
    G = nx.MultiDiGraph()
    for nid, lon, lat in zip(
        nodes["id"].tolist(), nodes["lon"].tolist(), nodes["lat"].tolist(), strict=True
    ):
        # local equirectangular projection in metres (sufficient for tiling/join lengths)
        G.add_node(nid, x=lon * 111_320.0 * math.cos(math.radians(lat0)), y=lat * 110_540.0)
    for u, v, length, hw in zip(
        edges["u"].tolist(),
        edges["v"].tolist(),
        edges["length"].tolist(),
        edges["highway"].tolist(),
        strict=True,
    ):
        G.add_edge(u, v, cost=float(length), length=float(length), highway=hw)
    big = max(nx.weakly_connected_components(G), key=len)
    return G.subgraph(big).copy()


def mosaic(G: nx.MultiDiGraph, rows: int, cols: int) -> nx.MultiDiGraph:
    xs = np.array([d["x"] for _, d in G.nodes(data=True)])
    ys = np.array([d["y"] for _, d in G.nodes(data=True)])
    w, h = xs.max() - xs.min() + 500.0, ys.max() - ys.min() + 500.0
    ids = list(G.nodes)
    east = [ids[i] for i in np.argsort(-xs)[:3]]
    west = [ids[i] for i in np.argsort(xs)[:3]]
    north = [ids[i] for i in np.argsort(-ys)[:3]]
    south = [ids[i] for i in np.argsort(ys)[:3]]
    M = nx.MultiDiGraph()
    off = 10**11

    def nid(node, r, c):
        return node + (r * cols + c + 1) * off

    for r in range(rows):
        for c in range(cols):
            M.add_nodes_from(
                (nid(n, r, c), {"x": d["x"] + c * w, "y": d["y"] + r * h})
                for n, d in G.nodes(data=True)
            )
            M.add_edges_from((nid(u, r, c), nid(v, r, c), d) for u, v, d in G.edges(data=True))
    for r in range(rows):
        for c in range(cols):
            pairs = []
            if c + 1 < cols:
                pairs += [(nid(a, r, c), nid(b, r, c + 1)) for a, b in zip(east, west, strict=True)]
            if r + 1 < rows:
                pairs += [
                    (nid(a, r, c), nid(b, r + 1, c)) for a, b in zip(north, south, strict=True)
                ]
            for a, b in pairs:
                dx = M.nodes[a]["x"] - M.nodes[b]["x"]
                dy = M.nodes[a]["y"] - M.nodes[b]["y"]
                L = math.hypot(dx, dy)
                M.add_edge(a, b, cost=L, length=L, highway="synthetic_join")
    return M


def nx_problem(G, terms, roots):
    """Simple undirected graph with min parallel cost, roots contracted into a super-root."""
    H = nx.Graph()
    for u, v, d in G.edges(data=True):
        if u != v and (not H.has_edge(u, v) or H[u][v]["cost"] > d["cost"]):
            H.add_edge(u, v, cost=d["cost"])
    terms = list(terms)
    if roots:
        H.add_edges_from((SUPER, r, {"cost": 0.0}) for r in roots)
        terms.append(SUPER)
    return H, terms


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="skip the mosaic and networkx kou")
    args = ap.parse_args()
    if not PBF.exists():
        print(f"SKIP: {PBF} not found")
        return
    G = load_graph()
    nodes = sorted(G.nodes)
    rng = random.Random(42)
    print(f"Liechtenstein driving graph: {G.number_of_nodes()} nodes, {G.number_of_edges()} edges")
    cases = [
        ("LI 150", G, rng.sample(nodes, 150), None, 4, True, True),
        ("LI 150 + 10 roots", G, rng.sample(nodes, 150), rng.sample(nodes, 10), 4, True, True),
        ("LI 500", G, rng.sample(nodes, 500), None, 4, True, False),
        ("LI 500 + 20 roots", G, rng.sample(nodes, 500), rng.sample(nodes, 20), 4, True, False),
        ("LI 2,000", G, rng.sample(nodes, 2000), None, 2, True, False),
        ("LI 5,000", G, rng.sample(nodes, 5000), None, 0, True, False),
        ("LI all nodes", G, nodes, None, 0, True, False),
    ]
    limits = {"mosaic 75% nodes": 90.0}  # local-search cap (s) so the run stays < 3 min
    if not args.quick:
        M = mosaic(G, 4, 4)
        mn = sorted(M.nodes)
        print(f"Mosaic 4x4: {M.number_of_nodes()} nodes, {M.number_of_edges()} edges")
        cases.append(
            ("mosaic 75% nodes", M, rng.sample(mn, int(0.75 * len(mn))), None, 0, True, False)
        )
    rows = []
    for name, g, terms, roots, restarts, run_mehl, run_kou in cases:
        if args.quick:
            run_kou = False
        T0, t_m, _ = measured(steiner_tree, g, terms, roots, "cost", False)
        T, t, mem = measured(
            steiner_tree,
            g,
            terms,
            roots,
            "cost",
            True,
            restarts=restarts,
            time_limit=limits.get(name, 120.0),
        )
        validate_tree(T, terms, roots)
        cost = tree_cost(T)
        row = {
            "name": name,
            "terms": len(set(terms)),
            "t": t,
            "mem": mem,
            "cost": cost,
            "mehl_only": tree_cost(T0),
            "t_mehl_only": t_m,
            "restarts": restarts,
        }
        (lb, info), t_lb, _ = measured(
            steiner_lower_bound, g, terms, roots, "cost", 300.0, full_output=True
        )
        row.update(lb=lb, t_lb=t_lb, exact=info["exact"])
        if run_mehl or run_kou:
            H, nterms = nx_problem(g, terms, roots)
        for method, run in (("mehlhorn", run_mehl), ("kou", run_kou)):
            if not run:
                continue
            R, tn, _ = measured(nx_steiner_tree, H, nterms, weight="cost", method=method)
            row[method] = (R.size(weight="cost"), tn)
        rows.append(row)
        print(f"  done {name}: {t:.2f} s, cost {cost:,.0f}", flush=True)

    print()
    print(
        "| instance | terminals | restarts | time (s) | peak RSS (MB) | cost (m) | "
        "Mehlhorn-only cost / time (speed-up vs nx) | vs nx mehlhorn: cost ratio, speed-up | "
        "vs nx kou: cost ratio, speed-up | lower bound (s) | ours / LB | nx mehlhorn / LB |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    gains, best = [], []
    for r in rows:
        cells = []
        speed = ""
        if "mehlhorn" in r:
            speed = f" ({r['mehlhorn'][1] / r['t_mehl_only']:.1f}x)"
        for m in ("mehlhorn", "kou"):
            if m in r:
                c, tn = r[m]
                cells.append(f"{r['cost'] / c:.4f}, {tn / r['t']:.1f}x (nx {tn:.1f} s)")
                gains.append(1 - r["cost"] / c)
            else:
                cells.append("skipped (networkx too slow)")
        nx_lb = "-"
        if "mehlhorn" in r:
            nx_lb = f"{r['mehlhorn'][0] / r['lb']:.4f}"
            best.append(1 - r["lb"] / r["mehlhorn"][0])
        opt = ", optimum" if r["exact"] else ""
        print(
            f"| {r['name']} | {r['terms']:,} | {r['restarts']} | {r['t']:.2f} | {r['mem']:.0f} | "
            f"{r['cost']:,.0f} | {r['mehl_only']:,.0f} / {r['t_mehl_only']:.2f} s{speed} | "
            f"{cells[0]} | {cells[1]} | {r['lb']:,.0f} ({r['t_lb']:.1f}{opt}) | "
            f"{r['cost'] / r['lb']:.5f} | {nx_lb} |"
        )
    if gains:
        print(
            f"\nMean cost reduction vs networkx (all compared runs): {100 * np.mean(gains):.2f}%;"
            f" worst: {100 * min(gains):.2f}%"
        )
    if best:
        print(
            f"Best possible reduction vs networkx mehlhorn (1 - LB/nx): mean "
            f"{100 * np.mean(best):.2f}%, max {100 * max(best):.2f}%"
        )


if __name__ == "__main__":
    main()
