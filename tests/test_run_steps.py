"""The run's step order: the plan runs in a thread beside the drone and radio steps."""

from __future__ import annotations

import threading

import pytest


def _fake_steps(run, calls: list, overrides: dict | None = None) -> dict:
    """Steps that only record their name, thread and a summary section."""

    def step(name):
        def go(ctx):
            calls.append((name, threading.current_thread().name))
            ctx.summary[run.SUMMARY_SECTION.get(name, name)] = {"ran": name}

        return go

    fake = {n: step(n) for n in run.STEPS}
    fake.update(overrides or {})
    return fake


def test_plan_runs_beside_drones_and_radio_and_the_summary_keeps_step_order(monkeypatch, tmp_path):
    """Oracle: the fake plan waits for an event only the fake radio step sets, so the run
    finishes only if the plan really runs while the radio step runs; the joint step, which
    needs the plan, starts only after it finished; the summary lists sections in step order."""
    import planner.run as run
    from planner.config import CityConfig

    calls: list = []
    radio_ran, plan_done = threading.Event(), threading.Event()
    base = _fake_steps(run, calls)

    def plan(ctx):
        assert radio_ran.wait(30), "the plan did not run beside the radio step"
        base["plan"](ctx)
        plan_done.set()

    def radio(ctx):
        radio_ran.set()
        base["radio"](ctx)

    def joint(ctx):
        assert plan_done.is_set(), "joint started before the plan finished"
        base["joint"](ctx)

    fake = {**base, "plan": plan, "radio": radio, "joint": joint}
    monkeypatch.setattr(run, "STEPS", fake)
    res = run.run_city(CityConfig(name="helsinki"), out_root=tmp_path, progress=False)
    assert all(s.status == "ok" for s in res.steps.values())
    threads = dict(calls)
    assert threads["plan"] != threads["drones"] == threads["joint"]
    keys = [k for k in res.summary if k in {"fiber", "fiber_plan", "drones", "radio"}]
    assert keys == ["fiber", "fiber_plan", "drones", "radio"]
    assert list(res.summary["steps"]) == run.ALL_STEPS
    assert list(res.summary["step_seconds"]) == run.ALL_STEPS


def test_a_failing_threaded_plan_is_recorded_and_joint_left_out(monkeypatch, tmp_path):
    """The plan failing on its input in its thread: recorded as failed with its line, no
    ``fiber_plan`` section, and the default run leaves the joint step out."""
    import planner.run as run
    from planner.config import CityConfig
    from planner.errors import AnalysisError

    def fails(ctx):
        raise AnalysisError("no premises to plan for")

    monkeypatch.setattr(run, "STEPS", _fake_steps(run, [], {"plan": fails}))
    res = run.run_city(CityConfig(name="helsinki"), out_root=tmp_path, progress=False)
    assert res.steps["plan"].status == "failed"
    assert res.steps["plan"].reason == "no premises to plan for"
    assert "fiber_plan" not in res.summary and "joint" not in res.steps
    assert res.steps["radio"].status == "ok" and res.steps["maps"].status == "ok"


def test_a_bug_in_the_threaded_plan_aborts_the_run(monkeypatch, tmp_path):
    """An internal error in the plan's thread is not swallowed: the run raises it."""
    import planner.run as run
    from planner.config import CityConfig

    def bug(ctx):
        raise ZeroDivisionError("bug")

    monkeypatch.setattr(run, "STEPS", _fake_steps(run, [], {"plan": bug}))
    with pytest.raises(ZeroDivisionError):
        run.run_city(CityConfig(name="helsinki"), out_root=tmp_path, progress=False)
    assert not (tmp_path / "helsinki").exists()


def test_a_subset_run_without_companions_runs_the_plan_in_order(monkeypatch, tmp_path):
    """``planner plan``: no drone or radio step to run beside, so no thread."""
    import planner.run as run
    from planner.config import CityConfig

    calls: list = []
    monkeypatch.setattr(run, "STEPS", _fake_steps(run, calls))
    res = run.run_city(
        CityConfig(name="helsinki"), out_root=tmp_path, progress=False, steps=["plan"]
    )
    assert [c[0] for c in calls] == ["fiber", "plan"]
    assert calls[0][1] == calls[1][1] == threading.current_thread().name
    assert res.summary["fiber_plan"] == {"ran": "plan"}


def test_frozen_heap_freezes_for_the_block_and_always_unfreezes():
    import gc

    from planner._gc import frozen_heap

    kept = [[i] for i in range(1000)]  # objects alive when the block starts
    assert gc.get_freeze_count() == 0
    with frozen_heap():
        assert gc.get_freeze_count() >= len(kept)
    assert gc.get_freeze_count() == 0
    try:
        with frozen_heap():
            raise ValueError("a failing step")
    except ValueError:
        pass
    assert gc.get_freeze_count() == 0
