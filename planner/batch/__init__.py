"""Plan a whole region: split it into its cities and run them on a Dask cluster."""

from __future__ import annotations

import importlib
from typing import Any

#: Public names, imported on first use so that ``planner --help`` does not load Dask.
_API = {
    "BatchFile": "planner.batch.spec",
    "BatchPlan": "planner.batch.jobs",
    "BatchResult": "planner.batch.engine",
    "Boundary": "planner.batch.boundaries",
    "BoundarySet": "planner.batch.boundaries",
    "CityJob": "planner.batch.spec",
    "CityOutcome": "planner.batch.engine",
    "city_kpis": "planner.batch.scorecard",
    "execute": "planner.batch.engine",
    "find_boundaries": "planner.batch.boundaries",
    "load_batch": "planner.batch.spec",
    "plan_batch": "planner.batch.jobs",
    "region_totals": "planner.batch.scorecard",
    "run_batch": "planner.batch.engine",
    "scorecard_frame": "planner.batch.scorecard",
    "split_region": "planner.batch.split",
    "write_region": "planner.batch.engine",
}

__all__ = [
    "BatchFile",
    "BatchPlan",
    "BatchResult",
    "Boundary",
    "BoundarySet",
    "CityJob",
    "CityOutcome",
    "city_kpis",
    "execute",
    "find_boundaries",
    "load_batch",
    "plan_batch",
    "region_totals",
    "run_batch",
    "scorecard_frame",
    "split_region",
    "write_region",
]


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'planner.batch' has no attribute {name!r}")
