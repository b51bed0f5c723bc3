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


def _same_result(a, b):
    """Two CorridorResults agree on every layer and the summary."""
    from geopandas.testing import assert_geodataframe_equal

    for layer in ("corridors", "baseline", "hubs", "trunk", "corridor_area", "nofly"):
        assert_geodataframe_equal(getattr(a, layer), getattr(b, layer))
    assert a.summary == b.summary


def test_reroute_entry_point_equals_a_full_plan(planned_city):
    """Oracle: a full plan_corridors with the same penalty and budget weights."""
    from planner.drones import reroute_corridors
    from planner.joint.reroute import reroute_config

    city, _, _, dc, corr = planned_city
    pen = np.zeros(corr.igrc.shape, np.float32)
    pen[: pen.shape[0] // 2] = 50.0  # north half "uncovered"
    weights = reroute_config(dc, corr.corridors).budget_weights
    full = plan_corridors(city, dc.model_copy(update={"budget_weights": weights}), pen)
    again = reroute_corridors(city, corr, pen, budget_weights=weights)
    _same_result(again, full)
    assert not again.corridors.geometry.equals(corr.corridors.geometry)  # it did move
    # the first run's airspace, risk model and hubs are reused, not rebuilt
    assert again.inputs.space is corr.inputs.space and again.inputs.hubs is corr.inputs.hubs
    assert corr.inputs.config.budget_weights == dc.budget_weights  # the original untouched


def test_reroute_without_penalty_is_the_first_run(planned_city):
    from planner.drones import reroute_corridors

    city, _, _, _, corr = planned_city
    _same_result(reroute_corridors(city, corr, None), corr)


def test_reroute_needs_the_first_runs_inputs(planned_city):
    from dataclasses import replace

    import pytest

    from planner.drones import reroute_corridors
    from planner.errors import AnalysisError

    city, _, _, _, corr = planned_city
    with pytest.raises(AnalysisError, match="no inputs"):
        reroute_corridors(city, replace(corr, inputs=None), None)
