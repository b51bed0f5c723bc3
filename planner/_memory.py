"""Memory guard: estimate an allocation and compare it with the machine's memory budget."""

from __future__ import annotations

import logging
import os

from planner.errors import ConfigError

log = logging.getLogger(__name__)

__all__ = [
    "BUDGET_ENV",
    "MARGIN_BYTES",
    "MARGIN_SHARE",
    "available_bytes",
    "check_memory",
    "coarsen_factor",
    "memory_budget",
]

#: Environment variable overriding the budget, in GB (e.g. ``PLANNER_MEMORY_BUDGET_GB=6``).
BUDGET_ENV = "PLANNER_MEMORY_BUDGET_GB"
#: Default margin kept free: the larger of this share of the available memory ...
MARGIN_SHARE = 0.15
#: ... and this many bytes.
MARGIN_BYTES = 1 << 30

_GB = 1e9


def available_bytes() -> int | None:
    """Return the memory the machine has available now (``MemAvailable``), or None if unknown."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def memory_budget() -> float | None:
    """Return the budget (bytes): ``$PLANNER_MEMORY_BUDGET_GB``, else available less a margin.

    Raises
    ------
    ConfigError
        When the environment variable is not a positive number.
    """
    env = os.environ.get(BUDGET_ENV)
    if env:
        try:
            gb = float(env)
        except ValueError:
            gb = -1.0
        if not gb > 0:
            raise ConfigError(f"{BUDGET_ENV}: must be a positive number of GB, got {env!r}")
        return gb * _GB
    avail = available_bytes()
    if avail is None:
        return None
    return max(avail - max(MARGIN_SHARE * avail, MARGIN_BYTES), 0.0)


def check_memory(nbytes: float, what: str, setting: str) -> None:
    """Refuse an allocation of about ``nbytes`` above the budget, with one line naming the fix.

    Parameters
    ----------
    nbytes : float
        Estimated peak bytes of the step.
    what : str
        What would be allocated (e.g. ``"drone lattice 3,000 x 4,000 cells"``).
    setting : str
        The setting that reduces it (e.g. ``"drones.resolution_m"``).

    Raises
    ------
    ConfigError
        When ``nbytes`` exceeds :func:`memory_budget`.
    """
    budget = memory_budget()
    if budget is None or nbytes <= budget:
        return
    raise ConfigError(
        f"{setting}: the {what} needs about {nbytes / _GB:.1f} GB, over the memory budget of "
        f"{budget / _GB:.1f} GB; raise {setting} or set {BUDGET_ENV}"
    )


def coarsen_factor(nbytes: float, what: str, exponent: float = 2.0) -> float:
    """Return the factor (>= 1) to coarsen a raster by so its ``nbytes`` fit the budget.

    The memory of a raster falls as ``factor ** exponent``; a factor above 1 is logged as a
    warning naming ``what``.
    """
    budget = memory_budget()
    if budget is None or nbytes <= budget or budget <= 0:
        return 1.0
    factor = (nbytes / budget) ** (1.0 / exponent)
    log.warning(
        "%s: about %.1f GB is over the memory budget of %.1f GB; coarsening %.2fx (set %s)",
        what,
        nbytes / _GB,
        budget / _GB,
        factor,
        BUDGET_ENV,
    )
    return factor
