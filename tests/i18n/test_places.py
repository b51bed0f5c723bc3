"""Airspace preset by place: the country of the data, found offline, picks the preset."""

from __future__ import annotations

import numpy as np
import pytest

from planner.config import DroneConfig
from planner.config.places import PRESET_BY_COUNTRY, choose_preset

pytest.importorskip("reverse_geocode")


@pytest.mark.parametrize(
    ("lon", "lat", "country", "preset"),
    [
        (118.78, 32.04, "CN", "cn"),  # Nanjing
        (114.06, 22.54, "CN", "cn"),  # Shenzhen, across the river from Hong Kong
        (24.94, 60.17, "FI", "eu"),  # Helsinki
        (7.42, 43.73, "MC", "eu"),  # Monaco
        (9.52, 47.14, "LI", "eu"),  # Vaduz
        (11.28, 49.51, "DE", "eu"),  # Lauf an der Pegnitz
        (-0.12, 51.51, "GB", "uk"),  # London
        (-74.0, 40.71, "US", "us"),  # New York
    ],
)
def test_country_picks_the_preset(lon, lat, country, preset):
    choice = choose_preset("auto", np.array([[lon, lat]]))
    assert (choice.country, choice.preset, choice.how) == (country, preset, "location")


def test_country_without_a_preset_falls_back_to_eu_with_the_reason():
    choice = choose_preset("auto", np.array([[139.69, 35.69]]))  # Tokyo
    assert choice.preset == "eu" and choice.country == "JP"
    assert "no preset for JP" in choice.reason
    hk = choose_preset("auto", np.array([[114.17, 22.30]]))  # Hong Kong: not mainland China
    assert hk.country == "HK" and hk.preset == "eu"


def test_the_majority_of_points_decides():
    pts = np.array([[118.78, 32.04]] * 9 + [[24.94, 60.17]])
    choice = choose_preset("auto", pts)
    assert choice.preset == "cn" and choice.share == pytest.approx(0.9)


def test_config_overrides_and_no_location_defaults_to_eu():
    assert choose_preset("uk", np.array([[118.78, 32.04]])).as_dict()["how"] == "config"
    none = choose_preset("auto", np.empty((0, 2)))
    assert (none.preset, none.how, none.country) == ("eu", "default", None)


def test_auto_is_the_default_and_loads_eu_without_a_location():
    from planner.config import load_preset

    assert DroneConfig().preset == "auto"
    assert load_preset("auto").name == "eu"
    assert set(PRESET_BY_COUNTRY.values()) <= {"cn", "eu", "uk", "us"}


def test_small_chinese_extract_gets_cn(district):
    from planner.city import load_city
    from planner.config import CityConfig
    from planner.run import choose_run_preset

    city = load_city(district, use_cache=False, progress=False)
    choice = choose_run_preset(CityConfig(name="x"), city)
    assert (choice.preset, choice.country) == ("cn", "CN")
