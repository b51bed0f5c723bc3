"""Extent discipline on real extracts: far parts, missing nodes, degenerate buildings."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.city import load_city
from planner.city.load import repair_footprints
from planner.city.osm import PART_CELL_DEG, densest_part, sample_path
from planner.cli import main
from tests.conftest import shared_file
from tests.fuzz.conftest import cases
from tests.fuzz.extracts import (
    as_xml,
    drop_untagged_nodes,
    merged,
    shifted_copy,
    with_degenerate_buildings,
)


def _parts_by_flood_fill(points: np.ndarray, cell: float) -> np.ndarray:
    """Oracle of densest_part: flood fill over the occupied cells, one cell at a time."""
    cells = [tuple(c) for c in np.floor(points / cell).astype(int)]
    label: dict[tuple, int] = {}
    for start in sorted(set(cells)):
        if start in label:
            continue
        label[start], todo = len(set(label.values())), [start]
        while todo:
            x, y = todo.pop()
            for nb in ((x + i, y + j) for i in (-1, 0, 1) for j in (-1, 0, 1)):
                if nb in set(cells) and nb not in label:
                    label[nb] = label[start]
                    todo.append(nb)
    per_point = np.array([label[c] for c in cells])
    sizes = np.bincount(per_point)
    return per_point == int(np.argmax(sizes))  # ties: the first label, i.e. the lowest cell


@settings(max_examples=cases(40))
@given(
    st.lists(
        st.tuples(st.integers(-30, 30), st.integers(-30, 30), st.floats(0, 0.999)),
        min_size=1,
        max_size=40,
    )
)
def test_densest_part_matches_a_flood_fill(raw):
    points = np.array([(x + f, y + (1 - f)) for x, y, f in raw]) * PART_CELL_DEG
    np.testing.assert_array_equal(densest_part(points), _parts_by_flood_fill(points, PART_CELL_DEG))


def test_a_far_copy_in_the_same_file_is_dropped(tmp_path, helsinki):
    # central Helsinki plus a copy of half its streets 1,900 km south (17 degrees of latitude):
    # the study area is the original, the copy is dropped with a count
    path = shifted_copy(sample_path(), tmp_path / "two.osm.pbf", dlat=-17.0, every=2)
    city = load_city(path, use_cache=False, progress=False)
    dropped = city.assumptions["dropped_at_load"]["outside_study_area"]
    assert dropped > len(helsinki.buildings) // 3
    assert len(city.buildings) == len(helsinki.buildings)
    assert city.buildings["premises"].sum() == helsinki.buildings["premises"].sum()
    assert city.graph.number_of_edges() == helsinki.graph.number_of_edges()
    np.testing.assert_allclose(city.boundary.bounds, helsinki.boundary.bounds)


def test_two_real_cities_in_one_file_keep_the_larger(tmp_path):
    # Monaco (1.6k buildings) and Lauf an der Pegnitz (6.5k), 700 km apart
    path = merged(shared_file("monaco"), shared_file("lauf"), tmp_path / "ml.osm.pbf")
    city = load_city(path, use_cache=False, progress=False)
    x0, y0, x1, y1 = city.boundary.bounds
    assert x1 - x0 < 20_000 and y1 - y0 < 20_000  # Lauf only, not 700 km of gap
    lon, lat = city.buildings.to_crs(4326).geometry.centroid.iloc[0].coords[0]
    assert 11 < lon < 11.5 and 49.4 < lat < 49.6
    assert city.assumptions["dropped_at_load"]["outside_study_area"] > 1500


def _fiber_run(path, out, capsys) -> tuple[dict, tuple[int, int]]:
    """Run ``planner fiber`` on ``path``; return its summary and the coverage raster's shape."""
    import rasterio

    code = main(["fiber", "--pbf", str(path), "--out", str(out), "--city", "x", "-q"])
    assert code == 0, capsys.readouterr().err[-2000:]
    summary = json.loads((out / "x" / "summary.json").read_text(encoding="utf-8"))
    with rasterio.open(out / "x" / "fiber_coverage.tif") as src:
        return summary, src.shape


def test_ways_with_missing_nodes_give_a_bounded_result(tmp_path, capsys, helsinki):
    # 30 % of the untagged nodes gone: ways lose vertices, some streets break apart; the
    # result is smaller (more premises unreachable), the rasters stay the city's size
    path = drop_untagged_nodes(sample_path(), tmp_path / "holes.osm.pbf", 0.3)
    summary, shape = _fiber_run(path, tmp_path, capsys)
    fiber = summary["fiber"]
    assert 0 < fiber["buildings"] <= len(helsinki.buildings)
    assert fiber["premises_total"] > 0
    x0, y0, x1, y1 = helsinki.boundary.bounds
    res = summary["fiber"]["assumptions"]["values"]["raster_resolution_m"]
    assert shape[0] * shape[1] <= 4 * (x1 - x0) * (y1 - y0) / res**2


def test_bowtie_and_two_node_buildings(tmp_path, helsinki):
    # a self-intersecting bowtie next to central Helsinki: its shoelace area is ~0 and its
    # centroid lay 10^8 m away, which stretched the boundary (the 1.39 PiB raster);
    # now repaired into its two triangles. The two-node "buildings" are no polygons (the
    # open one is not kept, the closed one is a zero-area footprint without premises)
    path = with_degenerate_buildings(sample_path(), tmp_path / "bowtie.osm.pbf", 24.94, 60.17)
    city = load_city(path, use_cache=False, progress=False)
    b = city.buildings
    assert city.assumptions["dropped_at_load"]["degenerate_buildings"] == 1
    assert b.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    assert len(b) == len(helsinki.buildings) + 2
    new = b[b["osm_id"].to_numpy() >= 9 * 10**11].set_index("osm_id").geometry
    bowtie = new.loc[9 * 10**11]
    assert bowtie.is_valid and bowtie.geom_type == "MultiPolygon" and len(bowtie.geoms) == 2
    # hand formula: two triangles, each a quarter of the 0.0003 x 0.0003 degree box
    ll = new.to_crs(4326).loc[9 * 10**11]
    assert abs(ll.area - 0.5 * 0.0003**2) < 0.01 * 0.0003**2
    x0, y0, x1, y1 = city.boundary.bounds
    hx0, hy0, hx1, hy1 = helsinki.boundary.bounds
    assert hx0 - 100 <= x0 and x1 <= hx1 + 100 and hy0 - 100 <= y0 and y1 <= hy1 + 100


def test_ordinary_footprints_are_left_alone(helsinki):
    # real extracts carry slightly invalid rings; their centroids are sane, so none changes
    same, n = repair_footprints(helsinki.buildings)
    assert n == 0 and same is helsinki.buildings


def _missing_refs_by_osmium(path) -> tuple[int, int]:
    """Oracle: missing node references and ways left with < 2 nodes, counted by pyosmium."""
    import osmium

    nodes = {n.id for n in osmium.FileProcessor(str(path), osmium.osm.NODE)}
    refs = ways = 0
    for w in osmium.FileProcessor(str(path), osmium.osm.WAY):
        ids = [n.ref for n in w.nodes]
        miss = sum(i not in nodes for i in ids)
        refs += miss
        ways += (miss or len(ids) < 2) and len(ids) - miss < 2
    return refs, ways


def test_a_clipped_extract_as_xml_loads(tmp_path):
    # the Helsinki sample written as OSM XML: clipped ways reference absent nodes, which
    # osmnx refused as a whole ("Some edges missing nodes"); now dropped and counted
    xml = as_xml(sample_path(), tmp_path / "hel.osm")
    city = load_city(xml, use_cache=False, progress=False)
    dropped = city.assumptions["dropped_at_load"]
    refs, ways = _missing_refs_by_osmium(xml)
    assert refs > 1000
    assert (dropped["missing_node_refs"], dropped["ways_without_nodes"]) == (refs, ways)
    assert len(city.buildings) > 400 and city.graph.number_of_edges() > 500
