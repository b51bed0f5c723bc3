"""Low-altitude airspace model: rule presets, no-fly zones, obstacles and ground-risk rasters."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rasterio.crs
import rasterio.errors
import rasterio.features
import rasterio.warp
from affine import Affine
from scipy import ndimage

from planner._raster import Grid, write_cog
from planner.config import sora
from planner.config.drones import (
    DEFAULT_LANDUSE_FACTORS,
    DEFAULT_OBSTACLE_HEIGHT_M,
    DEFAULT_OCCUPANCY,
    KIND_LAYER,
    OBSTACLE_KINDS,
    AirspacePreset,
    FlightBand,
)
from planner.drones.lattice import xy_to_cell
from planner.errors import ConfigError, InputFileError

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------- vector layers


def _layer(city: Any, name: str) -> gpd.GeoDataFrame:
    gdf = getattr(city, name, None)
    if gdf is None or len(gdf) == 0:
        return gpd.GeoDataFrame({"kind": []}, geometry=[], crs=city.crs)
    return gdf


def nofly_zones(
    city: Any, preset: AirspacePreset, band: FlightBand | None = None
) -> gpd.GeoDataFrame:
    """Buffered no-fly zones for the features a preset names.

    A rule with a ceiling below the band's floor does not restrict flights in the band and
    is left out when ``band`` is given.

    Parameters
    ----------
    city : City
        The city data object (``airspace``, ``key_places``, ``landuse`` layers are read).
    preset : AirspacePreset
        Rules from :func:`load_preset`.
    band : FlightBand, optional
        Flight band; rules whose ``ceiling_m`` is at or below ``band.min_m`` are skipped.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``reason``, ``kind``, ``name``, ``buffer_m``, ``ceiling_m``, ``source``,
        ``geometry`` (polygons, ``city.crs``).
    """
    parts = []
    for kind, rule in preset.nofly.items():
        if band is not None and rule.ceiling_m is not None and rule.ceiling_m <= band.min_m:
            continue
        layer = _layer(city, KIND_LAYER[kind])
        sel = layer[layer["kind"] == kind]
        sel = sel[sel.geometry.notna() & ~sel.geometry.is_empty]
        if sel.empty:
            continue
        names = (
            sel["name"].fillna("").astype(str).to_numpy()
            if "name" in sel
            else np.full(len(sel), "")
        )
        geom = sel.geometry.buffer(rule.buffer_m) if rule.buffer_m > 0 else sel.geometry
        # zero-width lines/points without buffer still need an area to block
        geom = geom.where(geom.area > 0, sel.geometry.buffer(0.5))
        reason = [
            f"{kind} {n!r} ({rule.buffer_m:g} m buffer)" if n else f"{kind} ({rule.buffer_m:g} m)"
            for n in names
        ]
        parts.append(
            gpd.GeoDataFrame(
                {
                    "reason": reason,
                    "kind": kind,
                    "name": names,
                    "buffer_m": float(rule.buffer_m),
                    "ceiling_m": np.nan if rule.ceiling_m is None else float(rule.ceiling_m),
                    "source": rule.source,
                },
                geometry=geom.to_numpy(),
                crs=city.crs,
            )
        )
    cols = ["reason", "kind", "name", "buffer_m", "ceiling_m", "source"]
    if not parts:
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs=city.crs)
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=city.crs)


def obstacles(
    city: Any,
    clearance: float,
    default_heights: dict[str, float] | None = None,
) -> gpd.GeoDataFrame:
    """Vertical obstacles: buildings, masts, towers, chimneys and power lines.

    Parameters
    ----------
    city : City
        The city data object (``buildings``, ``airspace``, ``telecom``).
    clearance : float
        Required vertical clearance above each obstacle (m).
    default_heights : dict, optional
        Height per kind where OSM has none; defaults to :data:`DEFAULT_OBSTACLE_HEIGHT_M`.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``kind``, ``name``, ``height_m``, ``height_source`` (``tag``, ``levels``,
        ``default``, or ``unknown`` when the buildings layer does not say),
        ``top_m`` (height + clearance), ``geometry``.
    """
    if clearance < 0:
        raise ConfigError("drones.clearance_m: must be >= 0")
    heights = {**DEFAULT_OBSTACLE_HEIGHT_M, **(default_heights or {})}
    bad = [k for k, v in heights.items() if not (np.isfinite(v) and v > 0)]
    if bad:
        raise ConfigError(f"drones.obstacle_heights: heights must be > 0 m ({', '.join(bad)})")
    frames = []
    b = _layer(city, "buildings")
    if len(b):
        frames.append(
            pd.DataFrame(
                {
                    "kind": "building",
                    "name": b["name"].fillna("") if "name" in b else "",
                    "height_m": b["height_m"].astype(float).to_numpy(),
                    "height_source": b["height_source"].astype(str).to_numpy()
                    if "height_source" in b
                    else "unknown",
                    "geometry": b.geometry.to_numpy(),
                }
            )
        )
    a = _layer(city, "airspace")
    t = _layer(city, "telecom")
    for src in (a, t):
        sel = src[src["kind"].isin(OBSTACLE_KINDS)] if len(src) else src
        if not len(sel):
            continue
        h = (
            sel["height_m"].astype(float)
            if "height_m" in sel
            else pd.Series(np.nan, index=sel.index)
        )
        default = sel["kind"].map(heights).astype(float)
        frames.append(
            pd.DataFrame(
                {
                    "kind": sel["kind"].to_numpy(),
                    "name": sel["name"].fillna("").to_numpy() if "name" in sel else "",
                    "height_m": h.fillna(default).to_numpy(),
                    "height_source": np.where(h.isna(), "default", "tag"),
                    "geometry": sel.geometry.to_numpy(),
                }
            )
        )
    if not frames:
        return gpd.GeoDataFrame(
            {"kind": [], "name": [], "height_m": [], "height_source": [], "top_m": []},
            geometry=[],
            crs=city.crs,
        )
    df = pd.concat(frames, ignore_index=True)
    df["top_m"] = df["height_m"] + float(clearance)
    return gpd.GeoDataFrame(df, geometry="geometry", crs=city.crs)


# --------------------------------------------------------------------------- rasters


def raster_grid(bounds: tuple[float, float, float, float], resolution_m: float):
    """Return ``(transform, (rows, cols))`` of a north-up grid covering ``bounds``.

    Parameters
    ----------
    bounds : tuple
        ``(minx, miny, maxx, maxy)`` in the projected CRS (m).
    resolution_m : float
        Cell size (m).
    """
    if not resolution_m > 0:
        raise ConfigError("drones.resolution_m: must be > 0")
    return Grid.covering(bounds, resolution_m)


def city_grid(city: Any, resolution_m: float):
    """Grid ``(transform, shape)`` covering ``city.boundary`` at ``resolution_m``."""
    return raster_grid(tuple(city.boundary.bounds), resolution_m)


def rasterize_mask(
    geoms, transform: Affine, shape: tuple[int, int], all_touched: bool = True
) -> np.ndarray:
    """Boolean mask of the cells a set of geometries touches (``rasterio.features``)."""
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


def building_population(
    buildings: gpd.GeoDataFrame,
    people_per_household: float = DEFAULT_OCCUPANCY["people_per_household"],
    m2_per_person: float = DEFAULT_OCCUPANCY["m2_per_person"],
) -> np.ndarray:
    """People per building: residents (premises × household size) or floor area / occupancy.

    Residential buildings use ``premises`` × ``people_per_household``; the others
    ``floor_area_m2`` / ``m2_per_person`` (daytime occupants).
    """
    if len(buildings) == 0:
        return np.zeros(0)
    prem = buildings["premises"].fillna(0).to_numpy(float)
    area = buildings["floor_area_m2"].fillna(0).to_numpy(float)
    res = buildings["residential"].fillna(False).to_numpy(bool)
    return np.where(res, prem * people_per_household, area / m2_per_person)


def _raster_people(
    population_raster: str | Path | tuple,
    transform: Affine,
    shape: tuple[int, int],
    crs: Any,
) -> tuple[np.ndarray, np.ndarray]:
    """Density (people/km²) and covered cell fraction of a population raster on the grid.

    The covered fraction (0-1) of each city-grid cell comes from resampling a raster of ones.

    Raises :class:`InputFileError` naming the raster when it cannot be read, has no usable
    CRS, or does not overlap the city grid at all (which would silently give zero people).
    """
    name = (
        str(population_raster)
        if isinstance(population_raster, str | Path)
        else "drones.population_raster (array, transform, crs)"
    )
    if isinstance(population_raster, str | Path):
        try:
            with rasterio.open(population_raster) as src:
                arr, s_tr, s_crs = src.read(1).astype("float32"), src.transform, src.crs
                nod = src.nodata
        except rasterio.errors.RasterioIOError as exc:
            raise InputFileError(f"{name}: cannot read raster ({exc})") from None
        if nod is not None:
            arr[arr == nod] = 0
    else:
        try:
            arr, s_tr, s_crs = population_raster
            arr = np.asarray(arr, dtype="float32")
            s_tr = Affine(*tuple(s_tr)[:6])
        except (TypeError, ValueError) as exc:
            raise InputFileError(f"{name}: expected (array, transform, crs) ({exc})") from None
        if arr.ndim != 2:
            raise InputFileError(f"{name}: expected a 2-D array, got shape {arr.shape}")
    try:
        s_crs = rasterio.crs.CRS.from_user_input(s_crs) if s_crs is not None else None
    except (rasterio.errors.CRSError, ValueError, TypeError) as exc:
        raise InputFileError(f"{name}: unreadable CRS ({str(exc).splitlines()[0]})") from None
    if s_crs is None:
        raise InputFileError(f"{name}: raster has no CRS; georeference it (e.g. EPSG:4326)")
    arr = np.nan_to_num(arr, nan=0.0, posinf=0.0, neginf=0.0)
    dens = np.zeros(shape, dtype="float32")
    cover = np.zeros(shape, dtype="float32")
    try:
        for band, out in ((arr, dens), (np.ones_like(arr), cover)):
            rasterio.warp.reproject(
                band,
                out,
                src_transform=s_tr,
                src_crs=s_crs,
                dst_transform=transform,
                dst_crs=crs,
                resampling=rasterio.warp.Resampling.average,
                dst_nodata=0,
            )
    except rasterio.errors.RasterioError as exc:
        raise InputFileError(f"{name}: cannot reproject ({str(exc).splitlines()[0]})") from None
    if not cover.any():
        raise InputFileError(f"{name}: raster does not cover the city area")
    return dens, np.clip(cover, 0, 1)


def _coverage_pct(city: Any, cover: np.ndarray, transform: Affine) -> float:
    """Covered share (%) of the grid cells inside ``city.boundary`` (all cells if none)."""
    inside = rasterize_mask([city.boundary], transform, cover.shape, all_touched=False)
    if not inside.any():
        inside = np.ones(cover.shape, dtype=bool)
    # cells covered to within float32 resampling noise count as fully covered
    frac = np.where(cover[inside] > 1 - 1e-4, 1.0, cover[inside])
    return float(frac.mean() * 100.0)


def population_raster_coverage(
    city: Any, resolution_m: float, population_raster: str | Path | tuple
) -> float:
    """Share (%) of the city area that a population raster covers.

    Cells inside ``city.boundary`` are weighted by the fraction of their area the raster
    covers; :func:`population_density_raster` counts the uncovered rest as 0 people/km².

    Parameters
    ----------
    city : City
        The city data object.
    resolution_m : float
        Cell size (m) of the city grid.
    population_raster : path or (array, transform, crs)
        As for :func:`population_density_raster`.

    Returns
    -------
    float
        Covered share in percent (0-100).
    """
    transform, shape = city_grid(city, resolution_m)
    _, cover = _raster_people(population_raster, transform, shape, city.crs)
    return _coverage_pct(city, cover, transform)


def population_density_raster(
    city: Any,
    resolution_m: float = 10.0,
    population_raster: str | Path | tuple | None = None,
    people_per_household: float = DEFAULT_OCCUPANCY["people_per_household"],
    m2_per_person: float = DEFAULT_OCCUPANCY["m2_per_person"],
    window_m: float = DEFAULT_OCCUPANCY["window_m"],
    landuse_factors: dict[str, float] | None = None,
) -> tuple[np.ndarray, Affine]:
    """People per km² on the city grid, averaged over a ``window_m`` square window.

    Parameters
    ----------
    city : City
        The city data object.
    resolution_m : float
        Cell size (m).
    population_raster : path or (array, transform, crs), optional
        Population density (people/km²) to use instead of the building model; resampled
        onto the grid by averaging, then smoothed over ``window_m`` like the building
        model. A raster without CRS or not overlapping the city raises
        :class:`~planner.errors.InputFileError`; one covering only part of the city logs a
        warning with the covered share (the rest counts as 0 people/km², see
        :func:`population_raster_coverage`).
    people_per_household, m2_per_person : float
        Occupancy assumptions, see :data:`DEFAULT_OCCUPANCY`.
    window_m : float
        Side of the moving window the density is averaged over (m).
    landuse_factors : dict, optional
        Multipliers per landuse kind, see :data:`DEFAULT_LANDUSE_FACTORS`.

    Returns
    -------
    (numpy.ndarray, affine.Affine)
        float32 density (people/km²) and the grid transform.
    """
    transform, shape = city_grid(city, resolution_m)
    cell_km2 = resolution_m**2 / 1e6
    if population_raster is not None:
        # people per cell, so the window average below works the same for both sources
        dens_in, cover = _raster_people(population_raster, transform, shape, city.crs)
        people = dens_in * cell_km2
        pct = _coverage_pct(city, cover, transform)
        if pct < 100.0:
            log.warning(
                "population raster %s covers %.1f %% of the city area; the rest counts as "
                "0 people/km²",
                population_raster if isinstance(population_raster, str | Path) else "(array)",
                pct,
            )
    else:
        b = _layer(city, "buildings")
        people = np.zeros(shape[0] * shape[1], dtype="float64")
        if len(b):
            pop = building_population(b, people_per_household, m2_per_person)
            pts = b.geometry.representative_point()
            cell = xy_to_cell(pts.x.to_numpy(), pts.y.to_numpy(), transform, shape)
            ok = cell >= 0
            people = np.bincount(cell[ok], weights=pop[ok], minlength=people.size)
        people = people.reshape(shape)
    size = max(1, int(round(window_m / resolution_m)))
    mean_people = ndimage.uniform_filter(people.astype("float64"), size=size, mode="constant")
    dens = (mean_people / cell_km2).astype("float32")
    factors = {**DEFAULT_LANDUSE_FACTORS, **(landuse_factors or {})}
    lu = _layer(city, "landuse")
    for kind, f in factors.items():
        if f == 1.0 or not len(lu):
            continue
        m = rasterize_mask(lu.geometry[lu["kind"] == kind], transform, shape, all_touched=False)
        dens[m] *= f
    return np.clip(dens, 0, None), transform


def ground_risk_raster(
    city: Any,
    resolution_m: float = 10.0,
    ua_class: str = "1m",
    population_raster: str | Path | tuple | None = None,
    density: np.ndarray | None = None,
    **occupancy: Any,
) -> tuple[np.ndarray, Affine]:
    """SORA 2.5 iGRC per cell from people/km² (building model or a population raster).

    Parameters
    ----------
    city : City
        The city data object.
    resolution_m : float
        Cell size (m).
    ua_class : str
        SORA 2.5 Table 2 column (``1m``, ``3m``, ``8m``, ``20m``, ``40m``).
    population_raster : optional
        See :func:`population_density_raster`.
    density : numpy.ndarray, optional
        A precomputed density grid on the city grid (skips the population model).
    **occupancy
        ``people_per_household``, ``m2_per_person``, ``window_m``, ``landuse_factors``.

    Returns
    -------
    (numpy.ndarray, affine.Affine)
        int8 iGRC grid (-1 where out of SORA scope) and the grid transform.
    """
    if density is None:
        density, transform = population_density_raster(
            city, resolution_m, population_raster, **occupancy
        )
    else:
        transform, _ = city_grid(city, resolution_m)
    return sora.igrc(density, ua_class), transform


def blocked_mask(
    nofly: gpd.GeoDataFrame,
    obst: gpd.GeoDataFrame,
    band_top_m: float,
    transform: Affine,
    shape: tuple[int, int],
    margin_m: float = 0.0,
) -> np.ndarray:
    """Cells where flying in the band is not allowed.

    A cell is blocked if it touches a no-fly zone (grown by ``margin_m``) or an obstacle
    whose height + clearance (``top_m``) reaches the band top. Cells are rasterised with
    ``all_touched=True``, so a straight segment between two free cell centres never
    enters a blocked geometry.

    Returns
    -------
    numpy.ndarray
        bool grid, True where blocked.
    """
    eps = 1e-3 * abs(transform.a)  # catch geometries lying exactly on a cell edge
    geoms = blocking_geometries(nofly, obst, band_top_m, margin_m + eps).geometry
    return rasterize_mask(geoms.to_numpy(), transform, shape, all_touched=True)


def blocking_geometries(
    nofly: gpd.GeoDataFrame,
    obst: gpd.GeoDataFrame,
    band_top_m: float,
    margin_m: float = 0.0,
) -> gpd.GeoDataFrame:
    """Return the geometries a corridor must keep out of: no-fly zones and tall obstacles.

    An obstacle blocks when its height + clearance (``top_m``) reaches the band top.

    Parameters
    ----------
    nofly : geopandas.GeoDataFrame
        From :func:`nofly_zones`.
    obst : geopandas.GeoDataFrame
        From :func:`obstacles`.
    band_top_m : float
        Top of the flight band (m AGL).
    margin_m : float
        Lateral margin each geometry is grown by (m); 0 keeps them as they are (a buffer
        of 0 would erase lines and points such as power lines and masts).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``layer`` (``nofly`` or ``obstacle``), ``reason``, ``geometry``.
    """
    if margin_m < 0:
        raise ConfigError("drones.zone_margin_m: must be >= 0")
    tall = obst[obst["top_m"] >= band_top_m] if len(obst) else obst.iloc[:0]
    zones = nofly["reason"] if "reason" in nofly else pd.Series("", index=nofly.index)
    frame = gpd.GeoDataFrame(
        {
            "layer": ["nofly"] * len(nofly) + ["obstacle"] * len(tall),
            "reason": list(zones)
            + [f"{k} ({h:g} m)" for k, h in zip(tall["kind"], tall["height_m"], strict=True)],
        },
        geometry=list(nofly.geometry) + list(tall.geometry),
        crs=nofly.crs if nofly.crs is not None else obst.crs,
    )
    if margin_m > 0 and len(frame):
        frame["geometry"] = frame.geometry.buffer(margin_m)
    return frame


def write_geotiff(
    path: str | Path,
    array: np.ndarray,
    transform: Affine,
    crs: Any,
    nodata: float | None = None,
) -> Path:
    """Write a single-band cloud-optimised GeoTIFF atomically (see :func:`planner._raster.write_cog`)."""
    return write_cog(path, array, transform, crs, nodata=nodata)
