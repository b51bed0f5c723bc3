"""Raster primitives: a north-up grid type and one cloud-optimised GeoTIFF writer."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from affine import Affine

from planner._files import atomic_path

__all__ = ["Grid", "write_cog"]


class Grid(NamedTuple):
    """A north-up raster grid: the affine transform of its top-left corner and its shape.

    A tuple, so ``transform, (rows, cols) = grid`` unpacks it.
    """

    transform: Affine
    shape: tuple[int, int]

    @classmethod
    def covering(cls, bounds: Sequence[float], resolution_m: float, snap: bool = False) -> Grid:
        """Return the grid of ``resolution_m`` cells covering ``(minx, miny, maxx, maxy)``.

        Parameters
        ----------
        bounds : sequence of float
            ``(minx, miny, maxx, maxy)`` in a projected CRS (m).
        resolution_m : float
            Cell size (m), > 0.
        snap : bool
            Snap the origin to multiples of the cell size (stable cells across extents).
        """
        minx, miny, maxx, maxy = (float(v) for v in bounds)
        if snap:
            minx = math.floor(minx / resolution_m) * resolution_m
            miny = math.floor(miny / resolution_m) * resolution_m
        cols = max(1, math.ceil((maxx - minx) / resolution_m))
        rows = max(1, math.ceil((maxy - miny) / resolution_m))
        return cls(Affine(resolution_m, 0, minx, 0, -resolution_m, maxy), (rows, cols))

    @property
    def resolution(self) -> float:
        """Cell size (m)."""
        return abs(self.transform.a)


def write_cog(
    path: str | Path,
    bands: np.ndarray,
    transform: Affine,
    crs: Any,
    nodata: float | None = None,
    descriptions: Sequence[str] | None = None,
) -> Path:
    """Write a cloud-optimised GeoTIFF atomically (temporary file, then rename).

    Parameters
    ----------
    path : str or Path
        Output file.
    bands : numpy.ndarray
        A 2-D grid or a ``(bands, rows, cols)`` stack.
    transform : affine.Affine
        Grid transform.
    crs : CRS-like
        Coordinate reference system of the grid.
    nodata : float, optional
        No-data value.
    descriptions : sequence of str, optional
        One description per band (shown as band names in QGIS).

    Returns
    -------
    Path
        The written file. Falls back to a tiled GeoTIFF when GDAL has no COG driver.
    """
    import rasterio
    from rasterio.shutil import copy as rio_copy

    stack = bands[np.newaxis] if bands.ndim == 2 else bands
    profile = {
        "driver": "GTiff",
        "width": stack.shape[2],
        "height": stack.shape[1],
        "count": stack.shape[0],
        "dtype": stack.dtype,
        "crs": crs,
        "transform": transform,
        "nodata": nodata,
        "compress": "deflate",
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
    }
    path = Path(path)
    with atomic_path(path) as tmp:
        plain = tmp.with_name(tmp.name + ".plain.tif")
        try:
            with rasterio.open(plain, "w", **profile) as dst:
                dst.write(stack)
                for i, text in enumerate(descriptions or [], start=1):
                    dst.set_band_description(i, text)
            try:
                rio_copy(plain, tmp, driver="COG", compress="DEFLATE")
            except Exception:  # no COG driver (GDAL < 3.1): keep the plain tiled GeoTIFF
                os.replace(plain, tmp)
        finally:
            plain.unlink(missing_ok=True)
    return path
