"""Plan a whole region: split it into its cities and run them on a Dask cluster."""

from __future__ import annotations

from .boundaries import Boundary, BoundarySet, find_boundaries
from .engine import BatchResult, CityOutcome, execute, run_batch, write_region
from .jobs import BatchPlan, plan_batch
from .scorecard import city_kpis, region_totals, scorecard_frame
from .spec import BatchFile, CityJob, load_batch
from .split import split_region

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
