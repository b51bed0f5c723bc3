"""Antenna gain: TR 38.901 Table 7.3-1 at boresight, 3 dB and the side-lobe floor; tilt."""

from __future__ import annotations

import math

import numpy as np
import pytest

from planner.radio.antenna import (
    SectorAntenna,
    af_table,
    array_factor_db,
    element_gain_dbi,
    sector_gain_dbi,
)


def test_element_boresight_3db_and_floor():
    # G = 8 dBi at boresight (zenith 90, phi 0)
    assert float(element_gain_dbi(90.0, 0.0)) == pytest.approx(8.0)
    # 12 (32.5 / 65)^2 = 3 dB at half the 65 deg beamwidth, both cuts
    assert float(element_gain_dbi(90.0, 32.5)) == pytest.approx(5.0)
    assert float(element_gain_dbi(122.5, 0.0)) == pytest.approx(5.0)
    # side-lobe limits: 30 dB below peak behind and far off vertically
    assert float(element_gain_dbi(90.0, 180.0)) == pytest.approx(8.0 - 30.0)
    # straight up: 12 (90 / 65)^2 = 23 dB (SLA_V = 30 dB is not reached with a 65 deg beam)
    assert float(element_gain_dbi(0.0, 0.0)) == pytest.approx(8.0 - 12 * (90 / 65) ** 2)
    assert float(element_gain_dbi(90.0, 0.0, theta_3db=10.0, tilt_deg=0.0) - 0) == 8.0
    assert float(element_gain_dbi(0.0, 0.0, theta_3db=10.0)) == pytest.approx(8.0 - 30.0)
    # combined floor: -min(-(A_V + A_H), A_max) never below -30 dB
    assert float(element_gain_dbi(170.0, 150.0)) == pytest.approx(-22.0)


def test_element_tilt_moves_boresight():
    # 10 deg mechanical downtilt: the peak is at zenith 100
    assert float(element_gain_dbi(100.0, 0.0, tilt_deg=10.0)) == pytest.approx(8.0)
    assert float(element_gain_dbi(90.0, 0.0, tilt_deg=10.0)) == pytest.approx(
        8 - 12 * (10 / 65) ** 2
    )


def test_array_factor_peak_and_steering():
    n = 8
    assert float(array_factor_db(96.0, n, 0.8, 96.0)) == pytest.approx(10 * math.log10(n))
    z = np.linspace(0, 180, 3601)
    af = array_factor_db(z, n, 0.8, 96.0)
    assert z[np.argmax(af)] == pytest.approx(96.0, abs=0.1)
    # half-power beamwidth about 0.886 / (n d) rad
    half = z[af >= af.max() - 3]
    width = half.max() - half.min()
    assert width == pytest.approx(
        math.degrees(0.886 / (n * 0.8 * math.sin(math.radians(96)))), rel=0.15
    )


def test_sector_peak_and_drone_in_side_lobe():
    ant = SectorAntenna(elec_tilt_deg=6.0)
    assert ant.peak_gain_dbi == pytest.approx(8 + 10 * math.log10(8))
    tab = af_table(ant)
    # steered column peak at zenith 96; the untilted element costs 12 (6/65)^2 dB there
    expected = ant.peak_gain_dbi - 12 * (6 / 65) ** 2
    assert float(sector_gain_dbi(ant, 96.0, 0.0, tab)) == pytest.approx(expected, abs=0.01)
    # a drone 500 m away at 120 m seen from a 25 m mast: zenith = 90 - atan(95 / 500)
    zen = 90 - math.degrees(math.atan(95 / 500))
    g_drone = float(sector_gain_dbi(ant, zen, 0.0, tab))
    assert g_drone < ant.peak_gain_dbi - 10  # outside the main lobe: side lobes
    # the ground UE at 300 m is near the main lobe
    g_ground = float(sector_gain_dbi(ant, 90 + math.degrees(math.atan(23.5 / 300)), 0.0, tab))
    assert g_ground > g_drone
    # never below the front-to-back floor
    g = sector_gain_dbi(ant, np.linspace(0, 180, 721), np.linspace(-180, 180, 721), tab)
    assert g.min() >= ant.peak_gain_dbi - 30 - 1e-4


def test_tabulated_gain_matches_exact():
    ant = SectorAntenna(elec_tilt_deg=4.0, mech_tilt_deg=2.0)
    z = np.arange(0, 180, 0.05)
    phi = np.linspace(-90, 90, z.size)
    exact = ant.gain(z, phi)
    fast = sector_gain_dbi(ant, z, phi)
    assert np.max(np.abs(exact - fast)) < 1e-3
