"""Where the fibre comes from: existing fibre intervals as virtual roots, or central offices."""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
from scipy.sparse.csgraph import dijkstra

from planner.fiber import FiberNetwork
from planner.fiber.netdist import Sources
from planner.fiber.snapping import StreetEdges
from planner.plan.inputs import PlanInputs
from planner.plan.targets import Targets

__all__ = [
    "CENTRAL_OFFICE_METHOD",
    "Roots",
    "add_fibre_roots",
    "central_offices",
    "place_roots",
]

#: How a central office is placed (reported in the plan summary).
CENTRAL_OFFICE_METHOD = (
    "one per street component with targets: the node (of the 8 nearest the premise-"
    "weighted centroid) with the least total street distance to the targets"
)


@dataclass(frozen=True)
class Roots:
    """The Steiner roots: virtual existing-fibre nodes first, then central offices.

    Attributes
    ----------
    nodes : list of int
        Root nodes of the Steiner instance.
    central_offices : list of (float, float)
        Projected coordinates of the central offices placed (empty if none).
    """

    nodes: list[int]
    central_offices: list[tuple[float, float]]


def add_fibre_roots(
    graph: nx.Graph, edges: StreetEdges, fibre: Sources | None, per_m: np.ndarray
) -> list[int]:
    """Add one virtual node per existing fibre interval to ``graph``; return them.

    Node ``n + k`` (``n`` street nodes) stands for interval ``k`` and is joined to both ends
    of its street edge at the partial trench cost, so reusing built fibre is free.
    """
    if fibre is None or not len(fibre):
        return []
    n, L = edges.n_nodes, edges.length
    roots = []
    for k, (e, s0, s1) in enumerate(zip(fibre.edge, fibre.start, fibre.end, strict=True)):
        vn = n + k
        graph.add_edge(
            vn, int(edges.u_idx[e]), cost=float(s0 * per_m[e]), eid=int(e), a=0.0, b=float(s0)
        )
        graph.add_edge(
            vn,
            int(edges.v_idx[e]),
            cost=float((L[e] - s1) * per_m[e]),
            eid=int(e),
            a=float(s1),
            b=float(L[e]),
        )
        roots.append(vn)
    return roots


def central_offices(
    net: FiberNetwork,
    comp: np.ndarray,
    comps: np.ndarray,
    t_node: np.ndarray,
    t_w: np.ndarray,
    coords: np.ndarray,
) -> dict[int, int]:
    """One central-office node per street component: least premise-weighted distance.

    Candidates are the 8 nodes nearest the premise-weighted centroid of the component's targets;
    for components with >= 50 target buildings the candidate with the least total street
    distance to the targets wins (one Dijkstra per candidate), otherwise the nearest node.
    """
    out = {}
    t_comp = comp[t_node]
    by_t = np.argsort(t_comp, kind="stable")
    by_n = np.argsort(comp, kind="stable")
    t_sorted, n_sorted = t_comp[by_t], comp[by_n]
    for c in comps:
        ti = by_t[np.searchsorted(t_sorted, c) : np.searchsorted(t_sorted, c, side="right")]
        w = t_w[ti]
        cen = (coords[t_node[ti]] * w[:, None]).sum(0) / w.sum()
        nodes = by_n[np.searchsorted(n_sorted, c) : np.searchsorted(n_sorted, c, side="right")]
        d2 = ((coords[nodes] - cen) ** 2).sum(1)
        cand = nodes[np.argsort(d2, kind="stable")[:8]]
        if len(ti) >= 50 and len(cand) > 1:
            D = dijkstra(net.csr, directed=False, indices=cand)
            tot = (D[:, t_node[ti]] * w).sum(1)
            out[c] = int(cand[int(np.argmin(tot))])
        else:
            out[c] = int(cand[0])
    return out


def place_roots(
    graph: nx.Graph,
    street_graph: nx.MultiDiGraph,
    inputs: PlanInputs,
    per_m: np.ndarray,
    targets: Targets,
) -> Roots:
    """Add existing fibre to ``graph`` as roots; place central offices where fibre is missing.

    Central offices go to every street component with targets in greenfield, and, with
    ``new_sites``, to every component with targets but no existing fibre.
    """
    net = inputs.network
    roots = add_fibre_roots(graph, net.edges, inputs.fibre, per_m)
    if not (targets.new_sites and len(targets.rows)):
        return Roots(nodes=roots, central_offices=[])
    needy = targets.node if inputs.greenfield else targets.node[targets.without_fibre]
    coords = np.array(
        [[street_graph.nodes[i]["x"], street_graph.nodes[i]["y"]] for i in net.edges.node_ids]
    )
    offices = central_offices(
        net,
        inputs.component,
        np.unique(inputs.component[needy]),
        targets.node,
        targets.premises,
        coords,
    )
    points = [(float(coords[v][0]), float(coords[v][1])) for v in offices.values()]
    return Roots(nodes=roots + list(offices.values()), central_offices=points)
