"""Hub siting: configured or automatic hubs (hospitals, heliports, logistics) on free cells."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from pyproj import CRS, Transformer
from scipy import ndimage
from scipy.spatial import cKDTree
from shapely.geometry import Point

from planner._raster import Grid
from planner.config.drones import (
    AUTO_HUB_AREA_KM2,
    AUTO_HUB_SPACING_CAP_M,
    AUTO_HUBS_MIN,
    LOGISTICS_LANDUSE,
    DroneConfig,
)
from planner.drones.airspace import Airspace, zone_margin
from planner.drones.lattice import cell_centres, xy_to_cell
from planner.drones.risk import GroundRisk
from planner.errors import AnalysisError

if TYPE_CHECKING:
    from planner.city import City

__all__ = [
    "HubSet",
    "auto_hub_count",
    "auto_hub_spacing",
    "placed_hubs",
    "resolve_hubs",
    "site_hubs",
    "surrounding_density",
]

#: Columns of a candidate site frame (before placement).
_SITE_COLUMNS = ["source", "name", "priority", "tag", "footprint_m2", "geometry"]

#: How a selected automatic hub's source reads in its ``reason``.
_SOURCE_TEXT = {
    "heliport": "heliport/helipad",
    "logistics": "logistics/industrial site",
    "commercial": "fallback site (fewer than 2 hubs of the issue 5 types)",
}


@dataclass
class HubSet:
    """The hubs of a run: all of them, the feasible ones, and why others are not used."""

    hubs: gpd.GeoDataFrame  #: from :func:`resolve_hubs`
    routable: gpd.GeoDataFrame  #: the feasible hubs, index reset
    messages: list[str]  #: one line per infeasible configured hub


@dataclass
class _FreeCells:
    """Distance (cells) to and flat index of the nearest free cell, for every cell."""

    dist: np.ndarray
    nearest: np.ndarray
    grid: Grid


def site_hubs(city: City, cfg: DroneConfig, space: Airspace, people: GroundRisk) -> HubSet:
    """Place the hubs of a run and check there are at least two.

    Parameters
    ----------
    city : City
        The loaded city.
    cfg : DroneConfig
        The drones configuration.
    space : Airspace
        No-fly zones and the blocked-cell mask.
    people : GroundRisk
        The density grid automatic hubs are ranked by.

    Returns
    -------
    HubSet
        All hubs, the feasible ones and the messages of infeasible configured hubs.

    Raises
    ------
    AnalysisError
        When fewer than 2 hubs are found.
    """
    hubs = resolve_hubs(
        city, cfg, space.nofly, space.blocked, people.grid.transform, people.density
    )
    messages = [m for m in hubs["message"] if m]
    routable = hubs[hubs["feasible"]].reset_index(drop=True)
    if len(hubs) < 2:
        raise AnalysisError(_too_few_hubs(cfg, hubs))
    return HubSet(hubs=hubs, routable=routable, messages=messages)


def _too_few_hubs(cfg: DroneConfig, hubs: gpd.GeoDataFrame) -> str:
    """Return the one-line reason of a run with fewer than 2 hubs: what was configured or found."""
    if cfg.hubs:
        names = ", ".join(repr(h.name[:40]) for h in cfg.hubs[:3])
        return (
            f"drones.hubs: fewer than 2 hubs ({len(cfg.hubs)} configured: {names}); "
            "list at least 2 hubs in the drones config"
        )
    kinds = "hospitals, heliports, logistics sites"
    if cfg.auto_hub_fallback_types:
        kinds += f" and {'/'.join(cfg.auto_hub_fallback_types)} buildings"
    return (
        f"drones.hubs: fewer than 2 hubs (none configured; {len(hubs)} found among {kinds}); "
        "list hubs in the drones config"
    )


def resolve_hubs(
    city: City,
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
    :func:`auto_hub_count` are kept, at least the spacing (:func:`auto_hub_spacing`) apart:
    hospitals first, then heliports, then logistics sites; within each group the lowest
    surrounding density (mean people/km² within ``auto_hub_density_radius_m`` of the placed
    hub, from ``density``) first, ties by larger footprint.

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
    free = _nearest_free(blocked, Grid(transform, blocked.shape))
    if cfg.hubs:
        hubs = _place_hubs(city, cfg, _configured_sites(cfg, city.crs), nofly, free, density)
        hubs["reason"] = "configured"
        return hubs.drop(columns="priority").reset_index(drop=True)
    res = free.grid.resolution
    cand = _candidates(city, cfg)
    hubs = _select_auto(city, cfg, _place_hubs(city, cfg, cand, nofly, free, density), res)
    if len(hubs) < 2 and cfg.auto_hub_fallback_types:
        # too few sites of the hub types: add commercial/retail/office buildings
        cand = pd.concat([cand, _candidates(city, cfg, fallback=True)], ignore_index=True)
        hubs = _select_auto(city, cfg, _place_hubs(city, cfg, cand, nofly, free, density), res)
    return hubs


def auto_hub_count(city: City, cfg: DroneConfig) -> int:
    """Return how many automatic hubs are kept at most.

    ``max_auto_hubs`` when set, else ``max(AUTO_HUBS_MIN, ⌈A / AUTO_HUB_AREA_KM2⌉)`` with A
    the area of ``city.boundary`` in km².
    """
    if cfg.max_auto_hubs is not None:
        return int(cfg.max_auto_hubs)
    return max(AUTO_HUBS_MIN, math.ceil(float(city.boundary.area) / 1e6 / AUTO_HUB_AREA_KM2))


def auto_hub_spacing(city: City, cfg: DroneConfig) -> float:
    """Return the minimum spacing (m) between automatic hubs.

    ``auto_hub_spacing_m`` when set, else ``min(AUTO_HUB_SPACING_CAP_M, ½ √(A / n))`` with
    A the area of ``city.boundary`` and n = :func:`auto_hub_count`.
    """
    if cfg.auto_hub_spacing_m is not None:
        return float(cfg.auto_hub_spacing_m)
    area = float(city.boundary.area)
    return min(AUTO_HUB_SPACING_CAP_M, 0.5 * (area / auto_hub_count(city, cfg)) ** 0.5)


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


def placed_hubs(hubs: gpd.GeoDataFrame, routable: gpd.GeoDataFrame, crs: CRS) -> gpd.GeoDataFrame:
    """Return the hubs as reported: routed ones where the router placed them.

    Parameters
    ----------
    hubs : geopandas.GeoDataFrame
        Every hub (:func:`resolve_hubs` columns).
    routable : geopandas.GeoDataFrame
        The routed hubs with their final ``snapped_m`` and position (streets mode moves
        them onto a street node).
    crs : pyproj.CRS
        The city CRS.

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`~planner.drones.result.HUB_COLUMNS` and the geometry.
    """
    out = hubs.merge(routable[["name", "snapped_m"]], on="name", how="left", suffixes=("_cell", ""))
    out["snapped_m"] = out["snapped_m"].fillna(out["snapped_m_cell"])
    out = out.drop(columns=["snapped_m_cell", "cell"])
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=crs)
    if len(routable):
        placed = dict(zip(routable["name"], routable.geometry, strict=True))
        out["geometry"] = [placed.get(n, g) for n, g in zip(out["name"], out.geometry, strict=True)]
    return out


# --------------------------------------------------------------------------- candidates


def _configured_sites(cfg: DroneConfig, crs: CRS) -> gpd.GeoDataFrame:
    """Return the configured hubs as candidate sites (lon/lat projected to the city CRS)."""
    tr = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    xs, ys = tr.transform([h.lon for h in cfg.hubs], [h.lat for h in cfg.hubs])
    return gpd.GeoDataFrame(
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
        crs=crs,
    )


def _candidates(city: City, cfg: DroneConfig, fallback: bool = False) -> gpd.GeoDataFrame:
    """Automatic hub candidates: hospitals, heliports/helipads, logistics/industrial sites.

    With ``fallback``, only the buildings of ``auto_hub_fallback_types`` (source
    ``commercial``, ranked after all others).
    """
    min_m2 = cfg.auto_hub_min_footprint_m2
    if fallback:
        rows = _building_sites(city.buildings, cfg.auto_hub_fallback_types, min_m2, "commercial", 3)
    else:
        rows = [
            *_hospital_sites(city.key_places),
            *_heliport_sites(city.airspace),
            *_building_sites(city.buildings, cfg.auto_hub_building_types, min_m2, "logistics", 2),
            *_landuse_sites(city.landuse, min_m2),
        ]
    return _site_frame(rows, city.crs)


def _hospital_sites(key_places: gpd.GeoDataFrame) -> list[tuple]:
    if not len(key_places):
        return []
    sel = key_places[key_places["kind"] == "hospital"]
    return [
        ("hospital", name or f"hospital {i + 1}", 0, "amenity=hospital", g.area, g)
        for i, (name, g) in enumerate(zip(sel["name"].fillna(""), sel.geometry, strict=True))
    ]


def _heliport_sites(airspace: gpd.GeoDataFrame) -> list[tuple]:
    if not len(airspace):
        return []
    sel = airspace[airspace["kind"].isin(["heliport", "helipad"])]
    return [
        ("heliport", name or f"{k} {i + 1}", 1, f"aeroway={k}", g.area, g)
        for i, (k, name, g) in enumerate(
            zip(sel["kind"], sel["name"].fillna(""), sel.geometry, strict=True)
        )
    ]


def _building_sites(
    b: gpd.GeoDataFrame, types: list[str], min_m2: float, source: str, priority: int
) -> list[tuple]:
    if not len(b):
        return []
    sel = b[b["building"].isin(types) & (b["footprint_m2"].fillna(0) >= min_m2)]
    return [
        (source, name or f"{kind} site {i + 1}", priority, f"building={kind}", area, g)
        for i, (kind, name, area, g) in enumerate(
            zip(
                sel["building"],
                sel["name"].fillna(""),
                sel["footprint_m2"],
                sel.geometry,
                strict=True,
            )
        )
    ]


def _landuse_sites(landuse: gpd.GeoDataFrame, min_m2: float) -> list[tuple]:
    if not len(landuse):
        return []
    sel = landuse[landuse["kind"].isin(LOGISTICS_LANDUSE)]
    sel = sel[sel.geometry.area >= min_m2]
    names = sel["name"].fillna("") if "name" in sel else [""] * len(sel)
    return [
        ("logistics", name or f"{kind} area {i + 1}", 2, f"landuse={kind}", g.area, g)
        for i, (kind, name, g) in enumerate(zip(sel["kind"], names, sel.geometry, strict=True))
    ]


def _site_frame(rows: list[tuple], crs: CRS) -> gpd.GeoDataFrame:
    """Candidate sites at a point on their surface, with their own zone kind and inset.

    The site's own no-fly kind (a hospital's or heliport's buffer), and how far its
    representative point lies inside the site: together they bound how far the hub may
    move to leave its own zone.
    """
    out = gpd.GeoDataFrame(rows, columns=_SITE_COLUMNS, geometry="geometry", crs=crs)
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


# --------------------------------------------------------------------------- placement


def _nearest_free(blocked: np.ndarray, grid: Grid) -> _FreeCells:
    """For every cell, distance (cells) to and flat index of the nearest free cell."""
    if blocked.all():
        raise AnalysisError("the whole area is blocked by no-fly zones or obstacles")
    dist, (ri, ci) = ndimage.distance_transform_edt(blocked, return_indices=True)
    return _FreeCells(dist, ri * blocked.shape[1] + ci, grid)


def _snap_limits(
    cfg: DroneConfig, cand: gpd.GeoDataFrame, nofly: gpd.GeoDataFrame, res: float
) -> np.ndarray:
    """How far (m) each candidate may move to a free cell.

    An automatic hub may leave its own zone only (hospital, heliport buffer), never be
    carried out of another one: it would no longer be at its site.
    """
    if cfg.hubs:
        return np.full(len(cand), zone_margin(cfg) + 2 * res)
    own_buffer = {}
    if len(nofly):
        own_buffer = nofly.groupby("kind")["buffer_m"].max().to_dict()
    own = np.array([own_buffer.get(k, 0.0) for k in cand["own_kind"]], dtype=float)
    return np.minimum(
        cfg.auto_hub_snap_m,
        cand["inset_m"].to_numpy(float) + own + zone_margin(cfg) + 2 * res,
    )


def _in_foreign_zone(cand: gpd.GeoDataFrame, nofly: gpd.GeoDataFrame) -> np.ndarray:
    """Candidates inside another kind's no-fly zone (a depot at a heliport)."""
    out = np.zeros(len(cand), dtype=bool)
    if len(nofly) and len(cand):
        i_c, i_z = nofly.sindex.query(cand.geometry.to_numpy(), predicate="intersects")
        foreign = nofly["kind"].to_numpy()[i_z] != cand["own_kind"].to_numpy()[i_c]
        out[np.unique(i_c[foreign])] = True
    return out


def _road_access(
    graph: nx.MultiDiGraph, cells: np.ndarray, grid: Grid, access_m: float
) -> np.ndarray:
    """Cells within ``access_m`` of a street node (all when the graph has no nodes)."""
    if not graph.number_of_nodes():
        return np.ones(len(cells), dtype=bool)
    xy_nodes = np.array([(d["x"], d["y"]) for _, d in graph.nodes(data=True)], dtype=float)
    hub_xy = cell_centres(np.clip(cells, 0, None), grid.transform, grid.shape[1])
    d_street, _ = cKDTree(xy_nodes).query(hub_xy)
    return d_street <= access_m


def _zone_names(nofly: gpd.GeoDataFrame, pt: Point) -> list[str]:
    if not len(nofly):
        return []
    hit = nofly.sindex.query(pt, predicate="intersects")
    return list(nofly["reason"].iloc[hit])


def _configured_messages(
    cand: gpd.GeoDataFrame,
    nofly: gpd.GeoDataFrame,
    cell0: np.ndarray,
    snapped: np.ndarray,
    feasible: np.ndarray,
) -> list[str]:
    """Why each configured hub is infeasible ("" if it is not); updates ``feasible``."""
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
    return messages


def _place_hubs(
    city: City,
    cfg: DroneConfig,
    cand: gpd.GeoDataFrame,
    nofly: gpd.GeoDataFrame,
    free: _FreeCells,
    density: np.ndarray | None,
) -> gpd.GeoDataFrame:
    """Hub cell, feasibility, message and surrounding density of every candidate."""
    transform, shape = free.grid
    res = free.grid.resolution
    cell0 = xy_to_cell(cand.geometry.x.to_numpy(), cand.geometry.y.to_numpy(), transform, shape)
    snapped = np.where(cell0 >= 0, free.dist.ravel()[np.clip(cell0, 0, None)] * res, 0.0)
    cells = np.where(cell0 >= 0, free.nearest.ravel()[np.clip(cell0, 0, None)], -1)
    feasible = (cell0 >= 0) & (snapped <= _snap_limits(cfg, cand, nofly, res))
    if not cfg.hubs:
        feasible &= ~_in_foreign_zone(cand, nofly)
        if feasible.any():
            # ground access: parcels and patients reach the hub by road
            feasible &= _road_access(city.graph, cells, free.grid, cfg.auto_hub_access_m)
    messages = _configured_messages(cand, nofly, cell0, snapped, feasible)
    cells = np.where(feasible, cells, -1)
    if density is not None:
        surround = surrounding_density(density, transform, cells, cfg.auto_hub_density_radius_m)
    else:
        surround = np.full(len(cand), np.nan)
    pts = cell_centres(np.clip(cells, 0, None), transform, shape[1])
    geoms = [Point(*pts[i]) if feasible[i] else cand.geometry.iloc[i] for i in range(len(cand))]
    return gpd.GeoDataFrame(
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


# --------------------------------------------------------------------------- selection


def _spaced(xy: np.ndarray, spacing: float, most: int) -> list[int]:
    """Greedily keep points in order, each at least ``spacing`` from all kept, up to ``most``."""
    keep: list[int] = []
    for i in range(len(xy)):
        if len(keep) >= most:
            break
        if not keep or np.min(np.hypot(*(xy[keep] - xy[i]).T)) >= spacing:
            keep.append(i)
    return keep


def _auto_reason(h: pd.Series, rank: int, n_src: int, radius: float, res: float) -> str:
    """Why an automatic hub was chosen, for the summary and the map."""
    dens = (
        f"{h.surround_ppl_km2:,.0f} ppl/km² within {radius:g} m"
        if np.isfinite(h.surround_ppl_km2)
        else "surroundings not rated"
    )
    moved = f", moved {h.snapped_m:,.0f} m out of no-fly zones" if h.snapped_m > res else ""
    if h.source == "hospital":
        return f"hospital (issue 5 hub type, kept whatever its surroundings): {dens}" + moved
    why = (
        f"{_SOURCE_TEXT[h.source]} {h.tag}, {h.footprint_m2:,.0f} m²: rank {rank} of "
        f"{n_src} feasible {h.source} candidates by lowest surroundings, {dens}"
    )
    return why + moved


def _select_auto(
    city: City, cfg: DroneConfig, hubs: gpd.GeoDataFrame, res: float
) -> gpd.GeoDataFrame:
    """Keep up to :func:`auto_hub_count` feasible candidates by priority, surroundings, spacing.

    ``res`` is the cell size: a hub moved further than that says so in its reason.
    """
    if not len(hubs):
        return hubs.drop(columns="priority")
    hubs = hubs[hubs["feasible"]]
    # priority (hospitals, heliports, logistics), then lowest surroundings, larger site
    order = np.lexsort(
        (
            -hubs["footprint_m2"].fillna(0).to_numpy(),
            hubs["surround_ppl_km2"].fillna(0).to_numpy(),
            hubs["priority"].to_numpy(),
        )
    )
    hubs = hubs.iloc[order].drop_duplicates("cell")
    rank = hubs.groupby("source").cumcount().to_numpy() + 1
    n_src = hubs["source"].map(hubs["source"].value_counts()).to_numpy()
    xy = np.column_stack([hubs.geometry.x, hubs.geometry.y])
    keep = _spaced(xy, auto_hub_spacing(city, cfg), auto_hub_count(city, cfg))
    radius = cfg.auto_hub_density_radius_m
    reasons = [_auto_reason(hubs.iloc[i], int(rank[i]), int(n_src[i]), radius, res) for i in keep]
    hubs = hubs.iloc[keep].drop(columns="priority")
    hubs["reason"] = reasons
    hubs = hubs.reset_index(drop=True)
    return _unique_names(hubs)


def _unique_names(hubs: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Suffix repeated hub names with ``#<row>``.

    A new column rather than an in-place update: the name array may be a read-only view.
    """
    dup = hubs["name"].duplicated(keep=False).to_numpy()
    if dup.any():
        names = hubs["name"].to_numpy(dtype=object).copy()
        names[dup] = [f"{n} #{i}" for n, i in zip(names[dup], hubs.index[dup], strict=True)]
        hubs["name"] = names
    return hubs
