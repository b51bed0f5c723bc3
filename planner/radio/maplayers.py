"""Folium layers of the radio analysis: coverage per height, sites with popups, corridors."""

from __future__ import annotations

import base64
import html
import io
from typing import Any

import folium
import numpy as np

__all__ = ["COVERAGE_COLOURS", "coverage_png", "add_radio_layers", "radio_map"]

#: RGBA of the coverage classes: covered, signal but below a threshold (no colour = no site).
COVERAGE_COLOURS = {"covered": (26, 152, 80, 150), "weak": (215, 48, 39, 150)}


def coverage_png(result: Any, level: int, max_px: int = 1200) -> tuple[str, list[list[float]]]:
    """Coverage classes of one height as a Web-Mercator PNG data URI and its lat/lon bounds.

    Parameters
    ----------
    result : RadioCoverage
        From :func:`planner.radio.analyze_radio`.
    level : int
        Index into ``result.heights_m``.
    max_px : int
        Longest side of the image.

    Returns
    -------
    tuple
        ``(data_uri, [[south, west], [north, east]])``.

    """
    from PIL import Image
    from rasterio.transform import array_bounds
    from rasterio.warp import Resampling, calculate_default_transform, reproject, transform_bounds

    cls = np.where(result.covered[level], 2.0, np.where(result.serving_site[level] >= 0, 1.0, 0.0))
    h, w = cls.shape
    west, south, east, north = array_bounds(h, w, result.transform)
    dst_t, dw, dh = calculate_default_transform(
        result.crs, "EPSG:3857", w, h, west, south, east, north
    )
    scale = max(1.0, max(dw, dh) / max_px)
    dw, dh = max(1, int(dw / scale)), max(1, int(dh / scale))
    dst_t = dst_t * dst_t.scale(scale)
    dst = np.zeros((dh, dw), dtype=np.float32)
    reproject(
        cls.astype(np.float32),
        dst,
        src_transform=result.transform,
        src_crs=result.crs,
        dst_transform=dst_t,
        dst_crs="EPSG:3857",
        resampling=Resampling.nearest,
    )
    rgba = np.zeros((dh, dw, 4), dtype=np.uint8)
    rgba[dst == 2] = COVERAGE_COLOURS["covered"]
    rgba[dst == 1] = COVERAGE_COLOURS["weak"]
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, format="PNG", optimize=True)
    x0, y1 = dst_t.c, dst_t.f
    x1, y0 = x0 + dst_t.a * dw, y1 + dst_t.e * dh
    w_, s_, e_, n_ = transform_bounds("EPSG:3857", "EPSG:4326", x0, y0, x1, y1)
    uri = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    return uri, [[s_, w_], [n_, e_]]


def _site_popup(site, sectors) -> str:
    rows = "".join(
        f"<tr><td>{s.azimuth_deg:.0f}°</td><td>{s.mech_tilt_deg:g}+{s.elec_tilt_deg:g}°</td>"
        f"<td>{s.frequency_ghz:g} GHz</td><td>{s.tx_power_dbm:.1f} dBm</td>"
        f"<td>{html.escape(str(s.defaults))}</td></tr>"
        for s in sectors.itertuples()
    )
    return (
        f"<b>{html.escape(str(site.site_id))}</b> ({html.escape(str(site.source))})<br>"
        f"{html.escape(str(site.technology))}, {site.scenario}, antenna {site.height_m:.1f} m "
        f"({html.escape(str(site.height_source))})<br><table><tr><th>azimuth</th><th>tilt</th>"
        f"<th>carrier</th><th>power</th><th>defaulted</th></tr>{rows}</table>"
    )


def add_radio_layers(m: folium.Map, result: Any, show_level: int = 0) -> list[str]:
    """Add coverage per height, the sites (popups with their assumed parameters) and corridors.

    Parameters
    ----------
    m : folium.Map
        The map to add to.
    result : RadioCoverage
        From :func:`planner.radio.analyze_radio`.
    show_level : int
        Height index shown at first; the other heights start hidden.

    Returns
    -------
    list of str
        Names of the layers added.

    """
    names = []
    for i, h in enumerate(result.heights_m):
        uri, bounds = coverage_png(result, i)
        name = f"Mobile coverage at {h:g} m"
        folium.raster_layers.ImageOverlay(
            uri, bounds=bounds, name=name, show=i == show_level, interactive=False
        ).add_to(m)
        names.append(name)
    fg = folium.FeatureGroup(name="Mobile sites")
    sites = result.sites.to_crs(4326) if len(result.sites) else result.sites
    for i, site in enumerate(sites.itertuples()):
        sec = result.sectors[result.sectors["site"] == i]
        folium.CircleMarker(
            [site.geometry.y, site.geometry.x],
            radius=5,
            color="#4b0082",
            fill=True,
            popup=folium.Popup(_site_popup(site, sec), max_width=450),
            tooltip=str(site.site_id),
        ).add_to(fg)
    fg.add_to(m)
    names.append("Mobile sites")
    if len(result.corridors):
        _add_corridors(m, result)
        names.append("Corridor coverage")
    return names


def _add_corridors(m: folium.Map, result: Any) -> None:
    fg = folium.FeatureGroup(name="Corridor coverage")
    corr = result.corridors.to_crs(4326)
    for r in corr.itertuples():
        share = float(r.radio_coverage_share)
        colour = "#1a9850" if share >= 0.9 else ("#fdae61" if share >= 0.5 else "#d73027")
        tip = (
            f"{r.from_hub} – {r.to_hub}: {100 * share:.1f} % covered at {r.height_evaluated_m:g} m;"
            f" longest gap {r.longest_uncovered_m:.0f} m"
        )
        folium.GeoJson(
            r.geometry.__geo_interface__,
            style_function=lambda _f, c=colour: {"color": c, "weight": 4},
            tooltip=html.escape(tip),
        ).add_to(fg)
    fg.add_to(m)


def radio_map(result: Any) -> folium.Map:
    """Return a stand-alone map of the radio layers (OSM tiles, attribution shown)."""
    b = result.sites.to_crs(4326).total_bounds if len(result.sites) else None
    if b is None or not np.all(np.isfinite(b)):
        from rasterio.transform import array_bounds
        from rasterio.warp import transform_bounds

        h, w = result.covered.shape[1:]
        b = transform_bounds(result.crs, 4326, *array_bounds(h, w, result.transform))
    m = folium.Map(
        location=[(b[1] + b[3]) / 2, (b[0] + b[2]) / 2],
        zoom_start=14,
        tiles="OpenStreetMap",
        attr="Map data © OpenStreetMap contributors (ODbL)",
    )
    add_radio_layers(m, result)
    folium.LayerControl().add_to(m)
    return m
