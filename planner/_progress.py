"""Progress bars for long steps (tqdm), silent when disabled or not on a terminal."""

from __future__ import annotations

import time
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager

from tqdm.auto import tqdm

__all__ = ["steps", "timed"]


@contextmanager
def timed(into: MutableMapping[str, float], name: str, digits: int = 2) -> Iterator[None]:
    """Time the body and store its wall-clock seconds as ``into[name]`` (rounded).

    Examples
    --------
    >>> t = {}
    >>> with timed(t, "load"):
    ...     pass
    >>> sorted(t)
    ['load']
    """
    t0 = time.perf_counter()
    try:
        yield
    finally:
        into[name] = round(time.perf_counter() - t0, digits)


class steps:  # noqa: N801 - used like a function: ``with steps([...]) as bar``
    """A progress bar over named steps.

    Parameters
    ----------
    names : list of str
        The step names, shown as the bar's postfix while each runs.
    enabled : bool
        Show the bar.
    desc : str
        Label in front of the bar.
    """

    def __init__(self, names: list[str], enabled: bool = True, desc: str = ""):
        self.names = names
        self.i = 0
        self.bar = tqdm(total=len(names), desc=desc, disable=not enabled, leave=False, unit="step")
        self.bar.set_postfix_str(names[0] if names else "")

    def advance(self) -> None:
        """Mark the current step done and show the next one."""
        self.i += 1
        self.bar.update(1)
        if self.i < len(self.names):
            self.bar.set_postfix_str(self.names[self.i])

    def show(self, text: str) -> None:
        """Show ``text`` as the running step(s), e.g. two steps running side by side."""
        self.bar.set_postfix_str(text)

    def __enter__(self) -> steps:
        return self

    def __exit__(self, *exc) -> None:
        self.bar.close()
