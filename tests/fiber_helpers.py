"""Shared helpers for the fibre tests: cities, random assets and the networkx oracle."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely

from planner.fiber.snapping import street_edges

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "osm"


@lru_cache(maxsize=4)
def city(name: str = "helsinki"):
    os.environ.setdefault("PLANNER_CACHE_DIR", "/tmp/pcache-fiber-tests")
    from planner.city import load_city

    if name == "helsinki":
        return load_city(progress=False)
    return load_city(SHARED / f"{name}.osm.pbf", progress=False)


def random_assets(c, n: int, seed: int) -> gpd.GeoDataFrame:
    """Points near random positions along random streets (a few metres off the street)."""
    rng = np.random.default_rng(seed)
    edges = street_edges(c.graph)
    pick = rng.integers(0, len(edges), n)
    pts = shapely.line_interpolate_point(edges.geometry[pick], rng.random(n), normalized=True)
    pts = shapely.points(shapely.get_coordinates(pts) + rng.normal(0, 3, (n, 2)))
    return gpd.GeoDataFrame({"kind": ["olt"] * n}, geometry=pts, crs=c.crs)


def oracle_distances(G: nx.MultiDiGraph, premise_snaps, asset_snaps) -> np.ndarray:
    """Brute force: snap points inserted as nodes in a plain networkx copy, one Dijkstra per asset.

    ``*_snaps`` are DataFrames with ``u``, ``v``, ``key``, ``offset_m`` (NaN = not snapped).
    Returns the min over assets of the shortest-path length from each premise's snap point.
    """
    # a MultiGraph: a split self-loop u-p-u needs two parallel edges between u and p
    H = nx.MultiGraph()
    for u, v, d in G.edges(data=True):
        H.add_edge(u, v, weight=d["length"])
    points = {}
    for tag, frame in (("p", premise_snaps), ("a", asset_snaps)):
        for i, r in enumerate(frame.itertuples()):
            if r.offset_m != r.offset_m:
                continue
            points.setdefault((r.u, r.v, r.key), []).append((r.offset_m, (tag, i)))
    for (u, v, k), pts in points.items():
        length = G.edges[u, v, k]["length"]
        pts.sort()
        chain = [(0.0, u), *pts, (length, v)]
        for (o1, n1), (o2, n2) in zip(chain[:-1], chain[1:], strict=False):
            H.add_edge(n1, n2, weight=o2 - o1)
    best = np.full(len(premise_snaps), np.inf)
    for i in range(len(asset_snaps)):
        if ("a", i) not in H:
            continue
        lengths = nx.single_source_dijkstra_path_length(H, ("a", i), weight="weight")
        for j in range(len(premise_snaps)):
            d = lengths.get(("p", j))
            if d is not None and d < best[j]:
                best[j] = d
    return best
