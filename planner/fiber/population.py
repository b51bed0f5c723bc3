"""Dasymetric allocation of a population raster (e.g. WorldPop) to residential buildings."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer
from rasterio.errors import RasterioIOError
from rasterio.transform import rowcol

from planner.errors import InputFileError

__all__ = ["allocate_population"]

log = logging.getLogger(__name__)


def allocate_population(buildings: gpd.GeoDataFrame, path: str | Path) -> np.ndarray:
    """Share each raster cell's people among the residential buildings in it by floor area.

    Parameters
    ----------
    buildings : GeoDataFrame
        Projected buildings with ``residential`` and ``floor_area_m2``.
    path : str or Path
        A single-band GeoTIFF of people per cell (WorldPop "ppp" counts), any CRS, geographic
        (any, even non-square, degree resolution) or projected.

    Returns
    -------
    ndarray
        People per building (0 for non-residential ones and cells without people).

    Raises
    ------
    InputFileError
        Missing or unreadable raster, no CRS, or no overlap with the buildings.

    Notes
    -----
    Each building's representative point is transformed to the raster's CRS and located in a
    cell with the inverse geotransform (:func:`rasterio.transform.rowcol`), so no resampling
    is needed and geographic rasters keep their exact cell counts. People in cells without a
    residential building are not allocated (reported in the log).
    """
    import rasterio

    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: population raster not found")
    try:
        src = rasterio.open(path)
    except RasterioIOError:
        raise InputFileError(f"{path}: not a readable raster") from None
    with src:
        if src.crs is None:
            raise InputFileError(f"{path}: the population raster has no CRS")
        pts = shapely.point_on_surface(buildings.geometry.to_numpy())
        t = Transformer.from_crs(buildings.crs, src.crs, always_xy=True)
        x, y = t.transform(shapely.get_x(pts), shapely.get_y(pts))
        row, col = rowcol(src.transform, np.asarray(x), np.asarray(y), op=np.floor)
        row = np.asarray(row, dtype=np.int64)
        col = np.asarray(col, dtype=np.int64)
        inside = (col >= 0) & (col < src.width) & (row >= 0) & (row < src.height)
        if not inside.any():
            b = src.bounds
            raise InputFileError(
                f"{path}: the population raster (bounds {b.left:.4g}, {b.bottom:.4g}, "
                f"{b.right:.4g}, {b.top:.4g} in {src.crs.to_string()}) does not overlap the city"
            )
        r0, r1 = row[inside].min(), row[inside].max() + 1
        c0, c1 = col[inside].min(), col[inside].max() + 1
        window = rasterio.windows.Window(c0, r0, c1 - c0, r1 - r0)
        data = src.read(1, window=window, masked=True).astype(float).filled(0.0)
    data[~np.isfinite(data) | (data < 0)] = 0.0
    res = buildings["residential"].to_numpy(dtype=bool) & inside
    area = np.where(res, buildings["floor_area_m2"].to_numpy(dtype=float), 0.0)
    w = data.shape[1]
    cell = np.where(res, (row - r0) * w + (col - c0), 0)
    area_per_cell = np.bincount(cell[res], weights=area[res], minlength=data.size)
    people_cell = data.ravel()
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(area_per_cell[cell] > 0, area / area_per_cell[cell], 0.0)
    people = np.where(res, people_cell[cell] * share, 0.0)
    lost = people_cell.sum() - people.sum()
    if lost > 0.5:
        log.info(
            "%s: %.0f people in cells without a residential building not allocated", path, lost
        )
    return people
