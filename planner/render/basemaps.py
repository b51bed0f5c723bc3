"""Basemap tile layers of the maps: OSM, a light basemap and Tianditu (key from config/env)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import folium

from planner._i18n import mark, tr
from planner.errors import ConfigError

__all__ = [
    "ATTRIBUTION",
    "BASEMAPS",
    "DEFAULT_BASEMAPS",
    "TIANDITU_KEY_ENV",
    "Basemap",
    "add_basemaps",
    "tianditu_key",
    "use_basemaps",
]

ATTRIBUTION = "© OpenStreetMap contributors (ODbL)"

#: Environment variable read for the Tianditu key when the config gives none.
TIANDITU_KEY_ENV = "TIANDITU_KEY"

_TIANDITU = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}"
    "&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
)
_TIANDITU_ATTR = "© 天地图 Tianditu (National Platform for Common GeoSpatial Information Services)"


@dataclass(frozen=True)
class Basemap:
    """One tile basemap: its display name (English source string) and how to draw it."""

    title: str
    url: str
    attribution: str
    subdomains: str | None = None
    #: Annotation (labels) tiles drawn over the base tiles, if the service splits them.
    labels_url: str | None = None


#: The basemaps a city config may list under ``maps.basemaps``; ``{key}`` is the user's key.
BASEMAPS: dict[str, Basemap] = {
    "osm": Basemap(mark("OpenStreetMap"), "OpenStreetMap", ATTRIBUTION),
    "light": Basemap(
        mark("Light basemap"),
        "https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}.png",
        f"{ATTRIBUTION}, © CARTO",
        subdomains="abcd",
    ),
    "tianditu": Basemap(
        mark("Tianditu basemap"),
        _TIANDITU.format(s="{s}", layer="vec", key="{key}"),
        _TIANDITU_ATTR,
        subdomains="01234567",
        labels_url=_TIANDITU.format(s="{s}", layer="cva", key="{key}"),
    ),
}

#: Basemaps of a map when the config names none: OSM shown, the light one to switch to.
DEFAULT_BASEMAPS = ("osm", "light")

_CHOSEN: ContextVar[tuple[tuple[str, ...], str | None]] = ContextVar(
    "planner_basemaps", default=(DEFAULT_BASEMAPS, None)
)


def tianditu_key(configured: str | None) -> str | None:
    """Return the Tianditu key: the configured one, else :data:`TIANDITU_KEY_ENV`'s value."""
    return configured or os.environ.get(TIANDITU_KEY_ENV) or None


@contextmanager
def use_basemaps(names: Sequence[str], key: str | None = None) -> Iterator[None]:
    """Draw the basemaps ``names`` (first one shown) on the maps written in the body.

    Parameters
    ----------
    names : sequence of str
        Keys of :data:`BASEMAPS`.
    key : str, optional
        The Tianditu key (see :func:`tianditu_key`); needed when ``tianditu`` is listed.

    Raises
    ------
    ConfigError
        For an unknown basemap or Tianditu without a key.
    """
    unknown = [n for n in names if n not in BASEMAPS]
    if unknown or not names:
        raise ConfigError(
            f"maps.basemaps: unknown basemap {', '.join(unknown) or '(none)'}; "
            f"known: {', '.join(BASEMAPS)}"
        )
    if "tianditu" in names and not key:
        raise ConfigError(
            "maps.basemaps: tianditu needs a key: set maps.tianditu_key or the "
            f"{TIANDITU_KEY_ENV} environment variable"
        )
    token = _CHOSEN.set((tuple(names), key))
    try:
        yield
    finally:
        _CHOSEN.reset(token)


def add_basemaps(m: folium.Map) -> None:
    """Add the chosen basemaps to ``m`` (first shown, the others in the layer control)."""
    names, key = _CHOSEN.get()
    for i, name in enumerate(names):
        b = BASEMAPS[name]
        title = tr(b.title)
        extra = {"subdomains": b.subdomains} if b.subdomains else {}
        shown = {} if i == 0 else {"show": False}
        url = b.url.replace("{key}", key or "")
        folium.TileLayer(url, name=title, attr=b.attribution, **extra, **shown).add_to(m)
        if b.labels_url:
            label_url = b.labels_url.replace("{key}", key or "")
            name = tr("{basemap}: labels").format(basemap=title)
            folium.TileLayer(
                label_url, name=name, attr=b.attribution, overlay=True, **extra, **shown
            ).add_to(m)
