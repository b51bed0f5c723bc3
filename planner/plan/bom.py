"""Bill of materials: one line per item, quantity x unit cost, labour and material split."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.config.plan import PlanConfig
from planner.plan.architecture import Architecture
from planner.plan.result import BOM_COLUMNS

__all__ = ["bill_of_materials"]

#: One BOM line before totals: (category, item, unit, quantity, unit cost, total).
_Line = tuple[str, str, str, float, float | None, float | None]


def _civil_lines(cfg: PlanConfig, routes: pd.DataFrame) -> list[_Line]:
    """Trench per street class (civil cost without crossings) and street crossings."""
    rows: list[_Line] = []
    civil = routes.assign(civil=routes["cost"] - routes["crossings"] * cfg.crossing)
    for hw, g in civil.groupby("highway"):
        rows.append(("trench", str(hw), "m", g["length_m"].sum(), None, g["civil"].sum()))
    n_cross = routes["crossings"].sum()
    rows.append(
        (
            "crossing",
            "street crossing (bore)",
            "each",
            n_cross,
            cfg.crossing,
            n_cross * cfg.crossing,
        )
    )
    return rows


def _drop_lines(cfg: PlanConfig, drops: pd.DataFrame) -> list[_Line]:
    """Drop terminations per premise and drop cable per metre."""
    n = drops["premises"].sum()
    return [
        ("drop", "drop termination", "premise", n, cfg.drop_per_premise, n * cfg.drop_per_premise),
        ("drop", "drop cable", "m", drops["drop_m"].sum(), cfg.drop_per_m, None),
    ]


def _equipment_lines(cfg: PlanConfig, arch: Architecture) -> list[_Line]:
    """Splitters, cabinet splitters (two-level), cabinets and OLT ports."""
    rows: list[_Line] = [
        ("splitter", f"splitter 1:{arch.ratio}", "each", arch.n_splitters, cfg.splitter, None)
    ]
    if arch.n_first_level:
        item = f"splitter 1:{cfg.first_level_ratio} (cabinet)"
        rows.append(("splitter", item, "each", arch.n_first_level, cfg.splitter, None))
    rows.append(("cabinet", "street cabinet", "each", arch.n_cabinets, cfg.cabinet, None))
    rows.append(("olt_port", "OLT PON port", "each", arch.olt_ports, cfg.olt_port, None))
    return rows


def bill_of_materials(
    cfg: PlanConfig, routes: pd.DataFrame, drops: pd.DataFrame, arch: Architecture
) -> pd.DataFrame:
    """Bill of materials (``BOM_COLUMNS``); totals add up to the plan's capex."""
    rows = _civil_lines(cfg, routes) + _drop_lines(cfg, drops) + _equipment_lines(cfg, arch)
    df = pd.DataFrame(rows, columns=BOM_COLUMNS[:6])
    df["total"] = df["total"].fillna(df["quantity"] * df["unit_cost"])
    df["unit_cost"] = df["unit_cost"].fillna(df["total"] / df["quantity"].replace(0, np.nan))
    # drop cost per metre is computed from unrounded lengths in drops["cost"]; keep exact sum
    exact_drop = float(drops["cost"].sum()) - float(drops["premises"].sum()) * cfg.drop_per_premise
    df.loc[(df["category"] == "drop") & (df["unit"] == "m"), "total"] = exact_drop
    df["labour"] = df["total"] * cfg.labour_share
    df["material"] = df["total"] - df["labour"]
    df["currency"] = cfg.currency
    return df
