"""Best-server RSRP, SINR and serving site per grid cell and UE height (vectorised, chunked)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from affine import Affine
from scipy.special import ndtri

from .antenna import SectorAntenna, af_table, sector_gain_dbi
from .config import RadioConfig
from .los import Horizon, horizon, is_los
from .pathloss import los_probability, pathloss, shadow_sigma

__all__ = [
    "CoverageGrids",
    "Link",
    "noise_dbm_per_re",
    "re_power_offset_db",
    "antenna_for",
    "link_loss_db",
    "compute_coverage",
]


@dataclass
class CoverageGrids:
    """Per-height grids (first axis = ``heights_m``) of the best server and its quality."""

    heights_m: list[float]
    rsrp_dbm: np.ndarray  #: float32, NaN where no site is in range
    sinr_db: np.ndarray  #: float32, NaN where no site is in range
    server: np.ndarray  #: int32 sector index, -1 where none
    site: np.ndarray  #: int32 site index, -1 where none
    covered: np.ndarray  #: bool: RSRP (minus margin) and SINR above their thresholds
    margin_db: np.ndarray  #: float32 shadow-fading margin applied to RSRP
    transform: Affine
    stats: dict = field(default_factory=dict)


@dataclass
class Link:
    """Geometry of one antenna to a set of cells at one UE height."""

    dx: np.ndarray
    dy: np.ndarray
    d2d: np.ndarray
    h_bs: float
    h_ut: float
    scenario: str


def noise_dbm_per_re(cfg: RadioConfig) -> float:
    """Thermal noise per resource element: ``-174 + 10 log10(SCS) + NF`` (dBm)."""
    return -174.0 + 10 * math.log10(cfg.subcarrier_khz * 1e3) + cfg.noise_figure_db


def re_power_offset_db(cfg: RadioConfig) -> float:
    """``10 log10(12 n_RB)``: total power to per-RE power, ``n_RB = floor(0.983 BW / 12 SCS)``.

    0.983 reproduces TS 38.101-1 Table 5.3.2-1 (100 MHz at 30 kHz: 273 RB).
    """
    n_rb = max(1, math.floor(0.983 * cfg.bandwidth_mhz * 1e3 / (12 * cfg.subcarrier_khz)))
    return 10 * math.log10(12 * n_rb)


def antenna_for(row, cfg: RadioConfig) -> SectorAntenna:
    """Return the :class:`SectorAntenna` of one sector row (tilts and beamwidths)."""
    return SectorAntenna(
        mech_tilt_deg=float(row.mech_tilt_deg),
        elec_tilt_deg=float(row.elec_tilt_deg),
        h_beamwidth_deg=float(row.h_beamwidth_deg),
        v_beamwidth_deg=float(row.v_beamwidth_deg),
        side_lobe_db=cfg.side_lobe_db,
        max_attenuation_db=cfg.max_attenuation_db,
        element_gain_dbi=cfg.element_gain_dbi,
        vertical_elements=cfg.vertical_elements,
        element_spacing_wl=cfg.element_spacing_wl,
    )


def link_loss_db(
    link: Link,
    fc: float,
    cfg: RadioConfig,
    det: np.ndarray | None,
    hz: Horizon | None,
    exclude_m: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Effective path loss (dB) and LoS flag of a link, deterministic or statistical per cell.

    Where ``det`` is true (and a horizon is given) the line of sight through the building
    surface picks the LOS or NLOS loss; elsewhere the loss is the 3GPP LoS-probability mix of
    the two in linear power, ``-10 log10(P 10^(-PL_L/10) + (1-P) 10^(-PL_N/10))``.

    Parameters
    ----------
    link : Link
        Geometry.
    fc : float
        Carrier (GHz).
    cfg : RadioConfig
        RMa building height and street width.
    det : ndarray of bool or None
        Cells with deterministic blocking (None = none).
    hz : Horizon or None
        The antenna's horizon (needed where ``det``).
    exclude_m : float
        Distance before the UE that cannot block (m).

    Returns
    -------
    tuple of ndarray
        ``(loss_db, los)``; ``los`` is the LoS state, or ``P_LOS >= 0.5`` where statistical.

    """
    pl_l, pl_n = pathloss(
        link.scenario,
        link.d2d,
        link.h_bs,
        link.h_ut,
        fc,
        cfg.rma_building_height_m,
        cfg.rma_street_width_m,
    )
    p = los_probability(link.scenario, link.d2d, link.h_ut)
    mix = -10 * np.log10(p * 10 ** (-pl_l / 10) + (1 - p) * 10 ** (-pl_n / 10))
    los = p >= 0.5
    if det is not None and hz is not None and det.any():
        vis = is_los(hz, link.dx, link.dy, link.h_ut, exclude_m)
        mix = np.where(det, np.where(vis, pl_l, pl_n), mix)
        los = np.where(det, vis, los)
    return mix.astype(np.float32), los


class _Accumulator:
    """Running best server and total received power per band and height (flat grids)."""

    def __init__(self, n_bands: int, n_heights: int, n_cells: int):
        shape = (n_bands, n_heights, n_cells)
        self.best = np.zeros(shape, dtype=np.float32)  # mW per RE
        self.total = np.zeros(shape, dtype=np.float32)
        self.server = np.full(shape, -1, dtype=np.int32)
        self.los = np.zeros(shape, dtype=bool)

    def add(self, b: int, h: int, idx: np.ndarray, p: np.ndarray, sector: int, los) -> None:
        """Add sector ``sector``'s received power ``p`` (mW) at flat cells ``idx``."""
        self.total[b, h, idx] += p
        cur = self.best[b, h, idx]
        better = p > cur
        if better.any():
            j = idx[better]
            self.best[b, h, j] = p[better]
            self.server[b, h, j] = sector
            self.los[b, h, j] = los[better]


def _window(transform: Affine, shape, x0: float, y0: float, r: float):
    """Row/col slices of the grid cells whose centres may lie within ``r`` of (x0, y0)."""
    inv = ~transform
    c0, r0 = inv * (x0 - r, y0 + r)
    c1, r1 = inv * (x0 + r, y0 - r)
    rows = slice(max(0, int(math.floor(r0))), min(shape[0], int(math.ceil(r1)) + 1))
    cols = slice(max(0, int(math.floor(c0))), min(shape[1], int(math.ceil(c1)) + 1))
    return rows, cols


def _chunks(rows: slice, n_cols: int, chunk_cells: int):
    step = max(1, chunk_cells // max(1, n_cols))
    for start in range(rows.start, rows.stop, step):
        yield slice(start, min(rows.stop, start + step))


@dataclass
class _Model:
    """Everything a site pass needs that does not change between sites."""

    cfg: RadioConfig
    transform: Affine
    shape: tuple[int, int]
    heights: list[float]
    ranges: np.ndarray
    band_of: np.ndarray
    re_dbm: np.ndarray
    antennas: list
    tables: list
    det: np.ndarray | None
    surface: np.ndarray | None
    surface_transform: Affine | None


def _site_pass(model: _Model, acc: _Accumulator, site: pd.Series, sec_idx: np.ndarray, sectors):
    """Add one site's sectors to the accumulator, chunk by chunk over its window."""
    x0, y0 = float(site.geometry.x), float(site.geometry.y)
    h_bs = float(site.height_m)
    r_max = float(model.ranges.max())
    hz = None
    if model.det is not None and model.surface is not None:
        hz = horizon(model.surface, model.surface_transform, x0, y0, h_bs, r_max)
    exclude = abs(model.surface_transform.a) if model.surface_transform is not None else 0.0
    rows, cols = _window(model.transform, model.shape, x0, y0, r_max)
    if rows.stop <= rows.start or cols.stop <= cols.start:
        return
    t = model.transform
    xs = (t.c + t.a * (np.arange(cols.start, cols.stop) + 0.5)).astype(np.float64)
    fcs = sectors["frequency_ghz"].to_numpy(float)
    az = sectors["azimuth_deg"].to_numpy(float)
    for rs in _chunks(rows, cols.stop - cols.start, model.cfg.chunk_cells):
        ys = t.f + t.e * (np.arange(rs.start, rs.stop) + 0.5)
        dx = np.broadcast_to(xs[None, :] - x0, (len(ys), len(xs))).ravel()
        dy = np.broadcast_to(ys[:, None] - y0, (len(ys), len(xs))).ravel()
        flat = (
            np.arange(rs.start, rs.stop)[:, None] * model.shape[1]
            + np.arange(cols.start, cols.stop)[None, :]
        ).ravel()
        d2d = np.hypot(dx, dy)
        phi = np.degrees(np.arctan2(dx, dy))
        for hi, h_ut in enumerate(model.heights):
            keep = np.flatnonzero(d2d <= model.ranges[hi])
            if keep.size == 0:
                continue
            link = Link(dx[keep], dy[keep], d2d[keep], h_bs, h_ut, str(site.scenario))
            det = None if model.det is None else model.det.ravel()[flat[keep]]
            zen = np.degrees(np.arctan2(link.d2d, h_ut - h_bs)).astype(np.float32)
            ph = phi[keep].astype(np.float32)
            cache: dict[float, tuple] = {}
            for k in sec_idx:
                fc = fcs[k]
                if fc not in cache:
                    cache[fc] = link_loss_db(link, fc, model.cfg, det, hz, exclude)
                loss, los = cache[fc]
                g = sector_gain_dbi(model.antennas[k], zen, ph - az[k], model.tables[k])
                p = np.power(np.float32(10.0), (model.re_dbm[k] + g - loss) / np.float32(10.0))
                acc.add(int(model.band_of[k]), hi, flat[keep], p, int(k), los)


def _finish(model: _Model, acc: _Accumulator, sectors, sites) -> CoverageGrids:
    """Pick the serving band (best RSRP), compute SINR within it, apply the thresholds."""
    cfg = model.cfg
    n_h = len(model.heights)
    rows, cols = model.shape
    b = np.argmax(acc.best, axis=0)  # (n_h, n_cells)
    take = lambda a: np.take_along_axis(a, b[None], axis=0)[0]  # noqa: E731
    best, total, server, los = take(acc.best), take(acc.total), take(acc.server), take(acc.los)
    noise = 10 ** (noise_dbm_per_re(cfg) / 10)
    interf = cfg.interference_load * np.maximum(total - best, 0.0)
    has = server >= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        rsrp = np.where(has, 10 * np.log10(best), np.nan).astype(np.float32)
        sinr = np.where(has, 10 * np.log10(best / (interf + noise)), np.nan).astype(np.float32)
    site_of = sectors["site"].to_numpy(np.int32) if len(sectors) else np.zeros(0, np.int32)
    site = np.where(has, site_of[np.maximum(server, 0)] if len(site_of) else -1, -1)
    margin = _margin(cfg, model.heights, sites, site, los, has)
    covered = has & (rsrp - margin >= cfg.rsrp_min_dbm) & (sinr >= cfg.sinr_min_db)
    shape3 = (n_h, rows, cols)
    return CoverageGrids(
        heights_m=list(model.heights),
        rsrp_dbm=rsrp.reshape(shape3),
        sinr_db=sinr.reshape(shape3),
        server=server.astype(np.int32).reshape(shape3),
        site=site.astype(np.int32).reshape(shape3),
        covered=covered.reshape(shape3),
        margin_db=margin.reshape(shape3),
        transform=model.transform,
    )


def _margin(cfg: RadioConfig, heights, sites, site, los, has) -> np.ndarray:
    """Shadow-fading margin ``z(p) σ_SF`` of the serving link (0 at the median, p = 0.5)."""
    margin = np.zeros(site.shape, dtype=np.float32)
    if cfg.location_probability <= 0.5 or not len(sites):
        return margin
    z = float(ndtri(cfg.location_probability))
    scen = sites["scenario"].to_numpy()
    for hi, h in enumerate(heights):
        for s in ("UMa", "UMi", "RMa"):
            on = has[hi] & (scen[np.maximum(site[hi], 0)] == s)
            for flag in (True, False):
                sel = on & (los[hi] == flag)
                margin[hi, sel] = z * shadow_sigma(s, h, flag)
    return margin


def compute_coverage(
    sites,
    sectors,
    transform: Affine,
    shape: tuple[int, int],
    heights: list[float],
    cfg: RadioConfig,
    surface: np.ndarray | None = None,
    surface_transform: Affine | None = None,
    det: np.ndarray | None = None,
) -> CoverageGrids:
    """Best server, RSRP, SINR and coverage on the grid for every UE height.

    Sites are processed one at a time over the window of cells in range (``max_range_*``),
    in blocks of at most ``cfg.chunk_cells`` cells; every per-cell step is a NumPy array
    operation. Interference is the sum over all other sectors on the same carrier, scaled by
    ``interference_load``.

    Parameters
    ----------
    sites, sectors : GeoDataFrame
        From :func:`planner.radio.sites.load_sites`.
    transform : affine.Affine
        Coverage grid transform (north-up).
    shape : tuple of int
        ``(rows, cols)``.
    heights : list of float
        UE heights (m above ground).
    cfg : RadioConfig
        Model settings.
    surface : ndarray, optional
        Building-height surface (m) for deterministic blocking.
    surface_transform : affine.Affine, optional
        Transform of ``surface`` (default: ``transform``).
    det : ndarray of bool, optional
        Coverage-grid cells that use deterministic blocking (None: statistical everywhere).

    Returns
    -------
    CoverageGrids

    """
    heights = [float(h) for h in heights]
    ranges = np.array(
        [cfg.max_range_ground_m if h <= 22.5 else cfg.max_range_air_m for h in heights]
    )
    fcs = sectors["frequency_ghz"].to_numpy(float) if len(sectors) else np.zeros(0)
    bands, band_of = np.unique(np.round(fcs, 4), return_inverse=True)
    antennas = [antenna_for(r, cfg) for r in sectors.itertuples()]
    tables: dict = {}
    tab = [tables.setdefault(a, af_table(a)) for a in antennas]
    re_dbm = (sectors["tx_power_dbm"].to_numpy(float) - re_power_offset_db(cfg)).astype(np.float32)
    model = _Model(
        cfg,
        transform,
        tuple(shape),
        heights,
        ranges,
        band_of,
        re_dbm,
        antennas,
        tab,
        det,
        surface,
        surface_transform or transform,
    )
    acc = _Accumulator(max(1, len(bands)), len(heights), shape[0] * shape[1])
    groups = sectors.groupby("site").indices if len(sectors) else {}
    for s in sorted(groups):
        _site_pass(model, acc, sites.iloc[int(s)], np.sort(groups[s]), sectors)
    return _finish(model, acc, sectors, sites)
