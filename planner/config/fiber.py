"""Schema of the fibre coverage analysis (``fiber:``) with the source of every default."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, field_validator

from planner.config._strict import MIN_RESOLUTION_M, STRICT

__all__ = ["MOBILE_SOURCES", "SOURCES", "FiberConfig"]

#: Sources of the mobile KPI targets and defaults, reported in ``summary.json``. Keys are the
#: :class:`planner.fiber.FiberConfig` fields they document (plus ``sites``); the fibre config's
#: own table references this one.
MOBILE_SOURCES = {
    "mobile_sites_per_10k_target": (
        "12 5G base stations per 10,000 people: MIIT 'gigabit city' evaluation indicators (2021)"
    ),
    "key_place_radius_m": (
        "500 m: planner assumption for the reach of an urban macro site (typical urban 4G/5G "
        "mid-band cell radius 0.3-1 km)"
    ),
    "mobile_site_radius_m": (
        "500 m: planner assumption, same urban macro-site reach as key_place_radius_m; people "
        "in buildings within it count as near a mobile site"
    ),
    "sites": (
        "OSM telecom features that carry mobile antennas: man_made=mast/tower with "
        "tower:type=communication or communication:mobile_phone=*, and man_made=antenna with "
        "tower:type=communication, communication:mobile_phone (not no) or on a roof "
        "(location=roof/rooftop); OSM under-maps mobile sites, so counts are a lower bound"
    ),
    "key_places": (
        "the city's key-place layer: hospitals, universities, schools, railway stations and "
        "halts, tourism areas and airports (MIIT classes and their OSM proxies in "
        "planner.config.radio.KEY_PLACE_CLASSES)"
    ),
}


#: Where each default of :class:`FiberConfig` comes from; reported in ``summary.json``.
SOURCES: dict[str, str] = {
    "drop_limit_m": (
        "152.4 m = 500 ft, the maximum drop length in Biarri FOND's FTTH design example; "
        "a premise is 'passed' when fibre is this close along streets plus the drop"
    ),
    "near_m": (
        "500 m: planner assumption for a short network extension (about one urban block of "
        "new trench beyond the drop limit); BEAD leaves extension distance to the states"
    ),
    "target_coverage_pct": (
        "80% household gigabit fibre coverage: MIIT 'gigabit city' evaluation indicators (2021)"
    ),
    "asset_kinds": (
        "OSM fixed-network assets that imply fibre is present: exchanges, street cabinets, "
        "connection and distribution points, fibre lines (telecom:medium=fibre)"
    ),
    "max_snap_m": (
        "300 m: buildings farther than this from any street are not snapped; their distance is "
        "a flagged straight-line fallback (planner assumption)"
    ),
    "route_buffer_m": (
        "15 m: half-width of the corridor in which a fibre route counts as following a street "
        "(street half-width plus OSM/GPS positional error; planner assumption)"
    ),
    "gap_bridge_m": (
        "50 m: street edges up to this long joining two gap streets join their gap clusters "
        "(short connecting streets without premises; planner assumption)"
    ),
    "max_asset_outside_m": "5 km: operator assets farther outside the city are dropped",
    "h3_resolutions": "H3 resolution 8 (FCC BDC hexagon maps) and 9 (finer planning view)",
    "raster_resolution_m": "100 m cells for the coverage GeoTIFF (planner assumption)",
    # mobile defaults: one table, MOBILE_SOURCES above
    **{
        k: v
        for k, v in MOBILE_SOURCES.items()
        if k in ("mobile_sites_per_10k_target", "key_place_radius_m", "mobile_site_radius_m")
    },
}


class FiberConfig(BaseModel):
    """Settings of the fibre coverage analysis (city config section ``fiber:``).

    Every default stands in for data a city rarely has; see :data:`SOURCES`.
    """

    model_config = STRICT

    drop_limit_m: float = Field(152.4, gt=0, description="passed: fibre within this (m)")
    near_m: float = Field(500.0, gt=0, description="near: fibre within this (m)")
    target_coverage_pct: float = Field(80.0, ge=0, le=100)
    asset_kinds: list[str] = Field(
        default_factory=lambda: [
            "exchange",
            "cabinet",
            "connection_point",
            "distribution_point",
            "fibre_line",
        ]
    )
    use_osm_assets: bool = True
    asset_files: list[Path] = Field(default_factory=list)
    max_asset_outside_m: float = Field(5000.0, ge=0)
    max_snap_m: float = Field(300.0, gt=0)
    route_buffer_m: float = Field(15.0, gt=0)
    gap_bridge_m: float = Field(50.0, ge=0)
    population_raster: Path | None = None
    mobile_site_radius_m: float = Field(500.0, gt=0)
    mobile_sites_per_10k_target: float = Field(12.0, ge=0)
    key_place_radius_m: float = Field(500.0, gt=0)
    h3_resolutions: list[int] = Field(default_factory=lambda: [8, 9])
    raster_resolution_m: float = Field(100.0, ge=MIN_RESOLUTION_M)

    @field_validator("h3_resolutions")
    @classmethod
    def _h3(cls, v: list[int]) -> list[int]:
        if not v or any(r < 0 or r > 15 for r in v):
            raise ValueError("H3 resolutions must be 0..15")
        return sorted(set(v))

    @field_validator("near_m")
    @classmethod
    def _near(cls, v: float, info) -> float:
        drop = info.data.get("drop_limit_m")
        if drop is not None and v < drop:
            raise ValueError(f"near_m ({v}) must be at least drop_limit_m ({drop})")
        return v

    def report(self) -> dict:
        """Return the values in use with their sources, for ``summary.json``."""
        return {"values": self.model_dump(mode="json"), "sources": SOURCES}
