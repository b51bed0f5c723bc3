"""Population raster allocation: dasymetric shares, reprojection and refusals."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from fiber_helpers import city
from pyproj import Transformer
from rasterio.transform import from_origin

from planner.errors import InputFileError
from planner.fiber.population import allocate_population


def _write(path, data, transform, crs):
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=data.shape[1],
        height=data.shape[0],
        count=1,
        dtype="float32",
        crs=crs,
        transform=transform,
        nodata=-99999,
    ) as dst:
        dst.write(data.astype("float32"), 1)


def _geo_raster(path, c, xres, yres, value=100.0):
    t = Transformer.from_crs(c.crs, 4326, always_xy=True)
    x0, y0, x1, y1 = c.boundary.bounds
    lon0, lat0 = t.transform(x0, y0)
    lon1, lat1 = t.transform(x1, y1)
    w = int(np.ceil((lon1 - lon0) / xres)) + 2
    h = int(np.ceil((lat1 - lat0) / yres)) + 2
    _write(path, np.full((h, w), value), from_origin(lon0 - xres, lat1 + yres, xres, yres), 4326)
    return w * h


def test_geographic_raster_with_odd_resolution(tmp_path):
    c = city()
    b = c.buildings
    _geo_raster(tmp_path / "p.tif", c, 0.00731, 0.00277)  # non-square degree cells
    people = allocate_population(b, tmp_path / "p.tif")
    res = b["residential"].to_numpy()
    assert np.all(people[~res] == 0) and np.all(people >= 0)
    # every cell holding a residential building hands out exactly its 100 people
    total = people.sum()
    assert total > 0 and abs(total / 100 - round(total / 100)) < 1e-6


def test_floor_area_shares(tmp_path):
    c = city()
    b = c.buildings
    x0, y0, x1, y1 = c.boundary.bounds
    size = max(x1 - x0, y1 - y0) + 10
    _write(
        tmp_path / "one.tif", np.array([[1000.0]]), from_origin(x0 - 5, y1 + 5, size, size), c.crs
    )
    people = allocate_population(b, tmp_path / "one.tif")
    assert abs(people.sum() - 1000) < 1e-6
    res = b["residential"].to_numpy()
    area = b["floor_area_m2"].to_numpy()[res]
    np.testing.assert_allclose(people[res], 1000 * area / area.sum())


def test_non_overlapping_raster_refused(tmp_path):
    c = city()
    _write(tmp_path / "far.tif", np.ones((5, 5)), from_origin(-70.0, -30.0, 0.01, 0.01), 4326)
    with pytest.raises(InputFileError, match="does not overlap"):
        allocate_population(c.buildings, tmp_path / "far.tif")


def test_raster_without_crs_or_missing_refused(tmp_path):
    c = city()
    _write(tmp_path / "nocrs.tif", np.ones((5, 5)), from_origin(0, 0, 1, 1), None)
    with pytest.raises(InputFileError, match="no CRS"):
        allocate_population(c.buildings, tmp_path / "nocrs.tif")
    with pytest.raises(InputFileError, match="not found"):
        allocate_population(c.buildings, tmp_path / "none.tif")
    (tmp_path / "junk.tif").write_text("not a tiff")
    with pytest.raises(InputFileError, match="not a readable"):
        allocate_population(c.buildings, tmp_path / "junk.tif")


def test_population_raster_feeds_fiber_people(tmp_path):
    from planner.config import FiberConfig
    from planner.fiber import analyze_fiber

    c = city()
    _geo_raster(tmp_path / "p.tif", c, 0.005, 0.0025, value=50.0)
    cov = analyze_fiber(c, FiberConfig(use_osm_assets=False, population_raster=tmp_path / "p.tif"))
    assert cov.kpis["mobile_assumptions"]["people"] == pytest.approx(
        cov.premises["people"].sum(), abs=0.1
    )
