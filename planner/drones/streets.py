"""Streets-mode routing: hub routes above the street graph, edges costed by ground risk."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree
from shapely.geometry import LineString

from planner._csgraph import cheapest_edges, symmetric_csr
from planner._raster import Grid
from planner.config.drones import DroneConfig
from planner.drones.airspace import Airspace, FlightRules, blocking_geometries
from planner.drones.grid import raster_values
from planner.drones.hubs import HubSet
from planner.drones.lattice import route_hubs
from planner.drones.links import PairRule
from planner.drones.metrics import sample_lines
from planner.drones.network import Network, Weighting
from planner.drones.risk import GroundRisk
from planner.errors import AnalysisError

if TYPE_CHECKING:
    from planner.city import City

__all__ = ["StreetGeometry", "StreetGraph", "route_streets", "street_graph"]

#: Node pair ``(p, q)``, p < q -> index of the cheapest edge between them.
EdgeIndex = dict[tuple[int, int], int]


@dataclass
class StreetGraph:
    """The street graph as arrays: node coordinates and the (u, v) edges with geometry."""

    x: np.ndarray  #: node x
    y: np.ndarray  #: node y
    u: np.ndarray  #: first node of each edge
    v: np.ndarray  #: second node of each edge
    length: np.ndarray  #: edge length (m)
    geoms: np.ndarray  #: edge line, drawn from u to v


@dataclass
class _CostGraph:
    graph: sparse.csr_matrix  #: symmetric graph of the cheapest usable edges
    edge_of: EdgeIndex  #: which street edge each graph edge stands for


@dataclass
class StreetGeometry:
    """Lines along the street edges a path uses."""

    streets: StreetGraph
    edge_of: EdgeIndex  #: edges of the risk-aware graph
    edge_of0: EdgeIndex  #: edges of the shortest (tie-break) graph

    def line(self, seq: np.ndarray) -> LineString:
        """Return the line along the risk-aware graph's edges of a path."""
        return self._line(seq, self.edge_of)

    def shortest_line(self, seq: np.ndarray) -> LineString:
        """Return the line along the shortest graph's edges of a path."""
        return self._line(seq, self.edge_of0)

    def segments(self, pairs: np.ndarray) -> np.ndarray:
        """Return the street edge line of each row of adjacent node pairs."""
        geoms = self.streets.geoms
        return np.array([geoms[self.edge_of[(int(p), int(q))]] for p, q in pairs], dtype=object)

    def _line(self, seq: np.ndarray, edge_of: EdgeIndex) -> LineString:
        s = self.streets
        coords = [(s.x[seq[0]], s.y[seq[0]])]
        for p, q in zip(seq[:-1], seq[1:], strict=True):
            e = edge_of[(min(p, q), max(p, q))]
            c = list(s.geoms[e].coords)
            if s.u[e] != p:
                c = c[::-1]
            coords.extend(c[1:])
        if len(coords) == 1:
            coords.append(coords[0])
        return LineString(coords)


def street_graph(graph: nx.MultiDiGraph) -> StreetGraph:
    """Return the street graph's nodes and non-loop edges as arrays.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        The city's projected osmnx street graph.

    Returns
    -------
    StreetGraph
        Node coordinates, edges as node positions, lengths and geometries (osmnx fills
        straight geometries; a missing length is the geometry's).
    """
    nodes = pd.Index(list(graph.nodes))
    x = np.array([v for _, v in graph.nodes(data="x")], dtype=float)
    y = np.array([v for _, v in graph.nodes(data="y")], dtype=float)
    if graph.number_of_edges() == 0:
        empty = np.zeros(0, dtype=np.int64)
        return StreetGraph(x, y, empty, empty, np.zeros(0), np.zeros(0, dtype=object))
    edges = ox.graph_to_gdfs(graph, nodes=False, fill_edge_geometry=True).reset_index()
    edges = edges[edges["u"] != edges["v"]]
    geoms = edges.geometry.to_numpy()
    lens = edges["length"].to_numpy(float) if "length" in edges else shapely.length(geoms)
    lens = np.where(np.isnan(lens), shapely.length(geoms), lens)
    u = nodes.get_indexer(edges["u"])
    v = nodes.get_indexer(edges["v"])
    return StreetGraph(x, y, u, v, lens, np.asarray(geoms, dtype=object))


def route_streets(
    city: City,
    cfg: DroneConfig,
    hubs: HubSet,
    space: Airspace,
    rules: FlightRules,
    people: GroundRisk,
    weights: Weighting,
) -> Network:
    """Route every hub pair along street edges that keep out of no-fly zones.

    Hubs snap to the nearest usable street node (preferring the main connected network)
    within ``street_snap_m``; farther ones become infeasible, and automatic hubs sharing a
    node are dropped.

    Parameters
    ----------
    city : City
        The loaded city (street graph).
    cfg : DroneConfig
        The drones configuration (``street_snap_m``, ``hubs``).
    hubs : HubSet
        The placed hubs.
    space : Airspace
        Zones and obstacles; edges crossing them grown by the margin are not used.
    rules : FlightRules
        Band top and lateral margin.
    people : GroundRisk
        The routing risk sampled along each edge.
    weights : Weighting
        The risk weight and the tie-break weight.

    Returns
    -------
    Network
        Routes, shortest routes and the hubs as placed on the street nodes.
    """
    streets = street_graph(city.graph)
    if len(streets.u) == 0:
        raise AnalysisError("the street graph has no edges")
    bad = blocking_geometries(space.nofly, space.obstacles, rules.top_m, rules.margin_m)
    ok = _usable_edges(streets, bad.geometry.to_numpy())
    mean_r = _mean_edge_risk(streets, people.risk, people.grid)
    costs = {w: _cost_graph(streets, ok, mean_r, w) for w in (weights.weight, weights.tiebreak)}
    usable = np.zeros(len(streets.x), dtype=bool)
    usable[streets.u[ok]] = True
    usable[streets.v[ok]] = True
    snap = _snap_hubs(cfg, hubs, streets, usable, costs[weights.tiebreak].graph)
    graph, graph0 = costs[weights.weight].graph, costs[weights.tiebreak].graph
    routes = route_hubs(graph, snap.nodes)
    short = route_hubs(graph0, snap.nodes) if weights.weight > 0 else routes
    label = csgraph.connected_components(graph0, directed=False)[1]
    pairs, link_rule = PairRule.of(cfg).pairs(snap.hubs, snap.routable, label[snap.nodes])
    return Network(
        hubs=snap.hubs,
        routable=snap.routable,
        nodes=snap.nodes,
        routes=routes,
        shortest=short,
        pair_weight=None,
        component_size=np.bincount(label)[label[snap.nodes]],
        geometry=StreetGeometry(
            streets, costs[weights.weight].edge_of, costs[weights.tiebreak].edge_of
        ),
        messages=snap.messages,
        pairs=pairs,
        link_rule=link_rule,
    )


def _usable_edges(streets: StreetGraph, bad_geoms: np.ndarray) -> np.ndarray:
    """Edges that touch no blocking geometry."""
    ok = np.ones(len(streets.u), dtype=bool)
    if len(bad_geoms):
        tree = shapely.STRtree(np.asarray(bad_geoms, dtype=object))
        hit = tree.query(streets.geoms, predicate="intersects")
        ok[np.unique(hit[0])] = False
    return ok


def _mean_edge_risk(streets: StreetGraph, risk: np.ndarray, grid: Grid) -> np.ndarray:
    """Mean routing risk along each edge, sampled once per cell length."""
    n = len(streets.u)
    x, y, owner, _ = sample_lines(streets.geoms, grid.resolution)
    r = raster_values(risk, grid.transform, x, y)
    return np.bincount(owner, weights=r, minlength=n) / np.bincount(owner, minlength=n)


def _cost_graph(
    streets: StreetGraph, ok: np.ndarray, mean_r: np.ndarray, weight: float
) -> _CostGraph:
    """Graph of the cheapest usable edge per node pair at cost ``length × (1 + w × risk)``."""
    c = streets.length * (1.0 + weight * mean_r)
    a, b, cc, kept = cheapest_edges(streets.u[ok], streets.v[ok], c[ok])
    eidx = np.flatnonzero(ok)[kept]
    g = symmetric_csr(a, b, cc, len(streets.x))
    return _CostGraph(g, {(int(p), int(q)): int(e) for p, q, e in zip(a, b, eidx, strict=True)})


@dataclass
class _Snapped:
    hubs: gpd.GeoDataFrame
    routable: gpd.GeoDataFrame
    nodes: np.ndarray
    messages: list[str]


def _snap_hubs(
    cfg: DroneConfig,
    hubs: HubSet,
    streets: StreetGraph,
    usable: np.ndarray,
    graph0: sparse.csr_matrix,
) -> _Snapped:
    """Put each routable hub on a usable street node.

    No-fly zones cut streets into pieces, and a hub snapped to a cut-off piece could reach
    no other hub: a hub moves to the main airway network when that is within
    ``street_snap_m``.
    """
    cand = np.flatnonzero(usable)
    if cand.size == 0:
        raise AnalysisError("every street edge crosses a no-fly zone or tall obstacle")
    ok_hubs = hubs.routable
    hub_xy = np.column_stack([ok_hubs.geometry.x, ok_hubs.geometry.y])
    d, k = cKDTree(np.column_stack([streets.x[cand], streets.y[cand]])).query(hub_xy)
    nodes = cand[k]
    _, label = csgraph.connected_components(graph0, directed=False)
    main = cand[label[cand] == np.bincount(label[cand]).argmax()]
    d_main, k_main = cKDTree(np.column_stack([streets.x[main], streets.y[main]])).query(hub_xy)
    to_main = (d_main <= cfg.street_snap_m) & (label[nodes] != label[main[0]])
    nodes[to_main], d[to_main] = main[k_main[to_main]], d_main[to_main]
    far = d > cfg.street_snap_m
    dup = pd.Series(nodes).duplicated().to_numpy() & (not cfg.hubs)
    messages = [
        f"hub {ok_hubs['name'].iloc[h]!r} has no usable street within "
        f"{cfg.street_snap_m:g} m (nearest {d[h]:.0f} m)"
        for h in np.flatnonzero(far)
    ]
    all_hubs = hubs.hubs.copy()
    all_hubs.loc[all_hubs["name"].isin(ok_hubs["name"][far]), "feasible"] = False
    all_hubs = all_hubs[~all_hubs["name"].isin(ok_hubs["name"][dup & ~far])]
    keep = ~far & ~dup
    ok_hubs, nodes = ok_hubs[keep].reset_index(drop=True), nodes[keep]
    ok_hubs["snapped_m"] = ok_hubs["snapped_m"] + d[keep]
    ok_hubs["geometry"] = gpd.points_from_xy(streets.x[nodes], streets.y[nodes])
    return _Snapped(all_hubs, ok_hubs, nodes, messages)
