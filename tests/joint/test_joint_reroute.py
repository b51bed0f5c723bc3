"""Coverage-aware re-routing after site planning: never lower coverage, no no-fly crossing."""

from __future__ import annotations

import numpy as np

from planner.config.drones import DroneConfig
from planner.drones.grid import city_grid
from planner.joint.reroute import (
    air_penalty,
    corridor_cover,
    penalty_level,
    reroute_config,
)


def test_penalty_is_uncovered_air_at_the_evaluated_height(joint, planned_city):
    city, _, _, dc, corr = planned_city
    after = joint.radio_after
    level = penalty_level(after, corr.corridors)
    net = after.summary["route_network"]
    assert after.heights_m[level] == net["height_evaluated_m"]
    pen = air_penalty(after, city, dc, 3.0, level)
    # oracle: each drone cell centre looked up by hand on the radio grid at that level
    grid = city_grid(city, dc.resolution_m)
    r, c = grid.shape[0] // 2, grid.shape[1] // 3
    x = grid.transform.c + grid.transform.a * (c + 0.5)
    y = grid.transform.f + grid.transform.e * (r + 0.5)
    t = after.transform
    col, row = int(np.floor((x - t.c) / t.a)), int(np.floor((y - t.f) / t.e))
    covered = bool(after.covered[level, row, col])
    assert pen[r, c] == (0.0 if covered else 3.0)
    assert set(np.unique(pen)) <= {0.0, 3.0}
    # every cell: each centre's own 2-D lookup (no separable shortcut), off-grid = uncovered
    xs = grid.transform.c + grid.transform.a * (np.arange(grid.shape[1]) + 0.5)
    ys = grid.transform.f + grid.transform.e * (np.arange(grid.shape[0]) + 0.5)
    xx, yy = np.meshgrid(xs, ys)
    cols = np.floor((xx - t.c) / t.a).astype(int)
    rows = np.floor((yy - t.f) / t.e).astype(int)
    inside = (rows >= 0) & (rows < t_rows(after)) & (cols >= 0) & (cols < t_cols(after))
    cov = np.zeros(grid.shape, bool)
    cov[inside] = after.covered[level][rows[inside], cols[inside]]
    np.testing.assert_array_equal(pen, np.where(cov, 0.0, 3.0).astype(np.float32))
    assert pen.dtype == np.float32


def t_rows(radio) -> int:
    return radio.covered.shape[1]


def t_cols(radio) -> int:
    return radio.covered.shape[2]


def test_rerouting_never_lowers_coverage_and_avoids_nofly(joint, planned_city):
    _, _, _, _, corr = planned_city
    s = joint.summary["corridors"]
    after_pct = joint.summary["coverage"]["corridor_pct_after"]
    assert s["rerouted"] is True and s["nofly_intersections"] == 0
    # the corridors the plan keeps, recomputed on the planned network's radio grids
    _, net = corridor_cover(joint.radio_after, joint.corridors_after)
    assert net["covered_pct"] >= after_pct - 1e-9
    if s["used"] == "rerouted":
        assert s["corridor_pct_rerouted"] >= after_pct
        assert joint.rerouted.summary["restricted_intersections"] == 0


def test_rerouted_corridors_prefer_covered_air(planned_city, joint):
    """A strong penalty never leaves more of the route network uncovered (Helsinki).

    The corridors without a penalty are ``corr`` itself (see test_air_penalty).
    """
    from planner.drones import plan_corridors

    city, _, _, dc, corr = planned_city
    after = joint.radio_after
    level = penalty_level(after, corr.corridors)
    res = plan_corridors(city, dc, air_penalty=air_penalty(after, city, dc, 50.0, level))
    assert res.summary["restricted_intersections"] == 0
    pct = corridor_cover(after, res.corridors)[1]["covered_pct"]
    assert pct >= corridor_cover(after, corr.corridors)[1]["covered_pct"]


def test_reroute_config_keeps_the_weights_in_use(planned_city):
    _, _, _, dc, corr = planned_city
    cfg = reroute_config(dc, corr.corridors)
    used = set(corr.corridors["risk_weight"].astype(float)) & set(dc.budget_weights)
    assert used <= set(cfg.budget_weights) <= set(dc.budget_weights)
    assert max(dc.budget_weights) in cfg.budget_weights
    fixed = DroneConfig(risk_weight=1.0)
    assert reroute_config(fixed, corr.corridors) is fixed


def test_weight_escalates_while_worse_or_a_stretch_is_too_long(monkeypatch):
    """The loop's rule with a stub router: x4 per attempt, three attempts at most."""
    import geopandas as gpd

    from planner.config.joint import JointConfig
    from planner.joint import reroute

    seen = []  # the penalty weight of each re-routing call
    pcts = {2.0: 80.0, 8.0: 85.0, 32.0: 95.0}  # network coverage (pct) at each weight

    class Res:
        corridors, summary = gpd.GeoDataFrame(), {}

    class Original:
        corridors = None
        inputs = type("Inputs", (), {"config": None})()

    def route(city, previous, air_penalty, budget_weights=None):
        assert previous is original  # the first run's result is what is re-routed
        seen.append(air_penalty)
        return Res()

    def cover(radio, corridors):
        gap = 500.0 if seen[-1] < 8 else 100.0
        return gpd.GeoDataFrame({"longest_uncovered_m": [gap]}), {"covered_pct": pcts[seen[-1]]}

    monkeypatch.setattr(reroute, "penalty_level", lambda radio, c: 0)
    monkeypatch.setattr(reroute, "reroute_config", lambda dcfg, c: DroneConfig())
    monkeypatch.setattr(reroute, "uncovered_air", lambda radio, city, cfg, lvl: 1.0)
    monkeypatch.setattr(reroute.drones, "reroute_corridors", route)
    monkeypatch.setattr(reroute, "corridor_cover", cover)

    class Radio:
        heights_m = [120.0]

    original = Original()
    # worse than the original 90 % until the third attempt
    out = reroute.reroute_corridors(None, Radio(), JointConfig(), original, 90.0)
    assert seen == [2.0, 8.0, 32.0] and out.attempts == 3 and out.weight == 32.0
    # not worse than 50 %, but a 500 m stretch over the 200 m limit once
    seen.clear()
    cfg = JointConfig(max_uncovered_m=200)
    out = reroute.reroute_corridors(None, Radio(), cfg, original, 50.0)
    assert seen == [2.0, 8.0] and out.over_max_uncovered == 0 and out.attempts == 2
