"""Coverage-aware corridors: the uncovered-air raster, re-routing and the coverage recomputed."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np

from planner.config.drones import DroneConfig
from planner.config.joint import JointConfig
from planner.drones import CorridorResult, plan_corridors
from planner.drones.grid import city_grid
from planner.radio import RadioCoverage
from planner.radio.coverage import CoverageGrids
from planner.radio.kpis import cell_lookup, corridor_coverage, network_coverage

__all__ = ["Rerouted", "air_penalty", "coverage_grids", "corridor_cover", "reroute_corridors"]


@dataclass
class Rerouted:
    """The re-routed corridors and their coverage on the planned network."""

    result: CorridorResult
    corridors: gpd.GeoDataFrame  #: planner.radio CORRIDOR_COLUMNS
    network: dict  #: network_coverage of the re-routed corridors
    weight: float  #: the air-penalty weight used
    over_max_uncovered: int  #: corridors whose longest uncovered stretch exceeds the option


def coverage_grids(radio: RadioCoverage) -> CoverageGrids:
    """Return the radio result's grids as :class:`CoverageGrids` (for the corridor KPIs)."""
    return CoverageGrids(
        heights_m=radio.heights_m,
        rsrp_dbm=radio.rsrp_dbm,
        sinr_db=radio.sinr_db,
        server=radio.serving_sector,
        site=radio.serving_site,
        covered=radio.covered,
        margin_db=np.zeros(radio.rsrp_dbm.shape, np.float32),
        transform=radio.transform,
    )


def corridor_cover(
    radio: RadioCoverage, corridors: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, dict]:
    """Per-corridor table and network coverage of ``corridors`` on ``radio``'s grids."""
    grids = coverage_grids(radio)
    return corridor_coverage(grids, corridors, radio.config), network_coverage(
        grids, corridors, radio.config
    )


def air_penalty(radio: RadioCoverage, city, dcfg: DroneConfig, weight: float) -> np.ndarray:
    """``weight`` where the air at the band's middle height is not covered, on the drone grid."""
    grid = city_grid(city, dcfg.resolution_m)
    mid = (dcfg.band.min_m + dcfg.band.max_m) / 2
    level = int(np.argmin(np.abs(np.asarray(radio.heights_m) - mid)))
    rows, cols = grid.shape
    t = grid.transform
    x = t.c + t.a * (np.arange(cols) + 0.5)
    y = t.f + t.e * (np.arange(rows) + 0.5)
    xx, yy = np.meshgrid(x, y)
    idx, inside = cell_lookup(radio.transform, radio.covered.shape[1:], xx.ravel(), yy.ravel())
    ok = radio.covered[level].ravel()[idx] & inside
    return (np.float32(weight) * (~ok)).reshape(grid.shape).astype(np.float32)


def _over(table: gpd.GeoDataFrame, limit: float | None) -> int:
    if limit is None or len(table) == 0:
        return 0
    return int((table["longest_uncovered_m"].to_numpy(float) > limit).sum())


def reroute_corridors(city, dcfg: DroneConfig, radio: RadioCoverage, jcfg: JointConfig) -> Rerouted:
    """Re-route the corridors preferring covered air; stricter while a stretch is too long.

    The weight is ``air_penalty_weight``; with ``max_uncovered_m`` set it is raised 4x (twice
    at most) while some corridor's longest uncovered stretch exceeds it.
    """
    weight = jcfg.air_penalty_weight
    for attempt in range(3):
        res = plan_corridors(city, dcfg, air_penalty=air_penalty(radio, city, dcfg, weight))
        table, net = corridor_cover(radio, res.corridors)
        over = _over(table, jcfg.max_uncovered_m)
        if over == 0 or attempt == 2 or weight == 0:
            break
        weight *= 4
    return Rerouted(res, table, net, weight, over)
