"""Map scaffolding: base map with controls and title box, legend box, layer control."""

from __future__ import annotations

import html
from datetime import date

import folium
import geopandas as gpd
import numpy as np
from branca.colormap import LinearColormap
from branca.element import Element
from folium import plugins

from planner._format import format_value
from planner._i18n import tr
from planner.render.basemaps import ATTRIBUTION, add_basemaps
from planner.render.offline import TILE_ERROR_MESSAGE, add_tile_error_notice

__all__ = ["ATTRIBUTION", "add_layer_control", "add_legend", "base_map", "legend_ramp"]


_LAYER_CONTROL_CSS = (
    "<style>.leaflet-control-layers-list{max-height:60vh;overflow-y:auto;overflow-x:hidden;"
    "padding-right:12px}.leaflet-control-layers{font:12px sans-serif}</style>"
)


def _title_box(title: str, source: str | None) -> Element:
    src = f" &middot; {tr('source')}: {html.escape(source)}" if source else ""
    return Element(
        '<div class="planner-title" style="position:fixed;top:10px;left:60px;z-index:999;'
        "background:white;padding:4px 10px;border-radius:4px;font:14px sans-serif;"
        'box-shadow:0 1px 4px #888;max-width:60%">'
        f"<b>{html.escape(title)}</b> &middot; {date.today().isoformat()}{src}"
        f" &middot; {tr('data')} {html.escape(ATTRIBUTION)}</div>"
    )


def base_map(gdf_wgs84: gpd.GeoDataFrame, title: str, source: str | None = None) -> folium.Map:
    """Create a folium map fitted to a WGS84 frame.

    The basemaps of :func:`planner.render.basemaps.use_basemaps` (default OSM and a light
    one), fullscreen, measure tool, mini-map, scale bar, a visible
    banner when tiles cannot load, and a title box with date, source and attribution.

    Parameters
    ----------
    gdf_wgs84 : GeoDataFrame
        The extent to fit (EPSG:4326).
    title : str
        Title shown in the title box.
    source : str, optional
        Data source shown in the title box.

    Returns
    -------
    folium.Map
    """
    west, south, east, north = gdf_wgs84.total_bounds
    m = folium.Map(tiles=None, control_scale=True, prefer_canvas=True)
    add_basemaps(m)
    m.fit_bounds([[south, west], [north, east]])
    plugins.Fullscreen(position="topleft").add_to(m)
    plugins.MeasureControl(
        position="topleft", primary_length_unit="meters", primary_area_unit="sqmeters"
    ).add_to(m)
    plugins.MiniMap(toggle_display=True, position="bottomright").add_to(m)
    add_tile_error_notice(m, tr(TILE_ERROR_MESSAGE))
    m.get_root().html.add_child(_title_box(title, source))
    return m


def _ramp_html(c: LinearColormap) -> str:
    """One colour ramp of the legend as a plain CSS gradient (no d3, no network)."""
    stops = ",".join(c.rgb_hex_str(v) for v in np.linspace(c.vmin, c.vmax, 7))
    return (
        f'<div style="margin:4px 0 6px">{html.escape(c.caption or "")}'
        '<div style="height:10px;width:190px;border:1px solid #333;background:linear-gradient('
        f'to right,{stops})"></div>'
        '<div style="display:flex;justify-content:space-between;width:192px">'
        f"<span>{format_value(float(c.vmin))}</span><span>{format_value(float(c.vmax))}</span>"
        "</div></div>"
    )


def add_legend(
    m: folium.Map,
    title: str,
    entries: list[tuple[str, str]],
    gradients: list[LinearColormap] | None = None,
) -> None:
    """Add a legend box at the bottom left: colour ramps, then swatches with escaped labels.

    Parameters
    ----------
    m : folium.Map
        The map.
    title : str
        Title of the box.
    entries : list of (colour, label)
        Swatches.
    gradients : list of branca LinearColormap, optional
        Colour ramps, shown first.
    """
    gradients = gradients or []
    if not entries and not gradients:
        return
    rows = "".join(_ramp_html(c) for c in gradients) + "".join(
        f'<div><span style="display:inline-block;width:12px;height:12px;margin-right:6px;'
        f'background:{html.escape(color)};border:1px solid #333"></span>{html.escape(label)}</div>'
        for color, label in entries
    )
    m.get_root().html.add_child(
        Element(
            '<div class="planner-legend" style="position:fixed;bottom:40px;left:10px;z-index:999;'
            "background:rgba(255,255,255,.9);padding:6px 8px;border-radius:4px;"
            'font:12px sans-serif;box-shadow:0 1px 4px #888;max-height:45%;overflow:auto">'
            f"<b>{html.escape(title)}</b>{rows}</div>"
        )
    )


def add_layer_control(m: folium.Map) -> None:
    """Add the (expanded, scrolling) layer control; call it last so it sees every layer."""
    m.get_root().header.add_child(Element(_LAYER_CONTROL_CSS))
    folium.LayerControl(collapsed=False).add_to(m)


def legend_ramp(cmap: str, vmin: float, vmax: float, caption: str = "") -> LinearColormap:
    """Return the matplotlib colormap ``cmap`` as a branca ramp (every entry: no drift).

    Parameters
    ----------
    cmap : str
        Matplotlib colormap name.
    vmin, vmax : float
        Value range.
    caption : str
        Caption shown above the ramp.

    Returns
    -------
    LinearColormap
    """
    import matplotlib as mpl

    cm = mpl.colormaps[cmap]
    colors = [mpl.colors.to_hex(c) for c in cm(np.linspace(0, 1, cm.N))]
    return LinearColormap(colors, vmin=vmin, vmax=vmax, caption=caption)
