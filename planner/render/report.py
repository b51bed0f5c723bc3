"""Shareable run report: self-contained report.html (embedded plots) and report.md."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from planner._i18n import tr
from planner.render._report_render import render_html, render_markdown
from planner.render._report_sections import (
    MAP_TITLES,
    REPORT_FIELDS,
    assumptions_section,
    city_data_section,
    drone_part,
    fiber_part,
    flatten_assumptions,
    kpi_rows,
    maps_section,
    plan_part,
    radio_part,
    report_meta,
    section,
)
from planner.render.fonts import NO_CJK_FONT_MESSAGE, cjk_font, needs_cjk
from planner.render.joint import joint_part

if TYPE_CHECKING:
    from planner.drones import CorridorResult
    from planner.fiber import FiberCoverage
    from planner.joint import JointPlan
    from planner.plan import FiberPlan
    from planner.radio import RadioCoverage

__all__ = [
    "MAP_TITLES",
    "REPORT_FIELDS",
    "build_report",
    "font_notice",
    "flatten_assumptions",
    "kpi_rows",
    "render_html",
    "render_markdown",
    "section",
    "write_report",
]


def build_report(
    summary: Mapping,
    fiber: FiberCoverage | None = None,
    plan: FiberPlan | None = None,
    drones: CorridorResult | None = None,
    maps: Mapping | None = None,
    radio: RadioCoverage | None = None,
    joint: JointPlan | None = None,
) -> dict:
    """Collect the report content: sections of tables and plots (PNG bytes).

    Parameters
    ----------
    summary : dict
        The run's ``summary.json`` (``city``, ``source``, ``generated``, ``assumptions`` and
        optional sections ``fiber``, ``fiber_plan``, ``drones``, ``radio``).
    fiber : FiberCoverage, optional
        For the ranked gap clusters and the coverage histogram (and the KPIs when the
        summary has no ``fiber`` section).
    plan : FiberPlan, optional
        Its ``summary`` stands in for a missing ``fiber_plan`` section.
    drones : CorridorResult, optional
        Its ``summary`` stands in for a missing ``drones`` section.
    maps : dict, optional
        ``maps.json`` content from :func:`planner.render.maps.write_maps`.
    radio : RadioCoverage, optional
        Its ``summary`` stands in for a missing ``radio`` section; with either, the drone
        corridor table leaves out the circle model's share (the radio section replaces it).
    joint : JointPlan, optional
        Its ``summary`` stands in for a missing ``joint_plan`` section ("What it takes to meet
        the 2027 targets").

    Returns
    -------
    dict
        ``{"title", "meta", "sections": [{"title", "text", "tables": [(caption, rows)],
        "plots": [(name, caption, png_bytes)], "links"}]}``.
    """
    mobile = radio_part(summary, radio)
    parts = [
        fiber_part(summary, fiber),
        plan_part(summary, plan),
        drone_part(summary, drones, circle_share=mobile.section is None),
        mobile,
        joint_part(summary, joint),
    ]
    assumptions = flatten_assumptions(summary.get("assumptions") or {}, "city.")
    assumptions += [row for part in parts for row in part.assumptions]
    sections = [
        city_data_section(summary),
        *(part.section for part in parts),
        maps_section(maps),
        assumptions_section(assumptions),
    ]
    return {
        "title": tr("planner report: {city}").format(city=summary.get("city", "city")),
        "meta": report_meta(summary) + font_notice(sections),
        "sections": [s.as_dict() for s in sections if s is not None],
    }


def font_notice(sections: list) -> list[tuple[str, str]]:
    """Return a header line when the report's data need a CJK font the plots cannot find."""
    texts = (
        str(v)
        for s in sections
        if s is not None
        for _, rows in s.tables
        for r in rows
        for v in r.values()
    )
    if cjk_font() is not None or not any(needs_cjk(t) for t in texts):
        return []
    return [(tr("fonts"), tr(NO_CJK_FONT_MESSAGE))]


def write_report(
    out_dir: str | Path,
    summary: Mapping,
    fiber: FiberCoverage | None = None,
    plan: FiberPlan | None = None,
    drones: CorridorResult | None = None,
    maps: Mapping | None = None,
    radio: RadioCoverage | None = None,
    joint: JointPlan | None = None,
) -> list[Path]:
    """Write ``report.html`` (self-contained), ``report.md`` and ``report_plots/*.png``.

    Parameters
    ----------
    out_dir : path-like
        The run folder (``outputs/<city>/``); must exist.
    summary : dict
        The run's ``summary.json`` content.
    fiber, plan, drones : optional
        The typed analysis results, see :func:`build_report`.
    maps : dict, optional
        ``maps.json`` content; read from ``out_dir/maps.json`` when omitted and present.
    radio : RadioCoverage, optional
        The radio result, see :func:`build_report`.
    joint : JointPlan, optional
        The joint plan, see :func:`build_report`.

    Returns
    -------
    list of Path
        ``report.html``, ``report.md`` and the plot PNGs.
    """
    out_dir = Path(out_dir)
    if maps is None and (out_dir / "maps.json").is_file():
        maps = json.loads((out_dir / "maps.json").read_text(encoding="utf-8"))
    report = build_report(
        summary, fiber=fiber, plan=plan, drones=drones, maps=maps, radio=radio, joint=joint
    )
    written = []
    pngs = [(n, png) for sec in report["sections"] for n, _, png in sec["plots"]]
    if pngs:
        (out_dir / "report_plots").mkdir(exist_ok=True)
        for name, png in pngs:
            p = out_dir / "report_plots" / f"{name}.png"
            p.write_bytes(png)
            written.append(p)
    html_path = out_dir / "report.html"
    html_path.write_text(render_html(report), encoding="utf-8")
    md_path = out_dir / "report.md"
    md_path.write_text(render_markdown(report), encoding="utf-8")
    return [html_path, md_path, *written]
