"""The ``plan.xlsx`` workbook: BOM, phases, cost curve, KPIs, gap clusters and corridors."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from planner._files import atomic_path
from planner._format import is_money
from planner.render._report_sections import KPI_TARGETS, SECTION_KEYS

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

    from planner.drones import CorridorResult
    from planner.fiber import FiberCoverage
    from planner.plan import FiberPlan

__all__ = [
    "FORMULA_PREFIXES",
    "SHEETS",
    "Table",
    "header",
    "safe_text",
    "unit_of",
    "write_workbook",
]

#: Sheet names, in workbook order.
SHEETS = ["BOM", "Phases", "Cost curve", "KPIs", "Gap clusters", "Corridors"]

#: Text starting with one of these would be read as a formula by spreadsheets (and by CSV
#: exports of the sheet): such OSM text is written with a leading apostrophe.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

#: Unit of a column by the end of its name (longest first).
_SUFFIX_UNITS = (
    ("_ppl_km2", "people/km²"),
    ("_km2", "km²"),
    ("_m2", "m²"),
    ("_pct", "%"),
    ("_seconds", "s"),
    ("_m", "m"),
)

#: BOM columns holding money although their name does not say so.
_BOM_MONEY = {"unit_cost", "total", "labour", "material"}

_FORMATS = {"int": "#,##0", "float": "#,##0.###", "money": "#,##0.00"}


@dataclass
class Table:
    """One sheet: its name, column names, rows, the money columns and the currency."""

    name: str
    columns: list[str]
    rows: list[list[object]]
    currency: str = "EUR"
    money: frozenset[str] = frozenset()


def unit_of(column: str, currency: str = "EUR", money: bool | None = None) -> str | None:
    """Return the unit of a column from its name (``length_m`` -> ``m``), or None.

    Parameters
    ----------
    column : str
        Column or KPI name.
    currency : str
        Unit of money columns.
    money : bool, optional
        Force (or deny) money; default :func:`planner._format.is_money`.

    Returns
    -------
    str or None
    """
    if money if money is not None else is_money(column):
        return currency
    return next((u for s, u in _SUFFIX_UNITS if column.endswith(s)), None)


def header(column: str, currency: str = "EUR", money: bool | None = None) -> str:
    """Return a column header with its unit: ``length_m`` -> ``length (m)``.

    Parameters
    ----------
    column : str
        Column name.
    currency : str
        Unit of money columns.
    money : bool, optional
        Force (or deny) money.

    Returns
    -------
    str
    """
    unit = unit_of(column, currency, money)
    name = column
    for suffix, u in _SUFFIX_UNITS:
        if u == unit and name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    name = name.replace("_", " ")
    return f"{name} ({unit})" if unit else name


def safe_text(value: str) -> str:
    """Return text that no spreadsheet reads as a formula (leading apostrophe if needed)."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _cell_value(v: object) -> object:
    """Numbers as numbers, missing as empty, text made formula-safe."""
    if v is None or v is pd.NA:
        return None
    if isinstance(v, bool):
        return v
    if hasattr(v, "item") and not isinstance(v, str):
        v = v.item()
    if isinstance(v, numbers.Number):
        return None if isinstance(v, float) and not math.isfinite(v) else v
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return safe_text(str(v))


def _frame_table(name: str, frame: pd.DataFrame, **kw: object) -> Table:
    frame = pd.DataFrame(frame).drop(columns=["geometry"], errors="ignore")
    rows = frame.astype(object).to_numpy().tolist()
    return Table(name, [str(c) for c in frame.columns], rows, **kw)


def _fill(ws: Worksheet, table: Table) -> None:
    """Write headers and rows; set number formats, frozen header and column widths."""
    ws.append([header(c, table.currency, c in table.money or None) for c in table.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        ws.append([_cell_value(v) for v in row])
    for j, col in enumerate(table.columns, start=1):
        money = col in table.money or is_money(col)
        width = len(str(ws.cell(1, j).value))
        for cell in ws.iter_rows(min_row=2, min_col=j, max_col=j):
            c = cell[0]
            if isinstance(c.value, str):
                c.data_type = "s"  # never a formula
            elif isinstance(c.value, numbers.Number) and not isinstance(c.value, bool):
                kind = "money" if money else "int" if isinstance(c.value, int) else "float"
                c.number_format = _FORMATS[kind]
            width = max(width, min(len(str(c.value)) if c.value is not None else 0, 60))
        ws.column_dimensions[get_column_letter(j)].width = width + 2
    ws.freeze_panes = "A2"


def _bom_table(plan: FiberPlan, currency: str) -> Table:
    t = _frame_table("BOM", plan.bom, currency=currency, money=frozenset(_BOM_MONEY))
    if "total" in t.columns:
        total = float(pd.to_numeric(plan.bom["total"], errors="coerce").sum())
        t.rows.append(["total", *([None] * (t.columns.index("total") - 1)), total])
    return t


def _target_key(kpi: str, scalar: Mapping) -> str | None:
    cands = (f"target_{kpi}", f"{kpi}_target", f"{kpi.removesuffix('_pct')}_target_pct")
    return next((c for c in (*cands, KPI_TARGETS.get(kpi)) if c in scalar), None)


def kpi_table(summary: Mapping, currency: str = "EUR") -> Table:
    """Return the KPIs of every analysis section with value, target, met and unit.

    Parameters
    ----------
    summary : mapping
        ``summary.json`` content.
    currency : str
        Unit of money KPIs.

    Returns
    -------
    Table
    """
    rows = []
    for section in SECTION_KEYS.values():
        kpis = summary.get(section) or {}
        scalar = {k: v for k, v in kpis.items() if not isinstance(v, Mapping | list | tuple)}
        targets = {_target_key(k, scalar) for k in scalar} - {None}
        for k, v in scalar.items():
            if k in targets:
                continue
            key = _target_key(k, scalar)
            target = scalar.get(key) if key else None
            met = None
            both = isinstance(v, int | float) and isinstance(target, int | float)
            if both and not isinstance(v, bool):
                met = bool(v >= target)
            rows.append([section, k, v, target, met, unit_of(k, currency)])
    return Table("KPIs", ["section", "kpi", "value", "target", "met", "unit"], rows, currency)


def _cost_curve_table(summary: Mapping, currency: str) -> Table | None:
    curve = (summary.get("fiber_plan") or {}).get("cost_curve")
    if not curve:
        return None
    return _frame_table("Cost curve", pd.DataFrame(curve), currency=currency)


def _tables(
    summary: Mapping,
    fiber: FiberCoverage | None,
    plan: FiberPlan | None,
    drones: CorridorResult | None,
) -> list[Table]:
    """Return the sheets the analyses given can fill, in :data:`SHEETS` order."""
    currency = str((summary.get("fiber_plan") or {}).get("currency", "EUR"))
    tables: list[Table | None] = []
    if plan is not None:
        tables.append(_bom_table(plan, currency))
        tables.append(_frame_table("Phases", plan.phases, currency=currency))
    tables.append(_cost_curve_table(summary, currency))
    tables.append(kpi_table(summary, currency))
    if fiber is not None:
        tables.append(_frame_table("Gap clusters", fiber.gap_clusters, currency=currency))
    if drones is not None:
        tables.append(_frame_table("Corridors", drones.corridors, currency=currency))
    return [t for t in tables if t is not None]


def write_workbook(
    out_dir: str | Path,
    summary: Mapping,
    fiber: FiberCoverage | None = None,
    plan: FiberPlan | None = None,
    drones: CorridorResult | None = None,
) -> Path:
    """Write ``plan.xlsx``: one sheet per table, numbers as numbers, units in the headers.

    Sheets (as far as the analyses ran): ``BOM`` (with a total row), ``Phases``,
    ``Cost curve``, ``KPIs`` (value, target, met, unit), ``Gap clusters`` and ``Corridors``.
    Header rows are frozen; text that could be read as a formula gets a leading apostrophe.

    Parameters
    ----------
    out_dir : path-like
        The run's output folder.
    summary : mapping
        ``summary.json`` content (KPIs, cost curve, currency).
    fiber : FiberCoverage, optional
        Gap clusters.
    plan : FiberPlan, optional
        Bill of materials and phases.
    drones : CorridorResult, optional
        Corridors.

    Returns
    -------
    Path
        ``<out_dir>/plan.xlsx``.
    """
    wb = Workbook()
    wb.remove(wb.active)
    for table in _tables(summary, fiber, plan, drones):
        _fill(wb.create_sheet(table.name), table)
    path = Path(out_dir) / "plan.xlsx"
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path
