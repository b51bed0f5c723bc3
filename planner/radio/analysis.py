"""Public entry: analyze_radio(city) -> RadioCoverage (grids, sites, corridor table, summary)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import rasterio.features
from affine import Affine

from planner.config.radio import RadioConfig
from planner.radio.coverage import (
    CoverageGrids,
    compute_coverage,
    noise_dbm_per_re,
    re_power_offset_db,
)
from planner.radio.kpis import (
    area_covered,
    corridor_coverage,
    key_places_reached,
    kpi,
    network_coverage,
    population_covered,
    population_points,
    sites_per_10k,
)
from planner.radio.los import height_surface, known_mask
from planner.radio.sites import load_sites

if TYPE_CHECKING:
    from planner.city import City

__all__ = ["RadioCoverage", "analyze_radio", "radio_grid", "DEFAULT_BAND"]

#: Drone flight band (m) used when none is passed: the DroneConfig default (60-120 m).
DEFAULT_BAND = (60.0, 120.0)


@dataclass
class RadioCoverage:
    """Everything :func:`analyze_radio` computed.

    Grids have shape ``(len(heights_m), rows, cols)`` on ``transform`` / ``crs``; the first
    height is the ground UE.
    """

    config: RadioConfig
    heights_m: list[float]
    rsrp_dbm: np.ndarray
    sinr_db: np.ndarray
    serving_site: np.ndarray
    serving_sector: np.ndarray
    covered: np.ndarray
    transform: Affine
    crs: Any
    sites: gpd.GeoDataFrame
    sectors: gpd.GeoDataFrame
    corridors: gpd.GeoDataFrame
    deterministic: np.ndarray
    city_mask: np.ndarray
    summary: dict = field(default_factory=dict)


def radio_grid(city: City, resolution_m: float) -> tuple[Affine, tuple[int, int]]:
    """North-up grid ``(transform, (rows, cols))`` covering ``city.boundary``."""
    minx, miny, maxx, maxy = city.boundary.bounds
    cols = max(1, math.ceil((maxx - minx) / resolution_m))
    rows = max(1, math.ceil((maxy - miny) / resolution_m))
    return Affine(resolution_m, 0, minx, 0, -resolution_m, maxy), (rows, cols)


def _config(config: RadioConfig | dict | None) -> RadioConfig:
    if isinstance(config, RadioConfig):
        return config
    return RadioConfig.parse(config)


def _blocking(city: City, cfg: RadioConfig, transform: Affine, shape: tuple[int, int]):
    """Return the building surface, its transform and the deterministic-blocking mask."""
    if cfg.blocking == "off":
        return None, None, np.zeros(shape, dtype=bool)
    base = height_surface(city.buildings, transform, shape)
    res = cfg.surface_resolution_m or cfg.resolution_m
    if res == cfg.resolution_m:
        surface, s_tr = base, transform
    else:
        s_tr, s_shape = radio_grid(city, res)
        surface = height_surface(city.buildings, s_tr, s_shape)
    if cfg.blocking == "on":
        det = np.ones(shape, dtype=bool)
    else:
        det = known_mask(base, cfg.resolution_m, cfg.known_radius_m)
    return surface, s_tr, det


def _stats(grids: CoverageGrids, mask: np.ndarray) -> dict:
    out = {}
    for i, h in enumerate(grids.heights_m):
        r, s = grids.rsrp_dbm[i][mask], grids.sinr_db[i][mask]
        r, s = r[np.isfinite(r)], s[np.isfinite(s)]
        out[f"{h:g}"] = {
            "median_rsrp_dbm": round(float(np.median(r)), 2) if r.size else None,
            "median_sinr_db": round(float(np.median(s)), 2) if s.size else None,
            "p10_sinr_db": round(float(np.percentile(s, 10)), 2) if s.size else None,
        }
    return out


def _summary(res: RadioCoverage, grids: CoverageGrids, city: City, people: tuple, secs: float):
    cfg, tg = res.config, res.config.targets
    xy, ppl = people
    total_people = float(ppl.sum())
    area = area_covered(grids, res.city_mask)
    per10k = sites_per_10k(res.sites, total_people)
    kp = key_places_reached(grids, city)
    net = network_coverage(grids, res.corridors if len(res.corridors) else None, cfg)
    corr = [
        {k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items() if k != "geometry"}
        for row in res.corridors.drop(columns="geometry").to_dict("records")
    ]
    srcs = res.sites["source"].value_counts().to_dict() if len(res.sites) else {}
    return {
        "sites": int(len(res.sites)),
        "sectors": int(len(res.sectors)),
        "sites_5g": int(res.sites["is_5g"].astype(bool).sum()) if len(res.sites) else 0,
        "site_sources": {str(k): int(v) for k, v in srcs.items()},
        "scenarios": {
            str(k): int(v) for k, v in res.sites["scenario"].value_counts().to_dict().items()
        }
        if len(res.sites)
        else {},
        "heights_m": res.heights_m,
        "resolution_m": cfg.resolution_m,
        "grid_shape": list(res.rsrp_dbm.shape[1:]),
        "deterministic_blocking_share": round(float(res.deterministic[res.city_mask].mean()), 4)
        if res.city_mask.any()
        else 0.0,
        "people": round(total_people, 1),
        "population_covered_ground_pct": kpi(
            population_covered(grids, xy, ppl, cfg), tg.population_pct
        ),
        "area_covered_pct": {
            f"{h:g}": kpi(a, tg.area_pct) for h, a in zip(res.heights_m, area, strict=True)
        },
        "route_network": {**net, "covered_pct": kpi(net["covered_pct"], tg.route_coverage_pct)},
        "corridors": corr,
        "key_places": {**kp, "reached_pct": kpi(kp["reached_pct"], tg.key_places_pct)},
        "sites_5g_per_10k_people": kpi(per10k, tg.sites_per_10k),
        "by_height": _stats(grids, res.city_mask),
        "noise_dbm_per_re": round(noise_dbm_per_re(cfg), 2),
        "re_power_offset_db": round(re_power_offset_db(cfg), 2),
        "seconds": round(secs, 2),
        "assumptions": cfg.report(),
    }


def analyze_radio(
    city: City,
    config: RadioConfig | dict | None = None,
    corridors: gpd.GeoDataFrame | None = None,
    population=None,
    band: tuple[float, float] = DEFAULT_BAND,
) -> RadioCoverage:
    """Mobile coverage on the ground and at flight altitude from a 3GPP model over OSM buildings.

    Parameters
    ----------
    city : City
        The loaded city (projected CRS, buildings with ``height_m``, telecom, key places).
    config : RadioConfig or dict, optional
        The ``radio:`` settings (defaults: :class:`RadioConfig`).
    corridors : GeoDataFrame, optional
        Drone corridor lines (e.g. ``CorridorResult.corridors``); optional ``altitude_m``.
    population : array_like or GeoDataFrame, optional
        People per building, or points/polygons with ``people``; default the buildings'
        ``people``.
    band : tuple of float
        Drone flight band ``(min_m, max_m)``; the aerial heights follow it unless
        ``heights_m`` is set.

    Returns
    -------
    RadioCoverage
        Grids, sites, the per-corridor table (columns :data:`planner.radio.CORRIDOR_COLUMNS`)
        and a JSON-safe ``summary``.

    """
    t0 = time.perf_counter()
    cfg = _config(config)
    heights = [cfg.ground_height_m, *cfg.flight_heights(band)]
    transform, shape = radio_grid(city, cfg.resolution_m)
    people = population_points(city, population)
    sites, sectors = load_sites(city, cfg, *people)
    surface, s_tr, det = _blocking(city, cfg, transform, shape)
    grids = compute_coverage(
        sites, sectors, transform, shape, heights, cfg, surface, s_tr, det if det.any() else None
    )
    mask = rasterio.features.geometry_mask(
        [city.boundary], out_shape=shape, transform=transform, invert=True
    )
    if corridors is not None and len(corridors) and corridors.crs is not None:
        corridors = corridors.to_crs(city.crs)
    res = RadioCoverage(
        config=cfg,
        heights_m=grids.heights_m,
        rsrp_dbm=grids.rsrp_dbm,
        sinr_db=grids.sinr_db,
        serving_site=grids.site,
        serving_sector=grids.server,
        covered=grids.covered,
        transform=transform,
        crs=city.crs,
        sites=sites,
        sectors=sectors,
        corridors=corridor_coverage(grids, corridors, cfg),
        deterministic=det,
        city_mask=mask,
    )
    res.summary = _json_safe(_summary(res, grids, city, people, time.perf_counter() - t0))
    return res


def _json_safe(obj):
    """Replace NaN/Inf by None and numpy scalars by Python ones, recursively."""
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, np.bool_ | bool):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        return float(obj) if np.isfinite(obj) else None
    return obj
