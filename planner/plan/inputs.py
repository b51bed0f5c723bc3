"""What the plan takes from the fibre coverage: street network, existing fibre, components."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse.csgraph import connected_components

from planner.errors import AnalysisError
from planner.fiber import FiberCoverage, FiberNetwork
from planner.fiber.netdist import Sources

__all__ = ["PlanInputs", "plan_inputs"]


@dataclass(frozen=True)
class PlanInputs:
    """The street network and existing fibre of a :class:`~planner.fiber.FiberCoverage`.

    Attributes
    ----------
    network : FiberNetwork
        The street network the coverage was computed on (reused, never rebuilt).
    fibre : Sources or None
        Existing fibre as covered intervals of street edges; None in greenfield.
    greenfield : bool
        The coverage found no fibre asset on the street network.
    component : ndarray of int
        Connected street component of every street node.
    """

    network: FiberNetwork
    fibre: Sources | None
    greenfield: bool
    component: np.ndarray


def plan_inputs(coverage: FiberCoverage) -> PlanInputs:
    """Take the street network and fibre sources the coverage already holds.

    Raises
    ------
    AnalysisError
        ``coverage`` carries no street network or fibre sources (it was not made by
        :func:`planner.fiber.analyze_fiber`).
    """
    if coverage.network is None or coverage.sources is None:
        raise AnalysisError(
            "plan_fiber: the fibre coverage has no street network or fibre sources; "
            "pass the result of planner.fiber.analyze_fiber"
        )
    greenfield = bool(coverage.kpis.get("greenfield", False))
    _, component = connected_components(coverage.network.csr, directed=False)
    return PlanInputs(
        network=coverage.network,
        fibre=None if greenfield else coverage.sources,
        greenfield=greenfield,
        component=component,
    )
