"""The routing: a Steiner forest over the costed streets and its certified lower bound."""

from __future__ import annotations

import networkx as nx
import numpy as np

from planner.config.plan import PlanConfig
from planner.errors import AnalysisError
from planner.fiber.snapping import StreetEdges
from planner.plan.result import RoutingCertificate, SteinerInstance
from planner.plan.targets import Targets
from planner.steiner import steiner_lower_bound, steiner_tree

__all__ = ["route_forest", "routing_certificate", "steiner_graph", "terminal_nodes"]


def steiner_graph(edges: StreetEdges, cost: np.ndarray) -> nx.Graph:
    """Build the routing graph: street nodes ``0..n-1``, one edge per street, its build cost.

    Edge data: ``cost``, ``eid`` (street edge) and the range ``a..b`` along it (the whole
    edge here; virtual fibre roots add partial ranges).
    """
    G = nx.Graph()
    G.add_nodes_from(range(edges.n_nodes))
    G.add_edges_from(
        (int(a), int(b), {"cost": float(c), "eid": i, "a": 0.0, "b": float(ln)})
        for i, (a, b, c, ln) in enumerate(
            zip(edges.u_idx, edges.v_idx, cost, edges.length, strict=True)
        )
    )
    return G


def terminal_nodes(targets: Targets) -> list[int]:
    """Steiner terminals: the distinct street nodes of the targets."""
    return np.unique(targets.node).tolist()


def route_forest(
    graph: nx.Graph, terminals: list[int], roots: list[int], cfg: PlanConfig
) -> SteinerInstance:
    """Connect every terminal to a root by the cheapest forest found (Steiner heuristic).

    Raises
    ------
    AnalysisError
        A terminal has no street path to any root.
    """
    tree = nx.Graph()
    if terminals:
        tree = steiner_tree(
            graph,
            terminals,
            roots=roots,
            weight="cost",
            time_limit=cfg.steiner_time_limit_s,
            restarts=cfg.steiner_restarts,
            restart_max_terminals=cfg.steiner_restart_max_terminals,
        )
    if tree.graph.get("unreachable"):
        raise AnalysisError(f"{len(tree.graph['unreachable'])} terminals not connected to a root")
    return SteinerInstance(graph=graph, terminals=terminals, roots=roots, tree=tree)


def routing_certificate(instance: SteinerInstance, time_limit: float) -> RoutingCertificate:
    """Prove how far the forest is from the optimum: a lower bound and the gap to it."""
    lb, info = steiner_lower_bound(
        instance.graph,
        instance.terminals,
        roots=instance.roots,
        weight="cost",
        time_limit=time_limit,
        full_output=True,
    )
    cost = float(instance.tree.graph["cost"])
    return RoutingCertificate(
        routing_steiner_cost=round(cost, 2),
        routing_lower_bound=round(lb, 2),
        routing_gap_pct=round(100 * (cost / lb - 1), 4) if lb > 0 else None,
        routing_bound_is_optimum=bool(info["exact"]),
    )
