"""Fibre coverage gaps along streets: premises passed, near, unserved; hexes, clusters, KPIs."""

from planner.fiber.clusters import gap_clusters
from planner.fiber.coverage import analyze_fiber, classify
from planner.fiber.kpis import fiber_kpis
from planner.fiber.outputs import write_fiber_outputs
from planner.fiber.placement import Supply, asset_sources, place_supply
from planner.fiber.result import (
    ASSET_LAYER_COLUMNS,
    CLASSES,
    GAP_CLUSTER_COLUMNS,
    HEX_COLUMNS,
    PREMISE_COLUMNS,
    FiberCoverage,
    FiberKpis,
    FiberNetwork,
)
from planner.fiber.supply import resolve_assets

__all__ = [
    "PREMISE_COLUMNS",
    "GAP_CLUSTER_COLUMNS",
    "HEX_COLUMNS",
    "ASSET_LAYER_COLUMNS",
    "CLASSES",
    "FiberCoverage",
    "FiberKpis",
    "FiberNetwork",
    "Supply",
    "analyze_fiber",
    "asset_sources",
    "classify",
    "fiber_kpis",
    "gap_clusters",
    "place_supply",
    "resolve_assets",
    "write_fiber_outputs",
]
