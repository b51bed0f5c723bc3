"""Administrative boundaries of one level in a regional extract: assembled, checked, chosen."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import osmium
import shapely
import shapely.wkb

from planner.batch._compat import InputFileError, PlannerError, slugify

__all__ = [
    "MIN_COVERAGE",
    "MIN_INSIDE",
    "Boundary",
    "BoundarySet",
    "extract_bbox",
    "find_boundaries",
]

#: Share of a boundary's area that must lie inside the extract's bounding box.
MIN_COVERAGE = 0.99
#: Share of a boundary's area that must lie inside the ``within`` parent.
MIN_INSIDE = 0.9


@dataclass
class Boundary:
    """One ``boundary=administrative`` relation and what the extract holds of it.

    Attributes
    ----------
    relation_id : int
        OSM relation id.
    name : str
        OSM ``name`` (untrusted text; escape before showing it as HTML).
    admin_level : str
        OSM ``admin_level``.
    member_ways, missing_ways : int
        Outer/inner member ways of the relation, and how many of them the file lacks.
    geometry : shapely geometry or None
        The assembled (multi)polygon in WGS84, None when its rings do not close.
    coverage : float or None
        Share of the polygon's area inside the extract's bounding box.
    reason : str or None
        Why the boundary is not planned (None: it is a city of the region).
    city : str
        Folder-safe city name (unique within a :class:`BoundarySet`).
    """

    relation_id: int
    name: str
    admin_level: str
    member_ways: int
    missing_ways: int = 0
    geometry: object | None = None
    coverage: float | None = None
    reason: str | None = None
    city: str = ""
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """Return ``name (relation N)`` for messages."""
        return f"{self.name} (relation {self.relation_id})"


@dataclass
class BoundarySet:
    """The boundaries of one admin level: the cities to plan and those skipped, with why."""

    pbf: Path
    admin_level: str
    cities: list[Boundary]
    skipped: list[Boundary]
    parent: Boundary | None = None


def _admin_relations(pbf: Path) -> dict[int, Boundary]:
    """First pass: every named ``boundary=administrative`` relation and its member ways."""
    found: dict[int, Boundary] = {}
    members: dict[int, set[int]] = {}
    fp = osmium.FileProcessor(str(pbf), osmium.osm.RELATION).with_filter(
        osmium.filter.TagFilter(("boundary", "administrative"))
    )
    for rel in fp:
        tags = dict(rel.tags)
        ways = {m.ref for m in rel.members if m.type == "w" and m.role in ("outer", "inner", "")}
        members[rel.id] = ways
        found[rel.id] = Boundary(
            relation_id=rel.id,
            name=tags.get("name", f"relation {rel.id}"),
            admin_level=tags.get("admin_level", ""),
            member_ways=len(ways),
            tags=tags,
        )
    if found:
        wanted = set().union(*members.values())
        present = {
            w.id
            for w in osmium.FileProcessor(str(pbf), osmium.osm.WAY).with_filter(
                osmium.filter.IdFilter(wanted)
            )
        }
        for rid, ways in members.items():
            found[rid].missing_ways = len(ways - present)
    return found


def _assemble(pbf: Path, found: dict[int, Boundary], ids: set[int]) -> None:
    """Second pass: assemble the polygons of relations ``ids`` with libosmium's areas.

    Only relations whose member ways are all present are candidates (the others cannot
    close), so the big clipped neighbours cost nothing.
    """
    ids = {i for i in ids if found[i].missing_ways == 0}
    if not ids:
        return
    wkb = osmium.geom.WKBFactory()
    fp = (
        osmium.FileProcessor(str(pbf))
        .with_areas(osmium.filter.IdFilter(ids))
        .with_filter(osmium.filter.EntityFilter(osmium.osm.AREA))
    )
    for area in fp:
        if area.from_way() or area.orig_id() not in found:
            continue
        try:
            geom = shapely.wkb.loads(wkb.create_multipolygon(area), hex=True)
        except RuntimeError:  # libosmium found no valid ring
            continue
        if not geom.is_valid:
            geom = shapely.make_valid(geom)
        if not geom.is_empty and geom.area > 0:
            found[area.orig_id()].geometry = geom


def extract_bbox(pbf: str | Path) -> tuple[float, float, float, float] | None:
    """Return the extract's bounding box (west, south, east, north) in degrees.

    The header's box when the file has one, else the box of its node locations as
    computed by ``osmium fileinfo --extended``; None when neither is known.
    """
    reader = osmium.io.Reader(str(pbf), osmium.osm.osm_entity_bits.NOTHING)
    try:
        box = reader.header().box()
    finally:
        reader.close()
    if box.valid():
        return (box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat)
    exe = shutil.which("osmium")
    if exe is None:
        return None
    proc = subprocess.run(
        [exe, "fileinfo", "--extended", "--json", str(pbf)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        return None
    bbox = json.loads(proc.stdout).get("data", {}).get("bbox")
    return tuple(bbox) if bbox and len(bbox) == 4 else None


def _coverage(geom, bbox) -> float | None:
    if bbox is None:
        return None
    inside = shapely.intersection(geom, shapely.box(*bbox)).area
    return round(float(inside / geom.area), 4)


def _find_parent(found: dict[int, Boundary], within: str, level: str) -> Boundary:
    """Return the closed boundary named ``within`` (name, name:*, or ``r<id>``)."""
    key = within.strip().casefold()
    rid = int(key[1:]) if key[:1] == "r" and key[1:].isdigit() else None
    matches = [
        b
        for b in found.values()
        if b.admin_level != level
        and (
            b.relation_id == rid
            or any(
                k.split(":")[0] in ("name", "official_name") and v.casefold() == key
                for k, v in b.tags.items()
            )
        )
    ]
    if not matches:
        raise PlannerError(f"--within {within!r}: no administrative boundary of that name")
    closed = [b for b in matches if b.geometry is not None]
    if not closed:
        b = matches[0]
        raise PlannerError(
            f"--within {within!r}: boundary {b.label} has no closed polygon in this extract "
            f"({b.missing_ways} of {b.member_ways} member ways missing)"
        )
    return min(closed, key=lambda b: (_level_num(b.admin_level), b.relation_id))


def _level_num(level: str) -> int:
    return int(level) if level.isdigit() else 99


def _why_skipped(b: Boundary, bbox, parent: Boundary | None, min_coverage: float) -> str | None:
    if b.geometry is None:
        if b.missing_ways:
            return (
                f"not closed: {b.missing_ways} of {b.member_ways} member ways are outside "
                "the extract"
            )
        return "not closed: its rings do not form a polygon in this extract"
    b.coverage = _coverage(b.geometry, bbox)
    if b.coverage is not None and b.coverage < min_coverage:
        return f"only {100 * b.coverage:.1f}% of its area lies inside the extract"
    if parent is not None:
        share = shapely.intersection(b.geometry, parent.geometry).area / b.geometry.area
        if share < MIN_INSIDE:
            return f"not inside {parent.name} ({100 * share:.0f}% of its area)"
    return None


def _name_cities(cities: list[Boundary]) -> None:
    """Give each city a unique folder name: the slug of its name, else slug-<relation id>."""
    slugs = [slugify(b.name) for b in cities]
    for b, slug in zip(cities, slugs, strict=True):
        b.city = slug if slugs.count(slug) == 1 else f"{slug}-{b.relation_id}"[:64]


def find_boundaries(
    pbf: str | Path,
    admin_level: int | str,
    within: str | None = None,
    min_coverage: float = MIN_COVERAGE,
) -> BoundarySet:
    """Find the boundaries of one admin level in a regional extract and pick the cities.

    Parameters
    ----------
    pbf : str or Path
        The regional ``.osm.pbf``.
    admin_level : int or str
        OSM ``admin_level`` of the cities (8 = municipalities in most of Europe).
    within : str, optional
        Keep only boundaries inside this parent (OSM name, any ``name:*`` or ``r<id>``).
    min_coverage : float
        Share of a boundary's area that must lie inside the extract's bounding box.

    Returns
    -------
    BoundarySet
        ``cities`` (closed, covered, inside the parent; sorted by name) and ``skipped``
        (each with its ``reason``).

    Raises
    ------
    PlannerError
        No boundary of that level, none usable, or an unknown / open ``within`` parent.
    """
    pbf = Path(pbf)
    if not pbf.is_file():
        raise InputFileError(f"{pbf}: file not found")
    level = str(admin_level)
    try:
        found = _admin_relations(pbf)
    except RuntimeError as exc:
        raise InputFileError(f"{pbf}: not a readable OSM file ({exc})") from None
    at_level = [b for b in found.values() if b.admin_level == level]
    if not at_level:
        levels = sorted({b.admin_level for b in found.values()}, key=_level_num)
        raise PlannerError(
            f"{pbf.name}: no boundary=administrative relation with admin_level={level} "
            f"(levels present: {', '.join(levels) or 'none'})"
        )
    wanted = {b.relation_id for b in at_level}
    if within:
        wanted |= {b.relation_id for b in found.values() if b.admin_level != level}
    _assemble(pbf, found, wanted)
    parent = _find_parent(found, within, level) if within else None
    bbox = extract_bbox(pbf)
    cities, skipped = [], []
    for b in sorted(at_level, key=lambda b: (b.name, b.relation_id)):
        b.reason = _why_skipped(b, bbox, parent, min_coverage)
        (skipped if b.reason else cities).append(b)
    if not cities:
        first = "; ".join(f"{b.label}: {b.reason}" for b in skipped[:3])
        more = f"; and {len(skipped) - 3} more" if len(skipped) > 3 else ""
        raise PlannerError(
            f"{pbf.name}: none of the {len(skipped)} admin_level={level} boundaries can be "
            f"planned ({first}{more})"
        )
    _name_cities(cities)
    return BoundarySet(pbf, level, cities, skipped, parent)
