"""The defaults and rules a corridor run used, each with its source, for the summary."""

from __future__ import annotations

import geopandas as gpd

from planner.config import sora
from planner.config.buildings import SOURCES as BUILDING_SOURCES
from planner.config.buildings import BuildingAssumptions
from planner.config.drones import (
    ALL_PAIRS_MAX_HUBS,
    AUTO_HUB_AREA_KM2,
    AUTO_HUBS_MIN,
    DEFAULT_LANDUSE_FACTORS,
    DEFAULT_OBSTACLE_HEIGHT_M,
    DEFAULT_OCCUPANCY,
    DroneConfig,
)
from planner.drones.airspace import FlightRules

__all__ = ["ASSUMPTION_SOURCES", "assumptions"]

#: Sources of the DroneConfig defaults reported in ``summary["assumptions"]``.
ASSUMPTION_SOURCES = {
    "people_per_household": "buildings.people_per_household (one household size for fibre "
    "and drones): " + BUILDING_SOURCES["people_per_household"],
    "m2_per_person": (
        "planner assumption: one person per 25 m² of non-residential floor area (offices "
        "~10-15 m²/workplace, ~50 % daytime presence)"
    ),
    "window_m": (
        "JARUS SORA 2.5 Annex F §3.9: density averaged over the ground-risk footprint; "
        "200 m grid for operations below 500 ft AGL"
    ),
    "landuse_factors": (
        "planner assumption: nobody resident on open water (factor 0); other kinds neutral (1)"
    ),
    "obstacle_default_height_m": (
        "planner assumption: 110 kV pylons ~30 m, conductors sag to ~25 m; urban lattice masts "
        "30 m; towers/chimneys 40 m"
    ),
    "mast_radius_m": "planner assumption: urban macro-cell mobile coverage radius",
    "risk_scale_ppl_km2": "planner assumption: risk 1 = 1,000 people/km² (SORA '< 5,000' band)",
    "ua_class": sora.SORA_SOURCE,
    "igrc_table": sora.SORA_SOURCE,
    "auto_hub_spacing_m": (
        "planner assumption: min(1,000 m, half the mean spacing of max_auto_hubs hubs over "
        "the city area); spread hubs over the demand area (NASA AAM vertiport "
        "considerations, Mendonca et al. 2022)"
    ),
    "max_auto_hubs": (
        f"planner assumption: max({AUTO_HUBS_MIN}, one hub per {AUTO_HUB_AREA_KM2:g} km² of "
        "city area): every point within ~3.5 km of a hub, the 3 km delivery circle of urban "
        "drone-delivery stations (Meituan; not checked against a primary source)"
    ),
    "hub_links": (
        f"planner assumption: every pair of up to {ALL_PAIRS_MAX_HUBS} hubs, else the Gabriel "
        "graph (each hub to its neighbours; Gabriel & Sokal 1969): a route network, not n² "
        "city-wide routes"
    ),
    "auto_hub_density_radius_m": (
        "planner assumption: 300 m of climb-out/approach near a hub that no routing avoids "
        "(1.5 SORA 2.5 200 m density cells); rank sites by low surrounding population "
        "(Mendonca et al. 2022; Aerospace 12(8):709, 2025)"
    ),
    "auto_hub_building_types": (
        "issue 5 hub types: logistics/industrial sites (commercial, retail, office excluded)"
    ),
    "auto_hub_access_m": (
        "planner assumption: ground access by road within 250 m of a street node "
        "(transport access, Aerospace 12(8):709, 2025)"
    ),
    "auto_hub_fallback_types": (
        "planner assumption: commercial/retail/office buildings only when the issue 5 hub "
        "types give fewer than 2 hubs (hub source 'commercial')"
    ),
    "auto_hub_min_footprint_m2": (
        "planner assumption: room for pads and parcel handling; drops sheds and substations"
    ),
}

#: Automatic siting settings reported when hubs are chosen automatically.
AUTO_HUB_KEYS = (
    "auto_hub_density_radius_m",
    "auto_hub_building_types",
    "auto_hub_min_footprint_m2",
    "auto_hub_access_m",
    "auto_hub_fallback_types",
)


def assumptions(
    cfg: DroneConfig,
    rules: FlightRules,
    obst: gpd.GeoDataFrame,
    people_per_household: float,
    coverage: float | None = None,
    spacing: float | None = None,
    hub_count: int | None = None,
) -> dict:
    """Return the defaults and rules in use with their sources (``planner.render.report`` format).

    Parameters
    ----------
    cfg : DroneConfig
        The drones configuration.
    rules : FlightRules
        The preset and the clearance in effect.
    obst : geopandas.GeoDataFrame
        The obstacles (how many have a default height).
    people_per_household : float
        The household size the population model used.
    coverage : float, optional
        Population raster coverage (%); None with the building model.
    spacing : float, optional
        Automatic hub spacing (m); None with configured hubs.
    hub_count : int, optional
        Most automatic hubs kept; None with configured hubs.

    Returns
    -------
    dict
        ``{"values": {...}, "sources": {...}}`` with the same keys.
    """
    values = _values(cfg, rules, obst, people_per_household, coverage)
    sources = _sources(cfg, rules, values, coverage)
    if cfg.hubs:  # automatic siting not used
        sources = {
            k: v
            for k, v in sources.items()
            if not k.startswith("auto_hub_") and k != "max_auto_hubs"
        }
    else:
        values["auto_hub_spacing_m"] = spacing
        values["max_auto_hubs"] = hub_count
        for k in AUTO_HUB_KEYS:
            v = getattr(cfg, k)
            values[k] = list(v) if isinstance(v, list) else v
        for k in ("auto_hub_spacing_m", "max_auto_hubs", *AUTO_HUB_KEYS):
            if _configured(cfg, k):
                sources[k] = "city config drones." + k
    sources["obstacles_default_height"] = (
        "count of obstacles without an OSM height, given obstacle_default_height_m"
    )
    for kind, rule in rules.preset.nofly.items():
        key = f"nofly_{kind}"
        values[key] = {"buffer_m": rule.buffer_m, "ceiling_m": rule.ceiling_m}
        sources[key] = rule.source
    return {"values": values, "sources": sources}


def _configured(cfg: DroneConfig, key: str) -> bool:
    """Whether the config sets ``key`` to something other than its default."""
    default = DroneConfig.model_fields[key].get_default(call_default_factory=True)
    return getattr(cfg, key) != default


def _values(
    cfg: DroneConfig,
    rules: FlightRules,
    obst: gpd.GeoDataFrame,
    people_per_household: float,
    coverage: float | None,
) -> dict:
    """Return the values of the model assumptions (occupancy, heights, scales, rules)."""
    return {
        "people_per_household": people_per_household,
        "m2_per_person": cfg.m2_per_person,
        "window_m": cfg.window_m,
        "landuse_factors": {**DEFAULT_LANDUSE_FACTORS, **(cfg.landuse_factors or {})},
        "obstacle_default_height_m": {**DEFAULT_OBSTACLE_HEIGHT_M, **(cfg.obstacle_heights or {})},
        "mast_radius_m": cfg.mast_radius_m,
        "risk_scale_ppl_km2": cfg.risk_scale_ppl_km2,
        "hub_links": cfg.hub_links,
        "ua_class": cfg.ua_class,
        "igrc_table": "SORA 2.5 Table 2",
        "altitude_cap_m": rules.preset.altitude_cap.value_m,
        "clearance_m": rules.clearance_m,
        "population_source": cfg.population_raster or "building occupancy model",
        "population_raster_coverage_pct": coverage,
        "obstacles_default_height": int((obst["height_source"] == "default").sum())
        if len(obst)
        else 0,
    }


def _sources(
    cfg: DroneConfig, rules: FlightRules, values: dict, coverage: float | None
) -> dict[str, str]:
    """Return the source of each value: the default's citation, or the config that set it."""
    sources = dict(ASSUMPTION_SOURCES)
    for k in DEFAULT_OCCUPANCY:
        if values[k] != DEFAULT_OCCUPANCY[k]:
            sources[k] = "city config drones." + k
    if values["people_per_household"] != BuildingAssumptions().people_per_household:
        sources["people_per_household"] = "city config buildings.people_per_household"
    for k, key in (
        ("obstacle_heights", "obstacle_default_height_m"),
        ("landuse_factors", "landuse_factors"),
    ):
        if getattr(cfg, k):
            sources[key] = f"city config drones.{k} over " + sources[key]
    for k in ("mast_radius_m", "risk_scale_ppl_km2", "hub_links"):
        if _configured(cfg, k):
            sources[k] = "city config drones." + k
    sources["altitude_cap_m"] = rules.preset.altitude_cap.source
    sources["clearance_m"] = (
        rules.preset.default_clearance.source
        if cfg.clearance_m is None
        else "city config drones.clearance_m"
    )
    sources["population_source"] = (
        "city config drones.population_raster"
        if cfg.population_raster
        else "buildings: premises × people_per_household, else floor area / m2_per_person"
    )
    sources["population_raster_coverage_pct"] = (
        "share of the city area inside the population raster; the rest counts as 0 people/km²"
        if coverage is not None
        else "not applicable (building occupancy model covers every building)"
    )
    return sources
