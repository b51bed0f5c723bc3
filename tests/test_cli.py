import json
import subprocess
import sys

import pyogrio
import pytest

from planner import run as run_module
from planner.cli import main
from tests.conftest import shared_file

LAYERS = {
    "streets",
    "street_nodes",
    "buildings",
    "telecom",
    "airspace",
    "landuse",
    "key_places",
    "admin_areas",
    "boundary",
}


def test_help_explains_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "run" in out and "OpenStreetMap" in out


def test_run_default_city_writes_outputs(tmp_path, capsys):
    assert main(["run", "--out", str(tmp_path), "-q"]) == 0
    out_dir = tmp_path / "helsinki"
    printed = capsys.readouterr().out
    assert str(out_dir) in printed and "summary.json" in printed
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["city"] == "helsinki" and summary["crs"].startswith("EPSG:")
    assert summary["layers"]["buildings"] > 400
    assert "metres_per_level" in summary["assumptions"]["buildings"]["values"]
    assert "metres_per_level" in summary["assumptions"]["buildings"]["sources"]
    layers = {name for name, _ in pyogrio.list_layers(out_dir / "layers.gpkg")}
    assert LAYERS <= layers
    info = pyogrio.read_info(out_dir / "layers.gpkg", layer="buildings")
    assert info["crs"] == "EPSG:4326" and info["features"] == summary["layers"]["buildings"]
    html = (out_dir / "map.html").read_text()
    assert "OpenStreetMap contributors" in html
    assert (out_dir / "run.log").stat().st_size > 0


def test_failed_run_keeps_previous_outputs(tmp_path, monkeypatch, capsys):
    assert main(["run", "--out", str(tmp_path), "-q"]) == 0
    before = (tmp_path / "helsinki" / "summary.json").read_text()

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(run_module, "write_json", boom)
    assert main(["run", "--out", str(tmp_path), "-q"]) != 0
    assert (tmp_path / "helsinki" / "summary.json").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["helsinki"]
    err = capsys.readouterr().err
    assert "disk full" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "args, message",
    [
        (["--pbf", "/no/such/file.osm.pbf"], "not found"),
        (["--city", "../../etc"], "city name"),
    ],
)
def test_bad_input_one_line_no_traceback(tmp_path, args, message):
    proc = subprocess.run(
        [sys.executable, "-m", "planner.cli", "run", "--out", str(tmp_path), "-q", *args],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("planner: error:")
    assert not (tmp_path / "etc").exists()


def test_png_renamed_pbf_cli(tmp_path):
    fake = tmp_path / "photo.osm.pbf"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(2048))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "planner.cli",
            "run",
            "--pbf",
            str(fake),
            "--out",
            str(tmp_path),
            "-q",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "not an OSM PBF" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "photo").exists()


def test_config_typo_cli(tmp_path):
    cfg = tmp_path / "c.yml"
    cfg.write_text("name: c\nsorce:\n  sample: helsinki\n")
    proc = subprocess.run(
        [sys.executable, "-m", "planner.cli", "run", str(cfg), "--out", str(tmp_path), "-q"],
        capture_output=True,
        text=True,
    )
    assert (
        proc.returncode == 2 and "'sorce'" in proc.stderr and "did you mean 'source'" in proc.stderr
    )


@pytest.mark.parametrize("name", ["monaco", "lauf", "liechtenstein"])
def test_run_shared_extract(tmp_path, name):
    path = shared_file(name)
    assert main(["run", "--pbf", str(path), "--out", str(tmp_path), "-q"]) == 0
    city = path.name.removesuffix(".osm.pbf")
    summary = json.loads((tmp_path / city / "summary.json").read_text())
    assert summary["city"] == city and summary["layers"]["buildings"] > 1000


def test_outputs_written_without_gdal_warnings(tmp_path, recwarn):
    """Temporary files keep their extension, so GDAL writes conformant GeoPackages silently."""
    import geopandas as gpd
    from shapely.geometry import Point

    from planner._files import write_gpkg

    gdf = gpd.GeoDataFrame({"name": ["a"]}, geometry=[Point(0, 0)], crs=4326)
    path = write_gpkg({"a": gdf, "b": gdf}, tmp_path / "x.gpkg")
    gdal = [str(w.message) for w in recwarn if "conform" in str(w.message)]
    assert gdal == []
    assert {n for n, _ in pyogrio.list_layers(path)} == {"a", "b"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.gpkg"]


def test_failed_analysis_keeps_the_other_results(tmp_path, capsys):
    """One hub: drones fails and says why; radio runs on the ground and heights without
    corridors; fiber/plan/maps/report are still written; exit 4."""
    cfg = tmp_path / "onehub.yml"
    cfg.write_text(
        "name: onehub\nsource: {sample: helsinki}\n"
        "drones:\n  hubs:\n    - {name: only, lon: 24.94, lat: 60.17}\n",
        encoding="utf-8",
    )
    assert main(["run", str(cfg), "--out", str(tmp_path / "out"), "-q"]) == 4
    err = capsys.readouterr().err
    failed = [line for line in err.splitlines() if line.startswith("planner: step ")]
    assert len(failed) == 1 and "drones failed: drones.hubs: fewer than 2 hubs" in failed[0]
    assert "internal error" not in err
    out = tmp_path / "out" / "onehub"
    summary = json.loads((out / "summary.json").read_text())
    steps = summary["steps"]
    assert steps["drones"]["status"] == "failed"
    assert "list at least 2 hubs" in steps["drones"]["reason"]
    ok = ("layers", "fiber", "plan", "radio", "maps", "report")
    assert all(steps[s]["status"] == "ok" for s in ok)
    assert "fiber_plan" in summary and "radio" in summary
    assert (
        summary["drones"]["corridors"] == []
        and "fewer than 2 hubs" in summary["drones"]["infeasible"][0]
    )
    for name in ("fiber.gpkg", "bom.csv", "map.html", "report.html", "radio.gpkg"):
        assert (out / name).is_file()
    assert not (out / "airspace.gpkg").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["--place", ""],
        ["--place", "Vaduz\x00"],
        ["--city", "a\x00b"],
        ["--pbf", "  "],
    ],
)
def test_empty_or_control_character_arguments(tmp_path, capsys, args):
    assert main(["run", *args, "--out", str(tmp_path), "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("planner: error: command line:") and "\n" not in err
    assert not any(tmp_path.iterdir())


def _bad_out(tmp_path, kind):
    if kind == "file":
        (tmp_path / "f").write_text("x")
        return tmp_path / "f"
    if kind == "below_file":
        (tmp_path / "f").write_text("x")
        return tmp_path / "f" / "sub"
    if kind == "city_is_file":
        (tmp_path / "helsinki").write_text("x")
        return tmp_path
    return "/proc/planner-no-such-folder"


@pytest.mark.parametrize("kind", ["file", "below_file", "city_is_file", "proc"])
def test_unusable_output_folder_is_one_line(tmp_path, capsys, kind):
    out = _bad_out(tmp_path, kind)
    assert main(["run", "--out", str(out), "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and err[1].startswith("planner: error: ")  # "running ..." + error
    assert "internal error" not in err[1]
