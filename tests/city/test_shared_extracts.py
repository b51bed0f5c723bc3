"""The real shared extracts load with plausible counts (skipped when ../shared is absent)."""

import osmium
import pytest

from planner.city import load_city
from tests.conftest import shared_file


def osmium_building_count(path) -> int:
    """Independent count of building=* ways and relations with pyosmium (no pyrosm involved)."""
    n = 0
    for obj in osmium.FileProcessor(str(path), osmium.osm.WAY | osmium.osm.RELATION):
        if "building" in obj.tags and obj.tags["building"] != "no":
            if obj.is_relation() and obj.tags.get("type") != "multipolygon":
                continue
            n += 1
    return n


@pytest.mark.parametrize("name", ["monaco", "lauf", "liechtenstein"])
def test_building_counts_match_raw_osm(name):
    path = shared_file(name)
    city = load_city(path, progress=False)
    raw = osmium_building_count(path)
    assert abs(len(city.buildings) - raw) <= 0.05 * raw, (len(city.buildings), raw)
    assert city.graph.number_of_edges() > 1000
    assert city.buildings["premises"].sum() > 5000
    assert city.crs.is_projected


def test_liechtenstein_layers():
    city = load_city(shared_file("liechtenstein"), progress=False)
    assert (city.telecom["kind"] == "mast").sum() >= 20
    assert {"heliport", "helipad", "power_line"} <= set(city.airspace["kind"])
    assert len(city.admin_areas) > 0


def test_monaco_heliport():
    city = load_city(shared_file("monaco"), progress=False)
    assert "heliport" in set(city.airspace["kind"])
