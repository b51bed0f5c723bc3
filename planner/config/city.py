"""Per-city configuration files: schema, validation and one-line error messages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from planner.config._strict import STRICT
from planner.config._yaml import read_yaml
from planner.config.buildings import DEFAULT_HIGHWAY_TYPES, BuildingAssumptions
from planner.config.drones import DroneConfig
from planner.config.fiber import FiberConfig
from planner.config.joint import JointConfig
from planner.config.plan import PlanConfig
from planner.config.radio import RadioConfig
from planner.errors import ConfigError

__all__ = [
    "CityConfig",
    "MapConfig",
    "SourceConfig",
    "StreetConfig",
    "check_city_name",
    "config_from_args",
    "load_config",
    "slugify",
]

_SAFE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class SourceConfig(BaseModel):
    """Where a city's OSM data comes from; exactly one field is set.

    ``pbf`` / ``osm`` paths are resolved relative to the config file.
    """

    model_config = STRICT

    sample: str | None = None
    pbf: Path | None = None
    osm: Path | None = None
    place: str | None = None
    bbox: tuple[float, float, float, float] | None = Field(
        None, description="west, south, east, north in degrees"
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> SourceConfig:
        given = [k for k, v in self.model_dump().items() if v is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of sample, pbf, osm, place, bbox "
                f"(got {', '.join(given) or 'none'})"
            )
        if self.sample is not None and self.sample != "helsinki":
            raise ValueError(f"unknown sample {self.sample!r}; the built-in sample is 'helsinki'")
        if self.bbox is not None:
            w, s, e, n = self.bbox
            if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
                raise ValueError("bbox must be west, south, east, north in degrees with west<east")
        return self

    def describe(self) -> str:
        """Return a short human-readable description of the source."""
        for key, value in self.model_dump().items():
            if value is not None:
                return f"{key}:{value}"
        return "unknown"


class StreetConfig(BaseModel):
    """Which OSM highway classes form the street graph."""

    model_config = STRICT

    highway_types: list[str] = Field(default_factory=lambda: list(DEFAULT_HIGHWAY_TYPES))


class MapConfig(BaseModel):
    """Basemaps of the HTML maps (tiles are fetched by the viewer's browser, never by planner)."""

    model_config = STRICT

    #: Tile basemaps, the first shown: ``osm``, ``light`` (CARTO) and ``tianditu`` (China's
    #: national map service, reachable where OSM tiles are slow or blocked; needs a key).
    basemaps: list[Literal["osm", "light", "tianditu"]] = Field(
        default_factory=lambda: ["osm", "light"], min_length=1
    )
    #: Tianditu browser key (free at the Tianditu console); default: the ``TIANDITU_KEY``
    #: environment variable. It is written into the map HTML, as any tile key must be.
    tianditu_key: str | None = None


class CityConfig(BaseModel):
    """One city's configuration (``data/cities/<name>.yml``)."""

    model_config = STRICT

    name: str
    source: SourceConfig = Field(default_factory=lambda: SourceConfig(sample="helsinki"))
    crs: str | None = Field(None, description="projected CRS, e.g. EPSG:3067; default local UTM")
    streets: StreetConfig = Field(default_factory=StreetConfig)
    buildings: BuildingAssumptions = Field(default_factory=BuildingAssumptions)
    fiber: FiberConfig = Field(default_factory=FiberConfig)
    plan: PlanConfig = Field(default_factory=PlanConfig)
    drones: DroneConfig = Field(default_factory=DroneConfig)
    radio: RadioConfig = Field(default_factory=RadioConfig)
    joint: JointConfig = Field(default_factory=JointConfig)
    #: Language of the report, maps, plots and the CLI's summary lines: ``en`` or ``zh``
    #: (Simplified Chinese). OSM values (names) are shown as they are in either language.
    language: Literal["en", "zh"] = "en"
    maps: MapConfig = Field(default_factory=MapConfig)
    #: Population density GeoTIFF (people/km²): the one population source of the fibre people
    #: counts and the drone ground-risk model (``fiber.population_raster`` and
    #: ``drones.population_raster`` are accepted and must then agree; all three are kept equal).
    population_raster: Path | None = None

    @model_validator(mode="after")
    def _one_population_source(self) -> CityConfig:
        given = {
            "population_raster": self.population_raster,
            "fiber.population_raster": self.fiber.population_raster,
            "drones.population_raster": self.drones.population_raster,
        }
        paths = {k: Path(v) for k, v in given.items() if v is not None}
        if len(set(paths.values())) > 1:
            raise ValueError(
                f"{' and '.join(paths)} differ: set population_raster once (top level); "
                "fibre and drones share one population source"
            )
        self.sync_population_raster(next(iter(paths.values()), None))
        return self

    def sync_population_raster(self, path: Path | None) -> None:
        """Set the one population raster of the city in every section that reads it."""
        self.population_raster = path
        self.fiber.population_raster = path
        self.drones.population_raster = None if path is None else str(path)

    @field_validator("name")
    @classmethod
    def _safe_name(cls, v: str) -> str:
        return check_city_name(v)

    @field_validator("crs")
    @classmethod
    def _projected(cls, v: str | None) -> str | None:
        if v is None:
            return v
        from pyproj import CRS
        from pyproj.exceptions import CRSError

        try:
            crs = CRS.from_user_input(v)
        except CRSError as exc:
            raise ValueError(f"unknown CRS {v!r}") from exc
        if not crs.is_projected:
            raise ValueError(f"{v!r} is not a projected CRS in metres")
        _check_transform(crs, v)
        return v


def _check_transform(crs, text: str) -> None:
    """Raise ValueError unless WGS84 degrees can be projected to ``crs`` (an Earth CRS)."""
    from pyproj import Transformer
    from pyproj.exceptions import ProjError

    area = crs.area_of_use
    lon, lat = ((area.west + area.east) / 2, (area.south + area.north) / 2) if area else (0, 0)
    try:
        x, y = Transformer.from_crs(4326, crs, always_xy=True).transform(lon, lat)
    except ProjError:
        raise ValueError(f"{text!r}: cannot project WGS84 coordinates to this CRS") from None
    if not (abs(x) < 1e9 and abs(y) < 1e9):
        raise ValueError(f"{text!r}: cannot project WGS84 coordinates to this CRS")


def check_city_name(name: str) -> str:
    """Return ``name`` if it is safe as a folder name, else raise ValueError."""
    if not _SAFE_NAME.match(name):
        raise ValueError(
            f"city name {name!r} must be 1-64 lowercase letters, digits, '-' or '_' "
            "(it becomes a folder name)"
        )
    return name


def slugify(text: str) -> str:
    """Make a safe city/folder name from free text or a file name.

    Examples
    --------
    >>> slugify("liechtenstein-2021-10-28.osm.pbf")
    'liechtenstein-2021-10-28'
    """
    base = Path(text).name
    for ext in (".osm.pbf", ".osm.bz2", ".osm", ".pbf", ".xml", ".bz2"):
        if base.lower().endswith(ext):
            base = base[: -len(ext)]
            break
    slug = re.sub(r"[^a-z0-9_-]+", "-", base.lower()).strip("-_")
    return (slug or "city")[:64]


def load_config(path: str | Path) -> CityConfig:
    """Read and validate a city config YAML file.

    Parameters
    ----------
    path : str or Path
        The ``.yml`` file.

    Returns
    -------
    CityConfig
        The validated configuration; relative source paths resolved against the file's folder.

    Raises
    ------
    ConfigError
        One line naming the file and the field at fault.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys at the top level")
    data.setdefault("name", slugify(path.stem))
    try:
        config = CityConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError.from_validation(str(path), exc, CityConfig) from None
    for key in ("pbf", "osm"):
        value = getattr(config.source, key)
        if value is not None and not value.is_absolute():
            setattr(config.source, key, (path.parent / value).resolve())
    config.fiber.asset_files = [_resolve(path, p) for p in config.fiber.asset_files]
    config.plan.duct_files = [_resolve(path, p) for p in config.plan.duct_files]
    config.radio.site_files = [_resolve(path, p) for p in config.radio.site_files]
    if config.population_raster is not None:
        config.sync_population_raster(_resolve(path, config.population_raster))
    return config


def _resolve(config_path: Path, value: Path) -> Path:
    return value if value.is_absolute() else (config_path.parent / value).resolve()


def config_from_args(
    name: str | None = None,
    pbf: str | Path | None = None,
    osm: str | Path | None = None,
    place: str | None = None,
    base: CityConfig | None = None,
    language: str | None = None,
) -> CityConfig:
    """Build a config from command-line style arguments, overriding ``base``.

    The city name defaults to the slug of the file name or place, so any real extract works
    with defaults; ``language`` (``--lang``) overrides the config's.
    """
    data = base.model_dump() if base is not None else {}
    source = None
    if pbf is not None:
        source = {"pbf": Path(pbf)}
    elif osm is not None:
        source = {"osm": Path(osm)}
    elif place is not None:
        source = {"place": place}
    if source is not None:
        data["source"] = source
    if language is not None:
        data["language"] = language
    if name is not None:
        data["name"] = name
    elif source is not None or "name" not in data:
        label = pbf or osm or place
        data["name"] = slugify(str(label)) if label else "helsinki"
    try:
        return CityConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError.from_validation("command line", exc, CityConfig) from None
