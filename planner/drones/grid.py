"""The drone analysis grid: the city's raster grid, point sampling and rasterised masks."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import rasterio.features
from affine import Affine
from shapely.geometry.base import BaseGeometry

from planner._memory import check_memory
from planner._raster import Grid
from planner.drones.astar import route_threads
from planner.drones.lattice import router_method, xy_to_cell
from planner.errors import ConfigError

if TYPE_CHECKING:
    from planner.city import City

__all__ = [
    "BYTES_PER_CELL",
    "city_grid",
    "ASTAR_THREAD_BYTES",
    "drone_step_bytes",
    "raster_grid",
    "raster_values",
    "rasterize_mask",
]

#: Peak bytes per lattice cell of the drone step, per free-mode router, besides the A*
#: router's per-thread scratch (measured: the exact router peaked at 16.5 GB on 28.5 M cells;
#: the A* router with 2 threads at 87-96 B per cell besides the city on the 3 x 1 and 3 x 3
#: mosaics).
BYTES_PER_CELL = {"astar": 120, "exact": 600}
#: Scratch bytes per lattice cell and search thread of the A* router (g, predecessor, state).
ASTAR_THREAD_BYTES = 16


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


def drone_step_bytes(shape: tuple[int, int], method: str | None = None) -> float:
    """Return the estimated peak bytes of the drone step on a grid of ``shape``.

    The A* router's scratch grows with its threads (:func:`~planner.drones.astar.route_threads`).
    """
    method = router_method(method)
    per_cell = BYTES_PER_CELL[method]
    if method == "astar":
        per_cell += ASTAR_THREAD_BYTES * route_threads()
    return float(shape[0]) * shape[1] * per_cell


def city_grid(city: City, resolution_m: float) -> Grid:
    """Return the grid covering ``city.boundary`` at ``resolution_m``.

    Raises
    ------
    ConfigError
        Naming ``drones.resolution_m`` when the drone step on this grid would not fit the
        memory budget (:mod:`planner._memory`): the guard refuses rather than coarsening,
        since every drone raster shares this grid.
    """
    grid = raster_grid(tuple(city.boundary.bounds), resolution_m)
    rows, cols = grid.shape
    check_memory(
        drone_step_bytes(grid.shape),
        f"drone lattice of {rows:,} x {cols:,} cells at {resolution_m:g} m",
        "drones.resolution_m",
    )
    return grid


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
