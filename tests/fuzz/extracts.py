"""Hostile variants of real extracts, written with pyosmium: merged, shifted, holed, degenerate."""

from __future__ import annotations

import random
from pathlib import Path

import osmium

__all__ = ["as_xml", "drop_untagged_nodes", "merged", "shifted_copy", "with_degenerate_buildings"]

#: Added to the ids of a shifted copy, so they never meet the original's.
_ID_OFFSET = 10**11


class _Copy(osmium.SimpleHandler):
    """Copy every object to ``writer`` through ``edit`` (which may return several or none)."""

    def __init__(self, writer: osmium.SimpleWriter, edit) -> None:
        super().__init__()
        self.writer, self.edit = writer, edit

    def node(self, n) -> None:
        for obj in self.edit("node", n):
            self.writer.add_node(obj)

    def way(self, w) -> None:
        for obj in self.edit("way", w):
            self.writer.add_way(obj)

    def relation(self, r) -> None:
        for obj in self.edit("relation", r):
            self.writer.add_relation(obj)


def _rewrite(sources: list[Path], out: Path, edit, extra=None) -> Path:
    writer = osmium.SimpleWriter(str(out), overwrite=True)
    try:
        for src in sources:
            _Copy(writer, edit).apply_file(str(src))
        for kind, obj in extra or []:
            getattr(writer, f"add_{kind}")(obj)
    finally:
        writer.close()
    return out


def as_xml(src: Path, out: Path) -> Path:
    """Write ``src`` as OSM XML (``out`` ends in ``.osm``), clipped ways and all."""
    return _rewrite([src], out, lambda kind, obj: [obj])


def merged(a: Path, b: Path, out: Path) -> Path:
    """Write the objects of ``a`` then those of ``b`` into one file (real ids do not clash)."""
    return _rewrite([a, b], out, lambda kind, obj: [obj])


def shifted_copy(src: Path, out: Path, dlat: float, every: int = 1) -> Path:
    """Write ``src`` and a copy moved ``dlat`` degrees north (new ids, every ``every``-th way).

    The copy has no relations; with ``every`` > 1 it has fewer streets than the original.
    """

    def edit(kind, obj):
        if kind == "node":
            loc = obj.location
            moved = obj.replace(id=obj.id + _ID_OFFSET, location=(loc.lon, loc.lat + dlat))
            return [obj, moved]
        if kind == "way" and obj.id % every == 0:
            refs = [r.ref + _ID_OFFSET for r in obj.nodes]
            return [obj, obj.replace(id=obj.id + _ID_OFFSET, nodes=refs)]
        return [obj]

    return _rewrite([src], out, edit)


def drop_untagged_nodes(src: Path, out: Path, share: float, seed: int = 16) -> Path:
    """Write ``src`` without ``share`` of its untagged nodes (ways then reference missing nodes)."""
    rng = random.Random(seed)

    def edit(kind, obj):
        if kind == "node" and len(obj.tags) == 0 and rng.random() < share:
            return []
        return [obj]

    return _rewrite([src], out, edit)


def with_degenerate_buildings(src: Path, out: Path, lon: float, lat: float) -> Path:
    """Write ``src`` plus a self-intersecting bowtie building and two two-node buildings."""
    mut, base, d = osmium.osm.mutable, 9 * 10**11, 0.0003
    corners = [(lon, lat), (lon + d, lat + d), (lon + d, lat), (lon, lat + d)]  # a bowtie
    corners += [(lon + 2 * d, lat), (lon + 3 * d, lat), (lon + 2 * d, lat + d)]
    nodes = [("node", mut.Node(id=base + i, location=xy)) for i, xy in enumerate(corners)]
    tags = {"building": "yes"}
    ways = [
        ("way", mut.Way(id=base, nodes=[base, base + 1, base + 2, base + 3, base], tags=tags)),
        ("way", mut.Way(id=base + 1, nodes=[base + 4, base + 5], tags=tags)),
        ("way", mut.Way(id=base + 2, nodes=[base + 4, base + 6, base + 4], tags=tags)),
    ]
    return _rewrite([src], out, lambda kind, obj: [obj], extra=nodes + ways)
