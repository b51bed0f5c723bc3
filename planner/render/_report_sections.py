"""Report sections: each builds its tables and plots from the summary and the typed results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from planner._format import format_value, is_money
from planner._i18n import mark, tr
from planner.config.places import PRESET_BY_COUNTRY
from planner.render import plots
from planner.render._columns import require_columns
from planner.render.radio import CIRCLE_SHARE
from planner.render.terms import term

if TYPE_CHECKING:
    from planner.drones import CorridorResult
    from planner.fiber import FiberCoverage
    from planner.plan import FiberPlan
    from planner.radio import RadioCoverage

__all__ = [
    "KPI_TARGETS",
    "MAP_TITLES",
    "REPORT_FIELDS",
    "SECTION_KEYS",
    "TOP_CLUSTERS",
    "Section",
    "SectionPart",
    "assumptions_section",
    "city_data_section",
    "drone_part",
    "fiber_part",
    "flatten_assumptions",
    "kpi_rows",
    "map_title",
    "maps_section",
    "plan_part",
    "radio_part",
    "preset_sentence",
    "records_frame",
    "report_meta",
    "section",
    "table_rows",
]

#: summary.json key of each analysis section, as :mod:`planner.run` writes them.
SECTION_KEYS = {"fiber": "fiber", "plan": "fiber_plan", "drones": "drones", "radio": "radio"}

#: KPIs whose target key does not follow the ``target_<k>``/``<k>_target`` pattern
#: (:func:`planner.fiber.mobile.mobile_kpis` names its target per 10k, its KPI per 10k people).
KPI_TARGETS = {"mobile_sites_per_10k_people": "mobile_sites_target_per_10k"}

#: Map files written by :func:`planner.render.maps.write_maps`, with their titles.
#: English source strings (marked for the catalog); show them with :func:`map_title`.
MAP_TITLES = {
    "map.html": mark("Combined city map"),
    "map_fiber_gaps.html": mark("Fibre gaps"),
    "map_fiber_plan.html": mark("Fibre plan"),
    "map_airspace.html": mark("Airspace & corridors"),
    "map_radio.html": mark("Mobile coverage"),
}

#: Rows of the ranked gap-cluster table.
TOP_CLUSTERS = 15

#: Columns each report table/plot reads, by the frame it reads them from:
#: ``gap_clusters`` and ``hexes`` (``FiberCoverage``), ``corridors`` (the drones summary's
#: corridor records, i.e. ``CorridorResult.corridors``), ``cost_curve`` (the plan summary's).
#: ``tests/test_drift.py`` checks each against the producer's frame and column constant.
REPORT_FIELDS: dict[str, list[str]] = {
    "gap_clusters": ["rank_premises", "cluster", "premises", "buildings", "street_length_m"]
    + ["distance_to_fibre_m", "reach_length_m", "m_per_premise", "rank_length"],
    "hexes": ["coverage_pct", "premises"],
    "corridors": ["from_hub", "to_hub", "length_m", "straight_m", "detour_factor"]
    + ["detour_vs_shortest", "ground_risk", "risk_reduction", "max_igrc", "min_clearance_m"]
    + ["mobile_coverage_share"],
    "cost_curve": ["cost", "coverage_pct"],
    "radio_corridors": ["from_hub", "to_hub", "height_evaluated_m", "length_m", "covered_m"]
    + ["radio_coverage_share", "longest_uncovered_m"],
}


@dataclass
class Section:
    """One report section: text, tables ``(caption, rows)``, plots and links to files."""

    title: str
    text: str = ""
    tables: list[tuple[str, list[dict]]] = field(default_factory=list)
    plots: list[tuple[str, str, bytes]] = field(default_factory=list)
    links: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        """Return the section as the plain dict :func:`planner.render.report.build_report` lists."""
        return asdict(self)


@dataclass
class SectionPart:
    """An analysis section (None when the analysis did not run) and its assumption rows."""

    section: Section | None
    assumptions: list[dict] = field(default_factory=list)


# --------------------------------------------------------------------------- primitives
def section(summary: Mapping, name: str) -> dict | None:
    """Return the summary section ``fiber``, ``plan`` or ``drones`` (None when absent).

    Parameters
    ----------
    summary : mapping
        The run's ``summary.json`` content.
    name : str
        ``fiber``, ``plan`` or ``drones`` (see :data:`SECTION_KEYS`).

    Returns
    -------
    dict or None
    """
    val = summary.get(SECTION_KEYS[name])
    return dict(val) if isinstance(val, Mapping) and val else None


def _value(name: str, v: object) -> str:
    text = format_value(v, money=is_money(name))
    return tr(text) if isinstance(v, (bool, np.bool_)) else text  # yes / no


def flatten_assumptions(tree: object, prefix: str = "") -> list[dict]:
    """Flatten nested assumptions into rows ``{"name", "value", "source"}``.

    Understands the ``{"values": {...}, "sources": {...}}`` groups of planner's
    assumption dicts and ``{"value": v, "source": s}`` cited values; a key without a
    recorded source gets ``source=""`` so the report shows the gap.

    Parameters
    ----------
    tree : mapping
        An ``assumptions`` entry of the summary (anything else gives no rows).
    prefix : str
        Prefix of every row name (e.g. ``city.``).

    Returns
    -------
    list of dict
    """
    if not isinstance(tree, Mapping):
        return []
    if "values" in tree and isinstance(tree["values"], Mapping):
        sources = tree.get("sources") or {}
        rows = [
            {"name": f"{prefix}{k}", "value": _value(k, v), "source": str(sources.get(k, ""))}
            for k, v in tree["values"].items()
        ]
        for k, v in tree.items():
            if k not in ("values", "sources") and isinstance(v, Mapping):
                rows.extend(flatten_assumptions(v, f"{prefix}{k}."))
        return rows
    if "value" in tree and "source" in tree:
        name = prefix.rstrip(".")
        return [{"name": name, "value": _value(name, tree["value"]), "source": str(tree["source"])}]
    rows: list[dict] = []
    for k, v in tree.items():
        if isinstance(v, Mapping):
            rows.extend(flatten_assumptions(v, f"{prefix}{k}."))
        elif k != "sources":
            rows.append({"name": f"{prefix}{k}", "value": _value(k, v), "source": ""})
    return rows


def _is_target(key: str) -> bool:
    return key.startswith("target_") or key.endswith("_target") or key in KPI_TARGETS.values()


def _target_key(kpi: str, scalar: Mapping) -> str | None:
    """Return the key of ``kpi``'s target among ``scalar``, if any."""
    cands = (f"target_{kpi}", f"{kpi}_target", f"{kpi.removesuffix('_pct')}_target_pct")
    return next((c for c in (*cands, KPI_TARGETS.get(kpi)) if c in scalar), None)


def kpi_rows(kpis: Mapping) -> list[dict]:
    """KPIs with their targets.

    A ``target_<k>``, ``<k>_target`` or ``<k>_target_pct`` key, or the key named in
    :data:`KPI_TARGETS`, pairs with ``<k>``; targets without their KPI get rows of their own.

    Parameters
    ----------
    kpis : mapping
        KPI name to value (non-scalar values are skipped).

    Returns
    -------
    list of dict
        Rows ``{"kpi", "value", "target", "met"}``.
    """
    scalar = {k: v for k, v in kpis.items() if not isinstance(v, (Mapping, list, tuple))}
    rows, used = [], set()
    for k, v in scalar.items():
        if _is_target(k):
            continue
        key = _target_key(k, scalar)
        target = scalar[key] if key else None
        used.add(key)
        numbers = isinstance(v, (int, float)) and isinstance(target, (int, float))
        met = v >= target if target is not None and numbers else None
        rows.append(
            {
                "kpi": term(k),
                "value": _value(k, v),
                "target": _value(k, target),
                "met": _value("met", met),
            }
        )
    rows += [
        {"kpi": term(k), "value": _value(k, v), "target": "", "met": ""}
        for k, v in scalar.items()
        if _is_target(k) and k not in used
    ]
    return rows


def records_frame(rows: pd.DataFrame | Sequence[Mapping] | None) -> pd.DataFrame:
    """Return a DataFrame (without geometry) of a frame or of summary records.

    Parameters
    ----------
    rows : DataFrame, sequence of dict or None
        A result frame, or records as the summary holds them.

    Returns
    -------
    DataFrame
    """
    if rows is None:
        return pd.DataFrame()
    if isinstance(rows, pd.DataFrame):
        return pd.DataFrame(rows.drop(columns="geometry", errors="ignore"))
    return pd.DataFrame(list(rows))


def table_rows(
    frame: pd.DataFrame, columns: Sequence[str], table: str, limit: int | None = None
) -> list[dict]:
    """Format the ``columns`` of ``frame`` (first ``limit`` rows) as report table rows.

    Each column keeps its own type (counts and ranks print as integers).

    Parameters
    ----------
    frame : DataFrame
        The frame read.
    columns : sequence of str
        Columns shown, in order; every one must exist.
    table : str
        Table name for the error message.
    limit : int, optional
        Largest number of rows.

    Returns
    -------
    list of dict

    Raises
    ------
    planner.render._columns.MissingColumnsError
        When ``frame`` lacks one of ``columns``.
    """
    if frame.empty:
        return []
    require_columns(frame, columns, f"report table {table!r}")
    df = frame[list(columns)]
    records = (df.head(limit) if limit else df).to_dict(orient="records")
    return [{c: _value(c, r[c]) for c in columns} for r in records]


def _scalar_rows(values: Mapping) -> list[dict]:
    """Rows ``{"item", "value"}`` of a summary's scalar entries (assumptions left out)."""
    return [
        {"item": term(k), "value": _value(k, v)}
        for k, v in values.items()
        if not isinstance(v, (Mapping, list, tuple)) and k != "assumptions"
    ]


# --------------------------------------------------------------------------- sections
def report_meta(summary: Mapping) -> list[tuple[str, str]]:
    """Return the report's header lines: city, source, generated, version, data licence."""
    attribution = summary.get("attribution", "© OpenStreetMap contributors (ODbL)")
    meta = [
        (tr("city"), str(summary.get("city", "city"))),
        (tr("source"), format_value(summary.get("source"))),
        (tr("generated"), format_value(summary.get("generated"))),
        (tr("planner version"), format_value(summary.get("planner_version"))),
        (tr("data"), format_value(attribution)),
    ]
    preset = (summary.get("drones") or {}).get("preset_choice")
    if isinstance(preset, Mapping):
        meta.append((tr("airspace preset"), preset_sentence(preset)))
    return meta


def preset_sentence(choice: Mapping) -> str:
    """Return the report line that says which airspace preset was chosen and why."""
    preset, how, country = choice.get("preset"), choice.get("how"), choice.get("country")
    if how == "config":
        return tr("{preset} (set as drones.preset in the city config)").format(preset=preset)
    if how != "location" or not country:
        return tr("{preset} (no location found in the data; EU rules by default)").format(
            preset=preset
        )
    share = format_value(100 * float(choice.get("share") or 0)) + " %"
    text = tr(
        "{preset}, chosen from the data's location: {share} of sample points lie nearest "
        "to a place in {country} (offline GeoNames table)"
    ).format(preset=preset, share=share, country=country)
    if country not in PRESET_BY_COUNTRY:
        text += tr("; planner has no preset for {country}, so the EU rules apply").format(
            country=country
        )
    return text


def city_data_section(summary: Mapping) -> Section | None:
    """Return the *City data* section: features per layer (None without layer counts)."""
    layers = summary.get("layers") or {}
    if not layers:
        return None
    rows = [{"layer": term(k), "features": format_value(v)} for k, v in layers.items()]
    text = tr("Features loaded from OpenStreetMap per layer.")
    return Section(tr("City data"), text, [(tr("Layers"), rows)])


def _cluster_table(clusters: pd.DataFrame) -> tuple[str, list[dict]]:
    df = records_frame(clusters)
    if "rank_premises" in df:
        df = df.sort_values("rank_premises")
    caption = tr("Gap clusters ranked by premises (top {top} of {total})").format(
        top=TOP_CLUSTERS, total=len(df)
    )
    return caption, table_rows(df, REPORT_FIELDS["gap_clusters"], "gap clusters", TOP_CLUSTERS)


def _coverage_plot(fiber: FiberCoverage) -> tuple[str, str, bytes] | None:
    """Return the coverage-by-hexagon histogram of the finest resolution (None without hexes)."""
    if not fiber.hexes:
        return None
    hexes = records_frame(fiber.hexes[max(fiber.hexes)])
    if not len(hexes):
        return None
    require_columns(hexes, REPORT_FIELDS["hexes"], "report plot 'coverage_by_hex'")
    png = plots.to_png(plots.coverage_histogram(hexes))
    return "coverage_by_hex", tr("Coverage by hexagon"), png


def _analysis_summary(summary: Mapping, name: str, own: Mapping | None) -> dict | None:
    """Return the summary section ``name``, else the analysis' own summary (None: neither)."""
    found = section(summary, name)
    return dict(own) if found is None and own else found


def fiber_part(summary: Mapping, fiber: FiberCoverage | None) -> SectionPart:
    """Return the *Fibre coverage* section: KPIs against targets, ranked gap clusters, plot."""
    fsec = _analysis_summary(summary, "fiber", fiber.kpis if fiber is not None else None)
    if fsec is None:
        return SectionPart(None)
    kpis = {k: v for k, v in fsec.items() if k != "assumptions"}
    sec = Section(tr("Fibre coverage"), tables=[(tr("KPIs against targets"), kpi_rows(kpis))])
    if "coverage_pct" in kpis:
        sec.text = tr("{pct} of premises are passed by fibre (target {target} %).").format(
            pct=format_value(kpis.get("coverage_pct")) + " %",
            target=format_value(kpis.get("target_coverage_pct")),
        )
    if fiber is not None:
        sec.tables.append(_cluster_table(fiber.gap_clusters))
        plot = _coverage_plot(fiber)
        sec.plots += [plot] if plot else []
    return SectionPart(sec, flatten_assumptions(fsec.get("assumptions") or {}, "fiber."))


def _routing_text(psec: Mapping) -> str:
    """Return the routing certificate sentence (empty without a routing gap)."""
    gap = psec.get("routing_gap_pct")
    if gap is None:
        return ""
    proof = (
        tr("the bound is the proven optimum")
        if psec.get("routing_bound_is_optimum")
        else tr("a valid bound; the optimum lies between the two")
    )
    return tr(
        "Street routing costs {cost}, within {gap} of a certified lower bound on the "
        "cheapest possible routing ({bound}; {proof})."
    ).format(
        cost=format_value(psec.get("routing_steiner_cost"), money=True),
        gap=f"{gap:.3f} %",
        bound=format_value(psec.get("routing_lower_bound"), money=True),
        proof=proof,
    )


def _cost_curve_plot(curve: Sequence[Mapping] | None) -> tuple[str, str, bytes] | None:
    df = records_frame(curve)
    if not len(df):
        return None
    require_columns(df, REPORT_FIELDS["cost_curve"], "report plot 'cost_curve'")
    return "cost_curve", tr("Cost curve (budget mode)"), plots.to_png(plots.cost_curve(df))


def plan_part(summary: Mapping, plan: FiberPlan | None) -> SectionPart:
    """Return the *Fibre build plan* section: certificate, cost and totals, phases, curve."""
    psec = _analysis_summary(summary, "plan", plan.summary if plan is not None else None)
    if psec is None:
        return SectionPart(None)
    sec = Section(
        tr("Fibre build plan"), _routing_text(psec), [(tr("Cost and totals"), _scalar_rows(psec))]
    )
    phases = records_frame(psec.get("phases"))
    if len(phases):
        sec.tables.append((tr("Phases"), table_rows(phases, list(phases.columns), "phases")))
    plot = _cost_curve_plot(psec.get("cost_curve"))
    sec.plots += [plot] if plot else []
    return SectionPart(sec, flatten_assumptions(psec.get("assumptions") or {}, "plan."))


def _corridor_tables(dsec: Mapping, sec: Section, columns: Sequence[str]) -> None:
    """Add the corridor table, the risk-vs-detour plot and the hub table to ``sec``."""
    cdf = records_frame(dsec.get("corridors"))
    if len(cdf):
        rows = table_rows(cdf, columns, "corridors")
        sec.tables.append((tr("Corridors"), rows))
        png = plots.to_png(plots.risk_vs_detour(cdf))
        sec.plots.append(("risk_vs_detour", tr("Ground risk vs detour per corridor"), png))
    hubs = records_frame(dsec.get("hubs"))
    if len(hubs):
        sec.tables.append((tr("Hubs"), table_rows(hubs, list(hubs.columns), "hubs")))


def drone_part(
    summary: Mapping, drones: CorridorResult | None, circle_share: bool = True
) -> SectionPart:
    """Return the *Drone corridors* section: settings and totals, corridors, hubs, plot.

    With ``circle_share=False`` (the radio step ran) the corridor table leaves out the
    circle model's ``mobile_coverage_share``: the *Mobile coverage* section's per-corridor
    ``radio_coverage_share`` replaces it.
    """
    dsec = _analysis_summary(summary, "drones", drones.summary if drones is not None else None)
    if dsec is None:
        return SectionPart(None)
    scalars = dict(dsec)
    for key in ("band", "hub_links"):  # one level of scalars, e.g. band_top_m, hub_links_rule
        if isinstance(dsec.get(key), Mapping):
            scalars.update({f"{key}_{k}": v for k, v in dsec[key].items()})
    sec = Section(
        tr("Drone corridors"),
        tables=[(tr("Airspace settings and totals"), _scalar_rows(scalars))],
    )
    columns = [c for c in REPORT_FIELDS["corridors"] if circle_share or c != CIRCLE_SHARE]
    _corridor_tables(dsec, sec, columns)
    if dsec.get("infeasible"):
        sec.text = tr("Infeasible: ") + "; ".join(map(str, dsec["infeasible"]))
    return SectionPart(sec, flatten_assumptions(dsec.get("assumptions") or {}, "drones."))


def _kpi_row(name: str, k: Mapping | None, unit: str = " %") -> dict:
    """Return a KPI row of a ``{"value", "target", "met"}`` dict of the radio summary."""
    k = k or {}
    value, target = k.get("value"), k.get("target")
    shown = tr("n/a") if value is None else f"{format_value(value)}{unit}"
    goal = "" if target is None else f"{format_value(target)}{unit}"
    return {"kpi": name, "value": shown, "target": goal, "met": format_value(k.get("met"))}


def _radio_kpis(rsec: Mapping) -> list[dict]:
    """KPIs against targets: people, area per height, route network, key places, 5G sites."""
    net = rsec.get("route_network") or {}
    at = net.get("height_evaluated_m")
    rows = [_kpi_row(tr("people covered on the ground"), rsec.get("population_covered_ground_pct"))]
    rows += [
        _kpi_row(tr("area covered at {height} m").format(height=h), k)
        for h, k in (rsec.get("area_covered_pct") or {}).items()
    ]
    rows += [
        _kpi_row(
            tr("route network covered at {height} m").format(height=format_value(at)),
            net.get("covered_pct"),
        ),
        _kpi_row(tr("longest uncovered stretch"), {"value": net.get("longest_uncovered_m")}, " m"),
        _kpi_row(
            tr("key places reached (ground)"), (rsec.get("key_places") or {}).get("reached_pct")
        ),
        _kpi_row(tr("5G sites per 10,000 people"), rsec.get("sites_5g_per_10k_people"), ""),
    ]
    return rows


def _key_place_rows(rsec: Mapping) -> list[dict]:
    """One row per MIIT key-place class: places reached on the ground of those in the city."""
    by_class = (rsec.get("key_places") or {}).get("by_class") or {}
    return [
        {
            "class": tr(name),
            "reached": format_value(reached),
            "total": format_value(total),
            "reached_pct": format_value(round(100 * reached / total, 1)) if total else tr("n/a"),
        }
        for name, (reached, total) in by_class.items()
    ]


def _radio_text(rsec: Mapping) -> str:
    values = (rsec.get("assumptions") or {}).get("values") or {}
    return tr(
        "{sites} sites ({sites_5g} 5G), {sectors} sectors on a {resolution} m grid; 3GPP TR "
        "38.901 (ground) and TR 36.777 (aerial) path loss over the OSM buildings. Covered: RSRP "
        "at least {rsrp} dBm and SINR at least {sinr} dB; a KPI is met at or above its target. "
        "The per-corridor radio_coverage_share (this model, at the corridor altitude) replaces "
        "the circle estimate of the drone section (mobile_coverage_share: 500 m / 1 km around "
        "OSM masts), which is left out of the drone corridor table."
    ).format(
        sites=format_value(rsec.get("sites")),
        sites_5g=format_value(rsec.get("sites_5g")),
        sectors=format_value(rsec.get("sectors")),
        resolution=format_value(rsec.get("resolution_m")),
        rsrp=format_value(values.get("rsrp_min_dbm")),
        sinr=format_value(values.get("sinr_min_db")),
    )


def radio_part(summary: Mapping, radio: RadioCoverage | None) -> SectionPart:
    """Return the *Mobile coverage* section: KPIs against targets and corridors at altitude."""
    rsec = _analysis_summary(summary, "radio", radio.summary if radio is not None else None)
    if rsec is None:
        return SectionPart(None)
    sec = Section(
        tr("Mobile coverage"), _radio_text(rsec), [(tr("KPIs against targets"), _radio_kpis(rsec))]
    )
    if key_places := _key_place_rows(rsec):
        sec.tables.append((tr("Key places reached on the ground, by MIIT class"), key_places))
    cdf = records_frame(rsec.get("corridors"))
    if len(cdf):
        rows = table_rows(cdf, REPORT_FIELDS["radio_corridors"], "radio corridors")
        sec.tables.append((tr("Corridors: coverage at altitude (radio model)"), rows))
    return SectionPart(sec, flatten_assumptions(rsec.get("assumptions") or {}, "radio."))


def maps_section(maps: Mapping | None) -> Section | None:
    """Return the *Maps* section: size, layer count and aggregation per map file."""
    if not maps:
        return None
    rows = []
    for fname, info in maps.items():
        agg = info.get("aggregated") or {}
        rows.append(
            {
                "map": fname,
                "title": map_title(fname),
                "size_mb": format_value(info.get("size_mb")),
                "layers": format_value(len(info.get("layers", []))),
                "aggregated": "; ".join(f"{k}: {v}" for k, v in agg.items()) or tr("none"),
            }
        )
    text = tr("Self-contained HTML maps (open without internet; basemap tiles aside).")
    return Section(tr("Maps"), text, [(tr("Maps"), rows)], links=list(maps))


def assumptions_section(rows: list[dict]) -> Section:
    """Return the *Assumptions* section: every default with its source."""
    text = tr(
        "Every default that stands in for missing data, with its source "
        "(an empty source marks a value without a recorded source)."
    )
    return Section(tr("Assumptions"), text, [(tr("Assumptions"), rows)])


def map_title(name: str) -> str:
    """Return the translated title of map file ``name`` (the file name when unknown)."""
    return tr(MAP_TITLES[name]) if name in MAP_TITLES else name
