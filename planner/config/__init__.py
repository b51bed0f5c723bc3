"""Every configuration schema of planner and the source of every default; a leaf package."""

from planner.config.buildings import BuildingAssumptions
from planner.config.city import (
    CityConfig,
    MapConfig,
    SourceConfig,
    StreetConfig,
    check_city_name,
    config_from_args,
    load_config,
    slugify,
)
from planner.config.drones import AirspacePreset, DroneConfig, FlightBand, HubConfig, load_preset
from planner.config.fiber import FiberConfig
from planner.config.joint import JointConfig
from planner.config.places import PresetChoice, choose_preset
from planner.config.plan import PlanConfig
from planner.config.radio import RadioConfig

__all__ = [
    "AirspacePreset",
    "BuildingAssumptions",
    "CityConfig",
    "DroneConfig",
    "FiberConfig",
    "FlightBand",
    "HubConfig",
    "JointConfig",
    "MapConfig",
    "PlanConfig",
    "PresetChoice",
    "RadioConfig",
    "SourceConfig",
    "StreetConfig",
    "check_city_name",
    "choose_preset",
    "config_from_args",
    "load_config",
    "load_preset",
    "slugify",
]
