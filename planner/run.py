"""One planning run for one city: load, analyse, and write outputs/<city>/ atomically."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from planner import __version__
from planner._files import atomic_dir, write_gpkg, write_json
from planner.city import City, load_city_from_config
from planner.config import CityConfig

log = logging.getLogger(__name__)

#: Every step of a full run, in order. ``planner fiber`` etc. run a subset.
ALL_STEPS = ["layers", "fiber", "plan", "drones", "maps", "report"]


@dataclass
class RunContext:
    """What the steps of one run share: config, city, the temp folder and results so far."""

    config: CityConfig
    city: City
    out: Path
    summary: dict
    results: dict = field(default_factory=dict)
    progress: bool = True


@dataclass
class RunResult:
    """What a run wrote and measured."""

    out_dir: Path
    files: list[Path] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    city: City | None = None
    results: dict = field(default_factory=dict)


def base_summary(city: City) -> dict:
    """Return the ``summary.json`` core: city, source, crs, layer counts and assumptions."""
    return {
        "city": city.name,
        "source": city.source,
        "crs": city.crs.to_string(),
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "planner_version": __version__,
        "attribution": "© OpenStreetMap contributors (ODbL)",
        "layers": city.counts(),
        "load_seconds": round(city.load_seconds, 2),
        "from_cache": city.from_cache,
        "assumptions": city.assumptions,
    }


def step_layers(ctx: RunContext) -> None:
    """Write the city's data layers to ``layers.gpkg``."""
    write_gpkg(ctx.city.layers(), ctx.out / "layers.gpkg")


def step_fiber(ctx: RunContext) -> None:
    """Run the fiber coverage-gap analysis; write ``fiber.gpkg`` and the coverage GeoTIFF."""
    from planner.fiber import analyze_fiber, write_fiber_outputs

    coverage = analyze_fiber(ctx.city, ctx.config.fiber)
    write_fiber_outputs(coverage, ctx.out)
    ctx.results["fiber"] = coverage
    ctx.summary["fiber"] = coverage.kpis


def step_plan(ctx: RunContext) -> None:
    """Plan the fiber build (routes, splitters, cabinets, cost, phases); ``fiber_plan.gpkg``."""
    from planner.fiber import analyze_fiber
    from planner.plan import plan_fiber, write_plan_outputs

    coverage = ctx.results.get("fiber") or analyze_fiber(ctx.city, ctx.config.fiber)
    plan = plan_fiber(ctx.city, coverage, ctx.config.plan)
    write_plan_outputs(plan, ctx.out)
    ctx.results["plan"] = plan
    ctx.summary["fiber_plan"] = plan.summary


def step_drones(ctx: RunContext) -> None:
    """Plan drone corridors; write ``airspace.gpkg`` and ``ground_risk.tif``."""
    from planner.drones.corridors import plan_corridors, write_outputs

    result = plan_corridors(ctx.city, ctx.config.drones)
    write_outputs(result, ctx.out)
    ctx.results["drones"] = result
    ctx.summary["drones"] = result.summary


def step_maps(ctx: RunContext) -> None:
    """Write the combined map and the focused maps (self-contained HTML)."""
    from planner.render.maps import write_maps

    r = ctx.results
    write_maps(ctx.out, ctx.city, fiber=r.get("fiber"), plan=r.get("plan"), drones=r.get("drones"))


def step_report(ctx: RunContext) -> None:
    """Write ``report.html`` and ``report.md`` (after the maps, whose sizes it lists)."""
    from planner.render.report import write_report

    r = ctx.results
    write_report(
        ctx.out, ctx.summary, fiber=r.get("fiber"), plan=r.get("plan"), drones=r.get("drones")
    )


STEPS: dict[str, Callable[[RunContext], None]] = {
    "layers": step_layers,
    "fiber": step_fiber,
    "plan": step_plan,
    "drones": step_drones,
    "maps": step_maps,
    "report": step_report,
}


def run_city(
    config: CityConfig,
    out_root: str | Path = "outputs",
    use_cache: bool = True,
    progress: bool = True,
    steps: list[str] | None = None,
) -> RunResult:
    """Run the job (or some of its steps) for one city and write ``<out_root>/<city>/``.

    Parameters
    ----------
    config : CityConfig
        The validated city configuration.
    out_root : str or Path
        Parent folder; results go to ``<out_root>/<config.name>/``.
    use_cache : bool
        Reuse the cached city data layer when the source and settings are unchanged.
    progress : bool
        Show progress bars.
    steps : list of str, optional
        Subset of :data:`ALL_STEPS`; other outputs already in the folder are kept and the
        summary's other sections preserved.

    Returns
    -------
    RunResult

    Notes
    -----
    The folder is replaced atomically: a failed or killed run leaves the previous outputs.
    """
    wanted = [s for s in ALL_STEPS if s in (steps or ALL_STEPS) and s in STEPS]
    out_dir = Path(out_root) / config.name
    t0 = time.perf_counter()
    keep = steps is not None
    with atomic_dir(out_dir, keep_existing=keep) as tmp:
        handler = logging.FileHandler(tmp / "run.log", mode="w", encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root = logging.getLogger("planner")
        root.addHandler(handler)
        try:
            city = load_city_from_config(config, use_cache=use_cache, progress=progress)
            summary = _previous_summary(tmp) if keep else {}
            summary.update(base_summary(city))
            ctx = RunContext(config, city, tmp, summary, progress=progress)
            timings = summary.setdefault("step_seconds", {})
            for name in wanted:
                t = time.perf_counter()
                log.info("step %s ...", name)
                STEPS[name](ctx)
                timings[name] = round(time.perf_counter() - t, 2)
            summary["seconds"] = round(time.perf_counter() - t0, 2)
            write_json(summary, tmp / "summary.json")
            log.info("run of %s finished in %.1f s", config.name, summary["seconds"])
        finally:
            root.removeHandler(handler)
            handler.close()
        names = sorted(p.name for p in tmp.iterdir())
    files = [out_dir / n for n in names]
    return RunResult(out_dir, files, summary, city, ctx.results)


def _previous_summary(folder: Path) -> dict:
    path = folder / "summary.json"
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
