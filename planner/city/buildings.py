"""Building heights, households and premises estimated from OSM tags and documented defaults."""

from __future__ import annotations

import re
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.config.buildings import BuildingAssumptions

__all__ = [
    "BUILDING_COLUMNS",
    "BuildingUse",
    "Heights",
    "Households",
    "building_heights",
    "building_use",
    "estimate_buildings",
    "household_counts",
    "parse_number",
]

_NUMBER = re.compile(r"([-+]?\d+(?:[.,]\d+)?)")

#: Columns of the buildings layer, in order.
BUILDING_COLUMNS = [
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
    b = _polygons(raw)
    heights = building_heights(b, assumptions)
    use = building_use(b, assumptions, landuse, heights)
    households = household_counts(b, assumptions, use, heights, addresses)
    return _building_frame(b, assumptions, heights, use, households)


@dataclass
class Heights:
    """Levels and heights of buildings (arrays aligned with the buildings)."""

    levels_tag: pd.Series
    levels: pd.Series
    height_m: np.ndarray
    height_source: np.ndarray


@dataclass
class BuildingUse:
    """What buildings are used for, as boolean masks aligned with the buildings."""

    residential: pd.Series
    ancillary: pd.Series
    too_small: pd.Series
    single_household: pd.Series
    in_rural_zone: pd.Series


@dataclass
class Households:
    """Households per building before the residential filter, and where each count came from."""

    count: np.ndarray
    source: np.ndarray
    addresses: np.ndarray
    scale: float


def _polygons(raw: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return the building polygons with a lower-case ``building`` type and footprint (m²)."""
    b = raw[raw.geom_type.isin(["Polygon", "MultiPolygon"])].copy().reset_index(drop=True)
    b["building"] = b["building"].astype("string").fillna("yes").str.lower()
    b["footprint_m2"] = b.geometry.area.round(1)
    return b


def building_heights(b: gpd.GeoDataFrame, a: BuildingAssumptions) -> Heights:
    """Height from the ``height`` tag, else ``building:levels``, else the type's default levels."""
    btype = b["building"]
    tag_h = parse_number(b["height"])
    levels_tag = parse_number(b["building:levels"], feet_aware=False)
    default_lv = btype.map(a.default_levels).astype(float).fillna(a.default_levels.get("yes", 2))
    levels = levels_tag.where(levels_tag > 0, default_lv).round(1)
    h_levels = levels_tag * a.metres_per_level
    height = np.where(
        tag_h > 0, tag_h, np.where(levels_tag > 0, h_levels, default_lv * a.metres_per_level)
    ).round(2)
    source = np.where(tag_h > 0, "tag", np.where(levels_tag > 0, "levels", "default"))
    return Heights(levels_tag=levels_tag, levels=levels, height_m=height, height_source=source)


def building_use(
    b: gpd.GeoDataFrame,
    a: BuildingAssumptions,
    landuse: gpd.GeoDataFrame | None,
    heights: Heights,
) -> BuildingUse:
    """Classify buildings: residential, ancillary, too small for a premise, single-household.

    Untyped buildings (``yes``, ``other``) with shop/amenity/office/craft/tourism tags or in a
    non-residential land-use zone are business buildings; in a rural zone they hold one
    household at most.
    """
    btype = b["building"]
    business = pd.Series(False, index=b.index)
    for col in ("shop", "amenity", "office", "craft", "tourism"):
        business |= b[col].notna()
    is_generic = btype.isin(["yes", "other"])
    zone = _zone_of(b, landuse)
    in_rural_zone = is_generic & zone.isin(a.single_household_landuse)
    business |= is_generic & zone.isin(a.non_residential_landuse)
    ancillary = btype.isin(a.ancillary_types)
    residential = btype.isin(a.residential_types) | (
        is_generic & ~business & a.generic_buildings_residential
    )
    small_generic = (
        is_generic & ~(heights.levels_tag > 0) & (b["footprint_m2"] <= a.house_max_footprint_m2)
    )
    return BuildingUse(
        residential=residential & ~ancillary,
        ancillary=ancillary,
        too_small=b["footprint_m2"] < a.min_premise_footprint_m2,
        single_household=btype.isin(a.single_household_types) | small_generic | in_rural_zone,
        in_rural_zone=in_rural_zone,
    )


def household_counts(
    b: gpd.GeoDataFrame,
    a: BuildingAssumptions,
    use: BuildingUse,
    heights: Heights,
    addresses: gpd.GeoDataFrame,
) -> Households:
    """Households per building: flats tag, else type or floor area, raised to the addresses.

    With ``a.households_total`` the floor-area estimates of residential buildings are scaled
    to the census total (:func:`_calibrate`).
    """
    flats = parse_number(b["building:flats"], feet_aware=False)
    floor_area = b["footprint_m2"] * heights.levels
    by_area = np.maximum(1, np.floor(floor_area.round(1) / a.floor_area_per_household_m2))
    households = np.where(use.single_household, 1.0, by_area)
    source = np.where(
        use.in_rural_zone & ~b["building"].isin(a.single_household_types),
        "landuse",
        np.where(use.single_household, "type", "floor_area"),
    )
    households = np.where(flats > 0, flats, households)
    source = np.where(flats > 0, "flats", source)
    n_addr = _count_addresses(b, addresses)
    more_addr = (n_addr > households) & ~(flats > 0)
    households = np.where(more_addr, n_addr, households)
    source = np.where(more_addr, "addresses", source)
    res = _holds_households(use)
    households, scale = _calibrate(households, source == "floor_area", res, a.households_total)
    return Households(count=households, source=source, addresses=n_addr, scale=scale)


def _holds_households(use: BuildingUse) -> np.ndarray:
    return use.residential.to_numpy() & ~use.too_small.to_numpy()


def _building_frame(
    b: gpd.GeoDataFrame,
    a: BuildingAssumptions,
    heights: Heights,
    use: BuildingUse,
    hh: Households,
) -> gpd.GeoDataFrame:
    """Assemble the buildings layer in :data:`BUILDING_COLUMNS` order."""
    res = _holds_households(use)
    nonres_premise = ~use.residential & ~use.ancillary & ~use.too_small
    out = b.assign(
        height_m=heights.height_m,
        height_source=heights.height_source,
        levels=heights.levels,
        floor_area_m2=(b["footprint_m2"] * heights.levels).round(1),
        residential=use.residential,
        addresses=hh.addresses,
        name=b["name"].astype("string"),
    )
    out["households"] = np.where(res, hh.count, 0).astype(int)
    out["premises"] = np.where(res, hh.count, np.where(nonres_premise, 1, 0)).astype(int)
    out["premises_source"] = np.where(
        res, hh.source, np.where(nonres_premise, "non_residential", "none")
    )
    out["people"] = (out["households"] * a.people_per_household).round(2)
    out = gpd.GeoDataFrame(out[BUILDING_COLUMNS], geometry="geometry", crs=b.crs)
    out.attrs["households_scale"] = hh.scale
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
