"""Threads for the threaded steps: how many (the usable cores), and a map over them."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

__all__ = ["thread_map", "usable_threads"]


def usable_threads() -> int:
    """Threads for the threaded steps: the usable cores, at most ``OMP_NUM_THREADS`` when set.

    The usable cores are the process's CPU affinity (``os.sched_getaffinity``) where the
    platform has it, else ``os.cpu_count()``; a batch worker's ``OMP_NUM_THREADS`` caps them.

    Returns
    -------
    int
        At least 1.
    """
    n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    limit = os.environ.get("OMP_NUM_THREADS", "")
    return max(1, min(n or 1, int(limit))) if limit.isdigit() and int(limit) > 0 else max(1, n or 1)


def thread_map(fn: Callable, items: Iterable, threads: int, name: str) -> list:
    """Return ``[fn(x) for x in items]``, computed in up to ``threads`` threads, in order.

    One thread (or one item) runs in the calling thread, with no pool.

    Parameters
    ----------
    fn : callable
        Applied to each item (it should release the GIL to gain from threads).
    items : iterable
        The work.
    threads : int
        Largest number of threads.
    name : str
        Prefix of the threads' names.

    Returns
    -------
    list
        The results, in the order of ``items``.
    """
    items = list(items)
    n = max(1, min(int(threads), len(items)))
    if n == 1:
        return [fn(x) for x in items]
    with ThreadPoolExecutor(n, thread_name_prefix=name) as pool:
        return list(pool.map(fn, items))
