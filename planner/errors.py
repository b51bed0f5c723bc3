"""Exceptions raised by planner; each carries a one-line, user-facing message."""


class PlannerError(Exception):
    """Base class for every error planner reports to a user as one clear line."""


class InputFileError(PlannerError):
    """An input file is missing, unreadable, truncated or not the expected format."""


class ConfigError(PlannerError):
    """A city configuration file has an unknown key, a wrong type or an invalid value."""


class EmptyAreaError(PlannerError):
    """The requested area holds no streets or no buildings."""


class PlaceNotFoundError(PlannerError):
    """A place name could not be geocoded."""


class AnalysisError(PlannerError):
    """An analysis cannot proceed with the inputs it was given."""
