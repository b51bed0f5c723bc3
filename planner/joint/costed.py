"""Candidates priced with their backhaul: equipment plus the street route to the fibre plan."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.city import City
from planner.config.joint import JointConfig
from planner.drones import CorridorResult
from planner.fiber import FiberCoverage
from planner.joint.backhaul import BackhaulGraph, backhaul_graph, nearest_nodes, node_coordinates
from planner.joint.candidates import Candidates, site_candidates
from planner.plan import FiberPlan
from planner.radio import RadioCoverage

__all__ = ["Costed", "costed_candidates"]


@dataclass
class Costed:
    """Candidates with their backhaul: street node, lead-in, EUR to the fibre network."""

    cand: Candidates
    node: np.ndarray
    backhaul_cost: np.ndarray
    total_cost: np.ndarray
    graph: BackhaulGraph
    node_xy: np.ndarray
    edge_geoms: np.ndarray
    lead_in_per_m: float


def costed_candidates(
    city: City,
    coverage: FiberCoverage,
    plan: FiberPlan,
    radio: RadioCoverage,
    corridors: CorridorResult,
    jcfg: JointConfig,
) -> Costed:
    """Candidates and their cost: equipment plus street backhaul to the plan (one Dijkstra)."""
    edges = coverage.network.edges
    node_xy = node_coordinates(city.graph, edges.node_ids)
    cand = site_candidates(
        city, radio.sites, corridors.corridors, corridors.hubs, node_xy, jcfg, radio.config
    )
    bg = backhaul_graph(plan.steiner_instance)
    xy = (
        np.column_stack([cand.table.geometry.x, cand.table.geometry.y])
        if len(cand.table)
        else np.zeros((0, 2))
    )
    node, lead = nearest_nodes(node_xy, xy)
    per_m = (
        jcfg.lead_in_per_m if jcfg.lead_in_per_m is not None else plan.config.default_trench_per_m
    )
    street = np.array([bg.dist[bg.index[int(n)]] if int(n) in bg.index else np.inf for n in node])
    new = (cand.table["kind"] != "upgrade").to_numpy()
    back = np.where(new, street + lead * per_m + jcfg.backhaul_termination, 0.0)
    total = cand.table["site_cost"].to_numpy(float) + back
    return Costed(cand, node, back, total, bg, node_xy, edges.geometry, per_m)
