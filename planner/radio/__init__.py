"""Mobile coverage on the ground and at flight altitude: 3GPP models over OSM buildings."""

from planner.config.radio import RadioConfig, RadioTargets
from planner.radio.analysis import DEFAULT_BAND, RadioCoverage, analyze_radio, radio_grid
from planner.radio.kpis import CORRIDOR_COLUMNS, COVERED_SHARE, LONGEST_GAP
from planner.radio.outputs import COVERAGE_TIF, RADIO_GPKG, band_names, write_radio_outputs
from planner.radio.sites import (
    OPENCELLID_COLUMNS,
    SECTOR_COLUMNS,
    SECTOR_FRAME_COLUMNS,
    SITE_COLUMNS,
)

__all__ = [
    "analyze_radio",
    "write_radio_outputs",
    "RadioCoverage",
    "RadioConfig",
    "RadioTargets",
    "radio_grid",
    "band_names",
    "DEFAULT_BAND",
    "CORRIDOR_COLUMNS",
    "COVERED_SHARE",
    "LONGEST_GAP",
    "COVERAGE_TIF",
    "RADIO_GPKG",
    "OPENCELLID_COLUMNS",
    "SECTOR_COLUMNS",
    "SECTOR_FRAME_COLUMNS",
    "SITE_COLUMNS",
]
