"""Radio-coverage settings (``radio:`` config section) with every default's cited source."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

from planner.config._strict import MIN_RESOLUTION_M, STRICT
from planner.errors import ConfigError

__all__ = [
    "SOURCES",
    "TARGET_SOURCES",
    "KEY_PLACE_CLASSES",
    "TOURISM_AREA_TYPES",
    "TOURISM_AREA_AREA_ONLY",
    "AIRPORT_TYPES",
    "NON_MAINLINE_STATIONS",
    "RadioTargets",
    "RadioConfig",
    "DEFAULT_BAND_GHZ",
]

#: Carrier frequency (GHz) assumed per technology when a site file gives no band.
DEFAULT_BAND_GHZ: dict[str, float] = {
    "NR": 3.5,
    "LTE": 1.8,
    "UMTS": 2.1,
    "GSM": 0.9,
    "CDMA": 0.85,
}

#: Where each default of :class:`RadioConfig` comes from; reported in ``summary.json``.
SOURCES: dict[str, str] = {
    "site_files": (
        "none: operator or public site lists (OpenCelliD CSV layout, or GeoJSON/GeoPackage/CSV "
        "with one row per sector); OSM under-maps mobile sites badly, so counts from OSM alone "
        "are a lower bound"
    ),
    "use_osm_sites": (
        "on: city.telecom features with mobile=True (man_made=mast/tower with "
        "tower:type=communication or communication:mobile_phone=*, and man_made=antenna with "
        "tower:type=communication, communication:mobile_phone other than no, or location=roof)"
    ),
    "resolution_m": "20 m grid: issue 11 benchmark setting (Liechtenstein, 20 m)",
    "ground_height_m": "1.5 m: UE height of 3GPP TR 38.901 Table 7.4.1-1 (outdoor UE)",
    "heights_m": (
        "none = follow the drone flight band: 60, 90 and 120 m (DroneConfig band 60-120 m, "
        "plus its midpoint); 3GPP TR 36.777 evaluates aerial UEs up to 300 m"
    ),
    "frequency_ghz": "3.5 GHz: 5G NR band n78 (3.3-3.8 GHz), the main 5G band in China and the EU",
    "bandwidth_mhz": "100 MHz: a full n78 carrier (3GPP TS 38.101-1 Table 5.3.2-1, 273 PRB)",
    "subcarrier_khz": "30 kHz: n78 numerology mu=1 (TS 38.101-1 Table 5.3.2-1)",
    "tx_power_dbm": (
        "51 dBm per sector over 100 MHz: the ITU-R M.2412-0 IMT-2020 urban-macro evaluation "
        "power of 44 dBm per 20 MHz scaled to 100 MHz (+7 dB); RSRP uses the per-resource-"
        "element share"
    ),
    "sector_azimuths_deg": "3 sectors at 0/120/240 deg: the standard tri-sector macro site",
    "mech_tilt_deg": "0 deg mechanical downtilt: modern macro panels tilt electrically",
    "elec_tilt_deg": (
        "6 deg electrical downtilt: the IMT macro base-station downtilt of ITU-R M.2292 "
        "Table 4 (3-6 GHz: 18 dBi, 65 deg, 6 deg; as quoted by a public implementation, not "
        "checked against the report); the TR 38.901 7.8 calibration uses 12 deg"
    ),
    "h_beamwidth_deg": "65 deg: 3GPP TR 38.901 Table 7.3-1 element, horizontal 3 dB beamwidth",
    "v_beamwidth_deg": "65 deg: 3GPP TR 38.901 Table 7.3-1 element, vertical 3 dB beamwidth",
    "side_lobe_db": "30 dB: SLA_V of TR 38.901 Table 7.3-1",
    "max_attenuation_db": "30 dB: A_max (front-to-back) of TR 38.901 Table 7.3-1",
    "element_gain_dbi": "8 dBi: G_E,max of TR 38.901 Table 7.3-1",
    "vertical_elements": (
        "8 vertically stacked elements (one column of a TR 38.901 7.3 panel, M=8), giving "
        "8 + 9 = 17 dBi and a ~8 deg vertical beam like a commercial macro panel; 1 = bare element"
    ),
    "element_spacing_wl": (
        "0.8 wavelength vertical spacing: planner choice for a ~8 deg vertical beam with 8 "
        "elements (QuaDRiGa's 3GPP array default and its TR 38.901 calibration use 0.5; 0.8 "
        "is the FD-MIMO vertical spacing of TR 36.897, not verified)"
    ),
    "mast_height_m": (
        "30 m antenna height on a mast or tower without a height tag: planner assumption (TR "
        "38.901 UMa uses 25 m, RMa 35 m)"
    ),
    "rooftop_mount_m": (
        "3 m above the roof for a site on a building without an antenna height: planner "
        "assumption for a pole or wall mount above the parapet (no published typical value "
        "found). The roof is the building's height_m, which excludes rooftop equipment (OSM "
        "Key:roof:height / Key:height: roof-mounted antennas are not part of the building)"
    ),
    "scenario": (
        "auto: per site, UMi for antennas at or below umi_max_height_m (street-level small "
        "cells), RMa where fewer than rma_max_density_ppl_km2 live within 1 km, else UMa"
    ),
    "umi_max_height_m": "12 m: below typical rooftops; TR 38.901 UMi assumes 10 m, UMa 25 m",
    "rma_max_density_ppl_km2": (
        "300 people/km2: the OECD/Eurostat rural threshold for grid cells (degree of "
        "urbanisation: urban clusters have >= 300 inhabitants/km2)"
    ),
    "rma_building_height_m": "5 m average building height h of the TR 38.901 RMa model",
    "rma_street_width_m": "20 m average street width W of the TR 38.901 RMa model",
    "blocking": (
        "auto: deterministic line of sight through the building-height surface wherever OSM "
        "has buildings within known_radius_m; elsewhere the 3GPP LoS probability"
    ),
    "known_radius_m": "100 m: a cell with a mapped building this close counts as mapped",
    "surface_resolution_m": (
        "none = the coverage grid resolution (building heights sampled at cell centres)"
    ),
    "max_range_ground_m": "5,000 m: the TR 38.901 UMa/UMi validity range (d2D <= 5 km)",
    "max_range_air_m": (
        "10,000 m: aerial interference comes from far sites in LoS; TR 36.777 RMa-AV is "
        "valid to 10 km (UMa-AV/UMi-AV to 4 km, extrapolated beyond)"
    ),
    "rsrp_min_dbm": (
        "-110 dBm: the coverage threshold of issue 11; Chinese operators' drive-test coverage "
        "rule for LTE is RSRP >= -110 dBm with SINR >= -3 dB (5G NR: SS-RSRP >= -105 dBm)"
    ),
    "sinr_min_db": (
        "-3 dB: the SINR half of the same operator coverage rule; -6 dB is the usual decoding "
        "floor of LTE/NR control channels (lowest MCS), 0 dB a margin for 99.9 % C2 links "
        "(TR 36.777 reliability target); see docs/radio.md"
    ),
    "noise_figure_db": "9 dB UE noise figure: 3GPP TR 36.777 / TR 38.802 evaluation assumptions",
    "interference_load": (
        "0.5: neighbour cells transmit on half their resources (planner assumption; 3GPP "
        "evaluations sweep low to full load, 1.0 is the worst case)"
    ),
    "location_probability": (
        "0.5: median coverage (no shadow-fading margin); 0.9 adds 1.28 sigma_SF of the "
        "serving link (TR 38.901 / TR 36.777 sigma values)"
    ),
    "building_entry_loss_db": (
        "0 dB: population coverage is outdoor at each building; TR 38.901 7.4.3 low-loss "
        "model gives about 15 dB at 3.5 GHz for deep indoor"
    ),
    "corridor_altitude_m": (
        "none = each corridor's altitude_m column, else the top computed flight height "
        "(the band top, worst case for interference)"
    ),
    "site_margin_m": (
        "2,000 m: sites may lie this far outside the city boundary (border sites serve it); "
        "farther is reported as an input error"
    ),
    "site_merge_m": "30 m: OpenCelliD cells within this distance are one site",
    "default_band_ghz": (
        "carrier per technology when a site file names none: NR 3.5 GHz (n78), LTE 1.8 GHz "
        "(band 3, the most deployed LTE band in Europe and China), UMTS 2.1 GHz (band 1), GSM "
        "0.9 GHz, CDMA 0.85 GHz (band class 0); OSM sites are assumed NR at frequency_ghz"
    ),
    "chunk_cells": "262,144 cells per vectorised block: bounds memory to tens of MB per block",
}

#: ``tourism`` values read as tourism areas (the MIIT class of A-level scenic areas). GB/T
#: 17775-2003 (tourist attractions, "旅游区（点）") defines one as an independently managed
#: area with a defined extent, and lists scenic areas, museums and memorial halls, temples,
#: resorts, nature reserves, theme parks, forest and geological parks, amusement parks, zoos
#: and botanical gardens. Planner assumption: OSM's theme_park, zoo, aquarium and museum
#: (institutions, any geometry) and attraction mapped as an area (:data:`TOURISM_AREA_AREA_ONLY`)
#: stand for them; viewpoint, artwork, gallery and information points are no managed area.
TOURISM_AREA_TYPES: tuple[str, ...] = ("theme_park", "zoo", "aquarium", "museum", "attraction")
#: ``tourism`` values that count only as an area (polygon): a point ``tourism=attraction`` is
#: often a statue or memorial, not an area with a defined extent (GB/T 17775).
TOURISM_AREA_AREA_ONLY: tuple[str, ...] = ("attraction",)
#: ``aerodrome:type`` / ``aerodrome`` values of an airport (besides any ``iata`` code).
AIRPORT_TYPES: tuple[str, ...] = ("international",)
#: ``station`` values of a ``railway=station`` that is no mainline passenger station.
NON_MAINLINE_STATIONS: tuple[str, ...] = (
    "subway",
    "light_rail",
    "tram",
    "monorail",
    "funicular",
    "miniature",
)

#: MIIT "gigabit city" key-place classes (the ``class`` column of ``City.key_places``) with
#: the OSM proxy of each; reported with the radio assumptions. Schools and railway halts stay
#: in the layer (drone no-fly rules read them by ``kind``) with no class.
KEY_PLACE_CLASSES: dict[str, str] = {
    "hospital": (
        "tier-3 hospitals: amenity=hospital or healthcare=hospital; OSM does not tell the tier "
        "(graded by the health authority on beds and services), so every hospital counts: an "
        "upper bound of the class (planner assumption)"
    ),
    "university": (
        "universities (higher-education institutions): amenity=university or college "
        "(planner assumption; OSM college also covers further-education colleges)"
    ),
    "tourism_area": (
        "tourism areas (A-level scenic areas, GB/T 17775): tourism=theme_park, zoo, aquarium, "
        "museum, and tourism=attraction mapped as an area (planner assumption, see "
        "TOURISM_AREA_TYPES); the A level is not in OSM"
    ),
    "railway_station": (
        "class-2+ passenger railway stations: railway=station (not halt) that is no subway, "
        "light-rail, tram, monorail, funicular or miniature station and not train=no; the "
        "railway's station class (by daily passengers) is not in OSM, so every mainline "
        "station counts: an upper bound of the class (planner assumption)"
    ),
    "airport": (
        "airports (civil transport airports): aeroway=aerodrome with an iata code or "
        "aerodrome:type (or aerodrome) = international; IATA codes go to airports with "
        "commercial traffic, general-aviation airfields have none (planner assumption)"
    ),
}

#: Sources of the KPI targets of :class:`RadioTargets`.
TARGET_SOURCES: dict[str, str] = {
    "route_coverage_pct": (
        "90 %: ground mobile network coverage of public low-altitude routes by 2027 (MIIT and "
        "four other departments, implementation opinion on strengthening the ICT industry to "
        "support low-altitude infrastructure, 10 Feb 2026; below 300 m by 5G beam "
        "optimisation, antenna adjustment and new sites)"
    ),
    "sites_per_10k": (
        "12 5G base stations per 10,000 people: MIIT 'gigabit city' evaluation indicators (2021)"
    ),
    "key_places_pct": (
        "95 %: 5G reach of key places (tier-3 public hospitals, key universities, culture and "
        "tourism areas, class-2+ passenger railway stations, trunk airports, key roads), MIIT "
        "'gigabit city' indicators (2021) as cited in issue 11; MIIT's reports give the "
        "achieved reach (>80 % in 2022, >99.5 % in 2023). Key roads are not modelled; the "
        "OSM proxy of each other class is in key_place_classes"
    ),
    "population_pct": (
        "95 % of people covered outdoors on the ground: planner assumption (no MIIT figure)"
    ),
    "area_pct": "none: area coverage per height is reported without a target",
}


class RadioTargets(BaseModel):
    """KPI targets of the radio analysis (sources in :data:`TARGET_SOURCES`)."""

    model_config = STRICT
    route_coverage_pct: float = Field(90.0, ge=0, le=100)
    sites_per_10k: float = Field(12.0, ge=0)
    key_places_pct: float = Field(95.0, ge=0, le=100)
    population_pct: float = Field(95.0, ge=0, le=100)
    area_pct: float | None = Field(None, ge=0, le=100)


class RadioConfig(BaseModel):
    """The ``radio:`` section: sites, radio model, grid and coverage thresholds.

    Every default and its source is in :data:`SOURCES`; :meth:`report` returns both.
    """

    model_config = STRICT
    site_files: list[Path] = Field(default_factory=list)
    use_osm_sites: bool = True
    resolution_m: float = Field(20.0, ge=MIN_RESOLUTION_M)
    ground_height_m: float = Field(1.5, gt=0)
    heights_m: list[float] | None = None
    frequency_ghz: float = Field(3.5, gt=0.4, le=100)
    bandwidth_mhz: float = Field(100.0, gt=0)
    subcarrier_khz: float = Field(30.0, gt=0)
    tx_power_dbm: float = Field(51.0, gt=0)
    sector_azimuths_deg: list[float] = Field(default_factory=lambda: [0.0, 120.0, 240.0])
    mech_tilt_deg: float = Field(0.0, ge=-10, le=45)
    elec_tilt_deg: float = Field(6.0, ge=-10, le=45)
    h_beamwidth_deg: float = Field(65.0, gt=0, le=360)
    v_beamwidth_deg: float = Field(65.0, gt=0, le=180)
    side_lobe_db: float = Field(30.0, gt=0)
    max_attenuation_db: float = Field(30.0, gt=0)
    element_gain_dbi: float = 8.0
    vertical_elements: int = Field(8, ge=1, le=64)
    element_spacing_wl: float = Field(0.8, gt=0, le=2)
    mast_height_m: float = Field(30.0, gt=0)
    rooftop_mount_m: float = Field(3.0, ge=0)
    scenario: Literal["auto", "UMa", "UMi", "RMa"] = "auto"
    umi_max_height_m: float = Field(12.0, ge=0)
    rma_max_density_ppl_km2: float = Field(300.0, ge=0)
    rma_building_height_m: float = Field(5.0, ge=5, le=50)
    rma_street_width_m: float = Field(20.0, ge=5, le=50)
    blocking: Literal["auto", "on", "off"] = "auto"
    known_radius_m: float = Field(100.0, ge=0)
    surface_resolution_m: float | None = Field(None, ge=MIN_RESOLUTION_M)
    max_range_ground_m: float = Field(5000.0, gt=0)
    max_range_air_m: float = Field(10000.0, gt=0)
    rsrp_min_dbm: float = -110.0
    sinr_min_db: float = -3.0
    noise_figure_db: float = Field(9.0, ge=0)
    interference_load: float = Field(0.5, ge=0, le=1)
    location_probability: float = Field(0.5, ge=0.5, lt=1)
    building_entry_loss_db: float = Field(0.0, ge=0)
    corridor_altitude_m: float | None = Field(None, gt=0)
    site_margin_m: float = Field(2000.0, ge=0)
    site_merge_m: float = Field(30.0, ge=0)
    chunk_cells: int = Field(262_144, ge=1024)
    targets: RadioTargets = Field(default_factory=RadioTargets)

    @field_validator("heights_m")
    @classmethod
    def _heights(cls, v: list[float] | None) -> list[float] | None:
        if v is not None:
            if not v:
                raise ValueError("heights_m must list at least one height (or be null)")
            bad = [h for h in v if not 0 < h <= 300]
            if bad:
                raise ValueError(f"height {bad[0]} m is outside (0, 300] m (TR 36.777 range)")
        return v

    @field_validator("sector_azimuths_deg")
    @classmethod
    def _azimuths(cls, v: list[float]) -> list[float]:
        if not v:
            raise ValueError("sector_azimuths_deg must list at least one azimuth")
        return [float(a) % 360.0 for a in v]

    @classmethod
    def parse(cls, data: dict | None, where: str = "radio config") -> RadioConfig:
        """Validate a ``radio:`` mapping; one-line :class:`ConfigError` on bad input.

        Parameters
        ----------
        data : dict or None
            The mapping (None = all defaults).
        where : str
            The file the mapping came from, named in the error.

        Returns
        -------
        RadioConfig

        """
        try:
            return cls(**(data or {}))
        except ValidationError as exc:
            raise ConfigError.from_validation(where, exc, cls, "radio") from None

    def flight_heights(self, band: tuple[float, float] = (60.0, 120.0)) -> list[float]:
        """Return the aerial heights: ``heights_m`` or the band's bottom, middle and top.

        Parameters
        ----------
        band : tuple of float
            The drone flight band ``(min_m, max_m)``.

        Returns
        -------
        list of float

        """
        if self.heights_m is not None:
            return sorted({float(h) for h in self.heights_m})
        lo, hi = float(band[0]), float(band[1])
        return sorted({lo, round((lo + hi) / 2, 1), hi})

    def report(self) -> dict:
        """Return the values in use and their sources, for ``summary.json``."""
        return {
            "values": self.model_dump(mode="json"),
            "sources": SOURCES,
            "target_sources": TARGET_SOURCES,
            "key_place_classes": KEY_PLACE_CLASSES,
        }
