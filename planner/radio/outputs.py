"""Write radio results: ``radio_coverage.tif`` (COG, bands per height) and ``radio.gpkg``."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import rasterio.shutil

from planner._files import atomic_path, write_gpkg

__all__ = ["COVERAGE_TIF", "RADIO_GPKG", "band_names", "write_coverage_cog", "write_radio_outputs"]

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


def write_coverage_cog(result: Any, path: str | Path) -> Path:
    """Write the RSRP / SINR / serving-site grids as one float32 Cloud-Optimised GeoTIFF.

    Serving site is the row of ``result.sites`` (NaN = no site in range); nodata is NaN.

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
    n_h = len(result.heights_m)
    rows, cols = result.rsrp_dbm.shape[1:]
    names = band_names(result.heights_m)
    with tempfile.TemporaryDirectory() as tmpdir:
        src = Path(tmpdir) / "bands.tif"
        with rasterio.open(
            src,
            "w",
            driver="GTiff",
            height=rows,
            width=cols,
            count=3 * n_h,
            dtype="float32",
            crs=result.crs,
            transform=result.transform,
            nodata=np.nan,
        ) as dst:
            for i in range(n_h):
                site = np.where(result.serving_site[i] >= 0, result.serving_site[i], np.nan)
                for j, arr in enumerate((result.rsrp_dbm[i], result.sinr_db[i], site)):
                    band = 3 * i + j + 1
                    dst.write(arr.astype("float32"), band)
                    dst.set_band_description(band, names[3 * i + j])
        with atomic_path(path) as tmp:
            rasterio.shutil.copy(src, tmp, driver="COG", compress="DEFLATE")
    return Path(path)


def write_radio_outputs(result: Any, out_dir: str | Path) -> list[Path]:
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
