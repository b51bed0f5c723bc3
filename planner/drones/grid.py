"""The drone analysis grid: the city's raster grid, point sampling and rasterised masks."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import rasterio.features
from affine import Affine
from shapely.geometry.base import BaseGeometry

from planner._raster import Grid
from planner.drones.lattice import xy_to_cell
from planner.errors import ConfigError

if TYPE_CHECKING:
    from planner.city import City

__all__ = ["city_grid", "raster_grid", "raster_values", "rasterize_mask"]


def raster_grid(bounds: tuple[float, float, float, float], resolution_m: float) -> Grid:
    """Return the north-up grid covering ``bounds``.

    Parameters
    ----------
    bounds : tuple
        ``(minx, miny, maxx, maxy)`` in the projected CRS (m).
    resolution_m : float
        Cell size (m).

    Returns
    -------
    Grid
        ``(transform, (rows, cols))``.
    """
    if not resolution_m > 0:
        raise ConfigError("drones.resolution_m: must be > 0")
    return Grid.covering(bounds, resolution_m)


def city_grid(city: City, resolution_m: float) -> Grid:
    """Return the grid covering ``city.boundary`` at ``resolution_m``."""
    return raster_grid(tuple(city.boundary.bounds), resolution_m)


def rasterize_mask(
    geoms: Iterable[BaseGeometry | None],
    transform: Affine,
    shape: tuple[int, int],
    all_touched: bool = True,
) -> np.ndarray:
    """Return the boolean mask of the cells a set of geometries touches.

    Parameters
    ----------
    geoms : iterable of shapely geometries
        Geometries to burn in; None and empty ones are skipped.
    transform : affine.Affine
        Grid transform.
    shape : tuple of int
        Grid ``(rows, cols)``.
    all_touched : bool
        Burn every cell a geometry touches (True) or only those whose centre it covers.

    Returns
    -------
    numpy.ndarray
        bool grid.
    """
    geoms = [g for g in geoms if g is not None and not g.is_empty]
    if not geoms:
        return np.zeros(shape, dtype=bool)
    return rasterio.features.rasterize(
        ((g, 1) for g in geoms),
        out_shape=shape,
        transform=transform,
        fill=0,
        all_touched=all_touched,
        dtype="uint8",
    ).astype(bool)


def raster_values(
    raster: np.ndarray, transform: Affine, x: np.ndarray, y: np.ndarray, fill: float = 0.0
) -> np.ndarray:
    """Return the raster value under each point (``fill`` outside the grid).

    Parameters
    ----------
    raster : numpy.ndarray
        2-D grid.
    transform : affine.Affine
        Its transform.
    x, y : numpy.ndarray
        Point coordinates (grid CRS).
    fill : float
        Value of points outside the grid.

    Returns
    -------
    numpy.ndarray
        One value per point.
    """
    cells = xy_to_cell(x, y, transform, raster.shape)
    flat = raster.ravel()
    return np.where(cells >= 0, flat[np.clip(cells, 0, None)], fill)
