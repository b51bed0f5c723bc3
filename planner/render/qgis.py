"""QGIS-ready outputs: QML styles in every GeoPackage's layer_styles, and planner.qgz."""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import rasterio
from matplotlib import colormaps
from matplotlib.colors import to_hex
from pyproj import Transformer

from planner._files import atomic_path
from planner.config import sora
from planner.render._gpkg import (
    GpkgLayer,
    StyleRow,
    distinct_values,
    feature_layers,
    geometry_families,
    numeric_range,
    write_style_rows,
)
from planner.render._overlay import RISK_CMAP
from planner.render._qgs import (
    GEOMETRY_NAMES,
    ProjectLayer,
    map_layer,
    osm_layer,
    paletted_raster_layer,
    spatialrefsys,
    tree_layer,
)
from planner.render._qml import (
    QGIS_VERSION,
    Category,
    Range,
    SymbolStyle,
    categorized_renderer,
    graduated_renderer,
    qml_document,
    single_renderer,
)
from planner.render.layers import CLASS_COLORS, LAYER_STYLE, LAYER_STYLES, PALETTE

if TYPE_CHECKING:
    from pyproj import CRS

__all__ = [
    "GROUPS",
    "LAYER_SPECS",
    "LayerSpec",
    "RASTERS",
    "layer_renderer",
    "write_layer_styles",
    "write_qgis_project",
]

#: Millimetres per web-map pixel (QGIS sizes symbols in mm).
_MM_PER_PX = 0.26

#: Coverage ramp of the hexes and risk ramp of the corridors, as in the web maps.
HEX_RAMP = (CLASS_COLORS["unserved"], CLASS_COLORS["near"], "#ffffbf", "#a6d96a")
HEX_RAMP += (CLASS_COLORS["passed"],)
RISK_RAMP = (CLASS_COLORS["passed"], "#ffffbf", CLASS_COLORS["unserved"])


@dataclass(frozen=True)
class LayerSpec:
    """How one GeoPackage layer is styled in QGIS and whether the combined map shows it.

    One colour (``color``), or categories of ``field`` (fixed ``classes`` or the palette
    over its values), or graduated classes of ``field`` along ``ramp`` (over ``domain`` or
    the data range).
    """

    title: str
    color: str = "#666666"
    field: str | None = None
    classes: Mapping[str, str] | None = None
    ramp: tuple[str, ...] | None = None
    domain: tuple[float, float] | None = None
    weight_px: float = 1.5
    radius_px: float = 4
    fill_opacity: float = 0.35  # the web maps' default
    visible: bool = True


def _styled(key: str, visible: bool = True) -> LayerSpec:
    """Spec of a one-colour web-map layer of :data:`LAYER_STYLES`."""
    s = LAYER_STYLES[key]
    return LayerSpec(s.title, s.color, weight_px=s.weight, radius_px=s.radius, visible=visible)


def _city(name: str, visible: bool) -> LayerSpec:
    return LayerSpec(name.replace("_", " ").capitalize(), LAYER_STYLE[name][0], visible=visible)


#: Styles per GeoPackage and layer, top of the layer tree first (the combined map draws the
#: last-added layer on top). Layers not listed get a grey symbol and are hidden.
LAYER_SPECS: dict[str, dict[str, LayerSpec]] = {
    "airspace.gpkg": {
        "hubs": _styled("hubs"),
        "trunk": _styled("trunk", visible=False),
        "corridors": LayerSpec("Drone corridors", field="ground_risk", ramp=RISK_RAMP, weight_px=4),
        "nofly": LayerSpec("No-fly zones", field="kind", fill_opacity=0.25, visible=False),
        "obstacles": LayerSpec("Obstacles", "#4d4d4d", visible=False),
        "corridor_area": LayerSpec("Corridor area", LAYER_STYLES["trunk"].color, visible=False),
    },
    "fiber_plan.gpkg": {
        "drops": _styled("drops", visible=False),
        "cabinets": _styled("cabinets", visible=False),
        "routes": LayerSpec("Planned routes", field="phase", weight_px=4, visible=False),
        "splitters": LayerSpec("Splitters", "#333333", radius_px=3, visible=False),
        "unreachable": LayerSpec("Unreachable premises", "#7f7f7f", radius_px=3, visible=False),
    },
    "fiber.gpkg": {
        "assets": _styled("assets"),
        "gap_clusters": _styled("gap_clusters", visible=False),
        "premises": LayerSpec("Premises", field="fiber_class", classes=CLASS_COLORS, radius_px=3),
        "hex": LayerSpec(
            "Coverage hexes",
            field="coverage_pct",
            ramp=HEX_RAMP,
            domain=(0, 100),
            weight_px=0.6,
            fill_opacity=0.6,
        ),
        "districts": LayerSpec("Districts", "#444444", fill_opacity=0.0, visible=False),
    },
    "layers.gpkg": {
        "key_places": _city("key_places", True),
        "telecom": _city("telecom", True),
        "buildings": _city("buildings", True),
        "airspace": _city("airspace", False),
        "landuse": _city("landuse", False),
        "streets": _city("streets", False),
    },
}

#: Layer-tree groups by GeoPackage, top first; other GeoPackages get a group of their own.
GROUPS = {
    "sites.gpkg": "Joint plan (new sites, backhaul)",
    "radio.gpkg": "Mobile coverage",
    "airspace.gpkg": "Drones",
    "fiber_plan.gpkg": "Fibre plan",
    "fiber.gpkg": "Fibre coverage",
    "layers.gpkg": "City data",
}


def _key(gpkg: str, table: str) -> str:
    """Key of a layer in :data:`LAYER_SPECS` (every ``hex<r>`` layer shares ``hex``)."""
    return "hex" if gpkg == "fiber.gpkg" and table.startswith("hex") else table


def _spec(gpkg: str, table: str) -> LayerSpec:
    return LAYER_SPECS.get(gpkg, {}).get(_key(gpkg, table)) or LayerSpec(
        table.replace("_", " ").capitalize(), visible=False
    )


def _ramp_ranges(ramp: tuple[str, ...], lo: float, hi: float) -> list[Range]:
    """One range per ramp colour, equal intervals from ``lo`` to ``hi``."""
    hi = hi if hi > lo else lo + 1
    step = (hi - lo) / len(ramp)
    return [Range(lo + i * step, lo + (i + 1) * step, c) for i, c in enumerate(ramp)]


def layer_renderer(path: Path, layer: GpkgLayer, family: str) -> ET.Element:
    """Return the ``<renderer-v2>`` of one layer of a GeoPackage for one geometry family.

    Parameters
    ----------
    path : Path
        The ``.gpkg`` file (categories and ranges are read from its data).
    layer : GpkgLayer
        The layer.
    family : str
        ``point``, ``line`` or ``polygon``.

    Returns
    -------
    Element
    """
    spec = _spec(path.name, layer.table)
    width = spec.weight_px * _MM_PER_PX
    base = SymbolStyle(
        family, spec.color, width, 2 * spec.radius_px * _MM_PER_PX, spec.fill_opacity
    )
    if spec.field is None or spec.field not in layer.fields:
        return single_renderer(base)
    if spec.ramp is not None:
        bounds = spec.domain or numeric_range(path, layer.table, spec.field) or (0.0, 1.0)
        return graduated_renderer(spec.field, _ramp_ranges(spec.ramp, *bounds), base)
    if spec.classes is not None:
        cats = [Category(v, v, c) for v, c in spec.classes.items()]
    else:
        values = distinct_values(path, layer.table, spec.field)
        cats = [Category(v, v, PALETTE[i % len(PALETTE)]) for i, v in enumerate(values)]
    return categorized_renderer(spec.field, cats, base)


def _gpkg_files(out_dir: Path) -> list[Path]:
    """Return the run's GeoPackages in layer-tree order (known ones first)."""
    known = [out_dir / name for name in GROUPS if (out_dir / name).is_file()]
    return known + sorted(p for p in out_dir.glob("*.gpkg") if p not in known)


def write_layer_styles(out_dir: str | Path) -> list[Path]:
    """Write the QML style of every layer into each GeoPackage's ``layer_styles`` table.

    Colours match the web maps (:mod:`planner.render.layers`). A layer of mixed geometry
    gets one style per geometry family (the first the default). QGIS applies the default
    style when it opens a layer.

    Parameters
    ----------
    out_dir : path-like
        The run's output folder.

    Returns
    -------
    list of Path
        The GeoPackages updated.
    """
    out = []
    for path in _gpkg_files(Path(out_dir)):
        rows = []
        for layer in feature_layers(path):
            families = geometry_families(path, layer) or ["polygon"]
            for i, fam in enumerate(families):
                name = layer.table if len(families) == 1 else f"{layer.table} {fam}"
                qml = qml_document(layer_renderer(path, layer, fam))
                rows.append(StyleRow(layer.table, layer.geometry_column, name, qml, i == 0))
        out.append(write_style_rows(path, rows))
    return out


def _project_layers(path: Path) -> list[ProjectLayer]:
    """Return the map layers of one GeoPackage: one per layer and geometry family."""
    layers = feature_layers(path)
    hexes = sorted((t.table for t in layers if t.table[3:].isdigit()), key=lambda t: int(t[3:]))
    order = {k: i for i, k in enumerate(LAYER_SPECS.get(path.name, {}))}
    out = []
    for layer in sorted(
        layers, key=lambda lyr: (order.get(_key(path.name, lyr.table), 99), lyr.table)
    ):
        spec = _spec(path.name, layer.table)
        visible = spec.visible and (layer.table not in hexes or layer.table == hexes[-1])
        title = f"{spec.title} r{layer.table[3:]}" if layer.table in hexes else spec.title
        families = geometry_families(path, layer)
        for fam in families:
            source = f"./{path.name}|layername={layer.table}"
            label = title
            if len(families) > 1:
                source += f"|geometrytype={GEOMETRY_NAMES[fam][1]}"
                label = f"{title} ({fam}s)"
            lid = f"{path.stem}_{layer.table}_{fam}"
            renderer = layer_renderer(path, layer, fam)
            out.append(ProjectLayer(lid, label, source, fam, renderer, visible))
    return out


#: Rasters drawn in a GeoPackage's group, below the layer named: (file, title, below).
RASTERS = {"airspace.gpkg": ("ground_risk.tif", "Ground risk (iGRC)", "corridors")}


def _risk_palette(path: Path) -> list[tuple[int, str, str]]:
    """Paletted classes of the iGRC raster, coloured as the web map's overlay.

    The web map colours :func:`planner.config.sora.risk_rank` (out of scope ranked 11) with
    :data:`RISK_CMAP` stretched over the values present; the same here, one entry per value.
    """
    with rasterio.open(path) as src:
        values = np.unique(src.read(1))
    ranks = sora.risk_rank(values)
    lo, hi = (float(ranks.min()), float(ranks.max())) if len(ranks) else (0.0, 1.0)
    cmap = colormaps[RISK_CMAP]
    out = []
    for v, r in zip(values.tolist(), ranks.tolist(), strict=True):
        label = "out of SORA scope" if v == sora.OUT_OF_SCOPE else f"iGRC {v}"
        out.append((int(v), to_hex(cmap((r - lo) / (hi - lo) if hi > lo else 1.0)), label))
    return out


def _raster(out_dir: Path, gpkg: str, crs: CRS | str) -> tuple[str, ET.Element] | None:
    """Return a group's raster (:data:`RASTERS`), if written, and the layer it goes below."""
    if gpkg not in RASTERS or not (out_dir / RASTERS[gpkg][0]).is_file():
        return None
    name, title, below = RASTERS[gpkg]
    layer = paletted_raster_layer(
        Path(name).stem, title, f"./{name}", crs, _risk_palette(out_dir / name)
    )
    return below, layer


def _extent(paths: list[Path], crs: CRS | str) -> tuple[float, float, float, float] | None:
    boxes = [lyr.bounds for p in paths for lyr in feature_layers(p) if lyr.bounds]
    if not boxes:
        return None
    w, s = min(b[0] for b in boxes), min(b[1] for b in boxes)
    e, n = max(b[2] for b in boxes), max(b[3] for b in boxes)
    return Transformer.from_crs(4326, crs, always_xy=True).transform_bounds(w, s, e, n)


def _canvas(root: ET.Element, crs: CRS | str, extent: tuple | None) -> None:
    canvas = ET.SubElement(root, "mapcanvas", {"name": "theMapCanvas", "annotationsVisible": "1"})
    ET.SubElement(canvas, "units").text = "meters"
    if extent is not None:
        box = ET.SubElement(canvas, "extent")
        for tag, v in zip(("xmin", "ymin", "xmax", "ymax"), extent, strict=True):
            ET.SubElement(box, tag).text = repr(float(v))
    ET.SubElement(canvas, "destinationsrs").append(spatialrefsys(crs))


def _add_raster(group: ET.Element, layers_el: ET.Element, layer: ET.Element) -> None:
    lid, title, source = (layer.find(t).text for t in ("id", "layername", "datasource"))
    group.append(tree_layer(lid, title, source, "gdal", False))  # hidden, as in the map
    layers_el.append(layer)


def project_xml(out_dir: Path, city_name: str, crs: CRS | str) -> ET.Element:
    """Return the ``<qgis>`` project element: groups, layers, CRS, extent, OSM basemap."""
    title = f"planner: {city_name}"
    root = ET.Element("qgis", {"projectname": title, "version": QGIS_VERSION})
    ET.SubElement(root, "homePath", {"path": ""})
    ET.SubElement(root, "title").text = title
    ET.SubElement(root, "projectCrs").append(spatialrefsys(crs))
    tree = ET.SubElement(root, "layer-tree-group")
    ET.SubElement(tree, "customproperties")
    layers_el = ET.Element("projectlayers")
    paths = _gpkg_files(out_dir)
    for path in paths:
        group_name = GROUPS.get(path.name, path.stem)
        group = ET.SubElement(
            tree,
            "layer-tree-group",
            {"name": group_name, "checked": "Qt::Checked", "expanded": "1"},
        )
        ET.SubElement(group, "customproperties")
        raster = _raster(out_dir, path.name, crs)
        for pl in _project_layers(path):
            group.append(tree_layer(pl.layer_id, pl.title, pl.source, "ogr", pl.visible))
            layers_el.append(map_layer(pl))
            if raster is not None and pl.layer_id.startswith(f"{path.stem}_{raster[0]}_"):
                _add_raster(group, layers_el, raster[1])
                raster = None
        if raster is not None:
            _add_raster(group, layers_el, raster[1])
    base = ET.SubElement(tree, "layer-tree-group", {"name": "Basemap", "checked": "Qt::Checked"})
    base.append(tree_layer("osm_basemap", "OpenStreetMap", "", "wms", True))
    layers_el.append(osm_layer("osm_basemap"))
    root.append(layers_el)
    _canvas(root, crs, _extent(paths, crs))
    props = ET.SubElement(root, "properties")
    ET.SubElement(ET.SubElement(props, "Paths"), "Absolute", {"type": "bool"}).text = "false"
    srs = ET.SubElement(props, "SpatialRefSys")  # QGIS reads projectCrs only when enabled
    ET.SubElement(srs, "ProjectionsEnabled", {"type": "int"}).text = "1"
    return root


def write_qgis_project(out_dir: str | Path, city_name: str, crs: CRS | str) -> Path:
    """Write ``planner.qgz``: every GeoPackage layer styled, grouped as in the combined map.

    Sources are relative (``./fiber.gpkg|layername=premises``), so the folder can be moved;
    the project CRS is the city CRS and an OpenStreetMap XYZ basemap sits at the bottom.

    Parameters
    ----------
    out_dir : path-like
        The run's output folder holding the GeoPackages.
    city_name : str
        Project title ``planner: <city_name>``.
    crs : CRS or str
        The city CRS.

    Returns
    -------
    Path
        ``<out_dir>/planner.qgz`` (a zip holding ``planner.qgs``).
    """
    out_dir = Path(out_dir)
    root = project_xml(out_dir, city_name, crs)
    body = ET.tostring(root, encoding="unicode")
    text = f"<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n{body}\n"
    path = out_dir / "planner.qgz"
    with atomic_path(path) as tmp:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("planner.qgs", text)
    return path
