"""Outputs for people: self-contained Folium maps, plots and the HTML/Markdown report."""

from planner.render._scaffold import ATTRIBUTION, add_legend, base_map
from planner.render.maps import write_maps
from planner.render.offline import save_self_contained
from planner.render.report import write_report

__all__ = [
    "ATTRIBUTION",
    "add_legend",
    "base_map",
    "save_self_contained",
    "write_maps",
    "write_report",
]
