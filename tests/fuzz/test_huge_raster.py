"""A sparse 200,000 x 200,000 population GeoTIFF is read only over the study area."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from rasterio.windows import Window

from planner.drones.risk import population_density_raster
from planner.fiber.population import allocate_population

#: Side (cells) of the huge raster: 40 billion float32 cells, 149 GiB if read whole.
HUGE = 200_000
#: 0.0001 degree cells from 15 E, 70 N: central Helsinki lies near row 98,300, col 99,400.
ORIGIN, CELL = (15.0, 70.0), 0.0001
#: The block holding people: rows/cols of the huge raster around central Helsinki.
BLOCK = Window(99_300, 98_200, 512, 512)


def _people(shape: tuple[int, int]) -> np.ndarray:
    rng = np.random.default_rng(16)
    return rng.uniform(0, 50, size=shape).astype("float32")


@pytest.fixture(scope="module")
def rasters(tmp_path_factory):
    """The huge sparse raster and a small one holding only the block (the oracle)."""
    folder = tmp_path_factory.mktemp("pop")
    data = _people((BLOCK.height, BLOCK.width))
    common = dict(driver="GTiff", dtype="float32", count=1, crs="EPSG:4326", nodata=0)
    huge = folder / "huge.tif"
    with rasterio.open(
        huge,
        "w",
        width=HUGE,
        height=HUGE,
        transform=from_origin(*ORIGIN, CELL, CELL),
        tiled=True,
        blockxsize=512,
        blockysize=512,
        compress="deflate",
        sparse_ok=True,
        **common,
    ) as dst:
        dst.write(data, 1, window=BLOCK)
    small = folder / "small.tif"
    x0, y0 = ORIGIN[0] + BLOCK.col_off * CELL, ORIGIN[1] - BLOCK.row_off * CELL
    with rasterio.open(
        small,
        "w",
        width=BLOCK.width,
        height=BLOCK.height,
        transform=from_origin(x0, y0, CELL, CELL),
        **common,
    ) as dst:
        dst.write(data, 1)
    return huge, small


def test_huge_raster_is_small_on_disk(rasters):
    huge, _ = rasters
    assert huge.stat().st_size < 50 * 2**20
    with rasterio.open(huge) as src:
        assert src.shape == (HUGE, HUGE)


def test_drones_read_only_the_window(rasters, helsinki):
    huge, small = rasters
    a, ta = population_density_raster(helsinki, 20, str(huge), people_per_household=2.3)
    b, tb = population_density_raster(helsinki, 20, str(small), people_per_household=2.3)
    assert ta == tb and a.shape == b.shape
    assert a.sum() > 0
    np.testing.assert_allclose(a, b, rtol=1e-5)


def test_fiber_allocation_reads_only_the_window(rasters, helsinki):
    huge, small = rasters
    a = allocate_population(helsinki.buildings, huge)
    b = allocate_population(helsinki.buildings, small)
    assert a.sum() > 0
    np.testing.assert_allclose(a, b)
