"""Aggregate premises to H3 hexagons, districts and a coverage GeoTIFF."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike
from pyproj import CRS, Transformer
from rasterio.transform import from_origin

from planner._raster import write_cog

__all__ = [
    "COUNT_COLUMNS",
    "coverage_pct",
    "district_layer",
    "h3_cells",
    "hex_layer",
    "write_coverage_tif",
]

#: Per-premise count columns aggregated everywhere.
COUNT_COLUMNS = ["premises", "passed", "near", "unserved", "unreachable"]


def _lonlat(points: np.ndarray, crs: CRS) -> tuple[np.ndarray, np.ndarray]:
    t = Transformer.from_crs(crs, 4326, always_xy=True)
    return t.transform(shapely.get_x(points), shapely.get_y(points))


def h3_cells(points: np.ndarray, crs: CRS, resolutions: list[int]) -> dict[int, np.ndarray]:
    """Return the H3 cell (string id) of every point at each resolution.

    The finest resolution is computed per point with :func:`h3.latlng_to_cell`; coarser ones
    with :func:`h3.cell_to_parent` on the unique fine cells only.
    """
    lon, lat = _lonlat(points, crs)
    res = sorted(resolutions)
    fine = res[-1]
    cells = [h3.latlng_to_cell(y, x, fine) for x, y in zip(lon, lat, strict=True)]
    cells = np.array(cells, dtype=object)
    out = {fine: cells}
    uniq, inv = np.unique(cells, return_inverse=True)
    for r in res[:-1]:
        parents = np.array([h3.cell_to_parent(c, r) for c in uniq], dtype=object)
        out[r] = parents[inv]
    return out


def hex_layer(counts: pd.DataFrame, cells: np.ndarray, resolution: int) -> gpd.GeoDataFrame:
    """Sum per-premise counts per H3 cell and attach WGS84 hexagon polygons.

    Parameters
    ----------
    counts : DataFrame
        :data:`COUNT_COLUMNS` per building.
    cells : ndarray
        H3 cell of each building.
    resolution : int
        The H3 resolution of ``cells``.

    Returns
    -------
    GeoDataFrame
        ``h3``, ``resolution``, counts, ``coverage_pct`` (passed / premises), EPSG:4326.
    """
    agg = counts[COUNT_COLUMNS].groupby(cells).sum()
    agg.index.name = "h3"
    agg = agg.reset_index()
    agg["resolution"] = resolution
    agg["coverage_pct"] = coverage_pct(agg["passed"], agg["premises"])
    polys = [
        shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(c)]) for c in agg["h3"]
    ]
    return gpd.GeoDataFrame(agg, geometry=polys, crs=4326)


def coverage_pct(passed: ArrayLike, premises: ArrayLike) -> np.ndarray:
    """Return passed / premises in percent, rounded to 0.01; NaN where there are no premises."""
    passed = np.asarray(passed, dtype=float)
    premises = np.asarray(premises, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.round(np.where(premises > 0, 100 * passed / premises, np.nan), 2)


def district_layer(
    counts: pd.DataFrame, points: np.ndarray, admin: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """Sum per-premise counts per admin area (every level kept, ``admin_level`` column)."""
    cols = ["osm_id", "name", "admin_level"]
    if admin is None or len(admin) == 0:
        return gpd.GeoDataFrame(
            columns=[*cols, *COUNT_COLUMNS, "coverage_pct", "geometry"],
            geometry="geometry",
            crs=4326,
        )
    admin = admin.reset_index(drop=True)
    # index the points and query with the polygons, so each polygon is prepared once
    tree = shapely.STRtree(points)
    ai, pi = tree.query(admin.geometry.values, predicate="contains")
    vals = counts[COUNT_COLUMNS].to_numpy()[pi]
    sums = np.zeros((len(admin), len(COUNT_COLUMNS)))
    np.add.at(sums, ai, vals)
    out = admin[[c for c in cols if c in admin]].copy()
    for j, c in enumerate(COUNT_COLUMNS):
        out[c] = sums[:, j].astype(np.int64)
    out["coverage_pct"] = coverage_pct(out["passed"], out["premises"])
    return gpd.GeoDataFrame(out, geometry=admin.geometry.values, crs=admin.crs).to_crs(4326)


def write_coverage_tif(
    path: str | Path,
    points: np.ndarray,
    premises: np.ndarray,
    passed: np.ndarray,
    crs: CRS,
    res: float,
) -> Path:
    """Write a coverage GeoTIFF in the city CRS: bands premises, passed, coverage %.

    A cloud-optimised GeoTIFF (GDAL COG driver) when available, else a tiled GeoTIFF; written
    to a temporary file then moved into place (atomic). Cells without premises are nodata.
    """
    path = Path(path)
    x, y = shapely.get_x(points), shapely.get_y(points)
    if len(x) == 0:
        x0, y0, x1, y1 = 0.0, 0.0, res, res
    else:
        x0, y0 = np.floor(x.min() / res) * res, np.floor(y.min() / res) * res
        x1, y1 = x.max() + res, y.max() + res
    w = max(1, int(np.ceil((x1 - x0) / res)))
    h = max(1, int(np.ceil((y1 - y0) / res)))
    col = np.clip(((x - x0) // res).astype(np.int64), 0, w - 1)
    row = np.clip(((y1 - y) // res).astype(np.int64), 0, h - 1)
    flat = row * w + col
    prem = np.bincount(flat, weights=premises, minlength=w * h).reshape(h, w)
    pas = np.bincount(flat, weights=passed, minlength=w * h).reshape(h, w)
    nodata = -1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = np.where(prem > 0, 100 * pas / prem, nodata)
    bands = np.stack([np.where(prem > 0, prem, nodata), np.where(prem > 0, pas, nodata), pct])
    return write_cog(
        path,
        bands.astype("float32"),
        from_origin(x0, y1, res, res),
        crs,
        nodata=nodata,
        descriptions=["premises", "premises_passed", "coverage_pct"],
    )
