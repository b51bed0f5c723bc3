"""Free-mode routing: hub routes over the risk lattice, by risk weight or detour budget."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import shapely
from affine import Affine
from scipy import ndimage
from shapely.geometry import LineString

from planner.drones.astar import Certificate, SearchSpace, astar_routes
from planner.drones.hubs import HubSet
from planner.drones.lattice import (
    Routes,
    cell_centres,
    component_sizes,
    lattice_lengths,
    path_measures,
    reweight,
    route_hubs,
    router_method,
    select_by_budget,
)
from planner.drones.links import PairRule
from planner.drones.network import Network, Weighting
from planner.drones.risk import GroundRisk

log = logging.getLogger(__name__)

__all__ = [
    "FreeRouter",
    "LatticeGeometry",
    "Router",
    "budget_routes",
    "free_router",
    "only_pairs",
    "route_free",
]

#: Routes all hub pairs at one risk weight.
Router = Callable[[float], Routes]


@dataclass
class FreeRouter:
    """A free-mode router and what it tells besides routes."""

    route: Router  #: all hub pairs at one risk weight
    certificate: Certificate | None  #: optimality bounds of the A* router (None: exact)
    method: str = "astar"  #: the router in effect


@dataclass
class LatticeGeometry:
    """Lines through lattice cell centres."""

    transform: Affine
    ncols: int

    def line(self, seq: np.ndarray) -> LineString:
        """Return the line through the centres of a path's cells (collinear points dropped)."""
        xy = cell_centres(seq, self.transform, self.ncols)
        if len(xy) == 1:
            xy = np.vstack([xy, xy])
        return shapely.simplify(LineString(xy), 0.0)

    def shortest_line(self, seq: np.ndarray) -> LineString:
        """Return the line of a shortest path (the same construction as :meth:`line`)."""
        return self.line(seq)

    def segments(self, pairs: np.ndarray) -> np.ndarray:
        """Return one two-point line per row of adjacent cell pairs."""
        xy = cell_centres(pairs.ravel(), self.transform, self.ncols).reshape(-1, 2, 2)
        return shapely.linestrings(xy)


def route_free(
    hubs: HubSet,
    people: GroundRisk,
    blocked: np.ndarray,
    weights: Weighting,
    budget_weights: list[float],
    rule: PairRule | None = None,
    progress: bool = False,
) -> Network:
    """Route the hub pairs of ``rule`` over the 8-connected lattice of free cells.

    Parameters
    ----------
    hubs : HubSet
        The placed hubs (``cell`` of the routable ones).
    people : GroundRisk
        The grid and its routing risk.
    blocked : numpy.ndarray
        Blocked-cell mask.
    weights : Weighting
        A fixed risk weight, or a detour budget chosen among ``budget_weights``.
    budget_weights : sequence of float
        Candidate risk weights of budget mode.
    rule : PairRule, optional
        Which pairs to route (default every pair).
    progress : bool
        Show a progress bar over the route searches.

    Returns
    -------
    Network
        Routes and shortest routes; one edge structure reweighted per risk weight.
    """
    nodes = hubs.routable["cell"].to_numpy(dtype=np.int64)
    transform, shape = people.grid
    labels = ndimage.label(~np.asarray(blocked, bool))[0].ravel()
    pairs, link_rule = (rule or PairRule()).pairs(hubs.hubs, hubs.routable, labels[nodes])
    wanted = [weights.tiebreak]
    wanted += list(budget_weights) if weights.budget is not None else [weights.weight]
    free = free_router(
        people, blocked, nodes, wanted, progress=progress, pairs=pairs, labels=labels
    )
    router = free.route
    short = router(weights.tiebreak)
    pair_w = None
    if weights.budget is not None:
        routes, pair_w = budget_routes(
            router,
            people.risk,
            people.grid.resolution,
            short,
            budget_weights,
            weights.budget,
            weights.tiebreak,
        )
    elif weights.weight == weights.tiebreak:
        routes = short
    else:
        routes = router(weights.weight)
    return Network(
        hubs=hubs.hubs,
        routable=hubs.routable,
        nodes=nodes,
        routes=routes,
        shortest=short,
        pair_weight=pair_w,
        component_size=component_sizes(labels, nodes),
        geometry=LatticeGeometry(transform, shape[1]),
        messages=[],
        pairs=pairs,
        link_rule=link_rule,
        router=free.method,
        gaps=None if free.certificate is None else free.certificate.gaps,
    )


def free_router(
    people: GroundRisk,
    blocked: np.ndarray,
    nodes: np.ndarray,
    weights: list[float],
    method: str | None = None,
    progress: bool = False,
    pairs: list[tuple[int, int]] | None = None,
    labels: np.ndarray | None = None,
) -> FreeRouter:
    """Return the router of one risk weight (its certificate and method with it).

    Parameters
    ----------
    people : GroundRisk
        The grid and its routing risk.
    blocked : numpy.ndarray
        Blocked-cell mask.
    nodes : numpy.ndarray
        Lattice cell of each routable hub.
    weights : list of float
        The risk weights the router will be asked for (the A* router routes them together).
    method : str, optional
        ``astar`` (one A* search per pair and weight, :mod:`planner.drones.astar`) or
        ``exact`` (one full-lattice Dijkstra per hub); default from the
        ``PLANNER_DRONE_ROUTER`` environment variable, else ``astar``.
    progress : bool
        Show a progress bar over the A* searches.
    pairs : list of (int, int), optional
        The hub pairs ``i < j`` to route (default every pair). The A* router searches only
        these; the exact router's full sweeps reach every hub, and it keeps the routes of
        these pairs only, as the A* router returns them (the detour budget is a mean over
        the routed pairs).
    labels : numpy.ndarray, optional
        Connected-component label per flat cell of the free cells, when already computed.
    """
    method = router_method(method)
    res = people.grid.resolution
    if method == "exact":
        g_len = lattice_lengths(people.grid.shape, blocked, res)
        return FreeRouter(
            lambda w: only_pairs(route_hubs(reweight(g_len, people.risk, w), nodes), pairs),
            None,
            "exact",
        )
    if labels is None:
        labels = ndimage.label(~np.asarray(blocked, bool))[0].ravel()
    space = SearchSpace(people.risk, blocked, res)
    done: dict[float, Routes] = {}
    cert = Certificate()

    def router(w: float) -> Routes:
        if w not in done:
            todo = sorted({w, *weights} - set(done))
            routes, found = astar_routes(space, nodes, labels, todo, progress=progress, pairs=pairs)
            done.update(routes)
            cert.gaps.update(found.gaps)
            log.info("A* routing: %d pairs, gap bound %.3g", cert.pairs, cert.max_gap)
        return done[w]

    return FreeRouter(router, cert)


def only_pairs(routes: Routes, pairs: list[tuple[int, int]] | None) -> Routes:
    """Keep the routes of ``pairs`` (None: all): the other pairs get no path and cost inf.

    Parameters
    ----------
    routes : Routes
        All-pairs routes (:func:`~planner.drones.lattice.route_hubs`).
    pairs : list of (int, int), optional
        Hub index pairs ``i < j``.

    Returns
    -------
    Routes
    """
    if pairs is None:
        return routes
    keep = {(int(i), int(j)) for i, j in pairs}
    cost = np.full_like(routes.cost, np.inf)
    np.fill_diagonal(cost, 0.0)
    for i, j in keep:
        cost[i, j], cost[j, i] = routes.cost[i, j], routes.cost[j, i]
    paths = {k: v for k, v in routes.paths.items() if k in keep}
    return Routes(routes.hubs, cost, paths)


def budget_routes(
    router: Router,
    risk: np.ndarray,
    resolution_m: float,
    short: Routes,
    weights: list[float],
    budget: float,
    w0: float,
) -> tuple[Routes, dict[tuple[int, int], float]]:
    """Routes per hub pair picked among several risk weights within a mean detour budget.

    Parameters
    ----------
    router : Router
        Routes all hub pairs at one risk weight (:func:`free_router`).
    risk : numpy.ndarray
        Routing risk grid.
    resolution_m : float
        Cell size (m).
    short : Routes
        Shortest routes (weight ``w0``), the detour reference.
    weights : list of float
        Candidate risk weights.
    budget : float
        Mean detour budget (>= 1).
    w0 : float
        Tie-break weight of ``short``.

    Returns
    -------
    (Routes, dict)
        The chosen routes, and the risk weight chosen for each pair.
    """
    keys = list(short.paths)
    cand = [short]
    for w in sorted(set(weights)):
        cand.append(router(w))
    lengths, risks = np.zeros((len(cand), len(keys))), np.zeros((len(cand), len(keys)))
    for c, r in enumerate(cand):
        lengths[c], risks[c] = path_measures([r.paths[k] for k in keys], risk, resolution_m)
    choice, _ = select_by_budget(lengths, risks, budget)
    ws = [w0, *sorted(set(weights))]
    paths = {k: cand[c].paths[k] for k, c in zip(keys, choice, strict=True)}
    cost = short.cost.copy()
    pair_w = {}
    for n, (k, c) in enumerate(zip(keys, choice, strict=True)):
        cost[k] = cost[k[::-1]] = lengths[c, n] + ws[c] * risks[c, n]
        pair_w[k] = ws[c]
    return Routes(short.hubs, cost, paths), pair_w
