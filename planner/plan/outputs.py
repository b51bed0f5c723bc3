"""Write the plan's files: ``fiber_plan.gpkg`` (WGS84 layers) and ``bom.csv``."""

from __future__ import annotations

from pathlib import Path

from planner._files import atomic_path, write_gpkg
from planner.plan.result import FiberPlan

__all__ = ["write_plan_outputs"]


def write_plan_outputs(plan: FiberPlan, out_dir: str | Path) -> list[Path]:
    """Write ``fiber_plan.gpkg`` and ``bom.csv``; return the paths.

    The GeoPackage holds WGS84 layers ``routes``, ``cabinets``, ``splitters``, ``drops`` and
    ``unreachable`` and is written to a temporary name first (atomic replace).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    gpkg = write_gpkg(plan.layers(), out / "fiber_plan.gpkg", plan.crs)
    bom = out / "bom.csv"
    with atomic_path(bom) as tmp:
        plan.bom.to_csv(tmp, index=False)
    return [gpkg, bom]
