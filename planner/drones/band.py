"""Coarse-to-fine free-mode routing: coarse-lattice routes, full-resolution search in a band."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage, sparse
from scipy.sparse import csgraph

from planner.drones.lattice import (
    Routes,
    extract_paths,
    lattice_lengths,
    reweight,
)

log = logging.getLogger(__name__)

__all__ = [
    "BAND_CELLS",
    "BOUND_FACTOR",
    "COARSE_FACTOR",
    "BandLattice",
    "Certificate",
    "band_lattice",
    "band_routes",
    "component_graph",
    "lower_bounds",
    "sub_lattice",
]

#: Coarse cell = COARSE_FACTOR × COARSE_FACTOR fine cells.
COARSE_FACTOR = 4
#: Band half-width around the coarse route, in fine cells (rounded up to whole coarse cells).
BAND_CELLS = 40
#: Block side (fine cells) of the lower-bound lattice of the certificate.
BOUND_FACTOR = 8
#: Fine neighbour offsets in increasing flat-index order (so CSR rows come out sorted).
_SORTED_OFFSETS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))


@dataclass
class Certificate:
    """How far band-restricted corridors may be from the full-resolution optimum.

    For each routed pair the search region's sweep also gives a lower bound on every path
    that leaves the region: ``min over region-edge cells b of d_region(s, b) + h(b, t)``
    (the prefix up to the first region-edge cell stays inside the region; ``h`` is a proven
    lower bound on the cost from ``b`` to ``t``, :func:`lower_bounds`). A pair whose cost is
    at most that bound is optimal; otherwise ``cost / bound - 1`` bounds its gap.
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


def _block_min(values: np.ndarray, f: int) -> np.ndarray:
    """Least value of each ``f × f`` block (inf-padded at the far edges)."""
    nr, nc = values.shape
    cr, cc = -(-nr // f), -(-nc // f)
    pad = np.full((cr * f, cc * f), np.inf)
    pad[:nr, :nc] = values
    return pad.reshape(cr, f, cc, f).min(axis=(1, 3))


def band_lattice(
    risk: np.ndarray, blocked: np.ndarray, resolution_m: float, hubs: np.ndarray
) -> BandLattice:
    """Build the coarse lattice and the fine components.

    A coarse block is blocked only when all its fine cells are (a block with any free cell
    stays open, so no fine passage is closed), and its risk is the least risk of its free
    cells, so coarse routes see every low-risk gap the fine lattice has.

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
    risk = np.asarray(risk, dtype=float)
    crisk = _block_min(np.where(blocked, np.inf, risk), f)
    cblocked = ~np.isfinite(crisk)
    crisk[cblocked] = 0.0
    labels, _ = ndimage.label(~blocked)
    return BandLattice(
        blocked=blocked,
        risk=risk,
        resolution_m=resolution_m,
        factor=f,
        coarse_len=lattice_lengths(crisk.shape, cblocked, resolution_m * f),
        coarse_risk=crisk,
        coarse_shape=crisk.shape,
        labels=labels.ravel(),
        sizes=np.bincount(labels.ravel()),
        rmin=float(risk[~blocked].min(initial=0.0)),
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

    Built row by row in sorted order (no sparse conversion or sort).

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
        neighbour outside ``cells`` (a region-edge cell).
    """
    nr, nc = blocked.shape
    free = ~blocked.ravel()
    if local is None:
        local = np.full(blocked.size, -1, dtype=np.int64)
    m = len(cells)
    local[cells] = np.arange(m)
    r, c = np.divmod(cells, nc)
    nbr = np.full((m, 8), -1, dtype=local.dtype)
    edge = np.zeros(m, dtype=bool)
    for k, (dr, dc) in enumerate(_SORTED_OFFSETS):
        ok = (r + dr >= 0) & (r + dr < nr) & (c + dc >= 0) & (c + dc < nc)
        nb = np.where(ok, cells + dr * nc + dc, 0)
        ok &= free[nb]
        if dr and dc:
            ok &= free[np.where(ok, cells + dr * nc, 0)] & free[np.where(ok, cells + dc, 0)]
        pos = local[nb]
        inside = ok & (pos >= 0)
        edge |= ok & ~inside
        nbr[inside, k] = pos[inside]
    local[cells] = -1
    has = nbr >= 0
    lengths = resolution_m * np.array(
        [np.sqrt(2.0) if dr and dc else 1.0 for dr, dc in _SORTED_OFFSETS]
    )
    indptr = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(has.sum(axis=1), out=indptr[1:])
    data = np.broadcast_to(lengths, (m, 8))[has]
    g = sparse.csr_matrix((data, nbr[has], indptr), shape=(m, m))
    return g, edge


def _window_bound_graph(kappa_w: np.ndarray, step: float) -> sparse.csr_matrix:
    """Undirected 8-connected graph of blocks, Chebyshev steps at the lesser window factor.

    ``kappa_w`` is the least cost factor over each block's 5 × 5 window (inf: all blocked);
    an edge between two finite blocks costs ``step × min`` of their factors (no corner rule).
    """
    cr, cc = kappa_w.shape
    idx = np.arange(cr * cc, dtype=np.int64).reshape(cr, cc)
    rows, cols, data = [], [], []
    for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
        r0, r1 = 0, cr - dr
        c0, c1 = max(0, -dc), cc - max(0, dc)
        if r1 <= r0 or c1 <= c0:
            continue
        a = kappa_w[r0:r1, c0:c1]
        b = kappa_w[r0 + dr : r1 + dr, c0 + dc : c1 + dc]
        ok = np.isfinite(a) & np.isfinite(b)
        u, v = idx[r0:r1, c0:c1][ok], idx[r0 + dr : r1 + dr, c0 + dc : c1 + dc][ok]
        cost = step * np.minimum(a[ok], b[ok])
        rows += [u, v]
        cols += [v, u]
        data += [cost, cost]
    n = cr * cc
    if not rows:
        return sparse.csr_matrix((n, n))
    return sparse.csr_matrix(
        (np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
    )


def lower_bounds(lat: BandLattice, w: float, cells: np.ndarray) -> np.ndarray:
    """Proven lower bounds on the full-resolution cost to each of ``cells``, per block.

    Blocks of ``F = BOUND_FACTOR`` fine cells; ``k(B)`` is the least cost factor
    ``1 + w × risk`` over the free cells of the 5 × 5 blocks around ``B``. Follow any fine
    path with a tracker block ``C`` (first the path's own block) that moves one block (8
    ways) along every axis where the path is more than ``F/2`` cells from ``C``'s centre,
    whenever it gets more than ``1.5 F`` cells away along some axis. Between two moves the
    path makes at least ``F`` steps, all on free cells of ``C``'s window, so it pays at least
    ``F × resolution × k(C)``; and it ends within 2 blocks of its target's block. So the
    distance on the block graph with those edge costs (Chebyshev steps, the lesser ``k`` of
    the two ends) from the target's 5 × 5 blocks is a lower bound on the fine cost.

    Returns
    -------
    numpy.ndarray
        ``(len(cells), blocks)`` bound from each block (flat, ``BOUND_FACTOR`` grid) to each
        cell.
    """
    f = BOUND_FACTOR
    kappa = _block_min(np.where(lat.blocked, np.inf, 1.0 + w * lat.risk), f)
    kw = ndimage.minimum_filter(kappa, size=5, mode="constant", cval=np.inf)
    g = _window_bound_graph(kw, f * lat.resolution_m)
    cr, cc = kw.shape
    tr, tc = np.divmod(np.asarray(cells, dtype=np.int64), lat.blocked.shape[1])
    out = np.empty((len(cells), cr * cc))
    d = np.arange(-2, 3)
    for n, (r, c) in enumerate(zip(tr // f, tc // f, strict=True)):
        rr, ccs = np.meshgrid(np.clip(r + d, 0, cr - 1), np.clip(c + d, 0, cc - 1))
        seeds = np.unique(rr.ravel() * cc + ccs.ravel())
        out[n] = csgraph.dijkstra(g, directed=False, indices=seeds, min_only=True)
    return out


def _octile(a: np.ndarray, t: int, nc: int, res: float) -> np.ndarray:
    """Octile distance (m) from cells ``a`` to cell ``t``: the lattice's shortest length."""
    ra, ca = np.divmod(a, nc)
    rt, ct = divmod(int(t), nc)
    dy, dx = np.abs(ra - rt), np.abs(ca - ct)
    return res * (np.maximum(dx, dy) + (np.sqrt(2.0) - 1) * np.minimum(dx, dy))


@dataclass
class _Region:
    """A search region: its free cells, lattice and per-edge mean risk."""

    cells: np.ndarray  #: sorted flat free cells
    g_len: sparse.csr_matrix  #: edge lengths between local nodes
    edge: np.ndarray  #: region-edge cell (a free neighbour outside)
    mid: np.ndarray  #: mean risk of each edge's two cells
    full: bool  #: the region is the whole connected component


def _region(lat: BandLattice, cells: np.ndarray, full: bool) -> _Region:
    """Return the search region over ``cells``."""
    g_len, edge = sub_lattice(cells, lat.blocked, lat.resolution_m, lat.local)
    r = lat.risk.ravel()[cells]
    mid = 0.5 * (np.repeat(r, np.diff(g_len.indptr)) + r[g_len.indices])
    return _Region(cells, g_len, edge, mid, full)


@dataclass
class _Sweep:
    """One Dijkstra from a source inside a region, at one weight."""

    cost: np.ndarray  #: cost to each target (inf: not reached)
    paths: list  #: fine path (flat cells) of each reached target
    dist: np.ndarray  #: cost to every region cell (inf beyond ``limit``)
    limit: float  #: the search stopped at this cost


def _sweep(reg: _Region, w: float, src: int, targets: np.ndarray, limit: float = np.inf) -> _Sweep:
    """Dijkstra from ``src`` to ``targets`` inside ``reg`` at risk weight ``w``, up to ``limit``.

    ``limit`` at least each target's optimum in the region loses no route (a known path's
    cost, for instance).
    """
    g = sparse.csr_matrix(
        (reg.g_len.data * (1.0 + w * reg.mid), reg.g_len.indices, reg.g_len.indptr),
        shape=reg.g_len.shape,
    )
    loc = np.searchsorted(reg.cells, np.append(targets, src))
    dist, pred = csgraph.dijkstra(g, indices=loc[-1:], return_predecessors=True, limit=limit)
    cost = dist[0, loc[:-1]]
    ok = np.isfinite(cost)
    paths = extract_paths(pred, np.zeros(int(ok.sum()), dtype=np.int64), loc[:-1][ok])
    it = iter(reg.cells[p] for p in paths)
    return _Sweep(cost, [next(it) if o else None for o in ok], dist[0], limit)


def _block_cells(lat: BandLattice, mask: np.ndarray, r0: int = 0, c0: int = 0) -> np.ndarray:
    """Sorted free fine cells of the coarse blocks flagged in ``mask`` (offset ``r0, c0``)."""
    f = lat.factor
    br, bc = np.nonzero(mask)
    nr, nc = lat.blocked.shape
    fr = ((br + r0) * f)[:, None, None] + np.arange(f)[None, :, None]
    fc = ((bc + c0) * f)[:, None, None] + np.arange(f)[None, None, :]
    fr, fc = np.broadcast_arrays(fr, fc)
    ok = (fr < nr) & (fc < nc)
    cells = fr[ok] * nc + fc[ok]
    return np.sort(cells[~lat.blocked.ravel()[cells]])


def _band_cells(lat: BandLattice, coarse_paths: list[np.ndarray], half: int) -> np.ndarray:
    """Sorted free fine cells within ``half`` coarse cells (Chebyshev) of any coarse path."""
    cr, cc = lat.coarse_shape
    pr, pc = np.divmod(np.concatenate(coarse_paths), cc)
    r0, r1 = max(int(pr.min()) - half, 0), min(int(pr.max()) + half + 1, cr)
    c0, c1 = max(int(pc.min()) - half, 0), min(int(pc.max()) + half + 1, cc)
    mask = np.zeros((r1 - r0, c1 - c0), dtype=np.uint8)
    mask[pr - r0, pc - c0] = 1
    mask = ndimage.maximum_filter(mask, size=2 * half + 1, mode="constant")
    return _block_cells(lat, mask, r0, c0)


@dataclass
class _Coarse:
    """All-pairs routes of one risk weight on the coarse lattice."""

    dist: np.ndarray  #: ``(hubs, blocks)`` coarse cost from each hub's block
    paths: dict[tuple[int, int], np.ndarray]  #: coarse block sequence per pair ``i < j``


def _coarse(lat: BandLattice, chubs: np.ndarray, w: float) -> _Coarse:
    """Route all hub pairs on the coarse lattice at risk weight ``w``."""
    g = reweight(lat.coarse_len, lat.coarse_risk, w)
    dist, pred = csgraph.dijkstra(g, indices=chubs, return_predecessors=True)
    k = len(chubs)
    ii, jj = np.triu_indices(k, 1)
    ok = np.isfinite(dist[ii, chubs[jj]])
    seqs = extract_paths(pred, ii[ok], chubs[jj[ok]])
    paths = {(int(i), int(j)): s for i, j, s in zip(ii[ok], jj[ok], seqs, strict=True)}
    return _Coarse(dist.astype(np.float32), paths)


def band_routes(lat: BandLattice, hubs: np.ndarray, weights: list[float]) -> dict[float, Routes]:
    """Routes between all hub pairs at each risk weight, coarse to fine.

    Each weight routes all pairs on the coarse lattice. Then, per source hub, one
    full-resolution region is searched for all its targets and weights: first the union of
    the bands around its coarse routes; then, grown by every coarse block whose coarse
    cost through it (from the source plus to the target) is at most the pair's band cost
    (the coarse lattice's least-risk costs rarely exceed the fine ones, so this catches a
    cheaper corridor the coarse route missed), and a 4× wider band for a target not reached;
    finally the hub's whole component for a target still not reached. Adds the pairs'
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
    coarse = {w: _coarse(lat, chubs, w) for w in out}
    bounds: dict[float, np.ndarray] = {}
    for i in range(k - 1):
        comp = lat.labels[hubs[i]]
        same = [j for j in range(i + 1, k) if lat.labels[hubs[j]] == comp > 0]
        if same:
            for w, (reg, sw) in _search_source(lat, coarse, hubs, i, same).items():
                if w not in bounds and not reg.full:
                    bounds[w] = lower_bounds(lat, w, hubs)
                _record(lat, reg, sw, w, i, same, out[w], bounds.get(w))
    return out


def _search_source(
    lat: BandLattice, coarse: dict[float, _Coarse], hubs: np.ndarray, i: int, same: list[int]
) -> dict[float, tuple[_Region, _Sweep]]:
    """Search hub ``i``'s targets ``same`` at every weight: band, grown region, component.

    Returns each weight's search region and sweep; a weight whose grown region adds no cell
    to the band keeps its band sweep.
    """
    half = -(-BAND_CELLS // lat.factor)
    cps = [coarse[w].paths[(i, j)] for w in coarse for j in same]
    reg = _region(lat, _band_cells(lat, cps, half), False)
    out = {w: (reg, _sweep(reg, w, int(hubs[i]), hubs[same])) for w in coarse}
    inside = np.zeros(lat.blocked.size, dtype=bool)
    inside[reg.cells] = True
    grow = {}
    for w in coarse:
        cells = _grown_cells(lat, coarse[w], i, same, out[w][1], half)
        if not inside[cells].all():
            grow[w] = cells
    if grow:
        for cells in grow.values():
            inside[cells] = True
        reg = _region(lat, np.flatnonzero(inside), False)
        for w in grow:
            limit = float(out[w][1].cost.max()) * (1 + 1e-9)  # the band routes' costs
            out[w] = (reg, _sweep(reg, w, int(hubs[i]), hubs[same], limit))
    if any(not np.isfinite(s.cost).all() for _, s in out.values()):
        comp = _region(lat, np.flatnonzero(lat.labels == lat.labels[hubs[i]]), True)
        out = {w: (comp, _sweep(comp, w, int(hubs[i]), hubs[same])) for w in coarse}
    return out


def _grown_cells(
    lat: BandLattice, cw: _Coarse, i: int, same: list[int], sw: _Sweep, half: int
) -> np.ndarray:
    """Free cells of the blocks whose coarse cost through them is within the band cost.

    A block ``B`` is added for pair ``(i, j)`` when ``D_i(B) + D_j(B)`` on the coarse
    lattice is at most the pair's band cost (dilated by one block); a target the band did
    not reach adds a 4× wider band around its coarse route instead.
    """
    shape = lat.coarse_shape
    mask = np.zeros(shape[0] * shape[1], dtype=bool)
    wide = []
    for n, j in enumerate(same):
        u = sw.cost[n]
        if np.isfinite(u):
            mask |= cw.dist[i] + cw.dist[j] <= u * (1 + 1e-6)
        else:
            wide.append(cw.paths[(i, j)])
    mask = ndimage.maximum_filter(mask.reshape(shape), size=3, mode="constant")
    cells = _block_cells(lat, mask)
    if wide:
        cells = np.concatenate([cells, _band_cells(lat, wide, 4 * half)])
    return cells


def _record(
    lat: BandLattice,
    reg: _Region,
    sw: _Sweep,
    w: float,
    i: int,
    same: list[int],
    routes: Routes,
    bounds: np.ndarray | None,
) -> None:
    """Store hub ``i``'s routes at weight ``w`` and their optimality bounds."""
    lb = (
        np.full(len(same), np.inf)
        if reg.full
        else _outside_bound(lat, reg, sw, w, (routes.hubs, same), bounds)
    )
    for n, j in enumerate(same):
        cj = sw.cost[n]
        if not np.isfinite(cj):
            continue
        routes.cost[i, j] = routes.cost[j, i] = cj
        routes.paths[(i, j)] = sw.paths[n]
        gap = 0.0 if cj <= lb[n] else cj / max(lb[n], 1e-12) - 1
        lat.certificate.gaps[(w, i, j)] = float(gap)


def _outside_bound(
    lat: BandLattice,
    reg: _Region,
    sw: _Sweep,
    w: float,
    targets: tuple[np.ndarray, list[int]],
    bounds: np.ndarray,
) -> np.ndarray:
    """Lower bound per target on every path that leaves the region.

    ``min over region-edge cells b of d(s, b) + h(b, t)``, with ``h`` the larger of the
    octile length at the least cost factor and the block bound of :func:`lower_bounds`.
    """
    hubs, same = targets
    b = np.flatnonzero(reg.edge & np.isfinite(sw.dist))
    if not len(b):
        return np.full(len(same), sw.limit)
    cells = reg.cells[b]
    nc, f = lat.blocked.shape[1], BOUND_FACTOR
    r, c = np.divmod(cells, nc)
    blk = (r // f) * (-(-nc // f)) + c // f
    out = np.empty(len(same))
    for n, j in enumerate(same):
        octile = _octile(cells, int(hubs[j]), nc, lat.resolution_m)
        h = np.maximum(octile * (1 + w * lat.rmin), bounds[j, blk])
        out[n] = float((sw.dist[b] + h).min())
    # a path through a region-edge cell the search did not reach costs more than the limit
    return np.minimum(out, sw.limit)
