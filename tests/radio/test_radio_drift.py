"""Drift: every column the radio map layers and report table read exists in RadioCoverage."""

from __future__ import annotations

import pytest

from planner.radio import CORRIDOR_COLUMNS, SECTOR_FRAME_COLUMNS, SITE_COLUMNS, analyze_radio
from planner.render.layers import MAP_FIELDS, PRODUCER_COLUMNS
from planner.render.radio import CIRCLE_SHARE, corridors_with_radio, site_table
from planner.render.report import REPORT_FIELDS


@pytest.fixture(scope="module")
def results(helsinki):
    from planner.drones import plan_corridors

    drones = plan_corridors(helsinki)
    return drones, analyze_radio(helsinki, corridors=drones.corridors)


def test_radio_layers_read_produced_columns(results):
    _, radio = results
    frames = {
        "radio_sites": (radio.sites, SITE_COLUMNS),
        "radio_sectors": (radio.sectors, SECTOR_FRAME_COLUMNS),
        "radio_corridors": (radio.corridors, CORRIDOR_COLUMNS),
    }
    for key, (frame, constant) in frames.items():
        assert len(frame), key
        assert PRODUCER_COLUMNS[key] is constant
        assert set(MAP_FIELDS[key]) <= set(frame.columns), key
        assert set(MAP_FIELDS[key]) <= set(constant), key
    assert set(REPORT_FIELDS["radio_corridors"]) <= set(radio.summary["corridors"][0])
    assert set(REPORT_FIELDS["radio_corridors"]) <= set(CORRIDOR_COLUMNS)
    assert len(site_table(radio)) == len(radio.sites)


def test_radio_share_replaces_the_circle_share_on_the_map(results):
    drones, radio = results
    corr, fields = corridors_with_radio(drones, radio)
    assert CIRCLE_SHARE in MAP_FIELDS["corridors"] and CIRCLE_SHARE not in fields
    assert "radio_coverage_share" in fields and set(fields) <= set(corr.columns)
    assert list(corr["radio_coverage_share"]) == list(radio.corridors["radio_coverage_share"])
    assert corridors_with_radio(drones, None) == (drones.corridors, MAP_FIELDS["corridors"])
