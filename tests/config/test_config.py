from pathlib import Path

import pytest

from planner.config import config_from_args, load_config, slugify
from planner.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path, text, name="city.yml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_shipped_helsinki_config_is_valid():
    config = load_config(REPO / "data" / "cities" / "helsinki.yml")
    assert config.name == "helsinki"
    assert config.source.sample == "helsinki"


def test_typo_in_key_names_file_and_field(tmp_path):
    path = write(tmp_path, "name: x\nbuildings:\n  metres_per_levle: 3\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    msg = str(err.value)
    assert str(path) in msg and "buildings.metres_per_levle" in msg and "metres_per_level" in msg
    assert "\n" not in msg


def test_wrong_type_and_value(tmp_path):
    with pytest.raises(ConfigError, match="buildings.people_per_household"):
        load_config(write(tmp_path, "name: x\nbuildings:\n  people_per_household: lots\n"))
    with pytest.raises(ConfigError, match="metres_per_level"):
        load_config(write(tmp_path, "name: x\nbuildings:\n  metres_per_level: -1\n"))
    with pytest.raises(ConfigError, match="not a projected CRS"):
        load_config(write(tmp_path, "name: x\ncrs: EPSG:4326\n"))


def test_two_sources_refused(tmp_path):
    with pytest.raises(ConfigError, match="exactly one"):
        load_config(write(tmp_path, "name: x\nsource:\n  sample: helsinki\n  place: Vaduz\n"))


def test_bad_yaml_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(write(tmp_path, "name: [x\n"))
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yml")


@pytest.mark.parametrize("name", ["../../etc", "/etc", "a/b", "..", "", "UPPER", "x" * 65])
def test_unsafe_city_names_refused(name):
    with pytest.raises(ConfigError, match="city name"):
        config_from_args(name=name)


def test_relative_pbf_resolved_against_config(tmp_path):
    path = write(tmp_path, "name: x\nsource:\n  pbf: sub/a.osm.pbf\n")
    assert load_config(path).source.pbf == (tmp_path / "sub" / "a.osm.pbf").resolve()


@pytest.mark.parametrize(
    "text, slug",
    [
        ("liechtenstein-2021-10-28.osm.pbf", "liechtenstein-2021-10-28"),
        ("/x/y/Lauf an der Pegnitz.osm.bz2", "lauf-an-der-pegnitz"),
        ("../../etc.osm", "etc"),
        ("Zürich, Schweiz", "z-rich-schweiz"),
        ("....pbf", "city"),
    ],
)
def test_slugify(text, slug):
    assert slugify(text) == slug


def test_name_derived_from_file():
    assert config_from_args(pbf="/data/Some City.osm.pbf").name == "some-city"


def test_relative_operator_and_duct_files_resolved_against_config(tmp_path):
    path = write(
        tmp_path,
        "name: x\nfiber:\n  asset_files: [ops/olt.geojson]\n"
        "plan:\n  duct_files: [ops/ducts.gpkg]\n",
    )
    config = load_config(path)
    assert config.fiber.asset_files == [(tmp_path / "ops" / "olt.geojson").resolve()]
    assert config.plan.duct_files == [(tmp_path / "ops" / "ducts.gpkg").resolve()]


def _refused(tmp_path, text: str, name: str = "c.yml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    msg = str(exc.value)
    assert "\n" not in msg and str(path) in msg
    return msg


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("buildings: {people_per_household: .inf}", "buildings.people_per_household"),
        ("buildings: {floor_area_per_household_m2: .inf}", "floor_area_per_household_m2"),
        ("buildings: {floor_area_per_household_m2: 1.0e-300}", "floor_area_per_household_m2"),
        ("buildings: {min_premise_footprint_m2: 1.0e12}", "min_premise_footprint_m2"),
        ("buildings: {default_levels: {house: 99999999999999999999}}", "default_levels"),
        ("drones: {landuse_factors: {residential: -1}}", "drones.landuse_factors"),
        ("drones: {budget_weights: [.nan, -1]}", "drones.budget_weights"),
        ("drones: {budget_weights: [1, -1]}", "drones.budget_weights"),
        ("drones: {resolution_m: 0.01}", "drones.resolution_m"),
        ("fiber: {raster_resolution_m: 0.01}", "fiber.raster_resolution_m"),
        ("radio: {resolution_m: 0.5}", "radio.resolution_m"),
        ("plan: {crossing: .inf}", "plan.crossing"),
        ("plan: {default_trench_per_m: 1.0e308}", "plan.default_trench_per_m"),
        ("plan: {trench_per_m: {primary: 1.0e308}}", "plan.trench_per_m"),
        ("drones: {hubs: [{name: a, lon: .nan, lat: 1}]}", "drones.hubs.0.lon"),
        ("crs: '+proj=merc +a=1'", "crs"),
    ],
)
def test_non_finite_and_absurd_values_refused(tmp_path, text, field):
    assert field in _refused(tmp_path, text)


def test_hostile_yaml_files_refused_in_one_line(tmp_path):
    assert "nested too deeply" in _refused(tmp_path, "a: " + "[" * 5000 + "]" * 5000)
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(8)
    )
    assert "aliases" in _refused(tmp_path, bomb)
    (tmp_path / "latin.yml").write_bytes("name: k\xf6ln\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(tmp_path / "latin.yml")
    secret = "TOPSECRET-line-of-a-non-yaml-file: [unclosed"
    assert "TOPSECRET" not in _refused(tmp_path, secret)


def test_bom_config_accepted(tmp_path):
    path = tmp_path / "bom.yml"
    path.write_bytes(b"\xef\xbb\xbfname: bom\n")
    assert load_config(path).name == "bom"


def test_non_utf8_preset_refused(tmp_path):
    from planner.config import load_preset

    path = tmp_path / "p.yml"
    path.write_bytes(b"name: \xff\xfe\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_preset(path)
