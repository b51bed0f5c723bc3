"""Build cost of every street edge: trench or aerial per metre, duct reuse, street crossings."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TypedDict

import geopandas as gpd
import networkx as nx
import numpy as np
from pyproj import CRS

from planner.city import City
from planner.config.fiber import FiberConfig
from planner.config.plan import PlanConfig
from planner.fiber import FiberNetwork
from planner.fiber.netdist import sources_from_lines
from planner.fiber.snapping import StreetEdges
from planner.plan.ducts import duct_length_m, ducts_in_crs, gather_ducts

log = logging.getLogger(__name__)

__all__ = ["EdgeCosts", "StreetPrices", "edge_costs", "price_streets", "street_highways"]


class EdgeCosts(TypedDict):
    """Per street edge (aligned with ``FiberNetwork.edges``), returned by :func:`edge_costs`."""

    highway: np.ndarray
    highway_missing: np.ndarray
    unit: np.ndarray
    per_m: np.ndarray
    crossings: np.ndarray
    duct_m: np.ndarray
    cost: np.ndarray


def street_highways(graph: nx.MultiDiGraph, edges: StreetEdges) -> tuple[np.ndarray, np.ndarray]:
    """OSM ``highway`` of every edge (first of a list) and whether it was missing.

    Edges without the tag are costed as ``unclassified`` (planner assumption: a minor public
    road, residential trench cost); their number is reported in the plan summary.
    """
    out = np.empty(len(edges), dtype=object)
    missing = np.zeros(len(edges), dtype=bool)
    for i, (u, v, k) in enumerate(zip(edges.u, edges.v, edges.key, strict=True)):
        h = graph.edges[u, v, k].get("highway")
        if h is None:
            missing[i] = True
            h = "unclassified"
        out[i] = h[0] if isinstance(h, list) else str(h)
    return out, missing


def _duct_lengths(
    edges: StreetEdges, ducts: gpd.GeoDataFrame | None, crs: CRS, buffer_m: float
) -> np.ndarray:
    """Length of every street edge inside the ``buffer_m`` corridor of a duct."""
    duct_m = np.zeros(len(edges))
    if ducts is None or not len(ducts):
        return duct_m
    d = ducts_in_crs(ducts, crs)
    src = sources_from_lines(edges, d.geometry.to_numpy(), buffer_m)
    np.add.at(duct_m, src.edge, src.end - src.start)
    return np.minimum(duct_m, edges.length)


def edge_costs(
    city: City,
    net: FiberNetwork,
    cfg: PlanConfig,
    ducts: gpd.GeoDataFrame | None = None,
    buffer_m: float | None = None,
) -> EdgeCosts:
    """Per-metre unit cost, crossings and total build cost of every street edge.

    Parameters
    ----------
    city : planner.city.City
        The loaded city (graph with ``highway`` tags, CRS).
    net : FiberNetwork
        The prepared street network.
    cfg : PlanConfig
        Unit costs.
    ducts : GeoDataFrame, optional
        Existing duct lines (with a CRS).
    buffer_m : float, optional
        Half-width of the corridor in which street length counts as inside a duct; default
        ``FiberConfig.route_buffer_m`` (15 m, street half-width plus positional error).

    Returns
    -------
    EdgeCosts
        ``highway``, ``highway_missing`` (no tag: costed as ``unclassified``), ``unit`` (per
        metre, after aerial), ``per_m`` (after duct reuse), ``crossings`` (0, 0.5 or 1: half a
        crossing per end at an intersection of degree >= 3), ``duct_m`` (length in existing
        ducts) and ``cost``.

    Raises
    ------
    InputFileError
        ``ducts`` has no CRS.
    """
    E = net.edges
    if buffer_m is None:
        buffer_m = FiberConfig.model_fields["route_buffer_m"].default
    hw, missing = street_highways(city.graph, E)
    if missing.any():
        log.info("%d street edges have no highway tag: costed as 'unclassified'", missing.sum())
    trench = np.array([cfg.trench(h) for h in hw])
    aerial = np.isin(hw, list(cfg.aerial_highways))
    unit = np.where(aerial, np.minimum(trench, cfg.aerial_per_m), trench)
    duct_m = _duct_lengths(E, ducts, city.crs, buffer_m)
    deg = np.bincount(E.u_idx, minlength=E.n_nodes) + np.bincount(E.v_idx, minlength=E.n_nodes)
    cross = 0.5 * ((deg[E.u_idx] >= 3).astype(float) + (deg[E.v_idx] >= 3))
    per_m = unit * (1.0 - cfg.duct_reuse_discount * duct_m / np.maximum(E.length, 1e-9))
    cost = E.length * per_m + cfg.crossing * cross
    return EdgeCosts(
        highway=hw,
        highway_missing=missing,
        unit=unit,
        per_m=per_m,
        crossings=cross,
        duct_m=duct_m,
        cost=cost,
    )


@dataclass(frozen=True)
class StreetPrices:
    """Build cost of every street edge and the length of the existing ducts it used."""

    costs: EdgeCosts
    duct_length_m: float


def price_streets(
    city: City,
    net: FiberNetwork,
    cfg: PlanConfig,
    fiber_config: FiberConfig,
    ducts: gpd.GeoDataFrame | None,
) -> StreetPrices:
    """Cost every street edge, with the ``ducts`` argument and ``cfg.duct_files`` reused.

    Raises
    ------
    InputFileError
        A duct file is bad or ``ducts`` has no CRS.
    """
    lines = gather_ducts(city, cfg, fiber_config, ducts)
    costs = edge_costs(city, net, cfg, lines, fiber_config.route_buffer_m)
    return StreetPrices(costs=costs, duct_length_m=duct_length_m(lines))
