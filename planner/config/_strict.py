"""Shared pydantic settings and bounds of every config schema: finite numbers only."""

from __future__ import annotations

from pydantic import ConfigDict

__all__ = ["MAX_MONEY", "MIN_RESOLUTION_M", "STRICT"]

#: Every config model: unknown keys refused, and every float (also inside lists and dicts)
#: must be finite: ``.inf`` / ``.nan`` are refused with one line naming the field.
STRICT = ConfigDict(extra="forbid", allow_inf_nan=False)

#: Upper bound of any single cost or budget (currency units): far above any real value,
#: low enough that sums over millions of metres stay finite.
MAX_MONEY = 1e12

#: Smallest raster / lattice cell size (m) accepted by any ``*resolution_m`` setting.
MIN_RESOLUTION_M = 1.0
