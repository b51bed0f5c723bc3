from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import yaml
from drone_helpers import make_city
from shapely.geometry import LineString

from planner.config import load_preset
from planner.config.drones import OVERRIDE_SOURCE, PRESET_DIR, FlightBand
from planner.drones.airspace import blocked_mask, blocking_geometries, nofly_zones, obstacles
from planner.drones.grid import city_grid
from planner.drones.lattice import cell_centres
from planner.errors import ConfigError


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
    with pytest.raises(ConfigError, match=r"bad\.yml: .*not valid YAML"):
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
