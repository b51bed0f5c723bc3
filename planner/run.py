"""One planning run for one city: load, analyse, and write outputs/<city>/ atomically."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from . import __version__
from .city import City, load_city_from_config
from .config import CityConfig
from .maps import city_map
from .outputs import atomic_dir, write_gpkg, write_json

log = logging.getLogger(__name__)


@dataclass
class RunResult:
    """What a run wrote and measured."""

    out_dir: Path
    files: list[Path] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    city: City | None = None


def base_summary(city: City) -> dict:
    """Return the ``summary.json`` core: city, source, crs, layer counts and assumptions."""
    return {
        "city": city.name,
        "source": city.source,
        "crs": city.crs.to_string(),
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "planner_version": __version__,
        "attribution": "© OpenStreetMap contributors (ODbL)",
        "layers": city.counts(),
        "load_seconds": round(city.load_seconds, 2),
        "from_cache": city.from_cache,
        "assumptions": city.assumptions,
    }


def run_city(
    config: CityConfig,
    out_root: str | Path = "outputs",
    use_cache: bool = True,
    progress: bool = True,
) -> RunResult:
    """Run the whole job for one city and write ``<out_root>/<city>/`` atomically.

    Parameters
    ----------
    config : CityConfig
        The validated city configuration.
    out_root : str or Path
        Parent folder; results go to ``<out_root>/<config.name>/``.
    use_cache : bool
        Reuse the cached city data layer when the source and settings are unchanged.
    progress : bool
        Show progress bars.

    Returns
    -------
    RunResult
    """
    out_dir = Path(out_root) / config.name
    t0 = time.perf_counter()
    with atomic_dir(out_dir) as tmp:
        handler = logging.FileHandler(tmp / "run.log", encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root = logging.getLogger("planner")
        root.addHandler(handler)
        try:
            city = load_city_from_config(config, use_cache=use_cache, progress=progress)
            summary = base_summary(city)
            write_gpkg(city.layers(), tmp / "layers.gpkg")
            city_map(city).save(str(tmp / "map.html"))
            summary["seconds"] = round(time.perf_counter() - t0, 2)
            write_json(summary, tmp / "summary.json")
            log.info("run of %s finished in %.1f s", config.name, summary["seconds"])
        finally:
            root.removeHandler(handler)
            handler.close()
        names = sorted(p.name for p in tmp.iterdir())
    files = [out_dir / n for n in names]
    return RunResult(out_dir=out_dir, files=files, summary=summary, city=city)
