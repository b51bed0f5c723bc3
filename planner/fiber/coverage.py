"""Fibre coverage: premises passed by fibre along streets, gap clusters, aggregates and KPIs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.city.model import City
from planner.config.fiber import FiberConfig
from planner.fiber.clusters import gap_clusters
from planner.fiber.hexes import COUNT_COLUMNS, district_layer, h3_cells, hex_layer
from planner.fiber.kpis import fiber_kpis
from planner.fiber.netdist import node_distances, point_distances
from planner.fiber.placement import Supply, place_supply
from planner.fiber.result import CLASSES, FiberCoverage, FiberNetwork
from planner.fiber.snapping import Snap, snap_points

__all__ = [
    "Aggregates",
    "BuildingSnaps",
    "Distances",
    "aggregate",
    "analyze_fiber",
    "classify",
    "fibre_distances",
    "premise_table",
    "snap_buildings",
]


@dataclass
class BuildingSnaps:
    """Premise-bearing buildings, their points and where those meet the streets."""

    buildings: gpd.GeoDataFrame
    points: np.ndarray
    snap: Snap


@dataclass
class Distances:
    """Distance along streets from fibre to every street node and to every premise's snap."""

    node_m: np.ndarray
    network_m: np.ndarray


@dataclass
class Aggregates:
    """Premise counts per H3 cell (per resolution) and per admin area."""

    hexes: dict[int, gpd.GeoDataFrame]
    districts: gpd.GeoDataFrame


class _Clock:
    """Seconds per named step of the analysis."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        yield
        self.seconds[name] = time.perf_counter() - t0


def analyze_fiber(
    city: City,
    config: FiberConfig | None = None,
    assets: gpd.GeoDataFrame | None = None,
    network: FiberNetwork | None = None,
) -> FiberCoverage:
    """Find which premises fibre passes along streets, where the gaps are, and the KPIs.

    Parameters
    ----------
    city : City
        The loaded city (projected).
    config : FiberConfig, optional
        Thresholds and inputs; defaults documented in :data:`planner.config.fiber.SOURCES`.
    assets : GeoDataFrame, optional
        Extra fibre assets (points and/or route lines, any CRS) added to the OSM assets
        (unless ``config.use_osm_assets`` is False) and the config's operator files.
    network : FiberNetwork, optional
        A prepared street network to reuse.

    Returns
    -------
    FiberCoverage

    Notes
    -----
    Each premise-bearing building's representative point is snapped to its nearest street
    edge. Point assets are snapped the same way; route lines cover the parts of edges within
    ``route_buffer_m``. One multi-source Dijkstra gives the distance from fibre to every street
    node; a premise's network distance is ``min(d[u] + offset, d[v] + length - offset)`` or
    the exact along-edge distance to fibre on its own edge. The service distance adds the drop
    (snap distance). Buildings farther than ``max_snap_m`` from any street get the straight-line
    distance to the nearest asset instead, flagged ``fallback``. Without any asset the result
    is greenfield: every premise is ``unserved`` and a warning is logged. Assets none of which
    reaches a street (all farther than ``max_snap_m``, no route line along one) are treated
    the same way, with a louder warning and the KPI ``assets_all_off_network``.
    """
    cfg = config or FiberConfig()
    clock = _Clock()
    with clock.step("network"):
        net = network or FiberNetwork.from_graph(city.graph)
    with clock.step("snap_buildings"):
        sites = snap_buildings(city, net, cfg)
    with clock.step("assets"):
        supply = place_supply(city, net, cfg, assets)
    with clock.step("dijkstra"):
        dist = fibre_distances(net, supply, sites)
    with clock.step("classify"):
        premises = premise_table(city, net, cfg, sites, supply, dist)
    with clock.step("gap_clusters"):
        clusters = gap_clusters(net, premises, dist.node_m, cfg)
    with clock.step("aggregates"):
        agg = aggregate(city, cfg, premises)
    with clock.step("kpis"):
        kpis = fiber_kpis(city, premises, supply, clusters, cfg)
    return FiberCoverage(
        premises=premises,
        assets=supply.assets,
        hexes=agg.hexes,
        gap_clusters=clusters,
        districts=agg.districts,
        kpis=kpis,
        config=cfg,
        crs=city.crs,
        network=net,
        sources=supply.sources,
        node_distance_m=dist.node_m,
        timings=clock.seconds,
    )


def snap_buildings(city: City, net: FiberNetwork, config: FiberConfig) -> BuildingSnaps:
    """Snap the representative point of every building with premises to its nearest street."""
    b = city.buildings[city.buildings["premises"] > 0].reset_index(drop=True)
    points = shapely.point_on_surface(b.geometry.to_numpy())
    snap = snap_points(net.edges, points, max_distance=config.max_snap_m)
    return BuildingSnaps(buildings=b, points=points, snap=snap)


def fibre_distances(net: FiberNetwork, supply: Supply, sites: BuildingSnaps) -> Distances:
    """One multi-source Dijkstra from the fibre, then each snapped premise's distance."""
    node_m = node_distances(net.csr, net.edges, supply.sources)
    snap = sites.snap
    network_m = point_distances(net.edges, node_m, supply.sources, snap.edge, snap.offset)
    return Distances(node_m=node_m, network_m=network_m)


def premise_table(
    city: City,
    net: FiberNetwork,
    config: FiberConfig,
    sites: BuildingSnaps,
    supply: Supply,
    dist: Distances,
) -> gpd.GeoDataFrame:
    """Return one row per premise-bearing building with its distances and fibre class.

    The service distance is the network distance plus the drop (snap distance); buildings
    that could not be snapped get the straight-line distance to the nearest asset, flagged
    ``fallback``.
    """
    snap, b, points = sites.snap, sites.buildings, sites.points
    fallback = ~snap.ok
    distance = dist.network_m + np.where(snap.ok, snap.distance, 0.0)
    if fallback.any():
        distance[fallback] = _straight_line(points[fallback], supply.assets.geometry.to_numpy())
    sf = snap.frame(net.edges)
    return gpd.GeoDataFrame(
        {
            "osm_id": b["osm_id"].to_numpy(),
            "building": b["building"].to_numpy(),
            "premises": b["premises"].to_numpy(),
            "households": b["households"].to_numpy(),
            "people": _people(city, b, config),
            "edge": snap.edge,
            "u": sf["u"].array,
            "v": sf["v"].array,
            "key": sf["key"].array,
            "offset_m": np.round(sf["offset_m"].to_numpy(), 3),
            "snap_m": np.round(sf["snap_m"].to_numpy(), 3),
            "network_m": dist.network_m,
            "distance_m": distance,
            "fiber_class": classify(distance, config, supply.greenfield),
            "fallback": fallback,
        },
        geometry=points,
        crs=city.crs,
    )


def classify(distance: np.ndarray, config: FiberConfig, greenfield: bool) -> np.ndarray:
    """Class of each premise from its service distance (network + drop), vectorised."""
    d = np.asarray(distance, dtype=float)
    if greenfield:
        return np.full(len(d), "unserved", dtype=object)
    return np.select(
        [d <= config.drop_limit_m, d <= config.near_m, np.isfinite(d)],
        ["passed", "near", "unserved"],
        default="unreachable",
    ).astype(object)


def aggregate(city: City, config: FiberConfig, premises: gpd.GeoDataFrame) -> Aggregates:
    """Sum premise counts per H3 cell at each configured resolution and per admin area."""
    counts = _counts(premises)
    points = premises.geometry.to_numpy()
    cells = h3_cells(points, city.crs, config.h3_resolutions)
    hexes = {r: hex_layer(counts, cells[r], r) for r in config.h3_resolutions}
    return Aggregates(hexes=hexes, districts=district_layer(counts, points, city.admin_areas))


def _people(city: City, b: gpd.GeoDataFrame, cfg: FiberConfig) -> np.ndarray:
    if cfg.population_raster is None:
        return b["people"].to_numpy(dtype=float)
    from planner.fiber.population import allocate_population

    people = allocate_population(city.buildings, cfg.population_raster)
    return people[(city.buildings["premises"] > 0).to_numpy()]


def _straight_line(points: np.ndarray, assets: np.ndarray) -> np.ndarray:
    out = np.full(len(points), np.inf)
    assets = assets[~(shapely.is_missing(assets) | shapely.is_empty(assets))]
    if len(assets) == 0:
        return out
    tree = shapely.STRtree(assets)
    (pi, _), d = tree.query_nearest(points, return_distance=True, all_matches=False)
    out[pi] = d
    return out


def _counts(premises: gpd.GeoDataFrame) -> pd.DataFrame:
    prem = premises["premises"].to_numpy()
    out = pd.DataFrame({"premises": prem})
    for c in CLASSES:
        out[c] = np.where(premises["fiber_class"].to_numpy() == c, prem, 0)
    return out[COUNT_COLUMNS]
