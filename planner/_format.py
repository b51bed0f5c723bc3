"""The one value formatter of planner's outputs for people (map popups, legends, the report)."""

from __future__ import annotations

import json
import math
import numbers

__all__ = ["MONEY_WORDS", "format_value", "is_money"]

#: A field whose name contains one of these words holds an amount of money.
MONEY_WORDS = ("cost", "capex", "price", "lower_bound")


def is_money(name: str) -> bool:
    """Return True when the field ``name`` holds money (``route_cost``, ``capex_total`` ...).

    Parameters
    ----------
    name : str
        A column or summary key.

    Returns
    -------
    bool
    """
    return any(word in name for word in MONEY_WORDS)


def _missing(v: object) -> bool:
    """Return True for None, NaN and pandas' NA/NaT (anything that is not a value)."""
    if v is None:
        return True
    try:
        import pandas as pd

        return bool(pd.isna(v))
    except (TypeError, ValueError):  # lists, dicts, arrays
        return False


def _format_float(v: float, money: bool) -> str:
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if money:
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:,.2f}"
    if v.is_integer() and abs(v) < 1e15:
        return f"{int(v):,}"
    if abs(v) >= 1e6:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:,.2f}".rstrip("0").rstrip(".")
    return f"{v:.3g}"


def format_value(v: object, money: bool = False) -> str:
    """Format one value for people: numbers readable, missing values empty.

    Integers (and integral floats) print as integers with thousands separators, other
    floats with up to two decimals from 10 on (none from a million on) and three
    significant digits below 10; money (``money=True``) prints whole units from 1,000 on and cents
    below. Booleans print ``yes``/``no``, lists and dicts as JSON, anything else as text.

    Parameters
    ----------
    v : object
        A Python or numpy scalar, a list/tuple/dict, or anything with ``str``.
    money : bool
        Format a number as an amount of money (see :func:`is_money`).

    Returns
    -------
    str
        Plain text; HTML escaping is the caller's job.
    """
    if isinstance(v, (list, tuple, dict)):
        return json.dumps(v, ensure_ascii=False, default=str)
    if _missing(v):
        return ""
    if hasattr(v, "item") and not isinstance(v, str):  # numpy scalar -> Python scalar
        v = v.item()
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, numbers.Integral):
        return f"{int(v):,}"
    if isinstance(v, numbers.Real):
        return _format_float(float(v), money)
    return str(v)
