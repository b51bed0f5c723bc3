"""Maps: escaping, grid aggregation vs brute force, raster overlay placement, write_maps."""

from __future__ import annotations

import html
import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from affine import Affine
from shapely.geometry import LineString, Point

from planner.drones import (
    CORRIDOR_COLUMNS,
    HUB_COLUMNS,
    NOFLY_COLUMNS,
    OBSTACLE_COLUMNS,
    TRUNK_COLUMNS,
    CorridorResult,
)
from planner.fiber import (
    ASSET_LAYER_COLUMNS,
    GAP_CLUSTER_COLUMNS,
    HEX_COLUMNS,
    PREMISE_COLUMNS,
    FiberCoverage,
)
from planner.plan import ROUTE_COLUMNS
from planner.render import _builder, _geometry, _overlay, _scaffold, layers, maps
from planner.render._columns import MissingColumnsError

CLASSES = ["passed", "near", "unserved", "unreachable"]

XSS_NAME = '<img src=x onerror="window.__xss=1">'


# --------------------------------------------------------------------------- synthetic inputs
def typed(cls, **given):
    """An instance of the result dataclass ``cls``: ``given`` fields, others None/default."""
    import dataclasses

    need = {
        f.name: None
        for f in dataclasses.fields(cls)
        if f.name not in given
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    }
    return cls(**need, **given)


def frame(columns, data, geometry, crs):
    """A GeoDataFrame with exactly the producer's ``columns`` (absent ones all None)."""
    n = len(geometry)
    cols = {c: data.get(c, [None] * n) for c in columns}
    return gpd.GeoDataFrame(cols, geometry=list(geometry), crs=crs)


def synthetic_fiber(city) -> FiberCoverage:
    """Fibre-like layers derived from the city alone (class by distance to one 'exchange')."""
    import h3

    b = city.buildings[city.buildings["premises"] > 0].reset_index(drop=True)
    pts = b.geometry.representative_point()
    origin = pts.iloc[0]
    dist = pts.distance(origin).to_numpy()
    kls = np.select(
        [dist < 150, dist < 500, dist < 1500], ["passed", "near", "unserved"], "unreachable"
    )
    data = {"osm_id": b["osm_id"], "building": b["building"], "premises": b["premises"]}
    data |= {"fiber_class": kls, "distance_m": dist, "fallback": False}
    premises = frame(PREMISE_COLUMNS, data, pts.to_numpy(), city.crs)
    ll = premises.to_crs(4326).geometry
    hexes = {}
    for res in (8, 9):
        counts = {k: np.where(kls == k, premises["premises"], 0) for k in CLASSES}
        df = pd.DataFrame({"h3": [h3.latlng_to_cell(p.y, p.x, res) for p in ll], **counts}).assign(
            premises=premises["premises"].to_numpy()
        )
        agg = df.groupby("h3", as_index=False).sum()
        agg["resolution"] = res
        agg["coverage_pct"] = (100 * agg["passed"] / agg["premises"]).round(2)
        polys = [
            shapely.Polygon([(lo, la) for la, lo in h3.cell_to_boundary(c)]) for c in agg["h3"]
        ]
        hexes[res] = frame(HEX_COLUMNS, agg.to_dict("list"), polys, 4326)
    streets = city.layers()["streets"].head(5)
    clusters = frame(
        GAP_CLUSTER_COLUMNS,
        {"cluster": range(5), "premises": [50, 40, 30, 20, 10], "rank_premises": range(1, 6)},
        streets.geometry.to_numpy(),
        city.crs,
    )
    assets = frame(
        ASSET_LAYER_COLUMNS, {"kind": ["exchange"], "name": [XSS_NAME]}, [origin], city.crs
    )
    kpis = {"coverage_pct": 12.5, "target_coverage_pct": 80.0}
    return typed(
        FiberCoverage,
        premises=premises,
        hexes=hexes,
        gap_clusters=clusters,
        assets=assets,
        kpis=kpis,
        districts=None,
        config=None,
    )


def synthetic_drones(city, kinds=("hospital", "military")) -> CorridorResult:
    """No-fly zones, two hubs, one corridor and a small risk grid in the city CRS."""
    x0, y0, x1, y1 = city.boundary.bounds
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    nofly = frame(
        NOFLY_COLUMNS,
        {
            "reason": ["hospital 'X' (100 m buffer)", XSS_NAME],
            "kind": list(kinds),
            "name": ["X", XSS_NAME],
            "buffer_m": [100.0, 0.0],
            "source": ["preset", "preset"],
        },
        [Point(cx, cy).buffer(120), Point(cx + 400, cy).buffer(80)],
        city.crs,
    )
    hubs = frame(
        HUB_COLUMNS,
        {"name": ["A", "B"], "source": ["config", "config"], "feasible": [True, True]},
        [Point(x0 + 50, y0 + 50), Point(x1 - 50, y1 - 50)],
        city.crs,
    )
    record = {"from_hub": "A", "to_hub": "B", "length_m": 1000.0, "detour_factor": 1.2}
    record |= {"ground_risk": 42.0, "straight_m": 800.0}
    corridors = frame(
        CORRIDOR_COLUMNS,
        {k: [v] for k, v in record.items()},
        [LineString([(x0 + 50, y0 + 50), (cx, y1 - 50), (x1 - 50, y1 - 50)])],
        city.crs,
    )
    res = 20.0
    w, h = int((x1 - x0) / res) + 1, int((y1 - y0) / res) + 1
    grid = np.zeros((h, w), dtype="int8")
    grid[: h // 2, : w // 2] = 5
    empty = {"data": {}, "geometry": [], "crs": city.crs}
    records = corridors.drop(columns=["geometry", "cost"]).to_dict("records")
    return typed(
        CorridorResult,
        nofly=nofly,
        obstacles=frame(OBSTACLE_COLUMNS, **empty),
        hubs=hubs,
        corridors=corridors,
        trunk=frame(TRUNK_COLUMNS, **empty),
        igrc=grid,
        transform=Affine(res, 0, x0, 0, -res, y1),
        crs=city.crs,
        summary={"corridors": records},
    )


def xss_city(city):
    """A copy of ``city`` whose first buildings and key places are named with the XSS payload.

    Key places are never aggregated, so the payload reaches the map even when a large city's
    buildings are drawn as grid cells.
    """
    import dataclasses

    b = city.buildings.copy()
    b.loc[b.index[:3], "name"] = XSS_NAME
    k = city.key_places.copy()
    k.loc[k.index[:1], "name"] = XSS_NAME
    return dataclasses.replace(city, buildings=b, key_places=k)


# --------------------------------------------------------------------------- tests
def test_escape_frame_escapes_every_string():
    gdf = gpd.GeoDataFrame(
        {"name": [XSS_NAME, None], "n": [1.234, 5], "cost": [1234567.8, 12.5]},
        geometry=[Point(0, 0), Point(1, 1)],
        crs=3857,
    )
    out = _builder.escape_frame(gdf, ["name", "cost"], keep=["n"])
    assert out["name"].tolist() == [html.escape(XSS_NAME), ""]
    assert out["cost"].tolist() == ["1,234,568", "12.50"]  # money, thousands separators
    assert out["n"].tolist() == [1.234, 5]  # kept raw for styling
    assert list(out.columns) == ["name", "cost", "n", "geometry"]


def test_escape_frame_refuses_a_column_the_frame_lacks():
    # A layer asking for a column its producer does not write is a drift, not silence.
    gdf = gpd.GeoDataFrame({"drop_m": [3.0]}, geometry=[Point(0, 0)], crs=3857)
    with pytest.raises(MissingColumnsError, match=r"map layer 'Drops'.*\['length_m'\]"):
        _builder.escape_frame(gdf, ["length_m", "drop_m"], layer="Drops")
    with pytest.raises(MissingColumnsError, match="_color"):
        _builder.escape_frame(gdf, ["drop_m"], keep=["_color"])


def test_drops_popup_shows_the_drop_length_and_cabinets_what_the_plan_writes():
    assert "drop_m" in layers.MAP_FIELDS["drops"]
    from planner.plan import CABINET_COLUMNS

    assert set(layers.MAP_FIELDS["cabinets"]) <= set(CABINET_COLUMNS)
    assert "cabinet" in layers.MAP_FIELDS["cabinets"]
    # once the plan writes premises and cost per cabinet, the popup shows them, in order
    more = [*CABINET_COLUMNS, "cost", "premises"]
    assert layers.produced_fields(layers.CABINET_POPUP, more)[-3:] == ["premises", "phase", "cost"]


def test_grid_aggregate_matches_brute_force():
    rng = np.random.default_rng(3)
    xy = rng.uniform(-500, 500, size=(400, 2))
    cat = rng.choice(["a", "b"], size=400)
    w = rng.integers(1, 10, size=400)
    gdf = gpd.GeoDataFrame({"cat": cat, "w": w}, geometry=shapely.points(xy), crs=32635)
    agg = _geometry.grid_aggregate(gdf, 100.0, weight="w", by="cat")
    brute: dict = {}
    for (x, y), c, wi in zip(xy, cat, w, strict=True):
        key = (int(np.floor(x / 100)), int(np.floor(y / 100)), c)
        n, s = brute.get(key, (0, 0))
        brute[key] = (n + 1, s + wi)
    got = {}
    for geom, c, n, s in zip(agg.geometry, agg["cat"], agg["features"], agg["w"], strict=True):
        minx, miny, maxx, maxy = geom.bounds
        assert maxx - minx == pytest.approx(100) and maxy - miny == pytest.approx(100)
        got[(round(minx / 100), round(miny / 100), c)] = (n, s)
    assert got == brute
    with pytest.raises(ValueError, match="projected"):
        _geometry.grid_aggregate(gdf.to_crs(4326))


def test_raster_png_places_the_hot_cell():
    # 10x10 grid of 100 m cells in UTM 35N, one hot cell at row 2, col 7.
    transform = Affine(100, 0, 385000, 0, -100, 6673000)
    grid = np.zeros((10, 10))
    grid[2, 7] = 9
    uri, bounds, (lo, hi) = _overlay.raster_png(grid, transform, "EPSG:32635")
    assert uri.startswith("data:image/png;base64,") and (lo, hi) == (0.0, 9.0)
    import base64
    from io import BytesIO

    from PIL import Image
    from pyproj import Transformer

    img = np.asarray(Image.open(BytesIO(base64.b64decode(uri.split(",", 1)[1]))))
    (s, w), (n, e) = bounds
    # Independent placement: project the hot cell centre with pyproj to lon/lat, then to
    # the image row/col through Web Mercator (which is how Leaflet stretches an overlay).
    lon, lat = Transformer.from_crs(32635, 4326, always_xy=True).transform(385750, 6672750)
    merc = Transformer.from_crs(4326, 3857, always_xy=True)
    mx, my = merc.transform(lon, lat)
    mw, ms = merc.transform(w, s)
    me, mn = merc.transform(e, n)
    col = int((mx - mw) / (me - mw) * img.shape[1])
    row = int((mn - my) / (mn - ms) * img.shape[0])
    assert img[row, col, 3] > 0  # opaque where the risk is
    assert img[..., 3].astype(bool).sum() < img.shape[0] * img.shape[1] / 10  # rest clear
    assert img[0, 0, 3] == 0


def test_city_map_still_works(helsinki):
    m = maps.city_map(helsinki)
    out = m.get_root().render()
    assert "buildings (" in out and "OpenStreetMap contributors" in out


@pytest.fixture(scope="module")
def written(helsinki, tmp_path_factory):
    from planner.errors import InputFileError
    from planner.render import offline

    try:
        offline.fetch_assets(progress=False)
    except InputFileError as exc:
        pytest.skip(f"npm assets unavailable: {exc}")
    city = xss_city(helsinki)
    out = tmp_path_factory.mktemp("maps")
    files = maps.write_maps(
        out, city, fiber=synthetic_fiber(city), drones=synthetic_drones(city), max_features=300
    )
    return out, files


def test_write_maps_files_and_layers(written):
    out, files = written
    assert [f.name for f in files] == [
        "map.html",
        "map_fiber_gaps.html",
        "map_airspace.html",
        "maps.json",
    ]
    meta = json.loads((out / "maps.json").read_text())
    layers = " | ".join(meta["map.html"]["layers"])
    for name in (
        "Coverage hexes r9",
        "Premises: passed",
        "Gap clusters",
        "Fibre assets",
        "No-fly: hospital",
        "Ground risk",
        "Drone corridors",
        "Hubs",
        "buildings",
    ):
        assert name in layers
    # 486 buildings > budget of 300: aggregated, and said so
    assert "buildings" in meta["map.html"]["aggregated"]
    assert "premises" in meta["map_fiber_gaps.html"]["aggregated"]
    for fname, info in meta.items():
        assert info["size_mb"] < 10, fname
        assert info["size_mb"] == pytest.approx((out / fname).stat().st_size / 1e6, abs=1e-3)


def test_written_maps_are_escaped_and_self_contained(written):
    out, _ = written
    for name in ("map.html", "map_fiber_gaps.html", "map_airspace.html"):
        text = (out / name).read_text(encoding="utf-8")
        assert "<img src=x onerror" not in text  # raw payload nowhere
        # but present, escaped (folium's JSON writes "&" as \u0026)
        assert "\\u0026lt;img src=x onerror" in text or "&lt;img src=x onerror" in text
        assert not re.search(r"<script[^>]+src=[\"']https?://", text)
        assert not re.search(r"<link[^>]+href=[\"']https?://", text)
        assert "OpenStreetMap contributors" in text
        for control in ("Fullscreen", "MiniMap", "Measure"):
            assert control in text


def test_layer_control_comes_last(written):
    out, _ = written
    text = (out / "map.html").read_text(encoding="utf-8")
    control = text.rfind("L.control.layers(")
    assert control > 0
    assert text.rfind("L.geoJson(") < control and text.rfind("imageOverlay(") < control


def _overlay_names(rendered: str) -> list[str]:
    """The overlay names of the rendered layer control, as the browser's JS sees them."""
    block = rendered[rendered.index("overlays :") : rendered.index("L.control.layers(")]
    return [json.loads(f'"{k}"') for k in re.findall(r'"((?:[^"\\]|\\.)*)"\s*:\s*\w+,', block)]


def test_layer_names_from_data_are_escaped_for_the_layer_control():
    # Leaflet's layer control sets label.innerHTML = " " + name: a no-fly kind (which may
    # carry OSM text) or a plan phase must arrive escaped.
    square = Point(385000, 6673000).buffer(100)
    nofly = frame(NOFLY_COLUMNS, {"kind": [XSS_NAME], "name": [XSS_NAME]}, [square], 32635)
    routes = frame(
        ROUTE_COLUMNS,
        {"phase": [XSS_NAME], "length_m": [141.0], "cost": [10.0]},
        [LineString([(385000, 6673000), (385100, 6673100)])],
        32635,
    )
    b = _builder.LayerBuilder(_scaffold.base_map(nofly.to_crs(4326), "t"))
    layers.add_nofly(b, nofly)
    layers.add_routes(b, routes)
    m, info = b.finish()
    rendered = m.get_root().render()
    names = _overlay_names(rendered)
    assert names == [html.escape(n) for n in info["layers"]]
    assert len(names) == 2 and all(XSS_NAME in n for n in info["layers"])  # raw in maps.json
    assert not any("<" in n for n in names)
    assert "no-fly: " + html.escape(XSS_NAME) in rendered  # legend label escaped too
    assert XSS_NAME not in rendered


def test_risk_legend_ramp_matches_the_overlay_image_and_ranks_out_of_scope_highest():
    import base64
    from io import BytesIO

    import folium
    from PIL import Image

    grid = np.zeros((10, 10), dtype="int8")
    grid[2, 7] = -1  # SORA out of scope: the riskiest class, drawn as 11
    grid[6, 3] = 5
    transform = Affine(100, 0, 385000, 0, -100, 6673000)
    where = gpd.GeoDataFrame(geometry=[Point(385500, 6672500)], crs=32635).to_crs(4326)
    b = _builder.LayerBuilder(_scaffold.base_map(where, "t"))
    layers.add_risk_overlay(b, grid, transform, "EPSG:32635")
    (ramp,) = b.gradients
    assert (ramp.vmin, ramp.vmax) == (0, 11)
    (overlay,) = [
        c for c in b.m._children.values() if isinstance(c, folium.raster_layers.ImageOverlay)
    ]
    img = np.asarray(Image.open(BytesIO(base64.b64decode(overlay.url.split(",", 1)[1]))))
    drawn = np.unique(img[img[..., 3] > 0][:, :3].astype(int), axis=0)
    assert len(drawn) == 2  # exactly the two risky cells' colours
    # the legend's colours at 5 and 11 are the colours the image uses for those cells
    legend = np.array([ramp.rgba_bytes_tuple(v)[:3] for v in (5, 11)])
    assert np.abs(drawn[np.argsort(drawn[:, 1])[::-1]] - legend).max() <= 1


def test_legend_swatch_only_for_layers_drawn():
    hubs = frame(HUB_COLUMNS, {"name": ["A"]}, [Point(385000, 6673000)], 32635)
    b = _builder.LayerBuilder(_scaffold.base_map(hubs.to_crs(4326), "t"))
    layers.add_hubs(b, hubs.iloc[:0])
    assert b.legend == [] and b.info["layers"] == []
    layers.add_hubs(b, hubs)
    assert b.legend == [("#000080", "drone hub")] and b.info["layers"] == ["Hubs (1)"]


def _routes(n: int, seed: int = 0) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(0, 5000, n), rng.uniform(0, 5000, n)
    lines = [LineString([(a, b), (a + 30, b + 5), (a + 60, b)]) for a, b in zip(x, y, strict=True)]
    return gpd.GeoDataFrame(
        {"phase": rng.integers(1, 3, n), "length_m": 60.8, "cost": rng.uniform(1, 9, n)},
        geometry=lines,
        crs="EPSG:32632",
    )


def test_route_lines_over_budget_are_merged_per_cell_keeping_totals():
    routes = _routes(500)
    b = _builder.LayerBuilder(_scaffold.base_map(routes.to_crs(4326), "t"), max_features=40)
    merged, done = b.merge_lines(routes, "planned routes", ["length_m", "cost"], by="phase")
    assert done and len(merged) <= 40
    assert merged["features"].sum() == 500
    assert np.isclose(merged["cost"].sum(), routes["cost"].sum())
    assert np.isclose(merged.geometry.length.sum(), routes.geometry.length.sum())
    # each group holds one phase only, and its cost is that of its own lines
    for ph in (1, 2):
        assert np.isclose(
            merged.loc[merged["phase"] == ph, "cost"].sum(),
            routes.loc[routes["phase"] == ph, "cost"].sum(),
        )
    assert "planned routes" in b.info["aggregated"]
    same, done = b.merge_lines(routes.head(40), "r", ["cost"], by="phase")
    assert not done and len(same) == 40


def test_layers_over_the_vertex_budget_are_simplified(monkeypatch):
    t = np.linspace(0, 2 * np.pi, 4000)
    wiggle = LineString(np.c_[t * 1000, np.sin(t * 50) * 3])  # 4,000 vertices, +-3 m
    gdf = gpd.GeoDataFrame({"name": ["w"]}, geometry=[wiggle], crs="EPSG:32632")
    monkeypatch.setattr(_builder, "MAX_VERTICES", 500)
    b = _builder.LayerBuilder(_scaffold.base_map(gdf.to_crs(4326), "t"))
    simple, tol = b.fit_vertices(gdf, "wiggle", 0.5)
    assert shapely.get_num_coordinates(simple.geometry.to_numpy()).sum() <= 500
    assert tol == 0.0 and "wiggle" in b.info["aggregated"]
    assert simple.geometry.iloc[0].hausdorff_distance(wiggle) < 10  # still the same line
    monkeypatch.setattr(_builder, "MAX_VERTICES", 10_000)
    same, tol = b.fit_vertices(gdf, "wiggle2", 0.5)
    assert same is gdf and tol == 0.5
