"""Write a fibre coverage result: ``fiber.gpkg`` layers and the ``fiber_coverage.tif`` raster."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from planner._files import write_gpkg
from planner.fiber.hexes import write_coverage_tif
from planner.fiber.result import FiberCoverage

__all__ = ["write_fiber_outputs"]


def write_fiber_outputs(coverage: FiberCoverage, out_dir: str | Path) -> list[Path]:
    """Write ``fiber.gpkg`` (WGS84 layers) and ``fiber_coverage.tif`` into ``out_dir``.

    Layers: ``premises``, ``assets``, ``gap_clusters``, ``hex<r>`` per H3 resolution and
    ``districts``. Both files are written to a temporary name and moved into place.
    """
    out = Path(out_dir)
    layers = {
        "premises": coverage.premises.drop(columns=["edge"]),
        "assets": coverage.assets,
        "gap_clusters": coverage.gap_clusters,
        **{f"hex{r}": h for r, h in coverage.hexes.items()},
        "districts": coverage.districts,
    }
    gpkg = write_gpkg(layers, out / "fiber.gpkg", crs=coverage.crs)
    p = coverage.premises
    premises = p["premises"].to_numpy()
    passed = np.where(p["fiber_class"].to_numpy() == "passed", premises, 0)
    tif = write_coverage_tif(
        out / "fiber_coverage.tif",
        p.geometry.to_numpy(),
        premises.astype(float),
        passed.astype(float),
        coverage.crs or p.crs,
        coverage.config.raster_resolution_m,
    )
    return [gpkg, tif]
