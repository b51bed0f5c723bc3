"""QGIS 3 renderer XML (single-symbol, categorized, graduated) and QML style documents."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "QGIS_VERSION",
    "Category",
    "Range",
    "SymbolStyle",
    "categorized_renderer",
    "graduated_renderer",
    "qgis_color",
    "qml_document",
    "single_renderer",
]

#: The QGIS version written into QML and project files (Debian bookworm's QGIS reads them).
QGIS_VERSION = "3.22.16-Białowieża"

#: QGIS symbol type and symbol-layer class per geometry family.
_SYMBOL_CLASS = {"point": ("marker", "SimpleMarker"), "line": ("line", "SimpleLine")}
_SYMBOL_CLASS["polygon"] = ("fill", "SimpleFill")


@dataclass(frozen=True)
class SymbolStyle:
    """How one symbol is drawn: geometry family, colour, sizes (mm) and fill opacity."""

    family: str  # "point", "line" or "polygon"
    color: str
    width: float = 0.5
    size: float = 2.0
    fill_opacity: float = 0.4


@dataclass(frozen=True)
class Category:
    """One class of a categorized renderer: the attribute value, its label and colour."""

    value: str
    label: str
    color: str


@dataclass(frozen=True)
class Range:
    """One class of a graduated renderer: ``lower`` to ``upper`` of the attribute."""

    lower: float
    upper: float
    color: str


def qgis_color(hex_color: str, alpha: float = 1.0) -> str:
    """Return a ``#rrggbb`` colour as QGIS's ``r,g,b,a`` text.

    Parameters
    ----------
    hex_color : str
        ``#rrggbb``.
    alpha : float
        Opacity 0..1.

    Returns
    -------
    str
    """
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{round(255 * alpha)}"


def _props(style: SymbolStyle) -> dict[str, str]:
    """Symbol-layer properties of ``style`` (QGIS ``prop`` keys)."""
    color = qgis_color(style.color)
    if style.family == "point":
        return {
            "name": "circle",
            "color": color,
            "outline_color": "35,35,35,255",
            "outline_width": "0.2",
            "size": str(style.size),
        }
    if style.family == "line":
        return {
            "line_color": color,
            "line_width": str(style.width),
            "line_style": "solid",
            "capstyle": "round",
            "joinstyle": "round",
        }
    return {
        "color": qgis_color(style.color, style.fill_opacity),
        "outline_color": color,
        "outline_width": str(style.width),
        "outline_style": "solid",
        "style": "solid",
    }


def _symbol(name: str, style: SymbolStyle) -> ET.Element:
    """Return a ``<symbol>`` element with one simple symbol layer."""
    kind, cls = _SYMBOL_CLASS[style.family]
    sym = ET.Element(
        "symbol",
        {"type": kind, "name": name, "alpha": "1", "clip_to_extent": "1", "force_rhr": "0"},
    )
    layer = ET.SubElement(sym, "layer", {"class": cls, "enabled": "1", "locked": "0", "pass": "0"})
    for k, v in _props(style).items():
        ET.SubElement(layer, "prop", {"k": k, "v": v})
    return sym


def _renderer(kind: str, **attrs: str) -> ET.Element:
    base = {"type": kind, "symbollevels": "0", "enableorderby": "0", "forceraster": "0"}
    return ET.Element("renderer-v2", {**base, **attrs})


def single_renderer(style: SymbolStyle) -> ET.Element:
    """Return a single-symbol ``<renderer-v2>``.

    Parameters
    ----------
    style : SymbolStyle
        The symbol.

    Returns
    -------
    Element
    """
    r = _renderer("singleSymbol")
    ET.SubElement(r, "symbols").append(_symbol("0", style))
    return r


def categorized_renderer(
    field: str, categories: Sequence[Category], base: SymbolStyle
) -> ET.Element:
    """Return a categorized ``<renderer-v2>`` on ``field``, one symbol per category.

    Parameters
    ----------
    field : str
        The attribute.
    categories : sequence of Category
        Values, labels and colours (labels may be untrusted text: ElementTree escapes them).
    base : SymbolStyle
        Geometry family and sizes; each category replaces the colour.

    Returns
    -------
    Element
    """
    r = _renderer("categorizedSymbol", attr=field)
    cats = ET.SubElement(r, "categories")
    syms = ET.SubElement(r, "symbols")
    for i, c in enumerate(categories):
        attrs = {"render": "true", "value": c.value, "label": c.label, "symbol": str(i)}
        ET.SubElement(cats, "category", attrs)
        syms.append(_symbol(str(i), _recolor(base, c.color)))
    return r


def graduated_renderer(field: str, ranges: Sequence[Range], base: SymbolStyle) -> ET.Element:
    """Return a graduated ``<renderer-v2>`` on ``field``, one symbol per range.

    Parameters
    ----------
    field : str
        The numeric attribute.
    ranges : sequence of Range
        Class bounds and colours.
    base : SymbolStyle
        Geometry family and sizes; each range replaces the colour.

    Returns
    -------
    Element
    """
    r = _renderer("graduatedSymbol", attr=field, graduatedMethod="GraduatedColor")
    rng = ET.SubElement(r, "ranges")
    syms = ET.SubElement(r, "symbols")
    for i, c in enumerate(ranges):
        label = f"{c.lower:g} - {c.upper:g}"
        attrs = {"render": "true", "lower": repr(c.lower), "upper": repr(c.upper)}
        ET.SubElement(rng, "range", {**attrs, "label": label, "symbol": str(i)})
        syms.append(_symbol(str(i), _recolor(base, c.color)))
    return r


def _recolor(base: SymbolStyle, color: str) -> SymbolStyle:
    return SymbolStyle(base.family, color, base.width, base.size, base.fill_opacity)


def qml_document(renderer: ET.Element) -> str:
    """Return a QGIS 3 QML style document holding ``renderer`` (symbology only).

    Parameters
    ----------
    renderer : Element
        A ``<renderer-v2>`` element.

    Returns
    -------
    str
    """
    root = ET.Element("qgis", {"version": QGIS_VERSION, "styleCategories": "Symbology"})
    root.append(renderer)
    body = ET.tostring(root, encoding="unicode")
    return f"<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n{body}\n"
