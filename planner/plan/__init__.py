"""The fibre build plan: Steiner routes along streets, splitters, cabinets, cost and phases."""

from planner.plan.core import plan_fiber
from planner.plan.costs import EdgeCosts, edge_costs
from planner.plan.ducts import load_ducts
from planner.plan.outputs import write_plan_outputs
from planner.plan.result import (
    BOM_COLUMNS,
    CABINET_COLUMNS,
    CLUSTER_COLUMNS,
    DROP_COLUMNS,
    PHASE_COLUMNS,
    ROUTE_COLUMNS,
    SPLITTER_COLUMNS,
    UNREACHABLE_COLUMNS,
    FiberPlan,
    PlanSummary,
    SteinerInstance,
)

__all__ = [
    "ROUTE_COLUMNS",
    "CABINET_COLUMNS",
    "SPLITTER_COLUMNS",
    "DROP_COLUMNS",
    "UNREACHABLE_COLUMNS",
    "CLUSTER_COLUMNS",
    "BOM_COLUMNS",
    "PHASE_COLUMNS",
    "EdgeCosts",
    "FiberPlan",
    "PlanSummary",
    "SteinerInstance",
    "edge_costs",
    "load_ducts",
    "plan_fiber",
    "write_plan_outputs",
]
