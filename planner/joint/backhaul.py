"""Fibre backhaul of the sites: street distance to the plan's tree, joint vs separate routing."""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import shapely
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree
from shapely.ops import substring

from planner._csgraph import cheapest_edges, symmetric_csr
from planner.plan.result import SteinerInstance
from planner.steiner import steiner_tree

__all__ = [
    "BackhaulGraph",
    "Routing",
    "backhaul_graph",
    "node_coordinates",
    "joint_routing",
    "backhaul_lines",
    "nearest_nodes",
]


@dataclass
class BackhaulGraph:
    """Cost to the fibre network (plan tree or existing fibre) per street node, with paths."""

    nodes: list  #: graph node per CSR index
    index: dict  #: CSR index per graph node
    dist: np.ndarray  #: EUR to the nearest network node
    pred: np.ndarray  #: Dijkstra predecessor (-9999 at sources)


@dataclass
class Routing:
    """Trench cost of the homes-only plan, the joint plan and the separately routed backhaul."""

    homes_cost: float
    joint_cost: float
    separate_cost: float  #: homes tree + a separate tree from the sites to existing fibre
    backhaul_cost: float  #: joint - homes: what the sites add to the plan
    joint_tree: nx.Graph
    method: str  #: which construction gave the joint tree


def node_coordinates(G_city, node_ids: np.ndarray) -> np.ndarray:
    """``(n, 2)`` coordinates of the street nodes in CSR order."""
    xs = nx.get_node_attributes(G_city, "x")
    ys = nx.get_node_attributes(G_city, "y")
    return np.array([[xs[n], ys[n]] for n in node_ids], dtype=float).reshape(-1, 2)


def backhaul_graph(inst: SteinerInstance) -> BackhaulGraph:
    """One multi-source Dijkstra from the plan's tree nodes and roots over the costed streets."""
    nodes = list(inst.graph.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    edges = list(inst.graph.edges(data="cost"))
    u = np.array([index[a] for a, _, _ in edges], dtype=np.int64)
    v = np.array([index[b] for _, b, _ in edges], dtype=np.int64)
    w = np.array([float(c) for _, _, c in edges])
    lo, hi, ww, _ = cheapest_edges(u, v, w)
    csr = symmetric_csr(lo, hi, ww, len(nodes))
    src = sorted({index[n] for n in inst.roots} | {index[n] for n in inst.tree.nodes})
    dist, pred, _ = dijkstra(
        csr, directed=False, indices=src, min_only=True, return_predecessors=True
    )
    return BackhaulGraph(nodes=nodes, index=index, dist=dist, pred=pred)


def _tree_cost(G: nx.Graph, T: nx.Graph) -> float:
    return float(sum(G.edges[a, b]["cost"] for a, b in T.edges))


def joint_routing(
    inst: SteinerInstance, site_nodes: list[int], time_limit: float, restarts: int
) -> Routing:
    """Route homes and sites together; never dearer than homes plus separate backhaul.

    Three constructions over the same street graph: (a) the Steiner heuristic over homes and
    sites at once, (b) the plan's homes tree plus a Steiner forest from the sites to the tree
    and existing fibre (trench sharing after the fibre plan), (c) the homes tree plus a
    separate forest from the sites to existing fibre only (the baseline). (c) is feasible for
    the joint problem, so the cheapest of (a), (b) and the union of (c) is reported as joint.
    """
    G, terms, roots, T = inst
    homes = _tree_cost(G, T)
    sites = sorted(set(site_nodes) - set(terms))
    if not sites:
        return Routing(homes, homes, homes, 0.0, T, "homes tree")
    kw = {"weight": "cost", "time_limit": time_limit, "restarts": restarts}
    sep = steiner_tree(G, sites, roots=roots, **kw)
    union = nx.compose(T, sep)
    options = {"separate (union)": union}
    options["after the fibre plan"] = nx.compose(
        T, steiner_tree(G, sites, roots=list(roots) + list(T.nodes), **kw)
    )
    options["joint heuristic"] = steiner_tree(G, list(terms) + sites, roots=roots, **kw)
    costs = {k: _tree_cost(G, t) for k, t in options.items() if not t.graph.get("unreachable")}
    method = min(costs, key=costs.get) if costs else "separate (union)"
    joint = costs.get(method, homes + _tree_cost(G, sep))
    return Routing(
        homes_cost=homes,
        joint_cost=joint,
        separate_cost=homes + _tree_cost(G, sep),
        backhaul_cost=joint - homes,
        joint_tree=options[method],
        method=method,
    )


def backhaul_lines(
    bg: BackhaulGraph, G: nx.Graph, edge_geoms: np.ndarray, node: int
) -> tuple[shapely.Geometry | None, float]:
    """Street line and length (m) of the cheapest path from ``node`` to the network."""
    i = bg.index.get(node)
    if i is None or not np.isfinite(bg.dist[i]):
        return None, 0.0
    parts, length = [], 0.0
    while bg.pred[i] >= 0:
        j = int(bg.pred[i])
        data = G.edges[bg.nodes[i], bg.nodes[j]]
        eid = data.get("eid")
        if eid is not None and 0 <= int(eid) < len(edge_geoms):
            g = edge_geoms[int(eid)]
            a, b = float(data.get("a", 0.0)), float(data.get("b", g.length))
            parts.append(substring(g, a, b) if (a, b) != (0.0, g.length) else g)
            length += b - a
        i = j
    if not parts:
        return None, 0.0
    return shapely.line_merge(shapely.union_all(parts)), length


def nearest_nodes(node_xy: np.ndarray, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest street node (CSR index) of each point and the straight distance to it."""
    if len(node_xy) == 0:
        return np.zeros(len(xy), dtype=int), np.full(len(xy), np.inf)
    d, i = cKDTree(node_xy).query(xy)
    return i.astype(int), d
