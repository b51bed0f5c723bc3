"""On-disk cache of loaded cities (data-only folders), keyed by the source's hash and settings."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

from planner import __version__
from planner._files import atomic_dir
from planner.city.model import City
from planner.city.osm import sample_path
from planner.city.store import StoreError, read_city, write_city
from planner.config import CityConfig, SourceConfig
from planner.errors import InputFileError

__all__ = [
    "CACHE_VERSION",
    "cache_dir",
    "cache_key",
    "cache_path",
    "read_cache",
    "source_id",
    "write_cache",
]

log = logging.getLogger(__name__)

#: Bumped whenever the cached City layout changes, so stale caches are ignored. 5: a folder of
#: GeoPackage + JSON instead of a pickle (issue #16), graph tags in a fixed order. 7: key
#: places with a MIIT ``class`` column, tourism areas and airports.
CACHE_VERSION = f"{__version__}-7"


def cache_dir() -> Path:
    """Return the on-disk cache folder (``$PLANNER_CACHE_DIR`` or ``~/.cache/planner``)."""
    base = os.environ.get("PLANNER_CACHE_DIR") or Path.home() / ".cache" / "planner"
    return Path(base)


def _file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def cache_key(config: CityConfig, source_id: str) -> str:
    """Return the 32-hex-digit key of a source (:func:`source_id`) under a config's settings."""
    settings = {
        "source": source_id,
        "crs": config.crs,
        "streets": config.streets.model_dump(),
        "buildings": config.buildings.model_dump(),
        "version": CACHE_VERSION,
    }
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[
        :32
    ]


def source_id(source: SourceConfig) -> str:
    """Return ``sha256:<hex>`` of a source file, or the description of an online source."""
    path = source.pbf or source.osm or (sample_path() if source.sample else None)
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise InputFileError(f"{path}: file not found")
        return "sha256:" + _file_hash(path)
    return source.describe()


def cache_path(config: CityConfig) -> Path:
    """Return the cache folder of the city a config describes (hash of source and settings)."""
    key = cache_key(config, source_id(config.source))
    return cache_dir() / "cities" / key


def write_cache(city: City, folder: Path) -> None:
    """Store ``city`` in its cache folder, atomically; a failure only logs a warning."""
    try:
        with atomic_dir(folder) as tmp:
            write_city(city, tmp, CACHE_VERSION)
    except (OSError, RuntimeError, StoreError) as exc:  # pyogrio errors are RuntimeErrors
        log.warning("could not write cache %s: %s", folder, exc)


def read_cache(folder: Path) -> City | None:
    """Return the cached City, or None when there is none or it cannot be read.

    Only JSON and GeoPackage data are parsed (:func:`planner.city.store.read_city`); nothing
    is unpickled or executed, so a file planted in the cache folder cannot run code.
    """
    if not folder.is_dir():
        return None
    try:
        return read_city(folder, CACHE_VERSION)
    except Exception as exc:  # a stale, broken or foreign cache is rebuilt, never fatal
        log.warning("ignoring unreadable cache %s: %s", folder, exc)
        return None
