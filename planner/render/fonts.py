"""Fonts for plot text: a CJK fallback chain when the text needs one, warned once when missing."""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache

from planner._i18n import mark

__all__ = [
    "BASE_FONT",
    "CJK_FONTS",
    "NO_CJK_FONT_MESSAGE",
    "cjk_font",
    "font_chain",
    "glyph_warnings_logged",
    "needs_cjk",
]

log = logging.getLogger(__name__)

#: matplotlib's own font, used first (Latin, Greek, Cyrillic, symbols).
BASE_FONT = "DejaVu Sans"

#: Families with CJK coverage, best first: Noto Sans CJK (Debian ``fonts-noto-cjk``), Source
#: Han Sans (the same design under Adobe's name), then common system fonts of Windows, macOS
#: and Linux desktops.
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "Source Han Sans CN",
    "Noto Sans CJK JP",
    "Source Han Sans",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "SimHei",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
    "AR PL UMing CN",
)

#: Logged (once) and shown in the report when text needs a CJK font and none is installed.
NO_CJK_FONT_MESSAGE = mark(
    "no font with Chinese/Japanese/Korean glyphs is installed, so such text in the plots "
    "shows as empty boxes; install one, e.g. Noto Sans CJK (Debian/Ubuntu: apt install "
    "fonts-noto-cjk)"
)

#: Han ideographs, kana, hangul, CJK punctuation and full-width forms.
_CJK = re.compile(
    "[\u2e80-\u2fdf\u3000-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]"
)

_logged: set[str] = set()


def needs_cjk(text: object) -> bool:
    """Return True when ``text`` holds a character only a CJK font draws."""
    return bool(_CJK.search(str(text)))


@cache
def cjk_font() -> str | None:
    """Return the first installed family of :data:`CJK_FONTS` (None: none is installed)."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def font_chain(texts: Iterable[object]) -> list[str]:
    """Return the font families for ``texts``: DejaVu Sans, plus a CJK font when one needs it.

    Warns once (log) when the texts need a CJK font and none is installed.

    Parameters
    ----------
    texts : iterable
        The strings to draw.

    Returns
    -------
    list of str
        matplotlib falls back glyph by glyph along this list.
    """
    if not any(needs_cjk(t) for t in texts):
        return [BASE_FONT]
    cjk = cjk_font()
    if cjk is None:
        _log_once(NO_CJK_FONT_MESSAGE)
        return [BASE_FONT]
    return [BASE_FONT, cjk]


def _log_once(message: str) -> None:
    if message not in _logged:
        _logged.add(message)
        log.warning(message)


@contextmanager
def glyph_warnings_logged() -> Iterator[None]:
    """Send matplotlib's warnings raised in the body to the log (each message once), not stderr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        _log_once(f"matplotlib: {w.message}")
