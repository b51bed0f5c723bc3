"""Documented defaults that stand in for data OpenStreetMap does not have, with their sources."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from planner.config._strict import STRICT

__all__ = [
    "DEFAULT_HIGHWAY_TYPES",
    "MAJOR_ROAD_TYPES",
    "MAX_LEVELS",
    "SOURCES",
    "STREET_SOURCE",
    "BuildingAssumptions",
]

#: Where each building default comes from; reported verbatim in ``summary.json``.
SOURCES: dict[str, str] = {
    "metres_per_level": (
        "3.0 m floor-to-floor: the OSM wiki Simple 3D Buildings convention used by 3D renderers "
        "(OSM Buildings, F4Map) when only building:levels is tagged; CTBUH height calculator "
        "gives 3.1 m for residential floors"
    ),
    "default_levels": (
        "planner assumption by building type (house 2, apartments 4, commercial 3, ...) used only "
        "when neither height nor building:levels is tagged; calibrate per city"
    ),
    "floor_area_per_household_m2": (
        "90 m2 gross floor area per dwelling: Eurostat EU-SILC average usable dwelling floor area "
        "(~ 80-95 m2) plus walls and common areas; Nordic city-centre flats are smaller"
    ),
    "people_per_household": "2.3: Eurostat average EU household size (ilc_lvph01, 2023)",
    "min_premise_footprint_m2": (
        "30 m2: planner assumption; smaller untyped buildings are treated as sheds or kiosks"
    ),
    "generic_buildings_residential": (
        "building=yes (most of OSM) counts as residential unless it carries shop/amenity/office/"
        "craft/industrial tags; planner assumption, OSM rarely types buildings"
    ),
    "non_residential_premises": (
        "1 business premise per non-residential building (FCC BDC counts each broadband-"
        "serviceable location once)"
    ),
    "house_max_footprint_m2": (
        "200 m2: an untyped residential building (building=yes) without building:levels and "
        "with a footprint up to this is counted as one household (a detached house); planner "
        "assumption that keeps rural areas from being over-counted by floor area"
    ),
    "ancillary_types": "garages, sheds, roofs, carports, ruins etc. hold no premises",
    "non_residential_landuse": (
        "an untyped building (building=yes) inside landuse=industrial/commercial/retail/"
        "military/construction/quarry is a business building (1 premise), not flats: planner "
        "assumption; OSM maps such zones far more often than it types their buildings"
    ),
    "single_household_landuse": (
        "an untyped building inside landuse=farmyard/farmland/orchard/vineyard/forest holds at "
        "most one household (a farmhouse or hut; barns are rarely typed in OSM): planner "
        "assumption that keeps rural areas from being over-counted by floor area"
    ),
    "households_total": (
        "optional census count of households in the area (e.g. a national statistics office "
        "figure); when set, households estimated from floor area are scaled so the total "
        "matches it (counts from flats, addresses and single-household types are kept)"
    ),
}


#: Most storeys a building type may default to.
MAX_LEVELS = 200


class BuildingAssumptions(BaseModel):
    """Defaults for building heights, households and premises when tags are missing.

    Every field is configurable in a city config under ``buildings:``; the values in use are
    written to ``summary.json`` together with :data:`SOURCES`.
    """

    model_config = STRICT

    metres_per_level: float = Field(3.0, gt=0, le=10)
    #: Default storeys per ``building=*`` type; each 0..200 (the tallest buildings have ~160).
    default_levels: dict[str, float] = Field(
        default_factory=lambda: {
            "house": 2,
            "detached": 2,
            "semidetached_house": 2,
            "terrace": 2,
            "bungalow": 1,
            "farm": 2,
            "apartments": 4,
            "residential": 3,
            "dormitory": 4,
            "commercial": 3,
            "office": 4,
            "retail": 1,
            "supermarket": 1,
            "industrial": 2,
            "warehouse": 2,
            "hospital": 4,
            "school": 2,
            "university": 3,
            "church": 4,
            "garage": 1,
            "garages": 1,
            "shed": 1,
            "carport": 1,
            "roof": 1,
            "hut": 1,
            "yes": 2,
            "other": 2,
        }
    )
    floor_area_per_household_m2: float = Field(90.0, ge=1, le=10_000)
    people_per_household: float = Field(2.3, gt=0, le=100)
    min_premise_footprint_m2: float = Field(30.0, ge=0, le=1000)
    house_max_footprint_m2: float = Field(200.0, ge=0, le=100_000)
    generic_buildings_residential: bool = True
    residential_types: list[str] = Field(
        default_factory=lambda: [
            "apartments",
            "residential",
            "house",
            "detached",
            "semidetached_house",
            "terrace",
            "bungalow",
            "dormitory",
            "farm",
            "cabin",
            "static_caravan",
            "houseboat",
        ]
    )
    single_household_types: list[str] = Field(
        default_factory=lambda: [
            "house",
            "detached",
            "semidetached_house",
            "bungalow",
            "farm",
            "cabin",
            "static_caravan",
            "houseboat",
        ]
    )
    ancillary_types: list[str] = Field(
        default_factory=lambda: [
            "garage",
            "garages",
            "shed",
            "carport",
            "roof",
            "hut",
            "ruins",
            "construction",
            "no",
            "transformer_tower",
            "service",
            "toilets",
            "greenhouse",
            "barn",
            "stable",
            "cowshed",
            "bunker",
            "parking",
            "storage_tank",
            "container",
            "grandstand",
            "kiosk",
        ]
    )

    non_residential_landuse: list[str] = Field(
        default_factory=lambda: [
            "industrial",
            "commercial",
            "retail",
            "military",
            "construction",
            "quarry",
        ]
    )
    single_household_landuse: list[str] = Field(
        default_factory=lambda: ["farmyard", "farmland", "orchard", "vineyard", "forest"]
    )
    households_total: int | None = Field(None, gt=0)

    def report(self) -> dict:
        """Return the values in use with their sources, for ``summary.json``."""
        return {"values": self.model_dump(), "sources": SOURCES}

    @field_validator("default_levels")
    @classmethod
    def _levels(cls, v: dict[str, float]) -> dict[str, float]:
        bad = {k: x for k, x in v.items() if not 0 <= x <= MAX_LEVELS}
        if bad:
            k = next(iter(bad))
            raise ValueError(f"default_levels[{k!r}] = {bad[k]} must be 0..{MAX_LEVELS}")
        return v


#: Street classes kept in the street graph (fiber is trenched along these; drones follow them).
DEFAULT_HIGHWAY_TYPES: list[str] = [
    "motorway",
    "motorway_link",
    "trunk",
    "trunk_link",
    "primary",
    "primary_link",
    "secondary",
    "secondary_link",
    "tertiary",
    "tertiary_link",
    "unclassified",
    "residential",
    "living_street",
    "service",
    "pedestrian",
    "road",
    "track",
]

STREET_SOURCE = (
    "public roads incl. service roads, living streets and pedestrian streets, where FTTH "
    "networks are trenched (Comsof Fiber and FTTX-PLAN route along the same OSM classes); "
    "footways, cycleways and paths are excluded. The graph is bidirectional: trenches and "
    "drones ignore one-way rules."
)

#: Highway classes reported as major roads in the land-use layer.
MAJOR_ROAD_TYPES: list[str] = ["motorway", "trunk", "primary", "secondary"]
