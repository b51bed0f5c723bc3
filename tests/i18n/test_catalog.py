"""The gettext catalogs: every marked string is in the template and translated in zh."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

babel = pytest.importorskip("babel")
from babel.messages.extract import extract_from_dir  # noqa: E402
from babel.messages.mofile import read_mo  # noqa: E402
from babel.messages.pofile import read_po  # noqa: E402

import planner  # noqa: E402
from planner._i18n import LOCALE_DIR, translations  # noqa: E402

PACKAGE = Path(planner.__file__).resolve().parent
KEYWORDS = {"tr": None, "mark": None}
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def _source_messages() -> set[str]:
    found = extract_from_dir(
        str(PACKAGE), method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=()
    )
    return {msg for _, _, msg, _, _ in found if isinstance(msg, str) and msg}


def _po(path: Path):
    with path.open("rb") as fh:
        return read_po(fh)


def test_every_marked_string_is_in_the_template_and_the_zh_catalog():
    source = _source_messages()
    template = {m.id for m in _po(LOCALE_DIR / "planner.pot") if m.id}
    zh = {m.id: m for m in _po(LOCALE_DIR / "zh" / "LC_MESSAGES" / "planner.po") if m.id}
    hint = "run pybabel extract/update (docs/i18n.md)"
    assert not source - template, f"strings missing from planner.pot ({hint}): {source - template}"
    assert not template - source, f"stale strings in planner.pot ({hint}): {template - source}"
    untranslated = sorted(i for i in source if i not in zh or not zh[i].string or zh[i].fuzzy)
    assert not untranslated, f"untranslated in zh/planner.po: {untranslated}"


def test_translations_keep_their_placeholders():
    for m in _po(LOCALE_DIR / "zh" / "LC_MESSAGES" / "planner.po"):
        if m.id:
            assert sorted(PLACEHOLDER.findall(m.id)) == sorted(PLACEHOLDER.findall(m.string)), m.id


def test_compiled_catalog_matches_its_source():
    """The shipped .mo (what a wheel loads, without Babel) is the compiled .po."""
    po = _po(LOCALE_DIR / "zh" / "LC_MESSAGES" / "planner.po")
    with (LOCALE_DIR / "zh" / "LC_MESSAGES" / "planner.mo").open("rb") as fh:
        mo = read_mo(fh)
    want = {m.id: m.string for m in po if m.id}
    got = {m.id: m.string for m in mo if m.id}
    assert got == want, "planner.mo is stale: run pybabel compile -d planner/locale -D planner"
    zh = translations("zh")
    assert zh.gettext("Legend") == want["Legend"] != "Legend"
