"""Fibre supply placed on the street network: source intervals, on-network flags, greenfield."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np

from planner.city.model import City
from planner.config.fiber import FiberConfig
from planner.fiber.netdist import Sources, concat_sources, sources_from_lines, sources_from_snaps
from planner.fiber.result import FiberNetwork
from planner.fiber.snapping import snap_points
from planner.fiber.supply import is_line, resolve_assets

__all__ = ["Supply", "asset_sources", "place_supply"]

log = logging.getLogger(__name__)


@dataclass
class Supply:
    """The fibre supply of a city and where it meets the streets.

    Attributes
    ----------
    assets : GeoDataFrame
        Every asset used, with ``on_network`` (it reached a street).
    sources : Sources
        The assets as intervals of street edges.
    off_network : bool
        There are assets but none reaches a street (likely a wrong CRS or position).
    greenfield : bool
        No asset, or none on the network: every premise is unserved.
    """

    assets: gpd.GeoDataFrame
    sources: Sources
    off_network: bool
    greenfield: bool


def asset_sources(
    net: FiberNetwork, assets: gpd.GeoDataFrame, config: FiberConfig
) -> tuple[Sources, np.ndarray]:
    """Snap point assets and map route lines onto streets.

    Returns the source intervals and a boolean per asset: it reached the street network.
    """
    geoms = assets.geometry.to_numpy()
    lines = is_line(geoms)
    placed = np.zeros(len(assets), dtype=bool)
    snap = snap_points(net.edges, geoms[~lines], max_distance=config.max_snap_m)
    placed[np.flatnonzero(~lines)] = snap.ok
    pts = sources_from_snaps(snap)
    line_src, hit = sources_from_lines(
        net.edges, geoms[lines], config.route_buffer_m, return_hits=True
    )
    placed[np.flatnonzero(lines)] = hit
    return concat_sources(pts, line_src), placed


def place_supply(
    city: City, net: FiberNetwork, config: FiberConfig, assets: gpd.GeoDataFrame | None
) -> Supply:
    """Collect the supply (:func:`planner.fiber.supply.resolve_assets`) and put it on streets.

    Without any asset, or with assets none of which reaches a street, the result is
    greenfield and a warning is logged.
    """
    supply = resolve_assets(city, config, assets)
    sources, placed = asset_sources(net, supply, config)
    off_network = len(supply) > 0 and len(sources) == 0
    greenfield = len(supply) == 0 or off_network
    if off_network:
        log.warning(
            "%s: all %d fibre assets lie off the street network (none within max_snap_m = "
            "%g m of a street, no route line along one): treated as GREENFIELD, every premise "
            "is unserved; check the assets' CRS and positions",
            city.name,
            len(supply),
            config.max_snap_m,
        )
    elif greenfield:
        log.warning(
            "%s: NO fibre assets (OSM or operator files): greenfield result, every premise "
            "is unserved",
            city.name,
        )
    return Supply(
        assets=supply.assign(on_network=placed),
        sources=sources,
        off_network=bool(off_network),
        greenfield=bool(greenfield),
    )
