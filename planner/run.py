"""One planning run for one city: load, analyse, and write outputs/<city>/ atomically."""

from __future__ import annotations

import contextvars
import json
import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from planner import __version__
from planner._files import (
    atomic_dir,
    check_output_folder,
    is_write_refusal,
    output_error,
    write_gpkg,
    write_json,
)
from planner._gc import frozen_heap
from planner._i18n import use_language
from planner._progress import steps as step_bar
from planner._progress import timed
from planner.city import City, load_city_from_config
from planner.config import CityConfig, PresetChoice, choose_preset
from planner.errors import AnalysisError, EmptyAreaError, InputFileError

if TYPE_CHECKING:
    from planner.drones import CorridorResult
    from planner.fiber import FiberCoverage
    from planner.joint import JointPlan
    from planner.plan import FiberPlan
    from planner.radio import RadioCoverage

__all__ = [
    "ALL_STEPS",
    "OPTIONAL_DEFAULT",
    "RECOVERABLE",
    "REQUIRES",
    "STEPS",
    "DEFAULT_STEPS",
    "SUMMARY_SECTION",
    "BESIDE",
    "AnalysisResults",
    "RunContext",
    "RunResult",
    "StepStatus",
    "base_summary",
    "choose_run_preset",
    "run_city",
    "sample_lonlat",
    "steps_to_run",
]

log = logging.getLogger(__name__)

#: Every step of a full run, in order. ``planner fiber`` etc. run a subset.
ALL_STEPS = ["layers", "fiber", "plan", "drones", "radio", "joint", "maps", "report"]

#: Steps of ``planner run``: every step. The joint site plan runs when its inputs (fiber,
#: plan, drones, radio) succeeded and is skipped, with the reason, otherwise (docs/joint.md).
DEFAULT_STEPS = list(ALL_STEPS)

#: Steps of the default run that run only when their inputs succeeded; otherwise they are
#: left out (logged, not a partial result). Asked for explicitly, a missing input skips them.
OPTIONAL_DEFAULT = frozenset({"joint"})

#: Steps whose results a step consumes; they run first when a subset is asked for.
REQUIRES: dict[str, list[str]] = {
    "plan": ["fiber"],
    "joint": ["fiber", "plan", "drones", "radio"],
}

#: Steps that run in a thread while the steps named with them run, and are waited for before
#: any other step. The plan's integer programs (HiGHS) release the GIL, so beside the drone
#: and radio steps (whose serial parts leave a core idle) the plan costs little wall time.
#: Each step keeps its own inputs and outputs, so the results are those of a run in order.
BESIDE: dict[str, frozenset[str]] = {"plan": frozenset({"drones", "radio"})}

#: Errors that make one step fail while the others still run (the input cannot support that
#: analysis). Any other exception is a bug and still aborts the whole run.
RECOVERABLE = (AnalysisError, EmptyAreaError, InputFileError)

#: The ``summary.json`` section each analysis step writes (default: the step's name).
SUMMARY_SECTION = {"plan": "fiber_plan"}


@dataclass(frozen=True)
class StepStatus:
    """How one step of a run ended: ``ok``, ``failed`` (with why) or ``skipped`` (with why)."""

    status: str
    reason: str | None = None

    def as_dict(self) -> dict:
        """Return the ``summary.json`` ``steps`` entry of this step."""
        return {"status": self.status, "reason": self.reason}


@dataclass
class AnalysisResults:
    """The typed results of the analyses run so far (None: not run)."""

    fiber: FiberCoverage | None = None
    plan: FiberPlan | None = None
    drones: CorridorResult | None = None
    radio: RadioCoverage | None = None
    joint: JointPlan | None = None


@dataclass
class RunContext:
    """What the steps of one run share: config, city, the temp folder and results so far."""

    config: CityConfig
    city: City
    out: Path
    summary: dict
    results: AnalysisResults = field(default_factory=AnalysisResults)
    progress: bool = True


@dataclass
class RunResult:
    """What a run wrote and measured."""

    out_dir: Path
    files: list[Path] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    city: City | None = None
    results: AnalysisResults = field(default_factory=AnalysisResults)
    steps: dict[str, StepStatus] = field(default_factory=dict)

    @property
    def incomplete(self) -> dict[str, StepStatus]:
        """Return the steps that failed or were skipped, by name."""
        return {n: s for n, s in self.steps.items() if s.status != "ok"}


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
    ctx.results.fiber = coverage
    ctx.summary["fiber"] = coverage.kpis


def step_plan(ctx: RunContext) -> None:
    """Plan the fiber build from the coverage result; write ``fiber_plan.gpkg``, ``bom.csv``."""
    from planner.plan import plan_fiber, write_plan_outputs

    if ctx.results.fiber is None:
        raise RuntimeError("the plan step needs the fiber step's result (see REQUIRES)")
    plan = plan_fiber(ctx.city, ctx.results.fiber, ctx.config.plan)
    write_plan_outputs(plan, ctx.out)
    ctx.results.plan = plan
    ctx.summary["fiber_plan"] = plan.summary


#: Largest number of building centroids the country detection samples.
LOCATION_SAMPLES = 200


def sample_lonlat(city: City, n: int = LOCATION_SAMPLES) -> np.ndarray:
    """Return up to ``n`` WGS84 points (lon, lat) spread over the city's data.

    Evenly spaced building centroids (deterministic), else the centroid of the extent.
    """
    import geopandas as gpd

    if len(city.buildings):
        pts = city.buildings.geometry.centroid
        pts = pts.iloc[np.unique(np.linspace(0, len(pts) - 1, min(n, len(pts))).astype(int))]
    elif city.boundary is not None and not city.boundary.is_empty:
        pts = gpd.GeoSeries([city.boundary.centroid], crs=city.crs)
    else:
        return np.empty((0, 2))
    wgs = pts.to_crs(4326)
    return np.column_stack([wgs.x.to_numpy(), wgs.y.to_numpy()])


def choose_run_preset(config: CityConfig, city: City) -> PresetChoice:
    """Return the airspace preset of the run: the config's, or the data's country's (``auto``)."""
    choice = choose_preset(config.drones.preset, sample_lonlat(city))
    log.info("airspace preset %s (%s: %s)", choice.preset, choice.how, choice.reason)
    return choice


def step_drones(ctx: RunContext) -> None:
    """Plan drone corridors (preset by place); write ``airspace.gpkg`` and ``ground_risk.tif``."""
    from planner.drones import plan_corridors, write_outputs

    choice = choose_run_preset(ctx.config, ctx.city)
    cfg = ctx.config.drones.model_copy(update={"preset": choice.preset})
    try:
        result = plan_corridors(ctx.city, cfg, progress=ctx.progress)
    except AnalysisError as exc:
        # e.g. the cn rules' 3 km around every helipad close a whole city centre: the
        # other analyses still report, and the drones section says why nothing could fly
        log.warning("drones: no corridors under preset %s: %s", choice.preset, exc)
        ctx.summary["drones"] = {
            "preset": choice.preset,
            "preset_choice": choice.as_dict(),
            "corridors": [],
            "infeasible": [str(exc)],
        }
        raise
    write_outputs(result, ctx.out)
    ctx.results.drones = result
    ctx.summary["drones"] = {**result.summary, "preset_choice": choice.as_dict()}


def step_radio(ctx: RunContext) -> None:
    """Model mobile coverage on the ground and along the corridors at flight altitude.

    Writes ``radio_coverage.tif`` and ``radio.gpkg``; the corridors and the flight band
    come from the drone step (no corridors when it found none: ground and heights only).
    """
    from planner.radio import analyze_radio, write_radio_outputs

    drones = ctx.results.drones
    corridors = drones.corridors if drones is not None else None
    band = ctx.config.drones.band
    result = analyze_radio(
        ctx.city, ctx.config.radio, corridors=corridors, band=(band.min_m, band.max_m)
    )
    write_radio_outputs(result, ctx.out)
    ctx.results.radio = result
    ctx.summary["radio"] = result.summary


def step_joint(ctx: RunContext) -> None:
    """Plan 5G sites, backhaul and one roll-out; write ``sites.gpkg`` and ``joint_phases.csv``."""
    from planner.joint import plan_joint, write_joint_outputs

    r = ctx.results
    if r.fiber is None or r.plan is None or r.drones is None:
        raise RuntimeError("the joint step needs the fiber, plan and drones results")
    joint = plan_joint(
        ctx.city,
        r.fiber,
        r.plan,
        r.drones,
        radio=r.radio,
        config=ctx.config.joint,
        drones=ctx.config.drones,
        radio_config=ctx.config.radio,
        work_dir=ctx.out,
    )
    write_joint_outputs(joint, ctx.out)
    r.joint = joint
    ctx.summary["joint_plan"] = joint.summary


def step_maps(ctx: RunContext) -> None:
    """Write the maps (HTML), the GeoPackages' QGIS styles, ``planner.qgz`` and ``plan.xlsx``."""
    from planner.render import write_maps
    from planner.render.basemaps import tianditu_key, use_basemaps
    from planner.render.excel import write_workbook
    from planner.render.qgis import write_layer_styles, write_qgis_project

    r = ctx.results
    maps = ctx.config.maps
    with use_basemaps(maps.basemaps, tianditu_key(maps.tianditu_key)):
        write_maps(
            ctx.out,
            ctx.city,
            fiber=r.fiber,
            plan=r.plan,
            drones=r.drones,
            radio=r.radio,
            joint=r.joint,
            progress=ctx.progress,
        )
    write_layer_styles(ctx.out)
    write_qgis_project(ctx.out, ctx.city.name, ctx.city.crs)
    write_workbook(ctx.out, ctx.summary, fiber=r.fiber, plan=r.plan, drones=r.drones)


def step_report(ctx: RunContext) -> None:
    """Write ``report.html`` and ``report.md`` (after the maps, whose sizes it lists)."""
    from planner.render import write_report

    r = ctx.results
    write_report(
        ctx.out,
        ctx.summary,
        fiber=r.fiber,
        plan=r.plan,
        drones=r.drones,
        radio=r.radio,
        joint=r.joint,
    )


STEPS: dict[str, Callable[[RunContext], None]] = {
    "layers": step_layers,
    "fiber": step_fiber,
    "plan": step_plan,
    "drones": step_drones,
    "radio": step_radio,
    "joint": step_joint,
    "maps": step_maps,
    "report": step_report,
}


def steps_to_run(steps: list[str] | None) -> list[str]:
    """Return the steps to run in order: the ones asked for plus the ones they require."""
    wanted = set(steps or DEFAULT_STEPS)
    for name in list(wanted):
        wanted.update(REQUIRES.get(name, []))
    return [s for s in ALL_STEPS if s in wanted]


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
        Subset of :data:`ALL_STEPS` (plus the steps they require, :data:`REQUIRES`); other
        outputs already in the folder are kept and the summary's other sections preserved.

    Returns
    -------
    RunResult

    Notes
    -----
    The folder is replaced atomically: a failed or killed run leaves the previous outputs.
    """
    out_dir = Path(out_root) / config.name
    check_output_folder(out_dir)  # before the long load: a bad --out fails at once
    try:
        return _run(config, out_dir, use_cache, progress, steps)
    except OSError as exc:
        if is_write_refusal(exc):
            raise output_error(out_dir, exc) from None
        raise


def _run(
    config: CityConfig, out_dir: Path, use_cache: bool, progress: bool, steps: list[str] | None
) -> RunResult:
    """Run the steps into a temporary folder swapped into ``out_dir`` (see :func:`run_city`)."""
    t0 = time.perf_counter()
    keep = steps is not None
    with (
        use_language(config.language),
        atomic_dir(out_dir, keep_existing=keep) as tmp,
        _run_log(tmp),
    ):
        city = load_city_from_config(config, use_cache=use_cache, progress=progress)
        summary = _previous_summary(tmp) if keep else {}
        summary.update(base_summary(city))
        ctx = RunContext(config, city, tmp, summary, progress=progress)
        optional = OPTIONAL_DEFAULT if steps is None else frozenset()
        with frozen_heap():  # the loaded city stays out of the GC's scans
            statuses = _run_steps(ctx, steps_to_run(steps), optional)
        summary["seconds"] = round(time.perf_counter() - t0, 2)
        write_json(summary, tmp / "summary.json")
        log.info("run of %s finished in %.1f s", config.name, summary["seconds"])
        names = sorted(p.name for p in tmp.iterdir() if not p.name.startswith("."))
    files = [out_dir / n for n in names]
    return RunResult(out_dir, files, summary, city, ctx.results, statuses)


def _run_steps(
    ctx: RunContext, names: list[str], optional: frozenset[str] = frozenset()
) -> dict[str, StepStatus]:
    """Run ``names`` in order; a step failing on its input is recorded, not fatal.

    A step whose required step (:data:`REQUIRES`) did not succeed is skipped, or left out
    when it is in ``optional`` (:data:`OPTIONAL_DEFAULT` in the default run). A step of
    :data:`BESIDE` runs in a thread while its companion steps run. Each status goes to
    ``summary["steps"]`` as soon as it is known, so the report lists them.
    """
    book = _StepBook(ctx)
    with (
        step_bar(names, ctx.progress, ctx.config.name) as book.bar,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="planner-step") as pool,
    ):
        for name in names:
            book.wait_unless(name)
            missing = [r for r in REQUIRES.get(name, []) if book.status(r) != "ok"]
            if missing and name in optional:
                log.info("step %s not run: needs the %s step", name, missing[0])
                book.bar.advance()
            elif missing:
                book.start(name)
                book.finish(
                    name,
                    StepStatus("skipped", f"needs the {missing[0]} step, which did not run"),
                    True,
                )
            elif name in BESIDE and BESIDE[name] & set(names[names.index(name) + 1 :]):
                book.start(name, threaded=True)
                run = contextvars.copy_context().run  # the language and basemap settings
                book.pending[name] = pool.submit(run, _run_step, ctx, name, book.timings)
            else:
                book.start(name)
                book.finish(name, _run_step(ctx, name, book.timings))
        book.wait_unless(None)
    return book.statuses


class _StepBook:
    """The statuses, summary entries and threads of the steps of one run."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.timings = ctx.summary.setdefault("step_seconds", {})
        self.record = ctx.summary.setdefault("steps", {})
        self.statuses: dict[str, StepStatus] = {}
        self.pending: dict[str, Future] = {}
        self.before: dict[str, object] = {}
        self.bar = None

    def status(self, name: str) -> str:
        """Return a finished step's status (``ok`` when it was not asked for)."""
        return self.statuses.get(name, _OK).status

    def start(self, name: str, threaded: bool = False) -> None:
        """Note the step's summary section before it runs.

        A threaded step's entries are placed now, so the summary lists the steps in order
        whenever they finish.
        """
        section = SUMMARY_SECTION.get(name, name)
        self.before[name] = self.ctx.summary.get(section)
        self.bar.show(" + ".join([*self.pending, name]))
        if threaded:
            self.ctx.summary.setdefault(section, None)
            self.timings.setdefault(name, None)
            self.record.setdefault(name, None)

    def finish(self, name: str, status: StepStatus, skipped: bool = False) -> None:
        """Record a step's status; drop its section when it failed or left none."""
        section = SUMMARY_SECTION.get(name, name)
        self.statuses[name] = status
        self.record[name] = status.as_dict()
        if self.timings.get(name) is None:
            self.timings.pop(name, None)
        unchanged = self.ctx.summary.get(section) is self.before[name]
        if self.ctx.summary.get(section) is None or (
            status.status != "ok" and (skipped or unchanged)
        ):
            self.ctx.summary.pop(section, None)  # no stale section (a failed step may say why)
        if status.status != "ok":
            log.warning("step %s %s: %s", name, status.status, status.reason)
        self.bar.advance()

    def wait_unless(self, name: str | None) -> None:
        """Wait for the threaded steps that may not run beside ``name`` (None: all)."""
        for other in list(self.pending):
            if name is None or name not in BESIDE[other]:
                self.bar.show(other)
                self.finish(other, self.pending.pop(other).result())


_OK = StepStatus("ok")


def _run_step(ctx: RunContext, name: str, timings: dict) -> StepStatus:
    """Run one step; return ``failed`` with the error's line if the input cannot support it."""
    log.info("step %s ...", name)
    try:
        with timed(timings, name):
            STEPS[name](ctx)
    except RECOVERABLE as exc:
        return StepStatus("failed", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    return _OK


#: Loggers of third-party libraries (and Python warnings) whose records go to ``run.log``
#: only, each message once, so they never interleave with the progress output.
QUIET_LOGGERS = ("py.warnings", "rasterio", "pyogrio", "fiona", "matplotlib", "pyproj")


class _OncePerMessage(logging.Filter):
    """Let each distinct third-party message through once (planner's own: every one)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[tuple[str, str]] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("planner"):
            return True
        key = (record.name, record.getMessage())
        if key in self.seen:
            return False
        self.seen.add(key)
        return True


@contextmanager
def _run_log(folder: Path) -> Iterator[None]:
    """Copy planner's log records into ``<folder>/run.log`` while the body runs.

    Python warnings and the :data:`QUIET_LOGGERS` go there too, once each, and not to the
    terminal.
    """
    handler = logging.FileHandler(folder / "run.log", mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_OncePerMessage())
    root = logging.getLogger("planner")
    root.addHandler(handler)
    others = [logging.getLogger(name) for name in QUIET_LOGGERS]
    saved = [(lg.propagate, lg.level) for lg in others]
    for lg in others:
        lg.addHandler(handler)
        lg.propagate = False
        lg.setLevel(logging.WARNING)
    logging.captureWarnings(True)
    try:
        yield
    finally:
        logging.captureWarnings(False)
        for lg, (propagate, level) in zip(others, saved, strict=True):
            lg.removeHandler(handler)
            lg.propagate, lg.level = propagate, level
        root.removeHandler(handler)
        handler.close()


def _previous_summary(folder: Path) -> dict:
    path = folder / "summary.json"
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
