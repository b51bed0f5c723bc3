"""What :func:`planner.joint.plan_joint` returns: JointPlan and its column lists."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from planner.config.joint import JointConfig
from planner.drones import CorridorResult
from planner.joint.backhaul import Routing
from planner.joint.certify import Certificate
from planner.joint.costed import Costed
from planner.joint.cover import CoverModel
from planner.joint.select import Selection
from planner.radio import RadioCoverage

__all__ = ["SITE_COLUMNS", "BACKHAUL_COLUMNS", "JointPlan"]

#: Columns of ``JointPlan.sites`` (one row per chosen site, in selection order).
SITE_COLUMNS = [
    "candidate",
    "site_id",
    "kind",
    "source_id",
    "height_m",
    "order",
    "phase",
    "site_cost",
    "backhaul_cost",
    "total_cost",
    "backhaul_m",
    "corridor_gain_m",
    "sinr_repair",
]
#: Columns of ``JointPlan.backhaul`` (one line per new site to the fibre network).
BACKHAUL_COLUMNS = ["candidate", "site_id", "length_m", "cost"]


@dataclass
class JointPlan:
    """Result of :func:`planner.joint.plan_joint` (projected GeoDataFrames, city CRS)."""

    config: JointConfig
    candidates: gpd.GeoDataFrame  #: every candidate with its costs
    sites: gpd.GeoDataFrame  #: :data:`SITE_COLUMNS`, the chosen sites
    sectors: gpd.GeoDataFrame  #: the chosen sites' sectors (radio SECTOR_FRAME_COLUMNS)
    backhaul: gpd.GeoDataFrame  #: :data:`BACKHAUL_COLUMNS`
    corridors_before: gpd.GeoDataFrame  #: radio CORRIDOR_COLUMNS, existing sites only
    corridors_after: gpd.GeoDataFrame  #: radio CORRIDOR_COLUMNS, planned sites, final corridors
    radio_after: RadioCoverage  #: independent radio model run on existing + chosen sites
    certificate: Certificate
    routing: Routing
    phases: pd.DataFrame
    curve: list[dict]
    rerouted: CorridorResult | None = None
    summary: dict = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)  #: wall seconds per step
    cpu_timings: dict[str, float] = field(default_factory=dict)  #: CPU seconds per step
    costed: Costed | None = field(default=None, repr=False)  #: candidates priced
    model: CoverModel | None = field(default=None, repr=False)  #: the coverage matrix
    selection: Selection | None = field(default=None, repr=False)  #: the greedy's picks
    radio_before: RadioCoverage | None = field(default=None, repr=False)  #: existing sites

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """Return the GeoDataFrame layers of ``sites.gpkg`` by name."""
        return {
            "sites": self.sites,
            "sectors": self.sectors,
            "backhaul": self.backhaul,
            "corridors_before": self.corridors_before,
            "corridors_after": self.corridors_after,
        }

    def __repr__(self) -> str:
        m = self.summary.get("cost_to_meet_both", {})
        return f"JointPlan({len(self.sites)} sites, {m.get('total_eur', 0):.0f} EUR)"
