"""Run a batch of cities on a Dask cluster: one task per city, retries, resume, scorecard."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely
from tqdm.auto import tqdm

from planner.batch._compat import ALL_STEPS, PlannerError, write_json
from planner.batch.boundaries import Boundary, extract_bbox
from planner.batch.cluster import (
    MEMORY_RESOURCE,
    connect,
    dashboard_link,
    task_memory,
    warm_workers,
    worker_memory,
)
from planner.batch.hashing import job_hash
from planner.batch.jobs import BatchPlan, plan_batch
from planner.batch.region_map import write_region_map
from planner.batch.region_report import write_region_report
from planner.batch.scorecard import scorecard_frame, write_scorecard
from planner.batch.spec import CityJob
from planner.batch.tasks import run_city_task

__all__ = ["BatchResult", "CityOutcome", "execute", "run_batch", "write_region"]

STATE_DIR = Path("_batch") / "state"
LOG_DIR = Path("_batch") / "logs"


@dataclass
class CityOutcome:
    """What happened to one city of a batch.

    ``status`` is ``ran``, ``unchanged`` (inputs and config as in the last successful run:
    skipped) or ``failed`` (``error`` says why, after the retries). ``started`` (Unix
    time) and ``seconds`` are the task's start and wall time on its worker,
    ``cpu_seconds`` the worker process's CPU time during the task and
    ``task_cpu_seconds`` that of the task's own thread.
    """

    city: str
    status: str
    error: str | None = None
    summary: dict | None = None
    started: float | None = None
    seconds: float | None = None
    cpu_seconds: float | None = None
    task_cpu_seconds: float | None = None
    worker: str | None = None
    pid: int | None = None
    peak_rss: int | None = None
    attempts: int = 0
    hash: str = ""


@dataclass
class BatchResult:
    """What a batch planned and wrote."""

    out_root: Path
    cities: list[CityOutcome]
    skipped: list[Boundary] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    scorecard: gpd.GeoDataFrame | None = None
    dashboard: str | None = None
    workers: int = 0
    seconds: float = 0.0

    def by_status(self, status: str) -> list[str]:
        """Return the names of the cities with ``status`` (ran, unchanged, failed)."""
        return [c.city for c in self.cities if c.status == status]


def _state_path(out_root: Path, city: str, suffix: str = ".json") -> Path:
    return out_root / STATE_DIR / f"{city}{suffix}"


def _unchanged(out_root: Path, job: CityJob, digest: str) -> CityOutcome | None:
    """Return the previous outcome when the city's hash matches its last successful run."""
    state, summary = _state_path(out_root, job.name), out_root / job.name / "summary.json"
    try:
        prev = json.loads(state.read_text(encoding="utf-8"))
        if prev.get("hash") != digest or prev.get("status") not in ("ran", "unchanged"):
            return None
        data = json.loads(summary.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return CityOutcome(job.name, "unchanged", summary=data, hash=digest)


def _payload(job: CityJob, out_root: Path, steps, use_cache: bool) -> dict[str, Any]:
    attempts = _state_path(out_root, job.name, ".attempts")
    attempts.parent.mkdir(parents=True, exist_ok=True)
    attempts.write_text("", encoding="utf-8")
    return {
        "config": job.config.model_dump(mode="json"),
        "out_root": str(out_root.resolve()),
        "steps": steps,
        "use_cache": use_cache,
        "log": str((out_root / LOG_DIR / f"{job.name}.log").resolve()),
        "attempts": str(attempts.resolve()),
    }


def _source_bytes(job: CityJob) -> int:
    src = job.config.source.pbf or job.config.source.osm
    return Path(src).stat().st_size if src is not None and Path(src).is_file() else 0


def _outcome(job: CityJob, fut: Any, digest: str, out_root: Path) -> CityOutcome:
    attempts_file = _state_path(out_root, job.name, ".attempts")
    try:
        attempts = len(attempts_file.read_text(encoding="utf-8").splitlines())
    except OSError:
        attempts = 0
    if fut.status == "finished":
        r = fut.result()
        keep = ("summary", "started", "seconds", "cpu_seconds", "task_cpu_seconds")
        keep += ("worker", "pid", "peak_rss", "error")
        return CityOutcome(
            job.name, r["status"], attempts=attempts, hash=digest, **{k: r.get(k) for k in keep}
        )
    if fut.status == "cancelled":
        return CityOutcome(job.name, "failed", error="cancelled", attempts=attempts, hash=digest)
    exc = fut.exception()
    name = type(exc).__name__
    if name == "KilledWorker":
        msg = f"its worker died {attempts} times (out of memory?)"
    else:
        msg = f"{name}: {(str(exc).splitlines() or [''])[0][:300]}"
    return CityOutcome(job.name, "failed", error=msg, attempts=attempts, hash=digest)


def _save_state(out_root: Path, o: CityOutcome) -> None:
    state = {k: v for k, v in o.__dict__.items() if k != "summary"}
    write_json(state, _state_path(out_root, o.city))


def _split_unchanged(
    jobs: list[CityJob], out_root: Path, steps: list[str] | None, force: bool
) -> tuple[list[tuple[CityJob, str]], dict[str, CityOutcome]]:
    """Return the (job, hash) pairs to run, largest extract first, and the unchanged cities."""
    todo, unchanged = [], {}
    for job in sorted(jobs, key=lambda j: (-_source_bytes(j), j.name)):
        digest = job_hash(job.config, steps)
        prev = None if force else _unchanged(out_root, job, digest)
        if prev is None:
            todo.append((job, digest))
        else:
            unchanged[job.name] = prev
    return todo, unchanged


def _slots(client: Any) -> int:
    """Return how many tasks the cluster runs at once: its workers' threads (at least 1)."""
    workers = client.scheduler_info(n_workers=-1).get("workers", {})
    return max(1, sum(int(w.get("nthreads") or 1) for w in workers.values()))


def _submit(client: Any, job: CityJob, payload: dict, retries: int, priority: int) -> Any:
    mem = task_memory(_source_bytes(job), worker_memory(client))
    return client.submit(
        run_city_task,
        payload,
        key=f"planner-city-{job.name}-{uuid.uuid4().hex[:8]}",
        retries=retries,
        pure=False,
        priority=priority,
        resources={MEMORY_RESOURCE: mem} if mem else None,
    )


def execute(
    client: Any,
    jobs: list[CityJob],
    out_root: str | Path,
    steps: list[str] | None = None,
    use_cache: bool = True,
    retries: int = 1,
    force: bool = False,
    progress: bool = True,
) -> list[CityOutcome]:
    """Run every changed city as one Dask task on ``client``; return outcomes by name.

    Parameters
    ----------
    client : distributed.Client
        The cluster's client.
    jobs : list of CityJob
        The cities.
    out_root : str or Path
        Shared output folder (every worker must see it at the same path).
    steps : list of str, optional
        Run steps (None: all).
    use_cache : bool
        Let workers reuse their cached city layers.
    retries : int
        Extra attempts of a task that raised; a task whose worker died is re-run by the
        scheduler on another worker (up to ``distributed.scheduler.allowed-failures``).
    force : bool
        Re-run cities whose inputs and config are unchanged.
    progress : bool
        Show one progress bar over the cities.

    Returns
    -------
    list of CityOutcome
        Sorted by city name, whatever the completion order.

    Notes
    -----
    Cities go to the cluster largest extract first, and only as many at a time as the
    cluster has worker threads: the next city is submitted when one finishes, so it
    starts on whichever worker is free (greedy longest-first list scheduling). Submitting
    every city at once would let the scheduler place each on a worker at submission
    (tasks with resource restrictions are not queued), before any run time is known.
    """
    from distributed import as_completed

    out_root = Path(out_root)
    todo, outcomes = _split_unchanged(jobs, out_root, steps, force)
    bar = tqdm(total=len(jobs), desc="cities", unit="city", disable=not progress, leave=False)
    bar.update(len(outcomes))
    futures: dict[Any, tuple[CityJob, str]] = {}
    done = as_completed()

    def top_up() -> None:
        while todo and len(futures) < _slots(client):
            job, digest = todo.pop(0)
            payload = _payload(job, out_root, steps, use_cache)
            fut = _submit(client, job, payload, retries, priority=len(todo))
            futures[fut] = (job, digest)
            done.add(fut)

    try:
        top_up()
        for fut in done:
            job, digest = futures.pop(fut)
            outcomes[job.name] = o = _outcome(job, fut, digest, out_root)
            _save_state(out_root, o)
            bar.set_postfix_str(f"{job.name} {o.status}")
            bar.update(1)
            top_up()
    except BaseException:
        client.cancel(list(futures))
        raise
    finally:
        bar.close()
    return [outcomes[name] for name in sorted(outcomes)]


def _geometry(job: CityJob) -> Any:
    if job.boundary is not None and job.boundary.geometry is not None:
        return job.boundary.geometry
    src = job.config.source.pbf
    bbox = extract_bbox(src) if src is not None and Path(src).is_file() else None
    return shapely.box(*bbox) if bbox else None


def write_region(
    plan: BatchPlan, outcomes: list[CityOutcome], out_root: str | Path
) -> tuple[gpd.GeoDataFrame, list[Path]]:
    """Write the region's scorecard (gpkg, csv), map and report from the city outcomes."""
    out_root = Path(out_root)
    jobs = {j.name: j for j in plan.jobs}
    rows = [
        {
            "city": o.city,
            "name": jobs[o.city].boundary.name if jobs[o.city].boundary else o.city,
            "relation_id": jobs[o.city].boundary.relation_id if jobs[o.city].boundary else None,
            "status": "failed" if o.status == "failed" else "ok",  # ran/unchanged: batch.json
            "error": o.error,
            "summary": o.summary if o.status != "failed" else None,
            "geometry": _geometry(jobs[o.city]),
        }
        for o in outcomes
    ]
    frame = scorecard_frame(rows)
    files = write_scorecard(frame, out_root)
    skipped = [(b.label, b.reason or "") for b in plan.skipped]
    files.append(write_region_map(frame, out_root, plan.title))
    files.append(write_region_report(frame, out_root, plan.title, skipped))
    return frame, files


def _check_steps(steps: list[str] | None) -> None:
    bad = [s for s in steps or [] if s not in ALL_STEPS]
    if bad:
        raise PlannerError(f"unknown step {bad[0]!r} (known: {', '.join(ALL_STEPS)})")


def run_batch(
    region: str | Path | None = None,
    admin_level: int | str | None = None,
    within: str | None = None,
    batch_file: str | Path | None = None,
    out_root: str | Path = "outputs",
    scheduler: str | None = None,
    client: Any = None,
    n_workers: int | None = None,
    memory_limit: int | None = None,
    steps: list[str] | None = None,
    use_cache: bool = True,
    retries: int = 1,
    force: bool = False,
    progress: bool = True,
    echo: Callable[[str], None] | None = None,
) -> BatchResult:
    """Plan every city of a region (or of a batch file) on a Dask cluster.

    Parameters
    ----------
    region, admin_level, within, batch_file
        What to plan, see :func:`planner.batch.jobs.plan_batch`.
    out_root : str or Path
        Output folder: ``<city>/`` per city as ``planner run`` writes it, plus
        ``region.gpkg``, ``region.csv``, ``region_map.html``, ``region_report.html``,
        ``batch.json`` and ``_batch/`` (extracts, per-city state and logs).
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://HOST:8786``).
    client : distributed.Client, optional
        An existing client (a notebook's); wins over ``scheduler``.
    n_workers, memory_limit : int, optional
        Size of the LocalCluster started when neither is given.
    steps, use_cache, retries, force, progress
        See :func:`execute`.
    echo : callable, optional
        Receives one-line notices (dashboard address, boundaries skipped).

    Returns
    -------
    BatchResult
    """
    t0 = time.perf_counter()
    _check_steps(steps)
    say = echo or (lambda _line: None)
    out_root = Path(out_root)
    with ExitStack() as stack:
        if client is not None:
            warm_workers(client)  # connect() does it for the clients it makes
        elif scheduler is not None:  # unreachable: fail before the split
            client = stack.enter_context(connect(scheduler))
        plan = plan_batch(region, admin_level, within, batch_file, out_root)
        for b in plan.skipped:
            say(f"skipped boundary {b.label}: {b.reason}")
        if client is None:
            client = stack.enter_context(connect(None, len(plan.jobs), n_workers, memory_limit))
        link = dashboard_link(client)
        workers = len(client.scheduler_info(n_workers=-1).get("workers", {}))
        say(f"{len(plan.jobs)} cities on {workers} Dask workers; dashboard: {link or 'none'}")
        outcomes = execute(client, plan.jobs, out_root, steps, use_cache, retries, force, progress)
    frame, files = write_region(plan, outcomes, out_root)
    result = BatchResult(out_root, outcomes, plan.skipped, files, frame, link, workers)
    result.seconds = round(time.perf_counter() - t0, 2)
    files.append(_write_batch_json(result, plan))
    return result


def _write_batch_json(result: BatchResult, plan: BatchPlan) -> Path:
    data = {
        "title": plan.title,
        "seconds": result.seconds,
        "workers": result.workers,
        "dashboard": result.dashboard,
        "cities": [{k: v for k, v in o.__dict__.items() if k != "summary"} for o in result.cities],
        "skipped_boundaries": [
            {"relation_id": b.relation_id, "name": b.name, "reason": b.reason} for b in plan.skipped
        ],
    }
    return write_json(data, result.out_root / "batch.json")
