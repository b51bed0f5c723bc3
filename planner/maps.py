"""Folium maps of a city's layers, with escaped OSM strings and OSM attribution."""

from __future__ import annotations

import html
from datetime import date

import folium
import geopandas as gpd
import pandas as pd

from .city import City

ATTRIBUTION = "© OpenStreetMap contributors (ODbL)"

#: Style per layer: colour and the columns shown in tooltips.
LAYER_STYLE: dict[str, tuple[str, list[str]]] = {
    "streets": ("#555555", ["highway", "name", "length"]),
    "buildings": ("#d98c3f", ["building", "name", "height_m", "height_source", "premises"]),
    "telecom": ("#7b2cbf", ["kind", "name", "operator", "height_m"]),
    "airspace": ("#d62828", ["kind", "name", "height_m"]),
    "landuse": ("#2a9d8f", ["kind", "name"]),
    "key_places": ("#0077b6", ["kind", "name"]),
}


def escape_frame(gdf: gpd.GeoDataFrame, fields: list[str]) -> gpd.GeoDataFrame:
    """Return ``gdf`` with only ``fields`` + geometry, every value HTML-escaped text.

    OSM tag values are untrusted: a name such as ``<img src=x onerror=alert(1)>`` must show
    as text in a tooltip and run nothing.
    """
    cols = [c for c in fields if c in gdf.columns]
    out = gdf[[*cols, gdf.geometry.name]].copy()
    for col in cols:
        out[col] = out[col].map(lambda v: "" if _missing(v) else html.escape(_fmt(v)))
    return out


def _missing(v) -> bool:
    try:
        return v is None or bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.1f}"
    return str(v)


def base_map(gdf_wgs84: gpd.GeoDataFrame, title: str) -> folium.Map:
    """Create a folium map fitted to a WGS84 frame, with OSM tiles, attribution and a title."""
    west, south, east, north = gdf_wgs84.total_bounds
    m = folium.Map(tiles=None, control_scale=True, prefer_canvas=True)
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap", attr=ATTRIBUTION).add_to(m)
    folium.TileLayer(
        "https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}.png",
        name="Light basemap",
        attr=f"{ATTRIBUTION}, © CARTO",
        subdomains="abcd",
        show=False,
    ).add_to(m)
    m.fit_bounds([[south, west], [north, east]])
    safe = html.escape(title)
    m.get_root().html.add_child(
        folium.Element(
            '<div style="position:fixed;top:10px;left:60px;z-index:9999;background:white;'
            'padding:4px 10px;border-radius:4px;font:14px sans-serif;box-shadow:0 1px 4px #888">'
            f"<b>{safe}</b> &middot; {date.today().isoformat()} &middot; data {ATTRIBUTION}</div>"
        )
    )
    return m


def add_layer(
    m: folium.Map,
    gdf: gpd.GeoDataFrame,
    name: str,
    color: str,
    fields: list[str],
    show: bool = True,
    simplify_m: float = 0.5,
) -> None:
    """Add a projected GeoDataFrame as a toggleable GeoJson layer with escaped tooltips."""
    if len(gdf) == 0:
        return
    frame = escape_frame(gdf, fields)
    frame = frame.set_geometry(frame.geometry.simplify(simplify_m)).to_crs(4326)
    cols = [c for c in fields if c in frame.columns]
    folium.GeoJson(
        frame,
        name=f"{name} ({len(frame)})",
        show=show,
        style_function=lambda _f, c=color: {"color": c, "weight": 1.5, "fillOpacity": 0.35},
        marker=folium.CircleMarker(radius=5, fill=True, color=color, fill_opacity=0.8),
        tooltip=folium.GeoJsonTooltip(fields=cols) if cols else None,
    ).add_to(m)


def city_map(city: City) -> folium.Map:
    """Return a folium map of the city's data layers (one toggleable layer each)."""
    layers = city.layers()
    outline = gpd.GeoDataFrame(geometry=[city.boundary], crs=city.crs).to_crs(4326)
    m = base_map(outline, f"planner: {city.name}")
    for name, (color, fields) in LAYER_STYLE.items():
        add_layer(m, layers[name], name, color, fields, show=name != "landuse")
    folium.LayerControl(collapsed=False).add_to(m)
    return m
