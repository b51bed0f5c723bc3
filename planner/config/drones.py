"""Schemas of the airspace presets and the drone corridor analysis (``drones:``), with sources."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from planner.config import sora
from planner.config._strict import MIN_RESOLUTION_M, STRICT
from planner.config._yaml import read_yaml
from planner.config.places import AUTO_PRESET, FALLBACK_PRESET
from planner.errors import ConfigError, InputFileError

__all__ = [
    "ALL_PAIRS_MAX_HUBS",
    "AUTO_HUBS_MIN",
    "AUTO_HUB_AREA_KM2",
    "AUTO_HUB_SPACING_CAP_M",
    "AirspacePreset",
    "CitedValue",
    "DEFAULT_LANDUSE_FACTORS",
    "DEFAULT_OBSTACLE_HEIGHT_M",
    "DEFAULT_OCCUPANCY",
    "DEFAULT_RISK_WEIGHT",
    "DroneConfig",
    "FALLBACK_TYPES",
    "FlightBand",
    "HubConfig",
    "KIND_LAYER",
    "LOGISTICS_LANDUSE",
    "LOGISTICS_TYPES",
    "NoFlyRule",
    "OBSTACLE_KINDS",
    "OVERRIDE_SOURCE",
    "PRESET_DIR",
    "SHORTEST_TIEBREAK",
    "load_preset",
]

#: Folder of the shipped rule presets (``planner/data/airspace/<name>.yml``, package data so a
#: wheel install finds them).
PRESET_DIR = Path(__file__).resolve().parent.parent / "data" / "airspace"

#: Which City layer holds each feature kind a preset may name.
KIND_LAYER: dict[str, str] = {
    **{
        k: "airspace"
        for k in (
            "aerodrome",
            "runway",
            "heliport",
            "helipad",
            "military",
            "prison",
            "government",
            "power_line",
            "power_tower",
            "mast",
            "tower",
            "chimney",
        )
    },
    **{k: "key_places" for k in ("hospital", "school", "university", "railway_station")},
    **{k: "landuse" for k in ("water", "park", "forest", "railway", "major_road")},
}

#: Obstacle kinds taken from ``city.airspace`` (besides buildings and telecom masts).
OBSTACLE_KINDS = ("power_line", "power_tower", "mast", "tower", "chimney")

#: Heights (m) used for obstacles whose height is unknown in OSM. Planner assumptions from
#: typical structures: 110 kV lattice pylons ~30 m, conductors sag to ~25 m; urban lattice
#: masts 30 m; towers/chimneys 40 m (conservative for city-scale structures).
DEFAULT_OBSTACLE_HEIGHT_M = {
    "power_line": 25.0,
    "power_tower": 30.0,
    "mast": 30.0,
    "tower": 40.0,
    "chimney": 40.0,
}

#: Occupancy assumptions used by :func:`population_density_raster` (the household size is the
#: city's one setting, ``buildings.people_per_household``).
DEFAULT_OCCUPANCY = {
    # Planner assumption: one person per 25 m² of non-residential floor area (offices are
    # designed for ~10-15 m²/workplace; ~50% daytime presence).
    "m2_per_person": 25.0,
    # JARUS SORA 2.5 Annex F §3.9: density averaged over a window matched to the flight's
    # ground-risk footprint; 200 m is the usual grid for operations below 500 ft AGL.
    "window_m": 200.0,
}

#: Density multipliers applied per landuse kind after smoothing (planner assumptions):
#: nobody is resident on open water; other kinds are neutral until configured.
DEFAULT_LANDUSE_FACTORS = {
    "water": 0.0,
    "park": 1.0,
    "forest": 1.0,
    "railway": 1.0,
    "major_road": 1.0,
}


class CitedValue(BaseModel):
    """A metre value with the rule or assumption it comes from."""

    model_config = STRICT
    value_m: float = Field(gt=0)
    source: str = Field(min_length=3)


class NoFlyRule(BaseModel):
    """No-fly rule for one feature kind: lateral buffer and optional ceiling (m AGL)."""

    model_config = STRICT
    buffer_m: float = Field(ge=0)
    ceiling_m: float | None = Field(default=None, gt=0)
    source: str = Field(min_length=3)


class AirspacePreset(BaseModel):
    """A national or project rule set (``planner/data/airspace/*.yml``)."""

    model_config = STRICT
    name: str
    title: str = ""
    altitude_cap: CitedValue
    default_clearance: CitedValue
    nofly: dict[str, NoFlyRule]

    @model_validator(mode="after")
    def _known_kinds(self) -> AirspacePreset:
        for kind in self.nofly:
            if kind not in KIND_LAYER:
                raise ValueError(
                    f"unknown feature kind {kind!r}; known kinds: {', '.join(KIND_LAYER)}"
                )
        return self


class FlightBand(BaseModel):
    """Altitude band (m above ground) in which corridors are flown."""

    model_config = STRICT
    min_m: float = Field(default=60.0, ge=0)
    max_m: float = Field(default=120.0, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> FlightBand:
        if self.max_m <= self.min_m:
            raise ValueError("max_m must be above min_m")
        return self


def _deep_merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out


#: Citation given to preset values changed by ``drones.overrides`` without their own ``source``.
OVERRIDE_SOURCE = "city config drones.overrides"


def _cite_overrides(merged: dict, overrides: dict) -> None:
    """Set ``source`` of every rule whose values the overrides changed without citing one."""
    rules = [
        (merged, k, v) for k, v in overrides.items() if k in ("altitude_cap", "default_clearance")
    ]
    nofly = overrides.get("nofly")
    if isinstance(nofly, dict) and isinstance(merged.get("nofly"), dict):
        rules += [(merged["nofly"], k, v) for k, v in nofly.items()]
    for parent, key, over in rules:
        target = parent.get(key)
        if isinstance(over, dict) and isinstance(target, dict) and "source" not in over:
            parent[key] = {**target, "source": OVERRIDE_SOURCE}


def load_preset(name_or_path: str | Path, overrides: dict | None = None) -> AirspacePreset:
    """Load and validate an airspace rule preset.

    Parameters
    ----------
    name_or_path : str or Path
        A shipped preset name (``cn``, ``eu``, ``us``, ``uk``, ``usepe``) or a YAML file path;
        ``auto`` without a location to choose from loads ``eu``.
    overrides : dict, optional
        Values merged (recursively) over the file, e.g.
        ``{"nofly": {"hospital": {"buffer_m": 200, "source": "city rule"}}}``.

    Returns
    -------
    AirspacePreset
        The validated preset.

    Raises
    ------
    ConfigError
        One line naming the file and field at fault.
    """
    if str(name_or_path) == AUTO_PRESET:
        name_or_path = FALLBACK_PRESET
    p = Path(name_or_path)
    if p.suffix not in (".yml", ".yaml"):
        p = PRESET_DIR / f"{name_or_path}.yml"
        if not p.is_file():
            known = ", ".join(sorted(f.stem for f in PRESET_DIR.glob("*.yml")))
            raise ConfigError(f"drones.preset: unknown airspace preset {name_or_path!r}; {known}")
    if not p.is_file():
        raise InputFileError(f"{p}: airspace preset file not found")
    raw = read_yaml(p, "airspace preset file")
    if not isinstance(raw, dict):
        raise ConfigError(f"{p}: expected a mapping at the top level")
    if overrides:
        if not isinstance(overrides, dict):
            raise ConfigError(f"{p}: overrides must be a mapping")
        # a new kind in overrides needs a full rule; a rule whose numbers come from the
        # overrides without a source of its own is cited as the user's, not the preset's
        raw = _deep_merge(raw, overrides)
        _cite_overrides(raw, overrides)
    try:
        return AirspacePreset.model_validate(raw)
    except ValidationError as exc:
        where = f"{p} (with overrides)" if overrides else str(p)
        raise ConfigError.from_validation(where, exc, AirspacePreset) from None


#: Risk weight of the "shortest feasible" baseline: breaks ties between equally short
#: lattice paths towards the less exposed one (length changes by < 1e-4 relative), so the
#: reported risk reduction is not inflated by an unlucky tie.
SHORTEST_TIEBREAK = 1e-6

#: OSM ``building=*`` values taken as logistics/industrial hub sites when no hubs are
#: configured (issue 5: "hospitals, logistics/industrial sites, existing heliports").
#: Commercial, retail and office buildings are not in that list: they cluster in the dense
#: centres a hub should not sit in, and a drone hub needs industrial or commercial zoning
#: with room for pads and parcel handling (see ``docs/drones.md``, "Hubs").
LOGISTICS_TYPES = ("industrial", "warehouse", "logistics", "depot", "hangar", "manufacture")

#: Building types taken as hub sites only when the types above give fewer than 2 hubs.
FALLBACK_TYPES = ("commercial", "retail", "office")

#: ``city.landuse`` kinds taken as logistics/industrial sites (OSM ``landuse=industrial``),
#: used when the City's landuse layer carries them.
LOGISTICS_LANDUSE = ("industrial",)

#: Fixed risk weight used when ``risk_weight`` is not set and no detour budget applies
#: (streets mode, or free mode with ``detour_budget: null``): between the benchmark's
#: w = 0.3 (Liechtenstein free: mean detour 1.066) and w = 1 (1.144).
DEFAULT_RISK_WEIGHT = 0.5

#: Cap of the default spacing between automatic hubs (m), see ``DroneConfig``.
AUTO_HUB_SPACING_CAP_M = 1000.0

#: Default number of automatic hubs: at least this many (the count every city had before
#: the count grew with the area; it gives Liechtenstein, Lauf, Monaco and Helsinki theirs).
AUTO_HUBS_MIN = 10

#: Default area served per automatic hub (km²): one hub per 25 km², hubs on a ~5 km grid,
#: puts every point of the city within ~3.5 km of a hub, the scale of the 3 km delivery
#: circle urban drone-delivery stations advertise (Meituan, "3 km in 15 minutes"; planner
#: assumption, figure not checked against a primary source). Below 250 km² the minimum of
#: :data:`AUTO_HUBS_MIN` applies.
AUTO_HUB_AREA_KM2 = 25.0

#: ``hub_links: auto`` connects every pair of at most this many routable hubs (66 corridors,
#: the 12 hubs of the drone benchmark) and the Gabriel graph of more: all pairs of n hubs
#: grow as n², and corridors across a whole city are not what a route network is made of.
ALL_PAIRS_MAX_HUBS = 12


class HubConfig(BaseModel):
    """A named hub (vertiport, hospital pad, depot) in WGS84 degrees."""

    model_config = STRICT
    name: str = Field(min_length=1)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)


class DroneConfig(BaseModel):
    """The ``drones:`` section of a city configuration.

    Every default is documented next to its field.
    """

    model_config = STRICT
    #: Rule preset name (``cn``, ``eu``, ``us``, ``uk``, ``usepe``) or YAML path; ``auto``
    #: (default): the preset of the data's country (:func:`planner.config.places.choose_preset`,
    #: resolved by ``planner run``; ``eu`` where no location is known).
    preset: str = "auto"
    #: Values merged over the preset, e.g. ``{"nofly": {"hospital": {"buffer_m": 200}}}``.
    overrides: dict[str, Any] | None = None
    #: Flight band in m AGL; default 60-120 m (issue 5; 120 m = EU open-category cap).
    band: FlightBand = Field(default_factory=FlightBand)
    #: SORA 2.5 Table 2 column (``1m``/25 m/s default: typical delivery multicopter).
    ua_class: str = "1m"
    #: ``free`` lattice or ``streets`` (Metropolis-style, above the street graph).
    mode: Literal["free", "streets"] = "free"
    #: Raster / lattice cell size (m); issue 5 suggests 10-25 m.
    resolution_m: float = Field(default=10.0, ge=MIN_RESOLUTION_M)
    #: Fixed weight ``w`` in edge cost = length × (1 + w × risk) for all pairs. Setting it
    #: turns ``detour_budget`` off. None (default): free mode routes by ``detour_budget``;
    #: streets mode (and free mode with ``detour_budget: null``) uses
    #: :data:`DEFAULT_RISK_WEIGHT` (0.5).
    risk_weight: float | None = Field(default=None, ge=0)
    #: risk = density / risk_scale, so risk 1 = 1,000 people/km² (SORA "< 5,000" band).
    risk_scale_ppl_km2: float = Field(default=1000.0, gt=0)
    #: Free mode, when ``risk_weight`` is not set: allowed mean detour factor vs the
    #: shortest feasible paths. Each pair's corridor is picked among the routes for
    #: ``budget_weights`` by a Lagrangian sweep (least total risk within the budget).
    #: Default 1.10: the issue 5 target ("≥ 70 % ground-risk reduction at a mean detour
    #: factor ≤ 1.10"), met on Liechtenstein with automatic hubs (75.3 % at 1.100). Not used
    #: in streets mode. None = one fixed weight for all pairs.
    detour_budget: float | None = Field(default=1.10, ge=1)
    #: Candidate weights for ``detour_budget``: log-spaced; w = 10 is within 0.1 % of the
    #: least-exposure path's risk on the Liechtenstein and Monaco benchmark runs.
    budget_weights: list[float] = Field(
        default_factory=lambda: [0.03, 0.1, 0.3, 1.0, 3.0, 10.0], min_length=1, max_length=64
    )
    #: Heights (m) per obstacle kind where OSM has none, merged over
    #: :data:`~planner.airspace.DEFAULT_OBSTACLE_HEIGHT_M` (planner assumptions).
    obstacle_heights: dict[str, float] | None = None
    #: Vertical clearance above obstacles (m); None = the preset's default clearance.
    clearance_m: float | None = Field(default=None, ge=0)
    #: Corridor width (m); default 30 m (issue 5).
    corridor_width_m: float = Field(default=30.0, gt=0)
    #: Lateral margin kept from no-fly zones and blocking obstacles (m); None = half width,
    #: so the whole corridor area stays clear.
    zone_margin_m: float | None = Field(default=None, ge=0)
    #: Configured hubs; empty = choose automatically.
    hubs: list[HubConfig] = Field(default_factory=list)
    #: Optional OD list of hub-name pairs; None = the pairs of ``hub_links``.
    od_pairs: list[tuple[str, str]] | None = None
    #: Which hub pairs get a corridor when ``od_pairs`` is not set: ``all`` pairs, the
    #: ``gabriel`` graph (each hub to its neighbours: no other hub inside the circle on the
    #: pair as diameter; planar, connected, < 3 n pairs), or ``auto``: all pairs of up to
    #: :data:`ALL_PAIRS_MAX_HUBS` (12) routable hubs, the Gabriel graph of more.
    hub_links: Literal["auto", "all", "gabriel"] = "auto"
    #: Automatic hubs: how many at most, and at most how far a candidate may be moved (m).
    #: None = ``max(10, ⌈A / 25 km²⌉)`` for the city area A (:data:`AUTO_HUBS_MIN`,
    #: :data:`AUTO_HUB_AREA_KM2`): 10 up to 250 km², one per 25 km² beyond.
    #: A candidate only leaves its own zone (a hospital's or heliport's buffer, plus the
    #: margin and two cells, measured from inside the site); 2,000 m caps that and covers a
    #: heliport's 1,500 m buffer. A site inside another zone is not used.
    max_auto_hubs: int | None = Field(default=None, ge=2)
    auto_hub_snap_m: float = Field(default=2000.0, ge=0)
    #: Streets mode: how far a hub may be from the nearest usable street node (m).
    street_snap_m: float = Field(default=500.0, ge=0)
    #: Minimum spacing between automatic hubs (m). None = ``min(1,000 m, ½ √(A / n))`` for a
    #: city area A and at most n automatic hubs (``max_auto_hubs``): hubs about a kilometre
    #: apart spread the network over the city instead of stacking it in one district
    #: (planner assumption; NASA AAM vertiport considerations, Mendonca et al. 2022: spread
    #: vertiports over the demand area), and half the mean spacing of n hubs on a square
    #: lattice still fits n hubs into a small city (Monaco, 4.5 km², 12 hubs: 306 m).
    auto_hub_spacing_m: float | None = Field(default=None, ge=0)
    #: Radius (m) of the disc over which an automatic hub's surrounding density (people/km²
    #: of the ground-risk raster) is averaged to rank logistics/industrial sites and
    #: heliports, lowest first (vertiport siting favours land use compatible with overflight
    #: and low population exposure: Mendonca et al. 2022; Aerospace 12(8):709, 2025).
    #: 300 m: the corridor ends near a hub cannot avoid its surroundings (a 25 m/s
    #: multicopter climbing to the 60 m band floor at 3 m/s covers ~500 m; half of it
    #: horizontal at reduced speed), i.e. 1.5 SORA 2.5 density cells of 200 m.
    auto_hub_density_radius_m: float = Field(default=300.0, gt=0)
    #: OSM ``building=*`` values taken as logistics/industrial sites (default
    #: :data:`LOGISTICS_TYPES`; add ``commercial`` to allow shops and offices).
    auto_hub_building_types: list[str] = Field(default_factory=lambda: list(LOGISTICS_TYPES))
    #: Automatic hubs must lie within this distance (m) of a street node: parcels and
    #: patients reach a hub by road ("transport access conditions", Aerospace
    #: 12(8):709, 2025); keeps a hub moved out of a heliport buffer off open sea and
    #: mountain slopes (planner assumption: 250 m, a short walk or service track).
    auto_hub_access_m: float = Field(default=250.0, ge=0)
    #: OSM ``building=*`` values used only when the issue 5 hub types give fewer than 2
    #: hubs (e.g. the built-in Helsinki sample, 1.6 km² of city centre without hospital,
    #: heliport or industrial building); such hubs have source ``commercial``.
    auto_hub_fallback_types: list[str] = Field(default_factory=lambda: list(FALLBACK_TYPES))
    #: Smallest footprint (m²) of a logistics/industrial building taken as a hub site:
    #: room for a few pads plus parcel handling; drops sheds, garages and substations
    #: tagged ``industrial`` (planner assumption; 10th percentile of Liechtenstein's
    #: ``building=industrial`` footprints is 255 m², the median 803 m²).
    auto_hub_min_footprint_m2: float = Field(default=500.0, ge=0)
    #: Mobile coverage radius of a mast/tower (m); planner assumption for urban macro cells.
    mast_radius_m: float = Field(default=1000.0, gt=0)
    #: Population density GeoTIFF (people/km²) instead of the building occupancy model.
    population_raster: str | None = None
    m2_per_person: float = Field(default=DEFAULT_OCCUPANCY["m2_per_person"], ge=1)
    window_m: float = Field(default=DEFAULT_OCCUPANCY["window_m"], gt=0)
    landuse_factors: dict[str, float] | None = None

    @field_validator("ua_class")
    @classmethod
    def _ua(cls, v: str) -> str:
        try:
            return sora.UA_CLASSES[sora.ua_class_index(v)].name
        except ConfigError as exc:
            raise ValueError(str(exc).removeprefix("ua_class: ")) from None

    @field_validator("budget_weights", "landuse_factors", "obstacle_heights")
    @classmethod
    def _non_negative(cls, v: list[float] | dict[str, float] | None, info):
        values = list(v.values()) if isinstance(v, dict) else list(v or [])
        if any(x < 0 for x in values):
            raise ValueError(f"{info.field_name} must not be negative (got {min(values)})")
        return v

    @field_validator("hubs")
    @classmethod
    def _unique(cls, v: list[HubConfig]) -> list[HubConfig]:
        names = [h.name for h in v]
        if len(set(names)) != len(names):
            raise ValueError("hub names must be unique")
        return v
