"""Write radio results: ``radio_coverage.tif`` (COG, bands per height) and ``radio.gpkg``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from planner._files import write_gpkg
from planner._raster import write_cog

if TYPE_CHECKING:
    from planner.radio.analysis import RadioCoverage

__all__ = [
    "COVERAGE_TIF",
    "RADIO_GPKG",
    "band_names",
    "coverage_bands",
    "write_coverage_cog",
    "write_radio_outputs",
]

#: Output file names.
COVERAGE_TIF = "radio_coverage.tif"
RADIO_GPKG = "radio.gpkg"


def band_names(heights_m: list[float]) -> list[str]:
    """Band descriptions in file order: per height RSRP, SINR and serving site.

    Parameters
    ----------
    heights_m : list of float
        UE heights.

    Returns
    -------
    list of str
        e.g. ``rsrp_dbm_1.5m``, ``sinr_db_1.5m``, ``serving_site_1.5m``, ``rsrp_dbm_60m`` ...

    """
    out = []
    for h in heights_m:
        out += [f"rsrp_dbm_{h:g}m", f"sinr_db_{h:g}m", f"serving_site_{h:g}m"]
    return out


def coverage_bands(result: RadioCoverage) -> np.ndarray:
    """Return the ``(3 * heights, rows, cols)`` float32 stack in :func:`band_names` order.

    Serving site is the row of ``result.sites`` (NaN = no site in range).

    Parameters
    ----------
    result : RadioCoverage
        From :func:`planner.radio.analyze_radio`.

    Returns
    -------
    ndarray
    """
    bands = []
    for i in range(len(result.heights_m)):
        site = np.where(result.serving_site[i] >= 0, result.serving_site[i], np.nan)
        bands += [result.rsrp_dbm[i], result.sinr_db[i], site]
    return np.stack(bands).astype("float32")


def write_coverage_cog(result: RadioCoverage, path: str | Path) -> Path:
    """Write the RSRP / SINR / serving-site grids as one float32 Cloud-Optimised GeoTIFF.

    Bands follow :func:`band_names` (also the band descriptions); nodata is NaN.

    Parameters
    ----------
    result : RadioCoverage
        From :func:`planner.radio.analyze_radio`.
    path : str or Path
        The ``.tif`` to replace atomically.

    Returns
    -------
    Path

    """
    return write_cog(
        path,
        coverage_bands(result),
        result.transform,
        result.crs,
        nodata=float("nan"),
        descriptions=band_names(result.heights_m),
    )


def write_radio_outputs(result: RadioCoverage, out_dir: str | Path) -> list[Path]:
    """Write ``radio_coverage.tif`` and ``radio.gpkg`` (sites, sectors, corridors) to a folder.

    Parameters
    ----------
    result : RadioCoverage
        From :func:`planner.radio.analyze_radio`.
    out_dir : str or Path
        Output folder (created).

    Returns
    -------
    list of Path
        The files written (each replaced atomically).

    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tif = write_coverage_cog(result, out / COVERAGE_TIF)
    corridors = result.corridors
    if corridors.crs is None:
        corridors = corridors.set_crs(result.crs, allow_override=True)
    layers = {"sites": result.sites, "sectors": result.sectors, "corridors": corridors}
    gpkg = write_gpkg(layers, out / RADIO_GPKG, crs=result.crs)
    return [tif, gpkg]
