"""Column checks of the render stage: a layer or table reading a column its frame lacks fails."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

__all__ = ["MissingColumnsError", "require_columns"]


class MissingColumnsError(LookupError):
    """A map layer or report table asked for columns its frame lacks (producer drift).

    This is an internal error (the producing stage and the render stage disagree on a
    column name), never a problem with the user's input.
    """


def require_columns(frame: pd.DataFrame, columns: Iterable[str], where: str) -> None:
    """Raise :class:`MissingColumnsError` unless ``frame`` has every one of ``columns``.

    Parameters
    ----------
    frame : DataFrame
        The frame read.
    columns : iterable of str
        The columns the reader needs.
    where : str
        The reader, for the message (e.g. ``map layer 'Drops'``).
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        has: Sequence[str] = [c for c in frame.columns if c != "geometry"]
        raise MissingColumnsError(
            f"{where} reads column(s) {missing} that its frame lacks (it has {list(has)})"
        )
