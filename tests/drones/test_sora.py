"""SORA 2.5 Table 2 reproduced cell by cell (JAR-DEL-SRM-SORA-MB-2.5, Step #2, Table 2)."""

import numpy as np
import pytest

from planner.config.sora import (
    OUT_OF_SCOPE,
    OUT_OF_SCOPE_RANK,
    igrc,
    risk_rank,
    ua_class_for,
    ua_class_index,
)
from planner.errors import ConfigError

IGRC_MAX = 10  # highest iGRC in Table 2
G = None  # grey cell: "not part of SORA"
# Transcribed from SORA 2.5 Table 2; columns 1 m/25 m/s, 3 m/35 m/s, 8 m/75 m/s,
# 20 m/120 m/s, 40 m/200 m/s.
TABLE = {
    "controlled": [1, 1, 2, 3, 3],
    "<5": [2, 3, 4, 5, 6],
    "<50": [3, 4, 5, 6, 7],
    "<500": [4, 5, 6, 7, 8],
    "<5000": [5, 6, 7, 8, 9],
    "<50000": [6, 7, 8, 9, 10],
    ">50000": [7, 8, G, G, G],
}
# densities that fall in each row (low edge, mid, just below upper edge)
SAMPLES = {
    "<5": [0.0, 1.0, 4.999],
    "<50": [5.0, 20.0, 49.99],
    "<500": [50.0, 200.0, 499.9],
    "<5000": [500.0, 2000.0, 4999.0],
    "<50000": [5000.0, 20000.0, 49999.0],
    ">50000": [50000.0, 1e5, 1e7],
}
COLS = ["1m", "3m", "8m", "20m", "40m"]


@pytest.mark.parametrize("row", list(SAMPLES))
@pytest.mark.parametrize("col", range(5))
def test_table_cell(row, col):
    expected = TABLE[row][col]
    got = igrc(np.array(SAMPLES[row]), COLS[col])
    want = OUT_OF_SCOPE if expected is None else expected
    assert got.tolist() == [want] * len(SAMPLES[row])


@pytest.mark.parametrize("col", range(5))
def test_controlled_row(col):
    d = np.array([0.0, 300.0, 1e6])
    got = igrc(d, COLS[col], controlled=np.ones(3, bool))
    assert got.tolist() == [TABLE["controlled"][col]] * 3


def test_vectorised_2d_shape_and_mask():
    d = np.array([[1.0, 100.0], [60000.0, 3.0]])
    mask = np.array([[False, True], [False, False]])
    out = igrc(d, "8m", controlled=mask)
    assert out.shape == (2, 2)
    assert out.tolist() == [[4, 2], [OUT_OF_SCOPE, 4]]


def test_class_lookup():
    assert ua_class_index("3m/35ms") == 1
    assert ua_class_index(4) == 4
    assert ua_class_for(0.9, 20) == "1m"
    assert ua_class_for(0.9, 30) == "3m"  # speed pushes it up a column
    assert ua_class_for(10, 50) == "20m"
    with pytest.raises(ConfigError, match="ua_class"):
        ua_class_index("5m")
    with pytest.raises(ConfigError, match="ua_class"):
        ua_class_for(50, 10)
    with pytest.raises(ConfigError, match="density"):
        igrc(np.array([-1.0]))


def test_risk_rank_puts_out_of_scope_on_top():
    g = igrc(np.array([[1.0, 6e4], [600.0, 6e4]]), "8m")
    assert g[0, 1] == OUT_OF_SCOPE
    rk = risk_rank(g)
    assert rk[0, 1] == rk[1, 1] == OUT_OF_SCOPE_RANK > IGRC_MAX
    assert rk[0, 0] == g[0, 0] and rk[1, 0] == g[1, 0]
    assert rk.max() == OUT_OF_SCOPE_RANK and int(risk_rank(5)) == 5
