"""The region's self-contained choropleth map: one layer per KPI, a popup per city."""

from __future__ import annotations

import html
import math
from pathlib import Path
from urllib.parse import quote

import folium
import geopandas as gpd
from branca.colormap import LinearColormap

from planner.batch._compat import add_legend, base_map, save_self_contained
from planner.batch.scorecard import KPI_LABELS

__all__ = ["CHOROPLETHS", "city_links", "popup_html", "write_region_map"]

#: KPI column, colour ramp (low to high) of the choropleth layers; the first is shown.
CHOROPLETHS: list[tuple[str, list[str]]] = [
    ("coverage_pct", ["#d7191c", "#fdae61", "#a6d96a", "#1a9641"]),
    ("gap_to_target_pct", ["#1a9641", "#a6d96a", "#fdae61", "#d7191c"]),
    ("cost_to_target", ["#fff5eb", "#fdae6b", "#e6550d", "#7f2704"]),
    ("capex_per_premise", ["#fff5eb", "#fdae6b", "#e6550d", "#7f2704"]),
    ("sites_per_10k", ["#f7fbff", "#9ecae1", "#3182bd", "#08306b"]),
    ("corridors", ["#fcfbfd", "#bcbddc", "#807dba", "#3f007d"]),
    ("risk_reduction_pct", ["#f7fcf5", "#a1d99b", "#41ab5d", "#00441b"]),
    ("route_coverage_pct", ["#f7fcfd", "#99d8c9", "#41ae76", "#00441b"]),
]
_NO_DATA = "#cccccc"
_POPUP_ROWS = [
    ("premises_total", "premises"),
    ("coverage_pct", "coverage %"),
    ("target_coverage_pct", "target %"),
    ("premises_needed_for_target", "premises to target"),
    ("cost_to_target", "cost to target"),
    ("capex_total", "plan capex"),
    ("capex_per_premise", "capex / premise"),
    ("sites_per_10k", "sites / 10k people"),
    ("corridors", "drone corridors"),
    ("risk_reduction_pct", "risk reduction %"),
    ("route_coverage_pct", "route coverage %"),
]
#: City files linked from its popup, in order, when they exist.
CITY_FILES = [("map.html", "city map"), ("report.html", "report"), ("summary.json", "summary")]


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if isinstance(v, float):
        return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.2f}"
    return html.escape(str(v))


def city_links(out_root: Path, city: str) -> list[tuple[str, str]]:
    """Return (relative href, label) of the city's own outputs that exist."""
    return [
        (f"{quote(city)}/{name}", label)
        for name, label in CITY_FILES
        if (out_root / city / name).is_file()
    ]


def popup_html(row, links: list[tuple[str, str]]) -> str:
    """Return a city's popup: escaped name, status, KPI table and links to its outputs."""
    head = f"<b>{html.escape(str(row['name']))}</b> ({html.escape(str(row['city']))})"
    if row["status"] == "failed":
        head += f"<br><i>failed: {html.escape(str(row['error'] or ''))}</i>"
    cells = "".join(
        f"<tr><th style='text-align:left'>{label}</th><td>{_fmt(row.get(col))}</td></tr>"
        for col, label in _POPUP_ROWS
        if not (isinstance(row.get(col), float) and math.isnan(row.get(col)))
    )
    hrefs = " &middot; ".join(
        f'<a href="{html.escape(href, quote=True)}" target="_blank">{label}</a>'
        for href, label in links
    )
    return f"{head}<table>{cells}</table>{hrefs}"


def _layer(frame: gpd.GeoDataFrame, col: str, ramp: list[str], show: bool, m) -> LinearColormap:
    values = frame[col].astype(float)
    lo, hi = float(values.min()), float(values.max())
    cmap = LinearColormap(ramp, vmin=lo, vmax=hi if hi > lo else lo + 1, caption=KPI_LABELS[col])
    data = frame[["popup", "tooltip", "geometry"]].copy()
    data["fill"] = [_NO_DATA if math.isnan(v) else cmap(v) for v in values]
    folium.GeoJson(
        data.__geo_interface__,
        name=KPI_LABELS[col],
        show=show,
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"],
            "color": "#333333",
            "weight": 1,
            "fillOpacity": 0.7,
        },
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False),
        popup=folium.GeoJsonPopup(fields=["popup"], labels=False),
    ).add_to(m)
    return cmap


def write_region_map(
    frame: gpd.GeoDataFrame, out_root: str | Path, title: str = "Region scorecard"
) -> Path:
    """Write ``region_map.html``: a choropleth layer per KPI and a popup per city.

    Parameters
    ----------
    frame : GeoDataFrame
        The scorecard (:func:`planner.batch.scorecard.scorecard_frame`), WGS84.
    out_root : str or Path
        The batch output folder; popups link to ``<city>/map.html`` etc. relative to it.
    title : str
        Map title (escaped).

    Returns
    -------
    Path
        The self-contained HTML file (every asset inlined, written atomically).
    """
    out_root = Path(out_root)
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty].copy()
    frame["popup"] = [popup_html(r, city_links(out_root, r["city"])) for _, r in frame.iterrows()]
    frame["tooltip"] = [
        f"{html.escape(str(r['name']))}: {_fmt(r['coverage_pct'])}% passed"
        for _, r in frame.iterrows()
    ]
    m = base_map(frame, title)
    ramps = []
    layers = [(c, r) for c, r in CHOROPLETHS if c in frame and frame[c].notna().any()]
    for i, (col, ramp) in enumerate(layers):
        ramps.append(_layer(frame, col, ramp, i == 0, m))
    folium.LayerControl(collapsed=False).add_to(m)
    add_legend(m, "Region KPIs", [(_NO_DATA, "no data / not run")], ramps)
    return save_self_contained(m, out_root / "region_map.html")
