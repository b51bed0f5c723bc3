"""Mobile-network KPIs from OSM masts: sites, sites per 10,000 people, reach of key places."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from planner.config.fiber import MOBILE_SOURCES as SOURCES

__all__ = ["mobile_kpis"]


def mobile_kpis(
    telecom: gpd.GeoDataFrame,
    key_places: gpd.GeoDataFrame,
    people: float,
    radius_m: float,
    target_per_10k: float,
    site_radius_m: float | None = None,
    people_points: np.ndarray | None = None,
    people_weights: np.ndarray | None = None,
) -> dict:
    """Compute mobile KPIs from OSM mobile sites.

    Parameters
    ----------
    telecom : GeoDataFrame
        The city's telecom layer (``mobile`` column), projected.
    key_places : GeoDataFrame
        The city's key places (hospitals, universities, schools, railway stations, tourism
        areas, airports), projected.
    people : float
        Population of the city (buildings' ``people`` or a population raster).
    radius_m : float
        A key place within this distance of a site counts as reached.
    target_per_10k : float
        Target sites per 10,000 people.
    site_radius_m : float, optional
        With ``people_points`` / ``people_weights`` (building points and their people): adds
        ``people_within_<r>m_of_a_site_pct``.
    people_points, people_weights : ndarray, optional
        Projected points and people per point.

    Returns
    -------
    dict
        ``mobile_sites``, ``mobile_sites_per_10k_people``, ``mobile_sites_target_per_10k``,
        ``key_places``, ``key_places_within_<r>m_of_a_site_pct`` and ``assumptions``.
    """
    sites = _mobile_sites(telecom)
    n_sites = int(len(sites))
    tree = shapely.STRtree(shapely.point_on_surface(sites.geometry.values)) if n_sites else None
    near_people = {}
    if site_radius_m is not None and people_points is not None and len(people_points):
        near_people[f"people_within_{_metres(site_radius_m)}m_of_a_site_pct"] = _people_near_pct(
            tree, people_points, people_weights, site_radius_m
        )
    has_people = people > 0
    return {
        **near_people,
        "mobile_sites": n_sites,
        "mobile_sites_per_10k_people": round(1e4 * n_sites / people, 3) if has_people else None,
        "mobile_sites_target_per_10k": target_per_10k,
        "mobile_sites_gap_to_target": (
            round(max(0.0, target_per_10k * people / 1e4 - n_sites), 1) if has_people else None
        ),
        "key_places": int(len(key_places)),
        f"key_places_within_{_metres(radius_m)}m_of_a_site_pct": _reached_pct(
            tree, key_places, radius_m
        ),
        "mobile_assumptions": {
            "people": round(float(people), 1),
            "key_place_radius_m": radius_m,
            "site_radius_m": site_radius_m,
            "sources": SOURCES,
        },
    }


def _mobile_sites(telecom: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if len(telecom) and "mobile" in telecom:
        return telecom[telecom["mobile"].fillna(False).astype(bool)]
    return telecom.iloc[:0]


def _metres(radius: float) -> int | float:
    """Return a radius as written in a KPI name: ``500`` for 500.0, ``250.5`` stays."""
    return int(radius) if float(radius).is_integer() else radius


def _reached_pct(
    tree: shapely.STRtree | None, key_places: gpd.GeoDataFrame, radius_m: float
) -> float | None:
    """Percentage of key places within ``radius_m`` of a site (None without key places)."""
    if not len(key_places):
        return None
    if tree is None:
        return 0.0
    idx, _ = tree.query(key_places.geometry.values, predicate="dwithin", distance=radius_m)
    reached = np.zeros(len(key_places), dtype=bool)
    reached[idx] = True
    return float(round(100 * reached.mean(), 2))


def _people_near_pct(
    tree: shapely.STRtree | None, points: np.ndarray, weights: np.ndarray, radius_m: float
) -> float | None:
    """Percentage of people (weights at points) within ``radius_m`` of a site."""
    covered = np.zeros(len(points), dtype=bool)
    if tree is not None:
        pi, _ = tree.query(points, predicate="dwithin", distance=radius_m)
        covered[pi] = True
    w = np.asarray(weights, dtype=float)
    tot = w.sum()
    return float(round(100 * w[covered].sum() / tot, 2)) if tot > 0 else None
