"""Hub pairs: which to connect, their corridor lines, and the corridor table with its baseline."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS
from shapely.geometry import LineString

from planner.drones.metrics import MetricInputs, corridor_metrics
from planner.drones.network import Network

__all__ = ["CorridorTable", "Links", "connect_hubs", "corridor_table"]


@dataclass
class Links:
    """The routed hub pairs: one entry per connected pair, in pair order."""

    rows: list[dict]  #: ``from_hub``, ``to_hub``, ``cost``, ``risk_weight``
    lines: list[LineString]  #: risk-aware corridor line
    shortest_lines: list[LineString]  #: shortest feasible line of the same pair
    paths: list[np.ndarray]  #: graph node sequence of each corridor
    messages: list[str]  #: one line per pair left unconnected


@dataclass
class CorridorTable:
    """The corridors with their metrics, and the shortest feasible path of each pair."""

    corridors: gpd.GeoDataFrame
    baseline: gpd.GeoDataFrame


def connect_hubs(
    network: Network,
    weight: float | None,
    nofly: gpd.GeoDataFrame,
) -> Links:
    """Collect the routed corridor of each pair, or why the pair has none.

    Parameters
    ----------
    network : Network
        Routes between the routable hubs.
    weight : float, optional
        Risk weight of the routes (None: per pair, from ``network.pair_weight``).
    nofly : geopandas.GeoDataFrame
        No-fly zones, named in the message of an enclosed hub.

    Returns
    -------
    Links
        The corridors and the messages of unconnected pairs.
    """
    names = network.routable["name"].tolist()
    pair_w = network.pair_weight
    links = Links([], [], [], [], [])
    for i, j in network.pairs:
        if (i, j) not in network.routes.paths:
            size = {h: int(network.component_size[h]) for h in (i, j)}
            links.messages.append(_enclosed(network, i, j, min(size, key=size.get), nofly))
            continue
        seq = network.routes.paths[(i, j)]
        links.paths.append(seq)
        links.lines.append(network.geometry.line(seq))
        links.shortest_lines.append(network.geometry.shortest_line(network.shortest.paths[(i, j)]))
        links.rows.append(
            {
                "from_hub": names[i],
                "to_hub": names[j],
                "cost": network.routes.cost[i, j],
                "risk_weight": weight if pair_w is None else pair_w[(i, j)],
            }
        )
    return links


def _enclosed(network: Network, i: int, j: int, h: int, nofly: gpd.GeoDataFrame) -> str:
    """Message for a pair without route: hub ``h`` (the smaller component) is enclosed."""
    hubs = network.routable
    names = hubs["name"].tolist()
    a, b = hubs.geometry.iloc[i], hubs.geometry.iloc[j]
    near = (
        nofly.assign(d=nofly.distance(hubs.geometry.iloc[h])).nsmallest(2, "d")
        if len(nofly)
        else nofly
    )
    zones = "; ".join(near["reason"]) or "obstacles"
    return (
        f"no feasible corridor between {names[i]!r} and {names[j]!r}: hub "
        f"{names[h]!r} is enclosed (by {zones}); {a.distance(b):.0f} m apart"
    )


def corridor_table(links: Links, inputs: MetricInputs, crs: CRS) -> CorridorTable:
    """Return the corridors with their metrics compared with the shortest feasible paths.

    Parameters
    ----------
    links : Links
        From :func:`connect_hubs`.
    inputs : MetricInputs
        What :func:`~planner.drones.metrics.corridor_metrics` measures against.
    crs : pyproj.CRS
        The city CRS.

    Returns
    -------
    CorridorTable
        ``corridors`` (:data:`~planner.drones.result.CORRIDOR_COLUMNS` and the line) and
        ``baseline`` (``from_hub``, ``to_hub`` and the shortest line).
    """
    if not links.rows:
        corridors = gpd.GeoDataFrame({"from_hub": [], "to_hub": []}, geometry=[], crs=crs)
        baseline = gpd.GeoDataFrame({"from_hub": [], "to_hub": []}, geometry=[], crs=crs)
        return CorridorTable(corridors, baseline)
    m = corridor_metrics(gpd.GeoSeries(links.lines, crs=crs), inputs)
    ms = corridor_metrics(gpd.GeoSeries(links.shortest_lines, crs=crs), inputs)
    corridors = gpd.GeoDataFrame(pd.DataFrame(links.rows), geometry=links.lines, crs=crs)
    for c in m.columns:
        corridors[c] = m[c].to_numpy()
    corridors["shortest_length_m"] = ms["length_m"].to_numpy()
    corridors["shortest_ground_risk"] = ms["ground_risk"].to_numpy()
    corridors["detour_vs_shortest"] = np.where(
        corridors["shortest_length_m"] > 0,
        corridors["length_m"] / np.maximum(corridors["shortest_length_m"], 1e-9),
        1.0,
    )
    corridors["risk_reduction"] = np.where(
        ms["ground_risk"] > 0, 1 - m["ground_risk"] / np.maximum(ms["ground_risk"], 1e-12), 0
    )
    baseline = gpd.GeoDataFrame(
        corridors[["from_hub", "to_hub"]], geometry=links.shortest_lines, crs=crs
    )
    return CorridorTable(corridors, baseline)
