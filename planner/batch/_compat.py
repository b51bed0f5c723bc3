"""The one place where planner.batch imports the rest of planner (fix moved names here)."""

from __future__ import annotations

from planner import __version__
from planner._files import atomic_dir, atomic_path, json_default, write_gpkg, write_json
from planner.config import CityConfig, config_from_args, load_config, slugify
from planner.errors import (
    ConfigError,
    EmptyAreaError,
    InputFileError,
    PlannerError,
)
from planner.render import ATTRIBUTION, add_legend, base_map, save_self_contained
from planner.run import ALL_STEPS, run_city

__all__ = [
    "ALL_STEPS",
    "ATTRIBUTION",
    "CityConfig",
    "ConfigError",
    "EmptyAreaError",
    "InputFileError",
    "PlannerError",
    "__version__",
    "add_legend",
    "atomic_dir",
    "atomic_path",
    "base_map",
    "config_from_args",
    "json_default",
    "load_config",
    "run_city",
    "save_self_contained",
    "slugify",
    "write_gpkg",
    "write_json",
]
