"""Snap points (buildings, assets) to their nearest street edge with the position along it."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from shapely import STRtree

from planner.errors import EmptyAreaError

__all__ = ["Snap", "StreetEdges", "snap_point_geometry", "snap_points", "street_edges"]


@dataclass
class StreetEdges:
    """The street graph's edges, one per undirected street, as arrays for vectorised work.

    Attributes
    ----------
    u, v, key : ndarray
        The edge's id in the graph: ``G.edges[u, v, key]`` exists and its geometry runs from
        ``u`` to ``v``. Of the two directions of a two-way street the one with ``u < v`` is kept.
    u_idx, v_idx : ndarray of int
        Positions of ``u`` and ``v`` in :attr:`node_ids` (the CSR graph's node indices).
    geometry : ndarray of shapely.LineString
        Projected edge geometry, oriented from ``u`` to ``v``.
    length : ndarray of float
        Geometry length in metres (== the graph's ``length`` attribute).
    node_ids : ndarray
        Graph node id of every CSR node index.
    tree : shapely.STRtree
        Spatial index over :attr:`geometry`.
    """

    u: np.ndarray
    v: np.ndarray
    key: np.ndarray
    u_idx: np.ndarray
    v_idx: np.ndarray
    geometry: np.ndarray
    length: np.ndarray
    node_ids: np.ndarray
    tree: STRtree

    def __len__(self) -> int:
        return len(self.u)

    @property
    def n_nodes(self) -> int:
        """Number of street nodes."""
        return len(self.node_ids)


def street_edges(G: nx.MultiDiGraph) -> StreetEdges:
    """Collect a projected street graph's edges once per undirected street.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        osmnx-style projected graph whose edges have a ``geometry`` (see
        :func:`planner.city.streets.finish_graph`); edges without one get a straight segment.

    Returns
    -------
    StreetEdges

    Notes
    -----
    The two directions of a street are recognised as the same street by their end nodes and
    their length (to 1 cm); parallel streets between the same nodes with different lengths are
    kept apart. Edges whose geometry is drawn from ``v`` to ``u`` are reversed, so offsets are
    always measured from ``u``.
    """
    if G.number_of_edges() == 0:
        raise EmptyAreaError("the street graph has no edges")
    xs = nx.get_node_attributes(G, "x")
    ys = nx.get_node_attributes(G, "y")
    us, vs, ks, geoms = [], [], [], []
    for u, v, k, data in G.edges(keys=True, data=True):
        us.append(u)
        vs.append(v)
        ks.append(k)
        g = data.get("geometry")
        if g is None:
            g = shapely.LineString([(xs[u], ys[u]), (xs[v], ys[v])])
        geoms.append(g)
    geoms = np.asarray(geoms, dtype=object)
    length = shapely.length(geoms)
    frame = pd.DataFrame({"u": us, "v": vs, "key": ks, "i": np.arange(len(us))})
    swap = frame["u"].to_numpy() > frame["v"].to_numpy()
    frame["a"] = np.where(swap, frame["v"], frame["u"])
    frame["b"] = np.where(swap, frame["u"], frame["v"])
    frame["swap"] = swap
    frame["len_cm"] = np.round(length * 100).astype(np.int64)
    frame = frame.sort_values(["swap", "i"], kind="stable")
    frame = frame.drop_duplicates(["a", "b", "len_cm"], keep="first").sort_values("i")
    keep = frame["i"].to_numpy()
    geoms = geoms[keep]
    length = length[keep]
    u = frame["u"].to_numpy()
    v = frame["v"].to_numpy()
    # orient each geometry from u to v
    start = shapely.get_point(geoms, 0)
    ux = np.array([xs[n] for n in u])
    uy = np.array([ys[n] for n in u])
    vx = np.array([xs[n] for n in v])
    vy = np.array([ys[n] for n in v])
    sx, sy = shapely.get_x(start), shapely.get_y(start)
    backwards = np.hypot(sx - vx, sy - vy) < np.hypot(sx - ux, sy - uy)
    if backwards.any():
        geoms[backwards] = shapely.reverse(geoms[backwards])
    node_ids = np.asarray(list(G.nodes))
    index = pd.Index(node_ids)
    return StreetEdges(
        u=u,
        v=v,
        key=frame["key"].to_numpy(),
        u_idx=index.get_indexer(u),
        v_idx=index.get_indexer(v),
        geometry=geoms,
        length=length,
        node_ids=node_ids,
        tree=STRtree(geoms),
    )


@dataclass
class Snap:
    """Where points meet the street network (one entry per input point).

    Attributes
    ----------
    edge : ndarray of int
        Index into :class:`StreetEdges` (-1 when the point could not be snapped).
    offset : ndarray of float
        Distance along the edge from its ``u`` end to the snap point, metres.
    distance : ndarray of float
        Straight-line distance from the point to the snap point (the drop length), metres.
    ok : ndarray of bool
        The point was snapped (within ``max_distance`` and not empty).
    """

    edge: np.ndarray
    offset: np.ndarray
    distance: np.ndarray
    ok: np.ndarray

    def frame(self, edges: StreetEdges) -> pd.DataFrame:
        """Return one record per point: ``u``, ``v``, ``key``, ``offset_m``, ``snap_m``.

        ``u``, ``v``, ``key`` are Int64 (NA where not snapped), the others NaN there.
        """
        e = np.where(self.ok, self.edge, 0)
        return pd.DataFrame(
            {
                "u": pd.array(np.where(self.ok, edges.u[e], None), dtype="Int64"),
                "v": pd.array(np.where(self.ok, edges.v[e], None), dtype="Int64"),
                "key": pd.array(np.where(self.ok, edges.key[e], None), dtype="Int64"),
                "offset_m": np.where(self.ok, self.offset, np.nan),
                "snap_m": np.where(self.ok, self.distance, np.nan),
            }
        )


def snap_points(edges: StreetEdges, points: np.ndarray, max_distance: float | None = None) -> Snap:
    """Snap points to their nearest street edge, vectorised.

    Parameters
    ----------
    edges : StreetEdges
        From :func:`street_edges`.
    points : array of shapely.Point
        Points in the graph's CRS.
    max_distance : float, optional
        Points farther than this from every street are not snapped (``ok`` False).

    Returns
    -------
    Snap
        Ties between equally near edges go to the lowest edge index.
    """
    points = np.asarray(points, dtype=object)
    n = len(points)
    edge = np.full(n, -1, dtype=np.int64)
    offset = np.full(n, np.nan)
    dist = np.full(n, np.nan)
    valid = ~(shapely.is_missing(points) | shapely.is_empty(points))
    idx = np.flatnonzero(valid)
    idx = idx[_curve_order(points[idx])]  # neighbours query in turn: the tree stays in cache
    if len(idx):
        pairs, d = edges.tree.query_nearest(
            points[idx], max_distance=max_distance, return_distance=True, all_matches=True
        )
    if len(idx) and pairs.shape[1]:  # no pair at all: every point beyond max_distance
        # keep the first (lowest edge index) match per point
        order = np.lexsort((pairs[1], pairs[0]))
        pairs, d = pairs[:, order], d[order]
        first = np.r_[True, pairs[0, 1:] != pairs[0, :-1]]
        src = idx[pairs[0, first]]
        edge[src] = pairs[1, first]
        dist[src] = d[first]
        offset[src] = shapely.line_locate_point(edges.geometry[edge[src]], points[src])
        offset[src] = np.clip(offset[src], 0.0, edges.length[edge[src]])
    return Snap(edge=edge, offset=offset, distance=dist, ok=edge >= 0)


def _curve_order(points: np.ndarray) -> np.ndarray:
    """Order of ``points`` along a Hilbert curve over their total bounds.

    Each point's snap does not depend on the order points are queried in; querying
    neighbours one after the other only keeps the tree's nodes in the cache.
    """
    if len(points) < 2:
        return np.arange(len(points))
    codes = gpd.GeoSeries(points).hilbert_distance()
    return np.argsort(codes.to_numpy(), kind="stable")


def snap_point_geometry(edges: StreetEdges, snap: Snap) -> np.ndarray:
    """Return the snap points on the streets as shapely Points (None where not snapped)."""
    out = np.full(len(snap.edge), None, dtype=object)
    ok = snap.ok
    out[ok] = shapely.line_interpolate_point(edges.geometry[snap.edge[ok]], snap.offset[ok])
    return out
