"""Fibre supply: OSM telecom assets and operator asset files (GeoJSON, GeoPackage, CSV)."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from planner.city.model import City
from planner.config.fiber import FiberConfig
from planner.errors import InputFileError

__all__ = [
    "ASSET_COLUMNS",
    "SCHEMA",
    "empty_assets",
    "is_line",
    "load_assets",
    "osm_fibre_assets",
    "read_asset_file",
    "resolve_assets",
    "split_collections",
]

log = logging.getLogger(__name__)

#: Columns of the assets GeoDataFrame used by the fibre analysis.
ASSET_COLUMNS = ["kind", "operator", "name", "source", "geometry"]

#: Operator asset-file schema (documented in docs/fiber.md).
#:
#: * GeoJSON / GeoPackage: Point, MultiPoint, LineString or MultiLineString features (polygons
#:   are reduced to a representative point). GeoJSON is WGS84 by the RFC 7946 standard; a
#:   GeoPackage carries its CRS (any CRS, reprojected to the city's).
#: * CSV: columns ``lon`` and ``lat`` (or ``longitude`` / ``latitude``) in WGS84 degrees.
#: * Optional columns in all formats: ``kind`` (``olt``, ``cabinet``, ``access_point``,
#:   ``exchange``, ``route`` ...; default ``operator_point`` / ``operator_route``), ``operator``,
#:   ``name``.
SCHEMA = (
    "points (access points, cabinets, OLTs) and/or lines (fibre routes) as GeoJSON (WGS84), "
    "GeoPackage (any CRS) or CSV with lon,lat columns in WGS84; optional kind, operator, name"
)

_LON = ("lon", "longitude", "lng", "x")
_LAT = ("lat", "latitude", "y")


def read_asset_file(
    path: str | Path,
    crs: CRS,
    boundary: BaseGeometry | None = None,
    max_outside_m: float = 5000.0,
) -> gpd.GeoDataFrame:
    """Read one operator asset file, check it and reproject it to the city CRS.

    Parameters
    ----------
    path : str or Path
        ``.geojson`` / ``.json``, ``.gpkg`` or ``.csv`` (see :data:`SCHEMA`).
    crs : pyproj.CRS
        The city's projected CRS.
    boundary : shapely geometry, optional
        The city extent (projected). Assets farther than ``max_outside_m`` from it are dropped
        with a warning; if every asset is that far the file is refused (a wrong CRS).
    max_outside_m : float
        How far outside the city an asset may lie and still count.

    Returns
    -------
    GeoDataFrame
        :data:`ASSET_COLUMNS`, projected to ``crs``.

    Raises
    ------
    InputFileError
        One line naming the file: missing, unreadable, empty, rows without geometry or
        coordinates, no CRS on a projected-looking file, or all assets far from the city.
    """
    path = Path(path)
    gdf = _read_table(path)
    _check_geometries(path, gdf)
    gdf = _with_valid_crs(path, gdf).to_crs(crs)
    gdf = _normalise(split_collections(gdf), source=str(path))
    if boundary is not None:
        gdf = _near_city(path, gdf, boundary, max_outside_m)
    return gdf


def _read_table(path: Path) -> gpd.GeoDataFrame:
    if not path.is_file():
        raise InputFileError(f"{path}: asset file not found")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        gdf = _read_csv(path)
    elif suffix in (".geojson", ".json", ".gpkg"):
        try:
            gdf = gpd.read_file(path)
        except Exception as exc:  # pyogrio raises several types for unreadable files
            raise InputFileError(f"{path}: not a readable {suffix[1:]} file ({exc})") from None
    else:
        raise InputFileError(f"{path}: unknown asset file type (expected .geojson, .gpkg or .csv)")
    if len(gdf) == 0:
        raise InputFileError(f"{path}: the asset file holds no features")
    return gdf


def _check_geometries(path: Path, gdf: gpd.GeoDataFrame) -> None:
    missing = gdf.geometry.isna() | gdf.geometry.is_empty
    if missing.any():
        rows = np.flatnonzero(missing.to_numpy())[:5] + 1
        raise InputFileError(
            f"{path}: {int(missing.sum())} feature(s) without geometry "
            f"(rows {', '.join(map(str, rows))})"
        )


def _lonlat_bounds(gdf: gpd.GeoDataFrame) -> bool:
    x0, y0, x1, y1 = gdf.total_bounds
    return bool(-180 <= x0 and x1 <= 180 and -90 <= y0 and y1 <= 90)


def _with_valid_crs(path: Path, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Give a CRS-less file of degrees WGS84; refuse projected or out-of-range coordinates."""
    if gdf.crs is None:
        if not _lonlat_bounds(gdf):
            raise InputFileError(
                f"{path}: no CRS given and coordinates are not WGS84 degrees; set the file's CRS"
            )
        gdf = gdf.set_crs(4326)
    if gdf.crs.is_geographic and not _lonlat_bounds(gdf):
        raise InputFileError(
            f"{path}: coordinates are outside the valid lon/lat range for CRS "
            f"{gdf.crs.to_string()} (projected coordinates labelled as degrees?)"
        )
    return gdf


def _near_city(
    path: Path, gdf: gpd.GeoDataFrame, boundary: BaseGeometry, max_outside_m: float
) -> gpd.GeoDataFrame:
    """Drop assets farther than ``max_outside_m`` from the city; refuse a file of only those."""
    far = gdf.geometry.distance(boundary).to_numpy() > max_outside_m
    if far.all():
        raise InputFileError(
            f"{path}: all {len(gdf)} assets lie more than {max_outside_m / 1000:g} km outside "
            "the city (wrong CRS or lon/lat swapped?)"
        )
    if far.any():
        log.warning(
            "%s: dropped %d of %d assets more than %g km outside the city",
            path,
            int(far.sum()),
            len(gdf),
            max_outside_m / 1000,
        )
        gdf = gdf[~far].reset_index(drop=True)
    return gdf


def _read_csv(path: Path) -> gpd.GeoDataFrame:
    try:
        df = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise InputFileError(f"{path}: the asset file is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{path}: not a readable CSV file ({exc})") from None
    cols = {c.lower().strip(): c for c in df.columns}
    lon = next((cols[c] for c in _LON if c in cols), None)
    lat = next((cols[c] for c in _LAT if c in cols), None)
    if lon is None or lat is None:
        raise InputFileError(
            f"{path}: CSV needs lon and lat columns (found {', '.join(df.columns)})"
        )
    x = pd.to_numeric(df[lon], errors="coerce")
    y = pd.to_numeric(df[lat], errors="coerce")
    bad = x.isna() | y.isna()
    if len(df) and bad.any():
        rows = np.flatnonzero(bad.to_numpy())[:5] + 2
        raise InputFileError(
            f"{path}: {int(bad.sum())} row(s) without numeric lon/lat "
            f"(lines {', '.join(map(str, rows))})"
        )
    if len(df) and not (x.between(-180, 180).all() and y.between(-90, 90).all()):
        raise InputFileError(
            f"{path}: lon/lat values outside -180..180 / -90..90; CSV coordinates must be WGS84"
        )
    other = df.drop(columns=[lon, lat])
    return gpd.GeoDataFrame(other, geometry=gpd.points_from_xy(x, y), crs=4326)


#: Type ids of the geometries split into their parts: MultiPoint, GeometryCollection.
_SPLIT_TYPES = [4, 7]


def split_collections(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return ``gdf`` with MultiPoints and GeometryCollections split into one row per part.

    The parts keep the feature's attributes; nested collections are split until none is
    left and empty parts are dropped. Lines and multi-lines stay whole (a route), polygons
    are reduced to a point later like any polygon.
    """
    tid = shapely.get_type_id(gdf.geometry.to_numpy())
    if not np.isin(tid, _SPLIT_TYPES).any():
        return gdf
    n, multi = len(gdf), int(np.isin(tid, _SPLIT_TYPES).sum())
    while np.isin(shapely.get_type_id(gdf.geometry.to_numpy()), _SPLIT_TYPES).any():
        split = np.isin(shapely.get_type_id(gdf.geometry.to_numpy()), _SPLIT_TYPES)
        parts = gdf[split].explode(index_parts=False)
        gdf = pd.concat([gdf[~split], parts]).sort_index(kind="stable")
    gdf = gdf[~gdf.geometry.is_empty & gdf.geometry.notna()].reset_index(drop=True)
    log.info("assets: %d multi-part features split (%d rows, were %d)", multi, len(gdf), n)
    return gdf


def _normalise(gdf: gpd.GeoDataFrame, source: str) -> gpd.GeoDataFrame:
    geom = gdf.geometry.to_numpy()
    tid = shapely.get_type_id(geom)
    polygon = np.isin(tid, [3, 6])
    geom = np.where(polygon, shapely.point_on_surface(geom), geom)
    lines = is_line(geom)
    cols = {c.lower(): c for c in gdf.columns}
    kind = (
        gdf[cols["kind"]].astype("string") if "kind" in cols else pd.Series(pd.NA, index=gdf.index)
    )
    kind = kind.fillna(
        pd.Series(np.where(lines, "operator_route", "operator_point"), index=gdf.index)
    )
    out = gpd.GeoDataFrame(
        {
            "kind": kind.astype("string").to_numpy(),
            "operator": _col(gdf, cols, "operator"),
            "name": _col(gdf, cols, "name"),
            "source": source,
        },
        geometry=geom,
        crs=gdf.crs,
    )
    return out


def _col(
    gdf: gpd.GeoDataFrame, cols: dict, name: str
) -> np.ndarray | pd.api.extensions.ExtensionArray:
    if name in cols:
        return gdf[cols[name]].astype("string").to_numpy()
    return pd.array([pd.NA] * len(gdf), dtype="string")


def osm_fibre_assets(telecom: gpd.GeoDataFrame, kinds: list[str]) -> gpd.GeoDataFrame:
    """Return the city's OSM fixed-network fibre assets of the given kinds (projected).

    Polygons (mapped cabinets, exchange buildings) become a representative point; fibre lines
    stay lines.
    """
    if len(telecom) == 0:
        return empty_assets(telecom.crs)
    mask = telecom["kind"].isin(kinds).to_numpy().copy()
    if "fibre" in telecom:
        mask &= telecom["fibre"].fillna(False).astype(bool).to_numpy()
    sel = telecom[mask]
    if len(sel) == 0:
        return empty_assets(telecom.crs)
    out = _normalise(sel[["kind", "operator", "name", "geometry"]].reset_index(drop=True), "osm")
    return out


def empty_assets(crs: CRS | None) -> gpd.GeoDataFrame:
    """Return an empty assets GeoDataFrame with the standard columns."""
    return gpd.GeoDataFrame(
        {c: pd.Series(dtype="string") for c in ASSET_COLUMNS[:-1]}, geometry=[], crs=crs
    )


def load_assets(
    paths: list[str | Path],
    crs: CRS,
    boundary: BaseGeometry | None = None,
    max_outside_m: float = 5000.0,
) -> gpd.GeoDataFrame:
    """Read and concatenate several operator asset files (see :func:`read_asset_file`)."""
    frames = [read_asset_file(p, crs, boundary, max_outside_m) for p in paths]
    if not frames:
        return empty_assets(crs)
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=crs)


def is_line(geoms: np.ndarray) -> np.ndarray:
    """Return True for LineString / MultiLineString / LinearRing geometries."""
    return np.isin(shapely.get_type_id(np.asarray(geoms, dtype=object)), [1, 2, 5])


def resolve_assets(
    city: City, config: FiberConfig, assets: gpd.GeoDataFrame | None
) -> gpd.GeoDataFrame:
    """Collect the supply: OSM fibre assets, operator files, and ``assets`` given by the caller."""
    frames = []
    if config.use_osm_assets:
        frames.append(osm_fibre_assets(city.telecom, config.asset_kinds))
    if config.asset_files:
        frames.append(
            load_assets(config.asset_files, city.crs, city.boundary, config.max_asset_outside_m)
        )
    if assets is not None:
        frames.append(_argument_assets(assets, city.crs))
    frames = [f for f in frames if len(f)]
    if not frames:
        return empty_assets(city.crs)
    out = pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=city.crs)


def _argument_assets(assets: gpd.GeoDataFrame, crs: CRS) -> gpd.GeoDataFrame:
    """Assets given to :func:`planner.fiber.analyze_fiber`: reprojected, standard columns."""
    a = assets if assets.crs is None or assets.crs == crs else assets.to_crs(crs)
    a = split_collections(a.copy())
    for col in ("kind", "operator", "name"):
        if col not in a:
            a[col] = pd.NA
    if "source" not in a:
        a["source"] = "argument"
    return a[["kind", "operator", "name", "source", "geometry"]]
