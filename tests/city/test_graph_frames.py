"""graph_frames: the same node and edge frames as osmnx.graph_to_gdfs, vectorised."""

from __future__ import annotations

import networkx as nx
import osmnx as ox
import pandas as pd
import shapely

from planner.city.model import graph_frames


def test_graph_frames_equal_osmnx_with_and_without_edge_geometry():
    G = nx.MultiDiGraph(crs="EPSG:32632")
    for n, (x, y) in enumerate([(0, 0), (100, 0), (100, 80), (0, 90)]):
        G.add_node(10 + n, x=float(x), y=float(y), street_count=2)
    bent = shapely.LineString([(100, 0), (130, 40), (100, 80)])
    G.add_edge(10, 11, 0, length=100.0, highway="residential", name="A")
    G.add_edge(11, 10, 0, length=100.0, highway="residential", name="A", reversed=True)
    G.add_edge(11, 12, 0, length=100.0, highway="primary", geometry=bent)
    G.add_edge(12, 13, 0, length=100.4, highway=["primary", "secondary"])
    G.add_edge(12, 13, 1, length=120.0, oneway=True)
    nodes, edges = graph_frames(G)
    ref_nodes, ref_edges = ox.graph_to_gdfs(G)
    pd.testing.assert_frame_equal(nodes, ref_nodes, check_exact=True)
    pd.testing.assert_frame_equal(edges, ref_edges, check_exact=True)
    assert edges.loc[(11, 12, 0)].geometry.equals_exact(bent, 0)
    assert edges.loc[(12, 13, 1)].geometry.equals_exact(shapely.LineString([(100, 80), (0, 90)]), 0)
