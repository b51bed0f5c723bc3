"""Fibre build-plan settings: unit costs by street class, PON architecture, budget, sources."""

from __future__ import annotations

from pathlib import Path

from pydantic import (
    BaseModel,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from planner.config._strict import MAX_MONEY, STRICT
from planner.errors import ConfigError

#: USD -> EUR conversion used for the US survey figures (ECB reference rate, 2024 average 0.924).
__all__ = ["FT", "SOURCES", "USD_TO_EUR", "PlanConfig"]

USD_TO_EUR = 0.924
#: One US survey foot in metres.
FT = 0.3048

_UNDERGROUND = round(18.0 / FT * USD_TO_EUR, 2)  # 54.57 EUR/m
_AERIAL = round(8.0 / FT * USD_TO_EUR, 2)  # 24.25 EUR/m

#: Where each default of :class:`PlanConfig` comes from; reported in ``summary.json``.
SOURCES: dict[str, str] = {
    "currency": "EUR; US figures converted at 0.924 EUR/USD (ECB reference rate, 2024 average)",
    "trench_per_m": (
        f"residential {_UNDERGROUND} EUR/m = 18 USD/ft, median underground cost of the "
        "Fiber Broadband Association / Cartesian 2025 fiber deployment cost survey; other "
        "classes scaled by planner assumption: motorway/trunk/primary x1.5 (heavy traffic, "
        "asphalt reinstatement), secondary/tertiary x1.2, service/track/paths x0.6 (unsealed "
        "surfaces, micro-trenching)"
    ),
    "default_trench_per_m": "street classes not listed: the residential figure",
    "crossing": (
        "1500 EUR per street crossing (bore under the carriageway): planner assumption; "
        "half a crossing is charged to each route edge ending at an intersection (degree >= 3)"
    ),
    "aerial_per_m": f"{_AERIAL} EUR/m = 8 USD/ft, median aerial cost, same 2025 FBA survey",
    "aerial_highways": "none by default: OSM has no pole data; list street classes with poles",
    "duct_reuse_discount": (
        "0.8: civil works are up to 80% of network deployment cost (EU Broadband Cost "
        "Reduction Directive 2014/61/EU, recital 3); reused ducts save that share"
    ),
    "duct_files": (
        "none: operator duct lines (asset-file schema, lines only); street length within "
        "fiber.route_buffer_m (15 m: street half-width plus positional error) of a duct "
        "gets duct_reuse_discount"
    ),
    "drop_per_premise": "300 EUR per premise connected (drop termination, in-building): assumption",
    "drop_per_m": "15 EUR per metre of drop cable incl. micro-trench: planner assumption",
    "splitter": "120 EUR per optical splitter installed: planner assumption (vendor list prices)",
    "cabinet": "6000 EUR per street cabinet (FDH) installed: planner assumption",
    "splitters_per_cabinet": "16 splitter slots per cabinet (a 512-home FDH at 1:32)",
    "olt_port": "350 EUR per XGS-PON OLT port incl. optics: planner assumption",
    "labour_share": (
        "0.6 of every installed cost is labour (reporting split only; FBA 2025 survey: labour "
        "is the majority of deployment cost)"
    ),
    "split_ratio": "1:32, Biarri FOND / typical GPON design; 1:64 possible",
    "two_level": "single-level splitting by default; two-level puts a 1:first_level_ratio "
    "splitter in the cabinet and 1:(split_ratio/first_level_ratio) splitters in the field",
    "budget": "none: the full plan; a number selects 'pass the most premises with budget B'",
    "phase_budget": "none: one phase; a number cuts the roll-out into yearly phases",
    "optimality_bound": (
        "on: planner.steiner.steiner_lower_bound (exact reductions + HiGHS integer program per "
        "biconnected block) reports routing_lower_bound and routing_gap_pct in summary.json; "
        "bound_time_limit_s (10 CPU seconds) caps the integer programs; past the cap blocks keep "
        "the dual-ascent bound (valid; gap 0.18 % on Liechtenstein greenfield, 0.42 % on the "
        "3x3 mosaic)"
    ),
    "steiner_restart_max_terminals": (
        "2000: planner assumption from bench_plan.py; perturbed restarts paid on Monaco (474 "
        "terminals) and Lauf (1,418; the first restart found all of the gain of 2 to 4), never on "
        "Liechtenstein's main component (3,854) or the mosaics, where each costs a full local "
        "search (more than networkx Mehlhorn's time)"
    ),
    "eu_check": "about 800 EUR per premise passed, urban EU (EU FTTH Council cost model)",
}


def _trench() -> dict[str, float]:
    r = _UNDERGROUND
    big, mid, small = round(r * 1.5, 2), round(r * 1.2, 2), round(r * 0.6, 2)
    out = {}
    for k in ("motorway", "trunk", "primary"):
        out[k] = out[k + "_link"] = big
    for k in ("secondary", "tertiary"):
        out[k] = out[k + "_link"] = mid
    for k in ("residential", "living_street", "unclassified", "road"):
        out[k] = r
    for k in ("service", "track", "path", "footway", "cycleway", "pedestrian", "busway"):
        out[k] = small
    return out


class PlanConfig(BaseModel):
    """Costs and architecture of the fibre build plan (city config section ``plan:``).

    Every cost is an installed cost in :attr:`currency`; defaults and sources in
    :data:`SOURCES`. The drop limit is taken from :class:`planner.fiber.FiberConfig`.
    """

    model_config = STRICT

    currency: str = "EUR"
    trench_per_m: dict[str, float] = Field(default_factory=_trench)
    default_trench_per_m: float = Field(_UNDERGROUND, description="unlisted street classes")
    crossing: float = Field(1500.0, description="per street crossing")
    aerial_per_m: float = Field(_AERIAL, description="aerial cable per metre")
    aerial_highways: list[str] = Field(default_factory=list)
    duct_reuse_discount: float = Field(0.8, ge=0, le=1)
    drop_per_premise: float = 300.0
    drop_per_m: float = 15.0
    splitter: float = 120.0
    cabinet: float = 6000.0
    splitters_per_cabinet: int = Field(16, ge=1)
    olt_port: float = 350.0
    labour_share: float = Field(0.6, ge=0, le=1)
    split_ratio: int = 32
    two_level: bool = False
    first_level_ratio: int = 4
    budget: float | None = None
    phase_budget: float | None = None
    duct_files: list[Path] = Field(
        default_factory=list,
        description="existing duct lines (.geojson/.gpkg), paths relative to the config file",
    )
    new_sites_for_unreachable: bool = Field(
        False, description="give street components without fibre their own central office"
    )
    steiner_time_limit_s: float = Field(30.0, gt=0)
    steiner_restarts: int = Field(1, ge=0)
    steiner_restart_max_terminals: int = Field(
        2000, ge=0, description="restart only street components with at most this many terminals"
    )
    optimality_bound: bool = Field(
        True, description="certify the routing: lower bound on the optimal Steiner cost"
    )
    bound_time_limit_s: float = Field(10.0, gt=0)

    @classmethod
    def parse(cls, data: dict | None) -> PlanConfig:
        """Validate a ``plan:`` mapping; one-line :class:`ConfigError` on bad input."""
        try:
            return cls(**(data or {}))
        except ValidationError as exc:
            raise ConfigError.from_validation("plan config", exc, cls, "plan") from None

    @field_validator("trench_per_m")
    @classmethod
    def _trench_pos(cls, v: dict[str, float]) -> dict[str, float]:
        bad = {k: x for k, x in v.items() if not 0 < x <= MAX_MONEY}
        if bad:
            k = next(iter(bad))
            raise ValueError(
                f"trench_per_m[{k!r}] = {bad[k]} must be > 0 and at most {MAX_MONEY:g}"
            )
        return v

    @field_validator(
        "default_trench_per_m",
        "crossing",
        "aerial_per_m",
        "drop_per_premise",
        "drop_per_m",
        "splitter",
        "cabinet",
        "olt_port",
        "budget",
        "phase_budget",
    )
    @classmethod
    def _positive(cls, v: float | None, info) -> float | None:
        if v is not None and not 0 < v <= MAX_MONEY:
            raise ValueError(f"{info.field_name} = {v} must be > 0 and at most {MAX_MONEY:g}")
        return v

    @field_validator("split_ratio", "first_level_ratio")
    @classmethod
    def _pow2(cls, v: int, info) -> int:
        if v < 2 or v & (v - 1):
            raise ValueError(f"{info.field_name} = {v} must be a power of two (e.g. 32 or 64)")
        return v

    @model_validator(mode="after")
    def _levels(self) -> PlanConfig:
        if self.two_level and self.first_level_ratio >= self.split_ratio:
            raise ValueError(
                f"first_level_ratio ({self.first_level_ratio}) must be below split_ratio "
                f"({self.split_ratio}) for two-level splitting"
            )
        return self

    def trench(self, highway: str) -> float:
        """Trench cost per metre for an OSM ``highway`` value (first of a list)."""
        return self.trench_per_m.get(highway, self.default_trench_per_m)

    def report(self) -> dict:
        """Return the values in use with their sources, for ``summary.json``."""
        return {"values": self.model_dump(mode="json"), "sources": SOURCES}
