"""3GPP path loss and LoS probability: TR 38.901 (ground UEs) and TR 36.777 Annex B (aerial UEs)."""

# All functions are vectorised over distances (NumPy broadcasting). Units: distances and heights
# in metres, carrier frequency ``fc`` in GHz, path loss in dB.
#
# Height ranges followed (and why) are documented in ``docs/radio.md``:
#
# * ground UE (1.5 m ≤ hUT ≤ 22.5 m; RMa ≤ 10 m): TR 38.901 Table 7.4.1-1 / 7.4.2-1;
# * aerial UE in UMa / UMi above 22.5 m and in RMa above 10 m: TR 36.777 Tables B-1 / B-2, up to
#   300 m. The UMa-AV NLOS formula is defined by the TR for hUT ≤ 100 m only (its LoS probability
#   is 1 above 100 m); where deterministic blocking still finds an obstruction above 100 m, the
#   formula is evaluated at hUT = 100 m (some implementations extrapolate it to 300 m instead).
# * every NLOS loss is floored by the LOS loss of the same geometry, as the TR does explicitly for
#   UMi-AV, RMa-AV and all TR 38.901 scenarios, so an obstruction never lowers the loss.
# * d2D below 10 m is raised to 10 m (the TRs' lower validity bound); beyond the upper bound
#   (5 km UMa/UMi, 10 km RMa, 4 km UMa-AV/UMi-AV) the formulas are extrapolated.

from __future__ import annotations

import numpy as np

__all__ = [
    "SCENARIOS",
    "C",
    "is_aerial",
    "uma_los",
    "uma_nlos",
    "umi_los",
    "umi_nlos",
    "rma_los",
    "rma_nlos",
    "uma_av_los",
    "uma_av_nlos",
    "umi_av_los",
    "umi_av_nlos",
    "rma_av_los",
    "rma_av_nlos",
    "plos_uma",
    "plos_umi",
    "plos_rma",
    "plos_uma_av",
    "plos_umi_av",
    "plos_rma_av",
    "free_space",
    "pathloss",
    "los_probability",
    "shadow_sigma",
]

#: The scenarios modelled.
SCENARIOS = ("UMa", "UMi", "RMa")
#: Speed of light (m/s), as used for the TR 38.901 breakpoint distance.
C = 3.0e8
_LOG = np.log10


def is_aerial(scenario: str, h_ut: float) -> bool:
    """Return whether ``h_ut`` uses the TR 36.777 aerial model of ``scenario``.

    Parameters
    ----------
    scenario : str
        ``UMa``, ``UMi`` or ``RMa``.
    h_ut : float
        UE height above ground (m).

    Returns
    -------
    bool
        True above 22.5 m in UMa/UMi and above 10 m in RMa (TR 36.777 Tables B-1/B-2).

    """
    return h_ut > (10.0 if scenario == "RMa" else 22.5)


def free_space(d3d, fc):
    """Free-space loss ``20 log10(d3D) + 20 log10(fc) + 32.45`` (TR 36.777 PL_FS)."""
    return 20 * _LOG(d3d) + 20 * _LOG(fc) + 32.45


# ----------------------------------------------------------------- TR 38.901 Table 7.4.1-1


def uma_los(d2d, d3d, h_bs, h_ut, fc):
    """UMa LOS path loss, TR 38.901 Table 7.4.1-1 (effective environment height 1 m).

    Parameters
    ----------
    d2d, d3d : array_like
        Ground and direct distance (m).
    h_bs, h_ut : float or array_like
        Antenna heights (m).
    fc : float
        Carrier frequency (GHz).

    Returns
    -------
    ndarray
        Path loss (dB).

    """
    d_bp = 4 * (h_bs - 1.0) * (h_ut - 1.0) * fc * 1e9 / C
    pl1 = 28.0 + 22 * _LOG(d3d) + 20 * _LOG(fc)
    pl2 = 28.0 + 40 * _LOG(d3d) + 20 * _LOG(fc) - 9 * _LOG(d_bp**2 + (h_bs - h_ut) ** 2)
    return np.where(d2d <= d_bp, pl1, pl2)


def uma_nlos(d2d, d3d, h_bs, h_ut, fc):
    """UMa NLOS path loss ``max(PL_LOS, PL'_NLOS)``, TR 38.901 Table 7.4.1-1."""
    pl = 13.54 + 39.08 * _LOG(d3d) + 20 * _LOG(fc) - 0.6 * (h_ut - 1.5)
    return np.maximum(uma_los(d2d, d3d, h_bs, h_ut, fc), pl)


def umi_los(d2d, d3d, h_bs, h_ut, fc):
    """UMi-Street Canyon LOS path loss, TR 38.901 Table 7.4.1-1 (see :func:`uma_los`)."""
    d_bp = 4 * (h_bs - 1.0) * (h_ut - 1.0) * fc * 1e9 / C
    pl1 = 32.4 + 21 * _LOG(d3d) + 20 * _LOG(fc)
    pl2 = 32.4 + 40 * _LOG(d3d) + 20 * _LOG(fc) - 9.5 * _LOG(d_bp**2 + (h_bs - h_ut) ** 2)
    return np.where(d2d <= d_bp, pl1, pl2)


def umi_nlos(d2d, d3d, h_bs, h_ut, fc):
    """UMi-Street Canyon NLOS path loss ``max(PL_LOS, PL'_NLOS)``, TR 38.901 Table 7.4.1-1."""
    pl = 35.3 * _LOG(d3d) + 22.4 + 21.3 * _LOG(fc) - 0.3 * (h_ut - 1.5)
    return np.maximum(umi_los(d2d, d3d, h_bs, h_ut, fc), pl)


def _rma_pl1(d3d, h, fc):
    return (
        20 * _LOG(40 * np.pi * d3d * fc / 3)
        + min(0.03 * h**1.72, 10.0) * _LOG(d3d)
        - min(0.044 * h**1.72, 14.77)
        + 0.002 * _LOG(h) * d3d
    )


def rma_los(d2d, d3d, h_bs, h_ut, fc, h=5.0):
    """RMa LOS path loss, TR 38.901 Table 7.4.1-1 (``h`` = average building height, m)."""
    d_bp = 2 * np.pi * h_bs * h_ut * fc * 1e9 / C
    pl1 = _rma_pl1(d3d, h, fc)
    pl2 = _rma_pl1(d_bp, h, fc) + 40 * _LOG(d3d / d_bp)
    return np.where(d2d <= d_bp, pl1, pl2)


def rma_nlos(d2d, d3d, h_bs, h_ut, fc, h=5.0, w=20.0):
    """RMa NLOS path loss ``max(PL_LOS, PL'_NLOS)``, TR 38.901 (``w`` = street width, m)."""
    pl = (
        161.04
        - 7.1 * _LOG(w)
        + 7.5 * _LOG(h)
        - (24.37 - 3.7 * (h / h_bs) ** 2) * _LOG(h_bs)
        + (43.42 - 3.1 * _LOG(h_bs)) * (_LOG(d3d) - 3)
        + 20 * _LOG(fc)
        - (3.2 * _LOG(11.75 * h_ut) ** 2 - 4.97)
    )
    return np.maximum(rma_los(d2d, d3d, h_bs, h_ut, fc, h), pl)


# ----------------------------------------------------------------- TR 36.777 Table B-2


def uma_av_los(d3d, h_ut, fc):
    """UMa-AV LOS path loss (22.5 m < hUT ≤ 300 m), TR 36.777 Table B-2 (no hUT term)."""
    return 28.0 + 22 * _LOG(d3d) + 20 * _LOG(fc)


def uma_av_nlos(d3d, h_ut, fc):
    """UMa-AV NLOS path loss, TR 36.777 Table B-2, floored by the LOS loss.

    The TR defines it for 10 m < hUT ≤ 100 m; above 100 m hUT is held at 100 m.
    """
    h = np.minimum(h_ut, 100.0)
    pl = -17.5 + (46 - 7 * _LOG(h)) * _LOG(d3d) + 20 * _LOG(40 * np.pi * fc / 3)
    return np.maximum(uma_av_los(d3d, h_ut, fc), pl)


def umi_av_los(d3d, h_ut, fc):
    """UMi-AV LOS path loss ``max(PL_FS, 30.9 + ...)`` (22.5-300 m), TR 36.777 Table B-2."""
    pl = 30.9 + (22.25 - 0.5 * _LOG(h_ut)) * _LOG(d3d) + 20 * _LOG(fc)
    return np.maximum(free_space(d3d, fc), pl)


def umi_av_nlos(d3d, h_ut, fc):
    """UMi-AV NLOS path loss ``max(PL_LOS, 32.4 + ...)`` (22.5-300 m), TR 36.777 Table B-2."""
    pl = 32.4 + (43.2 - 7.6 * _LOG(h_ut)) * _LOG(d3d) + 20 * _LOG(fc)
    return np.maximum(umi_av_los(d3d, h_ut, fc), pl)


def rma_av_los(d3d, h_ut, fc):
    """RMa-AV LOS path loss (10-300 m), TR 36.777 Table B-2."""
    slope = np.maximum(23.9 - 1.8 * _LOG(h_ut), 20.0)
    return slope * _LOG(d3d) + 20 * _LOG(40 * np.pi * fc / 3)


def rma_av_nlos(d3d, h_ut, fc):
    """RMa-AV NLOS path loss ``max(PL_LOS, -12 + ...)`` (10-300 m), TR 36.777 Table B-2."""
    pl = -12 + (35 - 5.3 * _LOG(h_ut)) * _LOG(d3d) + 20 * _LOG(40 * np.pi * fc / 3)
    return np.maximum(rma_av_los(d3d, h_ut, fc), pl)


# ----------------------------------------------------------------- LoS probability


def _arr(d2d) -> np.ndarray:
    """Float array of ``d2d``: float32 arrays stay float32 (speed), the rest is float64."""
    d = np.asarray(d2d)
    return d if d.dtype == np.float32 else d.astype(np.float64)


def _plos_form(d2d, d1, p1):
    d2d = _arr(d2d)
    safe = np.maximum(d2d, 1e-9)
    p = d1 / safe + np.exp(-d2d / p1) * (1 - d1 / safe)
    return np.where(d2d <= d1, 1.0, p)


def plos_rma(d2d):
    """RMa LoS probability, TR 38.901 Table 7.4.2-1: 1 to 10 m, then exp(-(d2D-10)/1000)."""
    d2d = _arr(d2d)
    return np.where(d2d <= 10, 1.0, np.exp(-(d2d - 10) / 1000))


def plos_umi(d2d):
    """UMi-Street Canyon LoS probability, TR 38.901 Table 7.4.2-1."""
    return _plos_form(d2d, 18.0, 36.0)


def plos_uma(d2d, h_ut=1.5):
    """UMa LoS probability with the C'(hUT) term for 13 m < hUT ≤ 23 m, TR 38.901 Table 7.4.2-1."""
    d2d = _arr(d2d)
    c = 0.0 if h_ut <= 13 else ((min(h_ut, 23.0) - 13) / 10) ** 1.5
    base = _plos_form(d2d, 18.0, 63.0)
    corr = 1 + c * 5 / 4 * (d2d / 100) ** 3 * np.exp(-d2d / 150)
    return np.where(d2d <= 18, 1.0, base * corr)


def plos_uma_av(d2d, h_ut):
    """UMa-AV LoS probability, TR 36.777 Table B-1: formula to 100 m, 1 above."""
    if h_ut > 100:
        return np.ones_like(_arr(d2d))
    p1 = 4300 * np.log10(h_ut) - 3800
    d1 = max(460 * np.log10(h_ut) - 700, 18.0)
    return _plos_form(d2d, d1, p1)


def plos_umi_av(d2d, h_ut):
    """UMi-AV LoS probability (22.5-300 m), TR 36.777 Table B-1."""
    p1 = 233.98 * np.log10(h_ut) - 0.95
    d1 = max(294.05 * np.log10(h_ut) - 432.94, 18.0)
    return _plos_form(d2d, d1, p1)


def plos_rma_av(d2d, h_ut):
    """RMa-AV LoS probability, TR 36.777 Table B-1: formula for 10-40 m, 1 above 40 m."""
    if h_ut > 40:
        return np.ones_like(_arr(d2d))
    p1 = max(15021 * np.log10(h_ut) - 16053, 1000.0)
    d1 = max(1350.8 * np.log10(h_ut) - 1602, 18.0)
    return _plos_form(d2d, d1, p1)


def los_probability(scenario: str, d2d, h_ut: float) -> np.ndarray:
    """LoS probability of ``scenario`` at ground distance ``d2d`` for UE height ``h_ut``.

    Parameters
    ----------
    scenario : str
        ``UMa``, ``UMi`` or ``RMa``.
    d2d : array_like
        Ground distance (m).
    h_ut : float
        UE height (m); TR 36.777 aerial formulas above 22.5 m (RMa: 10 m).

    Returns
    -------
    ndarray
        Probability in [0, 1].

    """
    aerial = is_aerial(scenario, h_ut)
    if scenario == "UMa":
        return plos_uma_av(d2d, h_ut) if aerial else plos_uma(d2d, h_ut)
    if scenario == "UMi":
        return plos_umi_av(d2d, h_ut) if aerial else plos_umi(d2d)
    if scenario == "RMa":
        return plos_rma_av(d2d, h_ut) if aerial else plos_rma(d2d)
    raise ValueError(f"unknown scenario {scenario!r}")


def pathloss(
    scenario: str,
    d2d,
    h_bs,
    h_ut: float,
    fc: float,
    rma_h: float = 5.0,
    rma_w: float = 20.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(PL_LOS, PL_NLOS)`` (dB) of ``scenario`` for the given geometry.

    Parameters
    ----------
    scenario : str
        ``UMa``, ``UMi`` or ``RMa``.
    d2d : array_like
        Ground distance (m); raised to 10 m where smaller.
    h_bs : float or array_like
        Antenna height (m).
    h_ut : float
        UE height (m).
    fc : float
        Carrier frequency (GHz).
    rma_h, rma_w : float
        RMa average building height and street width (m).

    Returns
    -------
    tuple of ndarray
        LOS and NLOS path loss; NLOS ≥ LOS everywhere.

    """
    d2d = np.maximum(_arr(d2d), 10.0)
    d3d = np.sqrt(d2d**2 + (float(h_bs) - float(h_ut)) ** 2)
    aerial = is_aerial(scenario, h_ut)
    if scenario == "UMa":
        if aerial:
            return uma_av_los(d3d, h_ut, fc), uma_av_nlos(d3d, h_ut, fc)
        return uma_los(d2d, d3d, h_bs, h_ut, fc), uma_nlos(d2d, d3d, h_bs, h_ut, fc)
    if scenario == "UMi":
        if aerial:
            return umi_av_los(d3d, h_ut, fc), umi_av_nlos(d3d, h_ut, fc)
        return umi_los(d2d, d3d, h_bs, h_ut, fc), umi_nlos(d2d, d3d, h_bs, h_ut, fc)
    if scenario == "RMa":
        if aerial:
            return rma_av_los(d3d, h_ut, fc), rma_av_nlos(d3d, h_ut, fc)
        return (
            rma_los(d2d, d3d, h_bs, h_ut, fc, rma_h),
            rma_nlos(d2d, d3d, h_bs, h_ut, fc, rma_h, rma_w),
        )
    raise ValueError(f"unknown scenario {scenario!r}")


def shadow_sigma(scenario: str, h_ut: float, los: bool, beyond_breakpoint: bool = False) -> float:
    """Shadow-fading standard deviation (dB), TR 38.901 Table 7.4.1-1 / TR 36.777 Table B-2.

    Parameters
    ----------
    scenario : str
        ``UMa``, ``UMi`` or ``RMa``.
    h_ut : float
        UE height (m).
    los : bool
        Line of sight.
    beyond_breakpoint : bool
        RMa ground LOS beyond the breakpoint distance d_BP (PL2): 6 dB instead of 4 dB.

    Returns
    -------
    float

    """
    if is_aerial(scenario, h_ut):
        if scenario == "UMa":
            return float(4.64 * np.exp(-0.0066 * h_ut)) if los else 6.0
        if scenario == "UMi":
            return float(max(5 * np.exp(-0.01 * h_ut), 2.0)) if los else 8.0
        return float(4.2 * np.exp(-0.0046 * h_ut)) if los else 6.0
    if scenario == "RMa" and los and beyond_breakpoint:
        return 6.0
    table = {"UMa": (4.0, 6.0), "UMi": (4.0, 7.82), "RMa": (4.0, 8.0)}
    return table[scenario][0 if los else 1]
