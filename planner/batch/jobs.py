"""Turn a region (extract + admin level) and/or a batch file into the cities to plan."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from planner.batch._compat import ConfigError, PlannerError
from planner.batch.boundaries import Boundary, find_boundaries
from planner.batch.spec import CityJob, city_config, load_batch
from planner.batch.split import EXTRACT_MEMORY_BYTES, split_region

__all__ = ["BatchPlan", "EXTRACTS_DIR", "plan_batch"]

#: Sub-folder of the batch output folder holding the city extracts, state and logs.
EXTRACTS_DIR = Path("_batch") / "extracts"


@dataclass
class BatchPlan:
    """The cities of a batch and the boundaries left out."""

    jobs: list[CityJob]
    skipped: list[Boundary] = field(default_factory=list)
    parent: Boundary | None = None
    title: str = "Region scorecard"


def _region_jobs(
    pbf: Path,
    admin_level: int | str,
    within: str | None,
    out_root: Path,
    defaults: dict,
    overrides: dict[str, dict],
    where: str,
    split_memory: int,
) -> tuple[list[CityJob], object]:
    found = find_boundaries(pbf, admin_level, within=within)
    extracts = split_region(pbf, found.cities, out_root / EXTRACTS_DIR, max_memory=split_memory)
    jobs = [
        CityJob(
            b.city,
            city_config(
                b.city, defaults, overrides.get(b.city, {}), {"pbf": str(extracts[b.city])}, where
            ),
            b,
        )
        for b in found.cities
    ]
    return jobs, found


def plan_batch(
    region: str | Path | None = None,
    admin_level: int | str | None = None,
    within: str | None = None,
    batch_file: str | Path | None = None,
    out_root: str | Path = "outputs",
    split_memory: int = 2 * EXTRACT_MEMORY_BYTES,
) -> BatchPlan:
    """Resolve the cities of a batch; split the region into city extracts.

    Parameters
    ----------
    region : str or Path, optional
        Regional ``.osm.pbf`` (overrides the batch file's ``region.pbf``).
    admin_level : int or str, optional
        Admin level of the cities (overrides ``region.admin_level``).
    within : str, optional
        Parent boundary the cities must lie in (overrides ``region.within``).
    batch_file : str or Path, optional
        ``batch.yml`` with shared ``defaults`` and per-city overrides.
    out_root : str or Path
        Batch output folder; extracts go to ``<out_root>/_batch/extracts/``.
    split_memory : int
        Bytes ``osmium extract`` may use (see :func:`planner.batch.split.split_region`).

    Returns
    -------
    BatchPlan
        Jobs sorted by city name.

    Raises
    ------
    PlannerError
        No region and no cities, a missing admin level, or a city without a source.
    """
    out_root = Path(out_root)
    bf = load_batch(batch_file) if batch_file is not None else None
    where = str(batch_file) if bf else "command line"
    reg = dict(bf.region or {}) if bf else {}
    if region is not None:
        reg["pbf"] = Path(region)
    if admin_level is not None:
        reg["admin_level"] = admin_level
    if within is not None:
        reg["within"] = within
    defaults = bf.defaults if bf else {}
    overrides = bf.cities if bf else {}
    jobs: list[CityJob] = []
    plan = BatchPlan(jobs)
    if reg.get("pbf") is not None:
        if reg.get("admin_level") is None:
            raise PlannerError("a regional extract needs --admin-level (e.g. 8 for municipalities)")
        region_jobs, found = _region_jobs(
            Path(reg["pbf"]),
            reg["admin_level"],
            reg.get("within"),
            out_root,
            defaults,
            overrides,
            where,
            split_memory,
        )
        jobs.extend(region_jobs)
        plan.skipped, plan.parent = found.skipped, found.parent
        plan.title = (
            f"{found.parent.name if found.parent else Path(reg['pbf']).name}: "
            f"admin_level {found.admin_level}"
        )
    elif reg:
        raise ConfigError(f"{where}: --admin-level / --within need a regional extract")
    names = {j.name for j in jobs}
    for name, over in overrides.items():
        if name not in names:
            jobs.append(CityJob(name, city_config(name, defaults, over, None, where)))
    if not jobs:
        raise PlannerError("nothing to plan: give a regional extract or a batch file with cities")
    jobs.sort(key=lambda j: j.name)
    return plan
