"""Straightforward per-cell Python (``math``) version of the radio model, for checks and timing."""

# It loops over cells, heights, sites and sectors in pure Python and marches each ray through
# the building surface; :mod:`planner.radio.coverage` must agree with it (tests) and is timed
# against it (``benchmarks/bench_radio.py``). Not used by the analysis itself.

from __future__ import annotations

import math

import numpy as np
from affine import Affine

from planner.config.radio import RadioConfig
from planner.radio.coverage import noise_dbm_per_re, re_power_offset_db

__all__ = ["pathloss_scalar", "plos_scalar", "gain_scalar", "ray_los", "naive_cells"]

_L = math.log10


def _pl_ground(scn: str, d2d: float, d3d: float, hb: float, hu: float, fc: float, cfg):
    if scn == "RMa":
        h, w = cfg.rma_building_height_m, cfg.rma_street_width_m
        dbp = 2 * math.pi * hb * hu * fc * 1e9 / 3e8

        def pl1(d):
            return (
                20 * _L(40 * math.pi * d * fc / 3)
                + min(0.03 * h**1.72, 10) * _L(d)
                - min(0.044 * h**1.72, 14.77)
                + 0.002 * _L(h) * d
            )

        los = pl1(d3d) if d2d <= dbp else pl1(dbp) + 40 * _L(d3d / dbp)
        n = (
            161.04
            - 7.1 * _L(w)
            + 7.5 * _L(h)
            - (24.37 - 3.7 * (h / hb) ** 2) * _L(hb)
            + (43.42 - 3.1 * _L(hb)) * (_L(d3d) - 3)
            + 20 * _L(fc)
            - (3.2 * _L(11.75 * hu) ** 2 - 4.97)
        )
        return los, max(los, n)
    a, b, k = (28.0, 22, 9) if scn == "UMa" else (32.4, 21, 9.5)
    dbp = 4 * (hb - 1) * (hu - 1) * fc * 1e9 / 3e8
    if d2d <= dbp:
        los = a + b * _L(d3d) + 20 * _L(fc)
    else:
        los = a + 40 * _L(d3d) + 20 * _L(fc) - k * _L(dbp**2 + (hb - hu) ** 2)
    if scn == "UMa":
        n = 13.54 + 39.08 * _L(d3d) + 20 * _L(fc) - 0.6 * (hu - 1.5)
    else:
        n = 35.3 * _L(d3d) + 22.4 + 21.3 * _L(fc) - 0.3 * (hu - 1.5)
    return los, max(los, n)


def _pl_air(scn: str, d3d: float, hu: float, fc: float):
    fs = 20 * _L(40 * math.pi * fc / 3)
    if scn == "UMa":
        los = 28.0 + 22 * _L(d3d) + 20 * _L(fc)
        n = -17.5 + (46 - 7 * _L(min(hu, 100.0))) * _L(d3d) + fs
    elif scn == "UMi":
        los = max(
            20 * _L(d3d) + 20 * _L(fc) + 32.45,
            30.9 + (22.25 - 0.5 * _L(hu)) * _L(d3d) + 20 * _L(fc),
        )
        n = 32.4 + (43.2 - 7.6 * _L(hu)) * _L(d3d) + 20 * _L(fc)
    else:
        los = max(23.9 - 1.8 * _L(hu), 20) * _L(d3d) + fs
        n = -12 + (35 - 5.3 * _L(hu)) * _L(d3d) + fs
    return los, max(los, n)


def pathloss_scalar(scn: str, d2d: float, hb: float, hu: float, fc: float, cfg: RadioConfig):
    """Return ``(PL_LOS, PL_NLOS)`` in dB for one link (same ranges as :mod:`.pathloss`)."""
    d2d = max(d2d, 10.0)
    d3d = math.hypot(d2d, hb - hu)
    if hu > (10.0 if scn == "RMa" else 22.5):
        return _pl_air(scn, d3d, hu, fc)
    return _pl_ground(scn, d2d, d3d, hb, hu, fc, cfg)


def _form(d: float, d1: float, p1: float) -> float:
    return 1.0 if d <= d1 else d1 / d + math.exp(-d / p1) * (1 - d1 / d)


def plos_scalar(scn: str, d2d: float, hu: float) -> float:
    """LoS probability for one link (TR 38.901 Table 7.4.2-1 / TR 36.777 Table B-1)."""
    lg = math.log10(hu)
    if scn == "UMa":
        if hu > 100:
            return 1.0
        if hu > 22.5:
            return _form(d2d, max(460 * lg - 700, 18), 4300 * lg - 3800)
        if d2d <= 18:
            return 1.0
        c = 0.0 if hu <= 13 else ((min(hu, 23) - 13) / 10) ** 1.5
        return _form(d2d, 18, 63) * (1 + c * 1.25 * (d2d / 100) ** 3 * math.exp(-d2d / 150))
    if scn == "UMi":
        if hu > 22.5:
            return _form(d2d, max(294.05 * lg - 432.94, 18), 233.98 * lg - 0.95)
        return _form(d2d, 18, 36)
    if hu > 40:
        return 1.0
    if hu > 10:
        return _form(d2d, max(1350.8 * lg - 1602, 18), max(15021 * lg - 16053, 1000))
    return 1.0 if d2d <= 10 else math.exp(-(d2d - 10) / 1000)


def gain_scalar(zen: float, phi: float, sec, cfg: RadioConfig) -> float:
    """Sector gain (dBi) for one direction: TR 38.901 element plus the steered column."""
    phi = (phi + 180.0) % 360.0 - 180.0
    a_v = min(12 * ((zen - 90 - sec.mech_tilt_deg) / sec.v_beamwidth_deg) ** 2, cfg.side_lobe_db)
    a_h = min(12 * (phi / sec.h_beamwidth_deg) ** 2, cfg.max_attenuation_db)
    att = min(a_v + a_h, cfg.max_attenuation_db)
    n, d = cfg.vertical_elements, cfg.element_spacing_wl
    af = 0.0
    if n > 1:
        z = round((zen) / 0.05) * 0.05 - sec.mech_tilt_deg  # same 0.05 deg table as the model
        psi = (
            2
            * math.pi
            * d
            * (math.cos(math.radians(z)) - math.cos(math.radians(90 + sec.elec_tilt_deg)))
        )
        re = sum(math.cos(m * psi) for m in range(n))
        im = sum(math.sin(m * psi) for m in range(n))
        af = 10 * math.log10(max((re * re + im * im) / n, 1e-12))
    peak = cfg.element_gain_dbi + 10 * math.log10(n)
    return max(cfg.element_gain_dbi - att + af, peak - cfg.max_attenuation_db)


def ray_los(
    surface: np.ndarray,
    transform: Affine,
    p0: tuple[float, float, float],
    p1: tuple[float, float, float],
    step: float,
    exclude_m: float,
) -> bool:
    """Brute-force ray march: return whether segment ``p0 -> p1`` clears the surface.

    Samples every ``step`` metres along the ground track (the cell holding each sample gives
    the obstacle height), skipping the last ``exclude_m`` before ``p1``.
    """
    (x0, y0, z0), (x1, y1, z1) = p0, p1
    d = math.hypot(x1 - x0, y1 - y0)
    k = 1
    while k * step <= d - exclude_m:
        t = k * step / d
        x, y, z = x0 + t * (x1 - x0), y0 + t * (y1 - y0), z0 + t * (z1 - z0)
        col, row = (x - transform.c) / transform.a, (y - transform.f) / transform.e
        r, c = math.floor(row), math.floor(col)
        if 0 <= r < surface.shape[0] and 0 <= c < surface.shape[1] and surface[r, c] > z:
            return False
        k += 1
    return True


def naive_cells(
    cells: np.ndarray,
    sites,
    sectors,
    transform: Affine,
    n_cols: int,
    heights,
    cfg: RadioConfig,
    blocking=None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """RSRP (dBm), SINR (dB) and serving sector at flat ``cells``, one cell at a time.

    ``blocking`` is None (statistical LoS everywhere) or ``(surface, surface_transform, det)``:
    ray-marched LoS at cells where the flat boolean grid ``det`` is true, statistical elsewhere
    (``det`` None = everywhere).
    """
    off, noise = re_power_offset_db(cfg), 10 ** (noise_dbm_per_re(cfg) / 10)
    secs = list(sectors.itertuples())
    site_rows = [
        (float(g.x), float(g.y), float(h), str(scn))
        for g, h, scn in zip(sites.geometry, sites["height_m"], sites["scenario"], strict=True)
    ]
    out = np.full((3, len(heights), len(cells)), np.nan)
    for ci, cell in enumerate(cells):
        row, col = divmod(int(cell), int(n_cols))
        x = transform.c + transform.a * (col + 0.5)
        y = transform.f + transform.e * (row + 0.5)
        for hi, hu in enumerate(heights):
            rng = cfg.max_range_ground_m if hu <= 22.5 else cfg.max_range_air_m
            best, best_k, total = {}, {}, {}
            for k, s in enumerate(secs):
                sx, sy, hb, scn = site_rows[int(s.site)]
                d2d = math.hypot(x - sx, y - sy)
                if d2d > rng:
                    continue
                pl_l, pl_n = pathloss_scalar(scn, d2d, hb, hu, s.frequency_ghz, cfg)
                if blocking is None or (blocking[2] is not None and not blocking[2][cell]):
                    p = plos_scalar(scn, d2d, hu)
                    loss = -10 * math.log10(p * 10 ** (-pl_l / 10) + (1 - p) * 10 ** (-pl_n / 10))
                else:
                    surf, s_tr = blocking[0], blocking[1]
                    vis = ray_los(surf, s_tr, (sx, sy, hb), (x, y, hu), abs(s_tr.a), abs(s_tr.a))
                    loss = pl_l if vis else pl_n
                zen = math.degrees(math.atan2(max(d2d, 0.0), hu - hb))
                phi = math.degrees(math.atan2(x - sx, y - sy)) - s.azimuth_deg
                rx = 10 ** ((s.tx_power_dbm - off + gain_scalar(zen, phi, s, cfg) - loss) / 10)
                band = round(s.frequency_ghz, 4)
                total[band] = total.get(band, 0.0) + rx
                if rx > best.get(band, 0.0):
                    best[band], best_k[band] = rx, k
            if best:
                b = max(best, key=best.get)
                i = cfg.interference_load * max(total[b] - best[b], 0.0)
                out[:, hi, ci] = (
                    10 * math.log10(best[b]),
                    10 * math.log10(best[b] / (i + noise)),
                    best_k[b],
                )
    return out[0], out[1], out[2]
