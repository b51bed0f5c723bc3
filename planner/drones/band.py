"""Coarse-to-fine free-mode routing: coarse-lattice routes, full-resolution search in a band."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage, sparse
from scipy.sparse import csgraph

from planner.drones.lattice import (
    OFFSETS,
    Routes,
    extract_paths,
    lattice_lengths,
    reweight,
    route_hubs,
)

log = logging.getLogger(__name__)

__all__ = [
    "BAND_CELLS",
    "COARSE_FACTOR",
    "BandLattice",
    "Certificate",
    "band_lattice",
    "band_routes",
    "component_graph",
    "sub_lattice",
]

#: Coarse cell = COARSE_FACTOR × COARSE_FACTOR fine cells.
COARSE_FACTOR = 4
#: Band half-width around the coarse route, in fine cells (rounded up to whole coarse cells).
BAND_CELLS = 40


@dataclass
class Certificate:
    """How far band-restricted corridors may be from the full-resolution optimum.

    For each routed pair the band search also gives a lower bound on every path that leaves
    the band: ``min over band-edge cells b of d_band(s, b) + h(b, t)`` (the prefix up to the
    first band-edge cell stays inside the band; ``h`` is the octile distance times the least
    cost factor, admissible). A pair whose band cost is at most that bound is optimal.
    """

    #: ``(weight, i, j)`` -> bound on ``cost / optimum - 1`` of the pair's route (0: proven)
    gaps: dict[tuple[float, int, int], float] = field(default_factory=dict)

    @property
    def pairs(self) -> int:
        """Pairs routed (all weights)."""
        return len(self.gaps)

    @property
    def proven(self) -> int:
        """Pairs proven optimal at full resolution."""
        return sum(g == 0 for g in self.gaps.values())

    @property
    def max_gap(self) -> float:
        """Largest bound on ``cost / optimum - 1`` over all pairs (0 when all are proven)."""
        return max(self.gaps.values(), default=0.0)


@dataclass
class BandLattice:
    """The fine grid, its coarse version and the fine connected components."""

    blocked: np.ndarray  #: fine blocked mask (2-D)
    risk: np.ndarray  #: fine routing risk (2-D)
    resolution_m: float
    factor: int  #: coarse factor
    coarse_len: sparse.csr_matrix  #: coarse lattice lengths
    coarse_risk: np.ndarray  #: coarse risk (least over the free cells of a block)
    coarse_shape: tuple[int, int]
    labels: np.ndarray  #: fine 4-connected component label per flat cell (0: blocked)
    sizes: np.ndarray  #: cells per component label
    rmin: float  #: least routing risk of a free cell
    local: np.ndarray  #: scratch flat-cell -> local-node map (-1 outside the current band)
    certificate: Certificate = field(default_factory=Certificate)


def band_lattice(
    risk: np.ndarray, blocked: np.ndarray, resolution_m: float, hubs: np.ndarray
) -> BandLattice:
    """Build the coarse lattice (hub blocks kept open) and the fine components.

    Parameters
    ----------
    risk, blocked : numpy.ndarray
        Fine routing risk and blocked mask.
    resolution_m : float
        Fine cell size (m).
    hubs : numpy.ndarray
        Fine flat cell of each hub.
    """
    f = COARSE_FACTOR
    nr, nc = blocked.shape
    cr, cc = -(-nr // f), -(-nc // f)
    free = np.zeros((cr * f, cc * f), dtype=np.float32)
    free[:nr, :nc] = ~blocked
    rmin = np.full_like(free, np.inf)
    rmin[:nr, :nc] = np.where(blocked, np.inf, risk)
    nfree = free.reshape(cr, f, cc, f).sum(axis=(1, 3))
    crisk = rmin.reshape(cr, f, cc, f).min(axis=(1, 3)).astype(float)
    crisk[~np.isfinite(crisk)] = 0.0
    cblocked = nfree < 0.5 * f * f
    hr, hc = np.divmod(np.asarray(hubs, dtype=np.int64), nc)
    cblocked[hr // f, hc // f] = False
    labels, _ = ndimage.label(~blocked)
    return BandLattice(
        blocked=blocked,
        risk=np.asarray(risk, dtype=float),
        resolution_m=resolution_m,
        factor=f,
        coarse_len=lattice_lengths((cr, cc), cblocked, resolution_m * f),
        coarse_risk=crisk,
        coarse_shape=(cr, cc),
        labels=labels.ravel(),
        sizes=np.bincount(labels.ravel()),
        rmin=float(np.asarray(risk)[~blocked].min(initial=0.0)),
        local=np.full(blocked.size, -1, dtype=np.int32 if blocked.size < 2**31 else np.int64),
    )


def component_graph(labels: np.ndarray) -> sparse.csr_matrix:
    """Return a star graph with the fine lattice's connected components (one edge per free cell).

    The 8-connected lattice without corner cutting has the 4-connected components of the
    free cells; each free cell links to the first cell of its component.
    """
    n = labels.size
    free = np.flatnonzero(labels > 0)
    _, first = np.unique(labels[free], return_index=True)
    root = free[first][labels[free] - 1]
    return sparse.csr_matrix((np.ones(free.size), (free, root)), shape=(n, n))


def sub_lattice(
    cells: np.ndarray, blocked: np.ndarray, resolution_m: float, local: np.ndarray | None = None
) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Return the lattice restricted to sorted free ``cells`` (local node ``k`` = ``cells[k]``).

    Parameters
    ----------
    cells : numpy.ndarray
        Sorted flat indices of free cells.
    blocked : numpy.ndarray
        Blocked mask of the whole grid.
    resolution_m : float
        Cell size (m).
    local : numpy.ndarray, optional
        Scratch array of ``blocked.size`` filled with -1 (left so on return).

    Returns
    -------
    (scipy.sparse.csr_matrix, numpy.ndarray)
        Edge lengths between local nodes (the same edges as
        :func:`~planner.drones.lattice.lattice_lengths`), and a bool per cell: it has a free
        neighbour outside ``cells`` (a band-edge cell).
    """
    nr, nc = blocked.shape
    free = ~blocked.ravel()
    if local is None:
        local = np.full(blocked.size, -1, dtype=np.int64)
    local[cells] = np.arange(len(cells))
    r, c = np.divmod(cells, nc)
    rows, cols, data = [], [], []
    edge = np.zeros(len(cells), dtype=bool)
    for dr, dc in OFFSETS:
        ok = (r + dr >= 0) & (r + dr < nr) & (c + dc >= 0) & (c + dc < nc)
        nb = np.where(ok, cells + dr * nc + dc, 0)
        ok &= free[nb]
        if dr and dc:
            ok &= free[np.where(ok, cells + dr * nc, 0)] & free[np.where(ok, cells + dc, 0)]
        pos = local[nb]
        inside = ok & (pos >= 0)
        edge |= ok & ~inside
        rows.append(np.flatnonzero(inside))
        cols.append(pos[inside])
        data.append(np.full(rows[-1].size, resolution_m * (np.sqrt(2.0) if dr and dc else 1.0)))
    local[cells] = -1
    m = len(cells)
    g = sparse.csr_matrix(
        (np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))), shape=(m, m)
    )
    g.sort_indices()
    return g, edge


def _band_cells(lat: BandLattice, coarse_paths: list[np.ndarray], half: int) -> np.ndarray:
    """Sorted free fine cells within ``half`` coarse cells (Chebyshev) of any coarse path."""
    f = lat.factor
    cr, cc = lat.coarse_shape
    pr, pc = np.divmod(np.concatenate(coarse_paths), cc)
    r0, r1 = max(int(pr.min()) - half, 0), min(int(pr.max()) + half + 1, cr)
    c0, c1 = max(int(pc.min()) - half, 0), min(int(pc.max()) + half + 1, cc)
    mask = np.zeros((r1 - r0, c1 - c0), dtype=np.uint8)
    mask[pr - r0, pc - c0] = 1
    mask = ndimage.maximum_filter(mask, size=2 * half + 1, mode="constant")
    br, bc = np.nonzero(mask)
    nr, nc = lat.blocked.shape
    fr = ((br + r0) * f)[:, None, None] + np.arange(f)[None, :, None]
    fc = ((bc + c0) * f)[:, None, None] + np.arange(f)[None, None, :]
    fr, fc = np.broadcast_arrays(fr, fc)
    ok = (fr < nr) & (fc < nc)
    cells = fr[ok] * nc + fc[ok]
    return np.sort(cells[~lat.blocked.ravel()[cells]])


def _octile(a: np.ndarray, t: int, nc: int, res: float) -> np.ndarray:
    """Octile distance (m) from cells ``a`` to cell ``t``: the lattice's shortest length."""
    ra, ca = np.divmod(a, nc)
    rt, ct = divmod(int(t), nc)
    dy, dx = np.abs(ra - rt), np.abs(ca - ct)
    return res * (np.maximum(dx, dy) + (np.sqrt(2.0) - 1) * np.minimum(dx, dy))


def _sweep(
    lat: BandLattice,
    band: tuple[np.ndarray, sparse.csr_matrix, np.ndarray, np.ndarray],
    w: float,
    src: int,
    targets: np.ndarray,
) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """Dijkstra from ``src`` inside a band: costs, paths and out-of-band lower bounds.

    ``band`` is ``(cells, edge lengths, band-edge mask, mean risk of each edge)``.
    """
    cells, g_len, edge, mid = band
    g = sparse.csr_matrix(
        (g_len.data * (1.0 + w * mid), g_len.indices, g_len.indptr), shape=g_len.shape
    )
    loc = np.searchsorted(cells, np.append(targets, src))
    dist, pred = csgraph.dijkstra(g, indices=loc[-1:], return_predecessors=True)
    cost = dist[0, loc[:-1]]
    ok = np.isfinite(cost)
    paths = extract_paths(pred, np.zeros(int(ok.sum()), dtype=np.int64), loc[:-1][ok])
    paths = [cells[p] for p in paths]
    b = np.flatnonzero(edge & np.isfinite(dist[0]))
    nc = lat.blocked.shape[1]
    lb = np.array(
        [
            (dist[0, b] + _octile(cells[b], t, nc, lat.resolution_m) * (1 + w * lat.rmin)).min(
                initial=np.inf
            )
            for t in targets
        ]
    )
    return cost, paths, lb


def band_routes(lat: BandLattice, hubs: np.ndarray, weights: list[float]) -> dict[float, Routes]:
    """Routes between all hub pairs at each risk weight, coarse to fine.

    Each weight routes all pairs on the coarse lattice; then, per source hub, one
    full-resolution lattice is built over the union of the bands around its coarse routes at
    all weights, and one Dijkstra per weight runs inside it (the band widened 4×, and finally
    to the hub's whole component, for a target it does not reach). Adds the pairs'
    optimality bounds to ``lat.certificate``.

    Parameters
    ----------
    lat : BandLattice
        From :func:`band_lattice`.
    hubs : numpy.ndarray
        Fine flat cell of each hub.
    weights : list of float
        Risk weights.

    Returns
    -------
    dict
        Risk weight -> :class:`~planner.drones.lattice.Routes`.
    """
    hubs = np.asarray(hubs, dtype=np.int64)
    k = len(hubs)
    out = {}
    for w in weights:
        cost = np.full((k, k), np.inf)
        cost[np.diag_indices(k)] = 0.0
        out[w] = Routes(hubs, cost, {})
    if k < 2:
        return out
    nc, f, ccols = lat.blocked.shape[1], lat.factor, lat.coarse_shape[1]
    hr, hc = np.divmod(hubs, nc)
    chubs = (hr // f) * ccols + hc // f
    coarse = {w: route_hubs(reweight(lat.coarse_len, lat.coarse_risk, w), chubs) for w in out}
    half = -(-BAND_CELLS // f)
    for i in range(k - 1):
        comp = lat.labels[hubs[i]]
        same = [j for j in range(i + 1, k) if lat.labels[hubs[j]] == comp > 0]
        todo = {w: list(same) for w in out}
        for width in (half, 4 * half, None):
            live = [w for w in out if todo[w]]
            if not live:
                break
            cps = [coarse[w].paths.get((i, j)) for w in live for j in todo[w]]
            if width is None or any(p is None for p in cps):
                cells = np.flatnonzero(lat.labels == comp)
            else:
                cells = _band_cells(lat, cps, width)
            g_len, edge = sub_lattice(cells, lat.blocked, lat.resolution_m, lat.local)
            r = lat.risk.ravel()[cells]
            mid = 0.5 * (np.repeat(r, np.diff(g_len.indptr)) + r[g_len.indices])
            band = (cells, g_len, edge, mid)
            for w in live:
                todo[w] = _route_source(lat, band, w, i, todo[w], out[w])
    return out


def _route_source(
    lat: BandLattice,
    band: tuple[np.ndarray, sparse.csr_matrix, np.ndarray, np.ndarray],
    w: float,
    i: int,
    todo: list[int],
    routes: Routes,
) -> list[int]:
    """Route hub ``i`` to ``todo`` inside ``band``; return the targets left unreached."""
    hubs = routes.hubs
    c, ps, lb = _sweep(lat, band, w, int(hubs[i]), hubs[todo])
    ok = np.isfinite(c)
    full = len(band[0]) == int(lat.sizes[lat.labels[hubs[i]]])
    it = iter(ps)
    for j, cj, lbj, okj in zip(todo, c, lb, ok, strict=True):
        if not okj:
            continue
        routes.cost[i, j] = routes.cost[j, i] = cj
        routes.paths[(i, j)] = next(it)
        gap = 0.0 if full or cj <= lbj else cj / max(lbj, 1e-12) - 1
        lat.certificate.gaps[(w, i, j)] = gap
    return [j for j, okj in zip(todo, ok, strict=True) if not okj]
