"""Typed results of the fibre coverage analysis: FiberCoverage, FiberNetwork, KPIs and columns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypedDict

import geopandas as gpd
import networkx as nx
import numpy as np
import scipy.sparse as sp
from pyproj import CRS

from planner.config.fiber import FiberConfig
from planner.fiber.hexes import COUNT_COLUMNS
from planner.fiber.netdist import Sources, street_csr
from planner.fiber.snapping import StreetEdges, street_edges

__all__ = [
    "ASSET_LAYER_COLUMNS",
    "CLASSES",
    "GAP_CLUSTER_COLUMNS",
    "HEX_COLUMNS",
    "PREMISE_COLUMNS",
    "FiberCoverage",
    "FiberKpis",
    "FiberNetwork",
]

#: Fibre classes of a premise, in order of service.
CLASSES = ["passed", "near", "unserved", "unreachable"]

#: Columns of ``FiberCoverage.premises`` (one row per building with premises; the frame also
#: holds ``edge``, the index into ``FiberCoverage.network.edges``, not written to files).
PREMISE_COLUMNS = [
    "osm_id",
    "building",
    "premises",
    "households",
    "people",
    "u",
    "v",
    "key",
    "offset_m",
    "snap_m",
    "network_m",
    "distance_m",
    "fiber_class",
    "fallback",
]
#: Columns of ``FiberCoverage.gap_clusters``.
GAP_CLUSTER_COLUMNS = [
    "cluster",
    "premises",
    "buildings",
    "street_length_m",
    "distance_to_fibre_m",
    "reach_length_m",
    "m_per_premise",
    "rank_premises",
    "rank_length",
]
#: Columns of each ``FiberCoverage.hexes[resolution]`` layer.
HEX_COLUMNS = ["h3", *COUNT_COLUMNS, "resolution", "coverage_pct"]
#: Columns of ``FiberCoverage.assets`` (with ``on_network``).
ASSET_LAYER_COLUMNS = ["kind", "operator", "name", "source", "on_network"]


@dataclass
class FiberNetwork:
    """The street network prepared for distance queries (reused by the fibre build plan).

    Attributes
    ----------
    edges : StreetEdges
        Edges once per street with node index mapping (``edges.node_ids``).
    csr : scipy.sparse.csr_matrix
        Symmetric street graph, weights = lengths in metres.
    """

    edges: StreetEdges
    csr: sp.csr_matrix

    @classmethod
    def from_graph(cls, G: nx.MultiDiGraph) -> FiberNetwork:
        """Build from a projected osmnx street graph."""
        edges = street_edges(G)
        return cls(edges=edges, csr=street_csr(edges))


class FiberKpis(TypedDict):
    """``summary.json["fiber"]``: fixed-network and mobile KPIs (see docs/fiber.md).

    Two more keys are named after configured radii (see :func:`planner.fiber.mobile_kpis`):
    ``key_places_within_<r>m_of_a_site_pct`` and ``people_within_<r>m_of_a_site_pct``.
    """

    premises_total: int
    premises_passed: int
    premises_near: int
    premises_unserved: int
    premises_unreachable: int
    coverage_pct: float
    target_coverage_pct: float
    gap_to_target_pct: float
    premises_needed_for_target: int
    target_met: bool
    buildings: int
    buildings_straight_line_fallback: int
    premises_straight_line_fallback: int
    gap_clusters: int
    gap_cluster_premises: int
    assets: int
    assets_on_network: int
    greenfield: bool
    assumptions: dict
    assets_all_off_network: bool
    mobile_sites: int
    mobile_sites_per_10k_people: float | None
    mobile_sites_target_per_10k: float
    mobile_sites_gap_to_target: float | None
    key_places: int
    mobile_assumptions: dict


@dataclass
class FiberCoverage:
    """Result of :func:`planner.fiber.analyze_fiber`: layers (projected unless noted) and KPIs.

    Attributes
    ----------
    premises : GeoDataFrame
        One point per building with premises: :data:`PREMISE_COLUMNS` plus ``edge``.
    assets : GeoDataFrame
        The fibre supply used (OSM, operator files, argument): :data:`ASSET_LAYER_COLUMNS`.
    hexes : dict of int to GeoDataFrame
        Counts per H3 cell for each configured resolution (:data:`HEX_COLUMNS`, WGS84).
    gap_clusters : GeoDataFrame
        Contiguous street areas of unserved premises (:data:`GAP_CLUSTER_COLUMNS`).
    districts : GeoDataFrame
        Counts per admin area (WGS84).
    kpis : FiberKpis
        The ``summary.json["fiber"]`` section.
    config : FiberConfig
        The settings used.
    crs : pyproj.CRS
        The city's projected CRS.
    network : FiberNetwork
        The street edges and CSR graph the analysis ran on. :func:`planner.plan.plan_fiber`
        reuses it instead of rebuilding it from the city graph; ``premises["edge"]`` and
        :attr:`sources` index its ``edges``.
    sources : Sources
        Existing fibre as disjoint intervals of :attr:`network` edges (point assets are
        zero-length intervals, route lines cover the edge parts within ``route_buffer_m``);
        empty in greenfield. The plan roots its routes at them.
    node_distance_m : ndarray
        Distance along streets from fibre to every street node (``inf`` when unreachable).
    timings : dict of str to float
        Seconds per analysis step.
    """

    premises: gpd.GeoDataFrame
    assets: gpd.GeoDataFrame
    hexes: dict[int, gpd.GeoDataFrame]
    gap_clusters: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame
    kpis: FiberKpis
    config: FiberConfig
    crs: CRS
    network: FiberNetwork = field(repr=False)
    sources: Sources = field(repr=False)
    node_distance_m: np.ndarray = field(repr=False)
    timings: dict[str, float] = field(default_factory=dict)

    def __repr__(self) -> str:
        k = self.kpis
        return (
            f"FiberCoverage({k['premises_total']} premises, {k['coverage_pct']}% passed, "
            f"{k['gap_clusters']} gap clusters)"
        )
