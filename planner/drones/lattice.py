"""Free-mode drone routing over a raster: an 8-connected lattice as a scipy CSR graph."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
from affine import Affine
from scipy import sparse
from scipy.sparse import csgraph

from planner.errors import AnalysisError

__all__ = [
    "OFFSETS",
    "ROUTER_ENV",
    "router_method",
    "Routes",
    "cell_centres",
    "component_sizes",
    "extract_paths",
    "lattice_graph",
    "lattice_lengths",
    "path_measures",
    "reweight",
    "route_hubs",
    "select_by_budget",
    "xy_to_cell",
]

#: The 8 neighbour offsets (row, col); the first four are orthogonal.
OFFSETS = ((0, 1), (1, 0), (0, -1), (-1, 0), (1, 1), (1, -1), (-1, 1), (-1, -1))

#: Environment variable choosing the free-mode router: ``astar`` (default, one A* search per
#: hub pair and weight) or ``exact`` (one full-lattice Dijkstra per hub and weight, the
#: pre-issue-15 method).
ROUTER_ENV = "PLANNER_DRONE_ROUTER"


def router_method(method: str | None = None) -> str:
    """Return the free-mode router: ``method``, else ``$PLANNER_DRONE_ROUTER``, else ``astar``.

    Raises
    ------
    AnalysisError
        For an unknown router name.
    """
    method = method or os.environ.get(ROUTER_ENV) or "astar"
    if method not in ("astar", "exact"):
        raise AnalysisError(f"{ROUTER_ENV}: unknown router {method!r} (astar or exact)")
    return method


def lattice_graph(
    risk: np.ndarray,
    blocked: np.ndarray | None = None,
    resolution_m: float = 1.0,
    risk_weight: float = 1.0,
    diagonal: bool = True,
) -> sparse.csr_matrix:
    """Build the lattice graph of a cost grid, fully vectorised.

    Nodes are flat cell indices (``row * ncols + col``). Each free cell links to its free
    4 or 8 neighbours; the edge cost is ``length × (1 + risk_weight × (r_u + r_v) / 2)``
    with ``length`` the centre-to-centre distance. A diagonal step is allowed only when both
    cells it cuts past are free, so a path never clips the corner of a blocked cell. Blocked
    cells have no edges.

    Parameters
    ----------
    risk : numpy.ndarray
        2-D non-negative risk per cell.
    blocked : numpy.ndarray of bool, optional
        Cells that cannot be entered.
    resolution_m : float
        Cell size (m).
    risk_weight : float
        Weight ``w`` of risk against length.
    diagonal : bool
        8-connected (True) or 4-connected lattice.

    Returns
    -------
    scipy.sparse.csr_matrix
        Directed (symmetric) weighted adjacency matrix of shape ``(n, n)``, ``n = risk.size``.
    """
    risk = np.asarray(risk, dtype=float)
    return reweight(lattice_lengths(risk.shape, blocked, resolution_m, diagonal), risk, risk_weight)


def lattice_lengths(
    shape: tuple[int, int],
    blocked: np.ndarray | None = None,
    resolution_m: float = 1.0,
    diagonal: bool = True,
) -> sparse.csr_matrix:
    """Edge structure of the lattice with centre-to-centre lengths as weights.

    The same graph as :func:`lattice_graph` with ``risk_weight = 0``; build it once and
    derive the graph of any risk weight with :func:`reweight` (same ``indptr``/``indices``).

    Parameters
    ----------
    shape : tuple of int
        Grid ``(rows, cols)``.
    blocked, resolution_m, diagonal
        See :func:`lattice_graph`.

    Returns
    -------
    scipy.sparse.csr_matrix
        ``(n, n)`` adjacency with edge lengths (m), canonical (sorted indices).
    """
    if len(shape) != 2:
        raise AnalysisError("risk grid must be 2-D")
    nr, nc = shape
    free = np.ones(shape, dtype=bool) if blocked is None else ~np.asarray(blocked, bool)
    idx = np.arange(nr * nc, dtype=np.int64).reshape(nr, nc)
    rows, cols, data = [], [], []
    for dr, dc in OFFSETS if diagonal else OFFSETS[:4]:
        # source window [r0:r1, c0:c1] and target window shifted by (dr, dc)
        r0, r1 = max(0, -dr), nr - max(0, dr)
        c0, c1 = max(0, -dc), nc - max(0, dc)
        if r1 <= r0 or c1 <= c0:
            continue
        s = (slice(r0, r1), slice(c0, c1))
        t = (slice(r0 + dr, r1 + dr), slice(c0 + dc, c1 + dc))
        ok = free[s] & free[t]
        if dr and dc:  # corner cutting: both orthogonal neighbours must be free
            ok &= free[(slice(r0 + dr, r1 + dr), slice(c0, c1))]
            ok &= free[(slice(r0, r1), slice(c0 + dc, c1 + dc))]
        rows.append(idx[s][ok])
        cols.append(idx[t][ok])
        data.append(np.full(rows[-1].size, resolution_m * (np.sqrt(2.0) if dr and dc else 1.0)))
    n = nr * nc
    if not rows:
        return sparse.csr_matrix((n, n))
    g = sparse.csr_matrix(
        (np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
    )
    g.sort_indices()
    return g


def reweight(lengths: sparse.csr_matrix, risk: np.ndarray, risk_weight: float) -> sparse.csr_matrix:
    """Lattice graph for one risk weight from the shared edge structure.

    Parameters
    ----------
    lengths : scipy.sparse.csr_matrix
        Output of :func:`lattice_lengths`; its ``indptr``/``indices`` are shared, not copied.
    risk : numpy.ndarray
        2-D non-negative risk per cell (same grid).
    risk_weight : float
        Weight ``w``: edge cost ``length × (1 + w × (r_u + r_v) / 2)``.

    Returns
    -------
    scipy.sparse.csr_matrix
        The weighted graph (equal to :func:`lattice_graph` with the same arguments).
    """
    risk = np.asarray(risk, dtype=float)
    if risk.ndim != 2 or risk.size != lengths.shape[0]:
        raise AnalysisError("risk grid must be 2-D and match the lattice")
    if np.any(~np.isfinite(risk)) or risk.min(initial=0) < 0:
        raise AnalysisError("risk grid must be finite and non-negative")
    flat = risk.ravel()
    u = np.repeat(np.arange(lengths.shape[0], dtype=np.int64), np.diff(lengths.indptr))
    mid = 0.5 * (flat[u] + flat[lengths.indices])
    data = lengths.data * (1.0 + risk_weight * mid)
    return sparse.csr_matrix(
        (data, lengths.indices, lengths.indptr), shape=lengths.shape, copy=False
    )


@dataclass
class Routes:
    """All-pairs routes among hubs on a graph."""

    hubs: np.ndarray  #: node index of each hub
    cost: np.ndarray  #: (k, k) path cost between hubs (inf where unreachable)
    paths: dict[tuple[int, int], np.ndarray]  #: (i, j), i < j -> node sequence from hub i to j


def extract_paths(
    predecessors: np.ndarray, sources: np.ndarray, targets: np.ndarray
) -> list[np.ndarray]:
    """Walk predecessor rows for many (source row, target node) pairs at once.

    Parameters
    ----------
    predecessors : numpy.ndarray
        ``(k, n)`` predecessor matrix from ``csgraph.dijkstra``.
    sources : numpy.ndarray
        Row of ``predecessors`` for each pair.
    targets : numpy.ndarray
        Target node for each pair.

    Returns
    -------
    list
        Node sequence (source first) per pair; an unreachable target gives just
        ``[target]``, so pass only reachable pairs (as :func:`route_hubs` does).
    """
    sources = np.asarray(sources, dtype=np.int64)
    out: list[np.ndarray] = []
    for src, t in zip(sources, np.asarray(targets, dtype=np.int64), strict=True):
        row = predecessors[src]
        seq = [int(t)]
        p = row[t]
        while p >= 0:
            seq.append(int(p))
            p = row[p]
        out.append(np.array(seq[::-1], dtype=np.int64))
    return out


def route_hubs(graph: sparse.csr_matrix, hubs: np.ndarray) -> Routes:
    """Shortest paths between all hub pairs with one multi-source Dijkstra call.

    Parameters
    ----------
    graph : scipy.sparse.csr_matrix
        Weighted graph (e.g. from :func:`lattice_graph`).
    hubs : numpy.ndarray
        Node index per hub.

    Returns
    -------
    Routes
        Costs and node paths for every pair ``i < j`` that is connected.
    """
    hubs = np.asarray(hubs, dtype=np.int64)
    k = len(hubs)
    if k < 2:
        return Routes(hubs, np.zeros((k, k)), {})
    dist, pred = csgraph.dijkstra(graph, directed=True, indices=hubs[:-1], return_predecessors=True)
    cost = np.full((k, k), np.inf)
    cost[np.diag_indices(k)] = 0.0
    ii, jj = np.triu_indices(k, 1)
    cost[ii, jj] = dist[ii, hubs[jj]]
    cost[jj, ii] = cost[ii, jj]
    ok = np.isfinite(cost[ii, jj])
    seqs = extract_paths(pred, ii[ok], hubs[jj[ok]])
    paths = {(int(i), int(j)): s for i, j, s in zip(ii[ok], jj[ok], seqs, strict=True)}
    return Routes(hubs, cost, paths)


def cell_centres(nodes: np.ndarray, transform: Affine, ncols: int) -> np.ndarray:
    """(x, y) coordinates of the centres of flat cell indices."""
    r, c = np.divmod(np.asarray(nodes, dtype=np.int64), ncols)
    x, y = transform @ (c + 0.5, r + 0.5)
    return np.column_stack([x, y])


def xy_to_cell(
    x: np.ndarray, y: np.ndarray, transform: Affine, shape: tuple[int, int]
) -> np.ndarray:
    """Flat cell index of each point (-1 outside the grid)."""
    c, r = ~transform @ (np.asarray(x, float), np.asarray(y, float))
    r, c = np.floor(r).astype(np.int64), np.floor(c).astype(np.int64)
    ok = (r >= 0) & (r < shape[0]) & (c >= 0) & (c < shape[1])
    return np.where(ok, r * shape[1] + c, -1)


def path_measures(
    paths: list[np.ndarray], risk: np.ndarray, resolution_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Length and integrated risk of lattice paths, as the router's edge costs count them.

    Parameters
    ----------
    paths : list of numpy.ndarray
        Flat cell indices of each path.
    risk : numpy.ndarray
        2-D risk grid the paths run over.
    resolution_m : float
        Cell size (m).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Per path: length (m) and ``Σ length × (r_u + r_v) / 2`` over its steps, so that the
        path's cost in :func:`lattice_graph` is ``length + w × risk``.
    """
    nc = risk.shape[1]
    flat = np.asarray(risk, dtype=float).ravel()
    n = len(paths)
    if n == 0:
        return np.zeros(0), np.zeros(0)
    seq = np.concatenate([np.asarray(p, dtype=np.int64) for p in paths])
    owner = np.repeat(np.arange(n), [len(p) for p in paths])
    same = owner[1:] == owner[:-1]  # steps inside one path
    a, b = seq[:-1][same], seq[1:][same]
    ra, ca = np.divmod(a, nc)
    rb, cb = np.divmod(b, nc)
    step = resolution_m * np.hypot(rb - ra, cb - ca)
    o = owner[1:][same]
    length = np.bincount(o, weights=step, minlength=n)
    r = np.bincount(o, weights=step * 0.5 * (flat[a] + flat[b]), minlength=n)
    return length, r


def select_by_budget(
    lengths: np.ndarray, risks: np.ndarray, budget: float
) -> tuple[np.ndarray, float]:
    """Pick one candidate path per pair: least total risk within a mean detour budget.

    A Lagrangian heuristic for the constrained shortest path: each pair takes the candidate
    minimising ``risk + mu × detour`` (detour = length / the pair's shortest length), and
    ``mu >= 0`` is the smallest multiplier (by bisection) whose choices keep the mean detour
    over all pairs within ``budget``. The result is optimal among all combinations of
    candidates whose mean detour is at most the one it reaches (Lagrangian optimality), but
    may leave part of the budget unused.

    Parameters
    ----------
    lengths : numpy.ndarray
        ``(m, P)`` candidate path lengths; row 0 must be the shortest feasible paths.
    risks : numpy.ndarray
        ``(m, P)`` integrated risk of the same candidates.
    budget : float
        Allowed mean detour factor against row 0 (>= 1).

    Returns
    -------
    (numpy.ndarray, float)
        Chosen candidate row per pair, and the multiplier ``mu``.
    """
    lengths = np.asarray(lengths, dtype=float)
    risks = np.asarray(risks, dtype=float)
    if lengths.shape != risks.shape or lengths.ndim != 2:
        raise AnalysisError("lengths and risks must be (candidates, pairs) arrays of one shape")
    if budget < 1:
        raise AnalysisError(f"detour budget must be >= 1, got {budget}")
    p = lengths.shape[1]
    if p == 0:
        return np.zeros(0, dtype=np.int64), 0.0
    det = lengths / np.maximum(lengths[0], 1e-12)
    cols = np.arange(p)
    scale = max(float(np.abs(risks).max()), 1e-12)

    def pick(mu: float) -> tuple[np.ndarray, float]:
        # tiny length term breaks ties towards the shorter candidate
        ch = np.argmin(risks + (mu + 1e-9 * scale) * det, axis=0)
        return ch, float(det[ch, cols].mean())

    ch, mean = pick(0.0)
    if mean <= budget:
        return ch, 0.0
    lo, hi = 0.0, scale
    while pick(hi)[1] > budget and hi < 1e30:
        lo, hi = hi, hi * 4
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if pick(mid)[1] > budget:
            lo = mid
        else:
            hi = mid
    return pick(hi)[0], hi


def component_sizes(labels: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """Return the number of lattice cells in the connected component of each of ``cells``.

    The 8-connected lattice without corner cutting has the 4-connected components of the
    free cells (``labels``, 0 for blocked, e.g. from ``scipy.ndimage.label``); a blocked
    cell is a component of its own (size 1).
    """
    flat = np.asarray(labels).ravel()
    lab = flat[np.asarray(cells, dtype=np.int64)]
    return np.where(lab > 0, np.bincount(flat)[lab], 1).astype(np.int64)
