"""Map layers: one ``add_*`` function per layer, reading the columns declared in MAP_FIELDS."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.colormap import LinearColormap

from planner._i18n import mark, tr
from planner.config import sora
from planner.drones import (
    CORRIDOR_COLUMNS,
    HUB_COLUMNS,
    NOFLY_COLUMNS,
    OBSTACLE_COLUMNS,
    TRUNK_COLUMNS,
)
from planner.fiber import ASSET_LAYER_COLUMNS, GAP_CLUSTER_COLUMNS, HEX_COLUMNS, PREMISE_COLUMNS
from planner.plan import CABINET_COLUMNS, DROP_COLUMNS, ROUTE_COLUMNS
from planner.radio import CORRIDOR_COLUMNS as RADIO_CORRIDOR_COLUMNS
from planner.radio import SECTOR_FRAME_COLUMNS, SITE_COLUMNS
from planner.render._builder import LayerBuilder, layer_name
from planner.render._overlay import MAX_RASTER_PX, RISK_CMAP, raster_png
from planner.render._scaffold import legend_ramp

if TYPE_CHECKING:
    from affine import Affine
    from pyproj import CRS

    from planner.city import City

__all__ = [
    "CABINET_POPUP",
    "CATEGORY_WORDS",
    "CITY_LAYER_TITLES",
    "CLASS_COLORS",
    "LAYER_STYLE",
    "LAYER_STYLES",
    "LayerStyle",
    "MAP_FIELDS",
    "PALETTE",
    "PRODUCER_COLUMNS",
    "add_assets",
    "add_cabinets",
    "add_city_layers",
    "add_corridors",
    "add_drops",
    "add_gap_clusters",
    "add_hexes",
    "add_hubs",
    "add_nofly",
    "add_obstacles",
    "add_premises",
    "add_risk_overlay",
    "add_routes",
    "add_styled",
    "add_trunk",
    "produced_fields",
]

#: Style per city layer: colour and the columns shown in tooltips. These are OSM tag
#: columns, present only when some feature carries the tag, so missing ones are skipped.
LAYER_STYLE: dict[str, tuple[str, list[str]]] = {
    "streets": ("#555555", ["highway", "name", "length"]),
    "buildings": ("#d98c3f", ["building", "name", "height_m", "height_source", "premises"]),
    "telecom": ("#7b2cbf", ["kind", "name", "operator", "height_m"]),
    "airspace": ("#d62828", ["kind", "name", "height_m"]),
    "landuse": ("#2a9d8f", ["kind", "name"]),
    "key_places": ("#0077b6", ["kind", "name"]),
}

#: Display names of the city layers (English source strings, marked for the catalog).
CITY_LAYER_TITLES = {
    "streets": mark("streets"),
    "buildings": mark("buildings"),
    "telecom": mark("telecom"),
    "airspace": mark("airspace"),
    "landuse": mark("landuse"),
    "key_places": mark("key_places"),
}

#: Names of the fibre classes and no-fly kinds that layer names and legends show (planner's
#: own vocabulary, not OSM values; marked so the catalog translates them).
CATEGORY_WORDS = (
    mark("passed"),
    mark("near"),
    mark("unserved"),
    mark("unreachable"),
    mark("aerodrome"),
    mark("runway"),
    mark("heliport"),
    mark("helipad"),
    mark("military"),
    mark("prison"),
    mark("government"),
    mark("power_line"),
    mark("power_tower"),
    mark("mast"),
    mark("tower"),
    mark("chimney"),
    mark("hospital"),
    mark("school"),
    mark("university"),
    mark("railway_station"),
    mark("water"),
    mark("park"),
    mark("forest"),
    mark("railway"),
    mark("major_road"),
)

#: Colours of the fibre premise classes (passed / near / unserved / unreachable).
CLASS_COLORS = {
    "passed": "#1a9641",
    "near": "#fdae61",
    "unserved": "#d7191c",
    "unreachable": "#7f7f7f",
}

#: Qualitative palette (ColorBrewer Set1/Dark2) for no-fly kinds and plan phases.
PALETTE = [
    "#e41a1c",
    "#377eb8",
    "#984ea3",
    "#ff7f00",
    "#a65628",
    "#f781bf",
    "#1b9e77",
    "#666666",
    "#e6ab02",
    "#4daf4a",
]


def produced_fields(wanted: list[str], columns: list[str]) -> list[str]:
    """Return the columns of ``wanted`` that the producer's column list declares, in order.

    Parameters
    ----------
    wanted : list of str
        Columns a popup would show.
    columns : list of str
        The producer's column constant.

    Returns
    -------
    list of str
    """
    return [c for c in wanted if c in columns]


#: Cabinet popup columns wanted; shown as far as :data:`planner.plan.CABINET_COLUMNS` has them.
CABINET_POPUP = ["cabinet", "name", "premises", "phase", "cost"]


#: Columns each analysis layer reads from the frame its stage produces (popups, colours,
#: sums). ``tests/test_drift.py`` checks each against the producer's frame and constant.
MAP_FIELDS: dict[str, list[str]] = {
    "premises": ["osm_id", "building", "premises", "fiber_class", "distance_m", "fallback"],
    "hexes": ["h3", "resolution", "premises", "passed", "near", "unserved", "unreachable"]
    + ["coverage_pct"],
    "gap_clusters": ["cluster", "rank_premises", "premises", "buildings", "street_length_m"]
    + ["distance_to_fibre_m", "reach_length_m", "m_per_premise"],
    "assets": ["kind", "name", "operator", "source", "on_network"],
    "routes": ["phase", "length_m", "cost", "kind"],
    # the plan may add premises/cost/name per cabinet: shown once CABINET_COLUMNS lists them
    "cabinets": produced_fields(CABINET_POPUP, CABINET_COLUMNS),
    "drops": ["drop_m", "premises", "phase"],
    "nofly": ["reason", "kind", "name", "buffer_m", "ceiling_m", "source"],
    "obstacles": ["kind", "name", "height_m"],
    "corridors": ["from_hub", "to_hub", "length_m", "detour_factor", "detour_vs_shortest"]
    + ["ground_risk", "risk_reduction", "max_igrc", "min_clearance_m", "mobile_coverage_share"]
    + ["share_roads", "share_water", "share_parks"],
    "trunk": ["n_corridors", "length_m"],
    "hubs": ["name", "source", "feasible", "snapped_m", "surround_ppl_km2", "reason", "message"],
    "radio_sites": ["site_id", "source", "technology", "scenario", "height_m", "height_source"]
    + ["n_sectors"],
    # read per site into the sites' popup (planner.render.radio.site_table)
    "radio_sectors": ["site", "azimuth_deg", "mech_tilt_deg", "elec_tilt_deg", "frequency_ghz"]
    + ["tx_power_dbm", "defaults"],
    "radio_corridors": ["from_hub", "to_hub", "height_evaluated_m", "length_m", "covered_m"]
    + ["radio_coverage_share", "longest_uncovered_m"],
}

#: The producer's column constant of each MAP_FIELDS layer.
PRODUCER_COLUMNS: dict[str, list[str]] = {
    "premises": PREMISE_COLUMNS,
    "hexes": HEX_COLUMNS,
    "gap_clusters": GAP_CLUSTER_COLUMNS,
    "assets": ASSET_LAYER_COLUMNS,
    "routes": ROUTE_COLUMNS,
    "cabinets": CABINET_COLUMNS,
    "drops": DROP_COLUMNS,
    "nofly": NOFLY_COLUMNS,
    "obstacles": OBSTACLE_COLUMNS,
    "corridors": CORRIDOR_COLUMNS,
    "trunk": TRUNK_COLUMNS,
    "hubs": HUB_COLUMNS,
    "radio_sites": SITE_COLUMNS,
    "radio_sectors": SECTOR_FRAME_COLUMNS,
    "radio_corridors": RADIO_CORRIDOR_COLUMNS,
}


@dataclass(frozen=True)
class LayerStyle:
    """How a one-colour layer is drawn: title, colour, legend swatch, line/point sizes."""

    title: str
    color: str
    legend: str | None = None
    weight: float = 1.5
    radius: float = 4
    simplify_m: float = 0.5


#: The one-colour layers, by their MAP_FIELDS key.
LAYER_STYLES: dict[str, LayerStyle] = {
    "gap_clusters": LayerStyle(mark("Gap clusters"), "#b2182b", mark("gap cluster"), weight=4),
    "assets": LayerStyle(mark("Fibre assets"), "#2166ac", mark("existing fibre asset"), weight=3),
    "cabinets": LayerStyle(mark("Cabinets"), "#000000", mark("cabinet"), radius=6),
    "drops": LayerStyle(mark("Drops"), "#7570b3", weight=1),
    "trunk": LayerStyle(mark("Corridor trunk"), "#542788", weight=6, simplify_m=1.0),
    "hubs": LayerStyle(mark("Hubs"), "#000080", mark("drone hub"), radius=7),
}


def add_styled(b: LayerBuilder, key: str, gdf: gpd.GeoDataFrame, show: bool = True) -> None:
    """Add the one-colour layer ``key`` of :data:`LAYER_STYLES` (its MAP_FIELDS as popup).

    Parameters
    ----------
    b : LayerBuilder
        The map being built.
    key : str
        A key of :data:`LAYER_STYLES` and :data:`MAP_FIELDS`.
    gdf : GeoDataFrame
        The layer's frame.
    show : bool
        Shown at first.
    """
    s = LAYER_STYLES[key]
    b.geojson(
        gdf,
        tr(s.title),
        MAP_FIELDS[key],
        color=s.color,
        show=show,
        weight=s.weight,
        radius=s.radius,
        simplify_m=s.simplify_m,
        legend=tr(s.legend) if s.legend else None,
    )


# --------------------------------------------------------------------------- city
def add_city_layers(b: LayerBuilder, city: City, names: list[str] | None = None) -> None:
    """Add the city's OSM data layers (buildings aggregated when over budget).

    Parameters
    ----------
    b : LayerBuilder
        The map being built.
    city : City
        The loaded city.
    names : list of str, optional
        Layers of :data:`LAYER_STYLE` to add (default: all).
    """
    layers = city.layers(names or list(LAYER_STYLE))
    for name in names or list(LAYER_STYLE):
        color, fields = LAYER_STYLE[name]
        gdf = layers.get(name)
        if gdf is None or len(gdf) == 0:
            continue
        fields = [c for c in fields if c in gdf.columns]  # OSM tags: optional
        if name == "buildings":
            gdf, agg = b.budget(gdf, name, weight="premises")
            if agg:
                fields = ["features", "premises"]
        show = name not in ("landuse", "streets")
        b.geojson(gdf, tr(CITY_LAYER_TITLES.get(name, name)), fields, color=color, show=show)


# --------------------------------------------------------------------------- fibre
def _over_budget_hexes(b: LayerBuilder, hexes: dict[int, gpd.GeoDataFrame]) -> list[int]:
    """Resolutions (not the coarsest) over the feature budget; noted in ``b.info``."""
    over = [r for r in hexes if r != min(hexes) and len(hexes[r]) > b.max_features]
    for r in over:
        b.info["aggregated"][f"coverage hexes r{r}"] = (
            f"{len(hexes[r]):,} hexagons not drawn (over the {b.max_features} feature budget); "
            f"coarser resolution r{min(hexes)} shown, all in the GeoPackage"
        )
    return over


def add_hexes(
    b: LayerBuilder,
    hexes: dict[int, gpd.GeoDataFrame],
    show_resolution: int | None = None,
    caption: str | None = None,
) -> None:
    """Add coverage hexes as a choropleth (one layer per H3 resolution) with a legend.

    Parameters
    ----------
    b : LayerBuilder
        The map being built.
    hexes : dict of int to GeoDataFrame
        ``FiberCoverage.hexes``: per resolution, :data:`MAP_FIELDS` ``["hexes"]`` columns.
    show_resolution : int, optional
        Resolution shown at first (default: the finest drawn).
    caption : str, optional
        Caption of the colour ramp.
    """
    if not hexes:
        return
    cmap = LinearColormap(
        ["#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641"],
        vmin=0,
        vmax=100,
        caption=caption or tr("Fibre coverage of premises per hexagon (%)"),
    )
    over = _over_budget_hexes(b, hexes)
    hexes = {r: h for r, h in hexes.items() if r not in over}
    shown = show_resolution if show_resolution in hexes else max(hexes)
    for res in sorted(hexes):
        gdf = hexes[res]
        pct = pd.to_numeric(gdf["coverage_pct"], errors="coerce")
        colors = [("#bbbbbb" if pd.isna(v) else cmap(float(v))) for v in pct]
        b.geojson(
            gdf.assign(_fill=colors),
            tr("Coverage hexes r{res}").format(res=res),
            MAP_FIELDS["hexes"],
            color_col="_fill",
            show=res == shown,
            simplify_m=0,
            weight=0.6,
            fill_opacity=0.6,
        )
    b.gradient(cmap)


def add_premises(b: LayerBuilder, premises: gpd.GeoDataFrame, show: bool = False) -> None:
    """Add premises, one layer per fibre class; aggregated to a grid when large."""
    if len(premises) == 0:
        return
    col = "fiber_class"
    fields = MAP_FIELDS["premises"]
    frame, agg = b.budget(premises, "premises", weight="premises", by=col)
    if agg:
        fields = [col, "features", "premises"]
    for kls, color in CLASS_COLORS.items():
        b.geojson(
            frame[frame[col] == kls],
            tr("Premises: {kls}").format(kls=tr(kls)),
            fields,
            color=color,
            show=show,
            radius=3,
            legend=tr("premises {kls}").format(kls=tr(kls)),
        )


def add_gap_clusters(b: LayerBuilder, clusters: gpd.GeoDataFrame, show: bool = True) -> None:
    """Add ranked gap clusters (streets with unserved premises)."""
    add_styled(b, "gap_clusters", clusters, show)


def add_assets(b: LayerBuilder, assets: gpd.GeoDataFrame, show: bool = True) -> None:
    """Add existing fibre assets (points and routes)."""
    add_styled(b, "assets", assets, show)


# --------------------------------------------------------------------------- plan
def add_routes(b: LayerBuilder, routes: gpd.GeoDataFrame, show: bool = True) -> None:
    """Add planned routes, one layer per ``phase``; merged per grid cell when large."""
    if len(routes) == 0:
        return
    phases = sorted(routes["phase"].dropna().unique())
    fields = MAP_FIELDS["routes"]
    sums = ["length_m", "cost"]
    routes, merged = b.merge_lines(routes, "planned routes", sums, by="phase")
    if merged:
        fields = ["phase", "features", *sums]
    for i, ph in enumerate(phases):
        b.geojson(
            routes[routes["phase"] == ph],
            tr("Planned routes: phase {phase}").format(phase=ph),
            fields,
            color=PALETTE[i % len(PALETTE)],
            show=show,
            weight=4,
            legend=tr("planned routes: phase {phase}").format(phase=ph),
        )


def add_cabinets(b: LayerBuilder, cabinets: gpd.GeoDataFrame, show: bool = True) -> None:
    """Add street cabinets."""
    add_styled(b, "cabinets", cabinets, show)


def add_drops(b: LayerBuilder, drops: gpd.GeoDataFrame) -> None:
    """Add drop cables (hidden at first); over the feature budget they are left out."""
    if len(drops) > b.max_features:
        b.info["aggregated"]["drops"] = (
            f"{len(drops)} drop cables not drawn (over the {b.max_features} feature "
            "budget); see the GeoPackage"
        )
        return
    add_styled(b, "drops", drops, show=False)


# --------------------------------------------------------------------------- drones
def add_nofly(b: LayerBuilder, nofly: gpd.GeoDataFrame, show: bool = True) -> None:
    """Add no-fly zones, one layer per kind, each in its own colour."""
    if len(nofly) == 0:
        return
    kinds = nofly["kind"].astype(str)
    for i, kind in enumerate(sorted(kinds.unique())):
        b.geojson(
            nofly[kinds == kind],
            tr("No-fly: {kind}").format(kind=tr(kind)),
            MAP_FIELDS["nofly"],
            color=PALETTE[i % len(PALETTE)],
            show=show,
            simplify_m=1.0,
            fill_opacity=0.25,
            legend=tr("no-fly: {kind}").format(kind=tr(kind)),
        )


def add_obstacles(b: LayerBuilder, obstacles: gpd.GeoDataFrame, show: bool = False) -> None:
    """Add tall obstacles (aggregated when over budget)."""
    if len(obstacles) == 0:
        return
    frame, agg = b.budget(obstacles, "obstacles")
    fields = ["features"] if agg else MAP_FIELDS["obstacles"]
    b.geojson(frame, tr("Obstacles"), fields, color="#4d4d4d", show=show, simplify_m=1.0)


def add_risk_overlay(
    b: LayerBuilder, igrc: np.ndarray, transform: Affine, crs: CRS | str, show: bool = False
) -> None:
    """Add the ground-risk grid (intrinsic ground risk class) as an image overlay + legend.

    Parameters
    ----------
    b : LayerBuilder
        The map being built.
    igrc : ndarray
        ``CorridorResult.igrc``; SORA "out of scope" (-1) is drawn as the riskiest class
        (11), as the corridor metrics rank it, never as transparent no-data.
    transform : Affine
        Grid transform.
    crs : CRS or str
        Grid CRS.
    show : bool
        Shown at first.
    """
    uri, bounds, (lo, hi) = raster_png(sora.risk_rank(igrc), transform, crs, cmap=RISK_CMAP)
    name = tr("Ground risk (iGRC)")
    folium.raster_layers.ImageOverlay(
        uri, bounds=bounds, name=layer_name(name), opacity=0.8, show=show, interactive=False
    ).add_to(b.m)
    caption = tr("Ground risk class (SORA iGRC)")
    b.gradient(legend_ramp(RISK_CMAP, lo, hi if hi > lo else lo + 1, caption))
    b.info["layers"].append(name)
    b.info["aggregated"][name] = f"raster shown at <= {MAX_RASTER_PX} px (max resampling)"


def add_corridors(
    b: LayerBuilder,
    corridors: gpd.GeoDataFrame,
    show: bool = True,
    fields: list[str] | None = None,
) -> None:
    """Add corridors coloured by ground risk, with the risk ramp in the legend.

    ``fields`` are the popup columns (default ``MAP_FIELDS["corridors"]``).
    """
    if len(corridors) == 0:
        return
    risk = pd.to_numeric(corridors["ground_risk"], errors="coerce").fillna(0.0)
    hi = float(risk.max())
    cmap = LinearColormap(
        ["#1a9641", "#ffffbf", "#d7191c"],
        vmin=0,
        vmax=hi if hi > 0 else 1,
        caption=tr("Corridor ground risk (people under the corridor)"),
    )
    b.geojson(
        corridors.assign(_color=[cmap(float(v)) for v in risk]),
        tr("Drone corridors"),
        fields or MAP_FIELDS["corridors"],
        color_col="_color",
        show=show,
        weight=4,
        simplify_m=1.0,
    )
    b.gradient(cmap)


def add_trunk(b: LayerBuilder, trunk: gpd.GeoDataFrame) -> None:
    """Add the corridor trunk network (hidden at first)."""
    add_styled(b, "trunk", trunk, show=False)


def add_hubs(b: LayerBuilder, hubs: gpd.GeoDataFrame, show: bool = True) -> None:
    """Add the drone hubs."""
    add_styled(b, "hubs", hubs, show)
