"""Report: assumptions with sources, KPIs vs targets, escaping, plots per present section."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser

import pandas as pd

from planner.fiber import GAP_CLUSTER_COLUMNS, FiberCoverage
from planner.render import report

try:  # works whether or not tests/ is a package
    from tests.render.test_maps import typed
except ImportError:  # pragma: no cover
    from test_maps import typed

XSS = '<img src=x onerror="window.__xss=1">'


def _summary(**sections) -> dict:
    return {
        "city": "testville",
        "source": "unit test",
        "generated": "2026-01-01T00:00:00+00:00",
        "layers": {"buildings": 10},
        "assumptions": {
            "buildings": {
                "values": {"metres_per_level": 3.0, "people_per_household": 2.3},
                "sources": {"metres_per_level": "Eurostat 2021 storey height"},
            },
            "crs": "UTM zone from the data centroid",
        },
        **sections,
    }


FIBER = {
    "coverage_pct": 42.5,
    "target_coverage_pct": 80.0,
    "mobile_sites_per_10k_people": 3.0,
    "mobile_sites_target_per_10k": 12.0,
    "premises_total": 1000,
    "assumptions": {"values": {"drop_limit_m": 152.4}, "sources": {"drop_limit_m": "FOND"}},
}


def _corridor(**values) -> dict:
    """A corridor record as the drones summary holds it (every report column present)."""
    return {c: None for c in report.REPORT_FIELDS["corridors"]} | values


DRONES = {
    "mode": "free",
    "band": {"min_m": 60.0, "max_m": 120.0},
    "corridors": [
        _corridor(from_hub="A", to_hub=XSS, length_m=1000.0, detour_factor=1.3, ground_risk=12.0),
        _corridor(from_hub="B", to_hub="C", length_m=500.0, detour_factor=1.0, ground_risk=3.0),
    ],
    "infeasible": [],
}


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_flatten_assumptions_keeps_every_value_and_marks_missing_sources():
    rows = report.flatten_assumptions(_summary()["assumptions"], "city.")
    by = {r["name"]: r for r in rows}
    assert by["city.buildings.metres_per_level"]["source"] == "Eurostat 2021 storey height"
    assert by["city.buildings.people_per_household"]["source"] == ""  # gap shown, not hidden
    assert by["city.crs"]["value"] == "UTM zone from the data centroid"
    assert len(rows) == 3


def test_kpis_pair_with_their_targets():
    rows = {r["kpi"]: r for r in report.kpi_rows(FIBER)}
    assert rows["coverage_pct"]["target"] == "80" and rows["coverage_pct"]["met"] == "no"
    assert rows["mobile_sites_per_10k_people"]["target"] == "12"
    assert "target_coverage_pct" not in rows  # consumed as a target, not a KPI row
    assert rows["premises_total"]["target"] == ""
    # the mobile target pairs through report.KPI_TARGETS and is not a KPI row of its own
    assert rows["mobile_sites_per_10k_people"]["met"] == "no"
    assert "mobile_sites_target_per_10k" not in rows
    # a target whose KPI is missing keeps a row of its own
    alone = {r["kpi"]: r for r in report.kpi_rows({"mobile_sites_target_per_10k": 12.0})}
    assert alone["mobile_sites_target_per_10k"]["value"] == "12"


def test_sections_are_read_from_the_keys_planner_run_writes():
    plan = {"route_cost": 5.0}
    summary = _summary(fiber=FIBER, fiber_plan=plan, drones=DRONES)
    assert report.section(summary, "fiber") == FIBER
    assert report.section(summary, "plan") == plan
    assert report.section(summary, "drones") == DRONES
    assert report.section(_summary(), "plan") is None


def test_drone_assumptions_appear_with_their_sources(tmp_path):
    drones = {
        **DRONES,
        "assumptions": {
            "values": {"people_per_m2_default": 0.01, "band_min_m": 60.0},
            "sources": {"people_per_m2_default": "JARUS SORA 2.5 Annex F"},
        },
    }
    report.write_report(tmp_path, _summary(drones=drones))
    text = (tmp_path / "report.html").read_text()
    table = text[text.index("<caption>Assumptions</caption>") :]
    assert "<td>drones.people_per_m2_default</td><td>0.01</td>" in table
    assert "<td class=src>JARUS SORA 2.5 Annex F</td>" in table
    assert "<td>drones.band_min_m</td><td>60</td><td class=src></td>" in table


def test_only_present_sections_get_plots(tmp_path):
    files = report.write_report(tmp_path, _summary())
    assert [f.name for f in files] == ["report.html", "report.md"]
    text = (tmp_path / "report.html").read_text()
    assert "Fibre coverage" not in text and "<img" not in text

    files = report.write_report(tmp_path, _summary(drones=DRONES))
    assert sorted(f.name for f in files) == ["report.html", "report.md", "risk_vs_detour.png"]


def test_full_report_is_self_contained_and_escaped(tmp_path):
    hexes = pd.DataFrame({"coverage_pct": [0.0, 50.0, 100.0], "premises": [10, 20, 30]})
    clusters = pd.DataFrame({c: [1.5, 2.5] for c in GAP_CLUSTER_COLUMNS})
    clusters = clusters.assign(cluster=[1, 2], premises=[5, 50], rank_premises=[2, 1])
    clusters = clusters.assign(rank_length=[1, 2], buildings=[3, 40])
    fiber = typed(FiberCoverage, hexes={9: hexes}, gap_clusters=clusters, kpis={})
    plan = {
        "total_cost": 1e6,
        "phases": [{"phase": 1, "cost": 4e5}],
        "cost_curve": [{"cost": 0, "coverage_pct": 0}, {"cost": 1e5, "coverage_pct": 30}],
    }
    maps = {
        "map.html": {
            "size_mb": 3.2,
            "layers": ["a", "b"],
            "aggregated": {"premises": "aggregated to 100 m cells"},
        }
    }
    files = report.write_report(
        tmp_path,
        _summary(fiber=FIBER, drones=DRONES, fiber_plan=plan),  # keys as planner.run writes
        fiber=fiber,
        maps=maps,
    )
    names = sorted(f.name for f in files)
    assert names == [
        "cost_curve.png",
        "coverage_by_hex.png",
        "report.html",
        "report.md",
        "risk_vs_detour.png",
    ]
    text = (tmp_path / "report.html").read_text()
    p = _Collect()
    p.feed(text)
    imgs = [a for t, a in p.tags if t == "img"]
    assert len(imgs) == 3
    for a in imgs:  # embedded PNGs, decodable
        assert a["src"].startswith("data:image/png;base64,")
        assert base64.b64decode(a["src"].split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [a for t, a in p.tags if t in ("script", "link")]
    assert XSS not in text and "&lt;img src=x onerror" in text
    assert [a["href"] for t, a in p.tags if t == "a"] == ["map.html"]
    # ranked clusters: rank 1 (50 premises) first
    table = text[text.index("Gap clusters ranked") :]
    assert table.index("<td>50</td>") < table.index("<td>5</td>")
    # every assumption appears, with its source
    for needle in (
        "city.buildings.metres_per_level",
        "Eurostat 2021 storey height",
        "fiber.drop_limit_m",
        "FOND",
        "aggregated to 100 m cells",
    ):
        assert needle in text
    md = (tmp_path / "report.md").read_text()
    assert "![Coverage by hexagon](report_plots/coverage_by_hex.png)" in md
    assert XSS not in md
    assert re.search(r"\| coverage_pct \| 42.5 \| 80 \| no \|", md)
    # ranks and counts print as integers, whatever the frame's other columns hold
    clusters_html = table[: table.index("</table>")]
    assert "<tr><td>1</td><td>2</td><td>50</td><td>40</td><td>2.5</td>" in clusters_html
    assert ".00<" not in clusters_html


def test_names_with_dollar_signs_do_not_break_the_plots(tmp_path):
    # Matplotlib reads "$...$" as mathtext; "St. $\foo$" raised ParseFatalException and
    # failed the whole report step. Names from data are drawn as plain text.
    from planner.render import plots

    odd = r"St. $\foo$"
    drones = {
        **DRONES,
        "corridors": [{**c, "from_hub": odd} for c in DRONES["corridors"]],
    }
    files = report.write_report(tmp_path, _summary(drones=drones))
    assert "risk_vs_detour.png" in [f.name for f in files]
    assert odd in (tmp_path / "report.html").read_text()
    fig = plots.risk_vs_detour(pd.DataFrame(drones["corridors"]), title=odd)
    assert [t.get_text() for t in fig.axes[0].texts] == [f"{odd}-{XSS}", f"{odd}-C"]
    assert plots.to_png(fig)[:8] == b"\x89PNG\r\n\x1a\n"
    curve = pd.DataFrame([{"cost": 0, "coverage_pct": 0}, {"cost": 1, "coverage_pct": 5}])
    assert plots.to_png(plots.cost_curve(curve, title=odd))[:4] == b"\x89PNG"
    assert (
        plots.to_png(plots.coverage_histogram(pd.DataFrame({"coverage_pct": [5]}), title=odd))[:4]
        == b"\x89PNG"
    )


def test_plan_section_states_the_routing_certificate():
    base = {"city": "x", "fiber_plan": {"capex_total": 10.0, "currency": "EUR"}}
    sec = report.build_report(base)["sections"]
    assert not any("lower bound" in s["text"] for s in sec)
    cert = {
        "routing_steiner_cost": 1000.5,
        "routing_lower_bound": 1000.0,
        "routing_gap_pct": 0.05,
        "routing_bound_is_optimum": True,
    }
    summary = {**base, "fiber_plan": {**base["fiber_plan"], **cert}}
    text = next(s["text"] for s in report.build_report(summary)["sections"] if "plan" in s["title"])
    assert "within 0.050 % of a certified lower bound" in text and "proven optimum" in text
    summary["fiber_plan"]["routing_bound_is_optimum"] = False
    text = next(s["text"] for s in report.build_report(summary)["sections"] if "plan" in s["title"])
    assert "proven optimum" not in text and "lies between" in text
