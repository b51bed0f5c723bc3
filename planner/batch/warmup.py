"""A Dask worker plugin that imports planner's pipelines once per worker, before any city."""

from __future__ import annotations

import asyncio
import importlib
import time
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

__all__ = ["WARM_MODULES", "PlannerWarmup", "import_pipelines"]

#: Modules a full city run imports (``planner.run`` and the libraries its steps import on
#: first use); a worker imports them once, when it starts, instead of in its first city.
WARM_MODULES = (
    "planner.batch._compat",
    "planner.render.excel",
    "planner.render.qgis",
    "pyrosm",
    "rasterio",
    "reverse_geocode",
    "openpyxl",
)


def import_pipelines() -> float:
    """Import :data:`WARM_MODULES` (missing optional ones are skipped); return the seconds."""
    t0 = time.perf_counter()
    for name in WARM_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            continue
    return time.perf_counter() - t0


class PlannerWarmup(WorkerPlugin):
    """Import planner's pipelines on every worker of a cluster, and on every new one."""

    name = "planner-warmup"

    async def setup(self, worker: Any) -> None:
        """Import off the worker's event loop, so that its heartbeats go on meanwhile."""
        worker.planner_import_seconds = await asyncio.to_thread(import_pipelines)
