"""Joint plan rendering: map layers (coverage before/after, sites, backhaul) and report section."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import geopandas as gpd
import matplotlib.pyplot as plt
import pandas as pd
from branca.colormap import LinearColormap

from planner._i18n import mark, tr
from planner.render import plots
from planner.render._builder import LayerBuilder
from planner.render._report_sections import (
    Section,
    SectionPart,
    flatten_assumptions,
    records_frame,
    table_rows,
)
from planner.render.fonts import glyph_warnings_logged
from planner.render.terms import term

if TYPE_CHECKING:
    from planner.joint import JointPlan

__all__ = [
    "CERTIFICATE_STATUS",
    "JOINT_MAP_FIELDS",
    "JOINT_TERMS",
    "JOINT_SECTION_TITLE",
    "SITE_KIND_COLORS",
    "add_joint_layers",
    "joint_part",
    "joint_section",
    "budget_curve_figure",
]

#: Title of the report section (English; translated when rendered).
JOINT_SECTION_TITLE = mark("What it takes to meet the 2027 targets")
#: Colour of the chosen sites by kind.
SITE_KIND_COLORS = {"macro": "#d95f02", "rooftop": "#7570b3", "upgrade": "#1b9e77"}
#: Popup fields of the joint layers.
JOINT_MAP_FIELDS = {
    "corridors": ["from_hub", "to_hub", "radio_coverage_share", "longest_uncovered_m"],
    "sites": ["site_id", "kind", "height_m", "phase", "total_cost", "corridor_gain_m"],
    "backhaul": ["site_id", "length_m", "cost"],
}
#: Labels of the joint plan's data keys (table headers, popups, cost items), for the catalog.
JOINT_TERMS = (
    mark("site id"),
    mark("total cost"),
    mark("corridor gain m"),
    mark("fibre cost"),
    mark("radio cost"),
    mark("sites"),
    mark("household pct"),
    mark("corridor pct"),
    mark("total eur"),
    mark("fibre km"),
    mark("fibre eur"),
    mark("sites new"),
    mark("sites upgraded"),
    mark("sites eur"),
    mark("backhaul km"),
    mark("backhaul eur"),
    mark("termination eur"),
    mark("lead in eur"),
    mark("macro"),
    mark("rooftop"),
    mark("upgrade"),
)
#: HiGHS model statuses the certificate may report, translated in the report text.
CERTIFICATE_STATUS = {
    "Optimal": mark("optimal"),
    "trivial": mark("trivial (nothing to build)"),
    "Time limit reached": mark("time limit reached"),
    "Infeasible": mark("infeasible"),
}


def _coverage_layer(b: LayerBuilder, corridors: gpd.GeoDataFrame, title: str, show: bool):
    if len(corridors) == 0:
        return None
    cmap = LinearColormap(
        ["#d7191c", "#ffffbf", "#1a9641"],
        vmin=0,
        vmax=1,
        caption=tr("Corridor radio coverage share"),
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
    _coverage_layer(b, result.corridors_before, tr("Corridor coverage before"), False)
    cmap = _coverage_layer(b, result.corridors_after, tr("Corridor coverage after the plan"), True)
    if cmap is not None:
        b.gradient(cmap)
    if len(result.backhaul):
        b.geojson(
            result.backhaul,
            tr("Site backhaul (fibre)"),
            JOINT_MAP_FIELDS["backhaul"],
            color="#e7298a",
            weight=3,
            legend=tr("site backhaul"),
        )
    for kind, color in SITE_KIND_COLORS.items():
        sites = result.sites[result.sites["kind"] == kind]
        if len(sites):
            b.geojson(
                sites,
                tr("New 5G sites: {kind}").format(kind=tr(kind)),
                JOINT_MAP_FIELDS["sites"],
                color=color,
                radius=7,
                legend=tr("5G site ({kind})").format(kind=tr(kind)),
            )


def budget_curve_figure(curve: pd.DataFrame) -> plt.Figure:
    """Household and corridor coverage against the joint budget (one roll-out)."""
    fig, ax = plt.subplots(figsize=(7, 3.5))
    cost = curve["cost"] / 1e6
    ax.step(cost, curve["household_pct"], where="post", label=tr("household gigabit (%)"))
    ax.step(cost, curve["corridor_pct"], where="post", label=tr("corridor coverage (%)"))
    ax.set_xlabel(tr("cumulative cost (million EUR)"))
    ax.set_ylabel("%")
    ax.set_ylim(0, 100)
    ax.legend(loc="lower right")
    ax.set_title(tr("Joint roll-out: coverage per budget"))
    with glyph_warnings_logged():
        plots.use_fonts(fig)  # the CJK font chain before the layout measures the labels
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
    verdict = tr("meets both targets") if m["met"] else tr("does NOT meet both targets")
    status = CERTIFICATE_STATUS.get(str(c["status"]))
    text = tr(
        "The plan {verdict} for {total} EUR: {fibre_km} km of fibre ({fibre_eur} EUR), "
        "{new} new and {upgraded} upgraded 5G sites ({sites_eur} EUR) and {backhaul_km} km of "
        "extra backhaul trench ({backhaul_eur} EUR). Corridor coverage goes from {before} to "
        "{after} (radio model recomputed on the chosen sites). Site choice certificate: "
        "{status}, gap {gap} to the lower bound."
    ).format(
        verdict=verdict,
        total=f"{m['total_eur']:,.0f}",
        fibre_km=f"{m['fibre_km']:.1f}",
        fibre_eur=f"{m['fibre_eur']:,.0f}",
        new=m["sites_new"],
        upgraded=m["sites_upgraded"],
        sites_eur=f"{m['sites_eur']:,.0f}",
        backhaul_km=f"{m['backhaul_km']:.1f}",
        backhaul_eur=f"{m['backhaul_eur']:,.0f}",
        before=f"{cov['corridor_pct_before']} %",
        after=f"{cov['corridor_pct_after']} %",
        status=tr(status) if status else c["status"],
        gap=f"{c['gap_pct']} %",
    )
    parts = [{"item": term(k), "value": v} for k, v in m.items()]
    sec = Section(tr(JOINT_SECTION_TITLE), text, [(tr("Cost to meet both targets"), parts)])
    phases = records_frame(joint["rollout"]["phases"])
    if len(phases):
        rows = table_rows(phases, list(phases.columns), "phases")
        sec.tables.append((tr("Joint phases"), rows))
    curve = records_frame(joint["rollout"]["budget_curve"])
    if len(curve):
        png = plots.to_png(budget_curve_figure(curve))
        sec.plots.append(("joint_budget_curve", tr("Coverage per budget (fibre and radio)"), png))
    return sec


def joint_part(summary: Mapping, joint: JointPlan | None) -> SectionPart:
    """Return the joint-plan section and its assumption rows (no section when it did not run)."""
    jsec = summary.get("joint_plan") or (joint.summary if joint is not None else None)
    if not jsec:
        return SectionPart(None)
    rows = flatten_assumptions(jsec.get("assumptions") or {}, "joint.")
    return SectionPart(joint_section(jsec), rows)
