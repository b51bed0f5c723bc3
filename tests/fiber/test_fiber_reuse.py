"""Coverage hand-off to the plan, off-network assets, duct reuse and small helpers."""

from __future__ import annotations

import copy
import logging

import geopandas as gpd
import numpy as np
import pytest
import shapely
from fiber_helpers import city, random_assets

import planner.fiber as fiber_mod
from planner.config import FiberConfig, PlanConfig
from planner.errors import InputFileError
from planner.fiber import analyze_fiber
from planner.plan import edge_costs, plan_fiber


@pytest.fixture(scope="module")
def cov_assets():
    c = city("helsinki")
    return c, analyze_fiber(c, FiberConfig(), assets=random_assets(c, 4, seed=3))


def test_assets_all_off_network_are_greenfield(caplog):
    c = city("helsinki")
    x0, y0, x1, y1 = c.boundary.bounds
    # 3 km beyond the city's east edge: farther than max_snap_m from every street
    pts = shapely.points([[x1 + 3000, y0], [x1 + 3000, y1]])
    far = gpd.GeoDataFrame({"kind": ["cabinet"] * 2}, geometry=pts, crs=c.crs)
    with caplog.at_level(logging.WARNING, logger="planner.fiber"):
        cov = analyze_fiber(c, FiberConfig(use_osm_assets=False), assets=far)
    assert "off the street network" in caplog.text and "GREENFIELD" in caplog.text
    k = cov.kpis
    assert k["greenfield"] and k["assets_all_off_network"]
    assert k["assets"] == 2 and k["assets_on_network"] == 0
    assert k["premises_unreachable"] == 0
    assert k["premises_unserved"] == k["premises_total"]
    plan = plan_fiber(c, cov, PlanConfig())
    assert plan.summary["greenfield"] and plan.summary["central_offices"]
    assert plan.summary["premises_targeted"] > 0


def test_duct_file_is_reused_at_discount(cov_assets, tmp_path):
    c, cov = cov_assets
    cfg = PlanConfig()
    plan = plan_fiber(c, cov, cfg)
    r = plan.routes
    E = cov.network.edges
    full = (r["kind"] == "route") & np.isclose(r["length_m"], E.length[r["edge"]], atol=1e-3)
    row = r[full & (r["length_m"] > 60) & (r["duct_m"] == 0)].iloc[0]
    assert plan.summary["duct_reused_m"] == 0.0
    # the duct follows that street, written in WGS84 (reprojected on load)
    duct = gpd.GeoDataFrame({"kind": ["duct"]}, geometry=[E.geometry[row["edge"]]], crs=c.crs)
    path = tmp_path / "ducts.geojson"
    duct.to_crs(4326).to_file(path, driver="GeoJSON")
    plan2 = plan_fiber(c, cov, PlanConfig(duct_files=[path]))
    r2 = plan2.routes.set_index("edge")
    assert row["edge"] in r2.index
    hit = r2.loc[[row["edge"]]].iloc[0]
    assert hit["duct_m"] == pytest.approx(row["length_m"], abs=0.05)
    discounted = row["cost_per_m"] * (1 - cfg.duct_reuse_discount)
    assert hit["cost_per_m"] == pytest.approx(discounted, abs=1e-3)
    assert hit["cost"] == pytest.approx(
        row["cost"] - cfg.duct_reuse_discount * row["cost_per_m"] * row["length_m"], rel=1e-4
    )
    s2 = plan2.summary
    assert s2["duct_length_m"] == pytest.approx(row["length_m"], abs=0.5)
    assert s2["duct_reused_m"] >= row["length_m"] - 0.05
    assert s2["route_cost"] < plan.summary["route_cost"]
    # the duct argument is the same input
    plan3 = plan_fiber(c, cov, PlanConfig(), ducts=duct.to_crs(4326))
    assert plan3.summary["route_cost"] == pytest.approx(s2["route_cost"], abs=0.01)


def test_bad_ducts_are_refused(cov_assets, tmp_path):
    c, cov = cov_assets
    pts = gpd.GeoDataFrame(geometry=[c.boundary.centroid], crs=c.crs).to_crs(4326)
    path = tmp_path / "ducts.geojson"
    pts.to_file(path, driver="GeoJSON")
    with pytest.raises(InputFileError, match="ducts.geojson: 1 of 1 duct feature"):
        plan_fiber(c, cov, PlanConfig(duct_files=[path]))
    line = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (10, 0)])])
    with pytest.raises(InputFileError, match="ducts: the GeoDataFrame has no CRS"):
        plan_fiber(c, cov, PlanConfig(), ducts=line)


def test_edges_without_highway_are_counted(cov_assets):
    c, cov = cov_assets
    E = cov.network.edges
    G = c.graph.copy()
    for u, v, k in zip(E.u[:5], E.v[:5], E.key[:5], strict=True):
        del G.edges[u, v, k]["highway"]
    c2 = copy.copy(c)
    c2.graph = G
    plan = plan_fiber(c2, cov, PlanConfig())
    assert plan.summary["street_edges_without_highway"] == 5
    ec = edge_costs(c2, cov.network, PlanConfig())
    assert (ec["highway"][:5] == "unclassified").all() and ec["highway_missing"][:5].all()
    assert not ec["highway_missing"][5:].any()


def test_every_numeric_default_has_one_source():
    from planner.config.fiber import MOBILE_SOURCES, SOURCES

    for name, f in FiberConfig.model_fields.items():
        if isinstance(f.default, float | int) and not isinstance(f.default, bool):
            assert name in SOURCES, name
    for k in ("mobile_sites_per_10k_target", "key_place_radius_m", "mobile_site_radius_m"):
        assert SOURCES[k] is MOBILE_SOURCES[k]


def test_edge_clusters_match_networkx_oracle():
    import networkx as nx

    from planner.fiber.netdist import edge_clusters

    c = city("helsinki")
    E = fiber_mod.FiberNetwork.from_graph(c.graph).edges
    rng = np.random.default_rng(7)
    seed = rng.choice(len(E), 60, replace=False)
    sel, labels = edge_clusters(E, seed, 50.0)
    touched = {int(E.u_idx[i]) for i in seed} | {int(E.v_idx[i]) for i in seed}
    want = set(seed.tolist()) | {
        i
        for i in range(len(E))
        if E.length[i] <= 50.0 and E.u_idx[i] in touched and E.v_idx[i] in touched
    }
    assert set(sel.tolist()) == want
    H = nx.MultiGraph()
    H.add_edges_from((int(E.u_idx[i]), int(E.v_idx[i])) for i in want)
    for comp in nx.connected_components(H):
        assert len({labels[v] for v in comp}) == 1
    n_comp = nx.number_connected_components(H)
    assert len(np.unique(labels[E.u_idx[sel]])) == n_comp


def test_coverage_tif_fallback_is_tiled(tmp_path, monkeypatch):
    import rasterio
    import rasterio.shutil

    from planner.fiber.hexes import write_coverage_tif

    def no_cog(*a, **k):
        raise RuntimeError("no COG driver")

    monkeypatch.setattr(rasterio.shutil, "copy", no_cog)
    pts = shapely.points(np.array([[500.0, 500.0], [30_000.0, 30_000.0]]))
    out = write_coverage_tif(
        tmp_path / "c.tif", pts, np.array([3.0, 1.0]), np.array([1.0, 0.0]), "EPSG:3067", 100.0
    )
    with rasterio.open(out) as src:
        assert src.profile.get("tiled") is True
        assert src.block_shapes[0] == (256, 256)


def test_line_hits_mark_assets_on_network(cov_assets):
    from planner.fiber.netdist import sources_from_lines

    c, cov = cov_assets
    E = cov.network.edges
    x0, y0, x1, y1 = c.boundary.bounds
    far = shapely.LineString([(x1 + 5000, y0), (x1 + 5100, y0)])
    lines = np.array([E.geometry[3], far, shapely.LineString(), E.geometry[10]], dtype=object)
    src, hits = sources_from_lines(E, lines, 15.0, return_hits=True)
    assert hits.tolist() == [True, False, False, True]
    assert set(src.edge.tolist()) >= {3, 10}
    a = gpd.GeoDataFrame({"kind": ["route"] * 2}, geometry=[E.geometry[3], far], crs=c.crs)
    cov2 = analyze_fiber(c, FiberConfig(use_osm_assets=False), assets=a)
    assert cov2.assets["on_network"].tolist() == [True, False]
