"""Map assembly: the combined and focused maps of a city and its analyses, and write_maps."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import folium
import geopandas as gpd

from planner._i18n import tr
from planner._progress import steps
from planner.render._builder import MAX_FEATURES, LayerBuilder
from planner.render._scaffold import base_map
from planner.render.joint import add_joint_layers
from planner.render.layers import (
    add_assets,
    add_cabinets,
    add_city_layers,
    add_corridors,
    add_drops,
    add_gap_clusters,
    add_hexes,
    add_hubs,
    add_nofly,
    add_obstacles,
    add_premises,
    add_risk_overlay,
    add_routes,
    add_trunk,
)
from planner.render.offline import save_self_contained
from planner.render.radio import add_radio_layers, corridors_with_radio

if TYPE_CHECKING:
    from planner.city import City
    from planner.drones import CorridorResult
    from planner.fiber import FiberCoverage
    from planner.joint import JointPlan
    from planner.plan import FiberPlan
    from planner.radio import RadioCoverage

__all__ = [
    "airspace_map",
    "city_map",
    "city_map_info",
    "combined_map",
    "fiber_gaps_map",
    "fiber_plan_map",
    "new_builder",
    "radio_map",
    "write_maps",
]

log = logging.getLogger(__name__)

#: A built map and its info dict (``layers``, ``aggregated``, ``features``).
MapInfo = tuple[folium.Map, dict]


def new_builder(city: City, title: str, max_features: int = MAX_FEATURES) -> LayerBuilder:
    """Return a layer builder on a base map fitted to the city's boundary.

    Parameters
    ----------
    city : City
        The loaded city.
    title : str
        Map title.
    max_features : int
        Per-layer feature budget before grid aggregation.

    Returns
    -------
    LayerBuilder
    """
    outline = gpd.GeoDataFrame(geometry=[city.boundary], crs=city.crs).to_crs(4326)
    return LayerBuilder(base_map(outline, title, source=city.source), max_features)


# --------------------------------------------------------------------------- per analysis
def _plan_layers(b: LayerBuilder, plan: FiberPlan, show: bool) -> None:
    add_routes(b, plan.routes, show=show)
    add_cabinets(b, plan.cabinets, show=show)
    add_drops(b, plan.drops)


def _corridor_layers(
    b: LayerBuilder,
    drones: CorridorResult,
    risk_shown: bool,
    radio: RadioCoverage | None = None,
) -> None:
    add_risk_overlay(b, drones.igrc, drones.transform, drones.crs, show=risk_shown)
    corridors, fields = corridors_with_radio(drones, radio)
    add_corridors(b, corridors, fields=fields)
    add_trunk(b, drones.trunk)
    add_hubs(b, drones.hubs)


# --------------------------------------------------------------------------- whole maps
def city_map(city: City) -> folium.Map:
    """Return a folium map of the city's data layers (one toggleable layer each)."""
    return city_map_info(city)[0]


def city_map_info(city: City, max_features: int = MAX_FEATURES) -> MapInfo:
    """Return the city data-layer map and its info (layers, aggregated layers)."""
    b = new_builder(city, tr("planner: {city}").format(city=city.name), max_features)
    add_city_layers(b, city)
    return b.finish()


def combined_map(
    city: City,
    fiber: FiberCoverage | None = None,
    plan: FiberPlan | None = None,
    drones: CorridorResult | None = None,
    max_features: int = MAX_FEATURES,
    radio: RadioCoverage | None = None,
    joint: JointPlan | None = None,
) -> MapInfo:
    """Return the combined city map with every analysis given, and its info dict.

    Parameters
    ----------
    city : City
        The loaded city.
    fiber : FiberCoverage, optional
        Coverage hexes, premises by class, gap clusters, fibre assets.
    plan : FiberPlan, optional
        Planned routes by phase, cabinets, drops.
    drones : CorridorResult, optional
        No-fly zones, the ground-risk grid, corridors, trunk and hubs.
    max_features : int
        Per-layer feature budget before grid aggregation.
    radio : RadioCoverage, optional
        Mobile coverage per height (hidden at first) and the sites; its per-corridor
        share replaces the circle model's in the corridor popups.
    joint : JointPlan, optional
        The joint plan: corridors by coverage before and after, new sites, backhaul.

    Returns
    -------
    (folium.Map, dict)
        The dict lists ``layers`` (display names), ``aggregated`` ({layer: how}) and
        ``features`` ({layer: count}).
    """
    b = new_builder(city, tr("planner: {city}").format(city=city.name), max_features)
    add_city_layers(b, city, ["buildings", "telecom", "key_places"])
    if fiber is not None:
        add_hexes(b, fiber.hexes)
        add_premises(b, fiber.premises)
        add_gap_clusters(b, fiber.gap_clusters, show=False)
        add_assets(b, fiber.assets)
    if plan is not None:
        _plan_layers(b, plan, show=False)
    if drones is not None:
        add_nofly(b, drones.nofly, show=False)
        _corridor_layers(b, drones, risk_shown=False, radio=radio)
    if radio is not None:
        add_radio_layers(b, radio, show_level=None, corridors_shown=False)
    if joint is not None:
        add_joint_layers(b, joint)
    return b.finish()


def fiber_gaps_map(city: City, fiber: FiberCoverage, max_features: int = MAX_FEATURES) -> MapInfo:
    """Focused map: coverage hexes, premises by class, gap clusters and assets."""
    b = new_builder(city, tr("planner: {city} - fibre gaps").format(city=city.name), max_features)
    add_hexes(b, fiber.hexes)
    add_premises(b, fiber.premises, show=True)
    add_gap_clusters(b, fiber.gap_clusters)
    add_assets(b, fiber.assets)
    return b.finish()


def fiber_plan_map(
    city: City,
    plan: FiberPlan,
    fiber: FiberCoverage | None = None,
    max_features: int = MAX_FEATURES,
) -> MapInfo:
    """Focused map: planned routes by phase, cabinets, drops, assets and gap clusters."""
    b = new_builder(city, tr("planner: {city} - fibre plan").format(city=city.name), max_features)
    _plan_layers(b, plan, show=True)
    if fiber is not None:
        add_assets(b, fiber.assets)
        add_gap_clusters(b, fiber.gap_clusters, show=False)
    return b.finish()


def airspace_map(
    city: City,
    drones: CorridorResult,
    max_features: int = MAX_FEATURES,
    radio: RadioCoverage | None = None,
) -> MapInfo:
    """Focused map: no-fly zones by kind, obstacles, ground risk, corridors and hubs.

    With ``radio`` the corridor popups show its ``radio_coverage_share`` in place of the
    circle model's ``mobile_coverage_share``.
    """
    title = tr("planner: {city} - airspace & corridors").format(city=city.name)
    b = new_builder(city, title, max_features)
    add_nofly(b, drones.nofly)
    add_obstacles(b, drones.obstacles)
    _corridor_layers(b, drones, risk_shown=True, radio=radio)
    return b.finish()


def radio_map(
    city: City,
    radio: RadioCoverage,
    drones: CorridorResult | None = None,
    max_features: int = MAX_FEATURES,
) -> MapInfo:
    """Focused map: mobile coverage per height, sites with their parameters, corridor coverage."""
    b = new_builder(
        city, tr("planner: {city} - mobile coverage").format(city=city.name), max_features
    )
    if drones is not None:
        add_hubs(b, drones.hubs, show=False)
    add_radio_layers(b, radio)
    return b.finish()


def _map_jobs(
    city: City,
    fiber: FiberCoverage | None,
    plan: FiberPlan | None,
    drones: CorridorResult | None,
    max_features: int,
    radio: RadioCoverage | None = None,
    joint: JointPlan | None = None,
) -> list[tuple[str, Callable[[], MapInfo]]]:
    """Return the maps to write for the analyses given: ``(file name, builder)``, combined first."""
    jobs = [
        ("map.html", lambda: combined_map(city, fiber, plan, drones, max_features, radio, joint))
    ]
    if fiber is not None:
        jobs.append(("map_fiber_gaps.html", lambda: fiber_gaps_map(city, fiber, max_features)))
    if plan is not None:
        jobs.append(
            ("map_fiber_plan.html", lambda: fiber_plan_map(city, plan, fiber, max_features))
        )
    if drones is not None:
        jobs.append(("map_airspace.html", lambda: airspace_map(city, drones, max_features, radio)))
    if radio is not None:
        jobs.append(("map_radio.html", lambda: radio_map(city, radio, drones, max_features)))
    return jobs


def write_maps(
    out_dir: str | Path,
    city: City,
    fiber: FiberCoverage | None = None,
    plan: FiberPlan | None = None,
    drones: CorridorResult | None = None,
    max_features: int = MAX_FEATURES,
    radio: RadioCoverage | None = None,
    joint: JointPlan | None = None,
    progress: bool = False,
) -> list[Path]:
    """Write the combined map and the focused maps as self-contained HTML files.

    Files: ``map.html`` (combined), ``map_fiber_gaps.html`` (with ``fiber``),
    ``map_fiber_plan.html`` (with ``plan``), ``map_airspace.html`` (with ``drones``),
    ``map_radio.html`` (with ``radio``) and
    ``maps.json`` (per map: size in MB, layers, aggregated layers). Every asset is inlined
    by :func:`planner.render.offline.save_self_contained`.

    Parameters
    ----------
    out_dir : path-like
        Existing output folder.
    city : City
        The loaded city.
    fiber : FiberCoverage, optional
        Result of :func:`planner.fiber.analyze_fiber`.
    plan : FiberPlan, optional
        Result of :func:`planner.plan.plan_fiber`.
    drones : CorridorResult, optional
        Result of :func:`planner.drones.plan_corridors`.
    max_features : int
        Per-layer feature budget before grid aggregation.
    radio : RadioCoverage, optional
        Result of :func:`planner.radio.analyze_radio`.
    joint : JointPlan, optional
        Result of :func:`planner.joint.plan_joint` (layers in the combined map).
    progress : bool
        Show a progress bar over the map files.

    Returns
    -------
    list of Path
        The written files, ``maps.json`` last.
    """
    out_dir = Path(out_dir)
    written: list[Path] = []
    meta: dict[str, dict] = {}
    jobs = _map_jobs(city, fiber, plan, drones, max_features, radio, joint)
    with steps([fname for fname, _ in jobs], progress, "maps") as bar:
        for fname, build in jobs:
            m, info = build()
            path = save_self_contained(m, out_dir / fname)
            info["size_mb"] = round(path.stat().st_size / 1e6, 3)
            meta[fname] = info
            written.append(path)
            log.info("%s: %.2f MB, %d layers", fname, info["size_mb"], len(info["layers"]))
            for layer, how in info["aggregated"].items():
                log.info("%s: %s: %s", fname, layer, how)
            bar.advance()
    meta_path = out_dir / "maps.json"
    meta_path.write_text(json.dumps(meta, indent=1, ensure_ascii=False), encoding="utf-8")
    written.append(meta_path)
    return written
