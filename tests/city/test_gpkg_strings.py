"""GeoPackage columns: the string fast path writes what the per-value conversion writes."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from planner import _files


def test_string_columns_fast_path_matches_per_value_conversion(tmp_path, monkeypatch):
    n = 6
    gdf = gpd.GeoDataFrame(
        {
            "name": ["a", None, "ü", np.nan, "e", "f"],  # only str and missing: fast path
            "empty": [None] * n,  # all missing: fast path
            "mixed": ["a", 1, 2.5, None, ["x", "y"], True],  # per value
            "tags": [("p", "q"), None, "r", "s", "t", "u"],  # per value
        },
        geometry=shapely.points(np.arange(n), np.arange(n)),
        crs="EPSG:32632",
    )
    _files.write_gpkg({"t": gdf}, tmp_path / "fast.gpkg")
    monkeypatch.setattr(_files, "_STRINGS", ())  # every object column value by value
    _files.write_gpkg({"t": gdf}, tmp_path / "slow.gpkg")
    fast, slow = (
        pyogrio.read_dataframe(tmp_path / f, layer="t") for f in ("fast.gpkg", "slow.gpkg")
    )
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    assert fast["name"].tolist()[::2] == ["a", "ü", "e"] and fast["name"].isna().sum() == 2
    assert fast["mixed"][4] == "x;y" and fast["tags"][0] == "p;q"
