"""The coverage-aware routing hook of plan_corridors: routing only, reported risk unchanged."""

from __future__ import annotations

import numpy as np

from planner.drones import plan_corridors


def test_zero_penalty_changes_nothing(planned_city):
    city, _, _, dc, corr = planned_city
    zero = np.zeros(corr.igrc.shape, np.float32)
    again = plan_corridors(city, dc, air_penalty=zero)
    assert again.corridors.geometry.equals(corr.corridors.geometry)
    assert again.summary["corridors"] == corr.summary["corridors"]


def test_penalty_moves_routes_not_ground_risk(planned_city):
    city, _, _, dc, corr = planned_city
    pen = np.zeros(corr.igrc.shape, np.float32)
    pen[:, : pen.shape[1] // 2] = 50.0  # west half "uncovered"
    moved = plan_corridors(city, dc, air_penalty=pen)
    assert np.array_equal(moved.igrc, corr.igrc)
    assert np.array_equal(moved.density, corr.density)
    assert moved.summary["restricted_intersections"] == 0
