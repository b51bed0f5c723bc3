"""Outputs for people: self-contained Folium maps, plots and the HTML/Markdown report."""

from planner.render.maps import write_maps
from planner.render.report import write_report

__all__ = ["write_maps", "write_report"]
