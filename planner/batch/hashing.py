"""Content hash of one city's inputs and settings, so an unchanged city is not re-run."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from planner.batch._compat import CityConfig, __version__
from planner.batch.split import file_sha256

__all__ = ["job_hash"]


def _content(value: Any, seen: dict[str, str]) -> Any:
    """Replace every absolute path of an existing file by ``sha256:<its content hash>``."""
    if isinstance(value, dict):
        return {k: _content(v, seen) for k, v in value.items()}
    if isinstance(value, list):
        return [_content(v, seen) for v in value]
    if isinstance(value, str) and value.startswith("/") and len(value) < 4096:
        path = Path(value)
        if path.is_file():
            if value not in seen:
                seen[value] = "sha256:" + file_sha256(path)
            return seen[value]
    return value


def job_hash(config: CityConfig, steps: list[str] | None) -> str:
    """Return the hex SHA-256 of a city's config, its input files' content and the steps.

    Parameters
    ----------
    config : CityConfig
        The city's validated configuration; the files it names (OSM source, asset and duct
        files, population raster) count by content, not by path or modification time.
    steps : list of str or None
        The run steps (None = all).

    Returns
    -------
    str
        Changes when any input byte, any setting, the steps or the planner version change.
    """
    payload = {
        "config": _content(config.model_dump(mode="json"), {}),
        "steps": sorted(steps) if steps is not None else None,
        "planner_version": __version__,
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()
