"""Fibre coverage: premises passed by fibre along streets, gap clusters, aggregates and KPIs."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from planner._files import write_gpkg
from planner.config.fiber import FiberConfig
from planner.fiber.hexes import COUNT_COLUMNS, coverage_pct, district_layer, h3_cells, hex_layer
from planner.fiber.hexes import write_coverage_tif as _write_tif
from planner.fiber.mobile import mobile_kpis
from planner.fiber.netdist import (
    Sources,
    concat_sources,
    edge_clusters,
    node_distances,
    point_distances,
    sources_from_lines,
    sources_from_snaps,
    street_csr,
)
from planner.fiber.snapping import StreetEdges, snap_points, street_edges
from planner.fiber.supply import empty_assets, is_line, load_assets, osm_fibre_assets

log = logging.getLogger(__name__)

#: Fibre classes of a premise, in order of service.
CLASSES = ["passed", "near", "unserved", "unreachable"]


#: Columns of ``FiberCoverage.premises`` (one row per building with premises).
PREMISE_COLUMNS = [
    "osm_id",
    "building",
    "premises",
    "households",
    "people",
    "u",
    "v",
    "key",
    "offset_m",
    "snap_m",
    "network_m",
    "distance_m",
    "fiber_class",
    "fallback",
]
#: Columns of ``FiberCoverage.gap_clusters``.
GAP_CLUSTER_COLUMNS = [
    "cluster",
    "premises",
    "buildings",
    "street_length_m",
    "distance_to_fibre_m",
    "reach_length_m",
    "m_per_premise",
    "rank_premises",
    "rank_length",
]
#: Columns of each ``FiberCoverage.hexes[resolution]`` layer.
HEX_COLUMNS = ["h3", *COUNT_COLUMNS, "resolution", "coverage_pct"]
#: Columns of ``FiberCoverage.assets`` (with ``on_network``).
ASSET_LAYER_COLUMNS = ["kind", "operator", "name", "source", "on_network"]


@dataclass
class FiberNetwork:
    """The street network prepared for distance queries (reused by the fibre build plan).

    Attributes
    ----------
    edges : StreetEdges
        Edges once per street with node index mapping (``edges.node_ids``).
    csr : scipy.sparse.csr_matrix
        Symmetric street graph, weights = lengths in metres.
    """

    edges: StreetEdges
    csr: sp.csr_matrix

    @classmethod
    def from_graph(cls, G) -> FiberNetwork:
        """Build from a projected osmnx street graph."""
        edges = street_edges(G)
        return cls(edges=edges, csr=street_csr(edges))


@dataclass
class FiberCoverage:
    """Result of :func:`analyze_fiber`: GeoDataFrames (projected unless noted) and KPIs.

    ``network`` (the prepared street network) and ``sources`` (existing fibre as intervals of
    its edges; empty in greenfield) are kept for :func:`planner.plan.plan_fiber`.
    """

    premises: gpd.GeoDataFrame
    assets: gpd.GeoDataFrame
    hexes: dict[int, gpd.GeoDataFrame]
    gap_clusters: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame
    kpis: dict
    config: FiberConfig
    crs: object = None
    timings: dict = field(default_factory=dict)
    network: FiberNetwork | None = field(default=None, repr=False)
    sources: Sources | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        k = self.kpis
        return (
            f"FiberCoverage({k['premises_total']} premises, {k['coverage_pct']}% passed, "
            f"{k['gap_clusters']} gap clusters)"
        )


def asset_sources(
    net: FiberNetwork, assets: gpd.GeoDataFrame, config: FiberConfig
) -> tuple[Sources, np.ndarray]:
    """Snap point assets and map route lines onto streets.

    Returns the source intervals and a boolean per asset: it reached the street network.
    """
    geoms = assets.geometry.to_numpy()
    lines = is_line(geoms)
    placed = np.zeros(len(assets), dtype=bool)
    snap = snap_points(net.edges, geoms[~lines], max_distance=config.max_snap_m)
    placed[np.flatnonzero(~lines)] = snap.ok
    pts = sources_from_snaps(snap)
    line_src, hit = sources_from_lines(
        net.edges, geoms[lines], config.route_buffer_m, return_hits=True
    )
    placed[np.flatnonzero(lines)] = hit
    return concat_sources(pts, line_src), placed


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


def resolve_assets(city, config: FiberConfig, assets: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """Collect the supply: OSM fibre assets, operator files, and ``assets`` given by the caller."""
    frames = []
    if config.use_osm_assets:
        frames.append(osm_fibre_assets(city.telecom, config.asset_kinds))
    if config.asset_files:
        frames.append(
            load_assets(config.asset_files, city.crs, city.boundary, config.max_asset_outside_m)
        )
    if assets is not None:
        a = assets if assets.crs is None or assets.crs == city.crs else assets.to_crs(city.crs)
        a = a.copy()
        for col in ("kind", "operator", "name"):
            if col not in a:
                a[col] = pd.NA
        if "source" not in a:
            a["source"] = "argument"
        frames.append(a[["kind", "operator", "name", "source", "geometry"]])
    frames = [f for f in frames if len(f)]
    if not frames:
        return empty_assets(city.crs)
    out = pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=city.crs)


def analyze_fiber(
    city,
    config: FiberConfig | None = None,
    assets: gpd.GeoDataFrame | None = None,
    network: FiberNetwork | None = None,
) -> FiberCoverage:
    """Find which premises fibre passes along streets, where the gaps are, and the KPIs.

    Parameters
    ----------
    city : planner.city.City
        The loaded city (projected).
    config : FiberConfig, optional
        Thresholds and inputs; defaults documented in :data:`SOURCES`.
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
    t = {}
    t0 = time.perf_counter()
    net = network or FiberNetwork.from_graph(city.graph)
    t["network"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    b = city.buildings[city.buildings["premises"] > 0].reset_index(drop=True)
    points = shapely.point_on_surface(b.geometry.to_numpy())
    snap = snap_points(net.edges, points, max_distance=cfg.max_snap_m)
    t["snap_buildings"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    supply = resolve_assets(city, cfg, assets)
    sources, placed = asset_sources(net, supply, cfg)
    supply = supply.assign(on_network=placed)
    off_network = len(supply) > 0 and len(sources) == 0
    greenfield = len(supply) == 0 or off_network
    if off_network:
        log.warning(
            "%s: all %d fibre assets lie off the street network (none within max_snap_m = "
            "%g m of a street, no route line along one): treated as GREENFIELD, every premise "
            "is unserved; check the assets' CRS and positions",
            getattr(city, "name", "city"),
            len(supply),
            cfg.max_snap_m,
        )
    elif greenfield:
        log.warning(
            "%s: NO fibre assets (OSM or operator files): greenfield result, every premise "
            "is unserved",
            getattr(city, "name", "city"),
        )
    t["assets"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    node_dist = node_distances(net.csr, net.edges, sources)
    network_m = point_distances(net.edges, node_dist, sources, snap.edge, snap.offset)
    t["dijkstra"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    fallback = ~snap.ok
    distance = network_m + np.where(snap.ok, snap.distance, 0.0)
    if fallback.any():
        distance[fallback] = _straight_line(points[fallback], supply.geometry.to_numpy())
    kls = classify(distance, cfg, greenfield)
    prem = b["premises"].to_numpy()
    sf = snap.frame(net.edges)
    premises = gpd.GeoDataFrame(
        {
            "osm_id": b["osm_id"].to_numpy(),
            "building": b["building"].to_numpy(),
            "premises": prem,
            "households": b["households"].to_numpy(),
            "people": _people(city, b, cfg),
            "edge": snap.edge,
            "u": sf["u"].array,
            "v": sf["v"].array,
            "key": sf["key"].array,
            "offset_m": np.round(sf["offset_m"].to_numpy(), 3),
            "snap_m": np.round(sf["snap_m"].to_numpy(), 3),
            "network_m": network_m,
            "distance_m": distance,
            "fiber_class": kls,
            "fallback": fallback,
        },
        geometry=points,
        crs=city.crs,
    )
    counts = _counts(premises)
    t["classify"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    clusters = gap_clusters(net, premises, node_dist, cfg)
    t["gap_clusters"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    cells = h3_cells(points, city.crs, cfg.h3_resolutions)
    hexes = {r: hex_layer(counts, cells[r], r) for r in cfg.h3_resolutions}
    districts = district_layer(counts, points, city.admin_areas)
    t["aggregates"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    kpis = fiber_kpis(premises, supply, clusters, cfg, greenfield)
    kpis["assets_all_off_network"] = bool(off_network)
    people = (
        float(premises["people"].sum())
        if cfg.population_raster
        else float(city.buildings["people"].sum())
    )
    kpis.update(
        mobile_kpis(
            city.telecom,
            city.key_places,
            people,
            cfg.key_place_radius_m,
            cfg.mobile_sites_per_10k_target,
            site_radius_m=cfg.mobile_site_radius_m,
            people_points=points,
            people_weights=premises["people"].to_numpy(),
        )
    )
    t["kpis"] = time.perf_counter() - t0
    return FiberCoverage(
        premises=premises,
        assets=supply,
        hexes=hexes,
        gap_clusters=clusters,
        districts=districts,
        kpis=kpis,
        config=cfg,
        crs=city.crs,
        timings=t,
        network=net,
        sources=sources,
    )


def _people(city, b: gpd.GeoDataFrame, cfg: FiberConfig) -> np.ndarray:
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


def gap_clusters(
    net: FiberNetwork, premises: gpd.GeoDataFrame, node_dist: np.ndarray, config: FiberConfig
) -> gpd.GeoDataFrame:
    """Group unserved and unreachable premises into contiguous gap areas along streets.

    Parameters
    ----------
    net : FiberNetwork
        The prepared street network.
    premises : GeoDataFrame
        Output premises of :func:`analyze_fiber` (``edge``, ``fiber_class``, ``premises``).
    node_dist : ndarray
        Distance from fibre to each street node.
    config : FiberConfig
        Uses ``gap_bridge_m``.

    Returns
    -------
    GeoDataFrame
        One row per cluster: ``cluster``, ``premises``, ``buildings``, ``street_length_m``
        (streets of the cluster), ``distance_to_fibre_m`` (along streets from fibre to the
        cluster's nearest node; NaN when unreachable), ``reach_length_m`` (the two summed: street
        length needed to reach and pass every premise), ``m_per_premise``, ``rank_premises``
        (1 = most premises) and ``rank_length`` (1 = least street length per premise), and
        the cluster's streets as a MultiLineString.

    Notes
    -----
    The gap subgraph is made of the street edges carrying at least one unserved or unreachable
    premise, plus every edge no longer than ``gap_bridge_m`` whose two end nodes both touch
    such edges (short connecting streets). Clusters are its connected components
    (:func:`scipy.sparse.csgraph.connected_components`).
    """
    E = net.edges
    cols = [
        "cluster",
        "premises",
        "buildings",
        "street_length_m",
        "distance_to_fibre_m",
        "reach_length_m",
        "m_per_premise",
        "rank_premises",
        "rank_length",
    ]
    gap = premises["fiber_class"].isin(["unserved", "unreachable"]).to_numpy() & (
        premises["edge"].to_numpy() >= 0
    )
    if not gap.any():
        return gpd.GeoDataFrame(columns=[*cols, "geometry"], geometry="geometry", crs=premises.crs)
    g_edge = premises["edge"].to_numpy()[gap]
    sel, labels = edge_clusters(E, g_edge, config.gap_bridge_m)
    edge_label = labels[E.u_idx[sel]]
    uniq, cl_of_edge = np.unique(edge_label, return_inverse=True)
    k = len(uniq)
    pos = np.searchsorted(sel, g_edge)
    cl_prem = cl_of_edge[pos]
    n_prem = np.bincount(cl_prem, weights=premises["premises"].to_numpy()[gap], minlength=k)
    n_bld = np.bincount(cl_prem, minlength=k)
    length = np.bincount(cl_of_edge, weights=E.length[sel], minlength=k)
    dmin = np.full(k, np.inf)
    for ends in (E.u_idx[sel], E.v_idx[sel]):
        np.minimum.at(dmin, cl_of_edge, node_dist[ends])
    keep = n_prem > 0  # a component of bridges only carries no premise
    by_cl = np.argsort(cl_of_edge, kind="stable")
    geoms = shapely.multilinestrings(E.geometry[sel][by_cl], indices=cl_of_edge[by_cl])
    dist = np.where(np.isfinite(dmin), dmin, np.nan)
    reach = length + np.nan_to_num(dist, nan=0.0)
    out = pd.DataFrame(
        {
            "premises": n_prem.astype(np.int64),
            "buildings": n_bld.astype(np.int64),
            "street_length_m": np.round(length, 1),
            "distance_to_fibre_m": np.round(dist, 1),
            "reach_length_m": np.round(reach, 1),
        }
    )[keep]
    geoms = geoms[keep]
    out["m_per_premise"] = np.round(out["reach_length_m"] / out["premises"], 2)
    out["rank_premises"] = out["premises"].rank(ascending=False, method="first").astype(int)
    out["rank_length"] = out["m_per_premise"].rank(ascending=True, method="first").astype(int)
    order = np.argsort(out["rank_premises"].to_numpy())
    out = out.iloc[order].reset_index(drop=True)
    geoms = geoms[order]
    out.insert(0, "cluster", np.arange(1, len(out) + 1))
    return gpd.GeoDataFrame(out, geometry=geoms, crs=premises.crs)


def fiber_kpis(
    premises: gpd.GeoDataFrame,
    assets: gpd.GeoDataFrame,
    clusters: gpd.GeoDataFrame,
    config: FiberConfig,
    greenfield: bool,
) -> dict:
    """Fixed-network KPIs for ``summary.json["fiber"]``; the class counts sum to the total."""
    prem = premises["premises"].to_numpy()
    kls = premises["fiber_class"].to_numpy()
    n = {c: int(prem[kls == c].sum()) for c in CLASSES}
    total = int(prem.sum())
    assert sum(n.values()) == total
    cov = float(coverage_pct(n["passed"], total)) if total else 0.0
    target = config.target_coverage_pct
    needed = max(0, int(np.ceil(target / 100 * total - 1e-9)) - n["passed"])
    fb = premises["fallback"].to_numpy()
    return {
        "premises_total": total,
        "premises_passed": n["passed"],
        "premises_near": n["near"],
        "premises_unserved": n["unserved"],
        "premises_unreachable": n["unreachable"],
        "coverage_pct": cov,
        "target_coverage_pct": target,
        "gap_to_target_pct": round(max(0.0, target - cov), 2),
        "premises_needed_for_target": needed,
        "target_met": bool(cov >= target),
        "buildings": int(len(premises)),
        "buildings_straight_line_fallback": int(fb.sum()),
        "premises_straight_line_fallback": int(prem[fb].sum()),
        "gap_clusters": int(len(clusters)),
        "gap_cluster_premises": int(clusters["premises"].sum()) if len(clusters) else 0,
        "assets": int(len(assets)),
        "assets_on_network": int(assets["on_network"].sum()) if len(assets) else 0,
        "greenfield": bool(greenfield),
        "assumptions": config.report(),
    }


def write_fiber_outputs(coverage: FiberCoverage, out_dir: str | Path) -> list[Path]:
    """Write ``fiber.gpkg`` (WGS84 layers) and ``fiber_coverage.tif`` into ``out_dir``.

    Layers: ``premises``, ``assets``, ``gap_clusters``, ``hex<r>`` per H3 resolution and
    ``districts``. Both files are written to a temporary name and moved into place.
    """
    out = Path(out_dir)
    layers = {
        "premises": coverage.premises.drop(columns=["edge"]),
        "assets": coverage.assets,
        "gap_clusters": coverage.gap_clusters,
        **{f"hex{r}": h for r, h in coverage.hexes.items()},
        "districts": coverage.districts,
    }
    gpkg = write_gpkg(layers, out / "fiber.gpkg", crs=coverage.crs)
    p = coverage.premises
    tif = _write_tif(
        out / "fiber_coverage.tif",
        p.geometry.to_numpy(),
        p["premises"].to_numpy(dtype=float),
        np.where(p["fiber_class"].to_numpy() == "passed", p["premises"].to_numpy(), 0).astype(
            float
        ),
        coverage.crs or p.crs,
        coverage.config.raster_resolution_m,
    )
    return [gpkg, tif]
