"""OSM antennas as radio sites: which man_made=antenna count, and their rooftop heights."""

from __future__ import annotations

import pytest

from planner.radio import RadioConfig
from planner.radio.sites import load_sites
from tests.radio.conftest import load_osm_text

# A street, a 20 m building (nodes 1-4) and antennas / masts around it. Node 2 is a corner of
# the building outline and itself carries a rooftop antenna (common OSM mapping).
OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="hand">
 <node id="1" lat="60.1700" lon="24.9400" version="1"/>
 <node id="2" lat="60.1700" lon="24.9410" version="1">
  <tag k="man_made" v="antenna"/><tag k="location" v="roof"/><tag k="height" v="4"/></node>
 <node id="3" lat="60.1705" lon="24.9410" version="1"/>
 <node id="4" lat="60.1705" lon="24.9400" version="1"/>
 <node id="5" lat="60.1690" lon="24.9380" version="1"/>
 <node id="6" lat="60.1690" lon="24.9440" version="1"/>
 <node id="7" lat="60.1695" lon="24.9440" version="1"/>
 <node id="20" lat="60.17025" lon="24.9405" version="1">
  <tag k="man_made" v="antenna"/><tag k="communication:mobile_phone" v="yes"/></node>
 <node id="21" lat="60.1680" lon="24.9390" version="1">
  <tag k="man_made" v="antenna"/><tag k="tower:type" v="communication"/></node>
 <node id="22" lat="60.1681" lon="24.9420" version="1">
  <tag k="man_made" v="antenna"/></node>
 <node id="23" lat="60.17035" lon="24.9407" version="1">
  <tag k="man_made" v="antenna"/><tag k="location" v="roof"/>
  <tag k="communication:mobile_phone" v="no"/></node>
 <node id="24" lat="60.1685" lon="24.9430" version="1">
  <tag k="man_made" v="mast"/><tag k="tower:type" v="communication"/>
  <tag k="height" v="35"/></node>
 <node id="25" lat="60.17015" lon="24.9403" version="1">
  <tag k="man_made" v="antenna"/><tag k="communication:mobile_phone" v="yes"/>
  <tag k="height" v="42"/></node>
 <way id="10" version="1"><nd ref="5"/><nd ref="6"/><nd ref="7"/>
  <tag k="highway" v="residential"/></way>
 <way id="11" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/>
  <tag k="building" v="yes"/><tag k="height" v="20"/></way>
</osm>
"""


@pytest.fixture(scope="module")
def antenna_city(tmp_path_factory):
    return load_osm_text(tmp_path_factory, OSM, "antennas")


def test_antennas_in_telecom_layer_only(antenna_city):
    tel = antenna_city.telecom.set_index("osm_id")
    # mobile, communication and rooftop antennas are kept; a bare antenna (TV?) and a rooftop
    # antenna tagged communication:mobile_phone=no are not
    assert {20, 21, 2, 25} <= set(tel.index)
    assert not {22, 23} & set(tel.index)
    assert set(tel.loc[[20, 21, 2, 25], "kind"]) == {"antenna"}
    assert tel.loc[[20, 21, 2, 25], "mobile"].all()
    assert tel.loc[24, "kind"] == "mast"
    # antennas are not airspace obstacles (the building they stand on is)
    air = antenna_city.airspace
    assert "antenna" not in set(air["kind"]) and list(air["kind"]) == ["mast"]
    assert len(antenna_city.buildings) == 1


def test_antenna_sites_and_rooftop_heights(antenna_city):
    sites, _ = load_sites(antenna_city, RadioConfig())
    by = sites.set_index("site_id")
    roof = float(antenna_city.buildings["height_m"].iloc[0])
    assert roof == 20.0
    # inside the footprint, no height tag: roof 20 m + 3 m mount
    assert by.loc["osm-node20", "height_m"] == 23.0
    assert by.loc["osm-node20", "height_source"] == "rooftop"
    # on the outline, height=4 does not exceed the roof: it is the antenna above the roof
    assert by.loc["osm-node2", "height_m"] == 24.0
    assert by.loc["osm-node2", "height_source"] == "rooftop + tagged height"
    # a height above the roof is read as above ground (OSM height: ground to top)
    assert by.loc["osm-node25", "height_m"] == 42.0 and by.loc["osm-node25", "height_source"] == (
        "given"
    )
    # on the ground: mast default; the tagged mast keeps its height
    assert by.loc["osm-node21", "height_m"] == 30.0
    assert by.loc["osm-node21", "height_source"] == "mast default"
    assert by.loc["osm-node24", "height_m"] == 35.0
    assert set(by.index) == {"osm-node20", "osm-node2", "osm-node21", "osm-node24", "osm-node25"}
    cfg = RadioConfig(rooftop_mount_m=6.0)
    h = load_sites(antenna_city, cfg)[0].set_index("site_id")["height_m"]
    assert h["osm-node20"] == 26.0 and h["osm-node2"] == 24.0
