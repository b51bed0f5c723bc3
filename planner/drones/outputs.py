"""Drone corridor files: ``airspace.gpkg`` layers and the ``ground_risk.tif`` iGRC raster."""

from __future__ import annotations

from pathlib import Path

from planner._files import write_gpkg
from planner._raster import write_cog
from planner.drones.result import CorridorResult

__all__ = ["write_outputs"]


def write_outputs(result: CorridorResult, out_dir: str | Path) -> dict[str, Path]:
    """Write ``airspace.gpkg`` (WGS84 layers) and ``ground_risk.tif`` (iGRC, city CRS).

    Layers: ``nofly``, ``obstacles`` (blocking ones only, plus masts/towers), ``hubs``,
    ``corridors``, ``trunk``, ``corridor_area``. Files are written atomically.

    Parameters
    ----------
    result : CorridorResult
        From :func:`~planner.drones.corridors.plan_corridors`.
    out_dir : str or Path
        Output folder (created if missing).

    Returns
    -------
    dict
        ``{"gpkg": path, "ground_risk": path}``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    top = result.summary["band"]["top_m"]
    ob = result.obstacles
    if len(ob):
        ob = ob[(ob["top_m"] >= top) | (ob["kind"] != "building")]
    layers = {
        "nofly": result.nofly,
        "obstacles": ob,
        "hubs": result.hubs,
        "corridors": result.corridors,
        "trunk": result.trunk,
        "corridor_area": result.corridor_area,
    }
    gpkg = write_gpkg(layers, out / "airspace.gpkg", crs=result.crs)
    tif = write_cog(out / "ground_risk.tif", result.igrc, result.transform, result.crs)
    return {"gpkg": gpkg, "ground_risk": tif}
