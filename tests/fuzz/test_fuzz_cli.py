"""Fuzz the whole CLI on tiny hostile extracts and configs: exit 0, 2 or 4, one-line errors."""

from __future__ import annotations

import json

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.cli import main
from tests.fuzz.conftest import cases
from tests.fuzz.hostile import OUTCOMES, hostile_text, osm_xml

#: ``run`` is left out: it is ``fiber`` + ``plan`` + ``drones`` + ``radio`` plus the maps and
#: the report, three times slower per case.
_COMMANDS = st.sampled_from(["fiber", "plan", "drones", "radio"])
_SECTIONS = st.sampled_from(
    [
        {},
        {"drones": {"hubs": [{"name": "a", "lon": 24.94, "lat": 60.17}]}},
        {"drones": {"hubs": [{"name": "a", "lon": 24.94, "lat": 60.17}] * 2}},
        {"fiber": {"asset_files": ["missing.geojson"]}},
        {"plan": {"budget": 1.0}},
        {"buildings": {"min_premise_footprint_m2": 1000}},
    ]
)


def _check_cli(capsys, argv: list[str]) -> None:
    code = main(argv)
    err = capsys.readouterr().err
    assert code in (0, 2, 4), f"exit {code}: {err[-500:]}"
    assert "internal error" not in err and "Traceback" not in err
    if code == 2:
        last = err.strip().splitlines()[-1]
        assert last.startswith("planner: error: ")
    OUTCOMES["ok" if code in (0, 4) else "refused"] += 1


@settings(max_examples=cases(12))
@given(doc=osm_xml(), command=_COMMANDS, section=_SECTIONS, name=hostile_text)
def test_cli_on_hostile_inputs(tmp_path_factory, capsys, doc, command, section, name):
    folder = tmp_path_factory.mktemp("cli")
    (folder / "city.osm").write_text(doc, encoding="utf-8")
    config = {"name": "fuzz", "source": {"osm": "city.osm"}, **section}
    if name.isidentifier() and name.islower():
        config["name"] = name[:60]
    (folder / "c.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    _check_cli(capsys, [command, str(folder / "c.yml"), "--out", str(folder / "out"), "-q"])


_TINY = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
<node id="1" lat="60.17" lon="24.94" version="1"/>
<node id="2" lat="60.17" lon="24.9405" version="1"/>
<node id="3" lat="60.1705" lon="24.9405" version="1"/>
<node id="4" lat="60.1705" lon="24.94" version="1"/>
<way id="1" version="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="residential"/></way>
<way id="2" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/>
<tag k="building" v="yes"/></way>
</osm>
"""


def test_plan_on_a_tiny_area(tmp_path, capsys):
    """One building beside one street: a greenfield plan that passes all its premises.

    Was ``IndexError`` in ``plan.architecture.group_splitters`` (the forest had no route
    piece, so the owners of the targets came as an object array).
    """
    (tmp_path / "city.osm").write_text(_TINY, encoding="utf-8")
    argv = ["plan", "--osm", str(tmp_path / "city.osm"), "--out", str(tmp_path), "-q"]
    argv += ["--city", "tiny"]
    assert main(argv) == 0, capsys.readouterr().err
    summary = json.loads((tmp_path / "tiny" / "summary.json").read_text(encoding="utf-8"))
    premises = summary["fiber"]["premises_total"]
    plan = summary["fiber_plan"]
    assert premises > 0 and summary["fiber"]["premises_passed"] == 0
    assert plan["premises_targeted"] == plan["premises_passed_after"] == premises
    assert plan["coverage_pct_after"] == 100.0
    # hand formula: one building, so ceil(premises / ratio) splitters in one cabinet
    assert plan["splitters"] == -(-premises // plan["split_ratio"]) == plan["olt_ports"]
    assert plan["cabinets"] == 1


#: The fuzz case (shrunk by hypothesis): four nodes in a row, the "building" ring folds
#: onto the street.
_FOLDED = (
    _TINY.replace('lat="60.1705" lon="24.9405"', 'lat="60.17" lon="24.941000000000003"')
    .replace('lat="60.1705" lon="24.94"', 'lat="60.17" lon="24.9415"')
    .replace('<nd ref="2"/><nd ref="3"/><nd ref="4"/>', '<nd ref="2"/><nd ref="4"/><nd ref="3"/>')
)


def test_plan_with_no_premise_to_plan_for(tmp_path, capsys):
    """Found by the CLI fuzz: a plan without targets printed ``None`` as capex per premise.

    The building ring folds onto the street (a zero-area footprint): no premise, nothing to
    plan; the plan step runs and the summary line says so (was TypeError, exit 3).
    """
    (tmp_path / "city.osm").write_text(_FOLDED, encoding="utf-8")
    argv = ["plan", "--osm", str(tmp_path / "city.osm"), "--out", str(tmp_path), "-q"]
    code = main([*argv, "--city", "none"])
    captured = capsys.readouterr()
    assert code == 0, captured.err[-2000:]
    assert "plan: no premise to plan for" in captured.out + captured.err
    summary = json.loads((tmp_path / "none" / "summary.json").read_text(encoding="utf-8"))
    assert summary["fiber_plan"]["premises_targeted"] == 0
