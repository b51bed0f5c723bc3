import time

import networkx as nx
import numpy as np
import osmium
import osmnx as ox
import pytest

from planner.city import load_city
from planner.city.osm import sample_path
from planner.errors import EmptyAreaError, InputFileError, PlaceNotFoundError


def test_sample_graph_is_osmnx_compatible(helsinki):
    G = helsinki.graph
    assert isinstance(G, nx.MultiDiGraph)
    assert helsinki.crs.is_projected and helsinki.crs.axis_info[0].unit_name == "metre"
    assert G.graph["crs"] == helsinki.crs
    u, v, data = next(iter(G.edges(data=True)))
    assert {"length", "highway", "osmid", "geometry"} <= set(data)
    assert {"x", "y"} <= set(G.nodes[u])
    nodes, edges = ox.graph_to_gdfs(G)
    assert np.allclose(edges["length"], edges.geometry.length)
    # a real osmnx function works on it
    stats = ox.basic_stats(G)
    assert stats["n"] == G.number_of_nodes()
    assert G.number_of_edges() > 500


def test_sample_buildings(helsinki):
    b = helsinki.buildings
    assert len(b) > 400
    assert set(b["height_source"]) <= {"tag", "levels", "default"}
    assert (b["height_m"] > 0).all()
    levels = b[b["height_source"] == "levels"]
    assert np.allclose(levels["height_m"], levels["levels"] * 3.0)
    assert (b["premises"] >= 0).all() and b["premises"].sum() > 1000
    assert (b.loc[~b["residential"], "households"] == 0).all()
    assert b.crs == helsinki.crs


def test_sample_layers_have_kinds(helsinki):
    assert set(helsinki.telecom["kind"]) >= {"cabinet"}
    assert len(helsinki.airspace) and helsinki.airspace["kind"].notna().all()
    assert {"railway", "park", "major_road"} <= set(helsinki.landuse["kind"])
    assert "university" in set(helsinki.key_places["kind"])


def test_second_load_hits_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PLANNER_CACHE_DIR", str(tmp_path))  # a cold cache
    t0 = time.perf_counter()
    first = load_city(progress=False)
    cold = time.perf_counter() - t0
    second = load_city(progress=False)
    assert not first.from_cache and second.from_cache
    assert second.counts() == first.counts()
    assert second.load_seconds < cold / 2


def test_missing_file():
    with pytest.raises(InputFileError, match="not found"):
        load_city("/nonexistent/city.osm.pbf")


def test_png_renamed_pbf(tmp_path):
    path = tmp_path / "picture.osm.pbf"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(4096))
    with pytest.raises(InputFileError, match="not an OSM PBF"):
        load_city(path, use_cache=False)


def test_truncated_pbf(tmp_path):
    data = sample_path().read_bytes()
    path = tmp_path / "cut.osm.pbf"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputFileError, match="truncated|corrupt|not a readable"):
        load_city(path, use_cache=False)


def _write_osm(path, with_street=True, with_building=True):
    """Write a tiny real OSM file with osmium: a street and/or a building."""
    with osmium.SimpleWriter(str(path)) as w:
        coords = [(24.94, 60.17), (24.941, 60.17), (24.941, 60.1705), (24.94, 60.1705)]
        for i, (lon, lat) in enumerate(coords, start=1):
            w.add_node(osmium.osm.mutable.Node(id=i, location=(lon, lat), version=1))
        if with_street:
            w.add_way(
                osmium.osm.mutable.Way(
                    id=10, nodes=[1, 2], tags={"highway": "residential"}, version=1
                )
            )
        if with_building:
            w.add_way(
                osmium.osm.mutable.Way(
                    id=11, nodes=[1, 2, 3, 4, 1], tags={"building": "yes"}, version=1
                )
            )


def test_empty_area_no_buildings(tmp_path):
    path = tmp_path / "empty.osm.pbf"
    _write_osm(path, with_building=False)
    with pytest.raises(EmptyAreaError, match="no buildings"):
        load_city(path, use_cache=False)


def test_empty_area_no_streets(tmp_path):
    path = tmp_path / "nostreets.osm.pbf"
    _write_osm(path, with_street=False)
    with pytest.raises(EmptyAreaError, match="no streets"):
        load_city(path, use_cache=False)


def test_tiny_xml_file_loads(tmp_path):
    path = tmp_path / "tiny.osm"
    _write_osm(path)
    city = load_city(path, use_cache=False, progress=False)
    assert len(city.buildings) == 1 and city.graph.number_of_edges() == 2


def test_unknown_place_mocked_http(monkeypatch):
    """Nominatim answers with no result: a clear error, and no real network call."""
    import osmnx as ox
    import requests

    def fake_get(url, *args, **kwargs):
        calls.append(url)
        response = requests.Response()
        response.status_code = 200
        response._content = b"[]"
        response.url = url
        response.headers["Content-Type"] = "application/json"
        return response

    calls = []
    monkeypatch.setattr(requests, "get", fake_get)
    monkeypatch.setattr(ox.settings, "use_cache", False)
    with pytest.raises(PlaceNotFoundError, match="Atlantis"):
        load_city("Atlantis Under The Sea", use_cache=False)
    assert calls, "the geocoder should have gone through the mocked HTTP boundary"


def test_key_place_mapped_twice_counts_once():
    import geopandas as gpd
    from shapely.geometry import Point, box

    from planner.city.layers import drop_points_in_same_kind_areas

    gdf = gpd.GeoDataFrame(
        {"kind": ["hospital", "hospital", "school", "hospital"]},
        geometry=[box(0, 0, 10, 10), Point(5, 5), Point(6, 6), Point(50, 50)],
        crs=3067,
    )
    out = drop_points_in_same_kind_areas(gdf)
    assert sorted(out["kind"]) == ["hospital", "hospital", "school"]
    assert (out.geom_type == "Point").sum() == 2  # the school inside and the far hospital stay


_XML_BODY = """<osm version="0.6" generator="hand">
 <node id="1" lat="60.17" lon="24.94" version="1"/>
 <node id="2" lat="60.17" lon="24.941" version="1"/>
 <node id="3" lat="60.1705" lon="24.941" version="1"/>
 <node id="4" lat="60.1705" lon="24.94" version="1"/>
 <way id="10" version="1"><nd ref="1"/><nd ref="2"/>
  <tag k="highway" v="residential"/><tag k="name" v="K\u00f6lner Stra\u00dfe"/></way>
 <way id="11" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/>
  <tag k="building" v="yes"/><tag k="name" v="M\u00fcller &amp; S\u00f6hne"/></way>
</osm>
"""


def _load_tiny(path):
    city = load_city(path, use_cache=False, progress=False)
    assert len(city.buildings) == 1 and city.graph.number_of_edges() == 2
    return city


def test_xml_declared_latin1(tmp_path):
    path = tmp_path / "latin.osm"
    decl = "<?xml version='1.0' encoding='ISO-8859-1'?>\n"
    path.write_bytes((decl + _XML_BODY).encode("latin-1"))
    _load_tiny(path)


def test_xml_with_utf8_bom(tmp_path):
    path = tmp_path / "bom.osm"
    path.write_bytes(b"\xef\xbb\xbf<?xml version='1.0' encoding='UTF-8'?>\n" + _XML_BODY.encode())
    _load_tiny(path)


def test_xml_behind_pbf_name_and_gzip_by_magic(tmp_path):
    renamed = tmp_path / "really-xml.osm.pbf"
    renamed.write_text(_XML_BODY, encoding="utf-8")
    _load_tiny(renamed)
    import gzip

    gz = tmp_path / "packed.osm"
    gz.write_bytes(gzip.compress(_XML_BODY.encode()))
    _load_tiny(gz)


def test_xml_entities_not_expanded(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET", encoding="utf-8")
    xxe = (
        f'<?xml version="1.0"?>\n<!DOCTYPE osm [<!ENTITY x SYSTEM "file://{secret}">]>\n'
        + _XML_BODY.replace("residential", "residential").replace("K\u00f6lner", "&x;")
    )
    path = tmp_path / "xxe.osm"
    path.write_text(xxe, encoding="utf-8")
    try:
        city = load_city(path, use_cache=False, progress=False)
    except InputFileError as exc:
        assert "TOPSECRET" not in str(exc) and "\n" not in str(exc)
    else:
        assert "TOPSECRET" not in city.streets.to_json()
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10 if i else "lol"}">' for i in range(10))
    bomb = f'<?xml version="1.0"?>\n<!DOCTYPE osm [{lol}]>\n' + _XML_BODY.replace(
        "K\u00f6lner", "&l9;"
    )
    path = tmp_path / "bomb.osm"
    path.write_text(bomb, encoding="utf-8")
    with pytest.raises(InputFileError, match="bomb.osm"):
        load_city(path, use_cache=False, progress=False)


def test_stray_feature_and_duplicate_ways_dropped(tmp_path):
    """A building + street on the other side of the world and a duplicated way are dropped."""
    path = tmp_path / "stray.osm.pbf"
    mut = osmium.osm.mutable
    grid = [(24.94 + 0.001 * i, 60.17 + 0.001 * j) for j in range(4) for i in range(4)]
    far = [(-150.0, -40.0), (-149.999, -40.0), (-149.999, -39.999)]
    with osmium.SimpleWriter(str(path)) as w:
        for i, (lon, lat) in enumerate(grid + far, start=1):
            w.add_node(mut.Node(id=i, location=(lon, lat), version=1))
        for r in range(4):  # four streets
            nodes = [4 * r + 1, 4 * r + 2, 4 * r + 3, 4 * r + 4]
            w.add_way(mut.Way(id=100 + r, nodes=nodes, tags={"highway": "residential"}, version=1))
        ring = [1, 2, 6, 5, 1]
        w.add_way(mut.Way(id=200, nodes=ring, tags={"building": "house"}, version=1))
        w.add_way(mut.Way(id=200, nodes=ring, tags={"building": "house"}, version=1))
        w.add_way(mut.Way(id=201, nodes=[17, 18], tags={"highway": "residential"}, version=1))
        w.add_way(mut.Way(id=202, nodes=[17, 18, 19, 17], tags={"building": "yes"}, version=1))
    city = load_city(path, use_cache=False, progress=False)
    dropped = city.assumptions["dropped_at_load"]
    assert len(city.buildings) == 1 and dropped["duplicate_buildings"] == 1
    assert dropped["outside_study_area"] >= 2
    assert city.boundary.bounds[0] > 24  # the stray street and building did not stretch it


def test_overflowing_height_and_levels_tags_clamped(tmp_path):
    path = tmp_path / "tall.osm"
    body = _XML_BODY.replace(
        '<tag k="building" v="yes"/>',
        '<tag k="building" v="apartments"/><tag k="height" v="99999999999999999999"/>'
        '<tag k="building:levels" v="99999999999999999999"/>',
    )
    path.write_text(body, encoding="utf-8")
    city = load_city(path, use_cache=False, progress=False)
    b = city.buildings.iloc[0]
    assert b["height_m"] <= 1000 and 0 <= city.counts()["premises"] < 10**7
    assert city.assumptions["dropped_at_load"]["clamped_building_tags"] == 2
