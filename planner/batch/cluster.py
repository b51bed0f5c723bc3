"""Dask clients for a batch: a quiet LocalCluster sized from the machine, or a scheduler."""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psutil

from planner.batch._compat import PlannerError

__all__ = [
    "MEMORY_RESOURCE",
    "MIN_WORKER_MEMORY",
    "connect",
    "dashboard_link",
    "local_worker_config",
    "local_cluster_size",
    "quiet_dask",
    "task_memory",
    "warm_workers",
    "worker_memory",
]

#: Name of the Dask worker resource (bytes) that city tasks reserve.
MEMORY_RESOURCE = "MEMORY"
#: Smallest memory limit a local worker is given (bytes).
MIN_WORKER_MEMORY = 2_000_000_000
#: Share of the machine's available memory a LocalCluster may use.
LOCAL_MEMORY_SHARE = 0.6
#: Task memory model: base bytes plus bytes per byte of the city's ``.osm.pbf``
#: (measured: a 0.42 MB municipality peaks at 0.9 GB for a full run).
TASK_BASE_BYTES = 400_000_000
TASK_BYTES_PER_PBF_BYTE = 1_500
_LOGGERS = ("distributed", "bokeh", "tornado", "asyncio")
#: Library thread pools sized per worker (the rest of the machine's cores are the others').
_THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def quiet_dask() -> None:
    """Keep Dask's, Bokeh's and Tornado's banners and warnings out of the user's terminal."""
    for name in _LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL)
    warnings.filterwarnings("ignore", module="distributed")
    warnings.filterwarnings("ignore", module="bokeh")
    warnings.filterwarnings("ignore", message=".*[Pp]ort .* is already in use.*")


def local_cluster_size(
    n_cities: int, n_workers: int | None = None, memory_limit: int | None = None
) -> tuple[int, int]:
    """Return (workers, memory limit per worker in bytes) for a LocalCluster.

    Parameters
    ----------
    n_cities : int
        Cities in the batch (no more workers than cities).
    n_workers : int, optional
        Wanted workers (default: the CPU count, fewer when memory is short).
    memory_limit : int, optional
        Bytes per worker (default: 60 % of the available memory shared among workers).
    """
    avail = int(psutil.virtual_memory().available * LOCAL_MEMORY_SHARE)
    if n_workers is None:
        by_memory = max(1, avail // (memory_limit or MIN_WORKER_MEMORY))
        n_workers = max(1, min(os.cpu_count() or 1, n_cities, by_memory))
    if memory_limit is None:
        memory_limit = max(MIN_WORKER_MEMORY, avail // n_workers)
    return int(n_workers), int(memory_limit)


def local_worker_config(n_workers: int) -> dict[str, Any]:
    """Return the Dask settings of the LocalCluster workers planner starts.

    * ``MALLOC_TRIM_THRESHOLD_`` unset (Dask's nanny sets it to 64 KiB so that workers
      return freed memory to the OS at once): with it a city run makes 6 times as many
      page faults and spends about 12 % more CPU than the same run in a plain process
      (measured, see docs/batch.md). A city task keeps no data on its worker, so there
      is nothing to win from the early trim.
    * OpenMP/MKL/OpenBLAS thread pools: the machine's cores shared among the workers
      (``cores // workers``, at least 1; a variable set in the environment wins).
    * The worker's statistical profiler off: it samples the task thread every 10 ms, at
      about 3 % of the task's wall time in CPU (measured); planner's tasks are single
      calls whose steps ``summary.json`` times anyway.
    """
    threads = max(1, (os.cpu_count() or 1) // max(1, n_workers))
    env: dict[str, Any] = {"MALLOC_TRIM_THRESHOLD_": None}
    env.update({name: threads for name in _THREAD_ENV})
    return {
        "distributed.nanny.pre-spawn-environ": env,
        "distributed.worker.profile.enabled": False,
    }


def warm_workers(client: Any) -> None:
    """Register :class:`~planner.batch.warmup.PlannerWarmup` on ``client``'s cluster.

    Every worker (and every worker that joins or restarts later) imports planner's
    pipelines once when it starts, instead of in its first city; the call returns when
    the current workers have done so.
    """
    from planner.batch.warmup import PlannerWarmup

    client.register_plugin(PlannerWarmup())


def task_memory(pbf_bytes: int, worker_memories: list[float]) -> int | None:
    """Return the bytes a city task reserves, or None when workers declare no memory.

    The estimate (:data:`TASK_BASE_BYTES` + :data:`TASK_BYTES_PER_PBF_BYTE` per byte of
    the city's extract) is capped at the biggest worker, so no task waits forever.
    """
    if not worker_memories:
        return None
    est = TASK_BASE_BYTES + TASK_BYTES_PER_PBF_BYTE * int(pbf_bytes)
    return int(min(est, max(worker_memories)))


def worker_memory(client: Any) -> list[float]:
    """Return the :data:`MEMORY_RESOURCE` each worker of ``client``'s cluster declares."""
    workers = client.scheduler_info(n_workers=-1).get("workers", {})
    values = [w.get("resources", {}).get(MEMORY_RESOURCE) for w in workers.values()]
    return [float(v) for v in values if v]


def dashboard_link(client: Any) -> str | None:
    """Return the Dask dashboard address of ``client``'s scheduler, if it serves one."""
    try:
        link = client.dashboard_link
    except (KeyError, AttributeError):
        return None
    return link or None


@contextmanager
def connect(
    scheduler: str | None = None,
    n_cities: int = 1,
    n_workers: int | None = None,
    memory_limit: int | None = None,
    timeout_s: float = 5.0,
) -> Iterator[Any]:
    """Yield a ``distributed.Client``: on ``scheduler``, or on a new LocalCluster.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``tcp://HOST:8786``); None starts a LocalCluster
        on 127.0.0.1 with one single-threaded worker process per core (see
        :func:`local_cluster_size` and :func:`local_worker_config`), each declaring its
        memory limit as the :data:`MEMORY_RESOURCE` resource. Either way the workers
        import planner's pipelines before the client is yielded (:func:`warm_workers`).
    n_cities, n_workers, memory_limit : int
        Sizing of the LocalCluster.
    timeout_s : float
        How long to try to reach ``scheduler``.

    Raises
    ------
    PlannerError
        The scheduler cannot be reached.
    """
    quiet_dask()
    import dask
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=f"{timeout_s}s")
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            first = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
            raise PlannerError(
                f"cannot reach the Dask scheduler at {scheduler} ({first})"
            ) from None
        try:
            warm_workers(client)
            yield client
        finally:
            client.close()
        return
    workers, limit = local_cluster_size(n_cities, n_workers, memory_limit)
    with warnings.catch_warnings(), dask.config.set(local_worker_config(workers)):
        warnings.simplefilter("ignore")
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            memory_limit=limit,
            resources={MEMORY_RESOURCE: limit},
            host="127.0.0.1",
            dashboard_address="127.0.0.1:8787",
            silence_logs=logging.CRITICAL,
        )
    try:
        with Client(cluster) as client:
            warm_workers(client)
            yield client
    finally:
        cluster.close()
