"""The trunk network: corridor steps merged into lines by how many corridors share them."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from planner.drones.network import PathGeometry

__all__ = ["Trunk", "trunk_network"]


@dataclass
class Trunk:
    """Shared corridor lines and the area they cover."""

    lines: gpd.GeoDataFrame  #: ``n_corridors``, ``length_m``, line
    area: gpd.GeoDataFrame  #: one row: ``width_m`` and the union of the buffered lines


def trunk_network(
    paths: list[np.ndarray], geometry: PathGeometry, crs: CRS, width_m: float
) -> Trunk:
    """Return the trunk lines, by how many corridors share each step, and their area.

    Parameters
    ----------
    paths : list of numpy.ndarray
        Graph node sequence of each corridor.
    geometry : PathGeometry
        Maps node pairs to line segments (:meth:`PathGeometry.segments`).
    crs : pyproj.CRS
        The city CRS.
    width_m : float
        Corridor width (m) of the area.

    Returns
    -------
    Trunk
        Lines merged per sharing count, and the corridor area.
    """
    if not paths:
        empty = gpd.GeoDataFrame({"n_corridors": [], "length_m": []}, geometry=[], crs=crs)
        return Trunk(empty, gpd.GeoDataFrame({"width_m": []}, geometry=[], crs=crs))
    a = np.concatenate([p[:-1] for p in paths])
    b = np.concatenate([p[1:] for p in paths])
    key = np.column_stack([np.minimum(a, b), np.maximum(a, b)])
    uniq, counts = np.unique(key, axis=0, return_counts=True)
    rows = []
    for cnt in np.unique(counts):
        segs = geometry.segments(uniq[counts == cnt])
        merged = shapely.line_merge(shapely.union_all(segs))
        for g in getattr(merged, "geoms", [merged]):
            rows.append((int(cnt), g.length, g))
    lines = gpd.GeoDataFrame(
        rows, columns=["n_corridors", "length_m", "geometry"], geometry="geometry", crs=crs
    )
    area = shapely.union_all(shapely.buffer(lines.geometry.to_numpy(), width_m / 2))
    return Trunk(lines, gpd.GeoDataFrame({"width_m": [width_m]}, geometry=[area], crs=crs))
