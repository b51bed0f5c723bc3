"""Cheap valid lower bounds of a Steiner tree: Wong's dual ascent and the moat bound."""

from __future__ import annotations

import heapq
import time

import numpy as np
from scipy.sparse.csgraph import dijkstra

from planner._csgraph import symmetric_csr

__all__ = ["dual_ascent", "moat_bound"]

_EPS = 1e-12  # a reduced cost at most this is zero


def _settle(c: float, paid: float) -> float:
    """Reduced cost ``c`` after ``paid`` more was spent on its cut (0 if within rounding)."""
    r = c - paid
    return 0.0 if r <= 1e-9 * max(1.0, c) else r


def moat_bound(N: int, ea: np.ndarray, eb: np.ndarray, ew: np.ndarray, tl: np.ndarray) -> float:
    """Half the sum over terminals of the distance to the nearest other terminal.

    Balls of radius ``d(t, nearest other terminal) / 2`` around the terminals are disjoint
    and the tree runs from each centre to its ball's edge, so this is a lower bound.
    The nearest other terminal is reached over a Voronoi boundary edge.
    """
    A = symmetric_csr(ea, eb, ew, N)
    dist, src = dijkstra(A, directed=True, indices=tl, min_only=True, return_predecessors=True)[::2]
    su, sv = src[ea], src[eb]
    bnd = su != sv
    d = dist[ea[bnd]] + ew[bnd] + dist[eb[bnd]]
    near = np.full(N, np.inf)
    np.minimum.at(near, su[bnd], d)
    np.minimum.at(near, sv[bnd], d)
    vals = near[tl]
    return float(vals[np.isfinite(vals)].sum() / 2)


class _DualAscent:
    """State of Wong's dual ascent over the bidirected graph (Python lists: tight loops).

    Arc ``j`` runs ``tail[j] -> head[j]``: ``a -> b`` for ``j < E``, ``b -> a`` after.
    ``in_arcs[starts[v]:starts[v + 1]]`` enter ``v``, ``out_arcs[ostarts[v]:ostarts[v + 1]]``
    leave it. ``cbar`` are reduced costs, ``mark[v] == stamp`` puts ``v`` in the current
    cut's ``W``, ``ins[a]`` is what had been paid when arc ``a`` entered the cut
    (``ins_stamp[a] == stamp``), ``reached[v]``: ``v`` is reached from the root over zero
    arcs. ``lb`` is the bound so far.
    """

    def __init__(self, N: int, ea: np.ndarray, eb: np.ndarray, ew: np.ndarray, root: int):
        tail = np.concatenate([ea, eb])
        head = np.concatenate([eb, ea])
        order = np.argsort(head, kind="stable")
        self.starts = np.searchsorted(head[order], np.arange(N + 1)).tolist()
        self.in_arcs = order.tolist()
        out_order = np.argsort(tail, kind="stable")
        self.ostarts = np.searchsorted(tail[out_order], np.arange(N + 1)).tolist()
        self.out_arcs = out_order.tolist()
        self.tail = tail.tolist()
        self.head = head.tolist()
        self.cbar = np.concatenate([ew, ew]).tolist()
        self.mark = [0] * N
        self.ins = [0.0] * len(self.cbar)
        self.ins_stamp = [0] * len(self.cbar)
        self.reached = [False] * N
        self.reached[root] = True
        self.lb = 0.0
        self.grow_reached([root])

    def grow_reached(self, starts_from: list[int]) -> None:
        """Mark every node reached over zero-reduced-cost arcs from ``starts_from``."""
        reached, ostarts, out_arcs, head, cbar = (
            self.reached,
            self.ostarts,
            self.out_arcs,
            self.head,
            self.cbar,
        )
        stack = [v for v in starts_from if not reached[v]]
        for v in stack:
            reached[v] = True
        while stack:
            v = stack.pop()
            for k in range(ostarts[v], ostarts[v + 1]):
                a = out_arcs[k]
                w = head[a]
                if not reached[w] and cbar[a] <= _EPS:
                    reached[w] = True
                    stack.append(w)

    def _absorb(
        self, stack: list[int], stamp: int, paid: float, heap: list, cut: list[int]
    ) -> bool:
        """Add the nodes on ``stack`` to ``W``: close over zero arcs, push new cut arcs.

        Arcs from an added node into ``W`` leave the cut (their reduced cost is settled).
        Returns True if a node reached from the root joined ``W`` (the cut is done).
        """
        ostarts, out_arcs, starts, in_arcs = self.ostarts, self.out_arcs, self.starts, self.in_arcs
        tail, head, cbar, ins, ins_stamp = self.tail, self.head, self.cbar, self.ins, self.ins_stamp
        mark, reached = self.mark, self.reached
        done = False
        while stack:
            v = stack.pop()
            for k in range(ostarts[v], ostarts[v + 1]):  # v's arcs into W leave the cut
                a = out_arcs[k]
                if ins_stamp[a] == stamp and mark[head[a]] == stamp:
                    cbar[a] = _settle(cbar[a], paid - ins[a])
                    ins_stamp[a] = -1
            for k in range(starts[v], starts[v + 1]):
                a = in_arcs[k]
                i = tail[a]
                if mark[i] == stamp or ins_stamp[a] == stamp:
                    continue
                if cbar[a] <= _EPS:
                    mark[i] = stamp
                    if reached[i]:
                        done = True
                    stack.append(i)
                else:
                    ins[a], ins_stamp[a] = paid, stamp
                    cut.append(a)
                    heapq.heappush(heap, (cbar[a] + paid, a))
        return done

    def _settle_cut(self, cut: list[int], stamp: int, paid: float) -> None:
        """Settle the reduced costs of arcs still in the cut; extend the reached set."""
        tail, head, cbar, ins, ins_stamp = self.tail, self.head, self.cbar, self.ins, self.ins_stamp
        reached = self.reached
        newly_zero = []
        for a in cut:
            if ins_stamp[a] == stamp:
                cbar[a] = _settle(cbar[a], paid - ins[a])
                ins_stamp[a] = -1
            if cbar[a] <= _EPS and reached[tail[a]] and not reached[head[a]]:
                newly_zero.append(head[a])
        self.grow_reached(newly_zero)

    def ascend(self, t: int, stamp: int) -> None:
        """Raise cuts around ``t`` until its ``W`` holds a node reached from the root."""
        tail, mark, reached = self.tail, self.mark, self.reached
        heap: list[tuple[float, int]] = []
        cut: list[int] = []
        paid = 0.0
        mark[t] = stamp
        stack = [t]
        done = False
        while True:
            done = self._absorb(stack, stamp, paid, heap, cut) or done
            if done or not heap:
                break
            key, a = heapq.heappop(heap)
            if mark[tail[a]] == stamp:
                continue
            if key > paid:
                self.lb += key - paid
                paid = key
            i = tail[a]
            mark[i] = stamp
            if reached[i]:
                done = True
            stack.append(i)  # absorbed (arcs settled, cut extended) even when done
        self._settle_cut(cut, stamp, paid)


def dual_ascent(
    N: int,
    ea: np.ndarray,
    eb: np.ndarray,
    ew: np.ndarray,
    tl: np.ndarray,
    root: int,
    deadline: float,
) -> float:
    """Wong's dual ascent (1984) for the directed cut relaxation: a valid lower bound.

    Arcs ``a -> b`` and ``b -> a`` per edge start with reduced cost ``c``. Terminals are
    taken in turn; for terminal ``t``, ``W`` is the set of nodes that reach ``t`` over
    zero-reduced-cost arcs. While the root is not in ``W`` (a Steiner cut), the smallest
    reduced cost ``D`` on the arcs entering ``W`` is added to the bound and subtracted from
    all of them, which puts at least one more node into ``W``. Each step raises the dual
    variable of a valid cut and keeps reduced costs >= 0, so the sum of the ``D`` is a lower
    bound, valid whenever it is stopped (``deadline``). Terminals go nearest to the root
    first (on Lauf's unreduced plan instance: bound 0.93 x the optimum, versus 0.61 in index
    order and 0.39 for the moat bound). Implementation: a heap of cut arcs
    keyed by reduced cost plus the amount paid when they entered the cut, so a step costs
    O(log m); nodes known to be reached from the root over zero arcs end a terminal early.
    """
    dr = dijkstra(symmetric_csr(ea, eb, ew, N), directed=True, indices=root)
    tl = tl[np.argsort(dr[tl], kind="stable")]
    state = _DualAscent(N, ea, eb, ew, root)
    for stamp, t in enumerate(tl.tolist(), start=1):
        if state.reached[t]:
            continue
        if time.perf_counter() > deadline:
            break
        state.ascend(t, stamp)
    return state.lb
