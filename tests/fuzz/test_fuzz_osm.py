"""Fuzz the OSM readers: hostile XML and mutated PBF bytes load or give one PlannerError line."""

from __future__ import annotations

import gzip

from hypothesis import given, settings
from hypothesis import strategies as st

from planner.city import load_city
from planner.city.osm import sample_path
from tests.fuzz.conftest import cases
from tests.fuzz.hostile import check_outcome, osm_xml

_SAMPLE = sample_path().read_bytes()


def _load(path):
    return lambda: load_city(path, use_cache=False, progress=False)


@settings(max_examples=cases(60))
@given(doc=osm_xml(), wrap=st.sampled_from(["osm", "gz", "pbfname", "latin1", "bom"]))
def test_hostile_osm_xml(tmp_path_factory, doc, wrap):
    folder = tmp_path_factory.mktemp("xml")
    data = doc.encode("utf-8")
    name = "city.osm"
    if wrap == "gz":
        data = gzip.compress(data)
    elif wrap == "pbfname":
        name = "city.osm.pbf"
    elif wrap == "latin1":
        data = doc.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').encode("latin-1", "replace")
    elif wrap == "bom":
        data = b"\xef\xbb\xbf" + data
    (folder / name).write_bytes(data)
    check_outcome(_load(folder / name))


@settings(max_examples=cases(40))
@given(doc=osm_xml(), cut=st.floats(0, 1), flips=st.lists(st.integers(0, 10**6), max_size=5))
def test_mutated_xml_bytes(tmp_path_factory, doc, cut, flips):
    data = bytearray(doc.encode("utf-8"))
    data = data[: max(1, int(len(data) * cut))] if cut < 0.9 else data
    for pos in flips:
        data[pos % len(data)] ^= 0x5A
    path = tmp_path_factory.mktemp("xml") / "mut.osm"
    path.write_bytes(bytes(data))
    check_outcome(_load(path))


@settings(max_examples=cases(15))
@given(
    cut=st.one_of(st.just(None), st.integers(0, len(_SAMPLE))),
    flips=st.lists(st.integers(0, len(_SAMPLE) - 1), max_size=8),
)
def test_mutated_helsinki_pbf(tmp_path_factory, cut, flips):
    data = bytearray(_SAMPLE if cut is None else _SAMPLE[:cut])
    for pos in flips:
        if data:
            data[pos % len(data)] ^= 0xFF
    path = tmp_path_factory.mktemp("pbf") / "mut.osm.pbf"
    path.write_bytes(bytes(data))
    check_outcome(_load(path))


def test_every_street_outside_the_study_area_is_one_line(tmp_path):
    """Found by the long profile: node 1 defined twice, the second time at latitude 0.

    The street's two ends lie 6,700 km apart, so the study area (the densest part, a tie
    of one point each) holds no whole street: one EmptyAreaError line, not ValueError.
    """
    doc = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n'
        '<node id="1" lat="60.17" lon="24.94" version="1"/>\n'
        '<node id="2" lat="60.17" lon="24.9405" version="1"/>\n'
        '<node id="3" lat="60.17" lon="24.941" version="1"/>\n'
        '<node id="4" lat="60.17" lon="24.9415" version="1"/>\n'
        '<node id="1" lat="0.0" lon="24.9367" version="1"/>\n'
        '<way id="1" version="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="residential"/>'
        "</way>\n"
        '<way id="2" version="1"><nd ref="1"/><nd ref="2"/><nd ref="4"/><nd ref="3"/>'
        '<nd ref="1"/><tag k="building" v="yes"/></way>\n</osm>\n'
    )
    (tmp_path / "dup.osm").write_text(doc, encoding="utf-8")
    assert check_outcome(_load(tmp_path / "dup.osm")) == "refused"
