"""Low-altitude airspace: no-fly zones, obstacles, SORA ground risk and drone corridors."""

from planner.drones.corridors import plan_corridors, reroute_corridors
from planner.drones.outputs import write_outputs
from planner.drones.result import (
    CORRIDOR_COLUMNS,
    HUB_COLUMNS,
    NOFLY_COLUMNS,
    OBSTACLE_COLUMNS,
    TRUNK_COLUMNS,
    CorridorResult,
    DroneSummary,
)

__all__ = [
    "NOFLY_COLUMNS",
    "OBSTACLE_COLUMNS",
    "HUB_COLUMNS",
    "CORRIDOR_COLUMNS",
    "TRUNK_COLUMNS",
    "CorridorResult",
    "DroneSummary",
    "plan_corridors",
    "reroute_corridors",
    "write_outputs",
]
