"""Building heights, households and premises estimated from OSM tags and documented defaults."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.config.buildings import BuildingAssumptions

_NUMBER = re.compile(r"([-+]?\d+(?:[.,]\d+)?)")


def parse_number(values: pd.Series, feet_aware: bool = True) -> pd.Series:
    """Parse OSM numeric tags such as ``"12"``, ``"12.5 m"``, ``"40'"`` or ``"3;4"`` to floats.

    Feet (``ft`` or ``'``) are converted to metres; anything unparseable becomes NaN.
    """
    text = values.astype("string")
    num = text.str.extract(_NUMBER.pattern, expand=False).str.replace(",", ".", regex=False)
    out = pd.to_numeric(num, errors="coerce").astype(float)
    if feet_aware:
        feet = text.str.contains(r"ft|'|feet", case=False, regex=True, na=False).to_numpy()
        out[feet] = out[feet] * 0.3048
    out[out < 0] = np.nan
    return out


def estimate_buildings(
    raw: gpd.GeoDataFrame,
    addresses: gpd.GeoDataFrame,
    assumptions: BuildingAssumptions,
    landuse: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Add heights, floor area and premises to projected OSM building polygons.

    Parameters
    ----------
    raw : GeoDataFrame
        Building polygons (projected, metres) with OSM tag columns (``building``, ``height``,
        ``building:levels``, ``building:flats``, ``shop``, ``amenity``, ...).
    addresses : GeoDataFrame
        Address points (``addr:housenumber``), projected; counted per building.
    assumptions : BuildingAssumptions
        Defaults for missing tags.
    landuse : GeoDataFrame, optional
        OSM ``landuse`` polygons (projected) with a ``landuse`` column; untyped buildings
        inside ``assumptions.non_residential_landuse`` zones count as business buildings,
        inside ``assumptions.single_household_landuse`` zones as one household at most.

    Returns
    -------
    GeoDataFrame
        Columns ``osm_id``, ``osm_type``, ``building``, ``name``, ``height_m``, ``height_source``
        (``tag``, ``levels`` or ``default``), ``levels``, ``footprint_m2``, ``floor_area_m2``,
        ``residential``, ``households``, ``premises``, ``premises_source``, ``addresses`` and
        ``people``. ``attrs["households_scale"]`` is the census calibration factor (1.0 when
        ``assumptions.households_total`` is not set).

    Notes
    -----
    Households: ``building:flats`` when tagged; else one per single-household type (house,
    detached, ...); else floor area / ``floor_area_per_household_m2`` for residential types
    (at least one). Addresses inside a building raise its count when they are more.
    Non-residential buildings hold one business premise; ancillary buildings (garages, sheds)
    and buildings smaller than ``min_premise_footprint_m2`` hold none. With
    ``households_total`` set, households estimated from floor area are scaled (at least one
    per building) so the residential total matches the census figure as closely as possible.
    """
    a = assumptions
    b = raw[raw.geom_type.isin(["Polygon", "MultiPolygon"])].copy().reset_index(drop=True)
    btype = b["building"].astype("string").fillna("yes").str.lower()
    b["building"] = btype
    b["footprint_m2"] = b.geometry.area.round(1)

    tag_h = parse_number(b["height"])
    levels_tag = parse_number(b["building:levels"], feet_aware=False)
    default_lv = btype.map(a.default_levels).astype(float).fillna(a.default_levels.get("yes", 2))
    levels = levels_tag.where(levels_tag > 0, default_lv)
    b["levels"] = levels.round(1)
    h_levels = levels_tag * a.metres_per_level
    b["height_m"] = np.where(
        tag_h > 0, tag_h, np.where(levels_tag > 0, h_levels, default_lv * a.metres_per_level)
    ).round(2)
    b["height_source"] = np.where(tag_h > 0, "tag", np.where(levels_tag > 0, "levels", "default"))
    b["floor_area_m2"] = (b["footprint_m2"] * b["levels"]).round(1)

    business = pd.Series(False, index=b.index)
    for col in ("shop", "amenity", "office", "craft", "tourism"):
        business |= b[col].notna()
    is_res_type = btype.isin(a.residential_types)
    is_generic = btype.isin(["yes", "other"])
    zone = _zone_of(b, landuse)
    in_business_zone = is_generic & zone.isin(a.non_residential_landuse)
    in_rural_zone = is_generic & zone.isin(a.single_household_landuse)
    business |= in_business_zone
    ancillary = btype.isin(a.ancillary_types)
    residential = is_res_type | (is_generic & ~business & a.generic_buildings_residential)
    too_small = b["footprint_m2"] < a.min_premise_footprint_m2
    b["residential"] = residential & ~ancillary

    flats = parse_number(b["building:flats"], feet_aware=False)
    small_generic = is_generic & ~(levels_tag > 0) & (b["footprint_m2"] <= a.house_max_footprint_m2)
    single = btype.isin(a.single_household_types) | small_generic | in_rural_zone
    by_area = np.maximum(1, np.floor(b["floor_area_m2"] / a.floor_area_per_household_m2))
    households = np.where(single, 1.0, by_area)
    source = np.where(
        in_rural_zone & ~btype.isin(a.single_household_types),
        "landuse",
        np.where(single, "type", "floor_area"),
    )
    households = np.where(flats > 0, flats, households)
    source = np.where(flats > 0, "flats", source)

    b["addresses"] = _count_addresses(b, addresses)
    more_addr = (b["addresses"] > households) & ~(flats > 0)
    households = np.where(more_addr, b["addresses"], households)
    source = np.where(more_addr, "addresses", source)

    res = b["residential"].to_numpy() & ~too_small.to_numpy()
    households, scale = _calibrate(households, source == "floor_area", res, a.households_total)
    b["households"] = np.where(res, households, 0).astype(int)
    nonres_premise = ~b["residential"] & ~ancillary & ~too_small
    b["premises"] = np.where(res, households, np.where(nonres_premise, 1, 0)).astype(int)
    b["premises_source"] = np.where(
        res, source, np.where(nonres_premise, "non_residential", "none")
    )
    b["people"] = (b["households"] * a.people_per_household).round(2)
    cols = [
        "osm_id",
        "osm_type",
        "building",
        "name",
        "height_m",
        "height_source",
        "levels",
        "footprint_m2",
        "floor_area_m2",
        "residential",
        "households",
        "premises",
        "premises_source",
        "addresses",
        "people",
        "geometry",
    ]
    b["name"] = b["name"].astype("string")
    out = gpd.GeoDataFrame(b[cols], geometry="geometry", crs=raw.crs)
    out.attrs["households_scale"] = scale
    return out


def _zone_of(b: gpd.GeoDataFrame, landuse: gpd.GeoDataFrame | None) -> pd.Series:
    """Return the ``landuse`` of the zone holding each building's representative point."""
    zone = pd.Series(pd.NA, index=b.index, dtype="string")
    if landuse is None or len(landuse) == 0 or len(b) == 0:
        return zone
    polys = landuse[landuse.geom_type.isin(["Polygon", "MultiPolygon"])]
    pts = b.geometry.representative_point()
    idx_b, idx_z = polys.sindex.query(pts, predicate="within")
    # a building in several zones (nested polygons) takes the smallest, most specific one
    order = np.lexsort((polys.geometry.area.to_numpy()[idx_z], idx_b))
    idx_b, idx_z = idx_b[order], idx_z[order]
    first = np.unique(idx_b, return_index=True)[1]
    zone.iloc[idx_b[first]] = polys["landuse"].astype("string").to_numpy()[idx_z[first]]
    return zone


def _calibrate(
    households: np.ndarray, scalable: np.ndarray, residential: np.ndarray, total: int | None
) -> tuple[np.ndarray, float]:
    """Scale floor-area household estimates so residential households sum to ``total``."""
    h = np.asarray(households, dtype=float)
    sel = scalable & residential
    if total is None or not sel.any():
        return h, 1.0
    target = total - h[residential & ~scalable].sum()
    base = h[sel].sum()
    s = max(target, 0.0) / base
    for _ in range(4):  # rounding and the one-household floor drift: correct a few times
        new = np.maximum(1.0, np.round(h[sel] * s))
        if new.sum() == target or new.sum() <= sel.sum():
            break
        s *= target / new.sum()
    out = h.copy()
    out[sel] = new
    return out, float(out[sel].sum() / base)


def _count_addresses(b: gpd.GeoDataFrame, addresses: gpd.GeoDataFrame) -> np.ndarray:
    """Count distinct addresses per building: tagged on the building plus points inside it."""
    own = b["addr:housenumber"].notna().to_numpy().astype(int)
    if addresses is None or len(addresses) == 0 or len(b) == 0:
        return own
    pts = addresses[addresses.geom_type == "Point"]
    idx_pt, idx_b = b.sindex.query(pts.geometry, predicate="within")
    counts = np.bincount(idx_b, minlength=len(b))
    return np.maximum(own, counts)
