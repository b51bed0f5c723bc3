"""planner: gigabit-fiber and low-altitude drone-corridor planning from OpenStreetMap data."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public API, imported on first use so that ``planner --help`` starts fast.
_API = {
    "load_city": "planner.city",
    "analyze_fiber": "planner.fiber",
    "plan_fiber": "planner.plan",
    "plan_corridors": "planner.drones",
    "run_city": "planner.run",
    "write_maps": "planner.render",
    "write_report": "planner.render",
}

__all__ = [
    "__version__",
    "analyze_fiber",
    "load_city",
    "plan_corridors",
    "plan_fiber",
    "run_city",
    "write_maps",
    "write_report",
]

if TYPE_CHECKING:
    from planner.city import load_city
    from planner.drones import plan_corridors
    from planner.fiber import analyze_fiber
    from planner.plan import plan_fiber
    from planner.render import write_maps, write_report
    from planner.run import run_city


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'planner' has no attribute {name!r}")
