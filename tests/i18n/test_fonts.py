"""Plot fonts: Chinese names are drawn with a CJK font, or the run says none is installed."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from planner._i18n import use_language
from planner.render import fonts, plots
from planner.render.report import font_notice

NAMES = pd.DataFrame(
    {
        "from_hub": ["南京市鼓楼医院", "新街口"],
        "to_hub": ["江苏省人民医院", "德基广场"],
        "detour_factor": [1.1, 1.3],
        "ground_risk": [10.0, 20.0],
    }
)


def test_chinese_names_render_without_missing_glyphs(caplog):
    if fonts.cjk_font() is None:
        pytest.skip("no CJK font installed (Debian: fonts-noto-cjk)")
    fonts._logged.clear()
    with caplog.at_level(logging.WARNING), use_language("zh"):
        fig = plots.risk_vs_detour(NAMES)
        assert fonts.cjk_font() in plots.use_fonts(fig)
        png = plots.to_png(fig)
    assert png.startswith(b"\x89PNG")
    assert not [r for r in caplog.records if "missing from font" in r.getMessage()]


def test_latin_text_keeps_dejavu_only():
    assert fonts.font_chain(["Helsinki", "Kamppi-Töölö"]) == ["DejaVu Sans"]
    assert not fonts.needs_cjk("Ålesund–Łódź")
    assert fonts.needs_cjk("鼓楼") and fonts.needs_cjk("ソウル") and fonts.needs_cjk("서울")


def test_without_a_cjk_font_the_run_warns_once_and_the_report_says_so(monkeypatch, caplog):
    monkeypatch.setattr(fonts, "cjk_font", lambda: None)
    monkeypatch.setattr("planner.render.report.cjk_font", lambda: None)
    fonts._logged.clear()
    with caplog.at_level(logging.WARNING, logger="planner.render.fonts"):
        for _ in range(3):
            plots.to_png(plots.risk_vs_detour(NAMES))
    warned = [r for r in caplog.records if "no font with Chinese" in r.getMessage()]
    assert len(warned) == 1
    from planner.render._report_sections import Section

    sec = Section("Hubs", tables=[("Hubs", [{"name": "鼓楼医院"}])])
    assert font_notice([sec])[0][1].startswith("no font with Chinese")
    assert font_notice([Section("x", tables=[("t", [{"name": "Vaduz"}])])]) == []
