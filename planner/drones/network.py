"""The routed hub network both routers return, and the route weighting in effect."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import geopandas as gpd
import numpy as np
from shapely.geometry import LineString

from planner.config.drones import DEFAULT_RISK_WEIGHT, SHORTEST_TIEBREAK, DroneConfig
from planner.drones.lattice import Routes
from planner.errors import ConfigError

__all__ = ["Network", "PathGeometry", "Weighting", "route_weighting", "weighting"]


class PathGeometry(Protocol):
    """Turns a router's node sequences into line geometries."""

    def line(self, seq: np.ndarray) -> LineString:
        """Return the line of a risk-aware path."""
        ...

    def shortest_line(self, seq: np.ndarray) -> LineString:
        """Return the line of a shortest (tie-break weight) path."""
        ...

    def segments(self, pairs: np.ndarray) -> np.ndarray:
        """Return one line per ``(m, 2)`` row of adjacent node pairs."""
        ...


@dataclass
class Weighting:
    """How routes trade length against ground risk."""

    budget: float | None  #: mean detour budget (free mode), or None
    weight: float | None  #: fixed risk weight, or None when a budget is in effect
    tiebreak: float  #: weight of the "shortest" routes: a tiny risk term breaks ties


@dataclass
class Network:
    """Hubs placed on a routing graph and the routes between them."""

    hubs: gpd.GeoDataFrame  #: every hub, feasible or not
    routable: gpd.GeoDataFrame  #: the hubs on the graph, in the order of ``nodes``
    nodes: np.ndarray  #: graph node of each routable hub
    routes: Routes  #: risk-aware routes between routable hubs
    shortest: Routes  #: shortest feasible routes (tie-break weight)
    pair_weight: dict[tuple[int, int], float] | None  #: risk weight per pair (budget mode)
    #: size (lattice cells or street nodes) of each routable hub's connected component: the
    #: smaller side of an unrouted pair is the enclosed hub
    component_size: np.ndarray
    geometry: PathGeometry  #: node sequences to lines
    messages: list[str]  #: hubs the router could not use
    #: routable-hub index pairs ``i < j`` to connect (:func:`~planner.drones.links.hub_pairs`)
    pairs: list[tuple[int, int]]
    #: how ``pairs`` were chosen: ``all``, ``gabriel`` or ``od_pairs``
    link_rule: str
    #: free-mode router (``astar`` or ``exact``; empty for streets mode)
    router: str = ""
    #: A* router: ``(weight, i, j)`` -> proven bound on the route's gap to the
    #: full-resolution optimum (``cost / optimum - 1``; None: the exact router, 0)
    gaps: dict[tuple[float, int, int], float] | None = None


def route_weighting(cfg: DroneConfig) -> tuple[float | None, float | None]:
    """Return ``(detour_budget, risk_weight)`` in effect; exactly one of them is None.

    A set ``risk_weight`` wins; otherwise free mode uses ``detour_budget`` and streets mode
    (or a null budget) :data:`DEFAULT_RISK_WEIGHT`.
    """
    if cfg.risk_weight is not None:
        return None, cfg.risk_weight
    if cfg.mode == "free" and cfg.detour_budget is not None:
        return cfg.detour_budget, None
    return None, DEFAULT_RISK_WEIGHT


def weighting(cfg: DroneConfig) -> Weighting:
    """Return the weighting in effect (:func:`route_weighting`) and the tie-break weight.

    Raises
    ------
    ConfigError
        When a detour budget is in effect without positive ``budget_weights``.
    """
    budget, weight = route_weighting(cfg)
    if budget is not None and (not cfg.budget_weights or min(cfg.budget_weights) <= 0):
        raise ConfigError("drones.budget_weights: give at least one weight, all > 0")
    tiebreak = SHORTEST_TIEBREAK if (weight or 0) > 0 or budget is not None else 0.0
    return Weighting(budget=budget, weight=weight, tiebreak=tiebreak)
