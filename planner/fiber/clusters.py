"""Gap clusters: unserved premises grouped into contiguous street areas, ranked for build-out."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from planner.config.fiber import FiberConfig
from planner.fiber.netdist import edge_clusters
from planner.fiber.result import GAP_CLUSTER_COLUMNS, FiberNetwork

__all__ = ["gap_clusters"]


@dataclass
class _Components:
    """Street edges of the gap subgraph and the cluster of each edge and gap premise."""

    sel: np.ndarray
    of_edge: np.ndarray
    of_premise: np.ndarray
    n: int


def gap_clusters(
    net: FiberNetwork, premises: gpd.GeoDataFrame, node_dist: np.ndarray, config: FiberConfig
) -> gpd.GeoDataFrame:
    """Group unserved and unreachable premises into contiguous gap areas along streets.

    Parameters
    ----------
    net : FiberNetwork
        The prepared street network.
    premises : GeoDataFrame
        Output premises of :func:`planner.fiber.analyze_fiber` (``edge``, ``fiber_class``,
        ``premises``).
    node_dist : ndarray
        Distance from fibre to each street node.
    config : FiberConfig
        Uses ``gap_bridge_m``.

    Returns
    -------
    GeoDataFrame
        One row per cluster: ``cluster``, ``premises``, ``buildings``, ``street_length_m``
        (streets of the cluster), ``distance_to_fibre_m`` (along streets from fibre to the
        cluster's nearest node; NaN when unreachable), ``reach_length_m`` (the two summed: street
        length needed to reach and pass every premise), ``m_per_premise``, ``rank_premises``
        (1 = most premises) and ``rank_length`` (1 = least street length per premise), and
        the cluster's streets as a MultiLineString.

    Notes
    -----
    The gap subgraph is made of the street edges carrying at least one unserved or unreachable
    premise, plus every edge no longer than ``gap_bridge_m`` whose two end nodes both touch
    such edges (short connecting streets). Clusters are its connected components
    (:func:`scipy.sparse.csgraph.connected_components`).
    """
    gap = premises["fiber_class"].isin(["unserved", "unreachable"]).to_numpy() & (
        premises["edge"].to_numpy() >= 0
    )
    if not gap.any():
        return gpd.GeoDataFrame(
            columns=[*GAP_CLUSTER_COLUMNS, "geometry"], geometry="geometry", crs=premises.crs
        )
    comp = _components(net, premises["edge"].to_numpy()[gap], config.gap_bridge_m)
    table, geoms = _cluster_table(net, comp, premises["premises"].to_numpy()[gap], node_dist)
    return _ranked(table, geoms, premises.crs)


def _components(net: FiberNetwork, gap_edges: np.ndarray, bridge_m: float) -> _Components:
    E = net.edges
    sel, labels = edge_clusters(E, gap_edges, bridge_m)
    uniq, of_edge = np.unique(labels[E.u_idx[sel]], return_inverse=True)
    of_premise = of_edge[np.searchsorted(sel, gap_edges)]
    return _Components(sel=sel, of_edge=of_edge, of_premise=of_premise, n=len(uniq))


def _cluster_table(
    net: FiberNetwork, comp: _Components, premises: np.ndarray, node_dist: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray]:
    """Return sums per cluster and the clusters' streets, clusters without premises left out."""
    E, sel, k = net.edges, comp.sel, comp.n
    n_prem = np.bincount(comp.of_premise, weights=premises, minlength=k)
    n_bld = np.bincount(comp.of_premise, minlength=k)
    length = np.bincount(comp.of_edge, weights=E.length[sel], minlength=k)
    dmin = np.full(k, np.inf)
    for ends in (E.u_idx[sel], E.v_idx[sel]):
        np.minimum.at(dmin, comp.of_edge, node_dist[ends])
    keep = n_prem > 0  # a component of bridges only carries no premise
    by_cl = np.argsort(comp.of_edge, kind="stable")
    geoms = shapely.multilinestrings(E.geometry[sel][by_cl], indices=comp.of_edge[by_cl])
    dist = np.where(np.isfinite(dmin), dmin, np.nan)
    reach = length + np.nan_to_num(dist, nan=0.0)
    table = pd.DataFrame(
        {
            "premises": n_prem.astype(np.int64),
            "buildings": n_bld.astype(np.int64),
            "street_length_m": np.round(length, 1),
            "distance_to_fibre_m": np.round(dist, 1),
            "reach_length_m": np.round(reach, 1),
        }
    )[keep]
    return table, geoms[keep]


def _ranked(table: pd.DataFrame, geoms: np.ndarray, crs: CRS | None) -> gpd.GeoDataFrame:
    """Add metres per premise and ranks; number the clusters by premises, most first."""
    out = table.copy()
    out["m_per_premise"] = np.round(out["reach_length_m"] / out["premises"], 2)
    out["rank_premises"] = out["premises"].rank(ascending=False, method="first").astype(int)
    out["rank_length"] = out["m_per_premise"].rank(ascending=True, method="first").astype(int)
    order = np.argsort(out["rank_premises"].to_numpy())
    out = out.iloc[order].reset_index(drop=True)
    out.insert(0, "cluster", np.arange(1, len(out) + 1))
    return gpd.GeoDataFrame(out, geometry=geoms[order], crs=crs)
