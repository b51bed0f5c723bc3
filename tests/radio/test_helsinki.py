"""The built-in Helsinki sample end to end (OSM sites only, default settings)."""

from __future__ import annotations

import json

from planner.radio import analyze_radio
from planner.render.report import build_report

KEYS = {
    "sites",
    "sectors",
    "sites_5g",
    "heights_m",
    "population_covered_ground_pct",
    "area_covered_pct",
    "route_network",
    "corridors",
    "key_places",
    "sites_5g_per_10k_people",
    "by_height",
    "assumptions",
}


def test_helsinki_defaults(helsinki):
    res = analyze_radio(helsinki)
    s = res.summary
    json.dumps(s, allow_nan=False)
    assert KEYS <= set(s)
    assert s["sites"] == int(helsinki.telecom["mobile"].sum()) >= 1
    assert s["heights_m"] == [1.5, 60.0, 90.0, 120.0]
    assert s["key_places"]["total"] == int(helsinki.key_places["class"].notna().sum())
    assert s["key_places"]["by_class"]["tourism_area"][1] >= 1  # museums of central Helsinki
    assert 0 < s["population_covered_ground_pct"]["value"] <= 100
    # at altitude the single mast is seen in LoS over more of the area than on the ground
    assert s["area_covered_pct"]["120"]["value"] >= s["area_covered_pct"]["1.5"]["value"]
    assert s["deterministic_blocking_share"] > 0.5
    titles = [sec["title"] for sec in build_report({"city": "helsinki", "radio": s})["sections"]]
    assert "Mobile coverage" in titles
