"""What plan_corridors returns: layers, rasters and the ``summary.json["drones"]`` section."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypedDict

import geopandas as gpd
import numpy as np
import pandas as pd
from affine import Affine
from pyproj import CRS

from planner.config.drones import DroneConfig
from planner.drones.airspace import Airspace, FlightRules
from planner.drones.hubs import HubSet
from planner.drones.metrics import CorridorChecks, MetricInputs
from planner.drones.network import Weighting
from planner.drones.risk import GroundRisk

__all__ = [
    "CORRIDOR_COLUMNS",
    "HUB_COLUMNS",
    "NOFLY_COLUMNS",
    "OBSTACLE_COLUMNS",
    "TRUNK_COLUMNS",
    "AutoHubSummary",
    "BandSummary",
    "CertificateSummary",
    "CorridorInputs",
    "CorridorResult",
    "DroneSummary",
    "HubSummary",
    "certificate_summary",
    "corridor_summary",
]

#: Columns of ``CorridorResult.nofly``.
NOFLY_COLUMNS = ["reason", "kind", "name", "buffer_m", "ceiling_m", "source"]
#: Columns of ``CorridorResult.obstacles``.
OBSTACLE_COLUMNS = ["kind", "name", "height_m", "height_source", "top_m"]
#: Columns of ``CorridorResult.hubs``.
HUB_COLUMNS = [
    "name",
    "source",
    "tag",
    "footprint_m2",
    "surround_ppl_km2",
    "reason",
    "feasible",
    "message",
    "snapped_m",
]
#: Columns of ``CorridorResult.corridors`` (and ``baseline``): one row per hub pair.
CORRIDOR_COLUMNS = [
    "from_hub",
    "to_hub",
    "cost",
    "risk_weight",
    "length_m",
    "straight_m",
    "detour_factor",
    "ground_risk",
    "max_igrc",
    "out_of_sora_scope",
    "share_roads",
    "share_water",
    "share_parks",
    "min_clearance_m",
    "mobile_coverage_share",
    "shortest_length_m",
    "shortest_ground_risk",
    "detour_vs_shortest",
    "risk_reduction",
]
#: Columns of ``CorridorResult.trunk``.
TRUNK_COLUMNS = ["n_corridors", "length_m"]


class BandSummary(TypedDict):
    """The flight band (m AGL) and its top in effect (capped by the preset)."""

    min_m: float
    max_m: float
    top_m: float


class HubSummary(TypedDict):
    """One hub as reported: where it is (WGS84) and why it was chosen."""

    name: str
    source: str
    lon: float
    lat: float
    snapped_m: float
    feasible: bool
    tag: str
    footprint_m2: int | None
    surround_ppl_km2: float | None
    reason: str


class AutoHubSummary(TypedDict):
    """The automatic siting settings in effect."""

    max_hubs: int
    spacing_m: float
    density_radius_m: float
    building_types: list[str]
    min_footprint_m2: float
    access_m: float
    fallback_types: list[str]
    fallback_used: bool
    order: str


class HubLinkSummary(TypedDict):
    """Which hub pairs were routed: ``od_pairs``, ``all`` or the ``gabriel`` graph."""

    rule: str
    pairs: int


class CertificateSummary(TypedDict):
    """How far each free-mode corridor may be from the full-resolution optimum.

    ``gap_bound`` is a proven bound on ``cost / optimum - 1`` at the corridor's risk weight:
    0 for the exact router, ``1e-12`` for the A* router (its tie-breaking inflation);
    ``proven_optimal`` counts the corridors with a bound of at most ``1e-6``.
    """

    router: str
    corridors: list[dict[str, Any]]
    proven_optimal: int
    max_gap_bound: float
    mean_gap_bound: float


class DroneSummary(TypedDict):
    """``summary.json["drones"]``: settings, hubs, corridors, safety checks and totals."""

    mode: str
    preset: str
    preset_title: str
    band: BandSummary
    altitude_cap_m: float
    clearance_m: float
    zone_margin_m: float
    ua_class: str
    resolution_m: float
    risk_weight: float | None
    detour_budget: float | None
    corridor_width_m: float
    nofly_zones: int
    blocking_obstacles: int
    blocked_share: float
    hubs: list[HubSummary]
    corridors: list[dict[str, Any]]
    restricted_intersections: int
    corridor_area_intersections: int
    obstacle_violations: int
    ground_risk: float
    shortest_ground_risk: float
    risk_reduction: float
    mean_detour_vs_shortest: float | None
    mean_detour_factor: float | None
    trunk_length_m: float
    infeasible: list[str]
    auto_hubs: AutoHubSummary | None
    hub_links: HubLinkSummary
    population_raster_coverage_pct: float | None
    assumptions: dict[str, dict[str, Any]]
    routing_certificate: CertificateSummary | None


@dataclass
class CorridorInputs:
    """What a run's corridors are routed over and measured against, built once per run.

    Carried on :class:`CorridorResult` so that
    :func:`~planner.drones.corridors.reroute_corridors` routes again (another routing
    penalty) without rebuilding the airspace, the ground-risk model or the hubs.
    """

    config: DroneConfig  #: the validated drones configuration of the run
    rules: FlightRules  #: preset, band top, clearance, zone margin
    space: Airspace  #: no-fly zones, obstacles, blocked mask
    people: GroundRisk  #: density, iGRC and routing risk (without any air penalty)
    hubs: HubSet  #: the hubs before routing
    metrics: MetricInputs  #: what the corridors are measured against
    spacing: float | None  #: automatic hub spacing (m; None with configured hubs)
    hub_count: int | None = None  #: most automatic hubs kept (None with configured hubs)


@dataclass
class CorridorResult:
    """Everything :func:`~planner.drones.corridors.plan_corridors` computed."""

    nofly: gpd.GeoDataFrame  #: :data:`NOFLY_COLUMNS`
    obstacles: gpd.GeoDataFrame  #: :data:`OBSTACLE_COLUMNS`
    corridors: gpd.GeoDataFrame  #: :data:`CORRIDOR_COLUMNS`
    hubs: gpd.GeoDataFrame  #: :data:`HUB_COLUMNS`
    trunk: gpd.GeoDataFrame  #: :data:`TRUNK_COLUMNS`
    corridor_area: gpd.GeoDataFrame  #: ``width_m`` and the union of the trunk buffers
    baseline: gpd.GeoDataFrame  #: shortest feasible path per hub pair (same rows as corridors)
    igrc: np.ndarray  #: SORA 2.5 iGRC grid
    density: np.ndarray  #: people/km² grid
    blocked: np.ndarray  #: blocked-cell mask
    transform: Affine  #: transform of the three grids
    crs: CRS  #: the city CRS of every layer and grid
    summary: DroneSummary  #: ``summary.json["drones"]``
    #: the run's airspace, risk model and hubs, for re-routing (None when not kept)
    inputs: CorridorInputs | None = None


def corridor_summary(
    *,
    cfg: DroneConfig,
    rules: FlightRules,
    weights: Weighting,
    space: Airspace,
    hubs: gpd.GeoDataFrame,
    corridors: gpd.GeoDataFrame,
    checks: CorridorChecks,
    trunk: gpd.GeoDataFrame,
    messages: list[str],
    spacing: float | None,
    coverage: float | None,
    assumptions: dict[str, dict[str, Any]],
    certificate: CertificateSummary | None = None,
    hub_count: int | None = None,
    links: HubLinkSummary | None = None,
) -> DroneSummary:
    """Return the ``drones`` section of ``summary.json``.

    Parameters
    ----------
    cfg : DroneConfig
        The drones configuration.
    rules, weights : FlightRules, Weighting
        Preset, band top, clearance and margin; risk weight or detour budget in effect.
    space : Airspace
        No-fly zones, blocking obstacles and the blocked mask.
    hubs, corridors, trunk : geopandas.GeoDataFrame
        Hubs as reported (:data:`HUB_COLUMNS`, city CRS), corridors, trunk lines.
    checks, messages : CorridorChecks, list of str
        The geometric checks; infeasible hubs and unconnected pairs.
    spacing, coverage : float, optional
        Automatic hub spacing (m; None with configured hubs); raster coverage (%).
    assumptions, certificate : dict
        From :func:`~planner.drones.assumptions.assumptions`; :func:`certificate_summary`.
    hub_count, links : int, HubLinkSummary, optional
        Most automatic hubs kept (None with configured hubs); the pair rule and pair count.

    Returns
    -------
    DroneSummary
        JSON-ready values (floats rounded where reported to people).
    """
    tot, tot_s = (_col(corridors, c, "sum") or 0.0 for c in ("ground_risk", "shortest_ground_risk"))
    return {
        "mode": cfg.mode,
        "preset": rules.preset.name,
        "preset_title": rules.preset.title,
        "band": {"min_m": cfg.band.min_m, "max_m": cfg.band.max_m, "top_m": rules.top_m},
        "altitude_cap_m": rules.preset.altitude_cap.value_m,
        "clearance_m": rules.clearance_m,
        "zone_margin_m": rules.margin_m,
        "ua_class": cfg.ua_class,
        "resolution_m": cfg.resolution_m,
        "risk_weight": weights.weight,
        "detour_budget": weights.budget,
        "corridor_width_m": cfg.corridor_width_m,
        "nofly_zones": int(len(space.nofly)),
        "blocking_obstacles": int(len(space.tall)),
        "blocked_share": float(space.blocked.mean()),
        "hubs": _hub_records(hubs),
        "corridors": _records(corridors.drop(columns=["geometry", "cost"], errors="ignore")),
        "restricted_intersections": checks.restricted,
        "corridor_area_intersections": checks.area,
        "obstacle_violations": checks.obstacles,
        "ground_risk": tot,
        "shortest_ground_risk": tot_s,
        "risk_reduction": (1 - tot / tot_s) if tot_s > 0 else 0.0,
        "mean_detour_vs_shortest": _col(corridors, "detour_vs_shortest", "mean"),
        "mean_detour_factor": _col(corridors, "detour_factor", "mean"),
        "trunk_length_m": float(trunk["length_m"].sum()) if len(trunk) else 0.0,
        "infeasible": messages,
        "auto_hubs": None if spacing is None else _auto_hubs(cfg, hubs, spacing, hub_count),
        "hub_links": links or {"rule": "all", "pairs": len(corridors)},
        "population_raster_coverage_pct": coverage,
        "assumptions": assumptions,
        "routing_certificate": certificate,
    }


def _col(corridors: gpd.GeoDataFrame, column: str, how: str) -> float | None:
    """Sum or mean of a corridor column; None without corridors."""
    return float(getattr(corridors[column], how)()) if len(corridors) else None


def certificate_summary(
    router: str,
    gaps: dict[tuple[float, int, int], float] | None,
    names: list[str],
    rows: list[dict],
) -> CertificateSummary | None:
    """Return the per-corridor optimality bounds of a free-mode run (None in streets mode).

    Parameters
    ----------
    router : str
        ``astar`` or ``exact`` (empty: streets mode).
    gaps : dict, optional
        ``(weight, i, j)`` -> bound on the gap (A* router).
    names : list of str
        Routable hub names, in the router's order.
    rows : list of dict
        The corridors' ``from_hub``, ``to_hub`` and ``risk_weight``.
    """
    if not router:
        return None
    index = {n: k for k, n in enumerate(names)}
    out = []
    for r in rows:
        i, j = sorted((index[r["from_hub"]], index[r["to_hub"]]))
        gap = 0.0 if gaps is None else gaps.get((r["risk_weight"], i, j), 0.0)
        out.append(
            {
                "from_hub": r["from_hub"],
                "to_hub": r["to_hub"],
                "risk_weight": r["risk_weight"],
                "gap_bound": round(float(gap), 6),
            }
        )
    g = [c["gap_bound"] for c in out]
    return {
        "router": router,
        "corridors": out,
        "proven_optimal": sum(x <= 1e-6 for x in g),
        "max_gap_bound": max(g, default=0.0),
        "mean_gap_bound": round(float(np.mean(g)), 6) if g else 0.0,
    }


def _hub_records(hubs: gpd.GeoDataFrame) -> list[HubSummary]:
    """Return the hubs in WGS84, rounded for the summary."""
    ll = hubs.to_crs(4326)
    return [
        {
            "name": r.name,
            "source": r.source,
            "lon": round(float(p.x), 6),
            "lat": round(float(p.y), 6),
            "snapped_m": round(float(r.snapped_m), 1),
            "feasible": bool(r.feasible),
            "tag": r.tag,
            "footprint_m2": None if pd.isna(r.footprint_m2) else round(float(r.footprint_m2)),
            "surround_ppl_km2": None
            if pd.isna(r.surround_ppl_km2)
            else round(float(r.surround_ppl_km2), 1),
            "reason": r.reason,
        }
        for r, p in zip(hubs.itertuples(), ll.geometry, strict=True)
    ]


def _auto_hubs(
    cfg: DroneConfig, hubs: gpd.GeoDataFrame, spacing: float, count: int | None
) -> AutoHubSummary:
    """Return the automatic siting settings, and whether the commercial fallback was used."""
    return {
        "max_hubs": count,
        "spacing_m": round(spacing, 1),
        "density_radius_m": cfg.auto_hub_density_radius_m,
        "building_types": list(cfg.auto_hub_building_types),
        "min_footprint_m2": cfg.auto_hub_min_footprint_m2,
        "access_m": cfg.auto_hub_access_m,
        "fallback_types": list(cfg.auto_hub_fallback_types),
        "fallback_used": bool((hubs["source"] == "commercial").any()),
        "order": (
            "hospitals, heliports, logistics (then commercial fallback); each by lowest "
            "surrounding density"
        ),
    }


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts with native Python types, floats rounded to 4 decimals."""
    return json.loads(pd.DataFrame(df).round(4).to_json(orient="records"))
