"""Steiner trees on street graphs: a fast heuristic, an exact solver and a certified lower bound."""

from planner.steiner._problem import tree_cost
from planner.steiner.bound import steiner_lower_bound
from planner.steiner.exact import exact_steiner_tree
from planner.steiner.heuristic import steiner_tree, validate_tree

__all__ = [
    "exact_steiner_tree",
    "steiner_lower_bound",
    "steiner_tree",
    "tree_cost",
    "validate_tree",
]
