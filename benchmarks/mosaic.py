"""Build large inputs from real ones: a mosaic of translated copies of a City."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from planner.city import City


def _shift(gdf: gpd.GeoDataFrame, dx: float, dy: float) -> gpd.GeoDataFrame:
    out = gdf.copy()
    out.geometry = shapely.transform(gdf.geometry.to_numpy(), lambda c: c + (dx, dy))
    return out


def mosaic_city(city: City, nx_: int, ny: int, gap_m: float = 200.0) -> City:
    """Tile ``nx_`` x ``ny`` translated copies of a real city side by side.

    Each copy's street nodes get ids offset by a multiple of (max id + 1) so copies never
    share nodes; the copies are separate street components (like towns). Buildings, telecom,
    key places and admin areas are copied with their attributes.
    """
    x0, y0, x1, y1 = city.boundary.bounds
    w, h = (x1 - x0) + gap_m, (y1 - y0) + gap_m
    ids = np.asarray(list(city.graph.nodes))
    step = int(ids.max()) + 1
    G = nx.MultiDiGraph(**city.graph.graph)
    layers = {
        n: [] for n in ("buildings", "telecom", "key_places", "admin_areas", "landuse", "airspace")
    }
    for i in range(nx_):
        for j in range(ny):
            k = i * ny + j
            dx, dy = i * w, j * h
            off = k * step
            for n, d in city.graph.nodes(data=True):
                G.add_node(n + off, **{**d, "x": d["x"] + dx, "y": d["y"] + dy})
            for u, v, key, d in city.graph.edges(keys=True, data=True):
                d2 = dict(d)
                d2["geometry"] = shapely.transform(
                    d["geometry"], lambda c, dx=dx, dy=dy: c + (dx, dy)
                )
                G.add_edge(u + off, v + off, key, **d2)
            for n in layers:
                layers[n].append(_shift(getattr(city, n), dx, dy))
    merged = {
        n: gpd.GeoDataFrame(pd.concat(f, ignore_index=True), geometry="geometry", crs=city.crs)
        for n, f in layers.items()
    }
    boundary = shapely.box(x0, y0, x0 + nx_ * w, y0 + ny * h)
    return dataclasses.replace(
        city, name=f"{city.name}-mosaic-{nx_}x{ny}", graph=G, boundary=boundary, **merged
    )
