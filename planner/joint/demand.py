"""What must be covered: corridor cells at flight altitude (metres), people and key places."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine

from planner.joint.powers import Cells
from planner.radio.kpis import cell_lookup, key_place_points, population_points

__all__ = ["Demand", "corridor_cells", "population_cells", "key_place_cells", "corridor_level"]


@dataclass
class Demand:
    """One coverage target over a set of cells: ``target`` is the share (0-1) of the weight."""

    name: str
    cells: Cells
    target: float

    @property
    def total(self) -> float:
        """Total weight (corridor metres or people)."""
        return float(self.cells.weight.sum())


def corridor_level(heights: list[float], corridors: gpd.GeoDataFrame, default: float) -> int:
    """Height level the route network is evaluated at (as ``network_coverage``: top altitude)."""
    alt = float(default)
    if "altitude_m" in corridors:
        alt = float(pd.to_numeric(corridors["altitude_m"], errors="coerce").fillna(alt).max())
    return int(np.argmin(np.abs(np.asarray(heights) - alt)))


def _grouped(flat: np.ndarray, weight: np.ndarray, transform: Affine, shape, level: int) -> Cells:
    """Sum the weights per grid cell and return the distinct cells with their centres."""
    if flat.size == 0:
        z = np.zeros(0)
        return Cells(np.zeros(0, np.int64), z, z, z, level)
    uniq, inv = np.unique(flat, return_inverse=True)
    w = np.bincount(inv, weights=weight)
    rows, cols = np.divmod(uniq, shape[1])
    x = transform.c + transform.a * (cols + 0.5)
    y = transform.f + transform.e * (rows + 0.5)
    return Cells(uniq, x, y, w, level)


def corridor_cells(corridors: gpd.GeoDataFrame, transform: Affine, shape, level: int) -> Cells:
    """Grid cells the merged route network crosses, weighted by the length sampled in each.

    Sampling follows :func:`planner.radio.kpis.network_coverage` (every half cell along each
    merged part, equal sub-stretches), so the covered weight equals its ``covered_m``.
    """
    if corridors is None or len(corridors) == 0:
        return _grouped(np.zeros(0, np.int64), np.zeros(0), transform, shape, level)
    merged = shapely.line_merge(shapely.union_all(corridors.geometry.to_numpy()))
    parts = [p for p in shapely.get_parts(merged) if not p.is_empty and p.length > 0]
    step = abs(transform.a) / 2
    xs, ws = [], []
    for line in parts:
        n = max(1, int(np.ceil(line.length / step)))
        seg = line.length / n
        pts = shapely.line_interpolate_point(line, (np.arange(n) + 0.5) * seg)
        xs.append(shapely.get_coordinates(pts))
        ws.append(np.full(n, seg))
    xy = np.concatenate(xs) if xs else np.zeros((0, 2))
    w = np.concatenate(ws) if ws else np.zeros(0)
    flat, inside = cell_lookup(transform, shape, xy[:, 0], xy[:, 1])
    return _grouped(flat[inside], w[inside], transform, shape, level)


def population_cells(city, transform: Affine, shape) -> Cells:
    """Ground cells (level 0) holding people, weighted by people (buildings' ``people``)."""
    xy, ppl = population_points(city, None)
    flat, inside = cell_lookup(transform, shape, xy[:, 0], xy[:, 1])
    keep = inside & (ppl > 0)
    return _grouped(flat[keep], ppl[keep], transform, shape, 0)


def key_place_cells(city, transform: Affine, shape) -> Cells:
    """Ground cells (level 0) of the MIIT key places, weighted by places per cell.

    The places are those :func:`planner.radio.kpis.key_places_reached` counts
    (:func:`planner.radio.kpis.key_place_points`: the MIIT classes, each at its
    ``point_on_surface``), so the covered weight is its ``reached`` count; places off the
    grid are left out.
    """
    xy, _ = key_place_points(city)
    flat, inside = cell_lookup(transform, shape, xy[:, 0], xy[:, 1])
    return _grouped(flat[inside], np.ones(int(inside.sum())), transform, shape, 0)
