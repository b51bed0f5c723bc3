import logging

import numpy as np
import pytest
import rasterio
from affine import Affine
from drone_helpers import PPH, X0, Y0, make_city

from planner._raster import write_cog
from planner.config import sora
from planner.drones.grid import city_grid, rasterize_mask
from planner.drones.risk import (
    building_population,
    ground_risk_raster,
    population_density_raster,
    population_raster_coverage,
)
from planner.errors import InputFileError


@pytest.fixture(scope="module")
def city():
    return make_city()


def test_population_density_brute_force(city):
    res, win = 20.0, 100.0
    dens, tr = population_density_raster(
        city, res, people_per_household=PPH, window_m=win, landuse_factors={"water": 1}
    )
    _, shape = city_grid(city, res)
    assert dens.shape == shape
    people = building_population(city.buildings, PPH)
    # brute force: counts per cell, then a 5x5 window mean for a few cells
    pts = city.buildings.geometry.representative_point()
    cnt = np.zeros(shape)
    for x, y, p in zip(pts.x, pts.y, people, strict=True):
        cnt[int((tr.f - y) // res), int((x - tr.c) // res)] += p
    for r, c in [(50, 75), (10, 10), (0, 0), (shape[0] - 1, shape[1] - 1)]:
        win_sum = cnt[max(0, r - 2) : r + 3, max(0, c - 2) : c + 3].sum()
        assert dens[r, c] == pytest.approx(win_sum / 25 / (res * res / 1e6), rel=1e-4)
    # the smoothing conserves people away from the edges (all buildings are inside)
    assert dens.sum() * res * res / 1e6 == pytest.approx(people.sum(), rel=0.02)
    dens_w, _ = population_density_raster(city, res, people_per_household=PPH, window_m=win)
    lake = (
        slice(int((tr.f - Y0 - 1890) // res), int((tr.f - Y0 - 1410) // res)),
        slice(int((X0 + 2210 - tr.c) // res), int((X0 + 2890 - tr.c) // res)),
    )
    assert dens_w[lake].max() == 0.0 and dens[lake].max() > 0


def test_ground_risk_matches_sora(city):
    dens, _ = population_density_raster(city, 25.0, people_per_household=PPH)
    g, tr = ground_risk_raster(city, 25.0, "3m", people_per_household=PPH)
    assert g.dtype == np.int8
    assert np.array_equal(g, sora.igrc(dens, "3m"))
    assert g.max() >= 5  # dense core is above 500 ppl/km²


def test_population_raster_input(city):
    dens_in, tr = population_density_raster(city, 50.0, people_per_household=PPH)
    dens, _ = population_density_raster(
        city,
        25.0,
        people_per_household=PPH,
        population_raster=(dens_in, tr, city.crs),
        window_m=25.0,
    )
    # resampling a 50 m grid onto 25 m keeps the mean density
    assert dens.mean() == pytest.approx(dens_in.mean(), rel=0.02)


def test_write_geotiff_atomic(tmp_path, city):
    g, tr = ground_risk_raster(city, 50.0, people_per_household=PPH)
    out = write_cog(tmp_path / "sub" / "risk.tif", g, tr, city.crs, nodata=-1)
    with rasterio.open(out) as src:
        assert np.array_equal(src.read(1), g)
        assert src.crs.to_epsg() == 32632
        assert src.transform == tr
    assert [p.name for p in out.parent.iterdir()] == ["risk.tif"]


def test_population_raster_smoothed_like_buildings(city):
    # a single hot cell spreads over the window (window_m applies to rasters too)
    tr, shape = city_grid(city, 25.0)
    arr = np.zeros(shape, dtype="float32")
    arr[40, 60] = 1e6
    flat, _ = population_density_raster(
        city, 25.0, people_per_household=PPH, population_raster=(arr, tr, city.crs)
    )
    assert flat[40, 60] == pytest.approx(1e6 / 64, rel=1e-4)  # 200 m / 25 m = 8 x 8 window
    assert flat[37, 57] > 0 and flat.sum() == pytest.approx(1e6, rel=1e-4)


def test_population_raster_partial_coverage(city, caplog):
    tr, shape = city_grid(city, 25.0)
    full = np.full(shape, 1000.0, dtype="float32")
    with caplog.at_level(logging.WARNING, logger="planner.drones.risk"):
        population_density_raster(
            city, 25.0, people_per_household=PPH, population_raster=(full, tr, city.crs)
        )
    assert not caplog.records
    assert population_raster_coverage(city, 25.0, (full, tr, city.crs)) == pytest.approx(100)
    # a raster over the western 40 % of the grid only (the city boundary fills the grid)
    cols = int(shape[1] * 0.4)
    west = full[:, :cols]
    inside = rasterize_mask([city.boundary], tr, shape, all_touched=False)
    expect = 100 * inside[:, :cols].sum() / inside.sum()
    pct = population_raster_coverage(city, 25.0, (west, tr, city.crs))
    assert pct == pytest.approx(expect, abs=0.01) and 30 < pct < 50
    with caplog.at_level(logging.WARNING, logger="planner.drones.risk"):
        dens, _ = population_density_raster(
            city,
            25.0,
            people_per_household=PPH,
            population_raster=(west, tr, city.crs),
            window_m=25.0,
        )
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert f"covers {pct:.1f} %" in caplog.records[0].getMessage()
    assert (dens[:, cols:] == 0).all() and (dens[:, :cols] == pytest.approx(1000.0))


def test_population_raster_errors(city, tmp_path):
    tr, shape = city_grid(city, 50.0)
    arr = np.ones(shape, dtype="float32")
    f = tmp_path / "nocrs.tif"
    with rasterio.open(
        f,
        "w",
        driver="GTiff",
        height=shape[0],
        width=shape[1],
        count=1,
        dtype="float32",
        transform=tr,
    ) as dst:
        dst.write(arr, 1)
    with pytest.raises(InputFileError, match=r"nocrs\.tif: raster has no CRS"):
        population_density_raster(city, 50.0, people_per_household=PPH, population_raster=f)
    with pytest.raises(InputFileError, match="unreadable CRS"):
        population_density_raster(
            city, 50.0, people_per_household=PPH, population_raster=(arr, tr, "EPSG:nonsense")
        )
    with pytest.raises(InputFileError, match="expected"):
        population_density_raster(city, 50.0, people_per_household=PPH, population_raster=(arr, tr))
    far = tr * Affine.translation(10_000, 0)  # 500 km east of the city
    with pytest.raises(InputFileError, match="does not cover the city"):
        population_density_raster(
            city, 50.0, people_per_household=PPH, population_raster=(arr, far, city.crs)
        )


def test_household_size_is_a_parameter(city):
    # the synthetic city is all residential: density scales with the household size
    base, _ = population_density_raster(city, 50.0, people_per_household=PPH)
    double, _ = population_density_raster(city, 50.0, people_per_household=2 * PPH)
    assert np.allclose(double, 2 * base, rtol=1e-5)
    people = building_population(city.buildings, 3.0)
    assert people.sum() == pytest.approx(3.0 * city.buildings["premises"].sum())
    with pytest.raises(TypeError):
        population_density_raster(city, 50.0)  # no hidden household default
