"""The ``summary.json["fiber"]`` KPIs of a coverage analysis, built in one place."""

from __future__ import annotations

import geopandas as gpd
import numpy as np

from planner.city.model import City
from planner.config.fiber import FiberConfig
from planner.fiber.hexes import coverage_pct
from planner.fiber.mobile import mobile_kpis
from planner.fiber.placement import Supply
from planner.fiber.result import CLASSES, FiberKpis

__all__ = ["fiber_kpis"]


def fiber_kpis(
    city: City,
    premises: gpd.GeoDataFrame,
    supply: Supply,
    clusters: gpd.GeoDataFrame,
    config: FiberConfig,
) -> FiberKpis:
    """Return the fixed-network and mobile KPIs; the class counts sum to the total.

    Parameters
    ----------
    city : City
        The city (telecom and key-place layers, buildings' people).
    premises : GeoDataFrame
        :attr:`FiberCoverage.premises <planner.fiber.FiberCoverage.premises>`.
    supply : Supply
        The supply and whether the result is greenfield.
    clusters : GeoDataFrame
        The gap clusters.
    config : FiberConfig
        Target coverage, mobile radii and targets; its report goes to ``assumptions``.

    Returns
    -------
    FiberKpis
    """
    prem = premises["premises"].to_numpy()
    kls = premises["fiber_class"].to_numpy()
    n = {c: int(prem[kls == c].sum()) for c in CLASSES}
    total = int(prem.sum())
    assert sum(n.values()) == total
    cov = float(coverage_pct(n["passed"], total)) if total else 0.0
    target = config.target_coverage_pct
    needed = max(0, int(np.ceil(target / 100 * total - 1e-9)) - n["passed"])
    fb = premises["fallback"].to_numpy()
    assets = supply.assets
    return {
        "premises_total": total,
        "premises_passed": n["passed"],
        "premises_near": n["near"],
        "premises_unserved": n["unserved"],
        "premises_unreachable": n["unreachable"],
        "coverage_pct": cov,
        "target_coverage_pct": target,
        "gap_to_target_pct": round(max(0.0, target - cov), 2),
        "premises_needed_for_target": needed,
        "target_met": bool(cov >= target),
        "buildings": int(len(premises)),
        "buildings_straight_line_fallback": int(fb.sum()),
        "premises_straight_line_fallback": int(prem[fb].sum()),
        "gap_clusters": int(len(clusters)),
        "gap_cluster_premises": int(clusters["premises"].sum()) if len(clusters) else 0,
        "assets": int(len(assets)),
        "assets_on_network": int(assets["on_network"].sum()) if len(assets) else 0,
        "greenfield": supply.greenfield,
        "assumptions": config.report(),
        "assets_all_off_network": supply.off_network,
        **_mobile(city, premises, config),
    }


def _mobile(city: City, premises: gpd.GeoDataFrame, config: FiberConfig) -> dict:
    """Mobile KPIs; people are the premises' (population raster) or the buildings' people."""
    people = (
        float(premises["people"].sum())
        if config.population_raster
        else float(city.buildings["people"].sum())
    )
    return mobile_kpis(
        city.telecom,
        city.key_places,
        people,
        config.key_place_radius_m,
        config.mobile_sites_per_10k_target,
        site_radius_m=config.mobile_site_radius_m,
        people_points=premises.geometry.to_numpy(),
        people_weights=premises["people"].to_numpy(),
    )
