"""Shared fixtures: the built-in Helsinki sample and the optional ../shared OSM extracts."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_OSM = Path(__file__).resolve().parents[2] / "shared" / "data" / "osm"
SHARED_FILES = {
    "monaco": SHARED_OSM / "monaco-2026-03-10.osm.pbf",
    "lauf": SHARED_OSM / "lauf-an-der-pegnitz-2020-01-15.osm.pbf",
    "liechtenstein": SHARED_OSM / "liechtenstein-2021-10-28.osm.pbf",
}


def shared_file(name: str) -> Path:
    """Return a shared extract's path or skip the test when ../shared is absent."""
    path = SHARED_FILES[name]
    if not path.is_file():
        pytest.skip(f"{path} not present (../shared is absent in a user's clone)")
    return path


@pytest.fixture(autouse=True, scope="session")
def _cache_dir(tmp_path_factory):
    """Keep the tests' city cache out of the user's home."""
    import os

    os.environ["PLANNER_CACHE_DIR"] = str(tmp_path_factory.mktemp("planner-cache"))


@pytest.fixture(scope="session")
def helsinki():
    """The built-in central-Helsinki sample, loaded once per session."""
    from planner.city import load_city

    return load_city(progress=False)
