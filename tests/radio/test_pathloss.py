"""Table-driven checks: each formula against values computed by hand from the TR text."""

from __future__ import annotations

import math

import numpy as np
import pytest

from planner.radio import pathloss as pl

FC = 3.5  # GHz
LG = math.log10


def d3(d2, hb, hu):
    return math.sqrt(d2 * d2 + (hb - hu) ** 2)


# (function, args, hand value from the TR text written out literally)
CASES = [
    # TR 36.777 Table B-2, UMa-AV LOS: 28.0 + 22 log10(d3D) + 20 log10(fc), at d3D = 1 km
    ("uma_av_los", (1000.0, 60.0, FC), 28.0 + 22 * 3 + 20 * LG(3.5)),
    # UMa-AV NLOS: -17.5 + (46 - 7 log10(hUT)) log10(d3D) + 20 log10(40 pi fc / 3)
    (
        "uma_av_nlos",
        (1000.0, 60.0, FC),
        -17.5 + (46 - 7 * LG(60)) * 3 + 20 * LG(40 * math.pi * 3.5 / 3),
    ),
    # above 100 m the TR gives no UMa-AV NLOS formula: planner holds hUT at 100 m
    (
        "uma_av_nlos",
        (1000.0, 150.0, FC),
        -17.5 + (46 - 7 * LG(100)) * 3 + 20 * LG(40 * math.pi * 3.5 / 3),
    ),
    # UMi-AV LOS: max(PL_FS, 30.9 + (22.25 - 0.5 log10 h) log10 d + 20 log10 fc)
    (
        "umi_av_los",
        (500.0, 90.0, FC),
        max(
            20 * LG(500) + 20 * LG(3.5) + 32.45,
            30.9 + (22.25 - 0.5 * LG(90)) * LG(500) + 20 * LG(3.5),
        ),
    ),
    # UMi-AV NLOS: 32.4 + (43.2 - 7.6 log10 h) log10 d + 20 log10 fc (above the LOS value here)
    ("umi_av_nlos", (500.0, 90.0, FC), 32.4 + (43.2 - 7.6 * LG(90)) * LG(500) + 20 * LG(3.5)),
    # RMa-AV LOS: max(23.9 - 1.8 log10 h, 20) log10 d + 20 log10(40 pi fc / 3)
    (
        "rma_av_los",
        (2000.0, 120.0, FC),
        max(23.9 - 1.8 * LG(120), 20) * LG(2000) + 20 * LG(40 * math.pi * 3.5 / 3),
    ),
    # RMa-AV NLOS: -12 + (35 - 5.3 log10 h) log10 d + 20 log10(40 pi fc / 3)
    (
        "rma_av_nlos",
        (2000.0, 60.0, FC),
        -12 + (35 - 5.3 * LG(60)) * LG(2000) + 20 * LG(40 * math.pi * 3.5 / 3),
    ),
    # TR 38.901 UMa LOS below the breakpoint d'BP = 4 (25-1)(1.5-1) fc / c = 560 m: PL1
    (
        "uma_los",
        (300.0, d3(300, 25, 1.5), 25.0, 1.5, FC),
        28.0 + 22 * LG(d3(300, 25, 1.5)) + 20 * LG(3.5),
    ),
    # beyond it: PL2 = 28 + 40 log10 d3D + 20 log10 fc - 9 log10(d'BP^2 + (hBS - hUT)^2)
    (
        "uma_los",
        (1000.0, d3(1000, 25, 1.5), 25.0, 1.5, FC),
        28.0 + 40 * LG(d3(1000, 25, 1.5)) + 20 * LG(3.5) - 9 * LG(560.0**2 + 23.5**2),
    ),
    # UMa NLOS: 13.54 + 39.08 log10 d3D + 20 log10 fc - 0.6 (hUT - 1.5)
    (
        "uma_nlos",
        (1000.0, d3(1000, 25, 1.5), 25.0, 1.5, FC),
        13.54 + 39.08 * LG(d3(1000, 25, 1.5)) + 20 * LG(3.5),
    ),
    # UMi LOS PL1 = 32.4 + 21 log10 d3D + 20 log10 fc (d'BP = 4 * 9 * 0.5 * 3.5e9 / 3e8 = 210 m)
    (
        "umi_los",
        (100.0, d3(100, 10, 1.5), 10.0, 1.5, FC),
        32.4 + 21 * LG(d3(100, 10, 1.5)) + 20 * LG(3.5),
    ),
    # UMi NLOS: 35.3 log10 d3D + 22.4 + 21.3 log10 fc
    (
        "umi_nlos",
        (400.0, d3(400, 10, 1.5), 10.0, 1.5, FC),
        35.3 * LG(d3(400, 10, 1.5)) + 22.4 + 21.3 * LG(3.5),
    ),
    # RMa LOS PL1 (h = 5 m): 20 log10(40 pi d fc / 3) + min(0.03 h^1.72, 10) log10 d
    #                        - min(0.044 h^1.72, 14.77) + 0.002 log10(h) d
    (
        "rma_los",
        (1000.0, d3(1000, 35, 1.5), 35.0, 1.5, FC),
        20 * LG(40 * math.pi * d3(1000, 35, 1.5) * 3.5 / 3)
        + min(0.03 * 5**1.72, 10) * LG(d3(1000, 35, 1.5))
        - min(0.044 * 5**1.72, 14.77)
        + 0.002 * LG(5) * d3(1000, 35, 1.5),
    ),
    # RMa NLOS (h = 5, W = 20, hBS = 35, hUT = 1.5)
    (
        "rma_nlos",
        (3000.0, d3(3000, 35, 1.5), 35.0, 1.5, FC),
        161.04
        - 7.1 * LG(20)
        + 7.5 * LG(5)
        - (24.37 - 3.7 * (5 / 35) ** 2) * LG(35)
        + (43.42 - 3.1 * LG(35)) * (LG(d3(3000, 35, 1.5)) - 3)
        + 20 * LG(3.5)
        - (3.2 * LG(11.75 * 1.5) ** 2 - 4.97),
    ),
]


@pytest.mark.parametrize(("name", "args", "expected"), CASES, ids=[c[0] for c in CASES])
def test_formula_matches_hand_value(name, args, expected):
    assert float(getattr(pl, name)(*args)) == pytest.approx(expected, abs=1e-9)


def test_uma_av_los_1km_literal():
    # 28 + 66 + 10.881 = 104.88 dB at 1 km, 3.5 GHz
    assert float(pl.uma_av_los(1000.0, 60.0, 3.5)) == pytest.approx(104.881, abs=1e-3)


def test_rma_los_beyond_breakpoint():
    # dBP = 2 pi hBS hUT fc / c = 2 pi 35 1.5 3.5e9 / 3e8 = 3848 m;
    # beyond it: PL1(dBP) + 40 log10(d3D / dBP)
    dbp = 2 * math.pi * 35 * 1.5 * 3.5e9 / 3e8
    d = 6000.0
    dd = d3(d, 35, 1.5)

    def pl1(x):
        return (
            20 * LG(40 * math.pi * x * 3.5 / 3)
            + min(0.03 * 5**1.72, 10) * LG(x)
            - min(0.044 * 5**1.72, 14.77)
            + 0.002 * LG(5) * x
        )

    assert float(pl.rma_los(d, dd, 35.0, 1.5, 3.5)) == pytest.approx(pl1(dbp) + 40 * LG(dd / dbp))


PLOS = [
    # TR 38.901 Table 7.4.2-1 edges
    ("plos_uma", (18.0, 1.5), 1.0),
    ("plos_uma", (100.0, 1.5), 18 / 100 + math.exp(-100 / 63) * (1 - 18 / 100)),
    ("plos_umi", (18.0,), 1.0),
    ("plos_umi", (200.0,), 18 / 200 + math.exp(-200 / 36) * (1 - 18 / 200)),
    ("plos_rma", (10.0,), 1.0),
    ("plos_rma", (1010.0,), math.exp(-1.0)),
    # UMa with C'(hUT) at hUT = 18 m: C' = ((18 - 13) / 10)^1.5
    (
        "plos_uma",
        (100.0, 18.0),
        (18 / 100 + math.exp(-100 / 63) * (1 - 18 / 100))
        * (1 + 0.5**1.5 * 1.25 * 1 * math.exp(-100 / 150)),
    ),
    # TR 36.777 Table B-1, UMa-AV at 60 m:
    # d1 = max(460 log10 60 - 700, 18), p1 = 4300 log10 60 - 3800
    ("plos_uma_av", (460 * LG(60) - 700, 60.0), 1.0),
    (
        "plos_uma_av",
        (1000.0, 60.0),
        (460 * LG(60) - 700) / 1000
        + math.exp(-1000 / (4300 * LG(60) - 3800)) * (1 - (460 * LG(60) - 700) / 1000),
    ),
    ("plos_uma_av", (3000.0, 100.1), 1.0),  # 100 m < hUT <= 300 m: LoS
    # UMi-AV at 90 m
    (
        "plos_umi_av",
        (800.0, 90.0),
        (294.05 * LG(90) - 432.94) / 800
        + math.exp(-800 / (233.98 * LG(90) - 0.95)) * (1 - (294.05 * LG(90) - 432.94) / 800),
    ),
    # RMa-AV at 20 m: d1 = max(1350.8 log10 20 - 1602, 18) = 155.5,
    # p1 = max(15021 log10 20 - 16053, 1000)
    (
        "plos_rma_av",
        (2000.0, 20.0),
        (1350.8 * LG(20) - 1602) / 2000
        + math.exp(-2000 / max(15021 * LG(20) - 16053, 1000))
        * (1 - (1350.8 * LG(20) - 1602) / 2000),
    ),
    ("plos_rma_av", (5000.0, 40.1), 1.0),  # 40 m < hUT <= 300 m: LoS
]


@pytest.mark.parametrize(("name", "args", "expected"), PLOS, ids=[p[0] for p in PLOS])
def test_los_probability_edges(name, args, expected):
    assert float(getattr(pl, name)(*args)) == pytest.approx(expected, abs=1e-12)


def test_dispatch_heights_and_floor():
    d = np.array([50.0, 500.0, 3000.0])
    for scn in pl.SCENARIOS:
        for h in (1.5, 60.0, 120.0, 250.0):
            los, nlos = pl.pathloss(scn, d, 30.0, h, 3.5)
            assert np.all(nlos >= los - 1e-12)
            assert np.all(np.diff(los) > 0)
            p = pl.los_probability(scn, d, h)
            assert np.all((p >= 0) & (p <= 1))
    assert pl.is_aerial("UMa", 22.6) and not pl.is_aerial("UMa", 22.5)
    assert pl.is_aerial("RMa", 10.1) and not pl.is_aerial("RMa", 10.0)


def test_shadow_sigma_values():
    assert pl.shadow_sigma("UMa", 60.0, True) == pytest.approx(4.64 * math.exp(-0.0066 * 60))
    assert pl.shadow_sigma("UMi", 300.0, True) == pytest.approx(2.0)
    assert pl.shadow_sigma("RMa", 100.0, True) == pytest.approx(4.2 * math.exp(-0.0046 * 100))
    assert pl.shadow_sigma("UMa", 1.5, False) == 6.0
    assert pl.shadow_sigma("UMi", 1.5, False) == 7.82
    # TR 38.901 RMa LOS: 4 dB for PL1 (d2D <= d_BP), 6 dB for PL2; NLOS 8 dB
    assert pl.shadow_sigma("RMa", 1.5, True) == 4.0
    assert pl.shadow_sigma("RMa", 1.5, True, beyond_breakpoint=True) == 6.0
    assert pl.shadow_sigma("RMa", 1.5, False, beyond_breakpoint=True) == 8.0
    assert pl.shadow_sigma("UMa", 1.5, True, beyond_breakpoint=True) == 4.0
