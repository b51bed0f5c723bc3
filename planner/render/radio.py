"""Map layers of the radio analysis: coverage classes per height, sites, corridor coverage."""

from __future__ import annotations

from typing import TYPE_CHECKING

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.colormap import LinearColormap

from planner._format import format_value
from planner._i18n import tr
from planner.radio import COVERED_SHARE
from planner.render._builder import LayerBuilder, layer_name
from planner.render._overlay import MAX_RASTER_PX, raster_png
from planner.render.layers import MAP_FIELDS

if TYPE_CHECKING:
    from planner.drones import CorridorResult
    from planner.radio import RadioCoverage

__all__ = [
    "COVERAGE_CLASSES",
    "COVERAGE_CMAP",
    "CIRCLE_SHARE",
    "add_radio_corridors",
    "add_radio_coverage",
    "add_radio_layers",
    "add_radio_sites",
    "coverage_classes",
    "corridors_with_radio",
    "site_table",
]

#: Matplotlib colormap of the coverage classes; class values are placed on it by
#: :data:`COVERAGE_CLASSES` (no site in range is transparent).
COVERAGE_CMAP = "RdYlGn"
#: Coverage class value, its legend label and its position on :data:`COVERAGE_CMAP`.
COVERAGE_CLASSES = {
    1.0: ("weak: signal below the RSRP or SINR threshold", 0.2),
    2.0: ("covered: RSRP and SINR above threshold", 0.9),
}
#: The drones' circle-model column (500 m / 1 km around OSM masts) that the radio model's
#: ``radio_coverage_share`` replaces on the maps and in the report where the radio step ran.
CIRCLE_SHARE = "mobile_coverage_share"

#: Colour ramp of the corridors' covered share (0-1), red to green.
_SHARE_COLORS = ["#d73027", "#fdae61", "#1a9850"]


def coverage_classes(radio: RadioCoverage, level: int) -> np.ndarray:
    """Return the coverage classes of one height: 2 covered, 1 weak, NaN no site in range.

    Parameters
    ----------
    radio : RadioCoverage
        From :func:`planner.radio.analyze_radio`.
    level : int
        Index into ``radio.heights_m``.

    Returns
    -------
    ndarray
        float grid on ``radio.transform``.
    """
    weak = np.where(radio.serving_site[level] >= 0, 1.0, np.nan)
    return np.where(radio.covered[level], 2.0, weak)


def _class_color(value: float) -> str:
    import matplotlib as mpl

    pos = COVERAGE_CLASSES[value][1]
    return mpl.colors.to_hex(mpl.colormaps[COVERAGE_CMAP](pos))


def add_radio_coverage(b: LayerBuilder, radio: RadioCoverage, show_level: int | None = 0) -> None:
    """Add one toggleable image layer of coverage classes per UE height, with the legend.

    Parameters
    ----------
    b : LayerBuilder
        The map being built.
    radio : RadioCoverage
        From :func:`planner.radio.analyze_radio`.
    show_level : int, optional
        Height index shown at first (None: all hidden).
    """
    # the two classes sit at their COVERAGE_CLASSES positions of the ramp [vmin, vmax]
    (v1, (_, p1)), (v2, (_, p2)) = sorted(COVERAGE_CLASSES.items())
    span = (v2 - v1) / (p2 - p1)
    vmin, vmax = v1 - p1 * span, v2 + (1 - p2) * span
    for i, h in enumerate(radio.heights_m):
        grid = coverage_classes(radio, i)
        # raster_png leaves values <= vmin transparent: no class is that low
        uri, bounds, _ = raster_png(
            grid, radio.transform, radio.crs, cmap=COVERAGE_CMAP, vmin=vmin, vmax=vmax
        )
        name = tr("Mobile coverage at {height} m").format(height=f"{h:g}")
        folium.raster_layers.ImageOverlay(
            uri, bounds=bounds, name=layer_name(name), show=i == show_level, interactive=False
        ).add_to(b.m)
        b.info["layers"].append(name)
        b.info["aggregated"][name] = f"raster shown at <= {MAX_RASTER_PX} px (max resampling)"
    for value, (label, _) in COVERAGE_CLASSES.items():
        b.legend.append((_class_color(value), f"mobile {label}"))


def site_table(radio: RadioCoverage) -> gpd.GeoDataFrame:
    """Return the sites with a ``sectors`` text column: their assumed sector parameters.

    Each sector reads ``azimuth°, tilt mech+elec°, carrier GHz, power dBm`` and the
    fields that were defaulted (``defaults``).

    Parameters
    ----------
    radio : RadioCoverage
        From :func:`planner.radio.analyze_radio`.

    Returns
    -------
    GeoDataFrame
        :data:`planner.radio.SITE_COLUMNS` plus ``sectors`` (from the sector columns of
        ``MAP_FIELDS["radio_sectors"]``).
    """
    sites = radio.sites.copy()
    sec = radio.sectors

    def describe(s) -> str:
        return (
            f"{format_value(s.azimuth_deg)}° tilt {format_value(s.mech_tilt_deg)}+"
            f"{format_value(s.elec_tilt_deg)}° {format_value(s.frequency_ghz)} GHz "
            f"{format_value(s.tx_power_dbm)} dBm (defaulted: {s.defaults or 'none'})"
        )

    texts: dict[int, list[str]] = {i: [] for i in range(len(sites))}
    for s in sec[MAP_FIELDS["radio_sectors"]].itertuples():
        texts.setdefault(int(s.site), []).append(describe(s))
    sites["sectors"] = ["; ".join(texts[i]) for i in range(len(sites))]
    return sites


def add_radio_sites(b: LayerBuilder, radio: RadioCoverage) -> None:
    """Add the mobile sites; the popup lists each sector's assumed parameters.

    Parameters
    ----------
    b : LayerBuilder
        The map being built.
    radio : RadioCoverage
        From :func:`planner.radio.analyze_radio`.
    """
    b.geojson(
        site_table(radio),
        tr("Mobile sites"),
        [*MAP_FIELDS["radio_sites"], "sectors"],
        color="#4b0082",
        radius=6,
        legend="mobile site (popup: assumed sector parameters)",
    )


def add_radio_corridors(b: LayerBuilder, radio: RadioCoverage, show: bool = True) -> None:
    """Add the corridors coloured by their covered share at altitude (radio model).

    Parameters
    ----------
    b : LayerBuilder
        The map being built.
    radio : RadioCoverage
        From :func:`planner.radio.analyze_radio`.
    show : bool
        Shown at first.
    """
    corr = radio.corridors
    if len(corr) == 0:
        return
    share = pd.to_numeric(corr[COVERED_SHARE], errors="coerce").fillna(0.0)
    cmap = LinearColormap(
        _SHARE_COLORS,
        vmin=0,
        vmax=1,
        caption=tr("Corridor share covered at altitude (radio model)"),
    )
    b.geojson(
        corr.assign(_color=[cmap(float(v)) for v in share]),
        tr("Corridor mobile coverage"),
        MAP_FIELDS["radio_corridors"],
        color_col="_color",
        show=show,
        weight=4,
        simplify_m=1.0,
    )
    b.gradient(cmap)


def add_radio_layers(
    b: LayerBuilder,
    radio: RadioCoverage,
    show_level: int | None = 0,
    corridors_shown: bool = True,
) -> None:
    """Add coverage per height, the sites and the corridors' coverage at altitude.

    Parameters
    ----------
    b : LayerBuilder
        The map being built.
    radio : RadioCoverage
        From :func:`planner.radio.analyze_radio`.
    show_level : int, optional
        Height index shown at first (None: all hidden).
    corridors_shown : bool
        Corridor coverage layer shown at first.
    """
    add_radio_coverage(b, radio, show_level)
    add_radio_sites(b, radio)
    add_radio_corridors(b, radio, show=corridors_shown)


def corridors_with_radio(
    drones: CorridorResult, radio: RadioCoverage | None
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Return the drone corridors and their popup fields, the radio share replacing the circle's.

    ``radio.corridors`` is computed from ``drones.corridors`` row by row, so the share is
    joined by position.

    Parameters
    ----------
    drones : CorridorResult
        From :func:`planner.drones.plan_corridors`.
    radio : RadioCoverage, optional
        From :func:`planner.radio.analyze_radio` on ``drones.corridors`` (None: unchanged).

    Returns
    -------
    (GeoDataFrame, list of str)
        The corridors and the popup fields (``MAP_FIELDS["corridors"]``, with
        ``radio_coverage_share`` in place of the circle model's ``mobile_coverage_share``).
    """
    corr, fields = drones.corridors, MAP_FIELDS["corridors"]
    if radio is None or len(radio.corridors) != len(corr):
        return corr, fields
    share = radio.corridors[COVERED_SHARE].to_numpy()
    out = [COVERED_SHARE if c == CIRCLE_SHARE else c for c in fields]
    return corr.assign(**{COVERED_SHARE: share}), out
