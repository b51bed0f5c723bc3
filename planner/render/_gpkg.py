"""GeoPackage metadata via sqlite3: feature layers, fields, geometry families, layer_styles."""

from __future__ import annotations

import shutil
import sqlite3
import struct
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from planner._files import atomic_path

__all__ = [
    "STYLE_TABLE",
    "GpkgLayer",
    "StyleRow",
    "distinct_values",
    "feature_layers",
    "geometry_families",
    "numeric_range",
    "write_style_rows",
]

#: The QGIS convention's style table (QGIS and GDAL read it).
STYLE_TABLE = "layer_styles"

_CREATE = f"""CREATE TABLE {STYLE_TABLE} (
  id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), f_table_schema TEXT(256),
  f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT,
  styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30),
  update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"""

#: Geometry family of each GeoPackage geometry type (and WKB type code % 1000).
_FAMILY = {"POINT": "point", "LINESTRING": "line", "POLYGON": "polygon"}
_FAMILY |= {f"MULTI{k}": v for k, v in _FAMILY.items()}
_WKB_FAMILY = {1: "point", 4: "point", 2: "line", 5: "line", 3: "polygon", 6: "polygon"}
#: Envelope size in bytes by the GeoPackage geometry header's envelope code.
_ENVELOPE = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


@dataclass(frozen=True)
class GpkgLayer:
    """One feature table: name, geometry column and type, attribute fields, WGS84 bounds."""

    table: str
    geometry_column: str
    geometry_type: str
    fields: tuple[str, ...]
    bounds: tuple[float, float, float, float] | None


@dataclass(frozen=True)
class StyleRow:
    """One ``layer_styles`` row: the table it styles, style name, QML and default flag."""

    table: str
    geometry_column: str
    name: str
    qml: str
    default: bool = True
    description: str = ""


def _q(name: str) -> str:
    """Quote an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def feature_layers(path: str | Path) -> list[GpkgLayer]:
    """Return the feature tables of a GeoPackage in ``gpkg_contents`` order.

    Parameters
    ----------
    path : path-like
        The ``.gpkg`` file.

    Returns
    -------
    list of GpkgLayer
    """
    sql = (
        "SELECT c.table_name, g.column_name, g.geometry_type_name, c.min_x, c.min_y, c.max_x,"
        " c.max_y FROM gpkg_contents c JOIN gpkg_geometry_columns g USING (table_name)"
        " WHERE c.data_type = 'features' ORDER BY c.rowid"
    )
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as con:
        out = []
        for table, geom, gtype, *box in con.execute(sql).fetchall():
            cols = [r[1] for r in con.execute(f"PRAGMA table_info({_q(table)})")]
            fields = tuple(c for c in cols if c not in (geom, "fid"))
            bounds = tuple(box) if None not in box else None
            out.append(GpkgLayer(table, geom, gtype.upper(), fields, bounds))
    return out


def _blob_family(blob: bytes | None) -> str | None:
    """Geometry family of one GeoPackage geometry blob (None: empty or unknown)."""
    if not blob or len(blob) < 8 or blob[:2] != b"GP":
        return None
    flags = blob[3]
    if flags & 0x10:  # empty geometry
        return None
    start = 8 + _ENVELOPE.get((flags >> 1) & 0x07, 0)
    if len(blob) < start + 5:
        return None
    order = "<" if blob[start] == 1 else ">"
    (code,) = struct.unpack(f"{order}I", blob[start + 1 : start + 5])
    return _WKB_FAMILY.get(code % 1000)


def geometry_families(path: str | Path, layer: GpkgLayer) -> list[str]:
    """Return the geometry families (point / line / polygon) present in a layer.

    A layer of one declared type has that family; a generic ``GEOMETRY`` layer is scanned.

    Parameters
    ----------
    path : path-like
        The ``.gpkg`` file.
    layer : GpkgLayer
        One of :func:`feature_layers`.

    Returns
    -------
    list of str
        In the order point, line, polygon.
    """
    if layer.geometry_type in _FAMILY:
        return [_FAMILY[layer.geometry_type]]
    sql = f"SELECT substr({_q(layer.geometry_column)}, 1, 80) FROM {_q(layer.table)}"
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as con:
        found = {_blob_family(b) for (b,) in con.execute(sql)}
    return [f for f in ("point", "line", "polygon") if f in found]


def distinct_values(path: str | Path, table: str, field: str) -> list[str]:
    """Return the distinct non-null values of ``field`` as text, sorted as in the web maps.

    Numbers sort numerically (plan phases), text alphabetically.
    """
    sql = f"SELECT DISTINCT {_q(field)} FROM {_q(table)} WHERE {_q(field)} IS NOT NULL"
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as con:
        values = [v for (v,) in con.execute(sql)]
    values.sort(key=lambda v: (isinstance(v, str), v))
    return [_text(v) for v in values]


def _text(v: object) -> str:
    """Value text as QGIS compares it (integral floats without ``.0``)."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def numeric_range(path: str | Path, table: str, field: str) -> tuple[float, float] | None:
    """Return ``(min, max)`` of a numeric field, or None when it has no values."""
    sql = f"SELECT min({_q(field)}), max({_q(field)}) FROM {_q(table)}"
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as con:
        lo, hi = con.execute(sql).fetchone()
    return None if lo is None or hi is None else (float(lo), float(hi))


@contextmanager
def _edited_copy(path: Path) -> Iterator[sqlite3.Connection]:
    """Yield a connection to a temporary copy of ``path``; replace ``path`` when it succeeds."""
    with atomic_path(path) as tmp:
        shutil.copy2(path, tmp)
        with closing(sqlite3.connect(tmp)) as con:
            with con:
                yield con


def write_style_rows(path: str | Path, rows: Sequence[StyleRow]) -> Path:
    """Replace the ``layer_styles`` table of a GeoPackage with ``rows`` (atomically).

    The table is registered in ``gpkg_contents`` as an ``attributes`` table (and in
    ``gpkg_ogr_contents`` when present) so GDAL and QGIS list it.

    Parameters
    ----------
    path : path-like
        The ``.gpkg`` file.
    rows : sequence of StyleRow
        The styles.

    Returns
    -------
    Path
    """
    path = Path(path)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    with _edited_copy(path) as con:
        con.execute(f"DROP TABLE IF EXISTS {STYLE_TABLE}")
        con.execute("DELETE FROM gpkg_contents WHERE table_name = ?", (STYLE_TABLE,))
        con.execute(_CREATE)
        con.executemany(
            f"INSERT INTO {STYLE_TABLE} (f_table_catalog, f_table_schema, f_table_name,"
            " f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description,"
            " owner, ui, update_time) VALUES ('', '', ?, ?, ?, ?, '', ?, ?, 'planner', NULL, ?)",
            [
                (r.table, r.geometry_column, r.name, r.qml, int(r.default), r.description, now)
                for r in rows
            ],
        )
        con.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description,"
            " last_change) VALUES (?, 'attributes', ?, 'QGIS layer styles', ?)",
            (STYLE_TABLE, STYLE_TABLE, now),
        )
        ogr = con.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'gpkg_ogr_contents'"
        ).fetchone()
        if ogr:
            con.execute("DELETE FROM gpkg_ogr_contents WHERE table_name = ?", (STYLE_TABLE,))
            con.execute(
                "INSERT INTO gpkg_ogr_contents (table_name, feature_count) VALUES (?, ?)",
                (STYLE_TABLE, len(rows)),
            )
    return path
