"""Joint plan tables (chosen sites, sectors, backhaul lines), the site file and the summary."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.joint.backhaul import Routing, backhaul_lines
from planner.joint.cover import CoverModel, exact_covered
from planner.joint.result import BACKHAUL_COLUMNS, SITE_COLUMNS, JointPlan
from planner.joint.rollout import JointRollout
from planner.joint.select import Selection
from planner.radio.sites import SECTOR_COLUMNS

__all__ = ["JointTables", "joint_tables", "joint_summary", "write_site_file"]


@dataclass
class JointTables:
    """The GeoDataFrames of a joint plan."""

    candidates: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    sectors: gpd.GeoDataFrame
    backhaul: gpd.GeoDataFrame


def write_site_file(cand, chosen: list[int], path: Path) -> Path | None:
    """Write the chosen candidates' sectors as a per-sector GeoPackage the radio model reads."""
    if not chosen:
        return None
    ids = {f"cand-{j}" for j in chosen}
    raw = cand.raw[cand.raw["site_id"].isin(ids)]
    cols = [c for c in raw.columns if c in SECTOR_COLUMNS]
    gdf = gpd.GeoDataFrame(raw[cols], geometry=raw["geometry"].to_list(), crs=cand.table.crs)
    path = Path(path)
    if path.exists():
        path.unlink()
    gdf.to_file(path, driver="GPKG")
    return path


def _gains(cfg, model: CoverModel, chosen: list[int]) -> np.ndarray:
    d, prev, out = model.demands[0], 0.0, []
    for i in range(len(chosen)):
        w = float(d.cells.weight[exact_covered(cfg, model, chosen[: i + 1], 0)].sum())
        out.append(w - prev)
        prev = w
    return np.asarray(out)


def _phase_of(ro: JointRollout, chosen: list[int]) -> list[int]:
    """Phase of each chosen site from the roll-out order (sites in curve order)."""
    cost = [p["cost"] for p in ro.curve if p["kind"] == "site"]
    budget = float(ro.phases["budget"].iloc[0]) if len(ro.phases) else 0.0
    n = len(ro.phases)
    out = []
    for i in range(len(chosen)):
        c = cost[i] if i < len(cost) else np.inf
        out.append(int(min(n, np.floor(max(c - 1e-6, 0) / budget) + 1)) if budget > 0 else 1)
    return out


def joint_tables(
    cfg, costed, sel: Selection, model: CoverModel, routing: Routing, ro: JointRollout, plan, crs
) -> JointTables:
    """Candidates with costs, the chosen sites in order, their sectors and backhaul lines."""
    cand = costed.cand
    table = cand.table.copy()
    table["backhaul_cost"] = np.round(costed.backhaul_cost, 2)
    table["total_cost"] = np.round(costed.total_cost, 2)
    table["street_node"] = costed.node
    ch = list(sel.chosen)
    sites = table.iloc[ch].copy() if ch else table.iloc[:0].copy()
    sites["site_id"] = [f"cand-{j}" for j in ch]
    sites["order"] = np.arange(1, len(ch) + 1)
    sites["phase"] = _phase_of(ro, ch)
    sites["sinr_repair"] = [j in sel.repaired for j in ch]
    G = plan.steiner_instance.graph
    lines, lengths = [], []
    for j in ch:
        if cand.table["kind"].iloc[j] == "upgrade":
            lines.append(None)
            lengths.append(0.0)
            continue
        g, ln = backhaul_lines(costed.graph, G, costed.edge_geoms, int(costed.node[j]))
        lines.append(g)
        lengths.append(ln)
    sites["backhaul_m"] = np.round(lengths, 1)
    sites["corridor_gain_m"] = np.round(_gains(cfg, model, ch), 1)
    sites = gpd.GeoDataFrame(sites.reset_index(drop=True), geometry="geometry", crs=crs)
    site_of = cand.sectors["site"].to_numpy()
    sectors = cand.sectors[np.isin(site_of, ch)].reset_index(drop=True)
    keep = [i for i, g in enumerate(lines) if g is not None]
    backhaul = gpd.GeoDataFrame(
        {
            "candidate": [ch[i] for i in keep],
            "site_id": [f"cand-{ch[i]}" for i in keep],
            "length_m": [round(lengths[i], 1) for i in keep],
            "cost": [round(float(costed.backhaul_cost[ch[i]]), 2) for i in keep],
        },
        geometry=[lines[i] for i in keep],
        crs=crs,
    )
    return JointTables(
        table,
        sites[[*SITE_COLUMNS, "geometry"]],
        sectors,
        backhaul[[*BACKHAUL_COLUMNS, "geometry"]],
    )


def _kinds(df: pd.DataFrame) -> dict[str, int]:
    return {str(k): int(v) for k, v in df["kind"].value_counts().to_dict().items()}


def _length_km(G, T, base) -> float:
    extra = [(a, b) for a, b in T.edges if not base.has_edge(a, b)]
    return round(
        sum(float(G.edges[e].get("b", 0.0)) - float(G.edges[e].get("a", 0.0)) for e in extra)
        / 1000,
        3,
    )


def _lead_in(costed, idx: np.ndarray, jcfg) -> float:
    """Straight lead-in cost from each new site's street node to the site."""
    if idx.size == 0:
        return 0.0
    xy = np.column_stack([costed.cand.table.geometry.x, costed.cand.table.geometry.y])[idx]
    d = np.hypot(*(xy - costed.node_xy[costed.node[idx]]).T)
    return float(d.sum() * costed.lead_in_per_m)


def _cost_block(res: JointPlan, plan, costed, after_net: dict) -> dict:
    """``cost_to_meet_both``: the parts of the cost of the whole plan."""
    sites = res.sites
    new = sites[sites["kind"] != "upgrade"]
    r, inst = res.routing, plan.steiner_instance
    term = float(len(new)) * res.config.backhaul_termination
    lead_in = _lead_in(costed, new["candidate"].to_numpy(int), res.config)
    backhaul_eur = r.backhaul_cost + term + lead_in
    fibre_eur = float(plan.summary["capex_total"])
    site_eur = float(sites["site_cost"].sum())
    household_met = plan.summary["coverage_pct_after"] >= res.config.household_target_pct
    return {
        "met": bool(after_net["covered_pct"]["met"]) and bool(household_met),
        "total_eur": round(fibre_eur + site_eur + backhaul_eur, 2),
        "fibre_km": round(plan.summary["route_length_m"] / 1000, 3),
        "fibre_eur": round(fibre_eur, 2),
        "sites_new": int(len(new)),
        "sites_upgraded": int(len(sites) - len(new)),
        "sites_eur": round(site_eur, 2),
        "backhaul_km": _length_km(inst.graph, r.joint_tree, inst.tree),
        "backhaul_eur": round(backhaul_eur, 2),
        "termination_eur": round(term, 2),
        "lead_in_eur": round(lead_in, 2),
    }


def _backhaul_block(r: Routing, km: float) -> dict:
    return {
        "routing": r.method,
        "homes_trench_eur": round(r.homes_cost, 2),
        "joint_trench_eur": round(r.joint_cost, 2),
        "separate_trench_eur": round(r.separate_cost, 2),
        "saving_vs_separate_eur": round(r.separate_cost - r.joint_cost, 2),
        "km": km,
    }


def _certificate_block(c, sel: Selection) -> dict:
    return {
        "greedy_cost": c.greedy_cost,
        "lower_bound": c.lower_bound,
        "optimum_cost": c.optimum_cost,
        "optimum_sites": c.optimum_sites,
        "bound_is_optimum": c.is_optimum,
        "gap_pct": c.gap_pct,
        "status": c.status,
        "solution_used": sel.source,
    }


def _coverage_block(res: JointPlan, radio, model: CoverModel, sel: Selection) -> dict:
    d = model.demands[0]
    cov = exact_covered(radio.config, model, sel.chosen, 0)
    planned = 100 * float(d.cells.weight[cov].sum()) / max(d.total, 1e-9)
    after = res.radio_after.summary
    net = after["route_network"]
    return {
        "corridor_pct_before": radio.summary["route_network"]["covered_pct"]["value"],
        "corridor_pct_planned": round(planned, 3),
        "corridor_pct_after": net["covered_pct"]["value"],
        "corridor_target_met": net["covered_pct"]["met"],
        "longest_uncovered_m_after": net.get("longest_uncovered_m"),
        "population_pct_after": after["population_covered_ground_pct"]["value"],
        "key_places_pct_after": after["key_places"]["reached_pct"]["value"],
    }


def _rerouted_block(rerouted) -> dict:
    return {
        "rerouted": True,
        "air_penalty_weight": rerouted.weight,
        "corridor_pct_rerouted": rerouted.network.get("covered_pct"),
        "longest_uncovered_m": rerouted.network.get("longest_uncovered_m"),
        "over_max_uncovered": rerouted.over_max_uncovered,
        "penalised_height_m": rerouted.level_m,
        "attempts": rerouted.attempts,
        "nofly_intersections": rerouted.result.summary.get("restricted_intersections"),
    }


def _corridors_block(rerouted, used: bool) -> dict:
    return {**_rerouted_block(rerouted), "used": "rerouted" if used else "original"}


def joint_summary(
    res: JointPlan, radio, model: CoverModel, sel: Selection, plan, rerouted, costed
) -> dict:
    """``summary.json["joint_plan"]``: targets, sites, coverage claim, certificate, costs."""
    sites = res.sites
    n_new = int((sites["kind"] != "upgrade").sum())
    cost = _cost_block(res, plan, costed, res.radio_after.summary["route_network"])
    out = {
        "targets": {
            "household_pct": res.config.household_target_pct,
            "corridor_pct": res.config.corridor_target_pct,
            "population_pct": res.config.population_target_pct,
            "key_places_pct": res.config.key_places_target_pct,
        },
        "candidates": {"total": int(len(res.candidates)), **_kinds(res.candidates)},
        "sites": {
            "chosen": int(len(sites)),
            "new": n_new,
            "upgraded": int(len(sites) - n_new),
            "by_kind": _kinds(sites) if len(sites) else {},
            "added_for_sinr": len(sel.repaired),
        },
        "coverage": _coverage_block(res, radio, model, sel),
        "certificate": _certificate_block(res.certificate, sel),
        "backhaul": _backhaul_block(res.routing, cost["backhaul_km"]),
        "cost_to_meet_both": cost,
        "rollout": {"phases": res.phases.to_dict("records"), "budget_curve": res.curve},
        "seconds": res.timings,
        "cpu_seconds": res.cpu_timings,
        "assumptions": res.config.report(),
    }
    if rerouted is not None:
        out["corridors"] = _corridors_block(rerouted, res.rerouted is not None)
    else:
        out["corridors"] = {"rerouted": False, "used": "original"}
    return out
