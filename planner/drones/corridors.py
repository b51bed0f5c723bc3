"""Risk-aware drone corridors between hubs, over a free lattice or above the street graph."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import osmnx as ox
import pandas as pd
import shapely
from affine import Affine
from pydantic import ValidationError
from pyproj import Transformer
from scipy import ndimage
from scipy.sparse import csgraph
from scipy.spatial import cKDTree
from shapely.geometry import LineString, Point

from planner._csgraph import cheapest_edges, symmetric_csr
from planner._files import write_gpkg
from planner.config import load_preset, sora
from planner.config.drones import (
    AUTO_HUB_SPACING_CAP_M,
    DEFAULT_RISK_WEIGHT,
    LOGISTICS_LANDUSE,
    SHORTEST_TIEBREAK,
    DroneConfig,
)
from planner.drones.airspace import (
    DEFAULT_LANDUSE_FACTORS,
    DEFAULT_OBSTACLE_HEIGHT_M,
    DEFAULT_OCCUPANCY,
    blocked_mask,
    blocking_geometries,
    ground_risk_raster,
    nofly_zones,
    obstacles,
    population_density_raster,
    population_raster_coverage,
    write_geotiff,
)
from planner.drones.lattice import (
    Routes,
    cell_centres,
    lattice_lengths,
    path_measures,
    reweight,
    route_hubs,
    select_by_budget,
    xy_to_cell,
)
from planner.errors import AnalysisError, ConfigError

#: Columns of ``CorridorResult.nofly``.
NOFLY_COLUMNS = ["reason", "kind", "name", "buffer_m", "ceiling_m", "source"]
#: Columns of ``CorridorResult.obstacles``.
OBSTACLE_COLUMNS = ["kind", "name", "height_m", "height_source", "top_m"]
#: Columns of ``CorridorResult.hubs``.
HUB_COLUMNS = [
    "name",
    "source",
    "tag",
    "footprint_m2",
    "surround_ppl_km2",
    "reason",
    "feasible",
    "message",
    "snapped_m",
]
#: Columns of ``CorridorResult.corridors`` (and ``baseline``): one row per hub pair.
CORRIDOR_COLUMNS = [
    "from_hub",
    "to_hub",
    "cost",
    "risk_weight",
    "length_m",
    "straight_m",
    "detour_factor",
    "ground_risk",
    "max_igrc",
    "out_of_sora_scope",
    "share_roads",
    "share_water",
    "share_parks",
    "min_clearance_m",
    "mobile_coverage_share",
    "shortest_length_m",
    "shortest_ground_risk",
    "detour_vs_shortest",
    "risk_reduction",
]
#: Columns of ``CorridorResult.trunk``.
TRUNK_COLUMNS = ["n_corridors", "length_m"]


@dataclass
class CorridorResult:
    """Everything :func:`plan_corridors` computed."""

    nofly: gpd.GeoDataFrame
    obstacles: gpd.GeoDataFrame
    corridors: gpd.GeoDataFrame
    hubs: gpd.GeoDataFrame
    trunk: gpd.GeoDataFrame
    corridor_area: gpd.GeoDataFrame
    baseline: gpd.GeoDataFrame  #: shortest feasible path per hub pair (same rows as corridors)
    igrc: np.ndarray
    density: np.ndarray
    blocked: np.ndarray
    transform: Affine
    crs: Any
    summary: dict = field(default_factory=dict)


def route_weighting(cfg: DroneConfig) -> tuple[float | None, float | None]:
    """Return ``(detour_budget, risk_weight)`` in effect; exactly one of them is None.

    A set ``risk_weight`` wins; otherwise free mode uses ``detour_budget`` and streets mode
    (or a null budget) :data:`DEFAULT_RISK_WEIGHT`.
    """
    if cfg.risk_weight is not None:
        return None, cfg.risk_weight
    if cfg.mode == "free" and cfg.detour_budget is not None:
        return cfg.detour_budget, None
    return None, DEFAULT_RISK_WEIGHT


def zone_margin(cfg: DroneConfig) -> float:
    """Return the lateral margin kept from no-fly zones and blocking obstacles (m).

    ``zone_margin_m``, or half the corridor width when it is None (0 is a valid margin).
    """
    return cfg.corridor_width_m / 2 if cfg.zone_margin_m is None else cfg.zone_margin_m


def _config(config: DroneConfig | dict | None) -> DroneConfig:
    if isinstance(config, DroneConfig):
        return config
    try:
        return DroneConfig.model_validate(config or {})
    except ValidationError as exc:
        raise ConfigError.from_validation("drones config", exc, DroneConfig, "drones") from None


# --------------------------------------------------------------------------- hubs


def _nearest_free(blocked: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For every cell, distance (cells) to and flat index of the nearest free cell."""
    if blocked.all():
        raise AnalysisError("the whole area is blocked by no-fly zones or obstacles")
    dist, (ri, ci) = ndimage.distance_transform_edt(blocked, return_indices=True)
    return dist, ri * blocked.shape[1] + ci


def _zone_names(nofly: gpd.GeoDataFrame, pt: Point) -> list[str]:
    if not len(nofly):
        return []
    hit = nofly.sindex.query(pt, predicate="intersects")
    return list(nofly["reason"].iloc[hit])


def _candidates(city: Any, cfg: DroneConfig, fallback: bool = False) -> gpd.GeoDataFrame:
    """Automatic hub candidates: hospitals, heliports/helipads, logistics/industrial sites.

    With ``fallback``, only the buildings of ``auto_hub_fallback_types`` (source
    ``commercial``, ranked after all others).
    """
    rows = []
    kp = None if fallback else getattr(city, "key_places", None)
    air = None if fallback else getattr(city, "airspace", None)
    lu = None if fallback else getattr(city, "landuse", None)
    types = cfg.auto_hub_fallback_types if fallback else cfg.auto_hub_building_types
    src, prio = ("commercial", 3) if fallback else ("logistics", 2)
    if kp is not None and len(kp):
        sel = kp[kp["kind"] == "hospital"]
        for i, (name, g) in enumerate(zip(sel["name"].fillna(""), sel.geometry, strict=True)):
            rows.append(("hospital", name or f"hospital {i + 1}", 0, "amenity=hospital", g.area, g))
    if air is not None and len(air):
        sel = air[air["kind"].isin(["heliport", "helipad"])]
        for i, (k, name, g) in enumerate(
            zip(sel["kind"], sel["name"].fillna(""), sel.geometry, strict=True)
        ):
            rows.append(("heliport", name or f"{k} {i + 1}", 1, f"aeroway={k}", g.area, g))
    b = getattr(city, "buildings", None)
    if b is not None and len(b):
        sel = b[
            b["building"].isin(types)
            & (b["footprint_m2"].fillna(0) >= cfg.auto_hub_min_footprint_m2)
        ]
        for i, (kind, name, area, g) in enumerate(
            zip(
                sel["building"],
                sel["name"].fillna(""),
                sel["footprint_m2"],
                sel.geometry,
                strict=True,
            )
        ):
            rows.append((src, name or f"{kind} site {i + 1}", prio, f"building={kind}", area, g))
    if lu is not None and len(lu):
        sel = lu[lu["kind"].isin(LOGISTICS_LANDUSE)]
        sel = sel[sel.geometry.area >= cfg.auto_hub_min_footprint_m2]
        names = sel["name"].fillna("") if "name" in sel else [""] * len(sel)
        for i, (kind, name, g) in enumerate(zip(sel["kind"], names, sel.geometry, strict=True)):
            rows.append(
                ("logistics", name or f"{kind} area {i + 1}", 2, f"landuse={kind}", g.area, g)
            )
    cols = ["source", "name", "priority", "tag", "footprint_m2", "geometry"]
    out = gpd.GeoDataFrame(rows, columns=cols, geometry="geometry", crs=city.crs)
    # the site's own no-fly kind (a hospital's or heliport's buffer), and how far its
    # representative point lies inside the site: together they bound how far the hub may
    # move to leave its own zone
    out["own_kind"] = [
        t.split("=", 1)[1] if s in ("hospital", "heliport") else ""
        for s, t in zip(out["source"], out["tag"], strict=True)
    ]
    if len(out):
        site = out.geometry.to_numpy()
        rep = shapely.point_on_surface(site)
        out["inset_m"] = np.where(
            shapely.area(site) > 0, shapely.distance(rep, shapely.boundary(site)), 0.0
        )
        out["geometry"] = rep
    else:
        out["inset_m"] = []
    return out


def auto_hub_spacing(city: Any, cfg: DroneConfig) -> float:
    """Return the minimum spacing (m) between automatic hubs.

    ``auto_hub_spacing_m`` when set, else ``min(AUTO_HUB_SPACING_CAP_M, ½ √(A / n))`` with
    A the area of ``city.boundary`` and n = ``max_auto_hubs``.
    """
    if cfg.auto_hub_spacing_m is not None:
        return float(cfg.auto_hub_spacing_m)
    area = float(getattr(getattr(city, "boundary", None), "area", 0.0) or 0.0)
    return min(AUTO_HUB_SPACING_CAP_M, 0.5 * (area / cfg.max_auto_hubs) ** 0.5)


def surrounding_density(
    density: np.ndarray, transform: Affine, cells: np.ndarray, radius_m: float
) -> np.ndarray:
    """Mean density (people/km²) of the grid cells within ``radius_m`` of each cell's centre.

    Parameters
    ----------
    density : numpy.ndarray
        Density grid (people/km²).
    transform : affine.Affine
        Grid transform (square cells).
    cells : numpy.ndarray
        Flat cell indices; ``-1`` gives NaN.
    radius_m : float
        Disc radius (m); cells whose centre lies within it count, cells outside the grid
        are left out of the mean.

    Returns
    -------
    numpy.ndarray
        One mean per cell.
    """
    cells = np.asarray(cells, dtype=np.int64)
    out = np.full(cells.shape, np.nan)
    ok = cells >= 0
    if not ok.any():
        return out
    res = abs(transform.a)
    k = int(radius_m // res)
    dr, dc = np.mgrid[-k : k + 1, -k : k + 1]
    disc = np.hypot(dr, dc) * res <= radius_m
    dr, dc = dr[disc], dc[disc]
    r, c = np.divmod(cells[ok], density.shape[1])
    rr, cc = r[:, None] + dr, c[:, None] + dc
    inside = (rr >= 0) & (rr < density.shape[0]) & (cc >= 0) & (cc < density.shape[1])
    vals = density[np.clip(rr, 0, density.shape[0] - 1), np.clip(cc, 0, density.shape[1] - 1)]
    out[ok] = (vals * inside).sum(axis=1) / inside.sum(axis=1)
    return out


def resolve_hubs(
    city: Any,
    cfg: DroneConfig,
    nofly: gpd.GeoDataFrame,
    blocked: np.ndarray,
    transform: Affine,
    density: np.ndarray | None = None,
) -> gpd.GeoDataFrame:
    """Place configured or automatic hubs on free cells.

    Configured hubs inside a no-fly zone are infeasible (message names the zone); inside
    only the lateral margin they move to the nearest free cell. Automatic candidates
    (hospitals, heliports/helipads, logistics/industrial sites) may only move out of their
    own no-fly zone (its buffer plus the margin and two cells, at most ``auto_hub_snap_m``)
    and must end within ``auto_hub_access_m`` of a street node. Then up to
    ``max_auto_hubs`` are kept, at least
    the spacing (:func:`auto_hub_spacing`) apart: hospitals first, then heliports, then
    logistics sites; within each group the lowest surrounding density (mean people/km²
    within ``auto_hub_density_radius_m`` of the placed hub, from ``density``) first, ties
    by larger footprint.

    Parameters
    ----------
    city : City
        The city data object.
    cfg : DroneConfig
        The drones configuration.
    nofly : geopandas.GeoDataFrame
        No-fly zones (``reason`` column).
    blocked : numpy.ndarray
        Blocked-cell mask of the grid.
    transform : affine.Affine
        Grid transform.
    density : numpy.ndarray, optional
        People/km² on the grid; None ranks by footprint only and reports NaN densities.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``name``, ``source`` (config, hospital, heliport, logistics), ``tag`` (OSM
        tag of the site), ``footprint_m2``, ``surround_ppl_km2`` (mean density within
        ``auto_hub_density_radius_m``), ``reason`` (why the hub was chosen), ``cell`` (flat
        index, -1 if infeasible), ``snapped_m``, ``feasible``, ``message``, ``geometry``
        (hub point on its cell).
    """
    shape = blocked.shape
    dist, nearest = _nearest_free(blocked)
    grid = (dist, nearest, transform, shape, density)
    if cfg.hubs:
        tr = Transformer.from_crs("EPSG:4326", city.crs, always_xy=True)
        xs, ys = tr.transform([h.lon for h in cfg.hubs], [h.lat for h in cfg.hubs])
        cand = gpd.GeoDataFrame(
            {
                "source": "config",
                "name": [h.name for h in cfg.hubs],
                "priority": 0,
                "tag": "",
                "footprint_m2": np.nan,
                "own_kind": "",
                "inset_m": 0.0,
            },
            geometry=gpd.points_from_xy(xs, ys),
            crs=city.crs,
        )
        hubs = _place_hubs(city, cfg, cand, nofly, *grid)
        hubs["reason"] = "configured"
        return hubs.drop(columns="priority").reset_index(drop=True)
    cand = _candidates(city, cfg)
    hubs = _select_auto(city, cfg, _place_hubs(city, cfg, cand, nofly, *grid), abs(transform.a))
    if len(hubs) < 2 and cfg.auto_hub_fallback_types:
        # too few sites of the hub types: add commercial/retail/office buildings
        more = _candidates(city, cfg, fallback=True)
        cand = pd.concat([cand, more], ignore_index=True)
        hubs = _select_auto(city, cfg, _place_hubs(city, cfg, cand, nofly, *grid), abs(transform.a))
    return hubs


def _place_hubs(city, cfg, cand, nofly, dist, nearest, transform, shape, density):
    """Hub cell, feasibility, message and surrounding density of every candidate."""
    res = abs(transform.a)
    radius = cfg.auto_hub_density_radius_m
    if cfg.hubs:
        snap_limit = np.full(len(cand), zone_margin(cfg) + 2 * res)
    else:
        # an automatic hub may leave its own zone only (hospital, heliport buffer), never
        # be carried out of another one: it would no longer be at its site
        own_buffer = {}
        if len(nofly):
            own_buffer = nofly.groupby("kind")["buffer_m"].max().to_dict()
        own = np.array([own_buffer.get(k, 0.0) for k in cand["own_kind"]], dtype=float)
        snap_limit = np.minimum(
            cfg.auto_hub_snap_m,
            cand["inset_m"].to_numpy(float) + own + zone_margin(cfg) + 2 * res,
        )

    cell0 = xy_to_cell(cand.geometry.x.to_numpy(), cand.geometry.y.to_numpy(), transform, shape)
    snapped = np.where(cell0 >= 0, dist.ravel()[np.clip(cell0, 0, None)] * res, 0.0)
    cells = np.where(cell0 >= 0, nearest.ravel()[np.clip(cell0, 0, None)], -1)
    feasible = (cell0 >= 0) & (snapped <= snap_limit)
    if not cfg.hubs and len(nofly) and len(cand):
        # a site inside another kind's zone (a depot at a heliport) is not used
        i_c, i_z = nofly.sindex.query(cand.geometry.to_numpy(), predicate="intersects")
        foreign = nofly["kind"].to_numpy()[i_z] != cand["own_kind"].to_numpy()[i_c]
        feasible[np.unique(i_c[foreign])] = False
    if not cfg.hubs and feasible.any():
        # ground access: parcels and patients reach the hub by road
        g = getattr(city, "graph", None)
        if g is not None and g.number_of_nodes():
            xy_nodes = np.array([(d["x"], d["y"]) for _, d in g.nodes(data=True)], dtype=float)
            hub_xy = cell_centres(np.clip(cells, 0, None), transform, shape[1])
            d_street, _ = cKDTree(xy_nodes).query(hub_xy)
            feasible &= d_street <= cfg.auto_hub_access_m
    messages = [""] * len(cand)
    for i in np.flatnonzero((cand["source"] == "config").to_numpy()):
        name, geom = cand["name"].iloc[i], cand.geometry.iloc[i]
        zones = _zone_names(nofly, geom) if cell0[i] >= 0 else []
        if cell0[i] < 0:
            messages[i] = f"hub {name!r} lies outside the city extent"
        elif zones:
            messages[i] = f"hub {name!r} lies inside no-fly zone {zones[0]}"
        elif not feasible[i]:
            messages[i] = (
                f"hub {name!r} is blocked by obstacles/no-fly margins "
                f"(nearest free cell {snapped[i]:.0f} m)"
            )
        feasible[i] = not messages[i]
    cells = np.where(feasible, cells, -1)
    snapped = np.where(cell0 >= 0, snapped, 0.0)
    if density is not None:
        surround = surrounding_density(density, transform, cells, radius)
    else:
        surround = np.full(len(cand), np.nan)
    pts = cell_centres(np.clip(cells, 0, None), transform, shape[1])
    geoms = [Point(*pts[i]) if feasible[i] else cand.geometry.iloc[i] for i in range(len(cand))]
    hubs = gpd.GeoDataFrame(
        {
            "name": cand["name"].to_numpy(),
            "source": cand["source"].to_numpy(),
            "tag": cand["tag"].to_numpy(),
            "footprint_m2": cand["footprint_m2"].to_numpy(float),
            "surround_ppl_km2": surround,
            "reason": "",
            "cell": cells,
            "snapped_m": snapped,
            "feasible": feasible,
            "message": messages,
            "priority": cand["priority"].to_numpy(),
        },
        geometry=geoms,
        crs=city.crs,
    )
    return hubs


def _select_auto(city, cfg, hubs, res):
    """Keep up to ``max_auto_hubs`` feasible candidates by priority, surroundings, spacing."""
    radius = cfg.auto_hub_density_radius_m
    if not len(hubs):
        return hubs.drop(columns="priority")
    hubs = hubs[hubs["feasible"]]
    # priority (hospitals, heliports, logistics), then lowest surroundings, larger site
    key = hubs["surround_ppl_km2"].fillna(0).to_numpy()
    order = np.lexsort(
        (
            -hubs["footprint_m2"].fillna(0).to_numpy(),
            key,
            hubs["priority"].to_numpy(),
        )
    )
    hubs = hubs.iloc[order]
    hubs = hubs.drop_duplicates("cell")
    rank = hubs.groupby("source").cumcount().to_numpy() + 1
    n_src = hubs["source"].map(hubs["source"].value_counts()).to_numpy()
    spacing = auto_hub_spacing(city, cfg)
    xy = np.column_stack([hubs.geometry.x, hubs.geometry.y])
    keep: list[int] = []
    for i in range(len(xy)):
        if len(keep) >= cfg.max_auto_hubs:
            break
        if not keep or np.min(np.hypot(*(xy[keep] - xy[i]).T)) >= spacing:
            keep.append(i)
    reasons = []
    for i in keep:
        h = hubs.iloc[i]
        dens = (
            f"{h.surround_ppl_km2:,.0f} ppl/km² within {radius:g} m"
            if np.isfinite(h.surround_ppl_km2)
            else "surroundings not rated"
        )
        moved = f", moved {h.snapped_m:,.0f} m out of no-fly zones" if h.snapped_m > res else ""
        if h.source == "hospital":
            why = f"hospital (issue 5 hub type, kept whatever its surroundings): {dens}"
        else:
            kind = {
                "heliport": "heliport/helipad",
                "logistics": "logistics/industrial site",
                "commercial": "fallback site (fewer than 2 hubs of the issue 5 types)",
            }[h.source]
            why = (
                f"{kind} {h.tag}, {h.footprint_m2:,.0f} m²: rank {int(rank[i])} of "
                f"{int(n_src[i])} feasible {h.source} candidates by lowest surroundings, {dens}"
            )
        reasons.append(why + moved)
    hubs = hubs.iloc[keep].drop(columns="priority")
    hubs["reason"] = reasons
    hubs = hubs.reset_index(drop=True)
    # unique names
    dup = hubs["name"].duplicated(keep=False)
    hubs.loc[dup, "name"] = hubs.loc[dup, "name"] + " #" + hubs.index[dup].astype(str)
    return hubs


# --------------------------------------------------------------------------- street graph


def _edge_arrays(city: Any):
    g = city.graph
    nodes = pd.Index(list(g.nodes))
    nx_ = np.array([x for _, x in g.nodes(data="x")], dtype=float)
    ny_ = np.array([y for _, y in g.nodes(data="y")], dtype=float)
    if g.number_of_edges() == 0:
        empty = np.zeros(0, dtype=np.int64)
        return nx_, ny_, empty, empty, np.zeros(0), np.zeros(0, dtype=object)
    # osmnx fills straight geometries and keeps the edge lengths
    edges = ox.graph_to_gdfs(g, nodes=False, fill_edge_geometry=True).reset_index()
    edges = edges[edges["u"] != edges["v"]]
    geoms = edges.geometry.to_numpy()
    lens = edges["length"].to_numpy(float) if "length" in edges else shapely.length(geoms)
    lens = np.where(np.isnan(lens), shapely.length(geoms), lens)
    us = nodes.get_indexer(edges["u"])
    vs = nodes.get_indexer(edges["v"])
    return nx_, ny_, us, vs, lens, np.asarray(geoms, dtype=object)


def sample_lines(lines: np.ndarray, step: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points every ``step`` m along each line (vectorised).

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
    pts = shapely.line_interpolate_point(lines[owner], frac, normalized=True)
    return shapely.get_x(pts), shapely.get_y(pts), owner, (lengths / n)[owner]


def _raster_values(raster: np.ndarray, transform: Affine, x, y, fill=0.0) -> np.ndarray:
    cells = xy_to_cell(x, y, transform, raster.shape)
    flat = raster.ravel()
    return np.where(cells >= 0, flat[np.clip(cells, 0, None)], fill)


def _street_graph(city, risk, transform, bad_geoms, weight, w0):
    nx_, ny_, us, vs, lens, geoms = _edge_arrays(city)
    if len(us) == 0:
        raise AnalysisError("the street graph has no edges")
    ok = np.ones(len(us), dtype=bool)
    if len(bad_geoms):
        tree = shapely.STRtree(np.asarray(bad_geoms, dtype=object))
        hit = tree.query(geoms, predicate="intersects")
        ok[np.unique(hit[0])] = False
    res = abs(transform.a)
    x, y, owner, _ = sample_lines(geoms, res)
    r = _raster_values(risk, transform, x, y)
    mean_r = np.bincount(owner, weights=r, minlength=len(us)) / np.bincount(
        owner, minlength=len(us)
    )
    costs = {}
    for w in (weight, w0):
        c = lens * (1.0 + w * mean_r)
        a, b, cc, kept = cheapest_edges(us[ok], vs[ok], c[ok])
        eidx = np.flatnonzero(ok)[kept]
        g = symmetric_csr(a, b, cc, len(nx_))
        costs[w] = (g, {(int(p), int(q)): int(e) for p, q, e in zip(a, b, eidx, strict=True)})
    usable = np.zeros(len(nx_), dtype=bool)
    usable[us[ok]] = True
    usable[vs[ok]] = True
    return nx_, ny_, geoms, us, costs, usable


# --------------------------------------------------------------------------- metrics


def _budget_routes(g_len, risk, res, nodes, short, weights, budget, w0):
    """Routes per hub pair picked among several risk weights within a mean detour budget.

    ``g_len`` is the lattice's edge structure (:func:`~planner.lattice.lattice_lengths`);
    each weight's graph reweights it without rebuilding.
    """
    keys = list(short.paths)
    cand = [short]
    for w in sorted(set(weights)):
        cand.append(route_hubs(reweight(g_len, risk, w), nodes))
    lengths, risks = np.zeros((len(cand), len(keys))), np.zeros((len(cand), len(keys)))
    for c, r in enumerate(cand):
        lengths[c], risks[c] = path_measures([r.paths[k] for k in keys], risk, res)
    choice, _ = select_by_budget(lengths, risks, budget)
    ws = [w0, *sorted(set(weights))]
    paths = {k: cand[c].paths[k] for k, c in zip(keys, choice, strict=True)}
    cost = short.cost.copy()
    pair_w = {}
    for n, (k, c) in enumerate(zip(keys, choice, strict=True)):
        cost[k] = cost[k[::-1]] = lengths[c, n] + ws[c] * risks[c, n]
        pair_w[k] = ws[c]
    return Routes(short.hubs, cost, paths), pair_w


def _path_line_free(seq, transform, ncols) -> LineString:
    xy = cell_centres(seq, transform, ncols)
    if len(xy) == 1:
        xy = np.vstack([xy, xy])
    return shapely.simplify(LineString(xy), 0.0)


def _path_line_streets(seq, edge_of, geoms, us, nx_, ny_) -> LineString:
    coords = [(nx_[seq[0]], ny_[seq[0]])]
    for p, q in zip(seq[:-1], seq[1:], strict=True):
        e = edge_of[(min(p, q), max(p, q))]
        c = list(geoms[e].coords)
        if us[e] != p:
            c = c[::-1]
        coords.extend(c[1:])
    if len(coords) == 1:
        coords.append(coords[0])
    return LineString(coords)


def corridor_metrics(
    lines: gpd.GeoSeries,
    density: np.ndarray,
    igrc_grid: np.ndarray,
    transform: Affine,
    width_m: float,
    landuse: gpd.GeoDataFrame | None,
    obst: gpd.GeoDataFrame,
    band_top_m: float,
    masts: gpd.GeoDataFrame | None,
    mast_radius_m: float,
) -> pd.DataFrame:
    """Per-corridor metrics computed from the geometry alone (independent of the router).

    ``ground_risk`` is the integrated exposure: Σ density × sampled length × width, i.e. the
    expected number of people under the corridor area. ``min_clearance_m`` is the band top
    minus the tallest obstacle within half the width.
    """
    arr = np.asarray(lines.to_numpy(), dtype=object)
    n = len(arr)
    length = shapely.length(arr)
    res = abs(transform.a)
    x, y, owner, seg = sample_lines(arr, res / 2)
    dens = _raster_values(density, transform, x, y)
    risk = np.bincount(owner, weights=dens * seg * width_m / 1e6, minlength=n)
    ig = _raster_values(igrc_grid, transform, x, y, fill=0).astype(int)
    ig = sora.risk_rank(ig)
    max_ig = np.full(n, 0)
    np.maximum.at(max_ig, owner, ig)
    starts = shapely.get_point(arr, 0)
    ends = shapely.get_point(arr, -1)
    straight = shapely.distance(starts, ends)
    out = pd.DataFrame(
        {
            "length_m": length,
            "straight_m": straight,
            "detour_factor": np.where(straight > 0, length / np.maximum(straight, 1e-9), 1.0),
            "ground_risk": risk,
            "max_igrc": max_ig,
            "out_of_sora_scope": max_ig == sora.OUT_OF_SCOPE_RANK,
        }
    )
    # shares: fraction of the sampled length whose sample point lies on a landuse feature
    # (line features such as roads count within 10 m of their axis: planner assumption)
    pts = shapely.points(x, y)
    for kind, col in (
        ("major_road", "share_roads"),
        ("water", "share_water"),
        ("park", "share_parks"),
    ):
        share = np.zeros(n)
        if landuse is not None and len(landuse):
            geo = landuse.geometry[landuse["kind"] == kind].to_numpy()
            if len(geo):
                lineal = np.isin(shapely.get_type_id(geo), [1, 2, 5])
                geo = np.where(lineal, shapely.buffer(geo, 10), geo)
                hit = np.unique(shapely.STRtree(geo).query(pts, predicate="intersects")[0])
                inside = np.zeros(len(pts), dtype=bool)
                inside[hit] = True
                share = np.bincount(owner, weights=seg * inside, minlength=n) / np.maximum(
                    length, 1e-9
                )
        out[col] = np.clip(share, 0, 1)
    clearance = np.full(n, float(band_top_m))
    if len(obst):
        buf = shapely.buffer(arr, width_m / 2)
        li, oi = obst.sindex.query(buf, predicate="intersects")
        if li.size:
            hmax = np.zeros(n)
            np.maximum.at(hmax, li, obst["height_m"].to_numpy()[oi])
            clearance = band_top_m - hmax
    out["min_clearance_m"] = clearance
    cov = np.zeros(n)
    if masts is not None and len(masts):
        mp = masts.geometry.representative_point()
        d, _ = cKDTree(np.column_stack([mp.x, mp.y])).query(np.column_stack([x, y]))
        cov = np.bincount(owner, weights=seg * (d <= mast_radius_m), minlength=n) / np.maximum(
            length, 1e-9
        )
        cov = np.clip(cov, 0, 1)
    out["mobile_coverage_share"] = cov
    return out


def _trunk(paths: list[np.ndarray], seg_line, crs, width_m):
    """Trunk lines by how many corridors share each step.

    ``seg_line`` maps an ``(m, 2)`` array of node pairs to an array of line geometries.
    """
    if not paths:
        empty = gpd.GeoDataFrame({"n_corridors": [], "length_m": []}, geometry=[], crs=crs)
        return empty, gpd.GeoDataFrame({"width_m": []}, geometry=[], crs=crs)
    a = np.concatenate([p[:-1] for p in paths])
    b = np.concatenate([p[1:] for p in paths])
    key = np.column_stack([np.minimum(a, b), np.maximum(a, b)])
    uniq, counts = np.unique(key, axis=0, return_counts=True)
    rows = []
    for cnt in np.unique(counts):
        segs = seg_line(uniq[counts == cnt])
        merged = shapely.line_merge(shapely.union_all(segs))
        parts = getattr(merged, "geoms", [merged])
        for g in parts:
            rows.append((int(cnt), g.length, g))
    trunk = gpd.GeoDataFrame(
        rows, columns=["n_corridors", "length_m", "geometry"], geometry="geometry", crs=crs
    )
    area = shapely.union_all(shapely.buffer(trunk.geometry.to_numpy(), width_m / 2))
    return trunk, gpd.GeoDataFrame({"width_m": [width_m]}, geometry=[area], crs=crs)


# --------------------------------------------------------------------------- top level


#: Sources of the DroneConfig defaults reported in ``summary["assumptions"]``.
ASSUMPTION_SOURCES = {
    "people_per_household": "Eurostat ilc_lvph01: average EU household size 2.3 persons (2022)",
    "m2_per_person": (
        "planner assumption: one person per 25 m² of non-residential floor area (offices "
        "~10-15 m²/workplace, ~50 % daytime presence)"
    ),
    "window_m": (
        "JARUS SORA 2.5 Annex F §3.9: density averaged over the ground-risk footprint; "
        "200 m grid for operations below 500 ft AGL"
    ),
    "landuse_factors": (
        "planner assumption: nobody resident on open water (factor 0); other kinds neutral (1)"
    ),
    "obstacle_default_height_m": (
        "planner assumption: 110 kV pylons ~30 m, conductors sag to ~25 m; urban lattice masts "
        "30 m; towers/chimneys 40 m"
    ),
    "mast_radius_m": "planner assumption: urban macro-cell mobile coverage radius",
    "risk_scale_ppl_km2": "planner assumption: risk 1 = 1,000 people/km² (SORA '< 5,000' band)",
    "ua_class": sora.SORA_SOURCE,
    "igrc_table": sora.SORA_SOURCE,
    "auto_hub_spacing_m": (
        "planner assumption: min(1,000 m, half the mean spacing of max_auto_hubs hubs over "
        "the city area); spread hubs over the demand area (NASA AAM vertiport "
        "considerations, Mendonca et al. 2022)"
    ),
    "auto_hub_density_radius_m": (
        "planner assumption: 300 m of climb-out/approach near a hub that no routing avoids "
        "(1.5 SORA 2.5 200 m density cells); rank sites by low surrounding population "
        "(Mendonca et al. 2022; Aerospace 12(8):709, 2025)"
    ),
    "auto_hub_building_types": (
        "issue 5 hub types: logistics/industrial sites (commercial, retail, office excluded)"
    ),
    "auto_hub_access_m": (
        "planner assumption: ground access by road within 250 m of a street node "
        "(transport access, Aerospace 12(8):709, 2025)"
    ),
    "auto_hub_fallback_types": (
        "planner assumption: commercial/retail/office buildings only when the issue 5 hub "
        "types give fewer than 2 hubs (hub source 'commercial')"
    ),
    "auto_hub_min_footprint_m2": (
        "planner assumption: room for pads and parcel handling; drops sheds and substations"
    ),
}


def _assumptions(
    cfg: DroneConfig,
    preset: Any,
    obst: gpd.GeoDataFrame,
    clearance: float,
    coverage: float | None = None,
    spacing: float | None = None,
) -> dict:
    """Defaults and rules in use with their sources (``planner.report`` format)."""
    occ = {k: getattr(cfg, k) for k in DEFAULT_OCCUPANCY}
    values = {
        **occ,
        "landuse_factors": {**DEFAULT_LANDUSE_FACTORS, **(cfg.landuse_factors or {})},
        "obstacle_default_height_m": {**DEFAULT_OBSTACLE_HEIGHT_M, **(cfg.obstacle_heights or {})},
        "mast_radius_m": cfg.mast_radius_m,
        "risk_scale_ppl_km2": cfg.risk_scale_ppl_km2,
        "ua_class": cfg.ua_class,
        "igrc_table": "SORA 2.5 Table 2",
        "altitude_cap_m": preset.altitude_cap.value_m,
        "clearance_m": clearance,
        "population_source": cfg.population_raster or "building occupancy model",
        "population_raster_coverage_pct": coverage,
        "obstacles_default_height": int((obst["height_source"] == "default").sum())
        if len(obst)
        else 0,
    }
    sources = dict(ASSUMPTION_SOURCES)
    for k in DEFAULT_OCCUPANCY:
        if occ[k] != DEFAULT_OCCUPANCY[k]:
            sources[k] = "city config drones." + k
    if cfg.obstacle_heights:
        sources["obstacle_default_height_m"] = (
            "city config drones.obstacle_heights over " + sources["obstacle_default_height_m"]
        )
    if cfg.landuse_factors:
        sources["landuse_factors"] = (
            "city config drones.landuse_factors over " + sources["landuse_factors"]
        )
    for k, dflt in (("mast_radius_m", 1000.0), ("risk_scale_ppl_km2", 1000.0)):
        if values[k] != dflt:
            sources[k] = "city config drones." + k
    sources["altitude_cap_m"] = preset.altitude_cap.source
    sources["clearance_m"] = (
        preset.default_clearance.source
        if cfg.clearance_m is None
        else "city config drones.clearance_m"
    )
    sources["population_source"] = (
        "city config drones.population_raster"
        if cfg.population_raster
        else "buildings: premises × people_per_household, else floor area / m2_per_person"
    )
    sources["population_raster_coverage_pct"] = (
        "share of the city area inside the population raster; the rest counts as 0 people/km²"
        if coverage is not None
        else "not applicable (building occupancy model covers every building)"
    )
    if cfg.hubs:  # automatic siting not used
        for k in [k for k in sources if k.startswith("auto_hub_")]:
            del sources[k]
    else:
        values["auto_hub_spacing_m"] = spacing
        values["auto_hub_density_radius_m"] = cfg.auto_hub_density_radius_m
        values["auto_hub_building_types"] = list(cfg.auto_hub_building_types)
        values["auto_hub_min_footprint_m2"] = cfg.auto_hub_min_footprint_m2
        values["auto_hub_access_m"] = cfg.auto_hub_access_m
        values["auto_hub_fallback_types"] = list(cfg.auto_hub_fallback_types)
        for k in (
            "auto_hub_access_m",
            "auto_hub_fallback_types",
            "auto_hub_spacing_m",
            "auto_hub_density_radius_m",
            "auto_hub_building_types",
            "auto_hub_min_footprint_m2",
        ):
            if getattr(cfg, k) != DroneConfig.model_fields[k].get_default(
                call_default_factory=True
            ):
                sources[k] = "city config drones." + k
    sources["obstacles_default_height"] = (
        "count of obstacles without an OSM height, given obstacle_default_height_m"
    )
    for kind, rule in preset.nofly.items():
        key = f"nofly_{kind}"
        values[key] = {"buffer_m": rule.buffer_m, "ceiling_m": rule.ceiling_m}
        sources[key] = rule.source
    return {"values": values, "sources": sources}


def _records(df: pd.DataFrame) -> list[dict]:
    """Rows as JSON-ready dicts with native Python types, floats rounded to 4 decimals."""
    return json.loads(pd.DataFrame(df).round(4).to_json(orient="records"))


def plan_corridors(city: Any, config: DroneConfig | dict | None = None) -> CorridorResult:
    """Plan risk-aware drone corridors between hubs.

    Parameters
    ----------
    city : City
        The city data object.
    config : DroneConfig or dict, optional
        The ``drones:`` configuration section; defaults throughout if omitted.

    Returns
    -------
    CorridorResult
        No-fly zones, obstacles, hubs, corridors (risk-aware), trunk network, rasters and
        a ``summary`` dict for ``summary.json["drones"]``.
    """
    cfg = _config(config)
    preset = load_preset(cfg.preset, cfg.overrides)
    top = min(cfg.band.max_m, preset.altitude_cap.value_m)
    if top <= cfg.band.min_m:
        raise ConfigError(
            f"drones.band: band floor {cfg.band.min_m} m is at or above the preset's "
            f"altitude cap {preset.altitude_cap.value_m} m"
        )
    clearance = preset.default_clearance.value_m if cfg.clearance_m is None else cfg.clearance_m
    margin = zone_margin(cfg)
    nofly = nofly_zones(city, preset, cfg.band)
    obst = obstacles(city, clearance, cfg.obstacle_heights)
    res = cfg.resolution_m
    density, transform = population_density_raster(
        city,
        res,
        cfg.population_raster,
        people_per_household=cfg.people_per_household,
        m2_per_person=cfg.m2_per_person,
        window_m=cfg.window_m,
        landuse_factors=cfg.landuse_factors,
    )
    coverage = (
        round(population_raster_coverage(city, res, cfg.population_raster), 2)
        if cfg.population_raster
        else None
    )
    igrc_grid, _ = ground_risk_raster(city, res, cfg.ua_class, density=density)
    shape = density.shape
    blocked = blocked_mask(nofly, obst, top, transform, shape, margin)
    risk = density.astype(float) / cfg.risk_scale_ppl_km2
    hubs = resolve_hubs(city, cfg, nofly, blocked, transform, density)
    messages = [m for m in hubs["message"] if m]
    ok_hubs = hubs[hubs["feasible"]].reset_index(drop=True)
    if len(hubs) < 2:
        raise AnalysisError(
            "drones.hubs: fewer than 2 hubs (none configured and too few hospitals, heliports "
            "or logistics sites found); list hubs in the drones config"
        )

    # blocking geometries as they are (obstacle check) and grown by the margin (streets)
    blocking = blocking_geometries(nofly, obst, top, 0.0)
    tall = blocking[blocking["layer"] == "obstacle"]
    budget, weight = route_weighting(cfg)
    if budget is not None and (not cfg.budget_weights or min(cfg.budget_weights) <= 0):
        raise ConfigError("drones.budget_weights: give at least one weight, all > 0")
    w0 = SHORTEST_TIEBREAK if (weight or 0) > 0 or budget is not None else 0.0
    pair_w = None
    if cfg.mode == "free":
        nodes = ok_hubs["cell"].to_numpy(dtype=np.int64)
        # one edge structure, reweighted per risk weight (shared indptr/indices)
        g_len = lattice_lengths(shape, blocked, res)
        graph_for_components = reweight(g_len, risk, w0)
        short = route_hubs(graph_for_components, nodes)
        if budget is not None:
            routes, pair_w = _budget_routes(
                g_len, risk, res, nodes, short, cfg.budget_weights, budget, w0
            )
        elif weight == w0:
            routes = short
        else:
            routes = route_hubs(reweight(g_len, risk, weight), nodes)

        def to_line(seq):
            return _path_line_free(seq, transform, shape[1])

        to_short = to_line

        def seg_line(pairs):
            xy = cell_centres(pairs.ravel(), transform, shape[1]).reshape(-1, 2, 2)
            return shapely.linestrings(xy)

    else:
        bad = blocking_geometries(nofly, obst, top, margin).geometry.to_numpy()
        nx_, ny_, geoms, us, costs, usable = _street_graph(city, risk, transform, bad, weight, w0)
        cand = np.flatnonzero(usable)
        if cand.size == 0:
            raise AnalysisError("every street edge crosses a no-fly zone or tall obstacle")
        hub_xy = np.column_stack([ok_hubs.geometry.x, ok_hubs.geometry.y])
        d, k = cKDTree(np.column_stack([nx_[cand], ny_[cand]])).query(hub_xy)
        nodes = cand[k]
        # prefer the main airway network: no-fly zones cut streets into pieces, and a hub
        # snapped to a cut-off piece could reach no other hub
        _, label = csgraph.connected_components(costs[w0][0], directed=False)
        main = cand[label[cand] == np.bincount(label[cand]).argmax()]
        d_main, k_main = cKDTree(np.column_stack([nx_[main], ny_[main]])).query(hub_xy)
        to_main = (d_main <= cfg.street_snap_m) & (label[nodes] != label[main[0]])
        nodes[to_main], d[to_main] = main[k_main[to_main]], d_main[to_main]
        far = d > cfg.street_snap_m
        dup = pd.Series(nodes).duplicated().to_numpy() & (not cfg.hubs)
        for h in np.flatnonzero(far):
            messages.append(
                f"hub {ok_hubs['name'].iloc[h]!r} has no usable street within "
                f"{cfg.street_snap_m:g} m (nearest {d[h]:.0f} m)"
            )
        hubs.loc[hubs["name"].isin(ok_hubs["name"][far]), "feasible"] = False
        hubs = hubs[~hubs["name"].isin(ok_hubs["name"][dup & ~far])]
        keep = ~far & ~dup
        ok_hubs, nodes = ok_hubs[keep].reset_index(drop=True), nodes[keep]
        ok_hubs["snapped_m"] = ok_hubs["snapped_m"] + d[keep]
        ok_hubs["geometry"] = gpd.points_from_xy(nx_[nodes], ny_[nodes])
        graphs = {w: costs[w][0] for w in costs}
        routes = route_hubs(graphs[weight], nodes)
        short = route_hubs(graphs[w0], nodes) if weight > 0 else routes
        edge_of = costs[weight][1]
        edge_of0 = costs[w0][1]

        def to_line(seq):
            return _path_line_streets(seq, edge_of, geoms, us, nx_, ny_)

        def to_short(seq):
            return _path_line_streets(seq, edge_of0, geoms, us, nx_, ny_)

        def seg_line(pairs):
            return np.array([geoms[edge_of[(int(p), int(q))]] for p, q in pairs], dtype=object)

        graph_for_components = graphs[w0]

    names = ok_hubs["name"].tolist()
    pairs = [(i, j) for i in range(len(names)) for j in range(i + 1, len(names))]
    if cfg.od_pairs is not None:
        want = {frozenset(p) for p in cfg.od_pairs}
        unknown = {n for p in cfg.od_pairs for n in p} - set(hubs["name"])
        if unknown:
            raise ConfigError(f"drones.od_pairs: unknown hub name(s) {sorted(unknown)}")
        pairs = [(i, j) for i, j in pairs if frozenset((names[i], names[j])) in want]
    _, labels = csgraph.connected_components(graph_for_components, directed=False)
    comp_size = np.bincount(labels)
    rows, lines, short_lines, used = [], [], [], []
    for i, j in pairs:
        if (i, j) not in routes.paths:
            a, b = ok_hubs.geometry.iloc[i], ok_hubs.geometry.iloc[j]
            size = {h: int(comp_size[labels[nodes[h]]]) for h in (i, j)}
            h = min(size, key=size.get)
            near = (
                nofly.assign(d=nofly.distance(ok_hubs.geometry.iloc[h])).nsmallest(2, "d")
                if len(nofly)
                else nofly
            )
            zones = "; ".join(near["reason"]) or "obstacles"
            messages.append(
                f"no feasible corridor between {names[i]!r} and {names[j]!r}: hub "
                f"{names[h]!r} is enclosed (by {zones}); {a.distance(b):.0f} m apart"
            )
            continue
        seq = routes.paths[(i, j)]
        used.append(seq)
        lines.append(to_line(seq))
        short_lines.append(to_short(short.paths[(i, j)]))
        rows.append(
            {
                "from_hub": names[i],
                "to_hub": names[j],
                "cost": routes.cost[i, j],
                "risk_weight": weight if pair_w is None else pair_w[(i, j)],
            }
        )

    masts = getattr(city, "telecom", None)
    if masts is not None and len(masts):
        mob = masts["mobile"].fillna(False).astype(bool) if "mobile" in masts else False
        masts = masts[mob | masts["kind"].isin(["mast", "tower"])]
    args = (
        density,
        igrc_grid,
        transform,
        cfg.corridor_width_m,
        getattr(city, "landuse", None),
        obst,
        top,
        masts,
        cfg.mast_radius_m,
    )
    crs = city.crs
    if rows:
        m = corridor_metrics(gpd.GeoSeries(lines, crs=crs), *args)
        ms = corridor_metrics(gpd.GeoSeries(short_lines, crs=crs), *args)
        corridors = gpd.GeoDataFrame(pd.DataFrame(rows), geometry=lines, crs=crs)
        for c in m.columns:
            corridors[c] = m[c].to_numpy()
        corridors["shortest_length_m"] = ms["length_m"].to_numpy()
        corridors["shortest_ground_risk"] = ms["ground_risk"].to_numpy()
        corridors["detour_vs_shortest"] = np.where(
            corridors["shortest_length_m"] > 0,
            corridors["length_m"] / np.maximum(corridors["shortest_length_m"], 1e-9),
            1.0,
        )
        corridors["risk_reduction"] = np.where(
            ms["ground_risk"] > 0, 1 - m["ground_risk"] / np.maximum(ms["ground_risk"], 1e-12), 0
        )
    else:
        corridors = gpd.GeoDataFrame({"from_hub": [], "to_hub": []}, geometry=[], crs=crs)

    # independent geometric checks (shapely), no raster involved
    restricted = area_hits = obst_hits = 0
    if len(corridors):
        cl = corridors.geometry.to_numpy()
        if len(nofly):
            zt = shapely.STRtree(nofly.geometry.to_numpy())
            restricted = int(np.unique(zt.query(cl, predicate="intersects")[0]).size)
            area_hits = int(
                np.unique(
                    zt.query(shapely.buffer(cl, cfg.corridor_width_m / 2 - 1e-6), "intersects")[0]
                ).size
            )
        if len(tall):
            obst_hits = int(
                np.unique(shapely.STRtree(tall.geometry.to_numpy()).query(cl, "intersects")[0]).size
            )
    trunk, area = _trunk(used, seg_line, crs, cfg.corridor_width_m)

    tot = float(corridors["ground_risk"].sum()) if len(corridors) else 0.0
    tot_s = float(corridors["shortest_ground_risk"].sum()) if len(corridors) else 0.0
    hubs_out = hubs.merge(
        ok_hubs[["name", "snapped_m"]], on="name", how="left", suffixes=("_cell", "")
    )
    hubs_out["snapped_m"] = hubs_out["snapped_m"].fillna(hubs_out["snapped_m_cell"])
    hubs_out = hubs_out.drop(columns=["snapped_m_cell", "cell"])
    hubs_out = gpd.GeoDataFrame(hubs_out, geometry="geometry", crs=crs)
    if len(ok_hubs):
        placed = dict(zip(ok_hubs["name"], ok_hubs.geometry, strict=True))
        hubs_out["geometry"] = [
            placed.get(n, g) for n, g in zip(hubs_out["name"], hubs_out.geometry, strict=True)
        ]
    ll = hubs_out.to_crs(4326)
    summary = {
        "mode": cfg.mode,
        "preset": preset.name,
        "preset_title": preset.title,
        "band": {"min_m": cfg.band.min_m, "max_m": cfg.band.max_m, "top_m": top},
        "altitude_cap_m": preset.altitude_cap.value_m,
        "clearance_m": clearance,
        "zone_margin_m": margin,
        "ua_class": cfg.ua_class,
        "resolution_m": res,
        "risk_weight": weight,
        "detour_budget": budget,
        "corridor_width_m": cfg.corridor_width_m,
        "nofly_zones": int(len(nofly)),
        "blocking_obstacles": int(len(tall)),
        "blocked_share": float(blocked.mean()),
        "hubs": [
            {
                "name": r.name,
                "source": r.source,
                "lon": round(float(p.x), 6),
                "lat": round(float(p.y), 6),
                "snapped_m": round(float(r.snapped_m), 1),
                "feasible": bool(r.feasible),
                "tag": r.tag,
                "footprint_m2": None if pd.isna(r.footprint_m2) else round(float(r.footprint_m2)),
                "surround_ppl_km2": None
                if pd.isna(r.surround_ppl_km2)
                else round(float(r.surround_ppl_km2), 1),
                "reason": r.reason,
            }
            for r, p in zip(hubs_out.itertuples(), ll.geometry, strict=True)
        ],
        "corridors": _records(corridors.drop(columns=["geometry", "cost"], errors="ignore")),
        "restricted_intersections": restricted,
        "corridor_area_intersections": area_hits,
        "obstacle_violations": obst_hits,
        "ground_risk": tot,
        "shortest_ground_risk": tot_s,
        "risk_reduction": (1 - tot / tot_s) if tot_s > 0 else 0.0,
        "mean_detour_vs_shortest": float(corridors["detour_vs_shortest"].mean())
        if len(corridors)
        else None,
        "mean_detour_factor": float(corridors["detour_factor"].mean()) if len(corridors) else None,
        "trunk_length_m": float(trunk["length_m"].sum()) if len(trunk) else 0.0,
        "infeasible": messages,
        "auto_hubs": None
        if cfg.hubs
        else {
            "spacing_m": round(auto_hub_spacing(city, cfg), 1),
            "density_radius_m": cfg.auto_hub_density_radius_m,
            "building_types": list(cfg.auto_hub_building_types),
            "min_footprint_m2": cfg.auto_hub_min_footprint_m2,
            "access_m": cfg.auto_hub_access_m,
            "fallback_types": list(cfg.auto_hub_fallback_types),
            "fallback_used": bool((hubs_out["source"] == "commercial").any()),
            "order": (
                "hospitals, heliports, logistics (then commercial fallback); each by lowest "
                "surrounding density"
            ),
        },
        "population_raster_coverage_pct": coverage,
        "assumptions": _assumptions(
            cfg,
            preset,
            obst,
            clearance,
            coverage,
            None if cfg.hubs else auto_hub_spacing(city, cfg),
        ),
    }
    return CorridorResult(
        nofly=nofly,
        obstacles=obst,
        corridors=corridors,
        hubs=hubs_out,
        trunk=trunk,
        corridor_area=area,
        baseline=gpd.GeoDataFrame(
            corridors[["from_hub", "to_hub"]] if len(corridors) else {"from_hub": [], "to_hub": []},
            geometry=short_lines,
            crs=crs,
        ),
        igrc=igrc_grid,
        density=density,
        blocked=blocked,
        transform=transform,
        crs=crs,
        summary=summary,
    )


def write_outputs(result: CorridorResult, out_dir: str | Path) -> dict[str, Path]:
    """Write ``airspace.gpkg`` (WGS84 layers) and ``ground_risk.tif`` (iGRC, city CRS).

    Layers: ``nofly``, ``obstacles`` (blocking ones only, plus masts/towers), ``hubs``,
    ``corridors``, ``trunk``, ``corridor_area``. Files are written atomically.

    Returns
    -------
    dict
        ``{"gpkg": path, "ground_risk": path}``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    top = result.summary["band"]["top_m"]
    ob = result.obstacles
    if len(ob):
        ob = ob[(ob["top_m"] >= top) | (ob["kind"] != "building")]
    layers = {
        "nofly": result.nofly,
        "obstacles": ob,
        "hubs": result.hubs,
        "corridors": result.corridors,
        "trunk": result.trunk,
        "corridor_area": result.corridor_area,
    }
    gpkg = write_gpkg(layers, out / "airspace.gpkg", crs=result.crs)
    tif = write_geotiff(out / "ground_risk.tif", result.igrc, result.transform, result.crs)
    return {"gpkg": gpkg, "ground_risk": tif}
