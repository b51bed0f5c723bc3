"""Fast GeoJSON map layers: vectorised feature dicts and a script folium need not re-parse."""

from __future__ import annotations

import json
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.elements import ElementAddToElement, IncludeStatement
from folium.features import GeoJsonStyleMapper
from folium.utilities import get_obj_in_upper_tree

__all__ = ["GeoJsonLayer", "RawElement", "feature_collection"]

_POINT, _LINE, _RING, _POLYGON, _MPOINT, _MLINE, _MPOLYGON = range(7)


def feature_collection(frame: gpd.GeoDataFrame) -> dict:
    """Return ``json.loads(json.dumps(frame.__geo_interface__))`` without the per-feature cost.

    (GeoPandas' ``__geo_interface__`` carries a ``bbox`` per feature and for the collection.)

    That round trip is what :class:`folium.GeoJson` does with a GeoDataFrame; this builds the
    same dict (same ids, property values, nesting and floats) from a few vectorised shapely
    calls. Geometries with a Z coordinate or of a GeometryCollection go the slow way.

    Parameters
    ----------
    frame : GeoDataFrame
        A layer in EPSG:4326.

    Returns
    -------
    dict
        A GeoJSON FeatureCollection.
    """
    geoms = np.asarray(frame.geometry)
    cols = frame.columns.drop(frame.geometry.name)
    if len(cols):
        values = frame[cols].astype(object)
        values[pd.isna(frame[cols]).values] = None
        names = cols.tolist()  # iterating a str Index goes element by element through pandas
        rows = [dict(zip(names, row, strict=True)) for row in values.values]
    else:
        rows = [{} for _ in range(len(frame))]
    shapes = _geometries(geoms)
    boxes = shapely.bounds(geoms).tolist()
    ids = np.asarray(frame.index)
    features = [
        {"id": str(i), "type": "Feature", "properties": p, "geometry": g, "bbox": box}
        for i, p, g, box in zip(ids, rows, shapes, boxes, strict=True)
    ]
    for f in features:
        if f["geometry"] is None:
            f["bbox"] = None
    return {"type": "FeatureCollection", "features": features, "bbox": frame.total_bounds.tolist()}


def _geometries(geoms: np.ndarray) -> list[dict | None]:
    """GeoJSON geometry dicts (lists, not tuples) of ``geoms``; None for missing or empty."""
    out: list[dict | None] = [None] * len(geoms)
    valid = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    kinds = np.where(valid, shapely.get_type_id(geoms), -1)
    slow = valid & (shapely.has_z(geoms) | (kinds > _MPOLYGON))
    kinds[slow] = -1
    for i in np.flatnonzero(slow).tolist():
        out[i] = json.loads(json.dumps(shapely.geometry.mapping(geoms[i])))
    builders = {
        _POINT: ("Point", _points),
        _LINE: ("LineString", _lines),
        _RING: ("LinearRing", _lines),
        _POLYGON: ("Polygon", _polygons),
        _MPOINT: ("MultiPoint", lambda g: _multi(g, _points)),
        _MLINE: ("MultiLineString", lambda g: _multi(g, _lines)),
        _MPOLYGON: ("MultiPolygon", lambda g: _multi(g, _polygons)),
    }
    for kind, (name, build) in builders.items():
        at = np.flatnonzero(kinds == kind)
        if len(at) == 0:
            continue
        for i, coords in zip(at.tolist(), build(geoms[at]), strict=True):
            out[i] = {"type": name, "coordinates": coords}
    return out


def _split(items: list, counts: np.ndarray) -> list[list]:
    """Cut ``items`` into consecutive lists of ``counts`` items."""
    out, i = [], 0
    for c in counts.tolist():
        out.append(items[i : i + c])
        i += c
    return out


def _points(geoms: np.ndarray) -> list[list[float]]:
    return shapely.get_coordinates(geoms).tolist()


def _lines(geoms: np.ndarray) -> list[list[list[float]]]:
    xy, at = shapely.get_coordinates(geoms, return_index=True)
    return _split(xy.tolist(), np.bincount(at, minlength=len(geoms)))


def _polygons(geoms: np.ndarray) -> list[list]:
    rings, at = shapely.get_rings(geoms, return_index=True)
    return _split(_lines(rings), np.bincount(at, minlength=len(geoms)))


def _multi(geoms: np.ndarray, build) -> list[list]:
    parts, at = shapely.get_parts(geoms, return_index=True)
    return _split(build(parts), np.bincount(at, minlength=len(geoms)))


def _style_map(layer: folium.GeoJson, func) -> dict | None:
    """Return folium's style map (style JSON -> feature ids), serialising each style once.

    Returns None (use folium's own mapper) when a style holds an element or unhashable value.
    """
    mapping: dict = {}
    keys: dict = {}
    path = layer.feature_identifier.split(".")[1:]
    for feature in layer.data["features"]:
        content = func(feature)
        try:
            items = tuple(content.items())
            key = keys.get(items)
        except TypeError:
            return None
        if key is None:
            if any(isinstance(v, MacroElement) for v in content.values()):
                return None
            key = keys[items] = GeoJsonStyleMapper._to_key(content)
        value = feature
        for step in path:
            value = value[step]
        mapping.setdefault(key, []).append(value)
    GeoJsonStyleMapper._set_default_key(mapping)
    return mapping


class RawElement(Element):
    """An element whose rendering is its text, as ``Element(text)`` gives without Jinja.

    ``Element(text)`` compiles ``text`` as a Jinja template (seconds for a layer's inlined
    GeoJSON, and it would evaluate ``{{ ... }}`` found in data); rendering a template
    without Jinja syntax returns its text less one trailing newline, which this reproduces.
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = str(text)

    def render(self, **kwargs: Any) -> str:
        """Return the text (one trailing newline removed, as Jinja does)."""
        return self._text[:-1] if self._text.endswith("\n") else self._text


class GeoJsonLayer(folium.GeoJson):
    """:class:`folium.GeoJson` whose big script is added as a :class:`RawElement`.

    ``render`` is folium's ``GeoJson.render`` + ``Layer.render`` + ``Class.render`` +
    ``MacroElement.render`` (folium 0.20) with that change (a script holding Jinja syntax,
    which folium relies on for element-valued styles, still goes through Jinja) and a style
    map that serialises each distinct style once; the page is byte-identical
    (``tests/render/test_maps_fast.py`` checks it against stock folium).
    """

    def render(self, **kwargs: Any) -> None:
        """Render as folium does, without compiling the rendered script as a template."""
        self.parent_map = get_obj_in_upper_tree(self, folium.Map)
        if (self.style or self.highlight) and self.data["features"]:
            mapper = GeoJsonStyleMapper(self.data, self.feature_identifier, self)
            if self.style:
                self.style_map = _style_map(self, self.style_function) or mapper.get_style_map(
                    self.style_function
                )
            if self.highlight:
                self.highlight_map = mapper.get_highlight_map(self.highlight_function)
        if self.show:
            self.add_child(
                ElementAddToElement(
                    element_name=self.get_name(), element_parent_name=self._parent.get_name()
                ),
                name=self.get_name() + "_add",
            )
        figure = self.get_root()
        if self.includes:  # folium.map.Class.render
            stmt = IncludeStatement(self.leaflet_class_name, **self.includes)
            text = stmt._template.render(this=stmt, kwargs=self.includes)
            figure.script.add_child(Element(text), name=self._name + "_includes", index=-1)
        module = self._template.module.__dict__
        for part, box in (("header", figure.header), ("html", figure.html)):
            macro = module.get(part)
            if macro is not None:
                box.add_child(Element(macro(self, kwargs)), name=self.get_name())
        script = module.get("script")
        if script is not None:
            text = script(self, kwargs)
            raw = not any(mark in text for mark in ("{{", "{%", "{#"))
            element = RawElement(text) if raw else Element(text)
            figure.script.add_child(element, name=self.get_name())
        for element in self._children.values():
            element.render(**kwargs)
