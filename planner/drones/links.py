"""Which hub pairs get a corridor: every pair, the configured OD list, or the Gabriel graph."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
from scipy.spatial import Delaunay, QhullError, cKDTree

from planner.config.drones import ALL_PAIRS_MAX_HUBS, DroneConfig
from planner.errors import ConfigError

__all__ = ["PairRule", "gabriel_pairs", "hub_pairs", "link_mode"]


@dataclass(frozen=True)
class PairRule:
    """Which hub pairs to route: the configured OD list, else the ``hub_links`` rule."""

    od_pairs: list[tuple[str, str]] | None = None
    links: str = "all"

    @classmethod
    def of(cls, cfg: DroneConfig) -> PairRule:
        """Return the rule of a drones configuration."""
        return cls(cfg.od_pairs, cfg.hub_links)

    def pairs(
        self, hubs: gpd.GeoDataFrame, routable: gpd.GeoDataFrame, component: np.ndarray
    ) -> tuple[list[tuple[int, int]], str]:
        """Return the routable-hub pairs to connect and the rule that chose them.

        Parameters
        ----------
        hubs, routable : geopandas.GeoDataFrame
            Every hub (their names validate ``od_pairs``) and the routable ones (projected).
        component : numpy.ndarray
            Connected component of each routable hub on the routing graph.

        Returns
        -------
        (list of (int, int), str)
            Pairs ``i < j`` into ``routable``; ``od_pairs``, ``all`` or ``gabriel``.
        """
        names = routable["name"].tolist()
        xy = np.column_stack([routable.geometry.x, routable.geometry.y])
        pairs = hub_pairs(names, self.od_pairs, set(hubs["name"]), xy, component, self.links)
        rule = "od_pairs" if self.od_pairs is not None else link_mode(self.links, len(names))
        return pairs, rule


def link_mode(links: str, n_hubs: int) -> str:
    """Return the pair rule in effect: ``all`` or ``gabriel`` (``auto`` resolved by count).

    ``auto`` connects every pair of up to :data:`ALL_PAIRS_MAX_HUBS` routable hubs and
    the Gabriel graph of more.
    """
    if links != "auto":
        return links
    return "all" if n_hubs <= ALL_PAIRS_MAX_HUBS else "gabriel"


def hub_pairs(
    names: list[str],
    od_pairs: list[tuple[str, str]] | None,
    known: set[str],
    xy: np.ndarray | None = None,
    component: np.ndarray | None = None,
    links: str = "all",
) -> list[tuple[int, int]]:
    """Return the index pairs ``i < j`` of the routable hubs to connect, in order.

    Parameters
    ----------
    names : list of str
        Names of the routable hubs.
    od_pairs : list of (str, str), optional
        Hub-name pairs to connect; they replace the rule of ``links``.
    known : set of str
        Names of all hubs (feasible or not).
    xy : numpy.ndarray, optional
        ``(n, 2)`` projected hub positions (m); needed by the Gabriel rule.
    component : numpy.ndarray, optional
        Connected component of each hub on the routing graph (Gabriel rule; default one).
    links : {"all", "gabriel", "auto"}
        Every pair, or the pairs of :func:`gabriel_pairs` (``auto``: :func:`link_mode`).

    Raises
    ------
    ConfigError
        When ``od_pairs`` names a hub that does not exist.
    """
    if od_pairs is None and link_mode(links, len(names)) == "gabriel":
        return gabriel_pairs(np.asarray(xy, dtype=float), component)
    pairs = [(i, j) for i in range(len(names)) for j in range(i + 1, len(names))]
    if od_pairs is None:
        return pairs
    want = {frozenset(p) for p in od_pairs}
    unknown = {n for p in od_pairs for n in p} - known
    if unknown:
        raise ConfigError(f"drones.od_pairs: unknown hub name(s) {sorted(unknown)}")
    return [(i, j) for i, j in pairs if frozenset((names[i], names[j])) in want]


def gabriel_pairs(xy: np.ndarray, component: np.ndarray | None = None) -> list[tuple[int, int]]:
    """Return the Gabriel graph's edges ``i < j``, over all points and within each component.

    An edge joins two points when no other point lies inside or on the circle of which they
    are the diameter (Gabriel & Sokal 1969). The graph is planar, holds a Euclidean minimum
    spanning tree (so it connects its points) and has fewer than ``3 n`` edges; its edges
    are taken from the Delaunay triangulation, which contains it (Matula & Sokal 1980).
    Points at one position are chained to the first of them, which stands for them all. The
    graph over all points gives each point its neighbours (a hub enclosed by obstacles is
    then reported through them); the graph of each component's own points connects every
    component whatever lies between its points.

    Parameters
    ----------
    xy : numpy.ndarray
        ``(n, 2)`` positions.
    component : numpy.ndarray, optional
        Component label per point (default: one component).

    Returns
    -------
    list of (int, int)
        Sorted edges.
    """
    comp = np.zeros(len(xy), dtype=np.int64) if component is None else np.asarray(component)
    edges = set(_gabriel(xy, np.arange(len(xy))))
    for c in np.unique(comp):
        members = np.flatnonzero(comp == c)
        if len(members) < len(xy):
            edges.update(_gabriel(xy, members))
    return sorted(edges)


def _gabriel(xy: np.ndarray, members: np.ndarray) -> list[tuple[int, int]]:
    """Gabriel edges among ``xy[members]``, as pairs ``i < j`` of indices into ``xy``."""
    if len(members) < 2:
        return []
    pts, first, which = np.unique(xy[members], axis=0, return_index=True, return_inverse=True)
    which = which.ravel()
    rep = members[first]  # the first member at each distinct position
    out = [(int(rep[w]), int(m)) for m, w in zip(members, which, strict=True) if rep[w] != m]
    if len(pts) >= 2:
        cand = _delaunay_edges(pts)
        mid = 0.5 * (pts[cand[:, 0]] + pts[cand[:, 1]])
        radius = 0.5 * np.hypot(*(pts[cand[:, 0]] - pts[cand[:, 1]]).T)
        dist, idx = cKDTree(pts).query(mid, k=min(3, len(pts)))
        dist, idx = dist.reshape(len(cand), -1), idx.reshape(len(cand), -1)
        other = (idx != cand[:, [0]]) & (idx != cand[:, [1]])
        blocked = (other & (dist <= radius[:, None] * (1.0 + 1e-9))).any(axis=1)
        out += [(int(rep[a]), int(rep[b])) for a, b in cand[~blocked]]
    return [(min(a, b), max(a, b)) for a, b in out]


def _delaunay_edges(pts: np.ndarray) -> np.ndarray:
    """Return the Delaunay edges ``(a, b)``, ``a < b``, of distinct points; all if flat."""
    n = len(pts)
    try:
        tri = Delaunay(pts).simplices if n >= 3 else None
    except QhullError:  # collinear points
        tri = None
    if tri is None:
        a, b = np.triu_indices(n, 1)
        return np.column_stack([a, b])
    e = np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [0, 2]]])
    return np.unique(np.sort(e, axis=1), axis=0)
