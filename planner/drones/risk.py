"""Ground risk: people per km² from buildings or a population raster, and SORA 2.5 iGRC."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import rasterio
import rasterio.crs
import rasterio.errors
import rasterio.warp
import rasterio.windows
from affine import Affine
from pyproj import CRS
from scipy import ndimage

from planner._raster import Grid
from planner.config import sora
from planner.config.drones import DEFAULT_LANDUSE_FACTORS, DEFAULT_OCCUPANCY, DroneConfig
from planner.drones.grid import city_grid, rasterize_mask
from planner.drones.lattice import xy_to_cell
from planner.errors import InputFileError

if TYPE_CHECKING:
    from planner.city import City

__all__ = [
    "GroundRisk",
    "PopulationRaster",
    "building_population",
    "ground_risk_model",
    "ground_risk_raster",
    "population_density_raster",
    "population_raster_coverage",
]

log = logging.getLogger(__name__)

#: A population density raster: a GeoTIFF path or an ``(array, transform, crs)`` triple.
PopulationRaster = str | Path | tuple


@dataclass
class GroundRisk:
    """People on the ground and the SORA ground-risk class, on the city grid."""

    grid: Grid  #: the city grid all rasters share
    density: np.ndarray  #: float32 people/km², window-averaged
    igrc: np.ndarray  #: int8 SORA 2.5 intrinsic ground-risk class (-1 out of scope)
    risk: np.ndarray  #: routing risk: density / ``risk_scale_ppl_km2``
    coverage_pct: float | None  #: share of the city a population raster covers (None: buildings)


def ground_risk_model(city: City, cfg: DroneConfig, people_per_household: float) -> GroundRisk:
    """Return the density, iGRC and routing-risk grids of a run.

    Parameters
    ----------
    city : City
        The loaded city.
    cfg : DroneConfig
        The drones configuration (``resolution_m``, ``population_raster``, occupancy,
        ``ua_class``, ``risk_scale_ppl_km2``).
    people_per_household : float
        Residents per premises of a residential building.

    Returns
    -------
    GroundRisk
        The grids, and the population raster's coverage rounded to 0.01 %.
    """
    grid = city_grid(city, cfg.resolution_m)
    density, pct = _population_density(
        city,
        grid,
        cfg.population_raster,
        people_per_household,
        cfg.m2_per_person,
        cfg.window_m,
        cfg.landuse_factors,
    )
    return GroundRisk(
        grid=grid,
        density=density,
        igrc=sora.igrc(density, cfg.ua_class),
        risk=density.astype(float) / cfg.risk_scale_ppl_km2,
        coverage_pct=None if pct is None else round(pct, 2),
    )


def building_population(
    buildings: gpd.GeoDataFrame,
    people_per_household: float,
    m2_per_person: float = DEFAULT_OCCUPANCY["m2_per_person"],
) -> np.ndarray:
    """People per building: residents (premises × household size) or floor area / occupancy.

    Residential buildings use ``premises`` × ``people_per_household``; the others
    ``floor_area_m2`` / ``m2_per_person`` (daytime occupants).

    Parameters
    ----------
    buildings : geopandas.GeoDataFrame
        The buildings layer (``premises``, ``floor_area_m2``, ``residential``).
    people_per_household : float
        Residents per premises.
    m2_per_person : float
        Non-residential floor area per occupant (m²).

    Returns
    -------
    numpy.ndarray
        People per building.
    """
    if len(buildings) == 0:
        return np.zeros(0)
    prem = buildings["premises"].fillna(0).to_numpy(float)
    area = buildings["floor_area_m2"].fillna(0).to_numpy(float)
    res = buildings["residential"].fillna(False).to_numpy(bool)
    return np.where(res, prem * people_per_household, area / m2_per_person)


def population_density_raster(
    city: City,
    resolution_m: float = 10.0,
    population_raster: PopulationRaster | None = None,
    *,
    people_per_household: float,
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
    people_per_household : float
        Residents per premises of a residential building (building model).
    m2_per_person : float
        Non-residential floor area per occupant (m²), see :data:`DEFAULT_OCCUPANCY`.
    window_m : float
        Side of the moving window the density is averaged over (m).
    landuse_factors : dict, optional
        Multipliers per landuse kind, see :data:`DEFAULT_LANDUSE_FACTORS`.

    Returns
    -------
    (numpy.ndarray, affine.Affine)
        float32 density (people/km²) and the grid transform.
    """
    grid = city_grid(city, resolution_m)
    density, _ = _population_density(
        city,
        grid,
        population_raster,
        people_per_household,
        m2_per_person,
        window_m,
        landuse_factors,
    )
    return density, grid.transform


def ground_risk_raster(
    city: City,
    resolution_m: float = 10.0,
    ua_class: str = "1m",
    population_raster: PopulationRaster | None = None,
    *,
    people_per_household: float,
    **occupancy: float | dict[str, float] | None,
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
    people_per_household : float
        Residents per premises of a residential building.
    **occupancy
        ``m2_per_person``, ``window_m``, ``landuse_factors``.

    Returns
    -------
    (numpy.ndarray, affine.Affine)
        int8 iGRC grid (-1 where out of SORA scope) and the grid transform.
    """
    density, transform = population_density_raster(
        city,
        resolution_m,
        population_raster,
        people_per_household=people_per_household,
        **occupancy,
    )
    return sora.igrc(density, ua_class), transform


def population_raster_coverage(
    city: City, resolution_m: float, population_raster: PopulationRaster
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
    grid = city_grid(city, resolution_m)
    _, cover = _raster_people(population_raster, grid, city.crs)
    return _coverage_pct(city, cover, grid.transform)


# --------------------------------------------------------------------------- density model


def _population_density(
    city: City,
    grid: Grid,
    population_raster: PopulationRaster | None,
    people_per_household: float,
    m2_per_person: float,
    window_m: float,
    landuse_factors: dict[str, float] | None,
) -> tuple[np.ndarray, float | None]:
    """Window-averaged density on ``grid`` and the raster's coverage (%; None: buildings)."""
    if population_raster is not None:
        people, pct = _raster_cell_people(city, grid, population_raster)
    else:
        people = _building_cell_people(city.buildings, grid, people_per_household, m2_per_person)
        pct = None
    res = grid.resolution
    size = max(1, int(round(window_m / res)))
    mean_people = ndimage.uniform_filter(people.astype("float64"), size=size, mode="constant")
    cell_km2 = res**2 / 1e6
    dens = (mean_people / cell_km2).astype("float32")
    _apply_landuse(dens, city.landuse, grid, landuse_factors)
    return np.clip(dens, 0, None), pct


def _building_cell_people(
    buildings: gpd.GeoDataFrame, grid: Grid, people_per_household: float, m2_per_person: float
) -> np.ndarray:
    """People per cell: each building's people at its representative point."""
    transform, shape = grid
    if not len(buildings):
        return np.zeros(shape, dtype="float64")
    pop = building_population(buildings, people_per_household, m2_per_person)
    pts = buildings.geometry.representative_point()
    cell = xy_to_cell(pts.x.to_numpy(), pts.y.to_numpy(), transform, shape)
    ok = cell >= 0
    return np.bincount(cell[ok], weights=pop[ok], minlength=shape[0] * shape[1]).reshape(shape)


def _raster_cell_people(
    city: City, grid: Grid, population_raster: PopulationRaster
) -> tuple[np.ndarray, float]:
    """People per cell from a density raster, and the share (%) of the city it covers.

    People per cell (not per km²), so the window average works the same for both sources.
    """
    dens_in, cover = _raster_people(population_raster, grid, city.crs)
    pct = _coverage_pct(city, cover, grid.transform)
    if pct < 100.0:
        log.warning(
            "population raster %s covers %.1f %% of the city area; the rest counts as 0 people/km²",
            population_raster if isinstance(population_raster, str | Path) else "(array)",
            pct,
        )
    return dens_in * (grid.resolution**2 / 1e6), pct


def _apply_landuse(
    dens: np.ndarray,
    landuse: gpd.GeoDataFrame,
    grid: Grid,
    landuse_factors: dict[str, float] | None,
) -> None:
    """Multiply the density in place by the factor of each landuse kind it lies on."""
    factors = {**DEFAULT_LANDUSE_FACTORS, **(landuse_factors or {})}
    for kind, f in factors.items():
        if f == 1.0 or not len(landuse):
            continue
        m = rasterize_mask(landuse.geometry[landuse["kind"] == kind], *grid, all_touched=False)
        dens[m] *= f


# --------------------------------------------------------------------------- raster input


def _raster_name(population_raster: PopulationRaster) -> str:
    if isinstance(population_raster, str | Path):
        return str(population_raster)
    return "drones.population_raster (array, transform, crs)"


def _read_raster(
    population_raster: PopulationRaster, grid: Grid, crs: CRS
) -> tuple[np.ndarray, Affine, CRS | None]:
    """Return the raster's float32 band, transform and CRS; nodata cells read as 0.

    A file is read only over the window that covers ``grid`` (plus one cell), so a
    continental raster costs the city's cells, not its own size.
    """
    name = _raster_name(population_raster)
    if isinstance(population_raster, str | Path):
        try:
            with rasterio.open(population_raster) as src:
                window = _grid_window(src, grid, crs, name)
                arr = src.read(1, window=window).astype("float32")
                s_tr, s_crs, nod = src.window_transform(window), src.crs, src.nodata
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
    return np.nan_to_num(arr, nan=0.0, posinf=0.0, neginf=0.0), s_tr, s_crs


def _grid_window(src, grid: Grid, crs: CRS, name: str) -> rasterio.windows.Window:
    """Return the window of ``src`` over ``grid`` (in ``crs``), widened by one cell.

    Raises :class:`InputFileError` when the raster has no CRS or does not reach the grid.
    """
    if src.crs is None:
        raise InputFileError(f"{name}: raster has no CRS; georeference it (e.g. EPSG:4326)")
    (a, _, c, _, e, f), (rows, cols) = tuple(grid.transform)[:6], grid.shape
    bounds = (c, f + e * rows, c + a * cols, f)
    try:
        left, bottom, right, top = rasterio.warp.transform_bounds(crs, src.crs, *bounds)
    except (rasterio.errors.RasterioError, ValueError) as exc:
        raise InputFileError(f"{name}: cannot reproject ({str(exc).splitlines()[0]})") from None
    win = rasterio.windows.from_bounds(left, bottom, right, top, transform=src.transform)
    c0, r0 = max(int(np.floor(win.col_off)) - 1, 0), max(int(np.floor(win.row_off)) - 1, 0)
    c1 = min(int(np.ceil(win.col_off + win.width)) + 1, src.width)
    r1 = min(int(np.ceil(win.row_off + win.height)) + 1, src.height)
    if c1 <= c0 or r1 <= r0:
        raise InputFileError(f"{name}: raster does not cover the city area")
    return rasterio.windows.Window(c0, r0, c1 - c0, r1 - r0)


def _raster_people(
    population_raster: PopulationRaster, grid: Grid, crs: CRS
) -> tuple[np.ndarray, np.ndarray]:
    """Density (people/km²) and covered cell fraction of a population raster on the grid.

    The covered fraction (0-1) of each city-grid cell comes from resampling a raster of ones.

    Raises :class:`InputFileError` naming the raster when it cannot be read, has no usable
    CRS, or does not overlap the city grid at all (which would silently give zero people).
    """
    name = _raster_name(population_raster)
    arr, s_tr, s_crs = _read_raster(population_raster, grid, crs)
    dens = np.zeros(grid.shape, dtype="float32")
    cover = np.zeros(grid.shape, dtype="float32")
    try:
        for band, out in ((arr, dens), (np.ones_like(arr), cover)):
            rasterio.warp.reproject(
                band,
                out,
                src_transform=s_tr,
                src_crs=s_crs,
                dst_transform=grid.transform,
                dst_crs=crs,
                resampling=rasterio.warp.Resampling.average,
                dst_nodata=0,
            )
    except rasterio.errors.RasterioError as exc:
        raise InputFileError(f"{name}: cannot reproject ({str(exc).splitlines()[0]})") from None
    if not cover.any():
        raise InputFileError(f"{name}: raster does not cover the city area")
    return dens, np.clip(cover, 0, 1)


def _coverage_pct(city: City, cover: np.ndarray, transform: Affine) -> float:
    """Covered share (%) of the grid cells inside ``city.boundary`` (all cells if none)."""
    inside = rasterize_mask([city.boundary], transform, cover.shape, all_touched=False)
    if not inside.any():
        inside = np.ones(cover.shape, dtype=bool)
    # cells covered to within float32 resampling noise count as fully covered
    frac = np.where(cover[inside] > 1 - 1e-4, 1.0, cover[inside])
    return float(frac.mean() * 100.0)
