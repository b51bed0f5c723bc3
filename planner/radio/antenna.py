"""Sector antenna gain: the TR 38.901 Table 7.3-1 element and a tilted vertical column of them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

__all__ = [
    "element_attenuation_db",
    "element_gain_dbi",
    "array_factor_db",
    "SectorAntenna",
    "sector_gain_dbi",
    "af_table",
]

_TABLE_STEP_DEG = 0.05


def element_attenuation_db(
    zenith_deg,
    phi_deg,
    tilt_deg: float = 0.0,
    theta_3db: float = 65.0,
    phi_3db: float = 65.0,
    sla_v: float = 30.0,
    a_max: float = 30.0,
):
    """Element attenuation ``A(θ'', φ'')`` (dB, ≤ 0) of TR 38.901 Table 7.3-1.

    Parameters
    ----------
    zenith_deg : array_like
        Zenith angle of the UE seen from the antenna (90 = horizon, 180 = straight down).
    phi_deg : array_like
        Azimuth off boresight (deg, any range; wrapped to [-180, 180]).
    tilt_deg : float
        Mechanical downtilt (deg): the boresight sits at zenith 90 + tilt.
    theta_3db, phi_3db : float
        Vertical and horizontal 3 dB beamwidths (deg).
    sla_v, a_max : float
        Vertical side-lobe limit and maximum attenuation (dB).

    Returns
    -------
    ndarray

    """
    phi = (np.asarray(phi_deg, dtype=float) + 180.0) % 360.0 - 180.0
    a_v = -np.minimum(12 * ((np.asarray(zenith_deg) - 90.0 - tilt_deg) / theta_3db) ** 2, sla_v)
    a_h = -np.minimum(12 * (phi / phi_3db) ** 2, a_max)
    return -np.minimum(-(a_v + a_h), a_max)


def element_gain_dbi(zenith_deg, phi_deg, g_max: float = 8.0, **kw):
    """Element gain ``G_E,max + A(θ'', φ'')`` (dBi), TR 38.901 Table 7.3-1.

    Keyword arguments go to :func:`element_attenuation_db`.
    """
    return g_max + element_attenuation_db(zenith_deg, phi_deg, **kw)


def array_factor_db(zenith_deg, n: int, spacing_wl: float, steer_zenith_deg: float):
    """Power array factor (dB) of ``n`` vertical elements steered to ``steer_zenith_deg``.

    ``10 log10(|Σ_m exp(j 2π m d (cos θ - cos θ_s))|² / n)``: ``10 log10(n)`` at the steering
    angle (TR 38.901 7.3 panel column with the electrical-tilt weights of its eq. 7.3-4 style).

    Parameters
    ----------
    zenith_deg : array_like
        Zenith angle (deg).
    n : int
        Number of elements (1 = 0 dB everywhere).
    spacing_wl : float
        Element spacing in wavelengths.
    steer_zenith_deg : float
        Steering zenith (90 + electrical tilt).

    Returns
    -------
    ndarray

    """
    z = np.asarray(zenith_deg, dtype=float)
    if n <= 1:
        return np.zeros_like(z)
    psi = 2 * np.pi * spacing_wl * (np.cos(np.radians(z)) - np.cos(np.radians(steer_zenith_deg)))
    m = np.arange(n)
    field = np.exp(1j * np.multiply.outer(psi, m)).sum(axis=-1)
    return 10 * np.log10(np.maximum(np.abs(field) ** 2 / n, 1e-12))


@dataclass(frozen=True)
class SectorAntenna:
    """One sector's antenna: element pattern, vertical column and tilts (all in degrees)."""

    mech_tilt_deg: float = 0.0
    elec_tilt_deg: float = 6.0
    h_beamwidth_deg: float = 65.0
    v_beamwidth_deg: float = 65.0
    side_lobe_db: float = 30.0
    max_attenuation_db: float = 30.0
    element_gain_dbi: float = 8.0
    vertical_elements: int = 8
    element_spacing_wl: float = 0.8

    @property
    def peak_gain_dbi(self) -> float:
        """Boresight gain: element gain plus ``10 log10(n)`` of the column."""
        return self.element_gain_dbi + 10 * np.log10(self.vertical_elements)

    def vertical_table(self) -> np.ndarray:
        """Gain (dBi, at φ = 0) tabulated over zenith 0-180 deg in 0.05 deg steps."""
        z = np.arange(0.0, 180.0 + _TABLE_STEP_DEG / 2, _TABLE_STEP_DEG)
        return self.gain(z, np.zeros_like(z))

    def gain(self, zenith_deg, phi_deg):
        """Gain (dBi) towards ``zenith_deg`` / ``phi_deg`` off boresight (exact, not tabulated).

        Element pattern (mechanically tilted) plus the column's array factor (electrically
        steered), floored at ``max_attenuation_db`` below the peak, as TR 38.901 floors the
        element at A_max.
        """
        z = np.asarray(zenith_deg, dtype=float)
        att = element_attenuation_db(
            z,
            phi_deg,
            self.mech_tilt_deg,
            self.v_beamwidth_deg,
            self.h_beamwidth_deg,
            self.side_lobe_db,
            self.max_attenuation_db,
        )
        af = array_factor_db(
            z - self.mech_tilt_deg,
            self.vertical_elements,
            self.element_spacing_wl,
            90.0 + self.elec_tilt_deg,
        )
        g = self.element_gain_dbi + att + af
        return np.maximum(g, self.peak_gain_dbi - self.max_attenuation_db)


def sector_gain_dbi(
    antenna: SectorAntenna, zenith_deg, phi_deg, table: np.ndarray | None = None
) -> np.ndarray:
    """Vectorised sector gain (dBi) using a tabulated vertical cut.

    The element attenuation is evaluated exactly; the array factor comes from ``table`` (the
    :meth:`SectorAntenna.vertical_table` minus the element's vertical cut), so each call costs
    a handful of array operations.

    Parameters
    ----------
    antenna : SectorAntenna
        The sector's antenna.
    zenith_deg, phi_deg : array_like
        Zenith angle (deg) and azimuth off boresight (deg).
    table : ndarray, optional
        ``array_factor_db`` tabulated over zenith 0-180 deg (0.05 deg); computed if None.

    Returns
    -------
    ndarray (float32)

    """
    if table is None:
        table = af_table(antenna)
    z = np.asarray(zenith_deg, dtype=np.float32)
    phi = np.asarray(phi_deg, dtype=np.float32)
    z, phi = np.broadcast_arrays(z, phi)
    out = np.empty(z.shape, dtype=np.float32)
    f32 = np.float32
    params = (
        f32(90.0 + antenna.mech_tilt_deg),
        f32(antenna.v_beamwidth_deg),
        f32(antenna.side_lobe_db),
        f32(antenna.h_beamwidth_deg),
        f32(antenna.max_attenuation_db),
        f32(antenna.element_gain_dbi),
        f32(antenna.peak_gain_dbi - antenna.max_attenuation_db),
    )
    _gain(z.ravel(), phi.ravel(), table.astype(np.float32, copy=False), params, out.ravel())
    return out if out.ndim else out[()]


@njit(cache=True, nogil=True)
def _wrapped(y, full):  # pragma: no cover - compiled
    """``y % full`` (float32, NumPy's floored modulo) with the common cases without fmod."""
    if y >= 0 and y < full:
        return y
    if y < 0 and y >= -full:
        return y + full  # fmod(y) = y, then y + full: the floored result, rounded alike
    return y % full


@njit(cache=True, nogil=True)
def _gain(z, phi, table, params, out) -> None:  # pragma: no cover - compiled
    """Element attenuation plus tabulated array factor, one float32 pass per cell.

    Each step is the float32 operation of the array formula: table index
    ``clip(rint(z / 0.05))``, ``phi`` wrapped to [-180, 180), ``A_V = min(12 ((z - (90 +
    tilt)) / θ3dB)², SLA_V)``, ``A_H = min(12 (φ / φ3dB)², A_max)``, gain ``G - min(A_V +
    A_H, A_max) + AF``, floored at ``peak - A_max``.
    """
    boresight, v_bw, sla, h_bw, a_max, g_max, floor = params
    step, twelve = np.float32(_TABLE_STEP_DEG), np.float32(12.0)
    half, full = np.float32(180.0), np.float32(360.0)
    last = table.size - 1
    for i in range(z.size):
        zi = z[i]
        k = min(max(int(np.rint(zi / step)), 0), last)
        p = _wrapped(phi[i] + half, full) - half
        v = (zi - boresight) / v_bw
        a_v = min(twelve * (v * v), sla)
        h = p / h_bw
        a_h = min(twelve * (h * h), a_max)
        g = g_max - min(a_v + a_h, a_max) + table[k]
        out[i] = max(g, floor)


def af_table(antenna: SectorAntenna) -> np.ndarray:
    """Array factor (dB) of ``antenna`` over zenith 0-180 deg in 0.05 deg steps (float32)."""
    z = np.arange(0.0, 180.0 + _TABLE_STEP_DEG / 2, _TABLE_STEP_DEG)
    af = array_factor_db(
        z - antenna.mech_tilt_deg,
        antenna.vertical_elements,
        antenna.element_spacing_wl,
        90.0 + antenna.elec_tilt_deg,
    )
    return af.astype(np.float32)
