"""Restricted airspace: flight rules in effect, no-fly zones, obstacles and blocked cells."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
from affine import Affine
from pyproj import CRS

from planner._raster import Grid
from planner.config import load_preset
from planner.config.drones import (
    DEFAULT_OBSTACLE_HEIGHT_M,
    KIND_LAYER,
    OBSTACLE_KINDS,
    AirspacePreset,
    DroneConfig,
    FlightBand,
    NoFlyRule,
)
from planner.drones.grid import rasterize_mask
from planner.errors import ConfigError

if TYPE_CHECKING:
    from planner.city import City

__all__ = [
    "Airspace",
    "FlightRules",
    "blocked_mask",
    "blocking_geometries",
    "flight_rules",
    "nofly_zones",
    "obstacles",
    "restricted_airspace",
    "zone_margin",
]


@dataclass
class FlightRules:
    """The rule preset and the heights and margins a run flies by."""

    preset: AirspacePreset
    top_m: float  #: top of the flight band: the band's ceiling, at most the altitude cap
    clearance_m: float  #: vertical clearance kept above obstacles
    margin_m: float  #: lateral margin kept from no-fly zones and blocking obstacles


@dataclass
class Airspace:
    """Where corridors may not go, as vector layers and as a blocked-cell mask."""

    nofly: gpd.GeoDataFrame  #: from :func:`nofly_zones`
    obstacles: gpd.GeoDataFrame  #: from :func:`obstacles`
    tall: gpd.GeoDataFrame  #: blocking obstacles (``layer == "obstacle"``) as they are
    blocked: np.ndarray  #: bool grid from :func:`blocked_mask`


def zone_margin(cfg: DroneConfig) -> float:
    """Return the lateral margin kept from no-fly zones and blocking obstacles (m).

    ``zone_margin_m``, or half the corridor width when it is None (0 is a valid margin).
    """
    return cfg.corridor_width_m / 2 if cfg.zone_margin_m is None else cfg.zone_margin_m


def flight_rules(cfg: DroneConfig) -> FlightRules:
    """Load the preset and work out the band top, obstacle clearance and zone margin.

    Parameters
    ----------
    cfg : DroneConfig
        The drones configuration.

    Returns
    -------
    FlightRules
        The rules in effect.

    Raises
    ------
    ConfigError
        When the band floor is at or above the preset's altitude cap.
    """
    preset = load_preset(cfg.preset, cfg.overrides)
    top = min(cfg.band.max_m, preset.altitude_cap.value_m)
    if top <= cfg.band.min_m:
        raise ConfigError(
            f"drones.band: band floor {cfg.band.min_m} m is at or above the preset's "
            f"altitude cap {preset.altitude_cap.value_m} m"
        )
    clearance = preset.default_clearance.value_m if cfg.clearance_m is None else cfg.clearance_m
    return FlightRules(preset, top, clearance, zone_margin(cfg))


def restricted_airspace(city: City, cfg: DroneConfig, rules: FlightRules, grid: Grid) -> Airspace:
    """Return the no-fly zones, obstacles and blocked cells of a run.

    Parameters
    ----------
    city : City
        The loaded city.
    cfg : DroneConfig
        The drones configuration (``band``, ``obstacle_heights``).
    rules : FlightRules
        From :func:`flight_rules`.
    grid : Grid
        The city grid the blocked mask is built on.

    Returns
    -------
    Airspace
        Zones, obstacles, the blocking obstacles and the blocked-cell mask.
    """
    nofly = nofly_zones(city, rules.preset, cfg.band)
    obst = obstacles(city, rules.clearance_m, cfg.obstacle_heights)
    blocked = blocked_mask(nofly, obst, rules.top_m, *grid, rules.margin_m)
    blocking = blocking_geometries(nofly, obst, rules.top_m, 0.0)
    tall = blocking[blocking["layer"] == "obstacle"]
    return Airspace(nofly=nofly, obstacles=obst, tall=tall, blocked=blocked)


# --------------------------------------------------------------------------- vector layers


def _or_empty(gdf: gpd.GeoDataFrame, crs: CRS) -> gpd.GeoDataFrame:
    """Return the layer, or an empty one with a ``kind`` column when it has no rows."""
    if len(gdf) == 0:
        return gpd.GeoDataFrame({"kind": []}, geometry=[], crs=crs)
    return gdf


def _kind_layers(city: City) -> dict[str, gpd.GeoDataFrame]:
    """Return the City layers that :data:`KIND_LAYER` names, by layer name."""
    layers = {"airspace": city.airspace, "key_places": city.key_places, "landuse": city.landuse}
    return {name: _or_empty(gdf, city.crs) for name, gdf in layers.items()}


def _names(frame: pd.DataFrame) -> np.ndarray:
    """Return the ``name`` column as strings ("" when missing)."""
    if "name" not in frame:
        return np.full(len(frame), "")
    return frame["name"].fillna("").astype(str).to_numpy()


def nofly_zones(
    city: City, preset: AirspacePreset, band: FlightBand | None = None
) -> gpd.GeoDataFrame:
    """Buffered no-fly zones for the features a preset names.

    A rule with a ceiling below the band's floor does not restrict flights in the band and
    is left out when ``band`` is given.

    Parameters
    ----------
    city : City
        The city data object (``airspace``, ``key_places``, ``landuse`` layers are read).
    preset : AirspacePreset
        Rules from :func:`load_preset`.
    band : FlightBand, optional
        Flight band; rules whose ``ceiling_m`` is at or below ``band.min_m`` are skipped.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``reason``, ``kind``, ``name``, ``buffer_m``, ``ceiling_m``, ``source``,
        ``geometry`` (polygons, ``city.crs``).
    """
    layers = _kind_layers(city)
    parts = []
    for kind, rule in preset.nofly.items():
        if band is not None and rule.ceiling_m is not None and rule.ceiling_m <= band.min_m:
            continue
        layer = layers[KIND_LAYER[kind]]
        sel = layer[layer["kind"] == kind]
        sel = sel[sel.geometry.notna() & ~sel.geometry.is_empty]
        if not sel.empty:
            parts.append(_rule_zones(sel, kind, rule, city.crs))
    cols = ["reason", "kind", "name", "buffer_m", "ceiling_m", "source"]
    if not parts:
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs=city.crs)
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=city.crs)


def _rule_zones(sel: gpd.GeoDataFrame, kind: str, rule: NoFlyRule, crs: CRS) -> gpd.GeoDataFrame:
    """Return the zones of one no-fly rule: its features buffered, with a reason each."""
    names = _names(sel)
    geom = sel.geometry.buffer(rule.buffer_m) if rule.buffer_m > 0 else sel.geometry
    # zero-width lines/points without buffer still need an area to block
    geom = geom.where(geom.area > 0, sel.geometry.buffer(0.5))
    reason = [
        f"{kind} {n!r} ({rule.buffer_m:g} m buffer)" if n else f"{kind} ({rule.buffer_m:g} m)"
        for n in names
    ]
    return gpd.GeoDataFrame(
        {
            "reason": reason,
            "kind": kind,
            "name": names,
            "buffer_m": float(rule.buffer_m),
            "ceiling_m": np.nan if rule.ceiling_m is None else float(rule.ceiling_m),
            "source": rule.source,
        },
        geometry=geom.to_numpy(),
        crs=crs,
    )


def obstacles(
    city: City,
    clearance: float,
    default_heights: dict[str, float] | None = None,
) -> gpd.GeoDataFrame:
    """Vertical obstacles: buildings, masts, towers, chimneys and power lines.

    Parameters
    ----------
    city : City
        The city data object (``buildings``, ``airspace``, ``telecom``).
    clearance : float
        Required vertical clearance above each obstacle (m).
    default_heights : dict, optional
        Height per kind where OSM has none; defaults to :data:`DEFAULT_OBSTACLE_HEIGHT_M`.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``kind``, ``name``, ``height_m``, ``height_source`` (``tag``, ``levels``,
        ``default``, or ``unknown`` when the buildings layer does not say),
        ``top_m`` (height + clearance), ``geometry``.
    """
    if clearance < 0:
        raise ConfigError("drones.clearance_m: must be >= 0")
    heights = {**DEFAULT_OBSTACLE_HEIGHT_M, **(default_heights or {})}
    bad = [k for k, v in heights.items() if not (np.isfinite(v) and v > 0)]
    if bad:
        raise ConfigError(f"drones.obstacle_heights: heights must be > 0 m ({', '.join(bad)})")
    frames = []
    if len(city.buildings):
        frames.append(_building_obstacles(city.buildings))
    for src in (city.airspace, city.telecom):
        sel = src[src["kind"].isin(OBSTACLE_KINDS)] if len(src) else src
        if len(sel):
            frames.append(_structure_obstacles(sel, heights))
    if not frames:
        return gpd.GeoDataFrame(
            {"kind": [], "name": [], "height_m": [], "height_source": [], "top_m": []},
            geometry=[],
            crs=city.crs,
        )
    df = pd.concat(frames, ignore_index=True)
    df["top_m"] = df["height_m"] + float(clearance)
    return gpd.GeoDataFrame(df, geometry="geometry", crs=city.crs)


def _building_obstacles(b: gpd.GeoDataFrame) -> pd.DataFrame:
    """Return buildings as obstacles, with the height and height source of the layer."""
    return pd.DataFrame(
        {
            "kind": "building",
            "name": b["name"].fillna("") if "name" in b else "",
            "height_m": b["height_m"].astype(float).to_numpy(),
            "height_source": b["height_source"].astype(str).to_numpy()
            if "height_source" in b
            else "unknown",
            "geometry": b.geometry.to_numpy(),
        }
    )


def _structure_obstacles(sel: gpd.GeoDataFrame, heights: dict[str, float]) -> pd.DataFrame:
    """Masts, towers, chimneys and power lines; the kind's default height where OSM has none."""
    h = sel["height_m"].astype(float) if "height_m" in sel else pd.Series(np.nan, index=sel.index)
    default = sel["kind"].map(heights).astype(float)
    return pd.DataFrame(
        {
            "kind": sel["kind"].to_numpy(),
            "name": sel["name"].fillna("").to_numpy() if "name" in sel else "",
            "height_m": h.fillna(default).to_numpy(),
            "height_source": np.where(h.isna(), "default", "tag"),
            "geometry": sel.geometry.to_numpy(),
        }
    )


# --------------------------------------------------------------------------- blocking


def blocked_mask(
    nofly: gpd.GeoDataFrame,
    obst: gpd.GeoDataFrame,
    band_top_m: float,
    transform: Affine,
    shape: tuple[int, int],
    margin_m: float = 0.0,
) -> np.ndarray:
    """Cells where flying in the band is not allowed.

    A cell is blocked if it touches a no-fly zone (grown by ``margin_m``) or an obstacle
    whose height + clearance (``top_m``) reaches the band top. Cells are rasterised with
    ``all_touched=True``, so a straight segment between two free cell centres never
    enters a blocked geometry.

    Parameters
    ----------
    nofly, obst : geopandas.GeoDataFrame
        From :func:`nofly_zones` and :func:`obstacles`.
    band_top_m : float
        Top of the flight band (m AGL).
    transform : affine.Affine
        Grid transform.
    shape : tuple of int
        Grid ``(rows, cols)``.
    margin_m : float
        Lateral margin (m).

    Returns
    -------
    numpy.ndarray
        bool grid, True where blocked.
    """
    eps = 1e-3 * abs(transform.a)  # catch geometries lying exactly on a cell edge
    geoms = blocking_geometries(nofly, obst, band_top_m, margin_m + eps).geometry
    return rasterize_mask(geoms.to_numpy(), transform, shape, all_touched=True)


def blocking_geometries(
    nofly: gpd.GeoDataFrame,
    obst: gpd.GeoDataFrame,
    band_top_m: float,
    margin_m: float = 0.0,
) -> gpd.GeoDataFrame:
    """Return the geometries a corridor must keep out of: no-fly zones and tall obstacles.

    An obstacle blocks when its height + clearance (``top_m``) reaches the band top.

    Parameters
    ----------
    nofly : geopandas.GeoDataFrame
        From :func:`nofly_zones`.
    obst : geopandas.GeoDataFrame
        From :func:`obstacles`.
    band_top_m : float
        Top of the flight band (m AGL).
    margin_m : float
        Lateral margin each geometry is grown by (m); 0 keeps them as they are (a buffer
        of 0 would erase lines and points such as power lines and masts).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``layer`` (``nofly`` or ``obstacle``), ``reason``, ``geometry``.
    """
    if margin_m < 0:
        raise ConfigError("drones.zone_margin_m: must be >= 0")
    tall = obst[obst["top_m"] >= band_top_m] if len(obst) else obst.iloc[:0]
    zones = nofly["reason"] if "reason" in nofly else pd.Series("", index=nofly.index)
    frame = gpd.GeoDataFrame(
        {
            "layer": ["nofly"] * len(nofly) + ["obstacle"] * len(tall),
            "reason": list(zones)
            + [f"{k} ({h:g} m)" for k, h in zip(tall["kind"], tall["height_m"], strict=True)],
        },
        geometry=list(nofly.geometry) + list(tall.geometry),
        crs=nofly.crs if nofly.crs is not None else obst.crs,
    )
    if margin_m > 0 and len(frame):
        frame["geometry"] = frame.geometry.buffer(margin_m)
    return frame
