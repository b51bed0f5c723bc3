"""plan.xlsx: sheets, units in headers, numbers as numbers, totals and formula-safe text."""

from __future__ import annotations

import json
import numbers
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from planner.render.excel import SHEETS, header, safe_text, unit_of, write_workbook


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A full Helsinki run (it writes plan.xlsx) and its typed results."""
    from planner.config import CityConfig
    from planner.run import run_city

    root = tmp_path_factory.mktemp("excel-run")
    return run_city(CityConfig(name="helsinki"), out_root=root, progress=False)


def _rows(ws) -> tuple[list[str], list[tuple]]:
    rows = list(ws.iter_rows(values_only=True))
    return list(rows[0]), rows[1:]


def test_sheets_headers_and_layout(run):
    wb = load_workbook(run.out_dir / "plan.xlsx")
    assert wb.sheetnames == SHEETS
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
        assert all(ws.column_dimensions[c].width for c in "AB")
    bom_head, _ = _rows(wb["BOM"])
    assert "total (EUR)" in bom_head and "unit cost (EUR)" in bom_head
    assert _rows(wb["KPIs"])[0] == ["section", "kpi", "value", "target", "met", "unit"]
    assert "length (m)" in _rows(wb["Corridors"])[0]
    assert "street length (m)" in _rows(wb["Gap clusters"])[0]
    assert "capex (EUR)" in _rows(wb["Phases"])[0]
    assert "coverage (%)" in _rows(wb["Cost curve"])[0]


def test_numbers_are_numbers_and_totals_match(run):
    wb = load_workbook(run.out_dir / "plan.xlsx")
    head, rows = _rows(wb["BOM"])
    col = head.index("total (EUR)")
    items, total_row = rows[:-1], rows[-1]
    assert total_row[0] == "total"
    assert all(isinstance(r[col], numbers.Number) for r in items)
    bom = pd.read_csv(run.out_dir / "bom.csv")
    assert sum(r[col] for r in items) == pytest.approx(bom["total"].sum())
    assert total_row[col] == pytest.approx(bom["total"].sum())
    summary = json.loads((run.out_dir / "summary.json").read_text(encoding="utf-8"))
    assert total_row[col] == pytest.approx(summary["fiber_plan"]["capex_total"], abs=1)
    cell = wb["BOM"].cell(2, col + 1)
    assert cell.data_type == "n" and "#,##0" in cell.number_format
    head, rows = _rows(wb["KPIs"])
    kpis = {r[1]: r for r in rows}
    cov = kpis["coverage_pct"]
    assert cov[2] == summary["fiber"]["coverage_pct"] and cov[3] == 80.0
    assert cov[4] is (cov[2] >= cov[3]) and cov[5] == "%"
    assert "target_coverage_pct" not in kpis  # paired with its KPI
    head, rows = _rows(wb["Corridors"])
    assert len(rows) == len(summary["drones"]["corridors"])
    length = head.index("length (m)")
    assert all(isinstance(r[length], numbers.Number) for r in rows)
    assert sum(r[length] for r in rows) == pytest.approx(
        sum(c["length_m"] for c in summary["drones"]["corridors"])
    )


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tx"])
def test_osm_text_never_becomes_a_formula(run, tmp_path: Path, text):
    assert safe_text(text) == "'" + text
    fiber = run.results.fiber
    clusters = fiber.gap_clusters.assign(name=text)
    evil = type(fiber)(**{**fiber.__dict__, "gap_clusters": clusters})
    path = write_workbook(tmp_path, run.summary, fiber=evil)
    ws = load_workbook(path)["Gap clusters"]
    col = _rows(ws)[0].index("name") + 1
    cell = ws.cell(2, col)
    assert cell.data_type == "s" and cell.value == "'" + text


def test_headers_and_units():
    assert header("length_m") == "length (m)"
    assert header("capex_total") == "capex total (EUR)"
    assert header("surround_ppl_km2") == "surround (people/km²)"
    assert header("coverage_pct") == "coverage (%)"
    assert header("premises") == "premises"
    assert header("total", "CHF", money=True) == "total (CHF)"
    assert unit_of("premises_total") is None
