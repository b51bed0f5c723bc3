"""Classify raw OSM features into the telecom, airspace, land-use and key-place layers."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from planner.city.buildings import parse_number
from planner.config.radio import (
    AIRPORT_TYPES,
    KEY_PLACE_CLASSES,
    NON_MAINLINE_STATIONS,
    TOURISM_AREA_AREA_ONLY,
    TOURISM_AREA_TYPES,
)


def _tag(f: gpd.GeoDataFrame, key: str) -> pd.Series:
    return f[key].astype("string").str.lower() if key in f else pd.Series(pd.NA, index=f.index)


def _select(
    f: gpd.GeoDataFrame, rules: list[tuple[str, pd.Series]], extra: list[str]
) -> gpd.GeoDataFrame:
    """Apply ordered (kind, mask) rules; the first matching rule gives a feature its kind."""
    kind = pd.Series(pd.NA, index=f.index, dtype="string")
    for name, mask in rules:
        kind = kind.where(kind.notna() | ~mask.fillna(False).astype(bool), name)
    keep = kind.notna()
    out = f.loc[keep, ["osm_id", "osm_type", "name", *extra, "geometry"]].copy()
    out.insert(2, "kind", kind[keep])
    out["name"] = out["name"].astype("string")
    return gpd.GeoDataFrame(out.reset_index(drop=True), geometry="geometry", crs=f.crs)


_MOBILE_VALUES = ["yes", "gsm", "lte", "5g", "umts"]


def mobile_antenna(f: gpd.GeoDataFrame) -> pd.Series:
    """Mask of ``man_made=antenna`` features that carry mobile antennas (issue 11).

    An antenna counts with ``tower:type=communication``, with ``communication:mobile_phone``
    set to anything but ``no``, or on a roof (``location=roof|rooftop``: mapped rooftop
    antennas are base stations; ``communication:mobile_phone=no`` still excludes them). A
    bare ``man_made=antenna`` may be a TV or amateur-radio antenna and is left out.
    """
    mobile_tag = _tag(f, "communication:mobile_phone")
    not_no = mobile_tag.isna() | mobile_tag.ne("no")
    tagged = _tag(f, "tower:type").eq("communication") | (mobile_tag.notna() & mobile_tag.ne("no"))
    roof = _tag(f, "location").isin(["roof", "rooftop"]) & not_no
    return _tag(f, "man_made").eq("antenna") & (tagged.fillna(False) | roof.fillna(False))


def telecom_layer(f: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return fixed and mobile network assets: exchanges, cabinets, connection points, masts.

    Returns a GeoDataFrame with ``kind`` (``exchange``, ``cabinet``, ``connection_point``,
    ``distribution_point``, ``fibre_line``, ``mast``, ``tower``, ``antenna``), ``operator``,
    ``height_m``, ``mobile`` (carries mobile antennas) and ``fibre`` (fixed-network fibre asset).
    """
    telecom = _tag(f, "telecom")
    man_made = _tag(f, "man_made")
    tower_type = _tag(f, "tower:type")
    mobile_tag = _tag(f, "communication:mobile_phone")
    medium = _tag(f, "telecom:medium")
    cabinet = _tag(f, "street_cabinet")
    comm_tower = (man_made.isin(["tower", "mast"]) & tower_type.eq("communication")) | man_made.eq(
        "communications_tower"
    )
    rules = [
        ("exchange", telecom.isin(["exchange", "central_office", "data_center"])),
        ("connection_point", telecom.eq("connection_point")),
        ("distribution_point", telecom.isin(["distribution_point", "service_device"])),
        ("cabinet", man_made.eq("street_cabinet") & (cabinet.eq("telecom") | telecom.notna())),
        ("fibre_line", medium.isin(["fibre", "fiber"]) & telecom.isin(["line", "cable"])),
        ("tower", comm_tower & man_made.ne("mast")),
        ("mast", (man_made.eq("mast") & (tower_type.isna() | tower_type.eq("communication")))),
        ("antenna", mobile_antenna(f)),
        ("mast", mobile_tag.isin(_MOBILE_VALUES)),
        ("fibre_line", medium.isin(["fibre", "fiber"])),
    ]
    out = _select(f, rules, ["operator", "height", "telecom:medium", "communication:mobile_phone"])
    out["height_m"] = parse_number(out.pop("height"))
    medium = out.pop("telecom:medium").astype("string").str.lower()
    mobile = out.pop("communication:mobile_phone").astype("string").str.lower()
    out["mobile"] = out["kind"].isin(["mast", "tower", "antenna"]) | mobile.isin(_MOBILE_VALUES)
    out["fibre"] = medium.isin(["fibre", "fiber"]) | out["kind"].isin(
        ["exchange", "cabinet", "connection_point", "distribution_point", "fibre_line"]
    )
    out["operator"] = out["operator"].astype("string")
    return out


def airspace_layer(f: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return features that restrict low-altitude flight or stand tall (aerodromes, masts...).

    ``kind`` is one of ``aerodrome``, ``runway``, ``heliport``, ``helipad``, ``military``,
    ``prison``, ``government``, ``power_line``, ``power_tower``, ``mast``, ``tower``,
    ``chimney``; ``height_m`` is the tagged height (NaN where unknown).
    """
    aeroway = _tag(f, "aeroway")
    man_made = _tag(f, "man_made")
    power = _tag(f, "power")
    rules = [
        ("aerodrome", aeroway.eq("aerodrome")),
        ("runway", aeroway.eq("runway")),
        ("heliport", aeroway.eq("heliport")),
        ("helipad", aeroway.eq("helipad")),
        ("military", _tag(f, "landuse").eq("military") | _tag(f, "military").notna()),
        ("prison", _tag(f, "amenity").eq("prison")),
        ("government", _tag(f, "office").eq("government")),
        ("power_line", power.isin(["line", "minor_line"])),
        ("power_tower", power.eq("tower")),
        ("mast", man_made.eq("mast")),
        ("tower", man_made.isin(["tower", "communications_tower"])),
        ("chimney", man_made.eq("chimney")),
    ]
    out = _select(f, rules, ["height"])
    out["height_m"] = parse_number(out.pop("height"))
    return out


def landuse_layer(f: gpd.GeoDataFrame, major_roads: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return water, parks, forest, railways and industrial areas, plus major roads."""
    natural = _tag(f, "natural")
    landuse = _tag(f, "landuse")
    railway = _tag(f, "railway")
    rules = [
        ("water", natural.eq("water") | _tag(f, "waterway").isin(["riverbank"])),
        ("water", landuse.eq("reservoir")),
        ("water", _tag(f, "waterway").eq("river")),
        ("forest", natural.eq("wood") | landuse.eq("forest")),
        (
            "park",
            _tag(f, "leisure").isin(["park", "garden"])
            | landuse.isin(["grass", "meadow", "recreation_ground"]),
        ),
        ("railway", railway.isin(["rail", "light_rail", "subway", "tram"])),
        # industrial estates: candidate sites for automatic drone hubs (logistics)
        ("industrial", landuse.eq("industrial")),
    ]
    out = _select(f, rules, [])
    roads = major_roads[["kind", "name", "geometry"]].copy()
    roads["osm_id"] = -1
    roads["osm_type"] = "way"
    return gpd.GeoDataFrame(
        pd.concat([out, roads[out.columns]], ignore_index=True), geometry="geometry", crs=f.crs
    )


def _tourism_area(f: gpd.GeoDataFrame) -> pd.Series:
    """Mask of tourism areas: :data:`TOURISM_AREA_TYPES`, some only as polygons."""
    tourism = _tag(f, "tourism")
    is_area = pd.Series(f.geom_type.isin(["Polygon", "MultiPolygon"]), index=f.index)
    point_ok = [t for t in TOURISM_AREA_TYPES if t not in TOURISM_AREA_AREA_ONLY]
    return tourism.isin(point_ok) | (tourism.isin(TOURISM_AREA_AREA_ONLY) & is_area)


def _airport(f: gpd.GeoDataFrame) -> pd.Series:
    """Mask of airports: aerodromes with an ``iata`` code or of an :data:`AIRPORT_TYPES` type."""
    typed = _tag(f, "aerodrome:type").isin(AIRPORT_TYPES) | _tag(f, "aerodrome").isin(AIRPORT_TYPES)
    return _tag(f, "aeroway").eq("aerodrome") & (_tag(f, "iata").notna() | typed)


def _mainline_station(f: gpd.GeoDataFrame) -> pd.Series:
    """Mask of mainline passenger stations (the proxy of MIIT's class-2+ stations)."""
    station = _tag(f, "station")
    not_local = station.isna() | ~station.isin(NON_MAINLINE_STATIONS)
    return _tag(f, "railway").eq("station") & not_local & _tag(f, "train").ne("no").fillna(True)


def key_places_layer(f: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return the gigabit-city key places: hospitals, schools, universities, stations, sights.

    ``kind`` is ``hospital``, ``university``, ``school``, ``railway_station`` (stations and
    halts, no subway), ``tourism_area`` or ``airport``; ``class`` is the MIIT key-place class
    (:data:`planner.config.radio.KEY_PLACE_CLASSES`): the kind, but NA for schools, and for
    halts and local stations (:func:`_mainline_station`). A feature is one place (its first
    matching kind), so a museum mapped as a building is one tourism area, and a point inside
    an area of the same kind is dropped.
    """
    amenity = _tag(f, "amenity")
    railway = _tag(f, "railway")
    not_subway = _tag(f, "station").ne("subway")
    rules = [
        ("hospital", amenity.eq("hospital") | _tag(f, "healthcare").eq("hospital")),
        ("university", amenity.isin(["university", "college"])),
        ("school", amenity.eq("school")),
        # ``station`` is unset on most mainline stations: NA must not drop them
        ("railway_station", railway.isin(["station", "halt"]) & not_subway.fillna(True)),
        ("tourism_area", _tourism_area(f)),
        ("airport", _airport(f)),
    ]
    out = _select(f.assign(mainline=_mainline_station(f)), rules, ["mainline"])
    mainline = out.pop("mainline").fillna(False).astype(bool)
    kind = out["kind"]
    has_class = kind.isin(list(KEY_PLACE_CLASSES)) & (kind.ne("railway_station") | mainline)
    out["class"] = kind.where(has_class, pd.NA).astype("string")
    return drop_points_in_same_kind_areas(out)


def key_place_only(f: gpd.GeoDataFrame) -> pd.Series:
    """Mask of features the reader fetched for the key places alone (``key_place_only``).

    They come from :data:`planner.city.osm.KEY_PLACE_TAGS` and must not reach the land-use
    zones or any other layer (:func:`planner.city.load.load_city` leaves them out of those).
    """
    if "key_place_only" not in f:
        return pd.Series(False, index=f.index)
    return f["key_place_only"].fillna(False).astype(bool)


def drop_points_in_same_kind_areas(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Keep one record per place: drop a point that lies inside an area of the same ``kind``.

    OSM often maps a hospital or school twice, as a node and as the grounds polygon; counting
    both would inflate key-place KPIs.
    """
    points = gdf.geom_type == "Point"
    areas = gdf.geom_type.isin(["Polygon", "MultiPolygon"])
    if not points.any() or not areas.any():
        return gdf.reset_index(drop=True)
    pts, polys = gdf[points], gdf[areas]
    i_pt, i_poly = polys.sindex.query(pts.geometry, predicate="within")
    same = pts["kind"].to_numpy()[i_pt] == polys["kind"].to_numpy()[i_poly]
    drop = pts.index[i_pt[same]]
    return gdf.drop(index=drop).reset_index(drop=True)


def admin_areas(f: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return administrative boundary polygons (districts) with ``admin_level`` and ``name``."""
    mask = _tag(f, "boundary").eq("administrative") & f.geom_type.isin(["Polygon", "MultiPolygon"])
    out = f.loc[mask, ["osm_id", "name", "admin_level", "geometry"]].copy()
    out["admin_level"] = pd.to_numeric(out["admin_level"], errors="coerce")
    out["name"] = out["name"].astype("string")
    return gpd.GeoDataFrame(out.reset_index(drop=True), geometry="geometry", crs=f.crs)


def counts(layers: dict[str, gpd.GeoDataFrame]) -> dict[str, int]:
    """Return the number of rows per layer."""
    return {name: int(len(gdf)) for name, gdf in layers.items()}


__all__ = [
    "mobile_antenna",
    "telecom_layer",
    "airspace_layer",
    "landuse_layer",
    "key_places_layer",
    "key_place_only",
    "admin_areas",
    "counts",
]
