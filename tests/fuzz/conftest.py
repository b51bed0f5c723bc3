"""Fuzz profiles: quick in CI, ``--fuzz-long`` (>= 5,000 cases in all) on demand."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

#: Cases per fuzz test: (quick CI profile, long profile).
PROFILES = {"quick": 1.0, "long": 25.0}


def pytest_addoption(parser):
    parser.addoption(
        "--fuzz-long", action="store_true", default=False, help="run the long fuzz profile"
    )


def pytest_configure(config):
    long = config.getoption("--fuzz-long", default=False)
    settings.register_profile(
        "planner-fuzz",
        deadline=None,
        derandomize=not long,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        database=None,
    )
    settings.load_profile("planner-fuzz")
    config.fuzz_scale = PROFILES["long" if long else "quick"]
    os.environ["PLANNER_FUZZ_SCALE"] = str(config.fuzz_scale)


@pytest.fixture
def fuzz_scale(request) -> float:
    """How many times the quick profile's cases to run."""
    return request.config.fuzz_scale


def cases(quick: int) -> int:
    """Return the number of hypothesis examples for a test with ``quick`` CI cases."""
    return int(quick * float(os.environ.get("PLANNER_FUZZ_SCALE", "1")))


def pytest_terminal_summary(terminalreporter):
    from tests.fuzz.hostile import OUTCOMES

    if OUTCOMES:
        total = sum(OUTCOMES.values())
        terminalreporter.write_line(
            f"fuzz cases: {total} ({OUTCOMES['ok']} ran, {OUTCOMES['refused']} refused in one line)"
        )
