"""Joint fibre + 5G site plan settings (``joint:`` config section) with every cost cited."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from planner.errors import ConfigError

__all__ = ["SOURCES", "JointConfig"]

#: Where each default of :class:`JointConfig` comes from; reported in ``summary.json``.
SOURCES: dict[str, str] = {
    "corridor_target_pct": (
        "90 %: issue 12, the 2027 target of mobile coverage of the low-altitude routes "
        "(share of corridor length at flight altitude)"
    ),
    "household_target_pct": "80 %: issue 12, the 2027 target of household gigabit coverage",
    "population_target_pct": (
        "none: ground population coverage is optional (issue 12); set e.g. 95 to also cover "
        "the people on the ground"
    ),
    "key_places_target_pct": (
        "none: the key places are an optional objective (issue 12: 'optionally the population "
        "on the ground and the key places'); set 95 for the MIIT 'gigabit city' indicator of "
        "5G reach of key places (2021; the radio model's targets.key_places_pct)"
    ),
    "cost_new_macro": (
        "120000 EUR per new macro site (greenfield mast, civil works, power, RAN equipment): "
        "planner assumption of the order of magnitude used in techno-economic 5G studies "
        "(e.g. Oughton & Frias 2018, Telecommunications Policy); replace by operator quotes"
    ),
    "cost_rooftop": (
        "60000 EUR per new rooftop site (lease set-up, mounting, RAN equipment; no mast): "
        "planner assumption, about half a greenfield site as in the same studies"
    ),
    "cost_upgrade": (
        "15000 EUR per upgrade of an existing site with an aerial-facing (up-tilted) sector "
        "set on the same mast and backhaul: planner assumption (equipment and installation only)"
    ),
    "backhaul_termination": (
        "2000 EUR per site connected to fibre (splice, termination, site entry): planner "
        "assumption; the trench along the streets is priced with plan.trench_per_m"
    ),
    "lead_in_per_m": (
        "the plan's default_trench_per_m (54.57 EUR/m, FBA/Cartesian 2025 median "
        "underground cost) for the straight lead-in from the nearest street node to the site"
    ),
    "upgrade_uptilt_deg": (
        "10 deg up-tilt (electrical tilt -10 deg) of the aerial-facing sectors: planner "
        "assumption; up-tilted sectors for cellular-connected UAVs are studied by "
        "Chowdhury, Guvenc et al., 'Ensuring reliable connectivity to cellular-connected UAVs "
        "with up-tilted antennas and interference coordination', ITU J-FET 2021"
    ),
    "rooftop_min_height_m": (
        "20 m: buildings of at least about 6 storeys stand above the urban clutter "
        "(TR 38.901 UMa assumes 25 m antennas above rooftop level)"
    ),
    "mast_spacing_m": "400 m between mast candidates along corridors and at hubs (thinning)",
    "mast_buffer_m": "300 m: mast candidates on street nodes within this distance of a corridor",
    "max_candidates": "1000 candidates at most (issue 12 benchmark size); the cheapest kinds first",
    "milp_time_limit_s": "30 s for the HiGHS certificate (optimum or lower bound)",
    "milp_replace_pct": (
        "1 %: the MILP's cover replaces the greedy + local search one only when at least 1 % "
        "cheaper; a closer one would redo the radio check and re-route for a saving the "
        "certificate's gap already reports (planner assumption)"
    ),
    "air_penalty_weight": (
        "2.0 routing-risk units per uncovered cell: an uncovered stretch costs like flying over "
        "2 x risk_scale people/km2 (planner assumption)"
    ),
    "max_uncovered_m": (
        "none: optional longest uncovered stretch allowed per corridor; corridors above it "
        "are reported"
    ),
    "phases": "4 joint roll-out phases of equal budget (planner assumption)",
}


class JointConfig(BaseModel):
    """The ``joint:`` section: targets, candidate sites, their cited costs and the solvers.

    Every default and its source is in :data:`SOURCES`; :meth:`report` returns both.
    """

    model_config = ConfigDict(extra="forbid")

    corridor_target_pct: float = Field(90.0, gt=0, le=100)
    household_target_pct: float = Field(80.0, gt=0, le=100)
    population_target_pct: float | None = Field(None, gt=0, le=100)
    key_places_target_pct: float | None = Field(None, gt=0, le=100)
    cost_new_macro: float = Field(120_000.0, ge=0)
    cost_rooftop: float = Field(60_000.0, ge=0)
    cost_upgrade: float = Field(15_000.0, ge=0)
    backhaul_termination: float = Field(2_000.0, ge=0)
    lead_in_per_m: float | None = Field(None, ge=0)
    upgrade_uptilt_deg: float = Field(10.0, ge=0, le=45)
    rooftop_min_height_m: float = Field(20.0, gt=0)
    mast_spacing_m: float = Field(400.0, gt=0)
    mast_buffer_m: float = Field(300.0, ge=0)
    max_candidates: int = Field(1000, ge=1)
    milp_time_limit_s: float = Field(30.0, gt=0)
    milp_replace_pct: float = Field(1.0, ge=0, lt=100)
    air_penalty_weight: float = Field(2.0, ge=0)
    max_uncovered_m: float | None = Field(None, gt=0)
    phases: int = Field(4, ge=1, le=50)

    @classmethod
    def parse(cls, data: dict | None, where: str = "joint config") -> JointConfig:
        """Validate a ``joint:`` mapping; one-line :class:`ConfigError` on bad input.

        Parameters
        ----------
        data : dict or None
            The mapping (None: defaults).
        where : str
            Name used in the error message.

        Returns
        -------
        JointConfig

        """
        try:
            return cls.model_validate(data or {})
        except ValidationError as exc:
            raise ConfigError.from_validation(where, exc, cls, "joint") from None

    def site_cost(self, kind: str) -> float:
        """Return the equipment cost of one candidate of ``kind`` (macro, rooftop, upgrade)."""
        return {"macro": self.cost_new_macro, "rooftop": self.cost_rooftop}.get(
            kind, self.cost_upgrade
        )

    def report(self) -> dict:
        """Return ``{"values": ..., "sources": SOURCES}`` for ``summary.json``."""
        return {"values": self.model_dump(mode="json"), "sources": SOURCES}
