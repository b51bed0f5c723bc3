"""QGIS outputs: layer_styles QML in every GeoPackage and planner.qgz, parsed and checked."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import textwrap
import xml.etree.ElementTree as ET
import zipfile
from contextlib import closing
from pathlib import Path

import pyogrio
import pytest

from planner.render import qgis
from planner.render._gpkg import STYLE_TABLE, feature_layers
from planner.render._qml import (
    Category,
    SymbolStyle,
    categorized_renderer,
    qgis_color,
    qml_document,
)
from planner.render.layers import CLASS_COLORS, LAYER_STYLES

GPKGS = ["layers.gpkg", "fiber.gpkg", "fiber_plan.gpkg", "airspace.gpkg"]


@pytest.fixture(scope="module")
def run_out(tmp_path_factory) -> Path:
    """A full Helsinki run (it writes the styles, the project and the workbook)."""
    from planner.config import CityConfig
    from planner.run import run_city

    root = tmp_path_factory.mktemp("qgis-run")
    return run_city(CityConfig(name="helsinki"), out_root=root, progress=False).out_dir


def _styles(path: Path) -> list[tuple]:
    with closing(sqlite3.connect(path)) as con:
        return con.execute(
            f"SELECT f_table_name, f_geometry_column, styleName, styleQML, useAsDefault "
            f"FROM {STYLE_TABLE}"
        ).fetchall()


def _fields(path: Path, table: str) -> set[str]:
    with closing(sqlite3.connect(path)) as con:
        return {r[1] for r in con.execute(f'PRAGMA table_info("{table}")')}


def _renderer_fields(renderer: ET.Element) -> set[str]:
    return {renderer.get("attr")} - {None}


@pytest.mark.parametrize("name", GPKGS)
def test_every_layer_has_a_parsable_default_style(run_out, name):
    path = run_out / name
    styles = _styles(path)
    layers = {lyr.table: lyr for lyr in feature_layers(path)}
    assert {s[0] for s in styles} == set(layers)
    for table, geom, _style, qml, _default in styles:
        assert geom == layers[table].geometry_column
        root = ET.fromstring(qml.split("\n", 1)[1])  # after the DOCTYPE line
        assert root.tag == "qgis"
        renderer = root.find("renderer-v2")
        assert renderer is not None and renderer.find("symbols/symbol") is not None
        assert _renderer_fields(renderer) <= _fields(path, table)
    defaults = [s[0] for s in styles if s[4]]
    assert sorted(defaults) == sorted(layers)  # exactly one default per layer
    # GDAL still reads every layer and lists layer_styles as a table
    listed = {row[0] for row in pyogrio.list_layers(path)}
    assert STYLE_TABLE in listed and set(layers) <= listed


def test_colours_match_the_web_maps(run_out):
    qml = {s[0]: s[3] for s in _styles(run_out / "fiber.gpkg")}
    premises = ET.fromstring(qml["premises"].split("\n", 1)[1]).find("renderer-v2")
    assert premises.get("type") == "categorizedSymbol" and premises.get("attr") == "fiber_class"
    cats = {c.get("value"): c.get("symbol") for c in premises.iter("category")}
    assert set(cats) == set(CLASS_COLORS)
    symbols = {s.get("name"): s for s in premises.iter("symbol")}
    for kls, color in CLASS_COLORS.items():
        props = {p.get("k"): p.get("v") for p in symbols[cats[kls]].iter("prop")}
        assert props["color"] == qgis_color(color)
    assets = ET.fromstring(qml["assets"].split("\n", 1)[1])
    colors = [p.get("v") for p in assets.iter("prop") if p.get("k") == "color"]
    assert colors == [qgis_color(LAYER_STYLES["assets"].color)]
    plan = {s[0]: s[3] for s in _styles(run_out / "fiber_plan.gpkg")}
    routes = ET.fromstring(plan["routes"].split("\n", 1)[1]).find("renderer-v2")
    assert routes.get("attr") == "phase" and len(list(routes.iter("category"))) >= 1


def _city_crs(run_out: Path) -> str:
    return json.loads((run_out / "summary.json").read_text(encoding="utf-8"))["crs"]


def _project(run_out: Path) -> ET.Element:
    with zipfile.ZipFile(run_out / "planner.qgz") as z:
        assert z.namelist() == ["planner.qgs"]
        text = z.read("planner.qgs").decode("utf-8")
    return ET.fromstring(text.split("\n", 1)[1])


def test_project_references_existing_layers_and_fields(run_out):
    root = _project(run_out)
    assert root.find("projectCrs/spatialrefsys/authid").text == _city_crs(run_out)
    groups = [g.get("name") for g in root.findall("layer-tree-group/layer-tree-group")]
    assert groups == [
        "Joint plan (new sites, backhaul)",
        "Mobile coverage",
        "Drones",
        "Fibre plan",
        "Fibre coverage",
        "City data",
        "Basemap",
    ]
    tree_ids = {el.get("id") for el in root.iter("layer-tree-layer")}
    layers = root.findall("projectlayers/maplayer")
    assert {ml.find("id").text for ml in layers} == tree_ids
    for ml in layers:
        source = ml.find("datasource").text
        if ml.find("provider").text == "wms":
            assert "tile.openstreetmap.org" in source
            assert ml.find("attribution").text == "© OpenStreetMap contributors"
            continue
        if ml.find("provider").text == "gdal":
            assert source == "./ground_risk.tif" and (run_out / source).is_file()
            entries = ml.findall("pipe/rasterrenderer/colorPalette/paletteEntry")
            assert entries and all(e.get("color").startswith("#") for e in entries)
            continue
        parts = dict(p.split("=", 1) for p in source.split("|")[1:])
        file = source.split("|")[0]
        assert file.startswith("./") and (run_out / file).is_file()  # relative path
        table = parts["layername"]
        assert table in {lyr.table for lyr in feature_layers(run_out / file)}
        renderer = ml.find("renderer-v2")
        assert _renderer_fields(renderer) <= _fields(run_out / file, table)


def test_project_shows_what_the_combined_map_shows(run_out):
    shown = {
        el.get("name"): el.get("checked") == "Qt::Checked"
        for el in _project(run_out).iter("layer-tree-layer")
    }
    assert shown["Premises"] and shown["Drone corridors"] and shown["Hubs"]
    assert not shown["Planned routes"] and not shown["Gap clusters"]
    hexes = sorted(n for n in shown if n.startswith("Coverage hexes"))
    assert [shown[h] for h in hexes] == [False] * (len(hexes) - 1) + [True]


def test_untrusted_text_is_escaped():
    evil = '</category><x a="1">&amp; "quoted" \'s'
    cat = [Category(evil, evil, "#ff0000")]
    doc = qml_document(categorized_renderer("name", cat, SymbolStyle("point", "#000000")))
    root = ET.fromstring(doc.split("\n", 1)[1])
    assert [c.get("value") for c in root.iter("category")] == [evil]
    assert root.find(".//x") is None


def test_styles_are_rewritten_not_appended(run_out, tmp_path):
    import shutil

    shutil.copy2(run_out / "fiber.gpkg", tmp_path / "fiber.gpkg")
    before = len(_styles(tmp_path / "fiber.gpkg"))
    qgis.write_layer_styles(tmp_path)
    qgis.write_layer_styles(tmp_path)
    assert len(_styles(tmp_path / "fiber.gpkg")) == before
    with closing(sqlite3.connect(tmp_path / "fiber.gpkg")) as con:
        rows = con.execute(
            "SELECT data_type FROM gpkg_contents WHERE table_name = ?", (STYLE_TABLE,)
        ).fetchall()
    assert rows == [("attributes",)]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporaries


#: Opens the project in QGIS (Debian's python3-qgis runs on the system Python).
_OPEN_PROJECT = textwrap.dedent(
    """
    import os
    import sys
    from qgis.core import QgsApplication, QgsProject, QgsVectorLayer
    app = QgsApplication([], False)
    app.initQgis()
    project = QgsProject.instance()
    assert project.read(sys.argv[1]), "project not read"
    assert project.crs().authid() == sys.argv[3], project.crs().authid()
    for lid, layer in project.mapLayers().items():
        if lid == "osm_basemap":
            continue
        assert layer.isValid(), lid
        if isinstance(layer, QgsVectorLayer):
            assert layer.renderer() is not None, lid
        else:
            assert layer.renderer().type() == "paletted", (lid, layer.renderer().type())
    default = QgsVectorLayer(sys.argv[2] + "|layername=premises", "p", "ogr")
    assert default.renderer().type() == "categorizedSymbol", default.renderer().type()
    print(len(project.mapLayers()), flush=True)
    os._exit(0)  # QGIS may crash tearing down layers still referenced from Python
    """
)


def _qgis_python() -> str | None:
    """A Python that imports qgis.core (this one or the system's), or None."""
    for exe in ("python3", "/usr/bin/python3"):
        try:
            done = subprocess.run(
                [exe, "-c", "import qgis.core"], capture_output=True, timeout=60, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0:
            return exe
    return None


def test_qgis_opens_the_project_headless(run_out):
    exe = _qgis_python()
    if exe is None:
        pytest.skip("QGIS (python3-qgis) is not installed")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [
            exe,
            "-c",
            _OPEN_PROJECT,
            str(run_out / "planner.qgz"),
            str(run_out / "fiber.gpkg"),
            _city_crs(run_out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.strip().splitlines()[-1]) > 10
