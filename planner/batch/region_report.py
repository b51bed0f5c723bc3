"""The region's HTML report: totals, cities ranked by gap to target and by cost to close it."""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

import pandas as pd

from planner.batch._compat import ATTRIBUTION, atomic_path
from planner.batch.region_map import city_links
from planner.batch.scorecard import region_totals

__all__ = ["rank_by_cost", "rank_by_gap", "write_region_report"]

_CSS = (
    "body{font:14px/1.4 sans-serif;margin:2em;max-width:70em}"
    "table{border-collapse:collapse;margin:0.5em 0 1.5em}"
    "th,td{border:1px solid #bbb;padding:3px 8px;text-align:right}"
    "th:first-child,td:first-child,td.l{text-align:left}"
    "caption{text-align:left;font-weight:bold;margin-bottom:4px}"
    "footer{margin-top:2em;color:#555}"
)


def _fmt(v: Any, digits: int = 0) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if isinstance(v, float | int):
        return f"{v:,.{digits}f}"
    return html.escape(str(v))


def rank_by_gap(frame: pd.DataFrame) -> pd.DataFrame:
    """Cities that ran, most premises still needed for the target first (ties: gap, name)."""
    ok = frame[frame["status"] != "failed"]
    return ok.sort_values(
        ["premises_needed_for_target", "gap_to_target_pct", "city"],
        ascending=[False, False, True],
        na_position="last",
        kind="mergesort",
    )


def rank_by_cost(frame: pd.DataFrame) -> pd.DataFrame:
    """Cities that ran, costliest to bring to target first; unreachable targets last."""
    ok = frame[frame["status"] != "failed"]
    return ok.sort_values(
        ["cost_to_target", "city"], ascending=[False, True], na_position="last", kind="mergesort"
    )


def _name_cell(row, out_root: Path) -> str:
    links = dict((label, href) for href, label in city_links(out_root, row["city"]))
    name = html.escape(str(row["name"]))
    href = links.get("report") or links.get("city map")
    if href:
        name = f'<a href="{html.escape(href, quote=True)}">{name}</a>'
    return f'<td class="l">{name}</td>'


def _table(caption: str, frame: pd.DataFrame, cols: list[tuple[str, str, int]], root) -> str:
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label, _ in cols)
    body = "".join(
        f"<tr><td>{i}</td>{_name_cell(r, root)}"
        + "".join(f"<td>{_fmt(r[c], d)}</td>" for c, _, d in cols)
        + "</tr>"
        for i, (_, r) in enumerate(frame.iterrows(), start=1)
    )
    return (
        f"<table><caption>{html.escape(caption)}</caption>"
        f"<tr><th>#</th><th>city</th>{head}</tr>{body}</table>"
    )


_GAP_COLS = [
    ("premises_total", "premises", 0),
    ("coverage_pct", "coverage %", 1),
    ("target_coverage_pct", "target %", 0),
    ("gap_to_target_pct", "gap (points)", 1),
    ("premises_needed_for_target", "premises to pass", 0),
]
_COST_COLS = [
    ("premises_needed_for_target", "premises to pass", 0),
    ("cost_to_target", "cost to reach target", 0),
    ("capex_total", "full plan capex", 0),
    ("capex_per_premise", "capex / premise", 0),
    ("sites_per_10k", "sites / 10k people", 2),
    ("corridors", "drone corridors", 0),
    ("risk_reduction_pct", "risk reduction %", 1),
]


def _totals_html(tot: dict[str, Any]) -> str:
    rows = [
        ("cities planned", tot["cities"], 0),
        ("premises", tot["premises_total"], 0),
        ("premises passed", tot["premises_passed"], 0),
        ("coverage %", tot["coverage_pct"], 2),
        ("target % (premise-weighted)", tot["target_coverage_pct"], 2),
        ("premises to pass for every city's target", tot["premises_needed_for_target"], 0),
        (f"cost to reach every city's target ({tot['currency'] or '?'})", tot["cost_to_target"], 0),
        (f"full plan capex ({tot['currency'] or '?'})", tot["capex_total"], 0),
        ("capex per premise", tot["capex_per_premise"], 0),
        ("mobile sites per 10k people", tot["sites_per_10k"], 2),
        ("drone corridors", tot["corridors"], 0),
        ("ground-risk reduction %", tot["risk_reduction_pct"], 2),
    ]
    body = "".join(f'<tr><td class="l">{k}</td><td>{_fmt(v, d)}</td></tr>' for k, v, d in rows)
    return f"<table><caption>Region totals</caption>{body}</table>"


def _list(caption: str, items: list[tuple[str, str]]) -> str:
    if not items:
        return ""
    lis = "".join(f"<li><b>{html.escape(a)}</b>: {html.escape(b)}</li>" for a, b in items)
    return f"<h2>{html.escape(caption)}</h2><ul>{lis}</ul>"


def write_region_report(
    frame: pd.DataFrame,
    out_root: str | Path,
    title: str = "Region scorecard",
    skipped: list[tuple[str, str]] | None = None,
) -> Path:
    """Write ``region_report.html``: totals and the two city rankings (self-contained).

    Parameters
    ----------
    frame : DataFrame
        The scorecard (:func:`planner.batch.scorecard.scorecard_frame`).
    out_root : str or Path
        Batch output folder; city names link to their own reports.
    title : str
        Report title (escaped).
    skipped : list of (str, str), optional
        Boundaries not planned and why.

    Returns
    -------
    Path
    """
    out_root = Path(out_root)
    failed = [
        (r["name"], r["error"] or "failed") for _, r in frame.iterrows() if r["status"] == "failed"
    ]
    parts = [
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        '<p><a href="region_map.html">region map</a> &middot; '
        '<a href="region.csv">region.csv</a> &middot; <a href="region.gpkg">region.gpkg</a></p>',
        _totals_html(region_totals(frame)),
        _table(
            "Cities ranked by gap to the coverage target", rank_by_gap(frame), _GAP_COLS, out_root
        ),
        _table("Cities ranked by cost to close the gap", rank_by_cost(frame), _COST_COLS, out_root),
        "<p>Cost to reach the target: the city plan's roll-out cost curve (cheapest premises "
        "first) read at the target coverage; – when the plan cannot reach it.</p>",
        _list("Cities that failed", failed),
        _list("Boundaries not planned", skipped or []),
        f"<footer>Map data {html.escape(ATTRIBUTION)}.</footer></body></html>\n",
    ]
    path = out_root / "region_report.html"
    with atomic_path(path) as tmp:
        tmp.write_text("".join(parts), encoding="utf-8")
    return path
