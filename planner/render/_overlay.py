"""Raster overlays for Leaflet: a grid warped to Web Mercator as a transparent PNG."""

from __future__ import annotations

import base64
import hashlib
import io
from collections import OrderedDict
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from affine import Affine
    from pyproj import CRS

__all__ = ["MAX_RASTER_PX", "RISK_CMAP", "raster_png"]

#: Longest side (pixels) of the ground-risk image overlay.
MAX_RASTER_PX = 1200
#: Matplotlib colormap of the ground-risk overlay (image and legend ramp alike).
RISK_CMAP = "YlOrRd"
#: Overlays kept by :func:`raster_png` (the combined map shows the same grids as the
#: radio and airspace maps; each is warped and PNG-encoded once).
_CACHE_SIZE = 16
_cache: OrderedDict[tuple, tuple] = OrderedDict()


def _warp_to_mercator(
    src: np.ndarray, transform: Affine, crs: CRS | str, max_px: int
) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """Warp ``src`` to EPSG:3857 (max resampling) at <= ``max_px`` on its long side.

    Returns the warped grid (NaN outside) and its Web Mercator bounds (x0, y0, x1, y1).
    """
    from rasterio.transform import array_bounds, from_bounds
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    h, w = src.shape
    west, south, east, north = array_bounds(h, w, transform)
    bounds = (min(west, east), min(south, north), max(west, east), max(south, north))  # south-up
    dst_t, dw, dh = calculate_default_transform(crs, "EPSG:3857", w, h, *bounds)
    scale = max(1.0, max(dw, dh) / max_px)
    dw, dh = max(1, int(dw / scale)), max(1, int(dh / scale))
    x0, y1 = dst_t @ (0, 0)
    x1, y0 = dst_t @ (dw * scale, dh * scale)
    dst_t = from_bounds(x0, y0, x1, y1, dw, dh)
    dst = np.full((dh, dw), np.nan)
    reproject(
        src,
        dst,
        src_transform=transform,
        src_crs=crs,
        dst_transform=dst_t,
        dst_crs="EPSG:3857",
        src_nodata=np.nan,
        dst_nodata=np.nan,
        resampling=Resampling.max,
    )
    return dst, (x0, y0, x1, y1)


def _png_uri(dst: np.ndarray, lo: float, hi: float, cmap: str) -> str:
    """Colour ``dst`` (values <= ``lo`` and NaN transparent) as a PNG data URI."""
    import matplotlib as mpl
    from PIL import Image

    norm = (dst - lo) / (hi - lo if hi > lo else 1.0)
    rgba = mpl.colormaps[cmap](np.clip(np.nan_to_num(norm), 0, 1))
    rgba[..., 3] = np.where(np.isfinite(dst) & (dst > lo), 0.7, 0.0)
    buf = io.BytesIO()
    Image.fromarray((rgba * 255).astype(np.uint8), "RGBA").save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def raster_png(
    array: np.ndarray,
    transform: Affine,
    crs: CRS | str,
    nodata: float | None = None,
    cmap: str = RISK_CMAP,
    vmin: float | None = None,
    vmax: float | None = None,
    max_px: int = MAX_RASTER_PX,
) -> tuple[str, list[list[float]], tuple[float, float]]:
    """Warp a grid to Web Mercator and colour it as a transparent PNG data URI.

    Leaflet stretches an ImageOverlay linearly in Web Mercator between its lat/lon
    bounds, so warping to EPSG:3857 first places every pixel correctly.

    Parameters
    ----------
    array : ndarray
        The grid (rows north to south unless ``transform`` says otherwise).
    transform : Affine
        Grid to CRS transform.
    crs : CRS or str
        The grid's CRS.
    nodata : float, optional
        Value drawn transparent.
    cmap : str
        Matplotlib colormap.
    vmin, vmax : float, optional
        Colour range (default: the data range).
    max_px : int
        Longest side of the image.

    Returns
    -------
    (data_uri, [[south, west], [north, east]], (vmin, vmax))

    Notes
    -----
    The last few overlays are kept, keyed by a hash of the grid and the arguments: a grid
    shown on several maps is warped and encoded once.
    """
    src = np.ascontiguousarray(array, dtype="float64")
    digest = hashlib.blake2b(src.tobytes(), digest_size=16).hexdigest()
    key = (digest, src.shape, tuple(transform), str(crs), nodata, cmap, vmin, vmax, max_px)
    if key not in _cache:
        _cache[key] = _overlay(src, transform, crs, nodata, cmap, (vmin, vmax), max_px)
        if len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    _cache.move_to_end(key)
    uri, bounds, limits = _cache[key]
    return uri, [list(b) for b in bounds], limits


def _overlay(
    src: np.ndarray,
    transform: Affine,
    crs: CRS | str,
    nodata: float | None,
    cmap: str,
    limits: tuple[float | None, float | None],
    max_px: int,
) -> tuple[str, list[list[float]], tuple[float, float]]:
    """Compute :func:`raster_png` of a float64 grid (not cached)."""
    from rasterio.warp import transform_bounds

    vmin, vmax = limits
    if nodata is not None:
        src = np.where(src == nodata, np.nan, src)
    dst, (x0, y0, x1, y1) = _warp_to_mercator(src, transform, crs, max_px)
    finite = dst[np.isfinite(dst)]
    lo = float(vmin if vmin is not None else (finite.min() if finite.size else 0.0))
    hi = float(vmax if vmax is not None else (finite.max() if finite.size else 1.0))
    uri = _png_uri(dst, lo, hi, cmap)
    w_, s_, e_, n_ = transform_bounds("EPSG:3857", "EPSG:4326", x0, y0, x1, y1)
    return uri, [[s_, w_], [n_, e_]], (lo, hi)
