"""Shareable run report: self-contained report.html (embedded plots) and report.md."""

from __future__ import annotations

import base64
import html
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from planner.render import plots
from planner.render.maps import _get

#: summary.json key of each analysis section, as :mod:`planner.run` writes them.
SECTION_KEYS = {"fiber": "fiber", "plan": "fiber_plan", "drones": "drones"}

#: KPIs whose target key does not follow the ``target_<k>``/``<k>_target`` pattern
#: (:func:`planner.mobile.mobile_kpis` names its target per 10k, its KPI per 10k people).
KPI_TARGETS = {"mobile_sites_per_10k_people": "mobile_sites_target_per_10k"}

#: Map files written by :func:`planner.maps.write_maps`, with their titles.
MAP_TITLES = {
    "map.html": "Combined city map",
    "map_fiber_gaps.html": "Fibre gaps",
    "map_fiber_plan.html": "Fibre plan",
    "map_airspace.html": "Airspace & corridors",
}

_TOP_CLUSTERS = 15


def section(summary: Mapping, name: str) -> dict | None:
    """Return the summary section ``fiber``, ``plan`` or ``drones`` (None when absent)."""
    val = summary.get(SECTION_KEYS[name])
    return dict(val) if isinstance(val, Mapping) and val else None


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        return f"{v:,.2f}" if abs(v) < 1e6 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, (list, tuple, dict)):
        return json.dumps(v, ensure_ascii=False, default=str)
    return str(v)


def flatten_assumptions(tree: Any, prefix: str = "") -> list[dict]:
    """Flatten nested assumptions into rows ``{"name", "value", "source"}``.

    Understands the ``{"values": {...}, "sources": {...}}`` groups of planner's
    assumption dicts and ``{"value": v, "source": s}`` cited values; a key without a
    recorded source gets ``source=""`` so the report shows the gap.
    """
    rows: list[dict] = []
    if not isinstance(tree, Mapping):
        return rows
    if "values" in tree and isinstance(tree["values"], Mapping):
        sources = tree.get("sources") or {}
        for k, v in tree["values"].items():
            rows.append(
                {"name": f"{prefix}{k}", "value": _fmt(v), "source": str(sources.get(k, ""))}
            )
        for k, v in tree.items():
            if k not in ("values", "sources") and isinstance(v, Mapping):
                rows.extend(flatten_assumptions(v, f"{prefix}{k}."))
        return rows
    if "value" in tree and "source" in tree:
        return [
            {
                "name": prefix.rstrip("."),
                "value": _fmt(tree["value"]),
                "source": str(tree["source"]),
            }
        ]
    for k, v in tree.items():
        if isinstance(v, Mapping):
            rows.extend(flatten_assumptions(v, f"{prefix}{k}."))
        elif k != "sources":
            rows.append({"name": f"{prefix}{k}", "value": _fmt(v), "source": ""})
    return rows


def kpi_rows(kpis: Mapping) -> list[dict]:
    """KPIs with their targets.

    A ``target_<k>``, ``<k>_target`` or ``<k>_target_pct`` key, or the key named in
    :data:`KPI_TARGETS`, pairs with ``<k>``; targets without their KPI get rows of their own.
    """
    rows = []
    scalar = {k: v for k, v in kpis.items() if not isinstance(v, (Mapping, list, tuple))}
    explicit = set(KPI_TARGETS.values())
    used = set()
    for k, v in scalar.items():
        if k.startswith("target_") or k.endswith("_target") or k in explicit:
            continue
        target = None
        cands = (f"target_{k}", f"{k}_target", f"{k.removesuffix('_pct')}_target_pct")
        for cand in (*cands, KPI_TARGETS.get(k)):
            if cand in scalar:
                target = scalar[cand]
                used.add(cand)
                break
        met = None
        if target is not None and isinstance(v, (int, float)) and isinstance(target, (int, float)):
            met = v >= target
        rows.append({"kpi": k, "value": _fmt(v), "target": _fmt(target), "met": _fmt(met)})
    for k, v in scalar.items():
        if (k.startswith("target_") or k.endswith("_target") or k in explicit) and k not in used:
            rows.append({"kpi": k, "value": _fmt(v), "target": "", "met": ""})
    return rows


def _table_rows(frame: Any, columns: list[str], limit: int | None = None) -> list[dict]:
    df = plots._frame(frame)
    if df.empty:
        return []
    cols = [c for c in columns if c in df.columns]
    if limit:
        df = df.head(limit)
    return [
        {c: _fmt(r[c].item() if hasattr(r[c], "item") else r[c]) for c in cols}
        for _, r in df.iterrows()
    ]


def build_report(
    summary: Mapping,
    fiber: Any = None,
    plan: Any = None,
    drones: Any = None,
    maps: Mapping | None = None,
) -> dict:
    """Collect the report content: sections of tables and plots (PNG bytes).

    Parameters
    ----------
    summary : dict
        The run's ``summary.json`` (``city``, ``source``, ``generated``, ``assumptions`` and
        optional sections ``fiber``, ``plan``, ``drones``).
    fiber, plan, drones : result objects or dicts of GeoDataFrames, optional
        Used for the tables and plots that need more than the summary (hexes, clusters).
    maps : dict, optional
        ``maps.json`` content from :func:`planner.maps.write_maps` (sizes, aggregated layers).

    Returns
    -------
    dict
        ``{"title", "meta", "sections": [{"title", "text", "tables": [(caption, rows)],
        "plots": [(name, caption, png_bytes)]}]}``.
    """
    city = str(summary.get("city", "city"))
    out: dict[str, Any] = {
        "title": f"planner report: {city}",
        "meta": [
            ("city", city),
            ("source", _fmt(summary.get("source"))),
            ("generated", _fmt(summary.get("generated"))),
            ("planner version", _fmt(summary.get("planner_version"))),
            ("data", _fmt(summary.get("attribution", "© OpenStreetMap contributors (ODbL)"))),
        ],
        "sections": [],
    }
    layers = summary.get("layers") or {}
    if layers:
        out["sections"].append(
            {
                "title": "City data",
                "text": "Features loaded from OpenStreetMap per layer.",
                "tables": [
                    ("Layers", [{"layer": k, "features": _fmt(v)} for k, v in layers.items()])
                ],
                "plots": [],
            }
        )

    assumptions = flatten_assumptions(summary.get("assumptions") or {}, "city.")

    fsec = section(summary, "fiber")
    if fsec is None and fiber is not None and _get(fiber, "kpis"):
        fsec = dict(_get(fiber, "kpis"))
    if fsec is not None:
        assumptions += flatten_assumptions(fsec.get("assumptions") or {}, "fiber.")
        kpis = {k: v for k, v in fsec.items() if k != "assumptions"}
        sec = {"title": "Fibre coverage", "text": "", "tables": [], "plots": []}
        if "coverage_pct" in kpis:
            sec["text"] = (
                f"{_fmt(kpis.get('coverage_pct'))} % of premises are passed by fibre "
                f"(target {_fmt(kpis.get('target_coverage_pct'))} %)."
            )
        sec["tables"].append(("KPIs against targets", kpi_rows(kpis)))
        clusters = _get(fiber, "gap_clusters")
        if clusters is None:
            clusters = fsec.get("gap_clusters_top")
        if clusters is not None and not isinstance(clusters, (int, float)):
            df = plots._frame(clusters)
            if "rank_premises" in df:
                df = df.sort_values("rank_premises")
            cols = [
                "rank_premises",
                "cluster",
                "premises",
                "buildings",
                "street_length_m",
                "distance_to_fibre_m",
                "reach_length_m",
                "m_per_premise",
                "rank_length",
            ]
            sec["tables"].append(
                (
                    f"Gap clusters ranked by premises (top {_TOP_CLUSTERS} of {len(df)})",
                    _table_rows(df, cols, _TOP_CLUSTERS),
                )
            )
        hexes = _get(fiber, "hexes")
        if isinstance(hexes, Mapping) and hexes:
            hexes = hexes[max(hexes)]
        if hexes is None:
            hexes = fsec.get("hexes")
        if hexes is not None and len(hexes) and "coverage_pct" in plots._frame(hexes):
            png = plots.to_png(plots.coverage_histogram(hexes))
            sec["plots"].append(("coverage_by_hex", "Coverage by hexagon", png))
        out["sections"].append(sec)

    psec = section(summary, "plan")
    if psec is None and plan is not None and _get(plan, "summary"):
        psec = dict(_get(plan, "summary"))
    if psec is not None:
        assumptions += flatten_assumptions(psec.get("assumptions") or {}, "plan.")
        sec = {"title": "Fibre build plan", "text": "", "tables": [], "plots": []}
        gap = psec.get("routing_gap_pct")
        if gap is not None:
            proof = (
                "the bound is the proven optimum"
                if psec.get("routing_bound_is_optimum")
                else "a valid bound; the optimum lies between the two"
            )
            sec["text"] = (
                f"Street routing costs {_fmt(psec.get('routing_steiner_cost'))}, within "
                f"{gap:.3f} % of a certified lower bound on the cheapest possible routing "
                f"({_fmt(psec.get('routing_lower_bound'))}; {proof})."
            )
        scalars = {
            k: v
            for k, v in psec.items()
            if not isinstance(v, (Mapping, list, tuple)) and k != "assumptions"
        }
        sec["tables"].append(
            ("Cost and totals", [{"item": k, "value": _fmt(v)} for k, v in scalars.items()])
        )
        phases = psec.get("phases")
        if phases:
            sec["tables"].append(
                ("Phases", _table_rows(phases, list(plots._frame(phases).columns)))
            )
        curve = psec.get("cost_curve") or _get(plan, "cost_curve")
        if curve is not None and len(curve):
            try:
                png = plots.to_png(plots.cost_curve(curve))
                sec["plots"].append(("cost_curve", "Cost curve (budget mode)", png))
            except (ValueError, KeyError):
                pass
        out["sections"].append(sec)

    dsec = section(summary, "drones")
    if dsec is None and drones is not None and _get(drones, "summary"):
        dsec = dict(_get(drones, "summary"))
    if dsec is not None:
        assumptions += flatten_assumptions(dsec.get("assumptions") or {}, "drones.")
        sec = {"title": "Drone corridors", "text": "", "tables": [], "plots": []}
        scalars = {
            k: v
            for k, v in dsec.items()
            if not isinstance(v, (Mapping, list, tuple)) and k != "assumptions"
        }
        if isinstance(dsec.get("band"), Mapping):
            scalars.update({f"band_{k}": v for k, v in dsec["band"].items()})
        sec["tables"].append(
            (
                "Airspace settings and totals",
                [{"item": k, "value": _fmt(v)} for k, v in scalars.items()],
            )
        )
        corridors = dsec.get("corridors")
        if corridors is None and drones is not None:
            corridors = _get(drones, "corridors")
        cdf = plots._frame(corridors)
        if len(cdf):
            cols = [
                "from_hub",
                "to_hub",
                "length_m",
                "straight_m",
                "detour_factor",
                "detour_vs_shortest",
                "ground_risk",
                "risk_reduction",
                "max_igrc",
                "min_clearance_m",
                "mobile_coverage_share",
            ]
            sec["tables"].append(("Corridors", _table_rows(cdf, cols)))
            if "ground_risk" in cdf and ("detour_factor" in cdf or "detour_vs_shortest" in cdf):
                png = plots.to_png(plots.risk_vs_detour(cdf))
                sec["plots"].append(("risk_vs_detour", "Ground risk vs detour per corridor", png))
        hubs = dsec.get("hubs")
        if hubs:
            sec["tables"].append(("Hubs", _table_rows(hubs, list(plots._frame(hubs).columns))))
        if dsec.get("infeasible"):
            sec["text"] = "Infeasible: " + "; ".join(map(str, dsec["infeasible"]))
        out["sections"].append(sec)

    if maps:
        rows = []
        for fname, info in maps.items():
            agg = info.get("aggregated") or {}
            rows.append(
                {
                    "map": fname,
                    "title": MAP_TITLES.get(fname, fname),
                    "size_mb": _fmt(info.get("size_mb")),
                    "layers": _fmt(len(info.get("layers", []))),
                    "aggregated": "; ".join(f"{k}: {v}" for k, v in agg.items()) or "none",
                }
            )
        out["sections"].append(
            {
                "title": "Maps",
                "text": "Self-contained HTML maps (open without internet; basemap tiles aside).",
                "tables": [("Maps", rows)],
                "plots": [],
                "links": list(maps),
            }
        )
    out["sections"].append(
        {
            "title": "Assumptions",
            "text": "Every default that stands in for missing data, with its source "
            "(an empty source marks a value without a recorded source).",
            "tables": [("Assumptions", assumptions)],
            "plots": [],
        }
    )
    return out


# --------------------------------------------------------------------------- rendering
def _md_cell(v: str) -> str:
    return html.escape(str(v)).replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Mapping, plot_dir: str = "report_plots") -> str:
    """Render the report content as Markdown (plots referenced as PNG files)."""
    lines = [f"# {_md_cell(report['title'])}", ""]
    lines += [f"- **{k}**: {_md_cell(v)}" for k, v in report["meta"]]
    for sec in report["sections"]:
        lines += ["", f"## {_md_cell(sec['title'])}", ""]
        if sec.get("text"):
            lines += [_md_cell(sec["text"]), ""]
        for name in sec.get("links", []):
            lines.append(f"- [{_md_cell(MAP_TITLES.get(name, name))}]({name})")
        for caption, rows in sec["tables"]:
            lines += ["", f"**{_md_cell(caption)}**", ""]
            if not rows:
                lines.append("_none_")
                continue
            cols = list(rows[0])
            lines.append("| " + " | ".join(_md_cell(c) for c in cols) + " |")
            lines.append("|" + "---|" * len(cols))
            lines += ["| " + " | ".join(_md_cell(r.get(c, "")) for c in cols) + " |" for r in rows]
        for name, caption, _ in sec["plots"]:
            lines += ["", f"![{_md_cell(caption)}]({plot_dir}/{name}.png)"]
    return "\n".join(lines) + "\n"


_CSS = """body{font:14px/1.45 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#222}h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;margin-top:1.8em}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:13px}
th,td{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.src{max-width:520px;color:#444}img{max-width:100%}
.meta{color:#555}caption{text-align:left;font-weight:bold;padding:4px 0}"""


def render_html(report: Mapping) -> str:
    """Render the report as one self-contained HTML page (plots as base64 PNG data URIs).

    Every value is HTML-escaped; the page loads nothing from the network.
    """
    e = html.escape
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{e(report['title'])}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(report['title'])}</h1><ul class='meta'>",
        *(f"<li><b>{e(k)}</b>: {e(str(v))}</li>" for k, v in report["meta"]),
        "</ul>",
    ]
    for sec in report["sections"]:
        parts.append(f"<h2>{e(sec['title'])}</h2>")
        if sec.get("text"):
            parts.append(f"<p>{e(sec['text'])}</p>")
        if sec.get("links"):
            parts.append(
                "<ul>"
                + "".join(
                    f"<li><a href='{e(n)}'>{e(MAP_TITLES.get(n, n))}</a></li>" for n in sec["links"]
                )
                + "</ul>"
            )
        for caption, rows in sec["tables"]:
            if not rows:
                parts.append(f"<p><b>{e(caption)}</b>: none</p>")
                continue
            cols = list(rows[0])
            head = "".join(f"<th>{e(c)}</th>" for c in cols)
            body = "".join(
                "<tr>"
                + "".join(
                    f"<td{' class=src' if c == 'source' else ''}>{e(str(r.get(c, '')))}</td>"
                    for c in cols
                )
                + "</tr>"
                for r in rows
            )
            parts.append(f"<table><caption>{e(caption)}</caption><tr>{head}</tr>{body}</table>")
        for _name, caption, png in sec["plots"]:
            uri = "data:image/png;base64," + base64.b64encode(png).decode()
            parts.append(
                f"<figure><img src='{uri}' alt='{e(caption)}'>"
                f"<figcaption>{e(caption)}</figcaption></figure>"
            )
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(
    out_dir: str | Path,
    summary: Mapping,
    fiber: Any = None,
    plan: Any = None,
    drones: Any = None,
    maps: Mapping | None = None,
) -> list[Path]:
    """Write ``report.html`` (self-contained), ``report.md`` and ``report_plots/*.png``.

    Parameters
    ----------
    out_dir : path-like
        The run folder (``outputs/<city>/``); must exist.
    summary : dict
        The run's ``summary.json`` content.
    fiber, plan, drones : optional
        Analysis results (objects or dicts) for tables and plots beyond the summary.
    maps : dict, optional
        ``maps.json`` content; read from ``out_dir/maps.json`` when omitted and present.

    Returns
    -------
    list of Path
        ``report.html``, ``report.md`` and the plot PNGs.
    """
    out_dir = Path(out_dir)
    if maps is None and (out_dir / "maps.json").is_file():
        maps = json.loads((out_dir / "maps.json").read_text(encoding="utf-8"))
    report = build_report(summary, fiber=fiber, plan=plan, drones=drones, maps=maps)
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
