"""Fuzz the config reader: hostile YAML text and values give a config or one ConfigError line."""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.config import load_config
from tests.fuzz.conftest import cases
from tests.fuzz.hostile import check_outcome, hostile_text

_FIELDS = [
    ("buildings", "people_per_household"),
    ("buildings", "floor_area_per_household_m2"),
    ("buildings", "min_premise_footprint_m2"),
    ("buildings", "metres_per_level"),
    ("fiber", "raster_resolution_m"),
    ("fiber", "drop_limit_m"),
    ("plan", "crossing"),
    ("plan", "default_trench_per_m"),
    ("plan", "budget"),
    ("drones", "resolution_m"),
    ("drones", "budget_weights"),
    ("drones", "landuse_factors"),
    ("drones", "hubs"),
    ("drones", "overrides"),
    ("radio", "resolution_m"),
    ("radio", "heights_m"),
]

_NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**25), 10**25),
    st.sampled_from([0, -1, 1e-300, 1e308, ".inf", ".nan", "-.inf"]),
)
_VALUES = st.recursive(
    st.one_of(_NUMBERS, hostile_text, st.booleans(), st.none()),
    lambda kids: st.one_of(
        st.lists(kids, max_size=4), st.dictionaries(hostile_text, kids, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=cases(120))
@given(
    section_field=st.sampled_from(_FIELDS), value=_VALUES, name=st.one_of(st.none(), hostile_text)
)
def test_hostile_config_values(tmp_path_factory, section_field, value, name):
    section, field = section_field
    data = {section: {field: value}}
    if name is not None:
        data["name"] = name
    path = tmp_path_factory.mktemp("cfg") / "c.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    check_outcome(lambda: load_config(path))


@settings(max_examples=cases(60))
@given(raw=st.binary(max_size=2000))
def test_garbage_config_bytes(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("cfg") / "g.yml"
    path.write_bytes(raw)
    check_outcome(lambda: load_config(path))


@settings(max_examples=cases(8))
@given(depth=st.integers(1, 6000), aliases=st.integers(1, 12))
def test_deep_and_aliased_yaml(tmp_path_factory, depth, aliases):
    folder = tmp_path_factory.mktemp("cfg")
    (folder / "deep.yml").write_text("drones: {overrides: " + "[" * depth + "]" * depth + "}")
    check_outcome(lambda: load_config(folder / "deep.yml"))
    lines = ["a0: &a0 [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, aliases)]
    lines.append(f"drones: {{overrides: {{nofly: *a{aliases - 1}}}}}")
    (folder / "bomb.yml").write_text("\n".join(lines))
    check_outcome(lambda: load_config(folder / "bomb.yml"))
