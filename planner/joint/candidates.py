"""Candidate sites: upgrades of existing sites, rooftops of tall buildings, street-side masts."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.config.joint import JointConfig
from planner.config.radio import RadioConfig
from planner.radio.sites import build_sites

__all__ = ["CANDIDATE_COLUMNS", "Candidates", "site_candidates", "thin"]

#: Columns of ``Candidates.table`` (one row per candidate; geometry = antenna point).
CANDIDATE_COLUMNS = ["candidate", "kind", "source_id", "height_m", "site_cost"]


@dataclass
class Candidates:
    """The candidates, and their sites and sectors as the radio model builds them."""

    table: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    sectors: gpd.GeoDataFrame
    raw: pd.DataFrame  #: the per-sector rows (site file layout) they were built from


def thin(xy: np.ndarray, spacing: float) -> np.ndarray:
    """Return the indices of the first point per ``spacing`` square (order = priority)."""
    if len(xy) == 0:
        return np.zeros(0, dtype=int)
    key = np.floor(xy / spacing).astype(np.int64)
    _, first = np.unique(key, axis=0, return_index=True)
    return np.sort(first)


def _upgrades(existing: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if existing is None or len(existing) == 0:
        return gpd.GeoDataFrame({"kind": [], "source_id": [], "height_m": []}, geometry=[])
    return gpd.GeoDataFrame(
        {
            "kind": "upgrade",
            "source_id": existing["site_id"].astype(str).to_numpy(),
            "height_m": existing["height_m"].to_numpy(float),
        },
        geometry=existing.geometry.to_numpy(),
    )


def _rooftops(city, jcfg: JointConfig, rcfg: RadioConfig) -> gpd.GeoDataFrame:
    b = city.buildings
    h = pd.to_numeric(b["height_m"], errors="coerce").to_numpy(float) if "height_m" in b else None
    if h is None or len(b) == 0:
        return gpd.GeoDataFrame({"kind": [], "source_id": [], "height_m": []}, geometry=[])
    order = np.argsort(-np.nan_to_num(h, nan=-1.0), kind="stable")
    order = order[np.nan_to_num(h[order], nan=-1.0) >= jcfg.rooftop_min_height_m]
    pts = shapely.point_on_surface(b.geometry.to_numpy()[order])
    keep = order[thin(shapely.get_coordinates(pts), jcfg.mast_spacing_m)]
    ids = b["osm_id"].astype(str).to_numpy()[keep] if "osm_id" in b else keep.astype(str)
    return gpd.GeoDataFrame(
        {"kind": "rooftop", "source_id": ids, "height_m": h[keep] + rcfg.rooftop_mount_m},
        geometry=shapely.point_on_surface(b.geometry.to_numpy()[keep]),
    )


def _masts(
    node_xy: np.ndarray, near: gpd.GeoSeries, jcfg: JointConfig, rcfg: RadioConfig
) -> gpd.GeoDataFrame:
    """Street nodes (public right of way) within ``mast_buffer_m`` of corridors and hubs."""
    if len(near) == 0 or len(node_xy) == 0:
        return gpd.GeoDataFrame({"kind": [], "source_id": [], "height_m": []}, geometry=[])
    zone = shapely.union_all(shapely.buffer(near.to_numpy(), jcfg.mast_buffer_m))
    pts = shapely.points(node_xy)
    inside = np.flatnonzero(shapely.contains_xy(zone, node_xy[:, 0], node_xy[:, 1]))
    keep = inside[thin(node_xy[inside], jcfg.mast_spacing_m)]
    return gpd.GeoDataFrame(
        {"kind": "macro", "source_id": [f"node-{i}" for i in keep], "height_m": rcfg.mast_height_m},
        geometry=pts[keep],
    )


def _raw_rows(table: gpd.GeoDataFrame, jcfg: JointConfig, rcfg: RadioConfig) -> pd.DataFrame:
    """Per-sector rows: new sites get the default sectors; upgrades get up-tilted sectors."""
    rows = []
    for r in table.itertuples():
        base = {
            "site_id": f"cand-{r.candidate}",
            "source": f"joint-{r.kind}",
            "technology": "NR",
            "frequency_ghz": rcfg.frequency_ghz,
            "height_m": float(r.height_m) if np.isfinite(r.height_m) else np.nan,
            "geometry": r.geometry,
        }
        if r.kind != "upgrade":
            rows.append({**base, "azimuth_deg": np.nan})
            continue
        for az in rcfg.sector_azimuths_deg:
            rows.append({**base, "azimuth_deg": az, "elec_tilt_deg": -jcfg.upgrade_uptilt_deg})
    return pd.DataFrame(rows)


def site_candidates(
    city,
    existing: gpd.GeoDataFrame,
    corridors: gpd.GeoDataFrame,
    hubs: gpd.GeoDataFrame | None,
    node_xy: np.ndarray,
    jcfg: JointConfig,
    rcfg: RadioConfig,
) -> Candidates:
    """Every candidate site with its equipment cost (backhaul is added by the backhaul step).

    Parameters
    ----------
    city : City
        Buildings (rooftops) and CRS.
    existing : GeoDataFrame
        The radio model's existing sites (upgrade candidates).
    corridors, hubs : GeoDataFrame
        Masts are placed on street nodes near these.
    node_xy : ndarray
        Street node coordinates (CSR order of the fibre network).
    jcfg, rcfg : JointConfig, RadioConfig
        Costs, spacing, sector defaults.

    Returns
    -------
    Candidates

    """
    near = [corridors.geometry] if corridors is not None and len(corridors) else []
    if hubs is not None and len(hubs):
        near.append(hubs.geometry)
    near_s = gpd.GeoSeries(pd.concat(near, ignore_index=True)) if near else gpd.GeoSeries([])
    parts = [_upgrades(existing), _rooftops(city, jcfg, rcfg), _masts(node_xy, near_s, jcfg, rcfg)]
    table = (
        pd.concat([p for p in parts if len(p)], ignore_index=True)
        if any(len(p) for p in parts)
        else parts[0]
    )
    table = gpd.GeoDataFrame(table, geometry="geometry", crs=city.crs).head(jcfg.max_candidates)
    table = table.reset_index(drop=True)
    table.insert(0, "candidate", np.arange(len(table)))
    table["site_cost"] = [jcfg.site_cost(k) for k in table["kind"]]
    table = table[[*CANDIDATE_COLUMNS, "geometry"]]
    raw = _raw_rows(table, jcfg, rcfg)
    if len(raw) == 0:
        sites, sectors = build_sites(pd.DataFrame({"site_id": [], "geometry": []}), city, rcfg)
    else:
        sites, sectors = build_sites(raw, city, rcfg)
    return Candidates(table=table, sites=sites, sectors=sectors, raw=raw)
