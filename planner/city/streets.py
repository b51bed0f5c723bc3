"""Build and project the osmnx-compatible street graph from raw OSM street segments."""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import shapely
from pyproj import CRS
from shapely import get_coordinates

from planner.city.model import graph_frames
from planner.city.simplify import simplified_gdfs
from planner.config.buildings import DEFAULT_HIGHWAY_TYPES
from planner.errors import EmptyAreaError

__all__ = [
    "canonical_value",
    "finish_graph",
    "graph_from_segments",
    "main_highway",
    "major_roads",
    "project_graph",
    "rebuilt",
]

#: Rank of each highway class (0 = most important) for :func:`main_highway`.
_HIGHWAY_RANK = {h: i for i, h in enumerate(DEFAULT_HIGHWAY_TYPES)}


def graph_from_segments(
    segments: gpd.GeoDataFrame, crs: CRS, method: str = "vectorised"
) -> nx.MultiDiGraph:
    """Build a simplified, projected osmnx graph from node-to-node street segments.

    Parameters
    ----------
    segments : GeoDataFrame
        One row per OSM way segment between consecutive nodes, with ``u``, ``v``, ``osmid``,
        ``highway`` and a WGS84 LineString (pyrosm's network output).
    crs : pyproj.CRS
        The projected CRS of the city.
    method : {"vectorised", "osmnx"}
        ``"vectorised"`` (default) simplifies with :func:`planner.city.simplify.simplified_gdfs`,
        which gives exactly the graph of ``"osmnx"`` (:func:`osmnx.simplify_graph` then
        :func:`osmnx.project_graph`) many times faster; it falls back to osmnx on a graph
        outside its preconditions.

    Returns
    -------
    networkx.MultiDiGraph
        Bidirectional, simplified (interstitial nodes removed, edge ``geometry`` kept),
        projected to ``crs``, with ``length`` in metres measured along the projected geometry.
    """
    if len(segments) == 0:
        raise EmptyAreaError("no streets of the configured classes in this area")
    if method not in ("vectorised", "osmnx"):
        raise ValueError(f"unknown street simplification method {method!r}")
    nodes, edges, attrs = _segment_tables(segments)
    tables = simplified_gdfs(nodes, edges, attrs) if method == "vectorised" else None
    if tables is None:
        G = ox.simplify_graph(_raw_graph(nodes, edges))
        return finish_graph(ox.project_graph(G, to_crs=crs))
    return _finished(*tables, crs)


def _segment_tables(segments: gpd.GeoDataFrame) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Node table (id -> x, y) and bidirectional edge table (u, v, key, tags) of the segments."""
    seg = segments.reset_index(drop=True)
    coords = get_coordinates(seg.geometry.values, return_index=True)
    pts, idx = coords
    first = np.searchsorted(idx, np.arange(len(seg)), side="left")
    last = np.searchsorted(idx, np.arange(len(seg)), side="right") - 1
    ends = pd.DataFrame(
        {
            "osmid": np.concatenate([seg["u"].to_numpy(), seg["v"].to_numpy()]),
            "x": np.concatenate([pts[first, 0], pts[last, 0]]),
            "y": np.concatenate([pts[first, 1], pts[last, 1]]),
        }
    ).drop_duplicates("osmid")
    nodes = ends.set_index("osmid")
    attrs = [
        c for c in ("osmid", "highway", "name", "oneway", "maxspeed", "lanes", "ref") if c in seg
    ]
    base = seg[["u", "v", *attrs]].copy()
    for col in attrs:
        base[col] = base[col].map(_hashable)
    rev = base.rename(columns={"u": "v", "v": "u"})
    edges = pd.concat([base, rev], ignore_index=True)
    edges = edges[edges["u"] != edges["v"]].drop_duplicates(["u", "v", "osmid"])
    edges["key"] = edges.groupby(["u", "v"]).cumcount()
    return nodes, edges, attrs


def _raw_graph(nodes: pd.DataFrame, edges: pd.DataFrame) -> nx.MultiDiGraph:
    """Build the unsimplified WGS84 street multigraph of the tables (the osmnx input)."""
    G = nx.MultiDiGraph(crs="epsg:4326", simplified=False)
    G.add_nodes_from(
        (n, {"x": r.x, "y": r.y}) for n, r in zip(nodes.index, nodes.itertuples(), strict=True)
    )
    records = edges.drop(columns=["u", "v", "key"]).to_dict("records")
    G.add_edges_from(
        (u, v, k, {a: val for a, val in rec.items() if val is not None and val == val})
        for u, v, k, rec in zip(edges["u"], edges["v"], edges["key"], records, strict=True)
    )
    return G


def _finished(
    gdf_nodes: gpd.GeoDataFrame, gdf_edges: gpd.GeoDataFrame, crs: CRS
) -> nx.MultiDiGraph:
    """Build the projected, finished graph of the simplified node and edge tables at once.

    The very graph (node, edge and predecessor order, attribute order, values and types)
    that :func:`osmnx.convert.graph_from_gdfs` of the tables projected to ``crs`` (as
    :func:`osmnx.project_graph` projects) then :func:`finish_graph` give, without building
    the intermediate graphs: ``graph_from_gdfs`` adds the edges in table order, so a node's
    place is its first appearance as an edge end, and the graph lists a node's edges by
    the first appearance of their head, then key.
    """
    nodes = gdf_nodes.to_crs(crs)
    edges = gdf_edges.to_crs(crs)
    pos = pd.Series(np.arange(len(nodes)), index=nodes.index)
    x, y = nodes.geometry.x.to_numpy(), nodes.geometry.y.to_numpy()
    u, v, k = (edges.index.get_level_values(i).to_numpy() for i in range(3))
    order = pd.unique(np.column_stack([u, v]).ravel())
    rank = pd.Series(np.arange(len(order)), index=order)
    pair = pd.DataFrame({"u": u, "v": v}).groupby(["u", "v"], sort=False).ngroup().to_numpy()
    sequence = np.lexsort((np.arange(len(u)), pair, rank[u].to_numpy()))
    records = _edge_records(edges, (x, y), (pos[u].to_numpy(), pos[v].to_numpy()))
    at = pos[order].to_numpy()
    ids, heads, keys = u.tolist(), v.tolist(), k.tolist()
    xs, ys = x[at].tolist(), y[at].tolist()
    G = rebuilt(
        {"crs": nodes.crs, "simplified": True},
        ((n, {"x": xs[i], "y": ys[i]}) for i, n in enumerate(order.tolist())),
        ((ids[i], heads[i], keys[i], records[i]) for i in sequence.tolist()),
    )
    nx.set_node_attributes(G, ox.stats.count_streets_per_node(G), name="street_count")
    return G


def _edge_records(edges: gpd.GeoDataFrame, xy: tuple, ends: tuple) -> list[dict]:
    """Each edge's finished attribute dict, in table order (see :func:`finish_graph`).

    Null values are left out as :func:`osmnx.convert.graph_from_gdfs` leaves them out; a
    missing geometry is the straight segment between the end nodes.
    """
    columns = edges.columns.to_list()
    present = edges.notna().to_numpy()
    records = [
        {c: val for c, val, ok in zip(columns, row, keep, strict=True) if ok}
        for row, keep in zip(edges.to_numpy(), present, strict=True)
    ]
    missing = [i for i, rec in enumerate(records) if "geometry" not in rec]
    (x, y), (a, b) = xy, ends
    if missing:
        at = np.array(missing, dtype=np.int64)
        ax, ay, bx, by = x[a[at]], y[a[at]], x[b[at]], y[b[at]]
        lines = shapely.linestrings(np.stack([np.stack([ax, ay], 1), np.stack([bx, by], 1)], 1))
        for i, line in zip(missing, lines, strict=True):
            records[i]["geometry"] = line
    lengths = shapely.length([rec["geometry"] for rec in records]).tolist()
    for rec, length in zip(records, lengths, strict=True):
        _tidy(rec)
        rec["length"] = length
    return records


def _hashable(value: object) -> object:
    if isinstance(value, list | np.ndarray):
        return ";".join(str(v) for v in value)
    return value


def project_graph(G: nx.MultiDiGraph, crs: CRS) -> nx.MultiDiGraph:
    """Project an unprojected osmnx graph (from XML or Overpass) and finish it."""
    G = ox.project_graph(G, to_crs=crs)
    return finish_graph(G)


def finish_graph(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Give edges ``geometry``, ``length`` and a scalar ``highway``; nodes ``street_count``.

    Isolated nodes are dropped. ``street_count`` is what osmnx's own loaders add, so functions
    such as :func:`osmnx.basic_stats` work on the graph.

    Notes
    -----
    :func:`osmnx.simplify_graph` gives a merged edge whose segments differ in a tag the list
    ``list(set(values))``, whose order for strings follows ``PYTHONHASHSEED``. Such lists are
    put in a fixed order (:func:`canonical_value`) and the edge's ``highway`` is the most
    important class of the list (:func:`main_highway`), so the graph is the same in every run.
    """
    xs = nx.get_node_attributes(G, "x")
    ys = nx.get_node_attributes(G, "y")
    from shapely.geometry import LineString

    for u, v, data in G.edges(data=True):
        if "geometry" not in data:
            data["geometry"] = LineString([(xs[u], ys[u]), (xs[v], ys[v])])
        _tidy(data)
        data["length"] = float(data["geometry"].length)
    G.remove_nodes_from(list(nx.isolates(G)))
    nx.set_node_attributes(G, ox.stats.count_streets_per_node(G), name="street_count")
    return rebuilt(G.graph, G.nodes(data=True), G.edges(keys=True, data=True))


def _tidy(data: dict) -> None:
    """Put list tag values in a fixed order and make ``highway`` scalar, in place."""
    for key, value in data.items():
        if isinstance(value, list):
            data[key] = canonical_value(value)
    hw = data.get("highway")
    if isinstance(hw, list):
        data["highway"] = main_highway(hw)


def rebuilt(graph: dict, nodes: Iterable, edges: Iterable) -> nx.MultiDiGraph:
    """Build a graph from attributes, ``(node, data)`` and ``(u, v, key, data)`` in order.

    Adding the nodes, then the edges, in a graph's own iteration order gives the same node,
    successor and edge order and a predecessor order that follows it; a street graph is
    always built this way, so one read back from its node and edge tables is identical.
    """
    G = nx.MultiDiGraph()
    G.graph.update(graph)
    G.add_nodes_from(nodes)
    G.add_edges_from(edges)
    return G


def canonical_value(values: list) -> list:
    """Return a list tag value in a fixed order: strings sorted, other lists unchanged.

    Lists of numbers or booleans (``osmid``, ``reversed``) come out of :func:`osmnx.simplify_graph`
    in an order that does not depend on the hash seed and are kept as they are.
    """
    if not any(isinstance(x, str) for x in values):
        return values
    return sorted(set(values), key=lambda x: (type(x).__name__, str(x)))


def main_highway(values: list) -> str:
    """Return the most important highway class of a list (motorway first ... track last).

    Importance follows :data:`planner.config.buildings.DEFAULT_HIGHWAY_TYPES`; classes not in it
    come after, alphabetically.
    """
    return min(values, key=lambda h: (_HIGHWAY_RANK.get(h, len(_HIGHWAY_RANK)), str(h)))


def major_roads(G: nx.MultiDiGraph, classes: list[str]) -> gpd.GeoDataFrame:
    """Return the graph edges whose ``highway`` class is in ``classes`` (one row per street)."""
    edges = graph_frames(G)[1]
    edges = edges[edges["highway"].isin(classes)].reset_index()
    edges = edges[edges["u"] < edges["v"]]
    out = edges[["highway", "geometry"]].copy()
    out["kind"] = "major_road"
    out["name"] = edges["name"].astype("string") if "name" in edges else None
    return gpd.GeoDataFrame(out.reset_index(drop=True), geometry="geometry", crs=edges.crs)
