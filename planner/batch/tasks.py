"""The Dask task that plans one city on a worker and returns what it measured."""

from __future__ import annotations

import os
import resource
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["run_city_task"]

_FD_LOCK = threading.Lock()


@contextmanager
def _output_to(path: Path) -> Iterator[None]:
    """Send this process's stdout/stderr (C libraries' banners too) to ``path``.

    Only one task of a worker redirects at a time; a concurrent task on another thread of
    the same worker writes to the same log.
    """
    if not _FD_LOCK.acquire(blocking=False):
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    try:
        with path.open("ab") as fh:
            os.dup2(fh.fileno(), 1)
            os.dup2(fh.fileno(), 2)
            try:
                yield
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os.dup2(saved[0], 1)
                os.dup2(saved[1], 2)
    finally:
        for fd in saved:
            os.close(fd)
        _FD_LOCK.release()


def _where() -> dict[str, Any]:
    try:
        from distributed import get_worker

        address = get_worker().address
    except (ImportError, ValueError):
        address = None
    return {"worker": address, "pid": os.getpid()}


def run_city_task(payload: dict[str, Any]) -> dict[str, Any]:
    """Plan one city (``planner.run.run_city``); runs on a Dask worker.

    Parameters
    ----------
    payload : dict
        ``config`` (a CityConfig as JSON data), ``out_root``, ``steps``, ``use_cache``,
        ``log`` (file that receives the worker's stdout/stderr during the run) and
        ``attempts`` (file to which each start appends a line ``<worker> <pid>``).

    Returns
    -------
    dict
        ``status`` ("ran" or "failed"), ``summary`` or ``error``, ``started`` (Unix
        time), ``seconds``, ``worker``,
        ``pid``, ``peak_rss`` (the worker process's peak resident memory in bytes),
        ``cpu_seconds`` (CPU time, user + system, of the whole worker process during
        the task: the task, Dask's own threads and any thread the task starts) and
        ``task_cpu_seconds`` (CPU time of the thread that ran the task).

    Notes
    -----
    A :class:`~planner.errors.PlannerError` (bad input, no streets, ...) is a result, not
    an exception: retrying it would fail the same way. Any other exception propagates,
    so Dask retries the task (on another worker if this one died).
    """
    from planner.batch._compat import CityConfig, PlannerError, run_city

    config = CityConfig.model_validate(payload["config"])
    t0, c0, th0 = time.perf_counter(), time.process_time(), time.thread_time()
    out: dict[str, Any] = {"city": config.name, "started": round(time.time(), 2), **_where()}
    if payload.get("attempts"):
        with Path(payload["attempts"]).open("a", encoding="utf-8") as fh:
            fh.write(f"{out['worker']} {out['pid']}\n")
    with _output_to(Path(payload["log"])):
        try:
            result = run_city(
                config,
                out_root=payload["out_root"],
                use_cache=payload["use_cache"],
                progress=False,
                steps=payload["steps"],
            )
        except PlannerError as exc:
            out.update(status="failed", error=str(exc).splitlines()[0][:500])
        else:
            out.update(status="ran", summary=result.summary, out_dir=str(result.out_dir))
    out["seconds"] = round(time.perf_counter() - t0, 2)
    out["cpu_seconds"] = round(time.process_time() - c0, 2)
    out["task_cpu_seconds"] = round(time.thread_time() - th0, 2)
    out["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return out
