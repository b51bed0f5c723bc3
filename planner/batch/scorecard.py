"""The region's scorecard: one row of KPIs per city from its summary, and region totals."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.batch._compat import atomic_path, write_gpkg

__all__ = [
    "INT_COLUMNS",
    "KPI_LABELS",
    "SUM_COLUMNS",
    "city_kpis",
    "cost_to_target",
    "region_totals",
    "scorecard_frame",
    "write_scorecard",
]

#: Columns summed over cities for the region row (ratios are recomputed from them).
SUM_COLUMNS = [
    "buildings",
    "premises",
    "premises_total",
    "premises_passed",
    "premises_needed_for_target",
    "premises_targeted",
    "capex_total",
    "cost_to_target",
    "route_length_m",
    "mobile_sites",
    "people",
    "corridors",
    "ground_risk",
    "shortest_ground_risk",
]

#: Count columns, written as integers.
INT_COLUMNS = [
    "buildings",
    "premises",
    "premises_total",
    "premises_passed",
    "premises_needed_for_target",
    "premises_targeted",
    "mobile_sites",
    "corridors",
]

#: Human labels of the KPI columns (maps, report).
KPI_LABELS = {
    "coverage_pct": "gigabit coverage (% of premises passed)",
    "gap_to_target_pct": "gap to coverage target (points)",
    "premises_needed_for_target": "premises to pass to reach the target",
    "cost_to_target": "cost to reach the target",
    "capex_total": "plan capex",
    "capex_per_premise": "plan capex per premise",
    "sites_per_10k": "5G/mobile sites per 10,000 people",
    "corridors": "drone corridors",
    "risk_reduction_pct": "corridor ground-risk reduction vs shortest (%)",
    "route_coverage_pct": "drone route radio coverage (%)",
}


def cost_to_target(plan: dict[str, Any], fiber: dict[str, Any]) -> float | None:
    """Return the plan's cost to reach the coverage target, from its roll-out cost curve.

    0 when the target is met; linear between the curve's points; None when the plan never
    reaches the target (or there is no plan).
    """
    if not fiber:
        return None
    target = float(fiber.get("target_coverage_pct", 0.0))
    if float(fiber.get("coverage_pct", 0.0)) >= target:
        return 0.0
    curve = (plan or {}).get("cost_curve") or []
    prev = None
    for point in curve:
        if point["coverage_pct"] >= target:
            if prev is None or point["coverage_pct"] == prev["coverage_pct"]:
                return float(point["cost"])
            t = (target - prev["coverage_pct"]) / (point["coverage_pct"] - prev["coverage_pct"])
            return round(prev["cost"] + t * (point["cost"] - prev["cost"]), 2)
        prev = point
    return None


def _num(value: Any) -> float:
    return float("nan") if value is None else float(value)


def city_kpis(summary: dict[str, Any]) -> dict[str, Any]:
    """Return one city's scorecard row from its ``summary.json``.

    Sections a run did not produce (e.g. no drones step) give NaN KPIs. A radio model's
    ``drones.route_coverage_pct`` is taken when present.
    """
    layers = summary.get("layers", {})
    f = summary.get("fiber") or {}
    p = summary.get("fiber_plan") or {}
    d = summary.get("drones") or {}
    people = (f.get("mobile_assumptions") or {}).get("people")
    row = {
        "buildings": layers.get("buildings"),
        "premises": layers.get("premises"),
        "premises_total": f.get("premises_total"),
        "premises_passed": f.get("premises_passed"),
        "coverage_pct": f.get("coverage_pct"),
        "target_coverage_pct": f.get("target_coverage_pct"),
        "gap_to_target_pct": f.get("gap_to_target_pct"),
        "premises_needed_for_target": f.get("premises_needed_for_target"),
        "capex_total": p.get("capex_total"),
        "premises_targeted": p.get("premises_targeted"),
        "capex_per_premise": p.get("capex_per_premise"),
        "coverage_pct_after": p.get("coverage_pct_after"),
        "cost_to_target": cost_to_target(p, f),
        "route_length_m": p.get("route_length_m"),
        "currency": p.get("currency"),
        "mobile_sites": f.get("mobile_sites"),
        "people": people,
        "sites_per_10k": f.get("mobile_sites_per_10k_people"),
        "corridors": len(d["corridors"]) if "corridors" in d else None,
        "ground_risk": d.get("ground_risk"),
        "shortest_ground_risk": d.get("shortest_ground_risk"),
        "risk_reduction_pct": 100 * d["risk_reduction"] if "risk_reduction" in d else None,
        "route_coverage_pct": d.get("route_coverage_pct"),
    }
    return {k: (v if k == "currency" else _num(v)) for k, v in row.items()}


def _ratio(num: float, den: float, scale: float = 1.0) -> float:
    return round(scale * num / den, 2) if den and not math.isnan(den) else float("nan")


def _fsum(series: pd.Series) -> float:
    """Sum in row order (the scorecard is sorted by city); NaN when every value is missing."""
    total = series.astype("Float64").sum(min_count=1)
    return float("nan") if pd.isna(total) else float(total)


def region_totals(frame: pd.DataFrame) -> dict[str, Any]:
    """Return the region row: sums over the cities that ran, ratios recomputed from sums.

    :data:`SUM_COLUMNS` are summed in city order; coverage, capex per premise, sites per
    10k and risk reduction are recomputed from those sums (not averaged over cities).
    """
    ok = frame[frame["status"] != "failed"]
    tot: dict[str, Any] = {c: _fsum(ok[c]) for c in SUM_COLUMNS}
    currencies = sorted({c for c in ok["currency"].dropna()})
    if len(currencies) > 1:  # money in different currencies does not add up
        for c in ("capex_total", "cost_to_target"):
            tot[c] = float("nan")
    tot["currency"] = currencies[0] if len(currencies) == 1 else None
    premises, passed = tot["premises_total"], tot["premises_passed"]
    weighted = _fsum(ok["target_coverage_pct"] * ok["premises_total"].astype(float))
    tot["target_coverage_pct"] = _ratio(weighted, premises)
    tot["coverage_pct"] = _ratio(passed, premises, 100)
    gap = tot["target_coverage_pct"] - tot["coverage_pct"]
    tot["gap_to_target_pct"] = round(max(0.0, gap), 2) if not math.isnan(gap) else gap
    tot["coverage_pct_after"] = _ratio(passed + tot["premises_targeted"], premises, 100)
    tot["capex_per_premise"] = _ratio(tot["capex_total"], tot["premises_targeted"])
    tot["sites_per_10k"] = _ratio(tot["mobile_sites"], tot["people"], 1e4)
    tot["risk_reduction_pct"] = (
        round(100 * (1 - tot["ground_risk"] / tot["shortest_ground_risk"]), 2)
        if tot["shortest_ground_risk"] and not math.isnan(tot["shortest_ground_risk"])
        else float("nan")
    )
    cov = ok["route_coverage_pct"]
    tot["route_coverage_pct"] = round(float(cov.mean()), 2) if cov.notna().any() else np.nan
    tot["cities"] = int(len(ok))
    return tot


def scorecard_frame(rows: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """Return the scorecard: one row per city sorted by name, WGS84 polygons.

    Parameters
    ----------
    rows : list of dict
        Per city: ``city``, ``name``, ``relation_id``, ``status``, ``error``, ``geometry``
        (shapely, WGS84 or None) and ``summary`` (None when the city failed).
    """
    records = []
    for r in sorted(rows, key=lambda r: r["city"]):
        kpis = city_kpis(r["summary"]) if r.get("summary") else city_kpis({})
        records.append(
            {
                "city": r["city"],
                "name": r.get("name") or r["city"],
                "relation_id": r.get("relation_id"),
                "status": r["status"],
                "error": r.get("error"),
                **kpis,
                "geometry": r.get("geometry"),
            }
        )
    frame = gpd.GeoDataFrame(records, geometry="geometry", crs=4326)
    return _as_int(frame, ["relation_id", *INT_COLUMNS])


def _as_int(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    for c in cols:
        frame[c] = pd.array(
            [None if v is None or pd.isna(v) else round(float(v)) for v in frame[c]], dtype="Int64"
        )
    return frame


def write_scorecard(frame: gpd.GeoDataFrame, out_root: str | Path) -> list[Path]:
    """Write ``region.gpkg`` (layers ``cities`` and ``region``) and ``region.csv``.

    ``region.csv`` has one row per city and a last row ``city = "(region)"`` with the
    totals of :func:`region_totals`; both files are replaced atomically.
    """
    out_root = Path(out_root)
    totals = region_totals(frame)
    geoms = [g for g in frame.geometry if g is not None and not g.is_empty]
    union = shapely.union_all(geoms) if geoms else None
    region = gpd.GeoDataFrame(
        [{"city": "(region)", "name": "region", **totals, "geometry": union}],
        geometry="geometry",
        crs=4326,
    )
    region = _as_int(region, [*INT_COLUMNS, "cities"])
    gpkg = write_gpkg({"cities": frame, "region": region}, out_root / "region.gpkg")
    table = pd.concat(
        [
            pd.DataFrame(frame.drop(columns="geometry")),
            pd.DataFrame(region.drop(columns="geometry")),
        ],
        ignore_index=True,
    )
    csv = out_root / "region.csv"
    with atomic_path(csv) as tmp:
        table.to_csv(tmp, index=False, lineterminator="\n")
    return [gpkg, csv]
