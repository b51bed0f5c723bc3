from pathlib import Path

import pytest

from planner.config import CityConfig, load_config
from planner.errors import ConfigError


def test_one_population_raster_for_fibre_and_drones(tmp_path):
    cfg = tmp_path / "c.yml"
    cfg.write_text("name: c\npopulation_raster: pop.tif\n")
    c = load_config(cfg)
    want = (tmp_path / "pop.tif").resolve()
    assert c.population_raster == want
    assert c.fiber.population_raster == want
    assert Path(c.drones.population_raster) == want


def test_drones_population_raster_is_resolved_relative_to_the_config(tmp_path):
    cfg = tmp_path / "c.yml"
    cfg.write_text("name: c\ndrones:\n  population_raster: pop.tif\n")
    c = load_config(cfg)
    assert Path(c.drones.population_raster) == (tmp_path / "pop.tif").resolve()
    assert c.fiber.population_raster == (tmp_path / "pop.tif").resolve()


def test_two_different_population_sources_are_refused(tmp_path):
    cfg = tmp_path / "c.yml"
    cfg.write_text(
        "name: c\nfiber:\n  population_raster: a.tif\ndrones:\n  population_raster: b.tif\n"
    )
    with pytest.raises(ConfigError, match="population_raster"):
        load_config(cfg)


def test_one_household_size():
    c = CityConfig(name="x", buildings={"people_per_household": 1.8})
    assert "people_per_household" not in c.drones.model_fields
    assert c.buildings.people_per_household == 1.8
