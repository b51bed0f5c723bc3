"""Drift: every column a map layer or a report table reads exists where its producer writes it."""

from __future__ import annotations

import pytest

from planner.render.layers import MAP_FIELDS, PRODUCER_COLUMNS
from planner.render.report import REPORT_FIELDS


@pytest.fixture(scope="module")
def results(helsinki):
    """The real pipeline on the Helsinki sample: fibre coverage, build plan, corridors."""
    from planner.drones import plan_corridors
    from planner.fiber import analyze_fiber
    from planner.plan import plan_fiber

    fiber = analyze_fiber(helsinki)
    return fiber, plan_fiber(helsinki, fiber), plan_corridors(helsinki)


def _produced(results) -> dict:
    """Per map layer / report table: (columns of the frame returned, producer's constant)."""
    from planner.drones import CORRIDOR_COLUMNS
    from planner.fiber import GAP_CLUSTER_COLUMNS, HEX_COLUMNS
    from planner.plan import CABINET_COLUMNS

    fiber, plan, drones = results
    finest = fiber.hexes[max(fiber.hexes)]
    corridor_records = drones.summary["corridors"]
    curve = plan.summary["cost_curve"]
    frames = {
        "premises": fiber.premises,
        "hexes": finest,
        "gap_clusters": fiber.gap_clusters,
        "assets": fiber.assets,
        "routes": plan.routes,
        "cabinets": plan.cabinets,
        "drops": plan.drops,
        "nofly": drones.nofly,
        "obstacles": drones.obstacles,
        "corridors": drones.corridors,
        "trunk": drones.trunk,
        "hubs": drones.hubs,
    }
    out = {
        f"map:{k}": (set(f.columns), set(PRODUCER_COLUMNS[k]), MAP_FIELDS[k])
        for k, f in frames.items()
    }
    # the report reads corridors from the drones summary's records and the cost curve from
    # the plan summary's; both must carry the columns of the frames they describe
    out["report:gap_clusters"] = (
        set(fiber.gap_clusters.columns),
        set(GAP_CLUSTER_COLUMNS),
        REPORT_FIELDS["gap_clusters"],
    )
    out["report:hexes"] = (set(finest.columns), set(HEX_COLUMNS), REPORT_FIELDS["hexes"])
    out["report:corridors"] = (
        set(corridor_records[0]) if corridor_records else set(),
        set(CORRIDOR_COLUMNS),
        REPORT_FIELDS["corridors"],
    )
    out["report:cost_curve"] = (
        set(curve[0]) if curve else set(),
        None,
        REPORT_FIELDS["cost_curve"],
    )
    assert CABINET_COLUMNS is PRODUCER_COLUMNS["cabinets"]
    return out


def test_every_column_read_is_produced_and_declared(results):
    fiber, plan, drones = results
    assert len(plan.drops) and len(plan.cabinets) and len(drones.corridors)  # non-trivial run
    problems = []
    for reader, (frame_cols, constant, read) in _produced(results).items():
        if not frame_cols:
            problems.append(f"{reader}: the producer returned no rows to check")
            continue
        lost = [c for c in read if c not in frame_cols]
        if lost:
            problems.append(f"{reader} reads {lost}, not in the frame the stage returns")
        if constant is not None:
            undeclared = [c for c in read if c not in constant]
            if undeclared:
                problems.append(f"{reader} reads {undeclared}, not in the producer's constant")
    assert not problems, "\n".join(problems)


def test_every_map_layer_declares_its_columns():
    assert set(MAP_FIELDS) == set(PRODUCER_COLUMNS)
    assert all(MAP_FIELDS[k] for k in MAP_FIELDS)
