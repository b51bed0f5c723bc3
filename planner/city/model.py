"""The City: a street graph and data layers of one city in one projected CRS."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely
from pyproj import CRS
from shapely import Polygon

from planner.config.buildings import BuildingAssumptions

#: Defaults of the building assumptions (the household size a City is made with by default).
BUILDING_DEFAULTS = BuildingAssumptions()

__all__ = ["LAYER_NAMES", "City", "graph_frames"]

#: Names of the GeoDataFrame layers a City holds, in export order.
LAYER_NAMES = ["buildings", "telecom", "airspace", "landuse", "key_places", "admin_areas"]


def graph_frames(G: nx.MultiDiGraph) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Return the node and edge frames of ``osmnx.graph_to_gdfs(G)``, built vectorised.

    The same frames (columns, index, geometries) as osmnx 2.1, whose conversion builds a
    LineString for every edge even when it has a geometry and a Point per node in Python:
    3-5x slower on a million-premise mosaic. Missing edge geometries are filled with the
    straight segment between the end nodes, as osmnx does.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        A graph with node ``x``/``y`` and ``G.graph["crs"]``.

    Returns
    -------
    (GeoDataFrame, GeoDataFrame)
        Nodes indexed by ``osmid``; edges indexed by ``(u, v, key)``.
    """
    crs = G.graph["crs"]
    ids, data = zip(*G.nodes(data=True), strict=True)
    xy = np.array([(d["x"], d["y"]) for d in data], dtype=float)
    nodes = gpd.GeoDataFrame(data, index=ids, crs=crs, geometry=shapely.points(xy))
    nodes.index = nodes.index.rename("osmid")
    u, v, k, edata = zip(*G.edges(keys=True, data=True), strict=True)
    geoms = np.array([d.get("geometry") for d in edata], dtype=object)
    missing = np.array([i for i, d in enumerate(edata) if "geometry" not in d], dtype=np.int64)
    if len(missing):
        pos = dict(zip(ids, range(len(ids)), strict=True))
        ends = np.array([(pos[u[i]], pos[v[i]]) for i in missing], dtype=np.int64)
        geoms[missing] = shapely.linestrings(xy[ends])
    edges = gpd.GeoDataFrame(edata, crs=crs, geometry=geoms)
    edges["u"] = u
    edges["v"] = v
    edges["key"] = k
    return nodes, edges.set_index(["u", "v", "key"])


@dataclass
class City:
    """A city's street graph and data layers, all in one projected CRS (metres).

    Attributes
    ----------
    name : str
        Safe folder name of the city.
    source : str
        Where the data came from (file path, place name or ``sample:helsinki``).
    crs : pyproj.CRS
        The local projected CRS (UTM by default).
    graph : networkx.MultiDiGraph
        osmnx-compatible street graph, bidirectional, projected.
    buildings, telecom, airspace, landuse, key_places, admin_areas : GeoDataFrame
        The data layers (see :mod:`planner.city.layers` and :mod:`planner.city.buildings`).
    boundary : shapely.Polygon
        Extent of the data (convex hull of street nodes and buildings).
    assumptions : dict
        The defaults used, with sources, for ``summary.json``.
    """

    name: str
    source: str
    crs: CRS
    graph: nx.MultiDiGraph
    buildings: gpd.GeoDataFrame
    telecom: gpd.GeoDataFrame
    airspace: gpd.GeoDataFrame
    landuse: gpd.GeoDataFrame
    key_places: gpd.GeoDataFrame
    admin_areas: gpd.GeoDataFrame
    boundary: Polygon
    assumptions: dict = field(default_factory=dict)
    load_seconds: float = 0.0
    from_cache: bool = False
    #: Residents per household (``buildings.people_per_household``): the one household size
    #: that the fibre people counts and the drone ground-risk model both use.
    people_per_household: float = BUILDING_DEFAULTS.people_per_household

    def layers(self, names: list[str] | None = None) -> dict[str, gpd.GeoDataFrame]:
        """Return the data layers by name, streets (graph edges) and nodes included.

        ``names`` keeps only those layers (the street frames are only built when asked for:
        on a million-premise city they take tens of seconds).
        """
        out: dict[str, gpd.GeoDataFrame] = {}
        if names is None or {"streets", "street_nodes"} & set(names):
            nodes, edges = graph_frames(self.graph)
            streets = edges.reset_index()
            streets = streets[streets["u"] < streets["v"]].reset_index(drop=True)
            out = {"streets": streets, "street_nodes": nodes.reset_index()}
        out.update({name: getattr(self, name) for name in LAYER_NAMES})
        out["boundary"] = gpd.GeoDataFrame(
            {"name": [self.name]}, geometry=[self.boundary], crs=self.crs
        )
        return out if names is None else {n: out[n] for n in names if n in out}

    def counts(self) -> dict[str, int]:
        """Return the number of features per layer (streets counted once per direction pair)."""
        counts = {name: int(len(getattr(self, name))) for name in LAYER_NAMES}
        counts["street_nodes"] = self.graph.number_of_nodes()
        counts["streets"] = sum(1 for u, v, _ in self.graph.edges(keys=True) if u < v)
        counts["premises"] = int(self.buildings["premises"].sum())
        return counts

    def __repr__(self) -> str:
        c = self.counts()
        return (
            f"City({self.name!r}, crs={self.crs.to_string()}, {c['street_nodes']} street nodes, "
            f"{c['buildings']} buildings, {c['premises']} premises, {c['telecom']} telecom assets)"
        )
