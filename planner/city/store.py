"""A City as a data-only folder: a GeoPackage of its layers and street graph, and a JSON file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from planner.city.model import LAYER_NAMES, City
from planner.city.streets import rebuilt

__all__ = ["FORMAT", "StoreError", "read_city", "write_city"]

#: Value of ``"format"`` in ``city.json``; anything else is not a stored City.
FORMAT = "planner-city"

_GPKG = "city.gpkg"
_JSON = "city.json"
#: Integers beyond this lose precision as GeoPackage REAL (nullable ints are read as floats).
_EXACT_INT = 2**53


class StoreError(ValueError):
    """A folder is not a readable stored City, or a City holds a value the format cannot keep."""


@dataclass
class FrameSchema:
    """How one GeoDataFrame was stored: column order, dtypes and per-column codec."""

    columns: list[str]
    dtypes: list[str]
    codecs: list[str]
    geometry: str
    attrs: dict

    def to_json(self) -> dict:
        """Return the schema as plain JSON data."""
        return self.__dict__.copy()


# ----------------------------------------------------------------------------- plain values


def plain(value: object) -> object:
    """Return ``value`` unchanged if JSON keeps it exactly, else raise StoreError.

    JSON keeps str, int, float (NaN and infinities included), bool, None, and lists and
    str-keyed dicts of these. Types are checked exactly (no numpy scalars, no tuples): a
    loaded City must hold the very same Python values as a freshly built one.
    """
    kind = type(value)
    if value is None or kind in (str, int, float, bool):
        return value
    if kind is list:
        return [plain(v) for v in value]
    if kind is dict and all(type(k) is str for k in value):
        return {k: plain(v) for k, v in value.items()}
    raise StoreError(f"a {kind.__name__} value cannot be stored as data")


def _dumps(value: object) -> str:
    return json.dumps(plain(value), ensure_ascii=False)


# ----------------------------------------------------------------------------- frames


def _codec(series: pd.Series) -> str:
    """``native`` when the GeoPackage column type keeps every value exactly, else ``json``."""
    dtype = str(series.dtype)
    if dtype in ("str", "string", "bool", "boolean") or dtype.startswith(("int", "uint")):
        return "native"
    if dtype.startswith(("Int", "UInt")):
        values = series.dropna().to_numpy(dtype=float)
        return "native" if not (np.abs(values) >= _EXACT_INT).any() else "json"
    if dtype.startswith("float"):
        values = series.to_numpy(dtype=float)
        return "json" if (np.signbit(values) & (values == 0)).any() else "native"  # -0.0
    if dtype == "object":
        return "json"
    raise StoreError(f"column {series.name!r}: dtype {dtype} cannot be stored")


def encode_frame(gdf: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, FrameSchema]:
    """Return the frame as written to the GeoPackage (JSON text for ``json`` columns)."""
    if not gdf.index.equals(pd.RangeIndex(len(gdf))):
        raise StoreError("only frames with a default RangeIndex can be stored")
    if any(type(c) is not str for c in gdf.columns):
        raise StoreError("only frames with text column names can be stored")
    geometry = gdf.geometry.name
    columns = list(gdf.columns)
    codecs, out = [], {}
    for col in gdf.columns:
        if col == geometry:
            codecs.append("geometry")
            continue
        codec = _codec(gdf[col])
        codecs.append(codec)
        out[col] = _json_text(gdf[col]) if codec == "json" else gdf[col]
    schema = FrameSchema(
        columns=columns,
        dtypes=[str(gdf[c].dtype) for c in gdf.columns],
        codecs=codecs,
        geometry=geometry,
        attrs=plain(dict(gdf.attrs)),
    )
    frame = gpd.GeoDataFrame(out, geometry=gdf.geometry.to_numpy(), crs=gdf.crs)
    return frame, schema


def _json_text(series: pd.Series) -> pd.Series:
    """One JSON text per value; the NA of a nullable dtype (Int64, boolean ...) is ``null``."""
    nullable = isinstance(series.dtype, pd.api.extensions.ExtensionDtype)
    values = [None if nullable and v is pd.NA else v for v in series.tolist()]
    return pd.Series([_dumps(v) for v in values], dtype="str")


def decode_frame(stored: gpd.GeoDataFrame, schema: dict, crs: CRS) -> gpd.GeoDataFrame:
    """Rebuild the original frame from its stored form and :class:`FrameSchema` data."""
    data = {}
    for col, dtype, codec in zip(
        schema["columns"], schema["dtypes"], schema["codecs"], strict=True
    ):
        if codec == "geometry":
            data[col] = gpd.GeoSeries(stored.geometry.to_numpy(), crs=crs)
        elif codec == "json":
            values = [None if v is None or v != v else json.loads(v) for v in stored[col]]
            data[col] = pd.Series(values, dtype=dtype)
        else:
            data[col] = stored[col].astype(dtype).reset_index(drop=True)
    out = gpd.GeoDataFrame(data, geometry=schema["geometry"], crs=crs)
    out.attrs.update(schema["attrs"])
    return out


# ----------------------------------------------------------------------------- graph


def graph_tables(G: nx.MultiDiGraph, crs: CRS) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, dict]:
    """Return the street graph as a node table, an edge table and its graph attributes.

    Node and edge attributes are one JSON object per row (key order kept); an edge's
    ``geometry`` is the table's geometry and a ``null`` in the JSON marks its position.
    Nodes and edges are listed in the graph's iteration order; :func:`graph_from_tables` adds
    them back in that order, which rebuilds the very graph a street graph is
    (:func:`planner.city.streets.rebuilt`).
    """
    ids = list(G.nodes)
    if any(type(n) is not int for n in ids):
        raise StoreError("only integer street node ids can be stored")
    node_attrs = [_dumps(d) for d in G.nodes.values()]
    xy = [(d.get("x"), d.get("y")) for d in G.nodes.values()]
    points = [shapely.Point(x, y) if x is not None and y is not None else None for x, y in xy]
    nodes = gpd.GeoDataFrame(
        {"node": np.array(ids, dtype=np.int64), "attrs": pd.Series(node_attrs, dtype="str")},
        geometry=points,
        crs=crs,
    )
    rows = list(G.edges(keys=True, data=True))
    if any(type(u) is not int or type(v) is not int or type(k) is not int for u, v, k, _ in rows):
        raise StoreError("only integer edge keys can be stored")
    edges = gpd.GeoDataFrame(
        {
            "u": np.array([r[0] for r in rows], dtype=np.int64),
            "v": np.array([r[1] for r in rows], dtype=np.int64),
            "key": np.array([r[2] for r in rows], dtype=np.int64),
            "attrs": pd.Series([_edge_attrs(d) for *_, d in rows], dtype="str"),
        },
        geometry=[d.get("geometry") for *_, d in rows],
        crs=crs,
    )
    graph = {k: (None if k == "crs" else v) for k, v in G.graph.items()}
    if "crs" in G.graph and CRS.from_user_input(G.graph["crs"]) != crs:
        raise StoreError("the street graph's CRS differs from the city's")
    return nodes, edges, plain(graph)


def _edge_attrs(data: dict) -> str:
    geometry = data.get("geometry")
    if geometry is not None and not isinstance(geometry, shapely.LineString):
        raise StoreError("an edge geometry that is not a LineString cannot be stored")
    return _dumps({k: (None if k == "geometry" else v) for k, v in data.items()})


def graph_from_tables(
    nodes: gpd.GeoDataFrame, edges: gpd.GeoDataFrame, graph: dict, crs: CRS
) -> nx.MultiDiGraph:
    """Rebuild the street graph written by :func:`graph_tables`."""
    return rebuilt(
        {k: (crs if k == "crs" else v) for k, v in graph.items()},
        ((n, json.loads(a)) for n, a in zip(nodes["node"].tolist(), nodes["attrs"], strict=True)),
        (
            (u, v, k, _with_geometry(json.loads(a), g))
            for u, v, k, a, g in zip(
                edges["u"].tolist(),
                edges["v"].tolist(),
                edges["key"].tolist(),
                edges["attrs"],
                edges.geometry.to_numpy(),
                strict=True,
            )
        ),
    )


def _with_geometry(attrs: dict, geometry: shapely.Geometry | None) -> dict:
    if "geometry" in attrs:
        attrs["geometry"] = geometry
    return attrs


# ----------------------------------------------------------------------------- city


def write_city(city: City, folder: str | Path, version: str) -> None:
    """Write ``city`` into ``folder`` (created): ``city.gpkg`` and, last, ``city.json``.

    Parameters
    ----------
    city : City
        The city to store.
    folder : str or Path
        Target folder; write into a temporary folder and move it into place for atomicity
        (:func:`planner._files.atomic_dir`).
    version : str
        Format version recorded in ``city.json``; :func:`read_city` refuses any other.

    Raises
    ------
    StoreError
        The city holds a value the format cannot keep exactly (it is then not stored).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    frames = {name: getattr(city, name) for name in LAYER_NAMES}
    frames["boundary"] = gpd.GeoDataFrame(geometry=[city.boundary], crs=city.crs)
    nodes, edges, graph = graph_tables(city.graph, city.crs)
    frames |= {"graph_nodes": nodes, "graph_edges": edges}
    schemas = {}
    for name, gdf in frames.items():
        stored, schema = encode_frame(gdf)
        schemas[name] = schema.to_json()
        pyogrio.write_dataframe(
            stored,
            folder / _GPKG,
            layer=name,
            driver="GPKG",
            geometry_type="Unknown",
            promote_to_multi=False,
        )
    meta = {
        "format": FORMAT,
        "version": version,
        "name": city.name,
        "source": city.source,
        "crs": city.crs.to_wkt(),
        "assumptions": city.assumptions,
        "people_per_household": city.people_per_household,
        "graph": graph,
        "layers": schemas,
    }
    (folder / _JSON).write_text(json.dumps(plain(meta), ensure_ascii=False), encoding="utf-8")


def read_city(folder: str | Path, version: str) -> City:
    """Read a City written by :func:`write_city`; only JSON and GeoPackage data are parsed.

    Raises
    ------
    StoreError
        ``city.json`` is missing, of another format or version, or inconsistent.
    """
    folder = Path(folder)
    try:
        meta = json.loads((folder / _JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StoreError(f"{folder}: no readable {_JSON} ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise StoreError(f"{folder}: not a stored city")
    if meta.get("version") != version:
        raise StoreError(f"{folder}: stored by version {meta.get('version')!r}, not {version!r}")
    crs = CRS.from_wkt(meta["crs"])
    frames = {
        name: decode_frame(
            pyogrio.read_dataframe(folder / _GPKG, layer=name, use_arrow=False), schema, crs
        )
        for name, schema in meta["layers"].items()
    }
    graph = graph_from_tables(frames["graph_nodes"], frames["graph_edges"], meta["graph"], crs)
    return City(
        name=meta["name"],
        source=meta["source"],
        crs=crs,
        graph=graph,
        **{name: frames[name] for name in LAYER_NAMES},
        boundary=frames["boundary"].geometry.iloc[0],
        assumptions=meta["assumptions"],
        people_per_household=float(meta["people_per_household"]),
    )
