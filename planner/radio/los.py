"""Deterministic line of sight from a site through a building-height surface (polar sweep)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from numba import njit
from scipy import ndimage

__all__ = [
    "height_surface",
    "known_mask",
    "Horizon",
    "horizon",
    "horizon_azimuths",
    "horizon_extent",
    "max_obstacle_slope",
    "is_los",
]


def height_surface(
    buildings: gpd.GeoDataFrame, transform: Affine, shape: tuple[int, int]
) -> np.ndarray:
    """Rasterise building heights: the tallest ``height_m`` whose footprint holds a cell centre.

    Vectorised: cell centres inside each footprint's bounding box are tested at once.

    Parameters
    ----------
    buildings : GeoDataFrame
        Footprints with ``height_m`` (m), in the grid's CRS.
    transform : affine.Affine
        North-up grid transform.
    shape : tuple of int
        ``(rows, cols)``.

    Returns
    -------
    ndarray (float32)
        Height (m) above ground; 0 where no building.

    """
    out = np.zeros(shape, dtype=np.float32)
    if buildings is None or len(buildings) == 0:
        return out
    h = pd.to_numeric(buildings["height_m"], errors="coerce").to_numpy(float)
    geoms = buildings.geometry.to_numpy()
    ok = np.isfinite(h) & (h > 0) & ~shapely.is_missing(geoms)
    geoms, h = geoms[ok], h[ok]
    b = shapely.bounds(geoms)
    t = transform
    c0 = np.maximum(np.ceil((b[:, 0] - t.c) / t.a - 0.5), 0).astype(np.int64)
    c1 = np.minimum(np.floor((b[:, 2] - t.c) / t.a - 0.5), shape[1] - 1).astype(np.int64)
    r0 = np.maximum(np.ceil((b[:, 3] - t.f) / t.e - 0.5), 0).astype(np.int64)
    r1 = np.minimum(np.floor((b[:, 1] - t.f) / t.e - 0.5), shape[0] - 1).astype(np.int64)
    nc, nr = np.maximum(c1 - c0 + 1, 0), np.maximum(r1 - r0 + 1, 0)
    n = nc * nr
    if n.sum() == 0:
        return out
    owner = np.repeat(np.arange(len(geoms)), n)
    k = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)  # index within the bbox
    rr = r0[owner] + k // nc[owner]
    cc = c0[owner] + k % nc[owner]
    x = t.c + t.a * (cc + 0.5)
    y = t.f + t.e * (rr + 0.5)
    inside = shapely.contains_xy(geoms[owner], x, y)
    np.maximum.at(out, (rr[inside], cc[inside]), h[owner[inside]].astype(np.float32))
    return out


def known_mask(surface: np.ndarray, cell_m: float, radius_m: float) -> np.ndarray:
    """Cells within ``radius_m`` of a mapped building (where blocking is deterministic).

    Parameters
    ----------
    surface : ndarray
        Building-height surface (0 = no building).
    cell_m : float
        Cell size (m).
    radius_m : float
        Neighbourhood radius (m).

    Returns
    -------
    ndarray of bool

    """
    has = surface > 0
    if not has.any():
        return np.zeros(surface.shape, dtype=bool)
    dist = ndimage.distance_transform_edt(~has) * cell_m
    return dist <= radius_m


@dataclass
class Horizon:
    """Running maximum obstacle slope along radials from one antenna.

    ``slope[a, k]`` is the largest ``(H - z0) / r`` over the radial samples ``r_1 .. r_k+1`` of
    azimuth ``a`` (azimuth ``a * az_step`` from north, clockwise; ``r_k = (k + 1) * step``).
    """

    x0: float
    y0: float
    z0: float
    step: float
    az_step: float
    slope: np.ndarray
    #: row of ``slope`` per azimuth index (-1: not swept) when only some azimuths were swept
    rows: np.ndarray | None = None


def horizon(
    surface: np.ndarray,
    transform: Affine,
    x0: float,
    y0: float,
    z0: float,
    max_range_m: float,
    step_m: float | None = None,
    azimuths: np.ndarray | None = None,
    lengths: np.ndarray | None = None,
) -> Horizon:
    """Sweep radials from ``(x0, y0, z0)`` over ``surface`` and keep the running max slope.

    One radial per cell-size arc at ``max_range_m``, sampled every ``step_m`` (default: the
    surface cell size); the cost is about twice the number of cells in range, whatever the
    number of UE heights, because the running max does not depend on the UE height. The
    sweep is one compiled pass (:func:`_sweep`) with the float32 arithmetic of the array
    formula ``floor(col0 + sin(az) r / cell)``.

    Parameters
    ----------
    surface : ndarray
        Building heights (m) on the grid of ``transform``.
    transform : affine.Affine
        North-up grid transform of ``surface``.
    x0, y0, z0 : float
        Antenna position and height above ground (m).
    max_range_m : float
        Longest radial (m).
    step_m : float, optional
        Sampling step (m).
    azimuths : ndarray of int, optional
        Sweep only these azimuth indices (from :func:`horizon_azimuths`; same samples).
    lengths : ndarray of int, optional
        Samples to sweep on each radial (one per swept azimuth, from :func:`horizon_extent`):
        the slopes beyond are left NaN; the ones swept are those of a full sweep.

    Returns
    -------
    Horizon

    """
    cell = abs(transform.a)
    step = float(step_m or cell)
    n_r = max(1, math.ceil(max_range_m / step))
    n_az = _n_azimuths(max_range_m, cell)
    az = np.arange(n_az, dtype=np.float32) * np.float32(2 * math.pi / n_az)
    rows_of = None
    if azimuths is not None:
        az = az[azimuths]
        rows_of = np.full(n_az, -1, dtype=np.int64)
        rows_of[azimuths] = np.arange(len(azimuths))
    r = (np.arange(n_r, dtype=np.float32) + 1) * np.float32(step)
    col0, row0 = (x0 - transform.c) / transform.a, (y0 - transform.f) / transform.e
    if lengths is None:
        lengths = np.full(len(az), n_r, dtype=np.int64)
    slope = np.full((len(az), n_r), np.nan, dtype=np.float32)
    f32 = np.float32
    _sweep(
        np.ascontiguousarray(surface, dtype=np.float32),
        np.sin(az),
        np.cos(az),
        r,
        np.minimum(np.asarray(lengths, dtype=np.int64), n_r),
        (f32(col0), f32(row0), f32(z0), f32(cell)),
        slope,
    )
    return Horizon(float(x0), float(y0), float(z0), step, 2 * math.pi / n_az, slope, rows_of)


@njit(cache=True, nogil=True)
def _sweep(surface, sx, sy, r, lengths, origin, out) -> None:  # pragma: no cover - compiled
    """Fill ``out[a, :lengths[a]]`` with the running max slope along radial ``a``.

    ``origin`` is ``(col0, row0, z0, cell)`` as float32: every step is the float32 operation
    of the array formula (cell ``floor(col0 + sx r / cell)``, row ``floor(row0 - sy r /
    cell)``, outside the grid height 0, slope ``(h - z0) / r``), so the values are the same.
    """
    col0, row0, z0, cell = origin
    n_rows, n_cols = surface.shape
    for a in range(sx.size):
        best = np.float32(-np.inf)
        for k in range(lengths[a]):
            c = np.floor(col0 + sx[a] * r[k] / cell)
            w = np.floor(row0 - sy[a] * r[k] / cell)
            h = np.float32(0.0)
            if 0 <= w < n_rows and 0 <= c < n_cols:
                h = surface[int(w), int(c)]
            s = (h - z0) / r[k]
            if k == 0 or s > best:
                best = s
            out[a, k] = best


def _n_azimuths(max_range_m: float, cell: float) -> int:
    """Return the number of radials of a horizon: one per cell-size arc at ``max_range_m``."""
    return max(8, math.ceil(2 * math.pi * max_range_m / cell))


def horizon_azimuths(transform: Affine, max_range_m: float, dx: np.ndarray, dy: np.ndarray):
    """Azimuth indices a :func:`horizon` of ``max_range_m`` reads for targets ``(dx, dy)``.

    Pass them as ``horizon(..., azimuths=...)`` to sweep only those radials: the slopes
    :func:`max_obstacle_slope` returns for these targets are the same as a full sweep's.
    """
    n_az = _n_azimuths(max_range_m, abs(transform.a))
    return np.unique(np.rint(np.arctan2(dx, dy) / (2 * math.pi / n_az)).astype(np.int64) % n_az)


def horizon_extent(
    transform: Affine,
    max_range_m: float,
    dx: np.ndarray,
    dy: np.ndarray,
    exclude_m: float,
    step_m: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Azimuth indices and samples per radial a :func:`horizon` needs for targets ``(dx, dy)``.

    Pass them as ``horizon(..., azimuths=..., lengths=...)``: each radial is swept only as
    far as its farthest target reads (the index :func:`max_obstacle_slope` computes with the
    same ``exclude_m``), so the slopes returned for these targets are a full sweep's.

    Returns
    -------
    tuple of ndarray
        ``(azimuths, lengths)``: sorted unique azimuth indices (int64) and, per azimuth, the
        number of radial samples to sweep (int64, at least 1).
    """
    cell = abs(transform.a)
    step = float(step_m or cell)
    n_r = max(1, math.ceil(max_range_m / step))
    n_az = _n_azimuths(max_range_m, cell)
    a = np.rint(np.arctan2(dx, dy) / (2 * math.pi / n_az)).astype(np.int64) % n_az
    k = np.floor((np.hypot(dx, dy) - exclude_m) / step).astype(np.int64)
    az, inv = np.unique(a, return_inverse=True)
    lengths = np.ones(az.size, dtype=np.int64)
    np.maximum.at(lengths, inv.ravel(), np.clip(k, 1, n_r).ravel())
    return az, lengths


def max_obstacle_slope(
    hz: Horizon,
    dx: np.ndarray,
    dy: np.ndarray,
    exclude_m: float,
    d: np.ndarray | None = None,
    angle: np.ndarray | None = None,
):
    """Largest obstacle slope between the antenna and targets at offsets ``(dx, dy)``.

    Samples closer than ``exclude_m`` to the target are ignored (the target's own cell).

    Parameters
    ----------
    hz : Horizon
        From :func:`horizon`.
    dx, dy : ndarray
        Target offsets east and north of the antenna (m).
    exclude_m : float
        Distance before the target that does not block (m).
    d, angle : ndarray, optional
        ``hypot(dx, dy)`` and ``arctan2(dx, dy)`` when the caller has them (same dtype).

    Returns
    -------
    ndarray (float32)
        ``-inf`` where no sample lies between.

    """
    d = np.hypot(dx, dy) if d is None else d
    angle = np.arctan2(dx, dy) if angle is None else angle
    n_az = hz.slope.shape[0] if hz.rows is None else len(hz.rows)
    # the float32 quotients of the array formula: azimuth index and samples r_1..r_k
    a = np.asarray(angle / hz.az_step)
    k = np.asarray((d - exclude_m) / hz.step)
    rows = np.arange(n_az) if hz.rows is None else hz.rows
    out = np.empty(a.shape, dtype=np.float32)
    if not _lookup(a.ravel(), k.ravel(), rows, hz.slope, out.ravel()):
        raise ValueError("max_obstacle_slope: a target's azimuth was not swept")
    return out


@njit(cache=True, nogil=True)
def _lookup(a, k, rows, slope, out) -> bool:  # pragma: no cover - compiled
    """``out[i] = slope[rows[rint(a[i]) % n_az], min(floor(k[i]), n_r) - 1]``, -inf if k < 1.

    Returns False when a target's azimuth row is -1 (not swept).
    """
    n_az, n_r = rows.size, slope.shape[1]
    for i in range(a.size):
        kk = np.floor(k[i])
        if not kk >= 1:
            out[i] = -np.inf
            continue
        row = rows[int(np.rint(a[i])) % n_az]
        if row < 0:
            return False
        out[i] = slope[row, min(int(kk), n_r) - 1]
    return True


def is_los(
    hz: Horizon,
    dx: np.ndarray,
    dy: np.ndarray,
    h_ut: float,
    exclude_m: float,
    slope: np.ndarray | None = None,
):
    """Line of sight from the antenna to UEs at height ``h_ut`` and offsets ``(dx, dy)``.

    The UE is visible when the straight line to it passes above every sampled obstacle:
    ``(h_ut - z0) / d >= max slope``. Pass ``slope`` (from :func:`max_obstacle_slope`) to
    reuse it across UE heights.

    Parameters
    ----------
    hz : Horizon
        From :func:`horizon`.
    dx, dy : ndarray
        Target offsets (m).
    h_ut : float
        UE height above ground (m).
    exclude_m : float
        See :func:`max_obstacle_slope`.
    slope : ndarray, optional
        Precomputed :func:`max_obstacle_slope` for these offsets.

    Returns
    -------
    ndarray of bool

    """
    d = np.maximum(np.hypot(dx, dy), 1e-6)
    if slope is None:
        slope = max_obstacle_slope(hz, dx, dy, exclude_m)
    return (h_ut - hz.z0) / d >= slope
