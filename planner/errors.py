"""Exceptions raised by planner; each carries a one-line, user-facing message."""

from __future__ import annotations

import difflib
from typing import Any

__all__ = [
    "AnalysisError",
    "ConfigError",
    "EmptyAreaError",
    "InputFileError",
    "PlaceNotFoundError",
    "PlannerError",
]


class PlannerError(Exception):
    """Base class for every error planner reports to a user as one clear line."""


class InputFileError(PlannerError):
    """An input file is missing, unreadable, truncated or not the expected format."""


class ConfigError(PlannerError):
    """A city configuration file has an unknown key, a wrong type or an invalid value."""

    @classmethod
    def from_validation(cls, where: str, exc: Any, model: Any, prefix: str = "") -> ConfigError:
        """Turn a pydantic ``ValidationError`` into one line naming ``where`` and the field.

        Parameters
        ----------
        where : str
            The file (or ``command line``) the values came from.
        exc : pydantic.ValidationError
            The validation error; its first error is reported.
        model : type[pydantic.BaseModel]
            The model validated, used to suggest the closest known key for a typo.
        prefix : str
            Dotted path of the model inside the city config (e.g. ``plan``), if any.
        """
        first = exc.errors()[0]
        loc = ".".join([prefix] * bool(prefix) + [str(p) for p in first["loc"]]) or "(top level)"
        if first["type"] == "extra_forbidden":
            known = _known_keys(model, first["loc"][:-1])
            close = difflib.get_close_matches(str(first["loc"][-1]), known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(known)}"
            return cls(f"{where}: unknown key {loc!r} is not permitted ({hint})")
        msg = first["msg"].removeprefix("Value error, ")
        return cls(f"{where}: field {loc!r}: {msg}")


class EmptyAreaError(PlannerError):
    """The requested area holds no streets or no buildings."""


class PlaceNotFoundError(PlannerError):
    """A place name could not be geocoded."""


class AnalysisError(PlannerError):
    """An analysis cannot proceed with the inputs it was given."""


def _known_keys(model: Any, loc: tuple) -> list[str]:
    """Return the field names of the (nested) model at ``loc``."""
    current = model
    for part in loc:
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return []
        current = field.annotation
    return list(getattr(current, "model_fields", {}).keys())
