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
