"""Existing duct lines for the plan: operator duct files and the ``ducts`` argument."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
from pyproj import CRS

from planner.city import City
from planner.config.fiber import FiberConfig
from planner.config.plan import PlanConfig
from planner.errors import InputFileError
from planner.fiber.supply import is_line, read_asset_file

__all__ = ["duct_length_m", "ducts_in_crs", "gather_ducts", "load_ducts"]


def load_ducts(paths: list[str | Path], city: City, max_outside_m: float) -> gpd.GeoDataFrame:
    """Read operator duct files (asset-file schema and checks, lines only), projected.

    Parameters
    ----------
    paths : list of str or Path
        ``.geojson`` / ``.json`` / ``.gpkg`` files of duct lines (see
        :func:`planner.fiber.supply.read_asset_file`).
    city : planner.city.City
        Gives the CRS and the boundary (ducts farther outside are dropped).
    max_outside_m : float
        How far outside the city a duct may lie.

    Returns
    -------
    GeoDataFrame

    Raises
    ------
    InputFileError
        A file is unreadable, fails the asset-file checks, or holds features that are not lines.
    """
    frames = []
    for p in paths:
        g = read_asset_file(p, city.crs, city.boundary, max_outside_m)
        bad = ~is_line(g.geometry.to_numpy())
        if bad.any():
            raise InputFileError(
                f"{p}: {int(bad.sum())} of {len(g)} duct feature(s) are not lines; "
                "duct files must hold LineStrings"
            )
        frames.append(g)
    if not frames:
        return gpd.GeoDataFrame(geometry=[], crs=city.crs)
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=city.crs)


def ducts_in_crs(ducts: gpd.GeoDataFrame, crs: CRS) -> gpd.GeoDataFrame:
    """Return ``ducts`` reprojected to ``crs``.

    Raises
    ------
    InputFileError
        ``ducts`` has no CRS.
    """
    if ducts.crs is None:
        raise InputFileError("ducts: the GeoDataFrame has no CRS; set it with set_crs()")
    return ducts.to_crs(crs)


def gather_ducts(
    city: City, config: PlanConfig, fiber_config: FiberConfig, ducts: gpd.GeoDataFrame | None
) -> gpd.GeoDataFrame | None:
    """Return the ``ducts`` argument plus ``config.duct_files`` in the city CRS (None if none).

    Raises
    ------
    InputFileError
        A duct file is bad or ``ducts`` has no CRS.
    """
    frames = []
    if ducts is not None and len(ducts):
        frames.append(ducts_in_crs(ducts, city.crs)[["geometry"]])
    if config.duct_files:
        files = load_ducts(config.duct_files, city, fiber_config.max_asset_outside_m)
        frames.append(files[["geometry"]])
    if not frames:
        return None
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=city.crs)


def duct_length_m(ducts: gpd.GeoDataFrame | None) -> float:
    """Total length of the ducts given, rounded to 0.1 m (0.0 without ducts)."""
    if ducts is None or not len(ducts):
        return 0.0
    return round(float(ducts.geometry.length.sum()), 1)
