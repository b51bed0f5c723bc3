"""Load one city from OpenStreetMap: street graph and data layers in a local metric CRS."""

from planner.city.cache import cache_dir
from planner.city.load import load_city, load_city_from_config, resolve_config
from planner.city.model import LAYER_NAMES, City

__all__ = [
    "LAYER_NAMES",
    "City",
    "cache_dir",
    "load_city",
    "load_city_from_config",
    "resolve_config",
]
