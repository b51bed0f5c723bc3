"""The plan's tables: routes, drops, splitters, cabinets, unreachable, clusters, BOM, phases."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from shapely.ops import substring

from planner.config.plan import PlanConfig
from planner.fiber import FiberCoverage
from planner.fiber.snapping import StreetEdges
from planner.plan.architecture import Architecture
from planner.plan.bom import bill_of_materials
from planner.plan.clusters import cluster_table, piece_clusters, target_clusters
from planner.plan.costs import EdgeCosts
from planner.plan.inputs import PlanInputs
from planner.plan.reach import Reach
from planner.plan.result import FiberPlan, PlanSummary, SteinerInstance
from planner.plan.rollout import Rollout, phase_table
from planner.plan.targets import Targets

__all__ = [
    "PlanTables",
    "cabinet_layer",
    "drop_layer",
    "drop_lines",
    "plan_tables",
    "route_layer",
    "splitter_layer",
    "unreachable_layer",
]


@dataclass(frozen=True)
class PlanTables:
    """The plan's tables (layers projected, city CRS); columns in :mod:`planner.plan.result`."""

    routes: gpd.GeoDataFrame
    splitters: gpd.GeoDataFrame
    cabinets: gpd.GeoDataFrame
    drops: gpd.GeoDataFrame
    unreachable: gpd.GeoDataFrame
    clusters: pd.DataFrame
    bom: pd.DataFrame
    phases: pd.DataFrame

    @property
    def capex(self) -> float:
        """Total installed cost: the sum of the bill of materials."""
        return float(self.bom["total"].sum())

    def fiber_plan(
        self,
        summary: PlanSummary,
        config: PlanConfig,
        crs: CRS,
        timings: dict[str, float],
        instance: SteinerInstance,
    ) -> FiberPlan:
        """Return the :class:`FiberPlan` made of these tables and the rest of the result."""
        return FiberPlan(
            routes=self.routes,
            splitters=self.splitters,
            cabinets=self.cabinets,
            drops=self.drops,
            bom=self.bom,
            phases=self.phases,
            clusters=self.clusters,
            unreachable=self.unreachable,
            summary=summary,
            config=config,
            crs=crs,
            timings=timings,
            steiner_instance=instance,
        )


def route_layer(
    pieces: pd.DataFrame, phase: np.ndarray, edges: StreetEdges, costs: EdgeCosts, crs: CRS
) -> gpd.GeoDataFrame:
    """Route pieces as street geometry (partial edges cut out), without the cluster column."""
    E, ec = edges, costs
    e = pieces["edge"].to_numpy(dtype=np.int64)
    a, b = pieces["a"].to_numpy(float), pieces["b"].to_numpy(float)
    full = (a <= 1e-9) & (b >= E.length[e] - 1e-9)
    geoms = E.geometry[e].copy()
    for i in np.flatnonzero(~full):
        geoms[i] = substring(E.geometry[e[i]], a[i], b[i])
    keep = (b - a) > 1e-6
    return gpd.GeoDataFrame(
        {
            "edge": e,
            "u": E.u[e],
            "v": E.v[e],
            "key": E.key[e],
            "length_m": np.round(b - a, 3),
            "highway": ec["highway"][e],
            "cost_per_m": np.round(ec["per_m"][e], 4),
            "crossings": np.where(full, ec["crossings"][e], 0.0),
            # duct length in the piece, pro rata (matches the per-metre cost of the piece)
            "duct_m": np.round(ec["duct_m"][e] * (b - a) / np.maximum(E.length[e], 1e-9), 3),
            "cost": pieces["cost"].to_numpy(float),
            "kind": pieces["kind"].to_numpy(),
            "phase": phase,
            "owner": pieces["owner"].to_numpy(dtype=np.int64),
        },
        geometry=geoms,
        crs=crs,
    )[keep | (pieces["cost"].to_numpy(float) > 0)].reset_index(drop=True)


def drop_lines(
    premise_points: np.ndarray, edges: StreetEdges, targets: Targets, reach: Reach
) -> np.ndarray:
    """Premise -> snap point -> point on the street where the fibre is reached."""
    te, to, dist = targets.edge, targets.offset_m, reach.distance_m
    if not len(te):
        return np.array([], dtype=object)
    target = np.where(reach.nearest["b"].to_numpy() <= to, to - dist, to + dist)
    target = np.clip(target, 0, edges.length[te])
    at = shapely.line_interpolate_point(edges.geometry[te], target)
    c = np.stack(
        [
            shapely.get_coordinates(premise_points),
            shapely.get_coordinates(targets.street_point),
            shapely.get_coordinates(at),
        ],
        axis=1,
    )
    return shapely.linestrings(c)


def drop_layer(
    premises: gpd.GeoDataFrame,
    edges: StreetEdges,
    targets: Targets,
    reach: Reach,
    arch: Architecture,
    phase: np.ndarray,
    cluster: np.ndarray,
    crs: CRS,
) -> gpd.GeoDataFrame:
    """One drop cable per target building (``DROP_COLUMNS``)."""
    prem = premises.iloc[targets.rows]
    split_of = arch.splitter_of
    return gpd.GeoDataFrame(
        {
            "osm_id": prem["osm_id"].to_numpy(),
            "premises": targets.premises.astype(np.int64),
            "drop_m": np.round(reach.drop_m, 2),
            "cost": np.round(reach.drop_cost, 2),
            "splitter": split_of,
            "cabinet": arch.cabinet_of_splitter[split_of] if arch.n_splitters else split_of,
            "phase": phase,
            "cluster": cluster,
        },
        geometry=drop_lines(prem.geometry.to_numpy(), edges, targets, reach),
        crs=crs,
    )


def _splitter_premises(targets: Targets, arch: Architecture) -> np.ndarray:
    """Premises served by each splitter."""
    w = np.bincount(arch.splitter_of, weights=targets.premises, minlength=arch.n_splitters)
    return w.astype(np.int64)


def splitter_layer(
    targets: Targets, arch: Architecture, rollout: Rollout, crs: CRS
) -> gpd.GeoDataFrame:
    """One point per field splitter (``SPLITTER_COLUMNS``)."""
    return gpd.GeoDataFrame(
        {
            "splitter": np.arange(arch.n_splitters),
            "ratio": f"1:{arch.ratio}",
            "premises": _splitter_premises(targets, arch),
            "cabinet": arch.cabinet_of_splitter,
            "phase": rollout.splitter_phase,
        },
        geometry=list(arch.splitter_points),
        crs=crs,
    )


def cabinet_layer(
    cfg: PlanConfig, targets: Targets, arch: Architecture, rollout: Rollout, crs: CRS
) -> gpd.GeoDataFrame:
    """One point per street cabinet (``CABINET_COLUMNS``): premises served and unit cost."""
    n_cab, cab_of_spl = arch.n_cabinets, arch.cabinet_of_splitter
    served = np.bincount(cab_of_spl, weights=_splitter_premises(targets, arch), minlength=n_cab)
    return gpd.GeoDataFrame(
        {
            "cabinet": np.arange(n_cab),
            "name": [f"cabinet {i}" for i in range(n_cab)],
            "premises": served.astype(np.int64),
            "splitters": np.bincount(cab_of_spl, minlength=n_cab),
            "first_level_splitters": arch.first_level,
            "cost": np.full(n_cab, float(cfg.cabinet)),
            "phase": rollout.cabinet_phase,
        },
        geometry=list(arch.cabinet_points),
        crs=crs,
    )


def unreachable_layer(premises: gpd.GeoDataFrame, reason: np.ndarray, crs: CRS) -> gpd.GeoDataFrame:
    """Premises the plan cannot connect, with the reason (``UNREACHABLE_COLUMNS``)."""
    bad = np.flatnonzero(reason != "")
    return gpd.GeoDataFrame(
        {
            "osm_id": premises["osm_id"].to_numpy()[bad],
            "premises": premises["premises"].to_numpy()[bad],
            "fiber_class": premises["fiber_class"].to_numpy()[bad],
            "reason": reason[bad],
        },
        geometry=premises.geometry.to_numpy()[bad],
        crs=crs,
    )


def plan_tables(
    cfg: PlanConfig,
    crs: CRS,
    coverage: FiberCoverage,
    inputs: PlanInputs,
    costs: EdgeCosts,
    targets: Targets,
    reach: Reach,
    arch: Architecture,
    rollout: Rollout,
) -> PlanTables:
    """All tables of the plan (layers in the city's ``crs``), the BOM and the phases."""
    edges = inputs.network.edges
    target_cluster = target_clusters(inputs.network, targets.edge, coverage.config.gap_bridge_m)
    piece_phase = rollout.node_phase[reach.pieces["owner"].to_numpy(dtype=np.int64)]
    routes = route_layer(reach.pieces, piece_phase, edges, costs, crs)
    routes["cluster"] = piece_clusters(
        routes["owner"].to_numpy(dtype=np.int64),
        target_cluster,
        reach.owner,
        rollout.sequence_position,
    )
    premise_cost = reach.drop_cost + reach.stub_cost
    phase = rollout.premise_phase
    drops = drop_layer(coverage.premises, edges, targets, reach, arch, phase, target_cluster, crs)
    return PlanTables(
        routes=routes,
        splitters=splitter_layer(targets, arch, rollout, crs),
        cabinets=cabinet_layer(cfg, targets, arch, rollout, crs),
        drops=drops,
        unreachable=unreachable_layer(coverage.premises, targets.reason, crs),
        clusters=cluster_table(target_cluster, targets.premises, premise_cost, routes, phase),
        bom=bill_of_materials(cfg, routes, drops, arch),
        phases=phase_table(cfg, routes, drops, arch, rollout),
    )
