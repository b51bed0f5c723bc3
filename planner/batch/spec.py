"""Batch files (``batch.yml``): shared defaults, an optional region and per-city overrides."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from planner.batch._compat import CityConfig, ConfigError, load_config

__all__ = ["BatchFile", "CityJob", "city_config", "deep_merge", "load_batch"]

_TOP_KEYS = ("defaults", "region", "cities")
_REGION_KEYS = ("pbf", "admin_level", "within")
#: Config fields holding file paths, resolved against the batch file's folder.
_PATH_FIELDS = (("source", "pbf"), ("source", "osm"), ("fiber", "population_raster"))
_PATH_LISTS = (("fiber", "asset_files"), ("plan", "duct_files"))


@dataclass
class BatchFile:
    """A parsed ``batch.yml``.

    Attributes
    ----------
    path : Path
        The file.
    defaults : dict
        City-config keys shared by every city (no ``name`` or ``source``).
    region : dict or None
        ``pbf`` (resolved path), ``admin_level`` and optional ``within``.
    cities : dict of str to dict
        Per-city overrides; a city not in the region needs a ``source`` or a ``config``.
    """

    path: Path
    defaults: dict[str, Any] = field(default_factory=dict)
    region: dict[str, Any] | None = None
    cities: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class CityJob:
    """One city of a batch: its name, validated config and (for a region) its boundary."""

    name: str
    config: CityConfig
    boundary: Any = None


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Return ``base`` updated by ``over``, merging nested mappings key by key."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _resolve_paths(data: dict[str, Any], folder: Path) -> dict[str, Any]:
    """Make the relative file paths of a city mapping absolute against ``folder``."""
    data = copy.deepcopy(data)

    def fix(v):
        return str(v) if Path(v).is_absolute() else str((folder / v).resolve())

    for sec, key in _PATH_FIELDS:
        if isinstance(data.get(sec), dict) and data[sec].get(key) is not None:
            data[sec][key] = fix(data[sec][key])
    for sec, key in _PATH_LISTS:
        if isinstance(data.get(sec), dict) and isinstance(data[sec].get(key), list):
            data[sec][key] = [fix(v) for v in data[sec][key]]
    return data


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a mapping of keys")
    return value


def load_batch(path: str | Path) -> BatchFile:
    """Read and check a ``batch.yml``.

    Parameters
    ----------
    path : str or Path
        The batch file: ``defaults`` (city-config keys for every city), ``region``
        (``pbf``, ``admin_level``, ``within``) and ``cities`` (name to overrides; a name
        outside the region needs ``source`` or ``config``, a city-config file).

    Returns
    -------
    BatchFile

    Raises
    ------
    ConfigError
        One line naming the file and the key at fault.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: batch file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError):
        raise ConfigError(f"{path}: not valid YAML") from None
    data = _mapping(data, str(path))
    unknown = sorted(set(data) - set(_TOP_KEYS))
    if unknown:
        raise ConfigError(f"{path}: unknown key {unknown[0]!r} (known: {', '.join(_TOP_KEYS)})")
    folder = path.parent.resolve()
    defaults = _mapping(data.get("defaults"), f"{path}: defaults")
    for key in ("name", "source"):
        if key in defaults:
            raise ConfigError(f"{path}: defaults may not set {key!r} (it is per city)")
    region = data.get("region")
    if region is not None:
        region = _region(_mapping(region, f"{path}: region"), path, folder)
    cities = _mapping(data.get("cities"), f"{path}: cities")
    out = {}
    for name, over in cities.items():
        over = _resolve_paths(_mapping(over, f"{path}: cities.{name}"), folder)
        if "config" in over:
            over["config"] = str((folder / over["config"]).resolve())
        out[str(name)] = over
    if region is None and not out:
        raise ConfigError(f"{path}: give a region, cities, or both")
    return BatchFile(path, _resolve_paths(defaults, folder), region, out)


def _region(region: dict[str, Any], path: Path, folder: Path) -> dict[str, Any]:
    unknown = sorted(set(region) - set(_REGION_KEYS))
    if unknown:
        raise ConfigError(
            f"{path}: unknown key 'region.{unknown[0]}' (known: {', '.join(_REGION_KEYS)})"
        )
    for key in ("pbf", "admin_level"):
        if key not in region:
            raise ConfigError(f"{path}: region needs {key!r}")
    out = dict(region)
    out["pbf"] = (
        Path(region["pbf"]) if Path(region["pbf"]).is_absolute() else folder / region["pbf"]
    )
    return out


def city_config(
    name: str,
    defaults: dict[str, Any],
    overrides: dict[str, Any],
    source: dict[str, Any] | None = None,
    where: str = "batch",
) -> CityConfig:
    """Validate one city's config: ``defaults``, then a ``config:`` file, then overrides.

    Parameters
    ----------
    name : str
        City (folder) name.
    defaults, overrides : dict
        Shared keys and this city's keys (``config`` names a city-config file).
    source : dict, optional
        The source given by the batch (a region city's extract); overrides may not change it.
    where : str
        Prefix of error messages (the batch file).

    Returns
    -------
    CityConfig
    """
    overrides = dict(overrides)
    data = copy.deepcopy(defaults)
    config_file = overrides.pop("config", None)
    if config_file is not None:
        data = deep_merge(data, load_config(config_file).model_dump(exclude={"name"}))
    data = deep_merge(data, overrides)
    if source is not None:
        data["source"] = source
    elif "source" not in data:
        raise ConfigError(f"{where}: city {name!r} needs a source (or a config file)")
    data["name"] = name
    try:
        return CityConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError.from_validation(f"{where}: cities.{name}", exc, CityConfig) from None
