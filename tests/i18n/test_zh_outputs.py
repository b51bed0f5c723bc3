"""``planner run --lang zh``: a Chinese report, maps and CLI lines, the cn preset chosen."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser

import pytest

from planner._i18n import record_missing, use_language
from planner.render.fonts import cjk_font

#: English words a zh report may still show outside data cells: names, codes and units.
ALLOWED_WORDS = {
    "planner", "OpenStreetMap", "contributors", "ODbL", "HTML", "SORA", "iGRC", "GeoNames",
    "Steiner", "OLT", "H3", "MB", "drones", "preset", "osm", "xinjiekou", "test", "nanjing",
    "EU", "CN", "cn", "eu",
    # radio section: standard names, units and the summary fields it names
    "OSM", "GPP", "TR", "RSRP", "SINR", "dB", "dBm", "radio_coverage_share",
    "mobile_coverage_share", "radio", "coverage", "share", "mobile",
}  # fmt: skip


class _Text(HTMLParser):
    """Collect the text of headings, captions, headers and paragraphs (not data cells)."""

    TAGS = {"h1", "h2", "th", "caption", "figcaption", "p", "b", "title", "a"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        if self.stack and self.stack[-1] in self.TAGS and data.strip():
            self.texts.append(data)


def _english_words(texts: list[str]) -> set[str]:
    words = set()
    for t in texts:
        t = re.sub(r"\S+\.(osm|html|png|gpkg)\b|/\S+|\S+@\S+|\d\S*", " ", t)
        words |= {w for w in re.findall(r"[A-Za-z]{2,}", t) if w not in ALLOWED_WORDS}
    return words


def test_zh_run_writes_a_chinese_report_and_chooses_the_cn_preset(zh_run):
    rc, out, stdout = zh_run
    assert rc == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    choice = summary["drones"]["preset_choice"]
    assert summary["drones"]["preset"] == "cn"
    assert choice["how"] == "location" and choice["country"] == "CN"
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<html lang='zh-Hans'>" in page
    for label in (
        "光纤覆盖",
        "光纤建设规划",
        "无人机航线",
        "假设",
        "空域规则预设",
        "关键指标与目标",
    ):
        assert label in page
    assert "鼓楼医院" in page  # an OSM name stays as it is
    parser = _Text()
    parser.feed(page)
    assert not _english_words(parser.texts), "English left in the zh report"
    assert "无人机：" in stdout and "光纤：" in stdout and "按数据所在位置选择预设：CN" in stdout


def _shows(label: str, page: str) -> bool:
    """Return True when ``label`` is in the map page, as text or JSON-escaped (layer names)."""
    return label in page or json.dumps(label)[1:-1] in page


def test_zh_maps_have_chinese_titles_layers_legends_and_popups(zh_run):
    _, out, _ = zh_run
    page = html.unescape((out / "map_airspace.html").read_text(encoding="utf-8"))
    for label in ("空域与航线", "图例", "无人机航线", "起降点", "地面风险等级", "选址理由"):
        assert _shows(label, page), label
    combined = html.unescape((out / "map.html").read_text(encoding="utf-8"))
    assert _shows("OpenStreetMap 底图", combined) and _shows("浅色底图", combined)
    assert _shows("底图瓦片无法加载", combined)
    maps = json.loads((out / "maps.json").read_text(encoding="utf-8"))
    assert any(name.startswith("缺口聚类") for name in maps["map.html"]["layers"])


def test_zh_plots_draw_every_character(zh_run):
    _, out, _ = zh_run
    log = (out / "run.log").read_text(encoding="utf-8")
    if cjk_font() is None:
        assert "no font with Chinese" in log
        assert "字体" in (out / "report.html").read_text(encoding="utf-8")
    else:
        assert "missing from font" not in log
    assert (out / "report_plots" / "risk_vs_detour.png").is_file()


def test_every_string_the_zh_run_looks_up_is_in_the_catalog(district, tmp_path):
    from planner.config import config_from_args
    from planner.run import run_city

    cfg = config_from_args(osm=district, language="zh", name="catalog-check")
    with record_missing() as rec:
        run_city(cfg, out_root=tmp_path, progress=False)
    assert not rec.missing, f"not in the zh catalog: {sorted(rec.missing)}"


def test_english_stays_english(district, tmp_path):
    from planner.cli import describe

    summary = {"city": "x", "seconds": 1.0, "layers": {"buildings": 1, "premises": 2}}
    summary["layers"] |= {"streets": 3, "telecom": 0}
    assert describe(summary) == ["x: 1 buildings, 2 premises, 3 streets, 0 telecom assets (1.0 s)"]
    with use_language("zh"):
        assert describe(summary)[0].startswith("x：1 栋建筑")


@pytest.mark.shared
def test_shared_nanjing_extract_runs_in_chinese_with_the_cn_preset(nanjing, tmp_path, capsys):
    from planner.cli import main

    # the cn rules' 3 km around every helipad close this city centre: the drone step fails
    # (exit 4, partial results) and says why; every other output is written
    assert main(["run", "--osm", str(nanjing), "--out", str(tmp_path), "--lang", "zh", "-q"]) == 4
    out = tmp_path / nanjing.name.removesuffix(".osm")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["steps"]["drones"]["status"] == "failed"
    assert summary["drones"]["infeasible"]
    assert summary["drones"]["preset"] == "cn"
    assert summary["drones"]["preset_choice"]["country"] == "CN"
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "planner 报告" in report and "cn，按数据所在位置选择" in report
    assert "missing from font" not in (out / "run.log").read_text(encoding="utf-8")
    captured = capsys.readouterr()
    assert "Running HiGHS" not in captured.out + captured.err
