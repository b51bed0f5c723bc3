"""Risk-aware drone corridors between hubs, over a free lattice or above the street graph."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
from pydantic import ValidationError

from planner.config.drones import DroneConfig
from planner.drones.airspace import flight_rules, restricted_airspace
from planner.drones.assumptions import assumptions
from planner.drones.free import route_free
from planner.drones.grid import city_grid
from planner.drones.hubs import auto_hub_count, auto_hub_spacing, placed_hubs, site_hubs
from planner.drones.links import PairRule
from planner.drones.metrics import geometric_checks, metric_inputs
from planner.drones.network import weighting
from planner.drones.pairs import connect_hubs, corridor_table
from planner.drones.result import (
    CorridorInputs,
    CorridorResult,
    certificate_summary,
    corridor_summary,
)
from planner.drones.risk import ground_risk_model
from planner.drones.streets import route_streets
from planner.drones.trunk import trunk_network
from planner.errors import AnalysisError, ConfigError

if TYPE_CHECKING:
    from planner.city import City

__all__ = ["corridor_inputs", "drone_config", "plan_corridors", "reroute_corridors"]


def drone_config(config: DroneConfig | dict | None) -> DroneConfig:
    """Return ``config`` validated as a :class:`DroneConfig` (defaults when None).

    Raises
    ------
    ConfigError
        Naming the ``drones`` field that does not validate.
    """
    if isinstance(config, DroneConfig):
        return config
    try:
        return DroneConfig.model_validate(config or {})
    except ValidationError as exc:
        raise ConfigError.from_validation("drones config", exc, DroneConfig, "drones") from None


def plan_corridors(
    city: City,
    config: DroneConfig | dict | None = None,
    air_penalty: np.ndarray | None = None,
    progress: bool = False,
) -> CorridorResult:
    """Plan risk-aware drone corridors between hubs.

    Parameters
    ----------
    city : City
        The loaded city.
    config : DroneConfig or dict, optional
        The ``drones:`` configuration section; defaults throughout if omitted.
    air_penalty : numpy.ndarray, optional
        Extra routing risk per cell of the drone grid (same shape as ``CorridorResult.igrc``),
        e.g. the uncovered airspace times a weight (``planner.joint``). It is added to the
        risk used for ROUTING only; the reported ground risk is unchanged.
    progress : bool
        Show a progress bar over the route searches.

    Returns
    -------
    CorridorResult
        No-fly zones, obstacles, hubs, corridors (risk-aware), trunk network, rasters,
        a ``summary`` for ``summary.json["drones"]`` and the run's ``inputs``.
    """
    return _routed(city, corridor_inputs(city, drone_config(config)), air_penalty, progress)


def corridor_inputs(city: City, cfg: DroneConfig) -> CorridorInputs:
    """Build what the corridors are routed over: rules, airspace, ground risk and hubs.

    Parameters
    ----------
    city : City
        The loaded city.
    cfg : DroneConfig
        The validated drones configuration.

    Returns
    -------
    CorridorInputs
    """
    rules = flight_rules(cfg)
    space = restricted_airspace(city, cfg, rules, city_grid(city, cfg.resolution_m))
    people = ground_risk_model(city, cfg, people_per_household=city.people_per_household)
    return CorridorInputs(
        config=cfg,
        rules=rules,
        space=space,
        people=people,
        hubs=site_hubs(city, cfg, space, people),
        metrics=metric_inputs(city, cfg, rules, space, people),
        spacing=None if cfg.hubs else auto_hub_spacing(city, cfg),
        hub_count=None if cfg.hubs else auto_hub_count(city, cfg),
    )


def reroute_corridors(
    city: City,
    previous: CorridorResult,
    air_penalty: np.ndarray | None,
    budget_weights: list[float] | None = None,
    progress: bool = False,
) -> CorridorResult:
    """Route a planned run's corridors again with a routing penalty, reusing its inputs.

    The airspace, ground-risk model and hubs of ``previous`` are reused; only the routing,
    the corridor metrics, checks, trunk and summary are computed again. The result is the
    one :func:`plan_corridors` gives for the same city, config (with ``budget_weights``)
    and ``air_penalty``.

    Parameters
    ----------
    city : City
        The city ``previous`` was planned for.
    previous : CorridorResult
        A :func:`plan_corridors` result (its ``inputs``).
    air_penalty : numpy.ndarray, optional
        Extra routing risk per cell of the drone grid (see :func:`plan_corridors`).
    budget_weights : list of float, optional
        Replace the config's detour-budget weights (they only steer the routing).
    progress : bool
        Show a progress bar over the route searches.

    Returns
    -------
    CorridorResult

    Raises
    ------
    AnalysisError
        When ``previous`` carries no ``inputs``.
    """
    inputs = previous.inputs
    if inputs is None:
        raise AnalysisError("drones: this corridor result keeps no inputs to re-route with")
    if budget_weights is not None:
        cfg = inputs.config.model_copy(update={"budget_weights": list(budget_weights)})
        inputs = replace(inputs, config=cfg)
    return _routed(city, inputs, air_penalty, progress)


def _routed(
    city: City, inputs: CorridorInputs, air_penalty: np.ndarray | None, progress: bool = False
) -> CorridorResult:
    """Route the hubs over ``inputs`` (plus ``air_penalty``) and measure the corridors."""
    cfg, rules, space, people, hubs = (
        inputs.config,
        inputs.rules,
        inputs.space,
        inputs.people,
        inputs.hubs,
    )
    household = city.people_per_household
    weights = weighting(cfg)
    routing = people
    if air_penalty is not None:
        routing = replace(people, risk=people.risk + np.asarray(air_penalty, people.risk.dtype))
    network = (
        route_free(
            hubs, routing, space.blocked, weights, cfg.budget_weights, PairRule.of(cfg), progress
        )
        if cfg.mode == "free"
        else route_streets(city, cfg, hubs, space, rules, routing, weights)
    )
    links = connect_hubs(network, weights.weight, space.nofly)
    table = corridor_table(links, inputs.metrics, city.crs)
    checks = geometric_checks(table.corridors, space, cfg.corridor_width_m)
    trunk = trunk_network(links.paths, network.geometry, city.crs, cfg.corridor_width_m)
    placed = placed_hubs(network.hubs, network.routable, city.crs)
    spacing, count = inputs.spacing, inputs.hub_count
    summary = corridor_summary(
        cfg=cfg,
        rules=rules,
        weights=weights,
        space=space,
        hubs=placed,
        corridors=table.corridors,
        checks=checks,
        trunk=trunk.lines,
        messages=hubs.messages + network.messages + links.messages,
        spacing=spacing,
        hub_count=count,
        links={"rule": network.link_rule, "pairs": len(network.pairs)},
        coverage=people.coverage_pct,
        assumptions=assumptions(
            cfg, rules, space.obstacles, household, people.coverage_pct, spacing, count
        ),
        certificate=certificate_summary(
            network.router, network.gaps, network.routable["name"].tolist(), links.rows
        ),
    )
    return CorridorResult(
        nofly=space.nofly,
        obstacles=space.obstacles,
        corridors=table.corridors,
        hubs=placed,
        trunk=trunk.lines,
        corridor_area=trunk.area,
        baseline=table.baseline,
        igrc=people.igrc,
        density=people.density,
        blocked=space.blocked,
        transform=people.grid.transform,
        crs=city.crs,
        summary=summary,
        inputs=inputs,
    )
