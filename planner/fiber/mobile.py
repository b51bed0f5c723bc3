"""Mobile-network KPIs from OSM masts: sites, sites per 10,000 people, reach of key places."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from planner.config.fiber import MOBILE_SOURCES as SOURCES


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
        Hospitals, universities, schools, railway stations, projected.
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
    if len(telecom) and "mobile" in telecom:
        sites = telecom[telecom["mobile"].fillna(False).astype(bool)]
    else:
        sites = telecom.iloc[:0]
    n_sites = int(len(sites))
    per10k = round(1e4 * n_sites / people, 3) if people > 0 else None
    r = int(radius_m) if float(radius_m).is_integer() else radius_m
    key = f"key_places_within_{r}m_of_a_site_pct"
    n_kp = int(len(key_places))
    tree = shapely.STRtree(shapely.point_on_surface(sites.geometry.values)) if n_sites else None
    if n_kp and n_sites:
        kp = key_places.geometry.values
        idx, _ = tree.query(kp, predicate="dwithin", distance=radius_m)
        reached = np.zeros(n_kp, dtype=bool)
        reached[idx] = True
        pct = float(round(100 * reached.mean(), 2))
    else:
        pct = 0.0 if n_kp else None
    extra = {}
    if site_radius_m is not None and people_points is not None and len(people_points):
        rr = int(site_radius_m) if float(site_radius_m).is_integer() else site_radius_m
        covered = np.zeros(len(people_points), dtype=bool)
        if n_sites:
            pi, _ = tree.query(people_points, predicate="dwithin", distance=site_radius_m)
            covered[pi] = True
        w = np.asarray(people_weights, dtype=float)
        tot = w.sum()
        extra[f"people_within_{rr}m_of_a_site_pct"] = (
            float(round(100 * w[covered].sum() / tot, 2)) if tot > 0 else None
        )
    return {
        **extra,
        "mobile_sites": n_sites,
        "mobile_sites_per_10k_people": per10k,
        "mobile_sites_target_per_10k": target_per_10k,
        "mobile_sites_gap_to_target": (
            round(max(0.0, target_per_10k * people / 1e4 - n_sites), 1) if people > 0 else None
        ),
        "key_places": n_kp,
        key: pct,
        "mobile_assumptions": {
            "people": round(float(people), 1),
            "key_place_radius_m": radius_m,
            "site_radius_m": site_radius_m,
            "sources": SOURCES,
        },
    }
