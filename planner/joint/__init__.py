"""One plan for both networks: 5G sites for drone corridors, fibre backhaul, one roll-out."""

from planner.config.joint import JointConfig
from planner.joint.candidates import CANDIDATE_COLUMNS
from planner.joint.core import plan_joint
from planner.joint.outputs import SITES_GPKG, write_joint_outputs
from planner.joint.result import BACKHAUL_COLUMNS, SITE_COLUMNS, JointPlan
from planner.joint.rollout import PHASE_COLUMNS

__all__ = [
    "plan_joint",
    "write_joint_outputs",
    "JointPlan",
    "JointConfig",
    "SITE_COLUMNS",
    "BACKHAUL_COLUMNS",
    "CANDIDATE_COLUMNS",
    "PHASE_COLUMNS",
    "SITES_GPKG",
]
