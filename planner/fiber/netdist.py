"""Network distance along streets from many points to the nearest of many sources, in one pass."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components, dijkstra

from planner._csgraph import cheapest_edges, symmetric_csr
from planner.fiber.snapping import Snap, StreetEdges

__all__ = [
    "Sources",
    "concat_sources",
    "edge_clusters",
    "merge_intervals",
    "node_distances",
    "point_distances",
    "sources_from_lines",
    "sources_from_snaps",
    "street_csr",
]

#: Weight given to zero-length edges so scipy keeps them as edges (explicit zeros are dropped).
_EPS = 1e-9


def street_csr(edges: StreetEdges) -> sp.csr_matrix:
    """Build the undirected street graph as a symmetric CSR matrix of edge lengths (metres).

    Node ``i`` is ``edges.node_ids[i]``; parallel edges keep their shortest length.
    """
    lo, hi, w, _ = cheapest_edges(edges.u_idx, edges.v_idx, np.maximum(edges.length, _EPS))
    return symmetric_csr(lo, hi, w, edges.n_nodes)


@dataclass
class Sources:
    """Fibre on the street network as disjoint covered intervals of edges.

    A point asset is an interval of zero length; a fibre route covers an interval (often a
    whole edge). ``edge``, ``start`` and ``end`` are sorted by edge then start.
    """

    edge: np.ndarray
    start: np.ndarray
    end: np.ndarray

    def __len__(self) -> int:
        return len(self.edge)


def sources_from_snaps(snap: Snap) -> Sources:
    """Turn snapped point assets into zero-length source intervals."""
    ok = snap.ok
    return merge_intervals(snap.edge[ok], snap.offset[ok], snap.offset[ok])


def merge_intervals(edge: np.ndarray, start: np.ndarray, end: np.ndarray) -> Sources:
    """Merge overlapping intervals on the same edge into disjoint sorted intervals."""
    edge = np.asarray(edge, dtype=np.int64)
    start = np.asarray(start, dtype=float)
    end = np.asarray(end, dtype=float)
    if len(edge) == 0:
        return Sources(edge, start, end)
    order = np.lexsort((start, edge))
    edge, start, end = edge[order], start[order], end[order]
    # running max of ends within each edge group
    frame = pd.DataFrame({"e": edge, "end": end})
    run_end = frame.groupby("e")["end"].cummax().to_numpy()
    prev_end = np.r_[-np.inf, run_end[:-1]]
    new_group = np.r_[True, edge[1:] != edge[:-1]] | (start > prev_end)
    m_edge = edge[new_group]
    m_start = start[new_group]
    m_end = np.maximum.reduceat(end, np.flatnonzero(new_group))
    return Sources(m_edge, m_start, m_end)


def sources_from_lines(
    edges: StreetEdges, lines: np.ndarray, buffer_m: float, return_hits: bool = False
) -> Sources | tuple[Sources, np.ndarray]:
    """Map fibre route lines onto the street edges they follow.

    Parameters
    ----------
    edges : StreetEdges
        The street edges.
    lines : array of shapely (Multi)LineString
        Fibre routes in the graph's CRS.
    buffer_m : float
        Half-width of the corridor around a route; the parts of edges inside it are covered.
    return_hits : bool
        Also return a boolean per input line: its corridor meets at least one street edge.

    Returns
    -------
    Sources or (Sources, ndarray)
        For every edge meeting a route's buffer, each piece of the edge inside the buffer
        becomes an interval ``[start, end]`` (the along-edge positions of the piece's ends).
        A street crossing a route is thus covered only near the crossing, a street the route
        follows is covered along its whole shared length.
    """
    lines = np.asarray(lines, dtype=object)
    hits = np.zeros(len(lines), dtype=bool)
    valid = np.flatnonzero(~(shapely.is_missing(lines) | shapely.is_empty(lines)))
    lines = lines[valid]
    empty = merge_intervals([], [], [])
    if len(lines) == 0:
        return (empty, hits) if return_hits else empty
    buf = shapely.buffer(lines, buffer_m)
    li, ei = edges.tree.query(buf, predicate="intersects")
    hits[valid[li]] = True
    if len(ei) == 0:
        return (empty, hits) if return_hits else empty
    pieces = shapely.intersection(edges.geometry[ei], buf[li])
    parts, pidx = shapely.get_parts(pieces, return_index=True)
    e = ei[pidx]
    keep = shapely.get_type_id(parts) == 1  # LineStrings only (points touch the buffer)
    parts, e = parts[keep], e[keep]
    a = shapely.line_locate_point(edges.geometry[e], shapely.get_point(parts, 0))
    b = shapely.line_locate_point(edges.geometry[e], shapely.get_point(parts, -1))
    out = merge_intervals(e, np.minimum(a, b), np.maximum(a, b))
    return (out, hits) if return_hits else out


def concat_sources(*sources: Sources) -> Sources:
    """Combine several sets of source intervals."""
    return merge_intervals(
        np.concatenate([s.edge for s in sources]),
        np.concatenate([s.start for s in sources]),
        np.concatenate([s.end for s in sources]),
    )


def node_distances(csr: sp.csr_matrix, edges: StreetEdges, sources: Sources) -> np.ndarray:
    """Distance along streets from every street node to the nearest source, one Dijkstra pass.

    A super-source node is joined to both ends of every source interval's edge
    (weights ``start`` and ``length - end``) and :func:`scipy.sparse.csgraph.dijkstra` runs
    once from it. Nodes in components without a source get ``inf``.
    """
    n = csr.shape[0]
    if len(sources) == 0:
        return np.full(n, np.inf)
    s = n
    b = np.r_[edges.u_idx[sources.edge], edges.v_idx[sources.edge]]
    w = np.r_[sources.start, edges.length[sources.edge] - sources.end]
    best = np.full(n + 1, np.inf)
    np.minimum.at(best, b, np.maximum(w, _EPS))
    cols = np.flatnonzero(np.isfinite(best))
    indptr = np.r_[np.zeros(n + 1, dtype=np.int64), cols.size]
    extra = sp.csr_matrix((best[cols], cols, indptr), shape=(n + 1, n + 1))
    big = sp.bmat([[csr, None], [None, sp.csr_matrix((1, 1))]], format="csr")
    graph = (big + extra).tocsr()
    # big and extra never share an entry (row s of big is empty), so + does not sum weights
    dist = dijkstra(graph, directed=True, indices=s, min_only=True)
    return dist[:n]


def point_distances(
    edges: StreetEdges,
    node_dist: np.ndarray,
    sources: Sources,
    edge: np.ndarray,
    offset: np.ndarray,
) -> np.ndarray:
    """Distance along streets from points on edges to the nearest source.

    Parameters
    ----------
    edges : StreetEdges
        The street edges.
    node_dist : ndarray
        From :func:`node_distances`.
    sources : Sources
        The fibre intervals used for ``node_dist``.
    edge, offset : ndarray
        The points' edges (-1 for unsnapped, giving NaN) and along-edge offsets.

    Returns
    -------
    ndarray
        ``min(dist[u] + offset, dist[v] + length - offset)``, and, for points on an edge that
        carries a source, the exact along-edge distance to the nearest interval (0 inside one).
        ``inf`` when no source is reachable.
    """
    edge = np.asarray(edge, dtype=np.int64)
    offset = np.asarray(offset, dtype=float)
    out = np.full(len(edge), np.nan)
    ok = edge >= 0
    e, o = edge[ok], offset[ok]
    d = np.minimum(node_dist[edges.u_idx[e]] + o, node_dist[edges.v_idx[e]] + (edges.length[e] - o))
    if len(sources):
        d = np.minimum(d, _same_edge(sources, e, o))
    out[ok] = d
    return out


def _same_edge(src: Sources, e: np.ndarray, o: np.ndarray) -> np.ndarray:
    """Exact distance along the point's own edge to the nearest source interval on it."""
    res = np.full(len(e), np.inf)
    # intervals are sorted by (edge, start) and disjoint: the candidates are the last interval
    # starting at or before o and the first one starting after o, on the same edge
    lo = np.searchsorted(src.edge, e, side="left")
    hi = np.searchsorted(src.edge, e, side="right")
    has = hi > lo
    if not has.any():
        return res
    # position within the edge's block via a per-edge searchsorted on start
    pos = lo.copy()
    idx = np.flatnonzero(has)
    # combined key: edges are integers, starts and offsets lie in [0, max_len]; the scale
    # must exceed every start AND every query offset, or a query spills into the next edge
    scale = max(float(np.max(src.end)), float(np.max(o[idx]))) + 1.0
    keys = src.edge.astype(float) * scale + src.start
    qkey = e[idx].astype(float) * scale + o[idx]
    pos[idx] = np.searchsorted(keys, qkey, side="right")  # first interval starting after o
    for cand in (pos - 1, pos):
        c = np.clip(cand, 0, len(src.edge) - 1)
        valid = has & (cand >= lo) & (cand < hi)
        dd = np.maximum(0.0, np.maximum(src.start[c] - o, o - src.end[c]))
        res = np.where(valid, np.minimum(res, dd), res)
    return res


def edge_clusters(
    edges: StreetEdges, seed_edges: np.ndarray, bridge_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Group street edges into clusters: the seed edges plus short bridges, connected.

    Parameters
    ----------
    edges : StreetEdges
        The street edges.
    seed_edges : ndarray of int
        Edges that belong to a cluster (e.g. edges carrying gap or target premises).
    bridge_m : float
        Every edge no longer than this whose two end nodes both touch a seed edge joins too
        (short connecting streets without premises).

    Returns
    -------
    sel : ndarray of int
        The sorted edges of the cluster subgraph (seeds and bridges).
    labels : ndarray of int
        Connected-component label of every street node in that subgraph
        (:func:`scipy.sparse.csgraph.connected_components`); an edge's cluster is the label
        of its ``u_idx``.
    """
    seed = np.unique(np.asarray(seed_edges, dtype=np.int64))
    touched = np.zeros(edges.n_nodes, dtype=bool)
    touched[edges.u_idx[seed]] = True
    touched[edges.v_idx[seed]] = True
    bridge = np.flatnonzero(
        (edges.length <= bridge_m) & touched[edges.u_idx] & touched[edges.v_idx]
    )
    sel = np.union1d(seed, bridge)
    n = edges.n_nodes
    adj = sp.coo_matrix((np.ones(len(sel)), (edges.u_idx[sel], edges.v_idx[sel])), shape=(n, n))
    _, labels = connected_components(adj, directed=False)
    return sel, labels
