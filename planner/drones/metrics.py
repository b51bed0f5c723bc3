"""Corridor metrics from the geometry alone: exposure, iGRC, land use, clearance, coverage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from scipy.spatial import cKDTree

from planner.config import sora
from planner.config.drones import DroneConfig
from planner.drones.airspace import Airspace, FlightRules
from planner.drones.grid import raster_values
from planner.drones.risk import GroundRisk

if TYPE_CHECKING:
    from planner.city import City

__all__ = [
    "CorridorChecks",
    "MetricInputs",
    "corridor_metrics",
    "geometric_checks",
    "landuse_areas",
    "metric_inputs",
    "mobile_masts",
    "sample_lines",
]

#: Landuse kinds whose share of each corridor is reported, and their column.
SHARE_COLUMNS = (("major_road", "share_roads"), ("water", "share_water"), ("park", "share_parks"))


@dataclass
class MetricInputs:
    """The rasters and layers corridor metrics are measured against."""

    density: np.ndarray  #: people/km² grid
    igrc: np.ndarray  #: SORA 2.5 iGRC grid
    transform: Affine  #: transform of both grids
    width_m: float  #: corridor width (m)
    landuse: dict[str, np.ndarray]  #: areas of each share kind (:func:`landuse_areas`)
    obstacles: gpd.GeoDataFrame  #: ``height_m`` per obstacle
    band_top_m: float  #: top of the flight band (m AGL)
    masts: gpd.GeoDataFrame | None  #: mobile masts and towers
    mast_radius_m: float  #: coverage radius of a mast (m)


@dataclass
class _Samples:
    """Points along corridor lines, each standing for a piece of its line."""

    x: np.ndarray
    y: np.ndarray
    owner: np.ndarray  #: line index of each sample
    seg: np.ndarray  #: length (m) each sample stands for
    length: np.ndarray  #: length (m) of each line

    @property
    def n(self) -> int:
        return len(self.length)

    def share(self, hit: np.ndarray) -> np.ndarray:
        """Share of each line's length whose samples are ``hit``."""
        s = np.bincount(self.owner, weights=self.seg * hit, minlength=self.n)
        return s / np.maximum(self.length, 1e-9)


def mobile_masts(telecom: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Masts and towers, and telecom assets tagged as mobile, of the telecom layer."""
    if not len(telecom):
        return telecom
    mob = telecom["mobile"].fillna(False).astype(bool) if "mobile" in telecom else False
    return telecom[mob | telecom["kind"].isin(["mast", "tower"])]


def landuse_areas(landuse: gpd.GeoDataFrame | None) -> dict[str, np.ndarray]:
    """Return the areas of each share kind (:data:`SHARE_COLUMNS`) of a ``kind`` layer.

    Line features such as roads count within 10 m of their axis (planner assumption), so
    they are buffered here, once per run rather than once per corridor measurement.
    """
    out = {}
    for kind, _ in SHARE_COLUMNS:
        if landuse is None or not len(landuse):
            out[kind] = np.empty(0, dtype=object)
            continue
        geo = landuse.geometry[landuse["kind"] == kind].to_numpy()
        lineal = np.isin(shapely.get_type_id(geo), [1, 2, 5])
        out[kind] = np.where(lineal, shapely.buffer(geo, 10), geo) if len(geo) else geo
    return out


def metric_inputs(
    city: City, cfg: DroneConfig, rules: FlightRules, space: Airspace, people: GroundRisk
) -> MetricInputs:
    """Return what :func:`corridor_metrics` measures a run's corridors against."""
    return MetricInputs(
        density=people.density,
        igrc=people.igrc,
        transform=people.grid.transform,
        width_m=cfg.corridor_width_m,
        landuse=landuse_areas(city.landuse),
        obstacles=space.obstacles,
        band_top_m=rules.top_m,
        masts=mobile_masts(city.telecom),
        mast_radius_m=cfg.mast_radius_m,
    )


def sample_lines(lines: np.ndarray, step: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points every ``step`` m along each line (vectorised).

    Each line gets ``ceil(length / step)`` samples at the middles of equal pieces; the points
    are those of ``shapely.line_interpolate_point(..., normalized=True)`` bit for bit
    (:func:`_interpolate` follows GEOS's arithmetic), without its walk from the line's start
    for every sample.

    Returns
    -------
    (x, y, owner, seg_len)
        Coordinates, index of the owning line, and the length each sample stands for.
    """
    lines = np.asarray(lines, dtype=object)
    lengths = shapely.length(lines)
    n = np.maximum(1, np.ceil(lengths / step).astype(int))
    owner = np.repeat(np.arange(len(lines)), n)
    start = np.repeat(np.cumsum(n) - n, n)
    k = np.arange(owner.size) - start
    frac = (k + 0.5) / n[owner]
    x, y = _interpolate(lines, owner, frac * lengths[owner], np.cumsum(n) - n, n)
    return x, y, owner, (lengths / n)[owner]


#: Lines with at least this many samples are interpolated by :func:`_interpolate`'s own
#: walk; shorter ones by one shapely call (its walk from the start costs little there).
_OWN_WALK_SAMPLES = 64


def _interpolate(lines, owner, dist, first, count) -> tuple[np.ndarray, np.ndarray]:
    """Points at distance ``dist`` along ``lines[owner]`` (line i's are ``first[i]:+count[i]``).

    As GEOS's ``LengthIndexedLine.extractPoint``: the first segment whose running length
    (summed in order) passes the distance, then ``(p1 - p0) × frac + p0``; past the end, the
    last vertex. Short lines and lines that are not LineStrings go to shapely.
    """
    own = (shapely.get_type_id(lines) == 1) & (shapely.get_num_coordinates(lines) >= 2)
    own &= count >= _OWN_WALK_SAMPLES
    rest = ~own[owner]
    pts = shapely.line_interpolate_point(lines[owner[rest]], dist[rest])
    x, y = np.empty(dist.size), np.empty(dist.size)
    x[rest], y[rest] = shapely.get_x(pts), shapely.get_y(pts)
    coords, idx = shapely.get_coordinates(lines[own], return_index=True)
    bounds = np.searchsorted(idx, np.arange(int(own.sum()) + 1))
    for q, i in enumerate(np.flatnonzero(own)):
        c, sl = coords[bounds[q] : bounds[q + 1]], slice(first[i], first[i] + count[i])
        dx, dy = np.diff(c[:, 0]), np.diff(c[:, 1])
        seg = np.sqrt(dx * dx + dy * dy)
        cum = np.cumsum(seg)  # running length at each segment's end, summed in order
        d = dist[sl]
        j = np.searchsorted(cum, d, side="right")  # first segment ending beyond d
        end = j >= cum.size
        j = np.minimum(j, cum.size - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            f = (d - np.where(j > 0, cum[j - 1], 0.0)) / seg[j]
        for out, col in ((x, 0), (y, 1)):
            p0, p1 = c[j, col], c[j + 1, col]
            v = np.where(f <= 0, p0, np.where(f >= 1, p1, (p1 - p0) * f + p0))
            out[sl] = np.where(end, c[-1, col], v)
    return x, y


def corridor_metrics(lines: gpd.GeoSeries, inputs: MetricInputs) -> pd.DataFrame:
    """Per-corridor metrics computed from the geometry alone (independent of the router).

    ``ground_risk`` is the integrated exposure: Σ density × sampled length × width, i.e. the
    expected number of people under the corridor area. ``min_clearance_m`` is the band top
    minus the tallest obstacle within half the width.

    Parameters
    ----------
    lines : geopandas.GeoSeries
        Corridor center lines.
    inputs : MetricInputs
        Rasters and layers to measure against.

    Returns
    -------
    pandas.DataFrame
        One row per line: ``length_m``, ``straight_m``, ``detour_factor``, ``ground_risk``,
        ``max_igrc``, ``out_of_sora_scope``, the ``share_*`` columns, ``min_clearance_m``
        and ``mobile_coverage_share``.
    """
    arr = np.asarray(lines.to_numpy(), dtype=object)
    res = abs(inputs.transform.a)
    x, y, owner, seg = sample_lines(arr, res / 2)
    samples = _Samples(x, y, owner, seg, shapely.length(arr))
    out = pd.DataFrame(_exposure(arr, samples, inputs))
    for col, share in _landuse_shares(samples, inputs.landuse).items():
        out[col] = share
    out["min_clearance_m"] = _min_clearance(arr, inputs)
    out["mobile_coverage_share"] = _mobile_coverage(samples, inputs.masts, inputs.mast_radius_m)
    return out


def _exposure(arr: np.ndarray, s: _Samples, inputs: MetricInputs) -> dict[str, np.ndarray]:
    """Length, detour, people exposure and highest iGRC of each line."""
    dens = raster_values(inputs.density, inputs.transform, s.x, s.y)
    risk = np.bincount(s.owner, weights=dens * s.seg * inputs.width_m / 1e6, minlength=s.n)
    ig = raster_values(inputs.igrc, inputs.transform, s.x, s.y, fill=0).astype(int)
    ig = sora.risk_rank(ig)
    max_ig = np.full(s.n, 0)
    np.maximum.at(max_ig, s.owner, ig)
    straight = shapely.distance(shapely.get_point(arr, 0), shapely.get_point(arr, -1))
    return {
        "length_m": s.length,
        "straight_m": straight,
        "detour_factor": np.where(straight > 0, s.length / np.maximum(straight, 1e-9), 1.0),
        "ground_risk": risk,
        "max_igrc": max_ig,
        "out_of_sora_scope": max_ig == sora.OUT_OF_SCOPE_RANK,
    }


def _landuse_shares(s: _Samples, areas: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Fraction of each line's sampled length whose sample point lies on a landuse kind."""
    pts = shapely.points(s.x, s.y)
    tree = shapely.STRtree(pts)
    out = {}
    for kind, col in SHARE_COLUMNS:
        share = np.zeros(s.n)
        geo = areas.get(kind, ())
        if len(geo):
            # the areas query the points: each area is prepared once for all its points
            hit = np.unique(tree.query(geo, predicate="intersects")[1])
            inside = np.zeros(len(pts), dtype=bool)
            inside[hit] = True
            share = s.share(inside)
        out[col] = np.clip(share, 0, 1)
    return out


def _min_clearance(arr: np.ndarray, inputs: MetricInputs) -> np.ndarray:
    """Band top minus the tallest obstacle within half the width of each line."""
    n = len(arr)
    obst = inputs.obstacles
    clearance = np.full(n, float(inputs.band_top_m))
    if len(obst):
        buf = shapely.buffer(arr, inputs.width_m / 2)
        li, oi = obst.sindex.query(buf, predicate="intersects")
        if li.size:
            hmax = np.zeros(n)
            np.maximum.at(hmax, li, obst["height_m"].to_numpy()[oi])
            clearance = inputs.band_top_m - hmax
    return clearance


def _mobile_coverage(s: _Samples, masts: gpd.GeoDataFrame | None, radius_m: float) -> np.ndarray:
    """Share of each line's length within ``radius_m`` of a mast."""
    if masts is None or not len(masts):
        return np.zeros(s.n)
    mp = masts.geometry.representative_point()
    d, _ = cKDTree(np.column_stack([mp.x, mp.y])).query(np.column_stack([s.x, s.y]))
    return np.clip(s.share(d <= radius_m), 0, 1)


@dataclass
class CorridorChecks:
    """Independent geometric checks (shapely, no raster) of the corridors against the rules."""

    restricted: int  #: corridor lines crossing a no-fly zone
    area: int  #: corridor areas (line ± half width) touching a no-fly zone
    obstacles: int  #: corridor lines crossing a blocking obstacle


def geometric_checks(
    corridors: gpd.GeoDataFrame, space: Airspace, width_m: float
) -> CorridorChecks:
    """Count the corridors that cross no-fly zones or blocking obstacles.

    Parameters
    ----------
    corridors : geopandas.GeoDataFrame
        The corridor lines.
    space : Airspace
        No-fly zones and blocking obstacles.
    width_m : float
        Corridor width (m).

    Returns
    -------
    CorridorChecks
        The counts (all 0 for a safe plan).
    """
    restricted = area_hits = obst_hits = 0
    if not len(corridors):
        return CorridorChecks(0, 0, 0)
    cl = corridors.geometry.to_numpy()
    if len(space.nofly):
        zt = shapely.STRtree(space.nofly.geometry.to_numpy())
        restricted = int(np.unique(zt.query(cl, predicate="intersects")[0]).size)
        area = shapely.buffer(cl, width_m / 2 - 1e-6)
        area_hits = int(np.unique(zt.query(area, "intersects")[0]).size)
    if len(space.tall):
        tree = shapely.STRtree(space.tall.geometry.to_numpy())
        obst_hits = int(np.unique(tree.query(cl, "intersects")[0]).size)
    return CorridorChecks(restricted, area_hits, obst_hits)
