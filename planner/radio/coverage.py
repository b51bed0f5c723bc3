"""Best-server RSRP, SINR and serving site per grid cell and UE height (vectorised, chunked)."""

from __future__ import annotations

import math
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field

import numpy as np
import shapely
from affine import Affine
from numba import njit
from scipy.special import ndtri

from planner._threads import thread_map, usable_threads
from planner.config.radio import RadioConfig
from planner.radio.antenna import SectorAntenna, af_table, sector_gain_dbi
from planner.radio.los import horizon, max_obstacle_slope
from planner.radio.pathloss import C, is_aerial, los_probability, pathloss, shadow_sigma

__all__ = [
    "CoverageGrids",
    "Link",
    "noise_dbm_per_re",
    "re_power_offset_db",
    "antenna_for",
    "link_loss_db",
    "LOG_STEP",
    "MIN_THREADED_CHUNK",
    "distance_index",
    "loss_tables",
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
    idx: np.ndarray | None = None  #: index of d2d on the log-distance grid (see distance_index)


#: With blocks (``chunk_cells``) smaller than this the default is one thread: short array
#: operations hold the GIL too often for a second thread to gain.
MIN_THREADED_CHUNK = 16_384

#: Step of the log10-distance grid the path loss is tabulated on (0.001 decade: <= 0.03 dB).
LOG_STEP = 1e-3


def distance_index(d2d: np.ndarray) -> np.ndarray:
    """Index of ``max(d2d, 10 m)`` on the grid ``10 ** (1 + i * LOG_STEP)`` (nearest)."""
    lg = np.log10(np.maximum(d2d, np.float32(10.0)))
    return np.rint((lg - np.float32(1.0)) * np.float32(1 / LOG_STEP)).astype(np.int32)


def loss_tables(
    scenario: str, h_bs: float, h_ut: float, fc: float, cfg: RadioConfig, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Tabulate ``(PL_LOS, PL_NLOS, statistical mix, P_LOS >= 0.5)`` over ``n`` grid distances.

    Every quantity depends on the link only through d2D once the heights, scenario and
    carrier are fixed, so one table per (site, UE height, carrier) replaces the per-cell
    formula evaluation by a gather.
    """
    d = 10 ** (1.0 + LOG_STEP * np.arange(n))
    pl_l, pl_n = pathloss(
        scenario, d, h_bs, h_ut, fc, cfg.rma_building_height_m, cfg.rma_street_width_m
    )
    p = los_probability(scenario, d, h_ut)
    mix = -10 * np.log10(p * 10 ** (-pl_l / 10) + (1 - p) * 10 ** (-pl_n / 10))
    f32 = np.float32
    return pl_l.astype(f32), pl_n.astype(f32), mix.astype(f32), p >= 0.5


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
    link: Link, fc: float, cfg: RadioConfig, det: np.ndarray | None, vis: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Effective path loss (dB) and LoS flag of a link, deterministic or statistical per cell.

    Where ``det`` is true, the line of sight ``vis`` (through the building surface) picks the
    LOS or NLOS loss; elsewhere the loss is the 3GPP LoS-probability mix of the two in linear
    power, ``-10 log10(P 10^(-PL_L/10) + (1-P) 10^(-PL_N/10))``. The formulas are evaluated on
    the log-distance grid of :func:`loss_tables` (0.001 decade) and looked up per cell.

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
    vis : ndarray of bool or None
        Line of sight per cell (needed where ``det``).

    Returns
    -------
    tuple of ndarray
        ``(loss_db, los)``; ``los`` is the LoS state, or ``P_LOS >= 0.5`` where statistical.

    """
    idx = link.idx if link.idx is not None else distance_index(np.asarray(link.d2d))
    n = int(idx.max()) + 2 if idx.size else 2
    t_l, t_n, t_mix, t_los = loss_tables(link.scenario, link.h_bs, link.h_ut, fc, cfg, n)
    if det is not None and vis is not None:
        if idx.ndim == 1 and det.shape == vis.shape == idx.shape and det.dtype == vis.dtype == bool:
            loss, los = np.empty(idx.shape, np.float32), np.empty(idx.shape, bool)
            _pick_loss(idx, det, vis, (t_l, t_n, t_mix, t_los), loss, los)
            return loss, los
        loss = np.where(vis, t_l[idx], t_n[idx])
        if det.all():
            return loss, vis
        return np.where(det, loss, t_mix[idx]), np.where(det, vis, t_los[idx])
    return t_mix[idx], t_los[idx]


@njit(cache=True, nogil=True)
def _pick_loss(idx, det, vis, tables, loss, los) -> None:  # pragma: no cover - compiled
    """Per cell: the LOS / NLOS table entry where ``det`` (by ``vis``), else the mix.

    The selection of :func:`link_loss_db`'s array formula in one pass (no arithmetic, so
    the same values): ``tables`` is ``(PL_LOS, PL_NLOS, mix, P_LOS >= 0.5)``.
    """
    t_l, t_n, t_mix, t_los = tables
    for i in range(idx.size):
        k = idx[i]
        if det[i]:
            loss[i] = t_l[k] if vis[i] else t_n[k]
            los[i] = vis[i]
        else:
            loss[i] = t_mix[k]
            los[i] = t_los[k]


class _Accumulator:
    """Running best server and total received power per band and height (grids)."""

    def __init__(self, n_bands: int, n_heights: int, shape: tuple[int, int]):
        full = (n_bands, n_heights, *shape)
        self.best = np.zeros(full, dtype=np.float32)  # mW per RE
        self.total = np.zeros(full, dtype=np.float32)
        self.server = np.full(full, -1, dtype=np.int32)
        self.los = np.zeros(full, dtype=bool)

    def add(self, b: int, h: int, win: tuple[slice, slice], p, sector: int, los) -> None:
        """Add sector ``sector``'s received power ``p`` (mW, window-shaped) at window ``win``."""
        self.total[b, h][win] += p
        best = self.best[b, h][win]
        better = p > best
        np.copyto(best, p, where=better)
        np.copyto(self.server[b, h][win], np.int32(sector), where=better)
        np.copyto(self.los[b, h][win], los, where=better)


def _window(transform: Affine, shape, x0: float, y0: float, r: float):
    """Row/col slices of the grid cells whose centres may lie within ``r`` of (x0, y0)."""
    t = transform
    c0, r0 = (x0 - r - t.c) / t.a, (y0 + r - t.f) / t.e
    c1, r1 = (x0 + r - t.c) / t.a, (y0 - r - t.f) / t.e
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
    fcs: np.ndarray  #: carrier (GHz) per sector
    az: np.ndarray  #: azimuth (deg, float32) per sector


@dataclass
class _SiteJob:
    """One site to add: its position in the site order, antenna and sectors."""

    index: int
    x0: float
    y0: float
    h_bs: float
    scenario: str
    sec_idx: np.ndarray


def _site_horizon(model: _Model, job: _SiteJob):
    """Sweep the site's horizon over the blocking surface (all UE heights' longest range)."""
    r_max = float(model.ranges.max())
    return horizon(model.surface, model.surface_transform, job.x0, job.y0, job.h_bs, r_max)


class _Horizons:
    """Each site's horizon, swept once and shared by the row-band threads.

    The first thread that needs a site's horizon sweeps it; the others wait for it. A
    horizon is dropped once every thread has passed its site; at most ``cap`` are kept (a
    thread far behind then sweeps its own copy: the same values, bounded memory).
    """

    def __init__(self, model: _Model, threads: int, cap: int):
        self._model = model
        self._lock = threading.Lock()
        self._entries: dict[int, Future] = {}
        self._passed = [-1] * threads
        self._cap = cap

    def get(self, job: _SiteJob):
        """Return the horizon of ``job``'s site (sweeping it if no thread has yet)."""
        with self._lock:
            fut = self._entries.get(job.index)
            mine = fut is None
            if mine:
                fut = Future()
                if len(self._entries) < self._cap and job.index > min(self._passed):
                    self._entries[job.index] = fut
        if mine:
            try:
                fut.set_result(_site_horizon(self._model, job))
            except BaseException as exc:
                fut.set_exception(exc)
                raise
        return fut.result()

    def passed(self, thread: int, index: int) -> None:
        """Record that ``thread`` is done with the sites up to ``index``; drop the unneeded."""
        with self._lock:
            self._passed[thread] = index
            low = min(self._passed)
            for k in [k for k in self._entries if k <= low]:
                del self._entries[k]


def _site_pass(model: _Model, acc: _Accumulator, job: _SiteJob, band: slice, hzs) -> None:
    """Add one site's sectors on the rows ``band``: per range group, window block by block.

    The blocks are those of the whole window (:func:`_chunks`), each cut to ``band``; every
    per-cell value is computed cell by cell, so it does not depend on the cut.
    """
    x0, y0 = job.x0, job.y0
    blocking = model.det is not None and model.surface is not None
    hz = None
    t = model.transform
    for r in np.unique(model.ranges):
        levels = [i for i, rr in enumerate(model.ranges) if rr == r]
        rows, cols = _window(t, model.shape, x0, y0, float(r))
        if rows.stop <= rows.start or cols.stop <= cols.start:
            continue
        xs = (t.c + t.a * (np.arange(cols.start, cols.stop) + 0.5) - x0).astype(np.float32)
        for block in _chunks(rows, cols.stop - cols.start, model.cfg.chunk_cells):
            rs = slice(max(block.start, band.start), min(block.stop, band.stop))
            if rs.stop <= rs.start:
                continue
            ys = (t.f + t.e * (np.arange(rs.start, rs.stop) + 0.5) - y0).astype(np.float32)
            shape = (len(ys), len(xs))
            dx = np.broadcast_to(xs[None, :], shape).ravel()
            dy = np.broadcast_to(ys[:, None], shape).ravel()
            d2d, angle = np.hypot(dx, dy), np.arctan2(dx, dy)
            chunk = _Chunk(dx, dy, d2d, np.degrees(angle), (rs, cols), d2d <= r)
            chunk.idx = distance_index(d2d)
            if blocking:
                hz = hzs.get(job) if hz is None else hz
                exclude = abs(model.surface_transform.a)
                chunk.slope = max_obstacle_slope(hz, dx, dy, exclude, d2d, angle)
                chunk.det = model.det[rs, cols].ravel()
            _chunk_pass(model, acc, chunk, job, levels)


@dataclass
class _Chunk:
    """Cells of one block of a site's window, as offsets from the antenna (flattened)."""

    dx: np.ndarray
    dy: np.ndarray
    d2d: np.ndarray
    phi: np.ndarray
    win: tuple[slice, slice]
    in_range: np.ndarray
    slope: np.ndarray | None = None
    det: np.ndarray | None = None
    idx: np.ndarray | None = None


def _chunk_pass(model: _Model, acc: _Accumulator, chunk: _Chunk, job: _SiteJob, levels) -> None:
    """Received power of every sector of a site on one block, for each UE height."""
    fcs, az, h_bs = model.fcs, model.az, job.h_bs
    rs, cs = chunk.win
    wshape = (rs.stop - rs.start, cs.stop - cs.start)
    if not chunk.in_range.any():
        return
    for hi in levels:
        h_ut = model.heights[hi]
        link = Link(chunk.dx, chunk.dy, chunk.d2d, h_bs, h_ut, job.scenario, chunk.idx)
        vis = None
        if chunk.slope is not None:
            vis = (np.float32(h_ut - h_bs) / np.maximum(chunk.d2d, 1e-3)) >= chunk.slope
        zen = np.degrees(np.arctan2(chunk.d2d, np.float32(h_ut - h_bs)))
        cache: dict[float, tuple] = {}
        for k in job.sec_idx:
            fc = fcs[k]
            if fc not in cache:
                cache[fc] = link_loss_db(link, fc, model.cfg, chunk.det, vis)
            loss, los = cache[fc]
            g = sector_gain_dbi(model.antennas[k], zen, chunk.phi - az[k], model.tables[k])
            p = np.exp((model.re_dbm[k] + g - loss) * np.float32(math.log(10) / 10))
            p *= chunk.in_range
            acc.add(
                int(model.band_of[k]), hi, chunk.win, p.reshape(wshape), int(k), los.reshape(wshape)
            )


def _row_bands(model: _Model, jobs: list[_SiteJob], n: int) -> list[slice]:
    """Split the grid rows into at most ``n`` bands of about equal work (window cells).

    A row's work is the cells of the site windows it crosses, times the UE heights and
    sectors evaluated there. The split only balances the threads: results do not depend on it.
    """
    rows = model.shape[0]
    n = max(1, min(int(n), rows))
    if n == 1 or not jobs:
        return [slice(0, rows)]
    diff = np.zeros(rows + 1)
    for job in jobs:
        for r in np.unique(model.ranges):
            rs, cs = _window(model.transform, model.shape, job.x0, job.y0, float(r))
            if rs.stop > rs.start and cs.stop > cs.start:
                w = (cs.stop - cs.start) * int((model.ranges == r).sum()) * (len(job.sec_idx) + 1)
                diff[rs.start] += w
                diff[rs.stop] -= w
    cum = np.cumsum(np.cumsum(diff[:-1]) + 1e-9)
    cuts = np.searchsorted(cum, cum[-1] * np.arange(1, n) / n)
    bounds = np.unique(np.clip(np.concatenate([[0], cuts, [rows]]), 0, rows))
    return [slice(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _add_sites(model: _Model, acc: _Accumulator, jobs: list[_SiteJob], threads: int) -> None:
    """Add every site, in order, with one thread per row band (disjoint rows of ``acc``).

    Each cell receives the sites in the same order whatever the bands, so its sums are
    the same floats as a single pass's.
    """
    bands = _row_bands(model, jobs, threads)
    hzs = _Horizons(model, len(bands), cap=2 * len(bands) + 2)

    def run(i: int) -> None:
        for job in jobs:
            _site_pass(model, acc, job, bands[i], hzs)
            hzs.passed(i, job.index)

    thread_map(run, range(len(bands)), len(bands), "coverage")


def _finish(model: _Model, acc: _Accumulator, sectors, sites) -> CoverageGrids:
    """Pick the serving band (best RSRP), compute SINR within it, apply the thresholds."""
    cfg = model.cfg
    n_h = len(model.heights)
    rows, cols = model.shape
    n_cells = rows * cols
    for name in ("best", "total", "server", "los"):
        setattr(acc, name, getattr(acc, name).reshape(acc.best.shape[0], n_h, n_cells))
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
    margin = _margin(model, sites, sectors, site, server, los, has)
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


def _margin(model: _Model, sites, sectors, site, server, los, has) -> np.ndarray:
    """Shadow-fading margin ``z(p) σ_SF`` of the serving link (0 at the median, p = 0.5)."""
    cfg = model.cfg
    margin = np.zeros(site.shape, dtype=np.float32)
    if cfg.location_probability <= 0.5 or not len(sites):
        return margin
    z = float(ndtri(cfg.location_probability))
    scen = sites["scenario"].to_numpy()
    for hi, h in enumerate(model.heights):
        for s in ("UMa", "UMi", "RMa"):
            on = has[hi] & (scen[np.maximum(site[hi], 0)] == s)
            for flag in (True, False):
                sel = on & (los[hi] == flag)
                margin[hi, sel] = z * shadow_sigma(s, h, flag)
        rma_los = has[hi] & (scen[np.maximum(site[hi], 0)] == "RMa") & los[hi]
        if not is_aerial("RMa", h) and rma_los.any():
            far = _beyond_rma_breakpoint(model, sites, sectors, site[hi], server[hi], rma_los, h)
            margin[hi, far] = z * shadow_sigma("RMa", h, True, beyond_breakpoint=True)
    return margin


def _beyond_rma_breakpoint(model: _Model, sites, sectors, site, server, sel, h_ut: float):
    """Cells of ``sel`` farther from their serving site than the RMa breakpoint distance."""
    idx = np.flatnonzero(sel)
    r, c = np.divmod(idx, model.shape[1])
    t = model.transform  # north-up grid
    x, y = t.c + t.a * (c + 0.5), t.f + t.e * (r + 0.5)
    sxy = shapely.get_coordinates(sites.geometry.to_numpy())
    s = site[idx]
    d2d = np.hypot(x - sxy[s, 0], y - sxy[s, 1])
    fc = sectors["frequency_ghz"].to_numpy(float)[server[idx]]
    h_bs = sites["height_m"].to_numpy(float)[s]
    d_bp = 2 * np.pi * h_bs * h_ut * fc * 1e9 / C
    out = np.zeros(sel.shape, dtype=bool)
    out[idx[d2d > d_bp]] = True
    return out


def _site_jobs(sites, sectors) -> list[_SiteJob]:
    """List the sites with sectors, in site order: antenna position, height, scenario, sectors."""
    groups = sectors.groupby("site").indices if len(sectors) else {}
    jobs = []
    for i, s in enumerate(sorted(groups)):
        site = sites.iloc[int(s)]
        x0, y0, h_bs = float(site.geometry.x), float(site.geometry.y), float(site.height_m)
        jobs.append(_SiteJob(i, x0, y0, h_bs, str(site.scenario), np.sort(groups[s])))
    return jobs


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
    threads: int | None = None,
) -> CoverageGrids:
    """Best server, RSRP, SINR and coverage on the grid for every UE height.

    Sites are processed one at a time over the window of cells in range (``max_range_*``),
    in blocks of at most ``cfg.chunk_cells`` cells; every per-cell step is a NumPy array
    operation. Interference is the sum over all other sectors on the same carrier, scaled by
    ``interference_load``. The grid rows are split into one band per thread; each thread adds
    every site, in order, on its own rows (a site's horizon is swept once and shared), so
    the grids do not depend on the number of threads.

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
    threads : int, optional
        Threads (default :func:`planner._threads.usable_threads`, one when ``chunk_cells``
        is below :data:`MIN_THREADED_CHUNK`); the result does not depend on it.

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
        fcs,
        sectors["azimuth_deg"].to_numpy(np.float32) if len(sectors) else np.zeros(0, np.float32),
    )
    acc = _Accumulator(max(1, len(bands)), len(heights), tuple(shape))
    jobs = _site_jobs(sites, sectors)
    if threads is None:
        threads = usable_threads() if cfg.chunk_cells >= MIN_THREADED_CHUNK else 1
    _add_sites(model, acc, jobs, threads)
    return _finish(model, acc, sectors, sites)
