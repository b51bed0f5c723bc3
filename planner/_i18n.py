"""Translations of user-facing text: gettext catalogs (Babel-compiled) in ``planner/locale``."""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

__all__ = [
    "DOMAIN",
    "LANGUAGES",
    "LOCALE_DIR",
    "MissingRecorder",
    "current_language",
    "mark",
    "record_missing",
    "tr",
    "translations",
    "use_language",
]

#: Folder of the catalogs: ``<lang>/LC_MESSAGES/planner.po`` (source) and ``.mo`` (compiled
#: with ``pybabel compile``; shipped as package data so a wheel needs no Babel at run time).
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

#: gettext domain of planner's catalogs.
DOMAIN = "planner"

#: Languages planner speaks: ``en`` (the source strings) and ``zh`` (Simplified Chinese).
LANGUAGES = ("en", "zh")

_LANGUAGE: ContextVar[str] = ContextVar("planner_language", default="en")
_RECORDER: ContextVar[MissingRecorder | None] = ContextVar("planner_missing", default=None)


class MissingRecorder(gettext.NullTranslations):
    """Fallback catalog that collects every message the real catalog lacks."""

    def __init__(self) -> None:
        super().__init__()
        self.missing: set[str] = set()

    def gettext(self, message: str) -> str:
        """Record ``message`` as missing and return it untranslated."""
        self.missing.add(message)
        return message


@cache
def translations(language: str) -> gettext.NullTranslations:
    """Return the compiled catalog of ``language`` (``en``: the source strings themselves).

    Parameters
    ----------
    language : str
        One of :data:`LANGUAGES`.

    Returns
    -------
    gettext.NullTranslations
    """
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; known: {', '.join(LANGUAGES)}")
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language])


def current_language() -> str:
    """Return the language user-facing text is produced in right now."""
    return _LANGUAGE.get()


def tr(message: str) -> str:
    """Translate ``message`` into the current language (see :func:`use_language`)."""
    language = _LANGUAGE.get()
    if language == "en":
        return message
    text = translations(language).gettext(message)
    recorder = _RECORDER.get()
    if recorder is not None and text == message:
        recorder.gettext(message)
    return text


def mark(message: str) -> str:
    """Mark ``message`` for extraction without translating it (translate later with tr)."""
    return message


@contextmanager
def use_language(language: str) -> Iterator[None]:
    """Produce user-facing text in ``language`` while the body runs.

    Parameters
    ----------
    language : str
        One of :data:`LANGUAGES`.
    """
    translations(language)  # unknown language: fail before the body
    token = _LANGUAGE.set(language)
    try:
        yield
    finally:
        _LANGUAGE.reset(token)


@contextmanager
def record_missing() -> Iterator[MissingRecorder]:
    """Collect the messages :func:`tr` could not translate while the body runs (for tests)."""
    recorder = MissingRecorder()
    token = _RECORDER.set(recorder)
    try:
        yield recorder
    finally:
        _RECORDER.reset(token)
