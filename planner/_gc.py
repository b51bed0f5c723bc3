"""Keep a loaded city's objects out of the cyclic garbage collector's scans while steps run."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["frozen_heap"]


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Move every object alive now to the permanent generation until the block ends.

    Python's full collections scan every tracked object, so on a big city (a street graph
    of dicts, building frames) each one costs time in proportion to what was loaded: a step
    that allocates many small objects then grows faster than its own work (building the
    2 × 2 mosaic's street frames: 0.38 s, 0.20 s without collections, against 0.06 s for
    Liechtenstein). :func:`gc.freeze` takes the loaded objects out of those scans; they are
    still freed by reference counting, and :func:`gc.unfreeze` at the end makes them
    collectable again (so a notebook that runs several cities keeps nothing frozen).
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
