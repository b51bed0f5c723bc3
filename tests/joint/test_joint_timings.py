"""The joint plan's step timings add up when a step runs twice (greedy, then MILP picks)."""

from __future__ import annotations

import time

import pytest

from planner.joint.core import _timed


def test_a_step_run_twice_reports_both_runs():
    wall, cpu = {}, {}
    for _ in range(2):
        with _timed(wall, cpu, "reroute"):
            time.sleep(0.05)
            t = time.process_time()
            while time.process_time() - t < 0.02:
                pass
    assert wall["reroute"] >= 0.1  # two sleeps of 0.05 s, not the last one only
    assert cpu["reroute"] >= 0.04  # two busy loops of 0.02 s CPU


def test_a_failing_step_is_still_timed():
    wall, cpu = {}, {}
    with pytest.raises(RuntimeError), _timed(wall, cpu, "backhaul"):
        time.sleep(0.02)
        raise RuntimeError("boom")
    assert wall["backhaul"] >= 0.02 and "backhaul" in cpu
