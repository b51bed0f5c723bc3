"""Raster primitives: a north-up grid type and one cloud-optimised GeoTIFF writer."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from affine import Affine

from planner._files import atomic_path
from planner._threads import usable_threads

__all__ = ["Grid", "MEM_SOURCE_BYTES", "write_cog"]


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


#: Stacks up to this size are written to the COG driver from memory (a GDAL MEM dataset, one
#: copy of the stack); larger ones from an uncompressed temporary GeoTIFF next to the output.
MEM_SOURCE_BYTES = 512 * 2**20


def write_cog(
    path: str | Path,
    bands: np.ndarray,
    transform: Affine,
    crs: Any,
    nodata: float | None = None,
    descriptions: Sequence[str] | None = None,
) -> Path:
    """Write a cloud-optimised GeoTIFF atomically (temporary file, then rename).

    The grid goes to GDAL's COG driver (DEFLATE with the predictor of its data type,
    overviews, compressed in :func:`planner._threads.usable_threads` threads) from an
    uncompressed source: a MEM dataset, or for stacks above :data:`MEM_SOURCE_BYTES` a
    temporary plain GeoTIFF. The file is the one a compressed source gives (the same
    bytes), only written faster.

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
    stack = bands[np.newaxis] if bands.ndim == 2 else bands
    profile = {
        "width": stack.shape[2],
        "height": stack.shape[1],
        "count": stack.shape[0],
        "dtype": stack.dtype,
        "crs": crs,
        "transform": transform,
        "nodata": nodata,
    }
    path = Path(path)
    with atomic_path(path) as tmp:
        if stack.nbytes <= MEM_SOURCE_BYTES:
            done = _cog_from_memory(tmp, stack, profile, descriptions)
        else:
            done = _cog_from_plain(tmp, stack, profile, descriptions)
        if not done:  # no COG driver (GDAL < 3.1): a plain tiled GeoTIFF
            _write_gtiff(tmp, stack, {**profile, "compress": "deflate"}, descriptions)
    return path


def _to_cog(src, tmp: Path) -> bool:
    """Copy the open dataset ``src`` to ``tmp`` as a COG; False when GDAL cannot."""
    from rasterio.shutil import copy as rio_copy

    try:
        rio_copy(
            src,
            tmp,
            driver="COG",
            compress="DEFLATE",
            predictor="YES",  # horizontal differencing: 2 for integers, 3 for floats
            num_threads=str(usable_threads()),
        )
    except Exception:  # no COG driver (GDAL < 3.1)
        return False
    return True


def _describe(dst, descriptions: Sequence[str] | None) -> None:
    for i, text in enumerate(descriptions or [], start=1):
        dst.set_band_description(i, text)


def _write_gtiff(path: Path, stack: np.ndarray, profile: dict, descriptions) -> None:
    """Write ``stack`` as a tiled (256 x 256) GeoTIFF with the band descriptions."""
    import rasterio

    tiled = {"driver": "GTiff", "tiled": True, "blockxsize": 256, "blockysize": 256}
    with rasterio.open(path, "w", **tiled, **profile) as dst:
        dst.write(stack)
        _describe(dst, descriptions)


def _cog_from_memory(tmp: Path, stack: np.ndarray, profile: dict, descriptions) -> bool:
    """Write ``stack`` to a GDAL MEM dataset, then to ``tmp`` through the COG driver."""
    import rasterio

    with rasterio.open("", "w", driver="MEM", **profile) as mem:
        mem.write(stack)
        _describe(mem, descriptions)
        return _to_cog(mem, tmp)


def _cog_from_plain(tmp: Path, stack: np.ndarray, profile: dict, descriptions) -> bool:
    """Write ``stack`` to an uncompressed GeoTIFF beside ``tmp``, then copy it as a COG."""
    import rasterio

    plain = tmp.with_name(tmp.name + ".plain.tif")
    try:
        _write_gtiff(plain, stack, profile, descriptions)
        with rasterio.open(plain) as src:
            return _to_cog(src, tmp)
    finally:
        plain.unlink(missing_ok=True)
