"""``planner batch`` on the command line: bad input is one line; a LocalCluster run is quiet."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from planner.batch import cli
from tests.batch.conftest import _free_port
from tests.conftest import shared_file

REPO = Path(__file__).resolve().parents[2]


def _run(capsys, *args: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="planner")
    cli.add_parser(parser.add_subparsers(dest="command"))
    code = cli.run(parser.parse_args(["batch", *args]))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def _one_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.shared
def test_admin_level_without_boundaries(capsys, tmp_path):
    pbf = shared_file("liechtenstein")
    code, _, err = _run(capsys, "--pbf", str(pbf), "--admin-level", "7", "--out", str(tmp_path))
    assert code == 2
    line = _one_line(err)
    assert "no boundary=administrative relation with admin_level=7" in line
    assert "levels present: 2, 4, 6, 8, 10" in line


@pytest.mark.shared
def test_boundary_without_a_closed_polygon(capsys, tmp_path):
    pbf = shared_file("liechtenstein")
    args = ["--pbf", str(pbf), "--admin-level", "8", "--within", "Vorarlberg"]
    code, _, err = _run(capsys, *args, "--out", str(tmp_path))
    assert code == 2
    line = _one_line(err)
    assert "Vorarlberg (relation 74942) has no closed polygon" in line
    code, _, err = _run(capsys, "--pbf", str(pbf), "--admin-level", "4", "--out", str(tmp_path))
    assert code == 2 and "none of the 3 admin_level=4 boundaries" in _one_line(err)


@pytest.mark.shared
def test_unreachable_scheduler(capsys, tmp_path):
    pbf = shared_file("liechtenstein")
    address = f"tcp://127.0.0.1:{_free_port()}"  # nothing listens there
    args = ["--pbf", str(pbf), "--admin-level", "8", "--scheduler", address]
    code, _, err = _run(capsys, *args, "--out", str(tmp_path))
    assert code == 2
    assert f"cannot reach the Dask scheduler at {address}" in _one_line(err)
    assert not (tmp_path / "_batch").exists()  # failed before splitting anything


def test_other_bad_input(capsys, tmp_path):
    code, _, err = _run(capsys, "--out", str(tmp_path))
    assert code == 2 and "give a regional extract" in _one_line(err)
    code, _, err = _run(capsys, str(tmp_path / "missing.yml"))
    assert code == 2 and "batch file not found" in _one_line(err)
    bad = tmp_path / "batch.yml"
    bad.write_text("cities:\n  x:\n    source: {pbf: a.pbf}\n    fibre: {}\n", encoding="utf-8")
    code, _, err = _run(capsys, str(bad), "--steps", "fiber,plan")
    assert code == 2 and "unknown key 'fibre'" in _one_line(err)
    code, _, err = _run(capsys, str(bad), "--steps", "fiber,plann")
    assert code == 2 and "unknown step 'plann'" in _one_line(err)
    code, _, err = _run(capsys, str(bad), "--memory-limit", "lots")
    assert code == 2 and "--memory-limit 'lots'" in _one_line(err)


@pytest.mark.shared
def test_local_cluster_run_is_quiet_and_says_what_it_wrote(region_run, tmp_path):
    """A batch.yml of two extracts on the default LocalCluster (1 worker), as a subprocess."""
    extracts = region_run["out"] / "_batch" / "extracts"
    batch = tmp_path / "batch.yml"
    batch.write_text(
        "defaults:\n  fiber: {target_coverage_pct: 70}\ncities:\n"
        f"  planken: {{source: {{pbf: {extracts / 'planken.osm.pbf'}}}}}\n"
        f"  schellenberg: {{source: {{pbf: {extracts / 'schellenberg.osm.pbf'}}}}}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONHASHSEED": "123"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "planner.batch.cli",
            "batch",
            str(batch),
            "--out",
            str(out),
            "--workers",
            "1",
            "--memory-limit",
            "3GB",
            "--steps",
            "layers,fiber,plan",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "planken: ran" in proc.stdout and "schellenberg: ran" in proc.stdout
    assert f"wrote {out}/" in proc.stdout and "region_report.html" in proc.stdout
    for noise in ("distributed", "bokeh", "Traceback", "HiGHS", "Warning", "tornado"):
        assert noise not in proc.stderr + proc.stdout, noise
    assert "dashboard: http://127.0.0.1:" in proc.stderr
    table = (out / "region.csv").read_text()
    assert table.splitlines()[1].startswith("planken,planken,")
    # the same cities ran in the region run: identical KPIs whatever the hash seed / cluster
    region = (region_run["out"] / "planken" / "summary.json").read_text()
    local = (out / "planken" / "summary.json").read_text()
    assert '"premises_total"' in local
    import json

    a, b = json.loads(region)["fiber"], json.loads(local)["fiber"]
    assert a["premises_total"] == b["premises_total"]
    assert b["target_coverage_pct"] == 70
