import logging
import types
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import rasterio
import yaml
from affine import Affine
from pyproj import CRS
from shapely.geometry import LineString, Point, box

from planner.config import load_preset, sora
from planner.config.drones import OVERRIDE_SOURCE, PRESET_DIR
from planner.drones.airspace import (
    FlightBand,
    blocked_mask,
    blocking_geometries,
    building_population,
    city_grid,
    ground_risk_raster,
    nofly_zones,
    obstacles,
    population_density_raster,
    population_raster_coverage,
    rasterize_mask,
    write_geotiff,
)
from planner.drones.lattice import cell_centres
from planner.errors import ConfigError, InputFileError

X0, Y0 = 500_000.0, 5_200_000.0
CRS32 = CRS.from_epsg(32632)


def make_city(width=3000.0, height=2000.0, spacing=100.0):
    """A synthetic City in the contract's shape: dense core in the middle, a prison to the
    south-west, a hospital, a lake, a tall tower, a mast and a street grid."""
    bldg = []
    rng = np.random.default_rng(1)
    for x in np.arange(50, width, 60):
        for y in np.arange(50, height, 60):
            core = abs(x - width / 2) < 500 and abs(y - height / 2) < 400
            if not core and rng.random() > 0.15:
                continue
            g = box(X0 + x - 15, Y0 + y - 15, X0 + x + 15, Y0 + y + 15)
            lv = 6 if core else 2
            bldg.append(
                dict(
                    osm_id=len(bldg),
                    building="apartments",
                    name="",
                    height_m=3.0 * lv,
                    height_source="levels",
                    levels=lv,
                    footprint_m2=900.0,
                    floor_area_m2=900.0 * lv,
                    premises=8 * lv if core else 1,
                    residential=True,
                    geometry=g,
                )
            )
    buildings = gpd.GeoDataFrame(bldg, crs=CRS32)
    air = gpd.GeoDataFrame(
        [
            dict(
                osm_id=1,
                kind="prison",
                name="JVA Test",
                height_m=np.nan,
                geometry=box(X0 + 300, Y0 + 300, X0 + 500, Y0 + 450),
            ),
            dict(
                osm_id=2,
                kind="tower",
                name="TV tower",
                height_m=210.0,
                geometry=Point(X0 + 2600, Y0 + 1000),
            ),
            dict(
                osm_id=3,
                kind="chimney",
                name="",
                height_m=np.nan,
                geometry=Point(X0 + 2700, Y0 + 300),
            ),
        ],
        crs=CRS32,
    )
    telecom = gpd.GeoDataFrame(
        [
            dict(
                osm_id=10,
                kind="mast",
                name="M1",
                height_m=np.nan,
                mobile=True,
                fibre=False,
                geometry=Point(X0 + 1500, Y0 + 1000),
            )
        ],
        crs=CRS32,
    )
    landuse = gpd.GeoDataFrame(
        [
            dict(kind="water", geometry=box(X0 + 2200, Y0 + 1400, X0 + 2900, Y0 + 1900)),
            dict(kind="park", geometry=box(X0 + 200, Y0 + 1300, X0 + 700, Y0 + 1800)),
            dict(
                kind="major_road", geometry=LineString([(X0, Y0 + 1000), (X0 + width, Y0 + 1000)])
            ),
        ],
        crs=CRS32,
    )
    key_places = gpd.GeoDataFrame(
        [dict(kind="hospital", name="St Test", geometry=Point(X0 + 1500, Y0 + 1700))], crs=CRS32
    )
    g = nx.MultiDiGraph(crs=CRS32)
    xs, ys = np.arange(0, width + 1, spacing), np.arange(0, height + 1, spacing)
    for i, x in enumerate(xs):
        for j, y in enumerate(ys):
            g.add_node((i, j), x=X0 + x, y=Y0 + y)
    for i in range(len(xs)):
        for j in range(len(ys)):
            for di, dj in ((1, 0), (0, 1)):
                if i + di < len(xs) and j + dj < len(ys):
                    a, b = (i, j), (i + di, j + dj)
                    geom = LineString(
                        [(g.nodes[a]["x"], g.nodes[a]["y"]), (g.nodes[b]["x"], g.nodes[b]["y"])]
                    )
                    for u, v, gg in ((a, b, geom), (b, a, geom.reverse())):
                        g.add_edge(
                            u, v, length=spacing, highway="residential", osmid=0, geometry=gg
                        )
    g = nx.convert_node_labels_to_integers(g)
    return types.SimpleNamespace(
        name="synthetic",
        crs=CRS32,
        source="test",
        graph=g,
        buildings=buildings,
        telecom=telecom,
        airspace=air,
        landuse=landuse,
        key_places=key_places,
        boundary=box(X0, Y0, X0 + width, Y0 + height),
        assumptions={},
    )


@pytest.fixture(scope="module")
def city():
    return make_city()


@pytest.mark.parametrize("name", ["cn", "eu", "us", "uk", "usepe"])
def test_presets_load_and_cite(name):
    p = load_preset(name)
    assert p.name == name
    assert p.altitude_cap.value_m >= 120 and p.altitude_cap.source
    assert p.nofly and all(len(r.source) > 10 for r in p.nofly.values())


def test_presets_ship_as_package_data():
    # a non-editable wheel install only has what lives inside the package
    import importlib.resources

    import planner

    pkg = importlib.resources.files("planner")
    names = {"cn", "eu", "uk", "us", "usepe"}
    assert all(pkg.joinpath(f"data/airspace/{n}.yml").is_file() for n in names)
    assert PRESET_DIR.is_relative_to(Path(planner.__file__).resolve().parent)
    assert {f.stem for f in PRESET_DIR.glob("*.yml")} == names


def test_preset_overrides_and_errors(tmp_path):
    p = load_preset("usepe", {"nofly": {"hospital": {"buffer_m": 250}}})
    assert p.nofly["hospital"].buffer_m == 250
    # the value is the user's now, so is the citation (the preset's source would be wrong)
    assert p.nofly["hospital"].source == OVERRIDE_SOURCE
    with pytest.raises(ConfigError, match=r"usepe\.yml.*nofly\.hospital\.buffer_m"):
        load_preset("usepe", {"nofly": {"hospital": {"buffer_m": -5}}})
    with pytest.raises(ConfigError, match="unknown airspace preset"):
        load_preset("mars")
    bad = yaml.safe_load((PRESET_DIR / "eu.yml").read_text())
    bad["nofly"]["stadium"] = {"buffer_m": 1, "source": "x" * 5}
    f = tmp_path / "bad.yml"
    f.write_text(yaml.safe_dump(bad))
    with pytest.raises(ConfigError, match=r"bad\.yml.*stadium"):
        load_preset(f)
    f.write_text("name: [unclosed")
    with pytest.raises(ConfigError, match=r"bad\.yml: not valid YAML"):
        load_preset(f)
    del bad["nofly"]["stadium"]
    bad["altitude_cap"].pop("source")
    f.write_text(yaml.safe_dump(bad))
    with pytest.raises(ConfigError, match=r"altitude_cap\.source"):
        load_preset(f)


def test_nofly_zones(city):
    z = nofly_zones(city, load_preset("usepe"))
    assert set(z["kind"]) == {"prison", "hospital"}
    prison = z[z["kind"] == "prison"].iloc[0]
    assert "JVA Test" in prison["reason"]
    # buffered rectangle: area = 200*150 + perimeter*100 + pi*100^2
    assert prison.geometry.area == pytest.approx(200 * 150 + 700 * 100 + np.pi * 1e4, rel=2e-3)
    eu = load_preset(
        "eu", {"nofly": {"major_road": {"buffer_m": 100, "ceiling_m": 50, "source": "test"}}}
    )
    kinds = set(nofly_zones(city, eu, FlightBand(min_m=60, max_m=120))["kind"])
    assert "major_road" not in kinds and "prison" in kinds
    assert "major_road" in set(nofly_zones(city, eu)["kind"])


def test_obstacles_defaults(city):
    ob = obstacles(city, clearance=15)
    ch = ob[ob["kind"] == "chimney"].iloc[0]
    assert ch["height_m"] == 40.0 and ch["height_source"] == "default"
    assert ch["top_m"] == 55.0
    assert (ob["top_m"] == ob["height_m"] + 15).all()
    assert len(ob[ob["kind"] == "building"]) == len(city.buildings)
    assert len(ob[ob["kind"] == "mast"]) == 1


def test_population_density_brute_force(city):
    res, win = 20.0, 100.0
    dens, tr = population_density_raster(city, res, window_m=win, landuse_factors={"water": 1})
    _, shape = city_grid(city, res)
    assert dens.shape == shape
    people = building_population(city.buildings)
    # brute force: counts per cell, then a 5x5 window mean for a few cells
    pts = city.buildings.geometry.representative_point()
    cnt = np.zeros(shape)
    for x, y, p in zip(pts.x, pts.y, people, strict=True):
        cnt[int((tr.f - y) // res), int((x - tr.c) // res)] += p
    for r, c in [(50, 75), (10, 10), (0, 0), (shape[0] - 1, shape[1] - 1)]:
        win_sum = cnt[max(0, r - 2) : r + 3, max(0, c - 2) : c + 3].sum()
        assert dens[r, c] == pytest.approx(win_sum / 25 / (res * res / 1e6), rel=1e-4)
    # the smoothing conserves people away from the edges (all buildings are inside)
    assert dens.sum() * res * res / 1e6 == pytest.approx(people.sum(), rel=0.02)
    dens_w, _ = population_density_raster(city, res, window_m=win)
    lake = (
        slice(int((tr.f - Y0 - 1890) // res), int((tr.f - Y0 - 1410) // res)),
        slice(int((X0 + 2210 - tr.c) // res), int((X0 + 2890 - tr.c) // res)),
    )
    assert dens_w[lake].max() == 0.0 and dens[lake].max() > 0


def test_ground_risk_matches_sora(city):
    dens, _ = population_density_raster(city, 25.0)
    g, tr = ground_risk_raster(city, 25.0, "3m")
    assert g.dtype == np.int8
    assert np.array_equal(g, sora.igrc(dens, "3m"))
    assert g.max() >= 5  # dense core is above 500 ppl/km²


def test_population_raster_input(city):
    dens_in, tr = population_density_raster(city, 50.0)
    dens, _ = population_density_raster(
        city, 25.0, population_raster=(dens_in, tr, city.crs), window_m=25.0
    )
    # resampling a 50 m grid onto 25 m keeps the mean density
    assert dens.mean() == pytest.approx(dens_in.mean(), rel=0.02)


def test_blocked_mask_geometric_guarantee(city):
    res = 20.0
    tr, shape = city_grid(city, res)
    z = nofly_zones(city, load_preset("usepe"))
    ob = obstacles(city, 10)
    blocked = blocked_mask(z, ob, 120.0, tr, shape)
    tower = ob[ob["kind"] == "tower"].geometry.iloc[0]
    r, c = int((tr.f - tower.y) // res), int((tower.x - tr.c) // res)
    assert blocked[r, c]
    assert blocked.mean() < 0.3
    # every segment between two 8-adjacent free cells misses every zone and tall obstacle
    nr, nc = shape
    idx = np.arange(nr * nc).reshape(nr, nc)
    free = ~blocked
    segs = []
    for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
        s = (slice(0, nr - dr), slice(max(0, -dc), nc - max(0, dc)))
        t = (slice(dr, nr), slice(max(0, -dc) + dc, nc - max(0, dc) + dc))
        ok = free[s] & free[t]
        if dr and dc:
            ok &= free[(slice(dr, nr), s[1])] & free[(s[0], t[1])]
        a = cell_centres(idx[s][ok], tr, nc)
        b = cell_centres(idx[t][ok], tr, nc)
        segs += [LineString([p, q]) for p, q in zip(a, b, strict=True)]
    lines = gpd.GeoSeries(segs, crs=city.crs)
    bad = gpd.GeoSeries(list(z.geometry) + list(ob[ob["top_m"] >= 120].geometry), crs=city.crs)
    hits = lines.sindex.query(bad, predicate="intersects")
    assert hits.size == 0


def test_write_geotiff_atomic(tmp_path, city):
    g, tr = ground_risk_raster(city, 50.0)
    out = write_geotiff(tmp_path / "sub" / "risk.tif", g, tr, city.crs, nodata=-1)
    with rasterio.open(out) as src:
        assert np.array_equal(src.read(1), g)
        assert src.crs.to_epsg() == 32632
        assert src.transform == tr
    assert [p.name for p in out.parent.iterdir()] == ["risk.tif"]


def test_override_citation():
    eu = load_preset("eu")
    p = load_preset(
        "eu",
        {
            "nofly": {
                "hospital": {"buffer_m": 200},
                "prison": {"buffer_m": 300, "source": "Stadt Test §2"},
            },
            "altitude_cap": {"value_m": 100},
        },
    )
    assert p.nofly["hospital"].buffer_m == 200
    assert p.nofly["hospital"].source == OVERRIDE_SOURCE != eu.nofly["hospital"].source
    assert p.nofly["prison"].source == "Stadt Test §2"
    assert p.altitude_cap.source == OVERRIDE_SOURCE
    # untouched rules keep the preset's citation
    assert p.nofly["aerodrome"].source == eu.nofly["aerodrome"].source
    assert p.default_clearance.source == eu.default_clearance.source


def test_population_raster_smoothed_like_buildings(city):
    # a single hot cell spreads over the window (window_m applies to rasters too)
    tr, shape = city_grid(city, 25.0)
    arr = np.zeros(shape, dtype="float32")
    arr[40, 60] = 1e6
    flat, _ = population_density_raster(city, 25.0, population_raster=(arr, tr, city.crs))
    assert flat[40, 60] == pytest.approx(1e6 / 64, rel=1e-4)  # 200 m / 25 m = 8 x 8 window
    assert flat[37, 57] > 0 and flat.sum() == pytest.approx(1e6, rel=1e-4)


def test_population_raster_partial_coverage(city, caplog):
    tr, shape = city_grid(city, 25.0)
    full = np.full(shape, 1000.0, dtype="float32")
    with caplog.at_level(logging.WARNING, logger="planner.airspace"):
        population_density_raster(city, 25.0, population_raster=(full, tr, city.crs))
    assert not caplog.records
    assert population_raster_coverage(city, 25.0, (full, tr, city.crs)) == pytest.approx(100)
    # a raster over the western 40 % of the grid only (the city boundary fills the grid)
    cols = int(shape[1] * 0.4)
    west = full[:, :cols]
    inside = rasterize_mask([city.boundary], tr, shape, all_touched=False)
    expect = 100 * inside[:, :cols].sum() / inside.sum()
    pct = population_raster_coverage(city, 25.0, (west, tr, city.crs))
    assert pct == pytest.approx(expect, abs=0.01) and 30 < pct < 50
    with caplog.at_level(logging.WARNING, logger="planner.airspace"):
        dens, _ = population_density_raster(
            city, 25.0, population_raster=(west, tr, city.crs), window_m=25.0
        )
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert f"covers {pct:.1f} %" in caplog.records[0].getMessage()
    assert (dens[:, cols:] == 0).all() and (dens[:, :cols] == pytest.approx(1000.0))


def test_population_raster_errors(city, tmp_path):
    tr, shape = city_grid(city, 50.0)
    arr = np.ones(shape, dtype="float32")
    f = tmp_path / "nocrs.tif"
    with rasterio.open(
        f,
        "w",
        driver="GTiff",
        height=shape[0],
        width=shape[1],
        count=1,
        dtype="float32",
        transform=tr,
    ) as dst:
        dst.write(arr, 1)
    with pytest.raises(InputFileError, match=r"nocrs\.tif: raster has no CRS"):
        population_density_raster(city, 50.0, population_raster=f)
    with pytest.raises(InputFileError, match="unreadable CRS"):
        population_density_raster(city, 50.0, population_raster=(arr, tr, "EPSG:nonsense"))
    with pytest.raises(InputFileError, match="expected"):
        population_density_raster(city, 50.0, population_raster=(arr, tr))
    far = tr * Affine.translation(10_000, 0)  # 500 km east of the city
    with pytest.raises(InputFileError, match="does not cover the city"):
        population_density_raster(city, 50.0, population_raster=(arr, far, city.crs))


def test_blocking_geometries_margin_zero(city):
    z = nofly_zones(city, load_preset("usepe"))
    ob = obstacles(city, 10)
    top = 120.0
    g0 = blocking_geometries(z, ob, top, 0.0)
    tall = ob[ob["top_m"] >= top]
    assert (g0["layer"] == "obstacle").sum() == len(tall) > 0
    assert (g0["layer"] == "nofly").sum() == len(z)
    # margin 0 keeps point/line obstacles (a zero buffer would erase them)
    assert not g0.geometry.is_empty.any()
    assert g0.geometry.geom_equals(
        gpd.GeoSeries(list(z.geometry) + list(tall.geometry), crs=z.crs)
    ).all()
    g5 = blocking_geometries(z, ob, top, 5.0)
    assert (g5.geometry.area > g0.geometry.area).all()
    # blocked_mask is built from the same geometries
    tr, shape = city_grid(city, 20.0)
    assert blocked_mask(z, ob, top, tr, shape, 0.0).sum() > 0
