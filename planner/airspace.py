"""Low-altitude airspace model: rule presets, no-fly zones, obstacles and ground-risk rasters."""

from __future__ import annotations

import logging
import math
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
import yaml
from affine import Affine
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from scipy import ndimage

from planner import sora

from .errors import ConfigError, InputFileError
from .lattice import xy_to_cell
from .outputs import atomic_path

log = logging.getLogger(__name__)

#: Folder of the shipped rule presets (``planner/data/airspace/<name>.yml``, package data so a
#: wheel install finds them).
PRESET_DIR = Path(__file__).resolve().parent / "data" / "airspace"

#: Which City layer holds each feature kind a preset may name.
KIND_LAYER: dict[str, str] = {
    **{
        k: "airspace"
        for k in (
            "aerodrome",
            "runway",
            "heliport",
            "helipad",
            "military",
            "prison",
            "government",
            "power_line",
            "power_tower",
            "mast",
            "tower",
            "chimney",
        )
    },
    **{k: "key_places" for k in ("hospital", "school", "university", "railway_station")},
    **{k: "landuse" for k in ("water", "park", "forest", "railway", "major_road")},
}

#: Obstacle kinds taken from ``city.airspace`` (besides buildings and telecom masts).
OBSTACLE_KINDS = ("power_line", "power_tower", "mast", "tower", "chimney")

#: Heights (m) used for obstacles whose height is unknown in OSM. Planner assumptions from
#: typical structures: 110 kV lattice pylons ~30 m, conductors sag to ~25 m; urban lattice
#: masts 30 m; towers/chimneys 40 m (conservative for city-scale structures).
DEFAULT_OBSTACLE_HEIGHT_M = {
    "power_line": 25.0,
    "power_tower": 30.0,
    "mast": 30.0,
    "tower": 40.0,
    "chimney": 40.0,
}

#: Occupancy assumptions used by :func:`population_density_raster`.
DEFAULT_OCCUPANCY = {
    # Eurostat ilc_lvph01: average EU household size 2.3 persons (2022).
    "people_per_household": 2.3,
    # Planner assumption: one person per 25 m² of non-residential floor area (offices are
    # designed for ~10-15 m²/workplace; ~50% daytime presence).
    "m2_per_person": 25.0,
    # JARUS SORA 2.5 Annex F §3.9: density averaged over a window matched to the flight's
    # ground-risk footprint; 200 m is the usual grid for operations below 500 ft AGL.
    "window_m": 200.0,
}

#: Density multipliers applied per landuse kind after smoothing (planner assumptions):
#: nobody is resident on open water; other kinds are neutral until configured.
DEFAULT_LANDUSE_FACTORS = {
    "water": 0.0,
    "park": 1.0,
    "forest": 1.0,
    "railway": 1.0,
    "major_road": 1.0,
}


class CitedValue(BaseModel):
    """A metre value with the rule or assumption it comes from."""

    model_config = ConfigDict(extra="forbid")
    value_m: float = Field(gt=0)
    source: str = Field(min_length=3)


class NoFlyRule(BaseModel):
    """No-fly rule for one feature kind: lateral buffer and optional ceiling (m AGL)."""

    model_config = ConfigDict(extra="forbid")
    buffer_m: float = Field(ge=0)
    ceiling_m: float | None = Field(default=None, gt=0)
    source: str = Field(min_length=3)


class AirspacePreset(BaseModel):
    """A national or project rule set (``planner/data/airspace/*.yml``)."""

    model_config = ConfigDict(extra="forbid")
    name: str
    title: str = ""
    altitude_cap: CitedValue
    default_clearance: CitedValue
    nofly: dict[str, NoFlyRule]

    @model_validator(mode="after")
    def _known_kinds(self) -> AirspacePreset:
        for kind in self.nofly:
            if kind not in KIND_LAYER:
                raise ValueError(
                    f"unknown feature kind {kind!r}; known kinds: {', '.join(KIND_LAYER)}"
                )
        return self


class FlightBand(BaseModel):
    """Altitude band (m above ground) in which corridors are flown."""

    model_config = ConfigDict(extra="forbid")
    min_m: float = Field(default=60.0, ge=0)
    max_m: float = Field(default=120.0, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> FlightBand:
        if self.max_m <= self.min_m:
            raise ValueError("max_m must be above min_m")
        return self


def _deep_merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out


#: Citation given to preset values changed by ``drones.overrides`` without their own ``source``.
OVERRIDE_SOURCE = "city config drones.overrides"


def _cite_overrides(merged: dict, overrides: dict) -> None:
    """Set ``source`` of every rule whose values the overrides changed without citing one."""
    rules = [
        (merged, k, v) for k, v in overrides.items() if k in ("altitude_cap", "default_clearance")
    ]
    nofly = overrides.get("nofly")
    if isinstance(nofly, dict) and isinstance(merged.get("nofly"), dict):
        rules += [(merged["nofly"], k, v) for k, v in nofly.items()]
    for parent, key, over in rules:
        target = parent.get(key)
        if isinstance(over, dict) and isinstance(target, dict) and "source" not in over:
            parent[key] = {**target, "source": OVERRIDE_SOURCE}


def load_preset(name_or_path: str | Path, overrides: dict | None = None) -> AirspacePreset:
    """Load and validate an airspace rule preset.

    Parameters
    ----------
    name_or_path : str or Path
        A shipped preset name (``cn``, ``eu``, ``us``, ``uk``, ``usepe``) or a YAML file path.
    overrides : dict, optional
        Values merged (recursively) over the file, e.g.
        ``{"nofly": {"hospital": {"buffer_m": 200, "source": "city rule"}}}``.

    Returns
    -------
    AirspacePreset
        The validated preset.

    Raises
    ------
    ConfigError
        One line naming the file and field at fault.
    """
    p = Path(name_or_path)
    if p.suffix not in (".yml", ".yaml"):
        p = PRESET_DIR / f"{name_or_path}.yml"
        if not p.is_file():
            known = ", ".join(sorted(f.stem for f in PRESET_DIR.glob("*.yml")))
            raise ConfigError(f"drones.preset: unknown airspace preset {name_or_path!r}; {known}")
    if not p.is_file():
        raise InputFileError(f"{p}: airspace preset file not found")
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{p}: expected a mapping at the top level")
    if overrides:
        if not isinstance(overrides, dict):
            raise ConfigError(f"{p}: overrides must be a mapping")
        # a new kind in overrides needs a full rule; a rule whose numbers come from the
        # overrides without a source of its own is cited as the user's, not the preset's
        raw = _deep_merge(raw, overrides)
        _cite_overrides(raw, overrides)
    try:
        return AirspacePreset.model_validate(raw)
    except ValidationError as exc:
        where = f"{p} (with overrides)" if overrides else str(p)
        raise ConfigError.from_validation(where, exc, AirspacePreset) from None


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
    minx, miny, maxx, maxy = bounds
    cols = max(1, math.ceil((maxx - minx) / resolution_m))
    rows = max(1, math.ceil((maxy - miny) / resolution_m))
    return Affine(resolution_m, 0, minx, 0, -resolution_m, maxy), (rows, cols)


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
    """Write a single-band GeoTIFF atomically (temporary file, then rename).

    Parameters
    ----------
    path : str or Path
        Output file.
    array : numpy.ndarray
        2-D grid.
    transform : affine.Affine
        Grid transform.
    crs : CRS-like
        Coordinate reference system of the grid.
    nodata : float, optional
        No-data value.

    Returns
    -------
    Path
        The written file.
    """
    with (
        atomic_path(path) as tmp,
        rasterio.open(
            tmp,
            "w",
            driver="GTiff",
            height=array.shape[0],
            width=array.shape[1],
            count=1,
            dtype=array.dtype,
            crs=crs,
            transform=transform,
            nodata=nodata,
            compress="deflate",
        ) as dst,
    ):
        dst.write(array, 1)
    return Path(path)
