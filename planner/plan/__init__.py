"""The fibre build plan: Steiner routes along streets, splitters, cabinets, cost and phases."""

from planner.plan.core import (
    CABINET_COLUMNS,
    DROP_COLUMNS,
    ROUTE_COLUMNS,
    SPLITTER_COLUMNS,
    UNREACHABLE_COLUMNS,
    FiberPlan,
    edge_costs,
    load_ducts,
    plan_fiber,
    write_plan_outputs,
)

__all__ = [
    "ROUTE_COLUMNS",
    "CABINET_COLUMNS",
    "SPLITTER_COLUMNS",
    "DROP_COLUMNS",
    "UNREACHABLE_COLUMNS",
    "FiberPlan",
    "edge_costs",
    "load_ducts",
    "plan_fiber",
    "write_plan_outputs",
]
