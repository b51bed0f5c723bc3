"""Country of a city's data, found offline from its location, and the airspace preset it implies."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass

import numpy as np

__all__ = [
    "AUTO_PRESET",
    "EUROPEAN_PRESET_COUNTRIES",
    "FALLBACK_PRESET",
    "PRESET_BY_COUNTRY",
    "PresetChoice",
    "choose_preset",
    "country_of",
]

#: The ``drones.preset`` value that picks the preset from the data's location.
AUTO_PRESET = "auto"

#: Preset used where planner ships none for the country, or the country is unknown.
FALLBACK_PRESET = "eu"

#: EU member states, the EEA's Iceland, Liechtenstein and Norway, and Switzerland and Monaco,
#: which apply the EU drone rules (Regulation (EU) 2019/947) by agreement or through France.
EUROPEAN_PRESET_COUNTRIES = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE "
    "IS LI NO CH MC".split()
)

#: ISO 3166-1 alpha-2 code to shipped preset (``planner/data/airspace/<preset>.yml``).
#: ``CN`` is mainland China only: Hong Kong (HK), Macao (MO) and Taiwan (TW) have their own
#: civil aviation rules and fall back to :data:`FALLBACK_PRESET` with a stated reason.
PRESET_BY_COUNTRY: dict[str, str] = {
    "CN": "cn",
    "US": "us",
    "GB": "uk",
    **{c: "eu" for c in EUROPEAN_PRESET_COUNTRIES},
}


@dataclass(frozen=True)
class PresetChoice:
    """The airspace preset of a run and why it was chosen.

    ``how`` is ``config`` (set in the city config), ``location`` (from the country of the
    data) or ``default`` (no country found: :data:`FALLBACK_PRESET`); ``share`` is the
    share of sample points that voted for ``country``; ``reason`` says it in English.
    """

    preset: str
    how: str
    country: str | None
    reason: str
    share: float | None = None

    def as_dict(self) -> dict:
        """Return the choice as the ``preset_choice`` entry of the drones summary."""
        return asdict(self)


def country_of(lonlat: np.ndarray) -> tuple[str | None, float]:
    """Return the country most sample points lie in, and the share of points that agree.

    Offline: each point takes the country of its nearest GeoNames place of 1,000+ people
    (the ``reverse_geocode`` package's bundled table, CC BY 4.0), and the points vote.

    Parameters
    ----------
    lonlat : ndarray, shape (n, 2)
        Longitude, latitude (degrees, WGS84) of points spread over the data.

    Returns
    -------
    (str or None, float)
        ISO 3166-1 alpha-2 code (None without points) and the winning share (0-1).
    """
    pts = np.asarray(lonlat, dtype=float).reshape(-1, 2)
    pts = pts[np.isfinite(pts).all(axis=1)]
    if not len(pts):
        return None, 0.0
    import reverse_geocode

    found = reverse_geocode.search([(float(lat), float(lon)) for lon, lat in pts])
    votes = Counter(str(f.get("country_code") or "") for f in found)
    votes.pop("", None)
    if not votes:
        return None, 0.0
    code, n = votes.most_common(1)[0]
    return code, n / len(pts)


def choose_preset(configured: str, lonlat: np.ndarray) -> PresetChoice:
    """Return the preset to fly by: the configured one, or the one of the data's country.

    Parameters
    ----------
    configured : str
        ``drones.preset``: :data:`AUTO_PRESET` or a preset name or file.
    lonlat : ndarray, shape (n, 2)
        Sample points of the data (see :func:`country_of`); read only for ``auto``.

    Returns
    -------
    PresetChoice
    """
    if configured != AUTO_PRESET:
        return PresetChoice(configured, "config", None, "drones.preset in the city config")
    code, share = country_of(lonlat)
    if code is None:
        return PresetChoice(
            FALLBACK_PRESET, "default", None, "no location in the data; the EU rules apply"
        )
    how = f"{share:.0%} of sample points nearest to a place in {code} (GeoNames, offline)"
    preset = PRESET_BY_COUNTRY.get(code)
    if preset is None:
        reason = f"{how}; no preset for {code}, so the EU rules (a conservative default) apply"
        return PresetChoice(FALLBACK_PRESET, "location", code, reason, round(share, 3))
    return PresetChoice(preset, "location", code, how, round(share, 3))
