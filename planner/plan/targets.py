"""Which premises the plan connects, where each meets its street, and why others cannot be."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np

from planner.errors import AnalysisError
from planner.fiber.snapping import Snap, snap_point_geometry
from planner.plan.inputs import PlanInputs

log = logging.getLogger(__name__)

__all__ = ["TARGET_CLASSES", "Targets", "not_plannable_reasons", "select_targets"]

#: Fibre classes the plan tries to connect (``unreachable`` only gets new sites).
TARGET_CLASSES = ["near", "unserved", "unreachable"]


@dataclass(frozen=True)
class Targets:
    """The premise buildings the plan connects (one entry per target, unless noted).

    Attributes
    ----------
    rows : ndarray of int
        Positions of the targets in ``coverage.premises``.
    edge, offset_m, snap_m : ndarray
        Street edge, position along it and drop (snap) distance of each target.
    premises : ndarray of float
        Premises in each target building.
    node : ndarray of int
        The end node of its street edge nearest to the target: its Steiner terminal.
    street_point : ndarray of shapely.Point
        Where the target meets its street.
    without_fibre : ndarray of bool
        The target's street component has no existing fibre (it needs a new site).
    reason : ndarray of str
        Per row of ``coverage.premises``: why it cannot be planned ("" if it can or is passed).
    new_sites : bool
        Street components without fibre get a central office (greenfield or configured).
    """

    rows: np.ndarray
    edge: np.ndarray
    offset_m: np.ndarray
    snap_m: np.ndarray
    premises: np.ndarray
    node: np.ndarray
    street_point: np.ndarray
    without_fibre: np.ndarray
    reason: np.ndarray
    new_sites: bool


def not_plannable_reasons(
    fibre_class: np.ndarray, edge: np.ndarray, snap_m: np.ndarray, drop_limit: float
) -> np.ndarray:
    """Why each candidate premise cannot get a drop from its street ("" where it can)."""
    reason = np.full(len(fibre_class), "", dtype=object)
    candidate = np.isin(fibre_class, TARGET_CLASSES)
    reason[candidate & (edge < 0)] = "farther than max_snap_m from any street"
    reason[candidate & (edge >= 0) & (snap_m >= drop_limit)] = (
        "building farther from the street than the drop limit"
    )
    return reason


def _premises_without_fibre(inputs: PlanInputs, edge: np.ndarray) -> np.ndarray:
    """Premises whose street component holds no existing fibre (True for unsnapped ones)."""
    E, comp = inputs.network.edges, inputs.component
    has_fibre = np.zeros(comp.max() + 1 if E.n_nodes else 0, dtype=bool)
    if inputs.fibre is not None:
        has_fibre[comp[E.u_idx[inputs.fibre.edge]]] = True
    premise_comp = np.where(edge >= 0, comp[E.u_idx[np.maximum(edge, 0)]], -1)
    return ~has_fibre[np.maximum(premise_comp, 0)]


def select_targets(
    premises: gpd.GeoDataFrame,
    inputs: PlanInputs,
    drop_limit: float,
    new_sites_for_unreachable: bool,
) -> Targets:
    """Pick the target premises: ``near`` and ``unserved`` (``unreachable`` with new sites).

    Raises
    ------
    AnalysisError
        Targets exist but none can reach existing fibre and new sites are not allowed.
    """
    E = inputs.network.edges
    edge = premises["edge"].to_numpy().astype(np.int64)
    snap_all = premises["snap_m"].to_numpy().astype(float)
    reason = not_plannable_reasons(premises["fiber_class"].to_numpy(), edge, snap_all, drop_limit)
    plannable = np.isin(premises["fiber_class"].to_numpy(), TARGET_CLASSES) & (reason == "")
    no_fibre = plannable & _premises_without_fibre(inputs, edge)
    new_sites = inputs.greenfield or new_sites_for_unreachable
    if not new_sites:
        reason[no_fibre] = "no street path to existing fibre"
        plannable &= ~no_fibre
    rows = np.flatnonzero(plannable)
    if not len(rows):
        if no_fibre.any():
            raise AnalysisError(
                f"{int(no_fibre.sum())} target premises are unreachable from any fibre asset "
                "(no street path); set plan.new_sites_for_unreachable: true"
            )
        log.warning("no premise to plan for: every premise is passed or unreachable")
    te = edge[rows]
    offset = premises["offset_m"].to_numpy()[rows].astype(float)
    snap_m = snap_all[rows]
    node = np.where(offset <= E.length[te] / 2, E.u_idx[te], E.v_idx[te])
    snap = Snap(te, offset, snap_m, np.ones(len(te), dtype=bool))
    return Targets(
        rows=rows,
        edge=te,
        offset_m=offset,
        snap_m=snap_m,
        premises=premises["premises"].to_numpy()[rows].astype(float),
        node=node,
        street_point=snap_point_geometry(E, snap),
        without_fibre=no_fibre[rows],
        reason=reason,
        new_sites=new_sites,
    )
