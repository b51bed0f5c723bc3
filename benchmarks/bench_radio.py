"""Benchmark the radio coverage model (issue 11).

1. Liechtenstein (../shared extract): 30 sites x 3 sectors, ground + 60/90/120 m, 20 m grid,
   deterministic building blocking; target < 30 s.
2. 3 x 3 mosaic of Liechtenstein (about 2,850 km²), 1,000 sites, 50 m grid; target < 3 min
   and < 6 GB.

For each case the straightforward per-cell Python implementation of the same model
(:mod:`planner.radio.reference`, ray-marched blocking) runs on a random subset of cells in the
same process; the speed ratio compares time per cell, and the subset's results are compared.

Sites are placed by farthest-point sampling over building centroids (deterministic), written
as a per-site CSV (lon/lat only: every other field takes its documented default).

Run: ``python benchmarks/bench_radio.py [--skip-mosaic] [--naive-cells 100]``
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from planner.city import load_city  # noqa: E402
from planner.radio import RadioConfig, analyze_radio  # noqa: E402
from planner.radio.reference import naive_cells  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "osm"
LI = SHARED / "liechtenstein-2021-10-28.osm.pbf"


def peak_rss_gb() -> float:
    """Peak resident memory of this process so far (GB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def spread_sites(city, n: int, path: Path) -> Path:
    """Write ``n`` sites at farthest-point-sampled building centroids as a lon/lat CSV."""
    xy = shapely.get_coordinates(shapely.point_on_surface(city.buildings.geometry.to_numpy()))
    ppl = city.buildings["people"].fillna(0).to_numpy(float)
    chosen = [int(np.argmax(ppl))]
    d = np.hypot(*(xy - xy[chosen[0]]).T)
    for _ in range(n - 1):
        k = int(np.argmax(d))
        chosen.append(k)
        d = np.minimum(d, np.hypot(*(xy - xy[k]).T))
    pts = gpd.GeoSeries(shapely.points(xy[chosen]), crs=city.crs).to_crs(4326)
    pd.DataFrame(
        {"site_id": [f"s{i}" for i in range(n)], "lon": pts.x.round(7), "lat": pts.y.round(7)}
    ).to_csv(path, index=False)
    return path


def naive_ratio(city, res, n_cells: int, seed: int = 0) -> dict:
    """Time the per-cell Python implementation on random covered-area cells; compare."""
    from planner.radio.analysis import _blocking

    cfg = res.config
    rows, cols = res.rsrp_dbm.shape[1:]
    rng = np.random.default_rng(seed)
    inside = np.flatnonzero(res.city_mask.ravel())
    cells = rng.choice(inside, size=min(n_cells, inside.size), replace=False)
    surface, s_tr, det = _blocking(city, cfg, res.transform, (rows, cols))
    t0 = time.perf_counter()
    r, s, k = naive_cells(
        cells,
        res.sites,
        res.sectors,
        res.transform,
        cols,
        res.heights_m,
        cfg,
        (surface, s_tr, det.ravel()),
    )
    t_naive = time.perf_counter() - t0
    vr = res.rsrp_dbm.reshape(len(res.heights_m), -1)[:, cells]
    vk = res.serving_sector.reshape(len(res.heights_m), -1)[:, cells]
    both = np.isfinite(r) & np.isfinite(vr)
    return {
        "cells": int(cells.size),
        "naive_s": t_naive,
        "naive_s_per_cell": t_naive / cells.size,
        "same_server_share": float((vk[both] == k[both]).mean()) if both.any() else None,
        "median_abs_rsrp_diff_db": float(np.median(np.abs(vr[both] - r[both])))
        if both.any()
        else None,
    }


def run_case(name: str, city, n_sites: int, resolution: float, n_naive: int, tmp: Path):
    """Analyse ``city`` with ``n_sites`` spread sites and print the figures."""
    path = spread_sites(city, n_sites, tmp / f"{name}-sites.csv")
    cfg = RadioConfig(site_files=[path], use_osm_sites=False, resolution_m=resolution)
    t0, c0 = time.perf_counter(), time.process_time()
    res = analyze_radio(city, cfg)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    rows, cols = res.rsrp_dbm.shape[1:]
    n_cells = rows * cols
    ratio = naive_ratio(city, res, n_naive)
    vec_per_cell = wall / n_cells
    s = res.summary
    print(f"\n== {name}: {n_sites} sites x 3 sectors, {resolution:g} m grid ==")
    print(f"grid {rows} x {cols} = {n_cells:,} cells x {len(res.heights_m)} heights")
    print(f"area (boundary) {city.boundary.area / 1e6:,.0f} km2, buildings {len(city.buildings):,}")
    print(
        f"analyze_radio: {wall:.1f} s wall, {cpu:.1f} s CPU; peak RSS so far "
        f"{peak_rss_gb():.2f} GB; scenarios {s['scenarios']}"
    )
    print(
        f"naive per-cell Python on {ratio['cells']} cells: {ratio['naive_s']:.1f} s "
        f"({ratio['naive_s_per_cell'] * 1e3:.1f} ms/cell) vs vectorised "
        f"{vec_per_cell * 1e6:.1f} us/cell (whole analysis) -> "
        f"speed ratio {ratio['naive_s_per_cell'] / vec_per_cell:,.0f}x"
    )
    print(
        f"naive vs vectorised on the subset: same serving sector "
        f"{100 * (ratio['same_server_share'] or 0):.1f} %, median |dRSRP| "
        f"{ratio['median_abs_rsrp_diff_db']:.3f} dB"
    )
    print("population covered (ground):", s["population_covered_ground_pct"])
    print("area covered by height:", {h: v["value"] for h, v in s["area_covered_pct"].items()})
    print("by height:", s["by_height"])
    print("5G sites per 10k:", s["sites_5g_per_10k_people"])
    return wall


def main() -> None:
    """Run the cases."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-mosaic", action="store_true")
    ap.add_argument("--naive-cells", type=int, default=100)
    args = ap.parse_args()
    if not LI.is_file():
        print(f"{LI} not present: nothing to benchmark")
        return
    city = load_city(LI, progress=False)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        run_case("liechtenstein", city, 30, 20.0, args.naive_cells, tmp)
        if not args.skip_mosaic:
            sys.path.insert(0, str(Path(__file__).resolve().parent))
            from mosaic import mosaic_city

            big = mosaic_city(city, 3, 3)
            print(f"\nmosaic boundary {big.boundary.area / 1e6:,.0f} km2")
            run_case("mosaic-3x3", big, 1000, 50.0, max(20, args.naive_cells // 5), tmp)


if __name__ == "__main__":
    main()
