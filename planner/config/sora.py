"""JARUS SORA 2.5 intrinsic ground risk class (iGRC) lookup, vectorised over numpy arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.errors import ConfigError

__all__ = [
    "DENSITY_BOUNDS",
    "IGRC_TABLE",
    "OUT_OF_SCOPE",
    "OUT_OF_SCOPE_RANK",
    "SORA_SOURCE",
    "UAClass",
    "UA_CLASSES",
    "density_row",
    "igrc",
    "risk_rank",
    "ua_class_for",
    "ua_class_index",
]

#: Citation for the table below.
SORA_SOURCE = (
    "JARUS guidelines on Specific Operations Risk Assessment (SORA), edition 2.5, "
    "JAR-DEL-SRM-SORA-MB-2.5 (main body, 13 May 2024), Step #2, Table 2 'Intrinsic Ground "
    "Risk Class (iGRC) determination'"
)

#: Upper bounds (exclusive) of the population-density bands in people/km², SORA 2.5 Table 2
#: rows 2-6; a density at or above the last bound falls in the "> 50,000" (assemblies) row.
DENSITY_BOUNDS = np.array([5.0, 50.0, 500.0, 5_000.0, 50_000.0])


@dataclass(frozen=True)
class UAClass:
    """A column of SORA 2.5 Table 2: maximum characteristic dimension and maximum speed."""

    name: str
    max_dimension_m: float
    max_speed_ms: float


#: The five UA columns of SORA 2.5 Table 2.
UA_CLASSES = (
    UAClass("1m", 1.0, 25.0),
    UAClass("3m", 3.0, 35.0),
    UAClass("8m", 8.0, 75.0),
    UAClass("20m", 20.0, 120.0),
    UAClass("40m", 40.0, 200.0),
)

#: Sentinel returned for the grey cells of Table 2 ("not part of SORA": > 50,000 ppl/km²
#: with a UA above 3 m / 35 m/s); such operations belong to the certified category.
OUT_OF_SCOPE = -1

#: Rank given to :data:`OUT_OF_SCOPE` cells when risk classes are compared or maximised:
#: above the highest iGRC of Table 2 (10), since such operations need the certified category.
OUT_OF_SCOPE_RANK = 11

#: SORA 2.5 Table 2: rows = controlled ground area, then < 5, < 50, < 500, < 5,000, < 50,000
#: and > 50,000 people/km²; columns = UA_CLASSES; OUT_OF_SCOPE for grey cells.
IGRC_TABLE = np.array(
    [
        [1, 1, 2, 3, 3],
        [2, 3, 4, 5, 6],
        [3, 4, 5, 6, 7],
        [4, 5, 6, 7, 8],
        [5, 6, 7, 8, 9],
        [6, 7, 8, 9, 10],
        [7, 8, OUT_OF_SCOPE, OUT_OF_SCOPE, OUT_OF_SCOPE],
    ],
    dtype=np.int8,
)


def ua_class_index(ua_class: str | int) -> int:
    """Return the Table 2 column index of a UA class.

    Parameters
    ----------
    ua_class : str or int
        A class name ``"1m"``, ``"3m"``, ``"8m"``, ``"20m"``, ``"40m"`` (``"1m/25ms"``-style
        names are accepted too) or a column index 0-4.

    Returns
    -------
    int
        Column index into :data:`IGRC_TABLE`.
    """
    if isinstance(ua_class, int | np.integer) and not isinstance(ua_class, bool):
        if 0 <= int(ua_class) < len(UA_CLASSES):
            return int(ua_class)
    elif isinstance(ua_class, str):
        key = ua_class.strip().lower().split("/")[0].replace(" ", "")
        for i, c in enumerate(UA_CLASSES):
            if key == c.name:
                return i
    names = ", ".join(c.name for c in UA_CLASSES)
    raise ConfigError(f"ua_class: unknown UA class {ua_class!r}; expected one of {names}")


def ua_class_for(max_dimension_m: float, max_speed_ms: float) -> str:
    """Return the smallest Table 2 column covering a UA's dimension and speed.

    Parameters
    ----------
    max_dimension_m : float
        Maximum characteristic dimension (wingspan, rotor diameter, ...) in metres.
    max_speed_ms : float
        Maximum speed in m/s.

    Returns
    -------
    str
        Class name, e.g. ``"3m"``.
    """
    if not (max_dimension_m > 0 and max_speed_ms > 0):
        raise ConfigError("ua_class: dimension and speed must be positive")
    for c in UA_CLASSES:
        if max_dimension_m <= c.max_dimension_m and max_speed_ms <= c.max_speed_ms:
            return c.name
    raise ConfigError(
        f"ua_class: a UA of {max_dimension_m} m / {max_speed_ms} m/s exceeds the largest "
        "SORA 2.5 column (40 m / 200 m/s)"
    )


def density_row(density: np.ndarray, controlled: np.ndarray | bool | None = None) -> np.ndarray:
    """Return the Table 2 row index (0-6) of each population density.

    Parameters
    ----------
    density : array_like
        Population density in people/km² (non-negative, finite).
    controlled : array_like of bool, optional
        Cells that are controlled ground areas (row 0), whatever their density.

    Returns
    -------
    numpy.ndarray
        Integer row indices, same shape as ``density``.
    """
    d = np.asarray(density, dtype=float)
    if d.size and (not np.all(np.isfinite(d)) or d.min() < 0):
        raise ConfigError("density: population densities must be finite and >= 0 people/km²")
    rows = np.searchsorted(DENSITY_BOUNDS, d, side="right") + 1
    if controlled is not None:
        rows = np.where(np.asarray(controlled, dtype=bool), 0, rows)
    return rows.astype(np.int8)


def igrc(
    density: np.ndarray | float,
    ua_class: str | int = "1m",
    controlled: np.ndarray | bool | None = None,
) -> np.ndarray:
    """Intrinsic ground risk class per SORA 2.5 Table 2, vectorised.

    Bands are upper-exclusive: 4.99 people/km² is "< 5", exactly 5 is "< 50", and anything
    at or above 50,000 is the "> 50,000" row. The SORA 2.5 rule that a UA of at most 250 g
    and 25 m/s is always iGRC 1 is not applied here (use class ``"1m"`` and check mass
    separately).

    Parameters
    ----------
    density : array_like or float
        Population density in people/km².
    ua_class : str or int
        Table 2 column, see :func:`ua_class_index`.
    controlled : array_like of bool, optional
        Controlled ground area mask (row 0 of the table).

    Returns
    -------
    numpy.ndarray
        int8 iGRC values, same shape as ``density``; :data:`OUT_OF_SCOPE` (-1) in the grey
        cells of the table, which are outside SORA's scope.
    """
    col = ua_class_index(ua_class)
    return IGRC_TABLE[density_row(density, controlled), col]


def risk_rank(grid: np.ndarray | int) -> np.ndarray:
    """Order iGRC values by severity: :data:`OUT_OF_SCOPE` becomes :data:`OUT_OF_SCOPE_RANK`.

    Parameters
    ----------
    grid : array_like of int
        iGRC values as returned by :func:`igrc`.

    Returns
    -------
    numpy.ndarray
        The same values with out-of-scope cells ranked above iGRC 10.
    """
    g = np.asarray(grid)
    return np.where(g == OUT_OF_SCOPE, OUT_OF_SCOPE_RANK, g)
