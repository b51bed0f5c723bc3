"""How many threads a step may use: the usable cores, at most ``OMP_NUM_THREADS`` when set."""

from __future__ import annotations

import os

__all__ = ["usable_threads"]


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
