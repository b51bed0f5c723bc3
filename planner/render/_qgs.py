"""QGIS project (.qgs) XML pieces: CRS, vector and XYZ map layers, layer-tree groups."""

from __future__ import annotations

import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from pyproj import CRS

__all__ = [
    "GEOMETRY_NAMES",
    "OSM_ATTRIBUTION",
    "OSM_XYZ_URL",
    "ProjectLayer",
    "map_layer",
    "osm_layer",
    "paletted_raster_layer",
    "spatialrefsys",
    "tree_layer",
]

#: The OpenStreetMap standard tile layer and its required attribution.
OSM_XYZ_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = "© OpenStreetMap contributors"

#: QGIS geometry name of each family (maplayer ``geometry`` attribute, URI geometrytype).
GEOMETRY_NAMES = {"point": ("Point", "Point"), "line": ("Line", "LineString")}
GEOMETRY_NAMES["polygon"] = ("Polygon", "Polygon")


@dataclass(frozen=True)
class ProjectLayer:
    """One map layer of the project: id, title, relative source, family, renderer, shown."""

    layer_id: str
    title: str
    source: str
    family: str
    renderer: ET.Element
    visible: bool


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrs)
    el.text = text
    return el


def spatialrefsys(crs: CRS | str | int) -> ET.Element:
    """Return a QGIS ``<spatialrefsys>`` element for ``crs``.

    Parameters
    ----------
    crs : CRS, str or int
        Anything :meth:`pyproj.CRS.from_user_input` reads.

    Returns
    -------
    Element
    """
    crs = CRS.from_user_input(crs)
    auth = crs.to_authority() or ("", "")
    srs = ET.Element("spatialrefsys", {"nativeFormat": "Wkt"})
    _text(srs, "wkt", crs.to_wkt())
    with warnings.catch_warnings():  # PROJ strings are lossy; QGIS reads the WKT first
        warnings.simplefilter("ignore", UserWarning)
        _text(srs, "proj4", crs.to_proj4() or "")
    _text(srs, "srsid", "0")
    _text(srs, "srid", auth[1] if auth[0] == "EPSG" else "0")
    _text(srs, "authid", ":".join(auth) if auth[0] else "")
    _text(srs, "description", crs.name)
    _text(srs, "projectionacronym", "")
    _text(srs, "ellipsoidacronym", "")
    _text(srs, "geographicflag", "true" if crs.is_geographic else "false")
    return srs


def map_layer(layer: ProjectLayer) -> ET.Element:
    """Return the ``<maplayer>`` of a GeoPackage vector layer (WGS84, ogr provider)."""
    geometry = GEOMETRY_NAMES[layer.family][0]
    ml = ET.Element("maplayer", {"type": "vector", "geometry": geometry, "autoRefreshEnabled": "0"})
    _text(ml, "id", layer.layer_id)
    _text(ml, "datasource", layer.source)
    _text(ml, "layername", layer.title)
    ET.SubElement(ml, "srs").append(spatialrefsys(4326))
    _text(ml, "provider", "ogr", encoding="UTF-8")
    ml.append(layer.renderer)
    return ml


def osm_layer(layer_id: str) -> ET.Element:
    """Return the OpenStreetMap XYZ tile ``<maplayer>`` with its attribution."""
    ml = ET.Element("maplayer", {"type": "raster", "autoRefreshEnabled": "0"})
    _text(ml, "id", layer_id)
    _text(ml, "datasource", f"type=xyz&url={OSM_XYZ_URL}&zmax=19&zmin=0")
    _text(ml, "layername", "OpenStreetMap")
    ET.SubElement(ml, "srs").append(spatialrefsys(3857))
    _text(ml, "attribution", OSM_ATTRIBUTION, href="https://www.openstreetmap.org/copyright")
    meta = ET.SubElement(ml, "resourceMetadata")
    _text(meta, "rights", OSM_ATTRIBUTION)
    _text(ml, "provider", "wms", encoding="")
    return ml


def tree_layer(layer_id: str, title: str, source: str, provider: str, visible: bool) -> ET.Element:
    """Return a ``<layer-tree-layer>`` entry."""
    checked = "Qt::Checked" if visible else "Qt::Unchecked"
    attrs = {"id": layer_id, "name": title, "source": source, "providerKey": provider}
    return ET.Element("layer-tree-layer", {**attrs, "checked": checked, "expanded": "0"})


def paletted_raster_layer(
    layer_id: str,
    title: str,
    source: str,
    crs: CRS | str,
    palette: list[tuple[int, str, str]],
    opacity: float = 0.8,
) -> ET.Element:
    """Return a GDAL raster ``<maplayer>`` drawn with a paletted renderer.

    Parameters
    ----------
    layer_id, title, source : str
        Layer id, title and relative source (``./ground_risk.tif``).
    crs : CRS or str
        The raster's CRS.
    palette : list of (int, str, str)
        Value, ``#rrggbb`` colour and label per class.
    opacity : float
        Layer opacity.

    Returns
    -------
    Element
    """
    ml = ET.Element("maplayer", {"type": "raster", "autoRefreshEnabled": "0"})
    _text(ml, "id", layer_id)
    _text(ml, "datasource", source)
    _text(ml, "layername", title)
    ET.SubElement(ml, "srs").append(spatialrefsys(crs))
    _text(ml, "provider", "gdal")
    pipe = ET.SubElement(ml, "pipe")
    attrs = {"type": "paletted", "band": "1", "opacity": repr(opacity), "alphaBand": "-1"}
    entries = ET.SubElement(ET.SubElement(pipe, "rasterrenderer", attrs), "colorPalette")
    for value, color, label in palette:
        attrs = {"value": str(value), "color": color, "alpha": "255", "label": label}
        ET.SubElement(entries, "paletteEntry", attrs)
    return ml
