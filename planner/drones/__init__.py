"""Low-altitude airspace: no-fly zones, obstacles, SORA ground risk and drone corridors."""

from planner.drones.corridors import (
    CORRIDOR_COLUMNS,
    HUB_COLUMNS,
    NOFLY_COLUMNS,
    OBSTACLE_COLUMNS,
    TRUNK_COLUMNS,
    CorridorResult,
    plan_corridors,
    write_outputs,
)

__all__ = [
    "NOFLY_COLUMNS",
    "OBSTACLE_COLUMNS",
    "HUB_COLUMNS",
    "CORRIDOR_COLUMNS",
    "TRUNK_COLUMNS",
    "CorridorResult",
    "plan_corridors",
    "write_outputs",
]
