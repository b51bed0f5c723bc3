"""Silent HiGHS models: no copyright banner or solver log in the terminal."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import highspy

__all__ = ["new_highs", "quiet_fd"]


@contextmanager
def quiet_fd(fd: int = 1) -> Iterator[None]:
    """Send what C code writes to file descriptor ``fd`` to /dev/null while the body runs.

    HiGHS prints its banner from C++ straight to the process' stdout, past Python's
    ``sys.stdout``, so only redirecting the descriptor itself silences it.
    """
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = os.dup(fd)
    except (OSError, ValueError):  # no real descriptor (e.g. captured): nothing to silence
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)


def new_highs() -> highspy.Highs:
    """Return a HiGHS model that prints nothing (output off before anything is solved).

    Returns
    -------
    highspy.Highs
    """
    with quiet_fd(1):
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("log_to_console", False)
    return h
