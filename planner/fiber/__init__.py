"""Fibre coverage gaps along streets: premises passed, near, unserved; hexes, clusters, KPIs."""

from planner.fiber.coverage import (
    ASSET_LAYER_COLUMNS,
    CLASSES,
    GAP_CLUSTER_COLUMNS,
    HEX_COLUMNS,
    PREMISE_COLUMNS,
    FiberCoverage,
    FiberNetwork,
    analyze_fiber,
    asset_sources,
    classify,
    fiber_kpis,
    gap_clusters,
    resolve_assets,
    write_fiber_outputs,
)

__all__ = [
    "PREMISE_COLUMNS",
    "GAP_CLUSTER_COLUMNS",
    "HEX_COLUMNS",
    "ASSET_LAYER_COLUMNS",
    "CLASSES",
    "FiberCoverage",
    "FiberNetwork",
    "analyze_fiber",
    "asset_sources",
    "classify",
    "fiber_kpis",
    "gap_clusters",
    "resolve_assets",
    "write_fiber_outputs",
]
