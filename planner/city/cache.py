"""On-disk cache of loaded cities, keyed by the source file's hash and the settings."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
from pathlib import Path

from planner import __version__
from planner._files import atomic_path
from planner.city.model import City
from planner.city.osm import sample_path
from planner.config import CityConfig, SourceConfig
from planner.errors import InputFileError

__all__ = ["CACHE_VERSION", "cache_dir", "cache_key", "cache_path", "read_cache", "write_cache"]

log = logging.getLogger(__name__)

#: Bumped whenever the cached City layout changes, so stale caches are ignored.
CACHE_VERSION = f"{__version__}-4"


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
    path = source.pbf or source.osm or (sample_path() if source.sample else None)
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise InputFileError(f"{path}: file not found")
        return "sha256:" + _file_hash(path)
    return source.describe()


def write_cache(city: City, cache_file: Path) -> None:
    try:
        with atomic_path(cache_file) as tmp, tmp.open("wb") as fh:
            pickle.dump(city, fh, protocol=pickle.HIGHEST_PROTOCOL)
    except OSError as exc:
        log.warning("could not write cache %s: %s", cache_file, exc)


def cache_path(config: CityConfig) -> Path:
    """Return the cache file of the city a config describes (hash of source and settings)."""
    key = cache_key(config, source_id(config.source))
    return cache_dir() / "cities" / f"{key}.pkl"


def read_cache(cache_file: Path) -> City | None:
    """Return the cached City, or None when there is none or it cannot be read."""
    if not cache_file.is_file():
        return None
    try:
        with cache_file.open("rb") as fh:
            return pickle.load(fh)
    except Exception:  # a stale or broken cache is rebuilt, never fatal
        log.warning("ignoring unreadable cache file %s", cache_file)
        return None
