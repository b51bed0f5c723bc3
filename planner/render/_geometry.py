"""Map geometry: WGS84 output, grid aggregation, line merging and simplification to budgets."""

from __future__ import annotations

from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

__all__ = [
    "AGGREGATE_CELL_M",
    "COORD_PRECISION",
    "Simplified",
    "cell_keys",
    "grid_aggregate",
    "merge_lines_per_cell",
    "min_vertices",
    "simplify_to_budget",
    "to_wgs84",
]

#: Grid cell used when a point/polygon layer is aggregated (metres).
AGGREGATE_CELL_M = 100.0
#: Coordinate precision in degrees (1e-6 deg is about 0.1 m).
COORD_PRECISION = 1e-6


def to_wgs84(gdf: gpd.GeoDataFrame, simplify_m: float = 0.0) -> gpd.GeoDataFrame:
    """Simplify (in metres, when projected), reproject to EPSG:4326 and round coordinates.

    Rounding to :data:`COORD_PRECISION` degrees (about 0.1 m) roughly halves the GeoJSON text.

    Parameters
    ----------
    gdf : GeoDataFrame
        A layer with a CRS.
    simplify_m : float
        Simplification tolerance in metres (only applied to projected layers).

    Returns
    -------
    GeoDataFrame
        The layer in EPSG:4326.
    """
    out = gdf
    if gdf.crs is None:
        raise ValueError("layer has no CRS")
    if simplify_m > 0 and gdf.crs.is_projected:
        out = out.set_geometry(out.geometry.simplify(simplify_m, preserve_topology=True))
    out = out.to_crs(4326)
    geoms = shapely.set_precision(out.geometry.to_numpy(), COORD_PRECISION, mode="pointwise")
    return out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=4326))


def cell_keys(pts: np.ndarray, cell_m: float) -> pd.DataFrame:
    """Integer grid cell ``(ix, iy)`` of each projected point for square cells of ``cell_m``.

    Parameters
    ----------
    pts : ndarray of shapely Points
        Projected points.
    cell_m : float
        Cell side in metres.

    Returns
    -------
    DataFrame
        Columns ``ix`` and ``iy`` (int64).
    """
    return pd.DataFrame(
        {
            "ix": np.floor(shapely.get_x(pts) / cell_m).astype(np.int64),
            "iy": np.floor(shapely.get_y(pts) / cell_m).astype(np.int64),
        }
    )


def grid_aggregate(
    gdf: gpd.GeoDataFrame,
    cell_m: float = AGGREGATE_CELL_M,
    weight: str | None = None,
    by: str | None = None,
    points: np.ndarray | None = None,
) -> gpd.GeoDataFrame:
    """Aggregate features to square grid cells (by representative point), vectorised.

    Parameters
    ----------
    gdf : GeoDataFrame
        Features in a projected CRS.
    cell_m : float
        Cell side in metres.
    weight : str, optional
        Column summed per cell (e.g. ``premises``); the count of features is always kept.
    by : str, optional
        Category column: one row per (cell, category).
    points : ndarray of shapely Points, optional
        The features' representative points when already known (``point_on_surface``):
        callers trying several cell sizes compute them once.

    Returns
    -------
    GeoDataFrame
        Square polygons with ``features`` (count), ``<weight>`` (sum) and ``by`` columns.
    """
    if not gdf.crs or not gdf.crs.is_projected:
        raise ValueError("grid_aggregate needs a projected CRS (metres)")
    pts = shapely.point_on_surface(gdf.geometry.to_numpy()) if points is None else points
    df = cell_keys(pts, cell_m).assign(features=1)
    keys = ["ix", "iy"]
    if by is not None:
        df[by] = gdf[by].to_numpy()
        keys.append(by)
    if weight is not None:
        df[weight] = gdf[weight].to_numpy()
    agg = df.groupby(keys, as_index=False, sort=True).sum(numeric_only=True)
    x0 = agg["ix"].to_numpy() * cell_m
    y0 = agg["iy"].to_numpy() * cell_m
    boxes = shapely.box(x0, y0, x0 + cell_m, y0 + cell_m)
    return gpd.GeoDataFrame(agg.drop(columns=keys[:2]), geometry=boxes, crs=gdf.crs)


def _line_groups(
    gdf: gpd.GeoDataFrame, by: str | None, max_groups: int
) -> tuple[np.ndarray, float]:
    """Return the group id of each line (grid cell of its representative point, and ``by``).

    The cell starts at :data:`AGGREGATE_CELL_M` and doubles until at most ``max_groups``
    groups remain; returns the group ids and the cell used.
    """
    pts = shapely.point_on_surface(gdf.geometry.to_numpy())
    cell = AGGREGATE_CELL_M
    while True:
        key = cell_keys(pts, cell)
        if by is not None:
            key[by] = gdf[by].to_numpy()
        group = key.groupby(list(key.columns), sort=True).ngroup().to_numpy()
        if group.max() + 1 <= max_groups:
            return group, cell
        cell *= 2


def merge_lines_per_cell(
    gdf: gpd.GeoDataFrame, sums: list[str], by: str | None, max_groups: int
) -> tuple[gpd.GeoDataFrame, float]:
    """Merge lines into one MultiLineString per grid cell (and ``by``), at most ``max_groups``.

    Parameters
    ----------
    gdf : GeoDataFrame
        Projected line features.
    sums : list of str
        Columns summed per group.
    by : str, optional
        Category column kept per group (each group holds one category).
    max_groups : int
        Largest number of groups wanted.

    Returns
    -------
    (GeoDataFrame, float)
        One row per group with ``features`` (count), the ``sums`` and ``by``; and the cell
        side (m) used.
    """
    group, cell = _line_groups(gdf, by, max_groups)
    parts, owner = shapely.get_parts(gdf.geometry.to_numpy(), return_index=True)
    g = group[owner]
    o = np.argsort(g, kind="stable")
    lines = shapely.multilinestrings(parts[o], indices=g[o])
    df = pd.DataFrame({"_g": group, "features": 1})
    for c in sums + ([by] if by else []):
        df[c] = gdf[c].to_numpy()
    agg = df.groupby("_g", sort=True).agg(
        {"features": "sum", **dict.fromkeys(sums, "sum"), **({by: "first"} if by else {})}
    )
    return gpd.GeoDataFrame(agg.reset_index(drop=True), geometry=lines, crs=gdf.crs), cell


class Simplified(NamedTuple):
    """Geometries simplified to a vertex budget: before/after vertex counts and tolerance."""

    geoms: np.ndarray
    vertices_before: int
    vertices_after: int
    tolerance_m: float


def min_vertices(geoms: np.ndarray) -> int:
    """Fewest vertices topology-preserving simplification can leave, at any tolerance.

    Every line part keeps its two end points and every polygon its exterior ring (at least
    4 coordinates, closed); points, and holes (counted as 0), stay as they are.

    Parameters
    ----------
    geoms : ndarray of shapely geometries
        Geometries (any types).

    Returns
    -------
    int
        A lower bound of ``get_num_coordinates(simplify(geoms, t, True)).sum()`` for every t.
    """
    parts = shapely.get_parts(geoms)
    kind = shapely.get_type_id(parts)
    n = shapely.get_num_coordinates(parts)
    floor = np.select([kind == 1, kind == 2, kind == 3], [2, 4, 4], default=n)
    return int(np.minimum(n, floor).sum())


def simplify_to_budget(
    geoms: np.ndarray, start_m: float, max_vertices: int, max_tolerance_m: float
) -> Simplified:
    """Simplify projected geometries, doubling the tolerance, until they fit ``max_vertices``.

    Touching parts of MultiLineStrings are joined first. The tolerance starts at
    ``max(start_m, 1)`` and stops at ``max_tolerance_m`` even when still over budget. When
    even that cannot fit (:func:`min_vertices` over budget), it goes straight to
    ``max_tolerance_m``: the same result as the doubling, without the steps that cannot fit.

    Parameters
    ----------
    geoms : ndarray of shapely geometries
        Projected geometries (metres).
    start_m : float
        Initial tolerance (m).
    max_vertices : int
        Vertex budget.
    max_tolerance_m : float
        Largest tolerance used (m).

    Returns
    -------
    Simplified
    """
    n = int(shapely.get_num_coordinates(geoms).sum())
    tol = max(start_m, 1.0)
    geoms = geoms.copy()
    multi = shapely.get_type_id(geoms) == 5  # MultiLineString: join touching parts first
    geoms[multi] = shapely.line_merge(geoms[multi])
    if min_vertices(geoms) > max_vertices:  # no tolerance fits: the doubling would end here
        tol = max(tol, max_tolerance_m)
    while True:
        simple = shapely.simplify(geoms, tol, preserve_topology=True)
        m = int(shapely.get_num_coordinates(simple).sum())
        if m <= max_vertices or tol >= max_tolerance_m:
            return Simplified(simple, n, m, tol)
        tol = min(2 * tol, max_tolerance_m)
