"""Huge inputs are bounded: a 10 MB tag value, an alias bomb in drones.overrides."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.city import load_city
from planner.city.osm import MAX_XML_TOKEN_BYTES, check_token_lengths
from planner.config import load_config
from planner.errors import ConfigError, InputFileError
from tests.fuzz.conftest import cases
from tests.fuzz.test_fuzz_cli import _TINY


def test_a_ten_megabyte_building_name_is_one_line(tmp_path):
    # osmnx's XML parser took minutes over it; now refused before parsing
    doc = _TINY.replace('v="yes"/>', 'v="yes"/><tag k="name" v="' + "N" * 10_000_000 + '"/>')
    (tmp_path / "big.osm").write_text(doc, encoding="utf-8")
    with pytest.raises(InputFileError, match="more than 65,536 bytes") as err:
        load_city(tmp_path / "big.osm", use_cache=False, progress=False)
    assert "\n" not in str(err.value) and "NNNN" not in str(err.value)


def _longest_by_regex(data: bytes) -> int:
    """Oracle: the longest run of bytes without a quote or angle bracket."""
    return max((len(m) for m in re.findall(rb"""[^"'<>]+""", data)), default=0)


@settings(max_examples=cases(20))
@given(
    runs=st.lists(st.integers(0, 3 * MAX_XML_TOKEN_BYTES // 2), min_size=1, max_size=40),
    pad=st.integers(0, 2**20),
)
def test_token_check_matches_a_regex(tmp_path_factory, runs, pad):
    # runs of letters between quotes, shifted by ``pad`` so they straddle the 1 MB chunks
    data = b"<" + b"x" * pad + b"".join(b'"' + b"a" * n for n in runs) + b">"
    path = tmp_path_factory.mktemp("tok") / "t.osm"
    path.write_bytes(data)
    too_long = _longest_by_regex(data) >= MAX_XML_TOKEN_BYTES
    if too_long:
        with pytest.raises(InputFileError):
            check_token_lengths(path, path)
    else:
        check_token_lengths(path, path)


def test_an_alias_bomb_in_drones_overrides_is_one_line(tmp_path):
    # 10^12 values once expanded
    lines = ["a0: &a0 [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 12)]
    lines.append("drones: {overrides: {nofly: {military: {buffer_m: *a11}}}}")
    (tmp_path / "bomb.yml").write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(ConfigError, match="after expanding aliases"):
        load_config(tmp_path / "bomb.yml")
