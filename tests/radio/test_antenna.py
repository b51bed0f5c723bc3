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


def array_gain(antenna, z, phi, table):
    """Oracle: the NumPy array formula of the tabulated sector gain (float32)."""
    idx = np.clip(np.rint(z / 0.05).astype(np.int32), 0, table.size - 1)
    phi = (phi + 180.0) % 360.0 - 180.0
    a_v = np.minimum(
        12 * ((z - (90.0 + antenna.mech_tilt_deg)) / antenna.v_beamwidth_deg) ** 2,
        antenna.side_lobe_db,
    )
    a_h = np.minimum(12 * (phi / antenna.h_beamwidth_deg) ** 2, antenna.max_attenuation_db)
    att = np.minimum(a_v + a_h, antenna.max_attenuation_db)
    g = antenna.element_gain_dbi - att + table[idx]
    return np.maximum(g, np.float32(antenna.peak_gain_dbi - antenna.max_attenuation_db))


def test_compiled_gain_is_the_array_formula_bit_for_bit():
    """The compiled per-cell gain equals the float32 array formula exactly, including
    table-step ties, azimuths wrapped from any turn and the exact ±180 deg edges."""
    rng = np.random.default_rng(3)
    z = rng.uniform(-5.0, 185.0, 200_000).astype(np.float32)
    z[:500] = (np.round(z[:500] / 0.05) * 0.05 + 0.025).astype(np.float32)
    phi = rng.uniform(-900.0, 900.0, z.size).astype(np.float32)
    phi[:700] = rng.choice(np.float32([-540, -360, -180, 0, 180, 360, 539.99994]), 700)
    tilted = SectorAntenna(mech_tilt_deg=4, h_beamwidth_deg=90, v_beamwidth_deg=10)
    for ant in (SectorAntenna(), tilted):
        table = af_table(ant)
        got = sector_gain_dbi(ant, z.reshape(400, 500), phi.reshape(400, 500), table)
        want = array_gain(ant, z, phi, table).reshape(400, 500)
        assert got.dtype == np.float32 and np.array_equal(got.view(np.int32), want.view(np.int32))
