"""Received power of each site's sectors at chosen grid cells, as planner.radio computes it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
from affine import Affine

from planner._threads import thread_map, usable_threads
from planner.config.radio import RadioConfig
from planner.radio.analysis import radio_grid
from planner.radio.antenna import af_table, sector_gain_dbi
from planner.radio.coverage import (
    Link,
    antenna_for,
    distance_index,
    link_loss_db,
    noise_dbm_per_re,
    re_power_offset_db,
)
from planner.radio.los import (
    height_surface,
    horizon,
    horizon_extent,
    known_mask,
    max_obstacle_slope,
)

__all__ = [
    "Cells",
    "RadioScene",
    "SitePowers",
    "radio_scene",
    "site_powers",
    "site_powers_at",
    "coverage_of",
]


@dataclass
class Cells:
    """Grid cells to evaluate at one UE height: flat index, centre and weight (m or people)."""

    flat: np.ndarray
    x: np.ndarray
    y: np.ndarray
    weight: np.ndarray
    level: int


@dataclass
class RadioScene:
    """What a point evaluation needs of the radio grid: surface, blocking mask, bands."""

    cfg: RadioConfig
    transform: Affine
    shape: tuple[int, int]
    heights: list[float]
    surface: np.ndarray | None
    surface_transform: Affine | None
    det: np.ndarray | None
    bands: np.ndarray
    #: horizons by (x, y, antenna height, reach), kept while ``store`` is set (the existing
    #: sites): an upgrade candidate reuses its existing site's instead of sweeping again
    horizons: dict = field(default_factory=dict)
    store: bool = False
    #: array-factor tables by antenna (:func:`~planner.radio.antenna.af_table`), built once
    af_tables: dict = field(default_factory=dict)


@dataclass
class SitePowers:
    """Per site: best-sector and summed received power (mW/RE) per band at the cells.

    ``best`` and ``total`` have shape ``(sites, bands, cells)`` (float32).
    """

    best: np.ndarray
    total: np.ndarray


def radio_scene(
    city, cfg: RadioConfig, transform: Affine, shape, heights, bands: np.ndarray
) -> RadioScene:
    """Rebuild the building surface and blocking mask ``analyze_radio`` uses (same rules)."""
    surface = s_tr = det = None
    if cfg.blocking != "off":
        base = height_surface(city.buildings, transform, shape)
        res = cfg.surface_resolution_m or cfg.resolution_m
        surface, s_tr = base, transform
        if res != cfg.resolution_m:
            s_tr, s_shape = radio_grid(city, res)
            surface = height_surface(city.buildings, s_tr, s_shape)
        det = (
            np.ones(shape, dtype=bool)
            if cfg.blocking == "on"
            else known_mask(base, cfg.resolution_m, cfg.known_radius_m)
        )
        if not det.any():
            det = None
    return RadioScene(cfg, transform, tuple(shape), list(heights), surface, s_tr, det, bands)


def _range(scene: RadioScene, cells: Cells) -> float:
    """Range (m) of the sites at ``cells``' UE height (ground or aerial, as the radio model)."""
    cfg = scene.cfg
    return cfg.max_range_ground_m if scene.heights[cells.level] <= 22.5 else cfg.max_range_air_m


def _site_horizon(scene: RadioScene, site, cells_list: list[Cells]):
    """One horizon of ``site`` for every cell set: the radials its cells in range read.

    Only the radials at the azimuths of the cells in range, each as far as its farthest
    cell reads (:func:`~planner.radio.los.horizon_extent`: the same samples as a full sweep).
    None without a blocking surface or with no cell in range. Kept in ``scene.horizons``
    while ``scene.store`` is set (an upgrade candidate reuses its existing site's).
    """
    if scene.det is None or scene.surface is None:
        return None
    x0, y0, h_bs = float(site.geometry.x), float(site.geometry.y), float(site.height_m)
    reach, near = 0.0, []
    for cells in cells_list:
        rng = _range(scene, cells)
        dx, dy = (cells.x - x0).astype(np.float32), (cells.y - y0).astype(np.float32)
        d2d = np.hypot(dx, dy)
        ok = d2d <= rng
        if ok.any():
            near.append((dx[ok], dy[ok]))
            reach = max(reach, min(float(rng), float(d2d[ok].max()) + 2 * abs(scene.transform.a)))
    if reach <= 0.0:
        return None
    s_tr = scene.surface_transform
    dx, dy = (np.concatenate(v) for v in zip(*near, strict=True))
    az, lengths = horizon_extent(s_tr, reach, dx, dy, abs(s_tr.a))
    key = (x0, y0, h_bs, reach, az.tobytes(), lengths.tobytes())
    hz = scene.horizons.get(key)
    if hz is None:
        hz = horizon(scene.surface, s_tr, x0, y0, h_bs, reach, azimuths=az, lengths=lengths)
        if scene.store:
            scene.horizons[key] = hz
    return hz


def _site_cells(scene: RadioScene, site, secs, cells: Cells, band_index: np.ndarray, hz):
    """``(best, total)`` of one site's sectors (``secs``: their rows, as tuples) at ``cells``.

    The arrays have shape ``(bands, cells)``.
    Out of range the power is 0: the path loss, gains and powers are evaluated on the cells
    in range only (every step is per cell, so their values are those of a full-array pass).
    """
    cfg = scene.cfg
    h_ut = scene.heights[cells.level]
    x0, y0, h_bs = float(site.geometry.x), float(site.geometry.y), float(site.height_m)
    dx = (cells.x - x0).astype(np.float32)
    dy = (cells.y - y0).astype(np.float32)
    d2d = np.hypot(dx, dy)
    near = np.flatnonzero(d2d <= _range(scene, cells))
    nb = len(scene.bands)
    best = np.zeros((nb, d2d.size), np.float32)
    total = np.zeros((nb, d2d.size), np.float32)
    if near.size == 0:
        return best, total
    dx, dy, d2d = dx[near], dy[near], d2d[near]
    angle = np.arctan2(dx, dy)
    det = vis = None
    if hz is not None:
        slope = max_obstacle_slope(hz, dx, dy, abs(scene.surface_transform.a), d2d, angle)
        det = scene.det.ravel()[cells.flat[near]]
        vis = (np.float32(h_ut - h_bs) / np.maximum(d2d, 1e-3)) >= slope
    link = Link(dx, dy, d2d, h_bs, h_ut, str(site.scenario), distance_index(d2d))
    zen = np.degrees(np.arctan2(d2d, np.float32(h_ut - h_bs)))
    phi = np.degrees(angle)
    b_near = np.zeros((nb, near.size), np.float32)
    t_near = np.zeros((nb, near.size), np.float32)
    cache: dict[float, np.ndarray] = {}
    re_off = re_power_offset_db(cfg)
    for row, b in zip(secs, band_index, strict=True):
        fc = float(row.frequency_ghz)
        if fc not in cache:
            cache[fc] = link_loss_db(link, fc, cfg, det, vis)[0]
        ant = antenna_for(row, cfg)
        table = scene.af_tables.get(ant)
        if table is None:
            table = scene.af_tables[ant] = af_table(ant)
        g = sector_gain_dbi(ant, zen, phi - np.float32(row.azimuth_deg), table)
        re_dbm = np.float32(float(row.tx_power_dbm) - re_off)
        p = np.exp((re_dbm + g - cache[fc]) * np.float32(math.log(10) / 10))
        t_near[b] += p
        np.maximum(b_near[b], p, out=b_near[b])
    best[:, near], total[:, near] = b_near, t_near
    return best, total


def site_powers(
    scene: RadioScene, sites: gpd.GeoDataFrame, sectors: gpd.GeoDataFrame, cells: Cells
) -> SitePowers:
    """Received power of every site at ``cells`` (one array pass per sector, no per-cell loop).

    Parameters
    ----------
    scene : RadioScene
        From :func:`radio_scene`.
    sites, sectors : GeoDataFrame
        As built by :func:`planner.radio.sites.build_sites`.
    cells : Cells
        The cells and their UE height level.

    Returns
    -------
    SitePowers

    """
    return site_powers_at(scene, sites, sectors, [cells])[0]


def site_powers_at(
    scene: RadioScene,
    sites: gpd.GeoDataFrame,
    sectors: gpd.GeoDataFrame,
    cells_list: list[Cells],
    threads: int | None = None,
) -> list[SitePowers]:
    """:func:`site_powers` at several cell sets, one horizon sweep per site for all of them.

    Each site's horizon reaches its farthest cell in range over all the sets (the radio
    model also sweeps one horizon per site for all its heights), so a site costs one sweep
    instead of one per set; a set nearer than the farthest one reads the same running
    maximum on radials at a finer azimuth step. Only the radials at the azimuths of the
    cells in range are swept (the same samples, so the same slopes, as a full sweep). The
    sites run in threads: each writes only its own rows of the result.

    Parameters
    ----------
    scene, sites, sectors
        See :func:`site_powers`.
    cells_list : list of Cells
        The cell sets, each at its own UE height level.
    threads : int, optional
        Threads (default :func:`planner._threads.usable_threads`); the result does not
        depend on it.

    Returns
    -------
    list of SitePowers
        One per cell set, in order.

    """
    n, nb = len(sites), len(scene.bands)
    out = [
        SitePowers(
            np.zeros((n, nb, c.flat.size), np.float32), np.zeros((n, nb, c.flat.size), np.float32)
        )
        for c in cells_list
    ]
    if n == 0:
        return out
    fcs = np.round(sectors["frequency_ghz"].to_numpy(float), 4)
    band_index = np.searchsorted(scene.bands, fcs)
    live = [c for c in cells_list if c.flat.size]
    # the rows as tuples, taken once here: the threads read no frame (and no row lookups)
    site_rows = list(sites.itertuples(index=False))
    sector_rows = list(sectors.itertuples(index=False))
    work = []
    for s, idx in sectors.groupby("site").indices.items():
        idx = np.sort(idx)
        work.append((int(s), site_rows[int(s)], [sector_rows[i] for i in idx], band_index[idx]))

    def one(item) -> None:
        s, site, secs, b_idx = item
        hz = _site_horizon(scene, site, live) if live else None
        for c, p in zip(cells_list, out, strict=True):
            if c.flat.size:
                p.best[s], p.total[s] = _site_cells(scene, site, secs, c, b_idx, hz)

    thread_map(one, work, usable_threads() if threads is None else threads, "site-powers")
    return out


def coverage_of(cfg: RadioConfig, best: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Covered cells from per-band best and total power ``(..., bands, cells)``: RSRP and SINR.

    The serving band is the one with the best RSRP; SINR counts every other sector on it,
    scaled by ``interference_load`` (as :mod:`planner.radio.coverage`; median, no margin).
    Leading axes (e.g. a block of candidates) are evaluated together, cell by cell.
    """
    b = np.argmax(best, axis=-2)[..., None, :]
    bb = np.take_along_axis(best, b, axis=-2)[..., 0, :]
    tt = np.take_along_axis(total, b, axis=-2)[..., 0, :]
    noise = 10 ** (noise_dbm_per_re(cfg) / 10)
    interf = cfg.interference_load * np.maximum(tt - bb, 0.0)
    has = bb > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        rsrp = np.where(has, 10 * np.log10(bb), -np.inf)
        sinr = np.where(has, 10 * np.log10(bb / (interf + noise)), -np.inf)
    return has & (rsrp >= cfg.rsrp_min_dbm) & (sinr >= cfg.sinr_min_db)
