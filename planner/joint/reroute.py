"""Coverage-aware corridors: the uncovered-air raster, re-routing and the coverage recomputed."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from planner import drones
from planner.config.drones import DroneConfig
from planner.config.joint import JointConfig
from planner.drones import CorridorResult
from planner.drones.grid import city_grid
from planner.joint.demand import corridor_level
from planner.radio import RadioCoverage
from planner.radio.coverage import CoverageGrids
from planner.radio.kpis import cell_lookup, corridor_coverage, network_coverage

__all__ = [
    "ESCALATION",
    "Rerouted",
    "air_penalty",
    "coverage_grids",
    "corridor_cover",
    "penalty_level",
    "reroute_config",
    "reroute_corridors",
    "uncovered_air",
]

#: Factor the air-penalty weight is raised by, at most twice, while the re-routed corridors
#: cover less than the original ones or a stretch exceeds ``max_uncovered_m``.
ESCALATION = 4.0


@dataclass
class Rerouted:
    """The re-routed corridors and their coverage on the planned network."""

    result: CorridorResult
    corridors: gpd.GeoDataFrame  #: planner.radio CORRIDOR_COLUMNS
    network: dict  #: network_coverage of the re-routed corridors
    weight: float  #: the air-penalty weight used
    over_max_uncovered: int  #: corridors whose longest uncovered stretch exceeds the option
    attempts: int = 1  #: plan_corridors runs (the weight escalated ``attempts - 1`` times)
    level_m: float = 0.0  #: the height (m) whose uncovered air is penalised


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


def penalty_level(radio: RadioCoverage, corridors: gpd.GeoDataFrame) -> int:
    """Height level the corridors' coverage is evaluated at (``network_coverage``'s rule).

    The penalty must describe the air the claim is measured in: the corridors' altitude
    (the top of the band by default), not the band's middle.
    """
    default = radio.config.corridor_altitude_m or max(radio.heights_m)
    return corridor_level(radio.heights_m, corridors, default)


def uncovered_air(
    radio: RadioCoverage, city, dcfg: DroneConfig, level: int | None = None
) -> np.ndarray:
    """Return True on the drone grid's cells whose air at level ``level`` is not covered.

    ``level`` defaults to the top radio height (the corridors' default altitude). Both grids
    are north-up, so each cell centre's radio row depends on its row alone and its radio
    column on its column alone: two 1-D lookups instead of one per cell.
    """
    grid = city_grid(city, dcfg.resolution_m)
    lvl = len(radio.heights_m) - 1 if level is None else int(level)
    rows, cols = grid.shape
    t = grid.transform
    x = t.c + t.a * (np.arange(cols) + 0.5)
    y = t.f + t.e * (np.arange(rows) + 0.5)
    shape = radio.covered.shape[1:]
    col, in_col = cell_lookup(radio.transform, (1, shape[1]), x, np.full(cols, radio.transform.f))
    row, in_row = cell_lookup(radio.transform, (shape[0], 1), np.full(rows, radio.transform.c), y)
    ok = radio.covered[lvl][np.ix_(row, col)] & in_row[:, None] & in_col[None, :]
    return ~ok


def air_penalty(
    radio: RadioCoverage, city, dcfg: DroneConfig, weight: float, level: int | None = None
) -> np.ndarray:
    """``weight`` where the air at height level ``level`` is not covered, on the drone grid.

    ``level`` defaults to the top radio height (the corridors' default altitude).
    """
    return np.float32(weight) * uncovered_air(radio, city, dcfg, level)


def reroute_config(dcfg: DroneConfig, corridors: gpd.GeoDataFrame) -> DroneConfig:
    """Return the re-route's drone config: the detour sweep limited to the weights in use.

    In budget mode each pair's corridor is picked among the routes of ``budget_weights``;
    re-routing keeps the ground-risk weights the original corridors chose (always with the
    largest one, so the penalty can pull a route away), one Dijkstra sweep per weight less.
    """
    if dcfg.mode != "free" or dcfg.risk_weight is not None or dcfg.detour_budget is None:
        return dcfg
    if "risk_weight" not in corridors or len(corridors) == 0:
        return dcfg
    used = pd.to_numeric(corridors["risk_weight"], errors="coerce").dropna().unique()
    keep = sorted({float(w) for w in used if float(w) in set(dcfg.budget_weights)})
    if not keep:
        return dcfg
    keep = sorted({*keep, max(dcfg.budget_weights)})
    return dcfg.model_copy(update={"budget_weights": keep})


def _over(table: gpd.GeoDataFrame, limit: float | None) -> int:
    if limit is None or len(table) == 0:
        return 0
    return int((table["longest_uncovered_m"].to_numpy(float) > limit).sum())


def reroute_corridors(
    city,
    radio: RadioCoverage,
    jcfg: JointConfig,
    original: CorridorResult,
    original_pct: float,
) -> Rerouted:
    """Re-route the corridors preferring covered air; stricter while they are worse.

    The uncovered air is taken at the height the corridors are evaluated at
    (:func:`penalty_level`) on ``radio`` (the network after the plan). The weight starts at
    ``air_penalty_weight`` and is raised :data:`ESCALATION` times (twice at most) while the
    re-routed network covers less than ``original_pct`` or, with ``max_uncovered_m`` set,
    some corridor's longest uncovered stretch exceeds it. The caller keeps the original
    corridors when the last attempt still covers less.

    Each attempt is :func:`planner.drones.reroute_corridors` on ``original``: its airspace,
    ground-risk model and hubs are reused (the same corridors as a full
    ``plan_corridors`` with that penalty), and only the routing and metrics are redone.
    """
    weight, level = jcfg.air_penalty_weight, penalty_level(radio, original.corridors)
    cfg = reroute_config(original.inputs.config, original.corridors)
    uncovered = uncovered_air(radio, city, cfg, level)
    for attempt in range(1, 4):
        pen = np.float32(weight) * uncovered
        res = drones.reroute_corridors(city, original, pen, budget_weights=cfg.budget_weights)
        table, net = corridor_cover(radio, res.corridors)
        over = _over(table, jcfg.max_uncovered_m)
        worse = (net.get("covered_pct") or 0.0) < original_pct - 1e-9
        if not (over or worse) or attempt == 3 or weight == 0:
            break
        weight *= ESCALATION
    return Rerouted(res, table, net, weight, over, attempt, float(radio.heights_m[level]))
