"""Markdown report section of the radio analysis (KPIs against targets, assumptions)."""

from __future__ import annotations

__all__ = ["report_section"]


def _pct(k: dict | None) -> str:
    if not k or k.get("value") is None:
        return "n/a"
    met = "" if k.get("met") is None else (" ✓" if k["met"] else " ✗")
    tgt = "" if k.get("target") is None else f" (target {k['target']:g} %)"
    return f"{k['value']:.1f} %{tgt}{met}"


def report_section(summary: dict) -> str:
    """Return the ``## Mobile coverage`` Markdown section from ``RadioCoverage.summary``.

    Parameters
    ----------
    summary : dict
        The ``radio`` section of ``summary.json``.

    Returns
    -------
    str
        Markdown text.

    """
    s = summary
    sites = s["sites_5g_per_10k_people"]
    lines = [
        "## Mobile coverage (3GPP TR 38.901 / TR 36.777 over OSM buildings)",
        "",
        f"{s['sites']} sites ({s['sites_5g']} 5G), {s['sectors']} sectors; sources "
        f"{s['site_sources']}; scenarios {s['scenarios']}; {s['resolution_m']:g} m grid; "
        f"deterministic building blocking on {100 * s['deterministic_blocking_share']:.0f} % "
        "of the area.",
        "",
        "| KPI | value |",
        "|---|---|",
        f"| people covered on the ground | {_pct(s['population_covered_ground_pct'])} |",
    ]
    for h, k in s["area_covered_pct"].items():
        lines.append(f"| area covered at {h} m | {_pct(k)} |")
    rn = s["route_network"]
    lines += [
        f"| route network covered at {rn.get('height_evaluated_m', 'n/a')} m | "
        f"{_pct(rn['covered_pct'])} |",
        f"| longest uncovered stretch of the network | {rn['longest_uncovered_m']:.0f} m |",
        f"| key places reached (5G) | {_pct(s['key_places']['reached_pct'])} |",
        f"| 5G sites per 10,000 people | "
        f"{'n/a' if sites['value'] is None else format(sites['value'], '.2f')} "
        f"(target > {sites['target']:g}) |",
        "",
    ]
    if s["corridors"]:
        lines += [
            "| corridor | altitude | covered | longest gap |",
            "|---|---|---|---|",
        ]
        for c in s["corridors"]:
            lines.append(
                f"| {c['from_hub']} – {c['to_hub']} | {c['height_evaluated_m']:g} m | "
                f"{100 * c['radio_coverage_share']:.1f} % | {c['longest_uncovered_m']:.0f} m |"
            )
        lines.append("")
    v = s["assumptions"]["values"]
    lines.append(
        f"Covered = RSRP ≥ {v['rsrp_min_dbm']:g} dBm and SINR ≥ {v['sinr_min_db']:g} dB at "
        f"{v['frequency_ghz']:g} GHz, {v['tx_power_dbm']:g} dBm per sector, interference "
        f"load {v['interference_load']:g}; every default and its source is listed under "
        "`radio.assumptions` in summary.json."
    )
    return "\n".join(lines) + "\n"
