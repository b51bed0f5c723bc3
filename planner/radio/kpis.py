"""Radio KPIs: people, area, corridor length and key places covered; 5G sites per 10,000 people."""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine

from planner.config.radio import KEY_PLACE_CLASSES, RadioConfig
from planner.radio.coverage import CoverageGrids

if TYPE_CHECKING:
    from planner.city import City

__all__ = [
    "CORRIDOR_COLUMNS",
    "COVERED_SHARE",
    "LONGEST_GAP",
    "kpi",
    "cell_lookup",
    "population_points",
    "population_covered",
    "area_covered",
    "corridor_coverage",
    "network_coverage",
    "key_place_points",
    "key_places_reached",
    "sites_per_10k",
]

#: Per-corridor column: share (0-1) of the corridor's length covered at its altitude.
COVERED_SHARE = "radio_coverage_share"
#: Per-corridor column: longest uncovered stretch (m).
LONGEST_GAP = "longest_uncovered_m"
#: Columns of the per-corridor table.
CORRIDOR_COLUMNS = [
    "from_hub",
    "to_hub",
    "altitude_m",
    "height_evaluated_m",
    "length_m",
    "covered_m",
    COVERED_SHARE,
    LONGEST_GAP,
]


def kpi(value: float | None, target: float | None) -> dict:
    """Return ``{"value", "target", "met"}`` (``met`` None when either is missing)."""
    v = None if value is None or not np.isfinite(value) else round(float(value), 3)
    met = None if v is None or target is None else bool(v >= target)
    return {"value": v, "target": target, "met": met}


def cell_lookup(transform: Affine, shape: tuple[int, int], x, y) -> tuple[np.ndarray, np.ndarray]:
    """Flat cell index of points ``(x, y)`` and whether they fall on the grid.

    Parameters
    ----------
    transform : affine.Affine
        North-up grid transform.
    shape : tuple of int
        ``(rows, cols)``.
    x, y : array_like
        Projected coordinates.

    Returns
    -------
    tuple of ndarray
        ``(flat index, inside)``; the index is 0 where outside.

    """
    col = (np.asarray(x, dtype=float) - transform.c) / transform.a
    row = (np.asarray(y, dtype=float) - transform.f) / transform.e
    col, row = np.floor(col).astype(np.int64), np.floor(row).astype(np.int64)
    inside = (row >= 0) & (row < shape[0]) & (col >= 0) & (col < shape[1])
    return np.where(inside, row * shape[1] + col, 0), inside


def population_points(city: City, population=None) -> tuple[np.ndarray, np.ndarray]:
    """People and their points: ``population`` or each building's ``people``.

    Parameters
    ----------
    city : City
        Its buildings (``people``, else ``premises`` x 2.3) when ``population`` is None.
    population : array_like or GeoDataFrame, optional
        People per building (same order as ``city.buildings``), or a frame with a ``people``
        column and geometries in any CRS.

    Returns
    -------
    tuple of ndarray
        ``(xy (n, 2), people (n,))`` in the city CRS.

    """
    if isinstance(population, gpd.GeoDataFrame):
        gdf = population.to_crs(city.crs) if population.crs is not None else population
        pts = shapely.point_on_surface(gdf.geometry.to_numpy())
        return shapely.get_coordinates(pts), gdf["people"].fillna(0).to_numpy(float)
    b = city.buildings
    if len(b) == 0:
        return np.zeros((0, 2)), np.zeros(0)
    pts = shapely.get_coordinates(shapely.point_on_surface(b.geometry.to_numpy()))
    if population is not None:
        ppl = np.asarray(population, dtype=float)
        if ppl.shape != (len(b),):
            raise ValueError(f"population: expected {len(b)} values (one per building)")
        return pts, ppl
    if "people" in b:
        return pts, b["people"].fillna(0).to_numpy(float)
    return pts, b["premises"].fillna(0).to_numpy(float) * 2.3


def population_covered(
    grids: CoverageGrids, xy: np.ndarray, people: np.ndarray, cfg: RadioConfig, level: int = 0
) -> float | None:
    """Percentage of people whose building cell is covered at height ``level`` (ground).

    ``building_entry_loss_db`` is taken off the RSRP before the threshold.
    """
    tot = float(people.sum())
    if tot <= 0:
        return None
    shape = grids.rsrp_dbm.shape[1:]
    idx, inside = cell_lookup(grids.transform, shape, xy[:, 0], xy[:, 1])
    rsrp = grids.rsrp_dbm[level].ravel()[idx] - grids.margin_db[level].ravel()[idx]
    ok = grids.covered[level].ravel()[idx] & inside
    ok &= rsrp - cfg.building_entry_loss_db >= cfg.rsrp_min_dbm
    return 100.0 * float(people[ok].sum()) / tot


def area_covered(grids: CoverageGrids, mask: np.ndarray) -> list[float | None]:
    """Percentage of the cells in ``mask`` (the city area) covered, per height."""
    n = int(mask.sum())
    if n == 0:
        return [None] * len(grids.heights_m)
    return [100.0 * float(c[mask].sum()) / n for c in grids.covered]


def _nearest_level(heights: list[float], altitude: float) -> int:
    return int(np.argmin(np.abs(np.asarray(heights) - altitude)))


def _samples(line, step: float) -> tuple[np.ndarray, float]:
    """Points every ``step`` along ``line`` (cell centres of equal sub-stretches)."""
    length = float(line.length)
    n = max(1, int(np.ceil(length / step)))
    seg = length / n
    pts = shapely.line_interpolate_point(line, (np.arange(n) + 0.5) * seg)
    return shapely.get_coordinates(pts), seg


def _longest_run(bad: np.ndarray) -> int:
    if not bad.any():
        return 0
    padded = np.concatenate([[0], bad.astype(np.int8), [0]])
    d = np.diff(padded)
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    return int((ends - starts).max())


def _line_cover(grids: CoverageGrids, line, level: int, step: float) -> tuple[float, float, float]:
    """``(length, covered length, longest uncovered stretch)`` of ``line`` at ``level``."""
    if line is None or line.is_empty or line.length == 0:
        return 0.0, 0.0, 0.0
    xy, seg = _samples(line, step)
    shape = grids.covered.shape[1:]
    idx, inside = cell_lookup(grids.transform, shape, xy[:, 0], xy[:, 1])
    ok = grids.covered[level].ravel()[idx] & inside
    return float(line.length), float(ok.sum() * seg), float(_longest_run(~ok) * seg)


def corridor_coverage(
    grids: CoverageGrids, corridors: gpd.GeoDataFrame | None, cfg: RadioConfig
) -> gpd.GeoDataFrame:
    """Per corridor: length covered at its altitude and its longest uncovered stretch.

    The altitude is the corridor's ``altitude_m``, else ``cfg.corridor_altitude_m``, else the
    top computed height; the nearest computed height is evaluated.

    Parameters
    ----------
    grids : CoverageGrids
        The coverage.
    corridors : GeoDataFrame or None
        Corridor lines (``from_hub`` / ``to_hub`` if known), in the grid CRS.
    cfg : RadioConfig
        ``corridor_altitude_m`` and the grid resolution.

    Returns
    -------
    GeoDataFrame
        :data:`CORRIDOR_COLUMNS` plus geometry.

    """
    if corridors is None or len(corridors) == 0:
        return gpd.GeoDataFrame({c: [] for c in CORRIDOR_COLUMNS}, geometry=[])
    top = max(grids.heights_m)
    default = cfg.corridor_altitude_m or top
    alt = (
        pd.to_numeric(corridors["altitude_m"], errors="coerce").fillna(default).to_numpy(float)
        if "altitude_m" in corridors
        else np.full(len(corridors), float(default))
    )
    step = abs(grids.transform.a) / 2
    rows = []
    for i, line in enumerate(corridors.geometry.to_numpy()):
        lvl = _nearest_level(grids.heights_m, alt[i])
        length, cov, gap = _line_cover(grids, line, lvl, step)
        rows.append(
            {
                "from_hub": _get(corridors, "from_hub", i),
                "to_hub": _get(corridors, "to_hub", i),
                "altitude_m": float(alt[i]),
                "height_evaluated_m": grids.heights_m[lvl],
                "length_m": length,
                "covered_m": cov,
                COVERED_SHARE: cov / length if length > 0 else 0.0,
                LONGEST_GAP: gap,
            }
        )
    return gpd.GeoDataFrame(rows, geometry=list(corridors.geometry), crs=corridors.crs)


def _get(df: pd.DataFrame, col: str, i: int):
    return str(df[col].iloc[i]) if col in df else str(i)


def network_coverage(
    grids: CoverageGrids, corridors: gpd.GeoDataFrame | None, cfg: RadioConfig
) -> dict:
    """Covered share of the whole route network (shared segments counted once).

    Lines are merged (``union_all``) and evaluated at the corridor altitude (see
    :func:`corridor_coverage`; the network uses the highest corridor altitude).
    """
    if corridors is None or len(corridors) == 0:
        return {"length_m": 0.0, "covered_m": 0.0, "covered_pct": None, "longest_uncovered_m": 0}
    alt = cfg.corridor_altitude_m or max(grids.heights_m)
    if "altitude_m" in corridors:
        alt = float(pd.to_numeric(corridors["altitude_m"], errors="coerce").fillna(alt).max())
    lvl = _nearest_level(grids.heights_m, alt)
    merged = shapely.line_merge(shapely.union_all(corridors.geometry.to_numpy()))
    parts = shapely.get_parts(merged)
    step = abs(grids.transform.a) / 2
    res = np.array([_line_cover(grids, p, lvl, step) for p in parts]).reshape(-1, 3)
    length, cov = float(res[:, 0].sum()), float(res[:, 1].sum())
    return {
        "height_evaluated_m": grids.heights_m[lvl],
        "length_m": round(length, 1),
        "covered_m": round(cov, 1),
        "covered_pct": round(100 * cov / length, 3) if length > 0 else None,
        "longest_uncovered_m": round(float(res[:, 2].max()), 1) if len(res) else 0.0,
    }


def key_place_points(city: City) -> tuple[np.ndarray, np.ndarray]:
    """Points and MIIT classes of the city's key places that have a class.

    Parameters
    ----------
    city : City
        Its ``key_places`` layer (``class`` column, :data:`KEY_PLACE_CLASSES`).

    Returns
    -------
    tuple of ndarray
        ``(xy (n, 2), class (n,))``: each place's ``point_on_surface`` in the city CRS;
        places without a class (schools, halts) are left out.

    """
    gdf = getattr(city, "key_places", None)
    if gdf is None or len(gdf) == 0 or "class" not in gdf:
        return np.zeros((0, 2)), np.zeros(0, dtype=object)
    cls = gdf["class"].astype("string")
    keep = cls.isin(list(KEY_PLACE_CLASSES)).fillna(False).to_numpy(bool)
    pts = shapely.point_on_surface(gdf.geometry.to_numpy()[keep])
    return shapely.get_coordinates(pts).reshape(-1, 2), cls.to_numpy(dtype=object)[keep]


def key_places_reached(grids: CoverageGrids, city: City, level: int = 0) -> dict:
    """Key places of the MIIT classes whose point is covered on the ground.

    The classes are the ``class`` column of ``city.key_places``
    (:data:`planner.config.radio.KEY_PLACE_CLASSES`: hospitals, universities, tourism
    areas, mainline railway stations, airports, each an OSM proxy of its MIIT class);
    places without a class (schools, halts) are left out.

    Returns
    -------
    dict
        ``total``, ``reached``, ``reached_pct`` and ``by_class`` (``{class: [reached,
        total]}`` for every class, ``[0, 0]`` where the city has none).

    """
    shape = grids.covered.shape[1:]
    xy, cls = key_place_points(city)
    idx, inside = cell_lookup(grids.transform, shape, xy[:, 0], xy[:, 1])
    ok = grids.covered[level].ravel()[idx] & inside
    by_class = {}
    for name in KEY_PLACE_CLASSES:
        sel = cls == name
        by_class[name] = [int(ok[sel].sum()), int(sel.sum())]
    total = sum(t for _, t in by_class.values())
    reached = sum(r for r, _ in by_class.values())
    return {
        "total": total,
        "reached": reached,
        "reached_pct": round(100 * reached / total, 3) if total else None,
        "by_class": by_class,
    }


def sites_per_10k(sites: gpd.GeoDataFrame, people: float) -> float | None:
    """5G sites (any NR sector) per 10,000 people (None without people)."""
    if people <= 0:
        return None
    n = int(sites["is_5g"].astype(bool).sum()) if len(sites) else 0
    return 1e4 * n / people
