"""Joint map layers and report section build from the typed result."""

from __future__ import annotations

import folium

from planner.render._builder import LayerBuilder
from planner.render.joint import JOINT_SECTION_TITLE, add_joint_layers, joint_section


def test_layers_and_section(joint):
    b = LayerBuilder(folium.Map(location=[60.17, 24.94], zoom_start=14))
    add_joint_layers(b, joint)
    names = " ".join(str(x) for x in b.info["layers"])
    assert "Corridor coverage after the plan" in names
    assert "New 5G sites" in names
    sec = joint_section(joint.summary)
    assert sec.title == JOINT_SECTION_TITLE
    assert sec.tables and sec.plots
    assert "EUR" in sec.text
