"""Memory guard: budget from the environment, refusal naming the setting, coarsening."""

from __future__ import annotations

import logging
import os
from types import SimpleNamespace

import pytest
import shapely

from planner import _memory
from planner.drones.grid import city_grid, drone_step_bytes
from planner.errors import ConfigError


def test_budget_from_env(monkeypatch):
    monkeypatch.setenv(_memory.BUDGET_ENV, "2.5")
    assert _memory.memory_budget() == pytest.approx(2.5e9)


def test_budget_default_keeps_a_margin(monkeypatch):
    monkeypatch.delenv(_memory.BUDGET_ENV, raising=False)
    avail = _memory.available_bytes()
    budget = _memory.memory_budget()
    assert avail is not None and budget is not None
    assert 0 <= budget <= avail - _memory.MARGIN_BYTES or budget == 0


@pytest.mark.parametrize("bad", ["zero", "0", "-1"])
def test_bad_env_is_one_line(monkeypatch, bad):
    monkeypatch.setenv(_memory.BUDGET_ENV, bad)
    with pytest.raises(ConfigError, match=_memory.BUDGET_ENV):
        _memory.memory_budget()


def test_check_memory_refuses_naming_the_setting(monkeypatch):
    monkeypatch.setenv(_memory.BUDGET_ENV, "1")
    _memory.check_memory(0.5e9, "thing", "x.y")  # fits
    with pytest.raises(ConfigError) as exc:
        _memory.check_memory(4e9, "drone lattice", "drones.resolution_m")
    msg = str(exc.value)
    assert "\n" not in msg and msg.startswith("drones.resolution_m")
    assert "4.0 GB" in msg and _memory.BUDGET_ENV in msg


def test_coarsen_factor_warns(monkeypatch, caplog):
    monkeypatch.setenv(_memory.BUDGET_ENV, "1")
    assert _memory.coarsen_factor(0.5e9, "raster") == 1.0
    with caplog.at_level(logging.WARNING):
        f = _memory.coarsen_factor(4e9, "population raster")
    assert f == pytest.approx(2.0)
    assert "population raster" in caplog.text and "coarsening" in caplog.text


def test_drone_grid_refuses_over_budget(monkeypatch):
    city = SimpleNamespace(boundary=shapely.box(0, 0, 40_000, 30_000))
    monkeypatch.setenv(_memory.BUDGET_ENV, "0.1")
    with pytest.raises(ConfigError, match=r"^drones\.resolution_m: .*3,000 x 4,000 cells"):
        city_grid(city, 10.0)
    _, shape = city_grid(city, 100.0)  # 12,000 cells fit
    assert shape == (300, 400)
    assert drone_step_bytes((10, 10), "exact") > drone_step_bytes((10, 10), "astar")


def test_astar_estimate_counts_its_search_threads(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    one = drone_step_bytes((100, 100), "astar")
    monkeypatch.setattr(os, "sched_getaffinity", lambda _: set(range(8)), raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "8")
    assert drone_step_bytes((100, 100), "astar") - one == pytest.approx(100 * 100 * 16 * 7)
