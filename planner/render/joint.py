"""Joint plan rendering: map layers (coverage before/after, sites, backhaul) and report section."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import geopandas as gpd
import matplotlib.pyplot as plt
import pandas as pd
from branca.colormap import LinearColormap

from planner.render import plots
from planner.render._builder import LayerBuilder
from planner.render._report_sections import (
    Section,
    SectionPart,
    flatten_assumptions,
    records_frame,
    table_rows,
)

if TYPE_CHECKING:
    from planner.joint import JointPlan

__all__ = [
    "JOINT_MAP_FIELDS",
    "JOINT_SECTION_TITLE",
    "SITE_KIND_COLORS",
    "add_joint_layers",
    "joint_part",
    "joint_section",
    "budget_curve_figure",
]

#: Title of the report section.
JOINT_SECTION_TITLE = "What it takes to meet the 2027 targets"
#: Colour of the chosen sites by kind.
SITE_KIND_COLORS = {"macro": "#d95f02", "rooftop": "#7570b3", "upgrade": "#1b9e77"}
#: Popup fields of the joint layers.
JOINT_MAP_FIELDS = {
    "corridors": ["from_hub", "to_hub", "radio_coverage_share", "longest_uncovered_m"],
    "sites": ["site_id", "kind", "height_m", "phase", "total_cost", "corridor_gain_m"],
    "backhaul": ["site_id", "length_m", "cost"],
}


def _coverage_layer(b: LayerBuilder, corridors: gpd.GeoDataFrame, title: str, show: bool):
    if len(corridors) == 0:
        return None
    cmap = LinearColormap(
        ["#d7191c", "#ffffbf", "#1a9641"], vmin=0, vmax=1, caption="Corridor radio coverage share"
    )
    share = pd.to_numeric(corridors["radio_coverage_share"], errors="coerce").fillna(0.0)
    b.geojson(
        corridors.assign(_color=[cmap(float(v)) for v in share]),
        title,
        JOINT_MAP_FIELDS["corridors"],
        color_col="_color",
        show=show,
        weight=4,
        simplify_m=1.0,
    )
    return cmap


def add_joint_layers(b: LayerBuilder, result: JointPlan) -> None:
    """Add corridors coloured by coverage before and after, the new sites and their backhaul.

    Parameters
    ----------
    b : LayerBuilder
        The map being built (the combined map).
    result : JointPlan
        From :func:`planner.joint.plan_joint`.
    """
    _coverage_layer(b, result.corridors_before, "Corridor coverage before", False)
    cmap = _coverage_layer(b, result.corridors_after, "Corridor coverage after the plan", True)
    if cmap is not None:
        b.gradient(cmap)
    if len(result.backhaul):
        b.geojson(
            result.backhaul,
            "Site backhaul (fibre)",
            JOINT_MAP_FIELDS["backhaul"],
            color="#e7298a",
            weight=3,
            legend="site backhaul",
        )
    for kind, color in SITE_KIND_COLORS.items():
        sites = result.sites[result.sites["kind"] == kind]
        if len(sites):
            b.geojson(
                sites,
                f"New 5G sites: {kind}",
                JOINT_MAP_FIELDS["sites"],
                color=color,
                radius=7,
                legend=f"5G site ({kind})",
            )


def budget_curve_figure(curve: pd.DataFrame) -> plt.Figure:
    """Household and corridor coverage against the joint budget (one roll-out)."""
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.step(curve["cost"] / 1e6, curve["household_pct"], where="post", label="household gigabit %")
    ax.step(curve["cost"] / 1e6, curve["corridor_pct"], where="post", label="corridor coverage %")
    ax.set_xlabel("cumulative cost (million EUR)")
    ax.set_ylabel("%")
    ax.set_ylim(0, 100)
    ax.legend(loc="lower right")
    ax.set_title("Joint roll-out: coverage per budget")
    fig.tight_layout()
    return fig


def joint_section(joint: Mapping) -> Section:
    """Return the report section *What it takes to meet the 2027 targets*.

    Parameters
    ----------
    joint : mapping
        ``summary.json["joint_plan"]`` (``JointPlan.summary``).

    Returns
    -------
    Section
    """
    m, c, cov = joint["cost_to_meet_both"], joint["certificate"], joint["coverage"]
    verdict = "meets both targets" if m["met"] else "does NOT meet both targets"
    text = (
        f"The plan {verdict} for {m['total_eur']:,.0f} EUR: {m['fibre_km']:.1f} km of fibre "
        f"({m['fibre_eur']:,.0f} EUR), {m['sites_new']} new and {m['sites_upgraded']} upgraded "
        f"5G sites ({m['sites_eur']:,.0f} EUR) and {m['backhaul_km']:.1f} km of extra backhaul "
        f"trench ({m['backhaul_eur']:,.0f} EUR). Corridor coverage goes from "
        f"{cov['corridor_pct_before']} % to {cov['corridor_pct_after']} % (radio model "
        f"recomputed on the chosen sites). Site choice certificate: {c['status']}, gap "
        f"{c['gap_pct']} % to the lower bound."
    )
    parts = [{"item": k, "value": v} for k, v in m.items()]
    sec = Section(JOINT_SECTION_TITLE, text, [("Cost to meet both targets", parts)])
    phases = records_frame(joint["rollout"]["phases"])
    if len(phases):
        sec.tables.append(("Joint phases", table_rows(phases, list(phases.columns), "phases")))
    curve = records_frame(joint["rollout"]["budget_curve"])
    if len(curve):
        png = plots.to_png(budget_curve_figure(curve))
        sec.plots.append(("joint_budget_curve", "Coverage per budget (fibre and radio)", png))
    return sec


def joint_part(summary: Mapping, joint: JointPlan | None) -> SectionPart:
    """Return the joint-plan section and its assumption rows (no section when it did not run)."""
    jsec = summary.get("joint_plan") or (joint.summary if joint is not None else None)
    if not jsec:
        return SectionPart(None)
    rows = flatten_assumptions(jsec.get("assumptions") or {}, "joint.")
    return SectionPart(joint_section(jsec), rows)
