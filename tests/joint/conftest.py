"""Fixtures of the joint-plan tests: the Helsinki sample planned once (fibre, corridors, sites)."""

from __future__ import annotations

import pytest

from planner.config.drones import DroneConfig
from planner.config.radio import RadioConfig

#: A radio set-up that needs several new sites on the small sample: no existing sites and a
#: short aerial range, so that coverage is not met by one rooftop.
SHORT_RANGE = {"use_osm_sites": False, "max_range_air_m": 350.0}


@pytest.fixture(scope="session")
def planned_city(helsinki):
    """``(city, coverage, plan, drone config, corridors)`` of the Helsinki sample."""
    from planner.drones import plan_corridors
    from planner.fiber import analyze_fiber
    from planner.plan import plan_fiber

    cov = analyze_fiber(helsinki)
    plan = plan_fiber(helsinki, cov)
    dc = DroneConfig()
    return helsinki, cov, plan, dc, plan_corridors(helsinki, dc)


@pytest.fixture(scope="session")
def joint(planned_city, tmp_path_factory):
    """The joint plan on the Helsinki sample with the short-range radio set-up."""
    from planner.joint import plan_joint

    city, cov, plan, dc, corr = planned_city
    work = tmp_path_factory.mktemp("joint-work")
    rc = RadioConfig(**SHORT_RANGE)
    return plan_joint(city, cov, plan, corr, drones=dc, radio_config=rc, work_dir=work)
