"""The one value formatter: integers as integers, money with separators, missing as empty."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner._format import format_value, is_money


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1, "1"),
        (np.int64(4722), "4,722"),
        (2.0, "2"),  # an integral float is a count or a rank: no "2.00"
        (np.float64(16108.1), "16,108.1"),
        (42.5, "42.5"),
        (0.15249, "0.152"),
        (1.2345e7, "12,345,000"),
        (True, "yes"),
        (np.bool_(False), "no"),
        (None, ""),
        (float("nan"), ""),
        (pd.NA, ""),
        ([1, "a"], '[1, "a"]'),
        ("<b>", "<b>"),  # escaping is the caller's job
    ],
)
def test_format_value(value, text):
    assert format_value(value) == text


def test_money_has_thousands_separators_and_cents_below_a_thousand():
    assert format_value(3020748.46, money=True) == "3,020,748"
    assert format_value(1167160.08, money=True) == "1,167,160"
    assert format_value(639.72, money=True) == "639.72"
    assert format_value(12, money=True) == "12"
    assert is_money("capex_total") and is_money("route_cost") and is_money("routing_lower_bound")
    assert not is_money("coverage_pct") and not is_money("premises")
