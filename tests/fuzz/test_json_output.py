import json
import math

import numpy as np

from planner._files import write_json


def test_summary_json_never_holds_bare_infinity_or_nan(tmp_path):
    data = {"a": math.inf, "b": [np.float64("nan"), 1.5], "c": {"d": np.float32("-inf")}, "e": 2}
    path = write_json(data, tmp_path / "s.json")
    text = path.read_text()
    assert "Infinity" not in text and "NaN" not in text
    assert json.loads(text) == {"a": None, "b": [None, 1.5], "c": {"d": None}, "e": 2}
