"""Vectorised street-graph simplification giving exactly :func:`osmnx.simplify_graph`'s graph."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

__all__ = ["endpoint_mask", "simplified_gdfs"]


def endpoint_mask(u: np.ndarray, v: np.ndarray, n: int) -> np.ndarray:
    """Return osmnx's "true endpoint" rules 1-3 for nodes ``0..n-1`` of a directed multigraph.

    A node is an endpoint when it self-loops, has no in- or no out-edge, or does not have
    exactly two neighbours with 2 or 4 incident edges (``osmnx.simplification._is_endpoint``
    without the optional node/edge attribute rules).
    """
    out = np.bincount(u, minlength=n)
    inn = np.bincount(v, minlength=n)
    loop = np.zeros(n, dtype=bool)
    loop[u[u == v]] = True
    a, b = np.minimum(u, v), np.maximum(u, v)
    pair = np.unique(a[a != b].astype(np.int64) * n + b[a != b])
    nb = np.bincount(pair // n, minlength=n) + np.bincount(pair % n, minlength=n)
    deg = out + inn
    return loop | (out == 0) | (inn == 0) | ~((nb == 2) & ((deg == 2) | (deg == 4)))


def simplified_gdfs(
    nodes: pd.DataFrame, edges: pd.DataFrame, attrs: list[str]
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame] | None:
    """Simplify a bidirectional street multigraph given as tables, as osmnx would.

    Parameters
    ----------
    nodes : DataFrame
        Index = node id, columns ``x``, ``y`` (WGS84), in the graph's node order.
    edges : DataFrame
        Columns ``u``, ``v``, ``key`` and ``attrs`` (missing = None/NaN), in the graph's edge
        insertion order; no self-loops.
    attrs : list of str
        The edge attribute columns.

    Returns
    -------
    (nodes, edges) GeoDataFrames or None
        What ``osmnx.graph_to_gdfs(osmnx.simplify_graph(G), fill_edge_geometry=False)`` gives
        for the graph ``G`` these tables describe (same rows, order, keys, values and column
        order), or None when an interstitial node does not have exactly one edge each way to
        each of its two neighbours (the caller then uses osmnx itself).

    Notes
    -----
    Interstitial (non-endpoint) nodes are chained by pointer doubling over directed edges
    (each edge into an interstitial node continues with the edge out of it to its other
    neighbour), so the work is O(E log L) in numpy for chains of length L. The merged edges
    are added in osmnx's order (osmnx walks its endpoints in the order of a Python set, but
    only the order of one endpoint's merged edges matters, and that is its adjacency order),
    which fixes the edge keys and the graph's edge order.
    """
    ids = nodes.index
    n = len(ids)
    u = ids.get_indexer(edges["u"])
    v = ids.get_indexer(edges["v"])
    end = endpoint_mask(u, v, n)
    nxt = _next_edges(u, v, end, n)
    if nxt is None:
        return None
    root, depth = _chain_roots(nxt, ~end[v])
    start = np.flatnonzero(end[u] & ~end[v])
    chains = _merged_edges(nodes, edges, attrs, (u, v, root, depth), start)
    kept = np.flatnonzero(end[u] & end[v])
    table = _edge_order(u, v, edges["key"].to_numpy(), kept, (start, root), len(edges))
    keep_node = end & ~_ringless(table, end, n)
    table = table[keep_node[table["U"].to_numpy()]]
    records = _records(edges, attrs, kept, chains, table)
    gdf_edges = gpd.GeoDataFrame(records)
    if "geometry" not in gdf_edges.columns:
        gdf_edges = gdf_edges.set_geometry([None] * len(gdf_edges))
    gdf_edges = gdf_edges.set_crs("epsg:4326")
    gdf_edges["u"] = ids[table["U"].to_numpy()].to_numpy()
    gdf_edges["v"] = ids[table["V"].to_numpy()].to_numpy()
    gdf_edges["key"] = table["key"].to_numpy()
    gdf_edges = gdf_edges.set_index(["u", "v", "key"])
    kept_nodes = nodes[keep_node]
    gdf_nodes = gpd.GeoDataFrame(
        kept_nodes[["x", "y"]],
        crs="epsg:4326",
        geometry=gpd.points_from_xy(kept_nodes["x"], kept_nodes["y"]),
    )
    gdf_nodes.index = gdf_nodes.index.rename("osmid")
    return gdf_nodes, gdf_edges


def _next_edges(u: np.ndarray, v: np.ndarray, end: np.ndarray, n: int) -> np.ndarray | None:
    """For each edge into an interstitial node, the edge out of it to its other neighbour."""
    E = len(u)
    inter = ~end
    tail = np.flatnonzero(inter[u])
    keys = u[tail].astype(np.int64) * n + v[tail]
    if len(np.unique(keys)) != len(keys) or np.any(np.bincount(u[tail], minlength=n)[inter] != 2):
        return None
    head = np.flatnonzero(inter[v])
    hkeys = u[head].astype(np.int64) * n + v[head]
    if len(np.unique(hkeys)) != len(hkeys) or np.any(np.bincount(v[head], minlength=n)[inter] != 2):
        return None
    order = np.argsort(u[tail], kind="stable")
    pair_sum = np.zeros(n, dtype=np.int64)
    np.add.at(pair_sum, u[tail[order]], v[tail[order]])
    nxt = np.arange(E)
    hi = head
    other = pair_sum[v[hi]] - u[hi]
    want = v[hi].astype(np.int64) * n + other
    sorter = np.argsort(keys)
    pos = np.searchsorted(keys, want, sorter=sorter)
    pos = np.minimum(pos, len(keys) - 1)
    found = sorter[pos]
    if np.any(keys[found] != want):
        return None
    nxt[hi] = tail[found]
    return nxt


def _chain_roots(nxt: np.ndarray, moves: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pointer doubling: each edge's last edge along its chain and its number of steps to it."""
    jump = nxt.copy()
    depth = moves.astype(np.int64)
    for _ in range(int(np.ceil(np.log2(len(nxt) + 1))) + 1):
        depth = depth + depth[jump]
        jump = jump[jump]
    return jump, depth


def _merged_edges(
    nodes: pd.DataFrame, edges: pd.DataFrame, attrs: list[str], walk: tuple, start: np.ndarray
) -> list[dict]:
    """Attribute dicts of the merged edges, one per chain start edge, as osmnx builds them."""
    u, v, root, depth = walk
    K = len(start)
    chain_of = np.full(len(u), -1, dtype=np.int64)
    chain_of[root[start]] = np.arange(K)
    k_of = chain_of[root]
    mem = np.flatnonzero(k_of >= 0)
    mem = mem[np.lexsort((-depth[mem], k_of[mem]))]
    kk = k_of[mem]
    counts = np.bincount(kk, minlength=K)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    seq = np.insert(u[mem], np.cumsum(counts), v[root[start]])
    lines = shapely.linestrings(
        nodes["x"].to_numpy()[seq],
        nodes["y"].to_numpy()[seq],
        indices=np.repeat(np.arange(K), counts + 1),
    )
    table = edges[attrs].iloc[mem].reset_index(drop=True)
    per_col = [_merged_column(table[col], kk, first, K) for col in attrs]
    out = []
    for k in range(K):
        items = sorted((pc[0][k], c) for c, pc in enumerate(per_col) if pc[0][k] >= 0)
        rec = {attrs[c]: per_col[c][1][k] for _, c in items}
        rec["geometry"] = lines[k]
        out.append(rec)
    return out


def _merged_column(s: pd.Series, kk: np.ndarray, first: np.ndarray, K: int) -> tuple:
    """One attribute over every chain: first position present (-1 = absent) and merged value.

    The value is the path's single distinct value, else ``list(set(values))`` in path order,
    as :func:`osmnx.simplify_graph` keeps it.
    """
    present = s.notna().to_numpy()
    M = len(s)
    rows = pd.Series(np.where(present, np.arange(M), M)).groupby(kk).min().to_numpy()
    has = rows < M
    pos = np.where(has, rows - first, -1)
    values = s.to_numpy(dtype=object)
    merged = np.empty(K, dtype=object)
    merged[has] = values[rows[has]]
    nunique = s.groupby(kk).nunique().to_numpy()
    multi = np.flatnonzero(nunique > 1)
    if len(multi):
        sel = np.isin(kk, multi) & present
        groups = pd.Series(values[sel]).groupby(kk[sel], sort=True)
        for k, vals in groups:
            merged[k] = list(set(vals.tolist()))
    return pos, merged


def _edge_order(
    u: np.ndarray, v: np.ndarray, key: np.ndarray, kept: np.ndarray, chains: tuple, E: int
) -> pd.DataFrame:
    """Return the simplified edges in graph order: ``U``, ``V``, ``key``, ``src``, ``chain``.

    Kept edges keep their key and their place in the tail's adjacency; a merged edge goes to
    its head's existing place when the tail already had an edge to it, else after them in
    the order the merged edges were added, with the next free keys.
    """
    start, root = chains
    K = len(start)
    df = pd.DataFrame(
        {
            "U": np.concatenate([u[kept], u[start]]),
            "V": np.concatenate([v[kept], v[root[start]]]),
            "new": np.concatenate([np.zeros(len(kept), int), np.ones(K, int)]),
            "ord": np.concatenate([kept, np.arange(K)]),
            "key": np.concatenate([key[kept], np.zeros(K, int)]).astype(np.int64),
            "src": np.concatenate([kept, np.full(K, -1)]),
            "chain": np.concatenate([np.full(len(kept), -1), np.arange(K)]),
        }
    )
    pair = [df["U"], df["V"]]
    old = df["new"] == 0
    m = old.groupby(pair).transform("sum")
    kmin = df["ord"].where(old).groupby(pair).transform("min")
    nmin = df["ord"].where(~old).groupby(pair).transform("min")
    df["vpos"] = np.where(m > 0, kmin, E + nmin)
    newk = df.loc[~old].groupby(["U", "V"]).cumcount()
    df.loc[~old, "key"] = (m[~old] + newk).astype(np.int64)
    return df.sort_values(["U", "vpos", "new", "ord"], kind="stable").reset_index(drop=True)


def _ringless(table: pd.DataFrame, end: np.ndarray, n: int) -> np.ndarray:
    """Nodes whose simplified component has no endpoint (osmnx's ``remove_rings``)."""
    U, V = table["U"].to_numpy(), table["V"].to_numpy()
    e2 = endpoint_mask(U, V, n) & end
    graph = coo_matrix((np.ones(len(U)), (U, V)), shape=(n, n))
    ncomp, lab = connected_components(graph, directed=True, connection="weak")
    has = np.bincount(lab, weights=e2.astype(float), minlength=ncomp) > 0
    return ~has[lab]


def _records(
    edges: pd.DataFrame, attrs: list[str], kept: np.ndarray, chains: list, table: pd.DataFrame
) -> list[dict]:
    """Each simplified edge's attribute dict, in ``table`` order."""
    raw = edges[attrs].iloc[kept].to_dict("records")
    raw = [{a: x for a, x in rec.items() if x is not None and x == x} for rec in raw]
    at = np.full(len(edges), -1, dtype=np.int64)
    at[kept] = np.arange(len(kept))
    src = table["src"].to_numpy()
    return [
        chains[c] if c >= 0 else raw[at[s]]
        for s, c in zip(src.tolist(), table["chain"].to_numpy().tolist(), strict=True)
    ]
