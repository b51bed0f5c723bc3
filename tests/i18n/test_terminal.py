"""A tidy terminal: silent HiGHS, basemap choice, --lang on the command line."""

from __future__ import annotations

import pytest

from planner._highs import new_highs
from planner.cli import build_parser, config_from_namespace
from planner.errors import ConfigError


def test_new_highs_prints_no_banner(capfd):
    h = new_highs()
    h.addVar(0.0, 1.0)
    h.changeColCost(0, 1.0)
    h.run()
    out, err = capfd.readouterr()
    assert "HiGHS" not in out + err
    assert h.getOptionValue("output_flag")[1] is False


def test_lang_flag_sets_the_config_language(tmp_path):
    ns = build_parser().parse_args(["run", "--lang", "zh"])
    assert config_from_namespace(ns).language == "zh"
    assert config_from_namespace(build_parser().parse_args(["run"])).language == "en"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--lang", "xx"])


def test_tianditu_basemap_needs_a_key_and_uses_it(monkeypatch, helsinki):
    import geopandas as gpd

    from planner.render._scaffold import base_map
    from planner.render.basemaps import TIANDITU_KEY_ENV, tianditu_key, use_basemaps

    monkeypatch.delenv(TIANDITU_KEY_ENV, raising=False)
    with pytest.raises(ConfigError, match="tianditu needs a key"), use_basemaps(["tianditu"]):
        pass
    monkeypatch.setenv(TIANDITU_KEY_ENV, "k123")
    outline = gpd.GeoDataFrame(geometry=[helsinki.boundary], crs=helsinki.crs).to_crs(4326)
    with use_basemaps(["tianditu", "osm"], tianditu_key(None)):
        page = base_map(outline, "t").get_root().render()
    assert "tianditu.gov.cn/vec_w/wmts" in page and "tk=k123" in page
    assert "tianditu.gov.cn/cva_w/wmts" in page  # the Chinese labels over it
    default = base_map(outline, "t").get_root().render()
    assert "tianditu" not in default
