"""Write the joint plan's files: ``sites.gpkg`` (WGS84 layers) and ``joint_phases.csv``."""

from __future__ import annotations

from pathlib import Path

from planner._files import atomic_path, write_gpkg
from planner.joint.result import JointPlan

__all__ = ["SITES_GPKG", "write_joint_outputs"]

#: File name of the chosen sites' GeoPackage.
SITES_GPKG = "sites.gpkg"


def write_joint_outputs(result: JointPlan, out_dir: str | Path) -> list[Path]:
    """Write ``sites.gpkg`` and ``joint_phases.csv``; return the paths.

    ``sites.gpkg`` holds the layers ``sites`` (chosen sites, coverage gained, cost),
    ``sectors``, ``backhaul`` (street route of each new site to the fibre network),
    ``corridors_before`` and ``corridors_after`` (coverage per corridor).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    gpkg = write_gpkg(result.layers(), out / SITES_GPKG, result.sites.crs)
    phases = out / "joint_phases.csv"
    with atomic_path(phases) as tmp:
        result.phases.to_csv(tmp, index=False)
    return [gpkg, phases]
