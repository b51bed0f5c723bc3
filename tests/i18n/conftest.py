"""Fixtures of the language tests: small Chinese districts written with pyosmium."""

from __future__ import annotations

from pathlib import Path

import osmium
import pytest

NANJING = Path(__file__).resolve().parents[3] / "shared/data/osm/nanjing-xinjiekou-2021-06-12.osm"

#: Chinese names of the synthetic district's features (OSM values: shown as they are).
HOSPITALS = ("鼓楼医院", "江苏省人民医院")
STREET = "中山路"


def write_district(path: Path, lon0: float = 118.78, lat0: float = 32.04, n: int = 6) -> Path:
    """Write a small district (street grid, named blocks, two hospitals) as OSM XML."""
    step = 0.0015  # ~150 m
    nid, wid = 1, 1000
    with osmium.SimpleWriter(str(path)) as w:
        grid = {}
        for i in range(n):
            for j in range(n):
                grid[i, j] = nid
                loc = (lon0 + i * step, lat0 + j * step)
                w.add_node(osmium.osm.mutable.Node(id=nid, location=loc, version=1))
                nid += 1
        for i in range(n):
            for horizontal in (True, False):
                nodes = [grid[(j, i) if horizontal else (i, j)] for j in range(n)]
                tags = {
                    "highway": "residential",
                    "name": f"{STREET}{i}{'东西' if horizontal else '南北'}",
                }
                w.add_way(osmium.osm.mutable.Way(id=wid, nodes=nodes, tags=tags, version=1))
                wid += 1
        for i in range(n - 1):
            for j in range(n - 1):
                x, y = lon0 + (i + 0.3) * step, lat0 + (j + 0.3) * step
                d = 0.4 * step
                ring = []
                for dx, dy in ((0, 0), (d, 0), (d, d), (0, d)):
                    w.add_node(
                        osmium.osm.mutable.Node(id=nid, location=(x + dx, y + dy), version=1)
                    )
                    ring.append(nid)
                    nid += 1
                hospital = (i, j) in ((0, 0), (n - 2, n - 2))
                tags = {
                    "building": "hospital" if hospital else "apartments",
                    "building:levels": "6",
                }
                tags["name"] = HOSPITALS[i > 0] if hospital else f"{i}{j}号楼"
                if hospital:
                    tags["amenity"] = "hospital"
                w.add_way(
                    osmium.osm.mutable.Way(id=wid, nodes=[*ring, ring[0]], tags=tags, version=1)
                )
                wid += 1
    return path


@pytest.fixture(scope="session")
def district(tmp_path_factory) -> Path:
    """A small Chinese district (Nanjing coordinates, Chinese names) as an .osm file."""
    return write_district(tmp_path_factory.mktemp("zh") / "xinjiekou-test.osm")


@pytest.fixture(scope="session")
def nanjing() -> Path:
    """The shared central-Nanjing extract (skips when ../shared is absent)."""
    if not NANJING.is_file():
        pytest.skip(f"{NANJING} not present (../shared is absent in a user's clone)")
    return NANJING


@pytest.fixture(scope="session")
def zh_run(district, tmp_path_factory):
    """``planner run --osm <district> --lang zh`` once per session: (exit code, out dir, stdout)."""
    import contextlib
    import io

    from planner.cli import main

    out = tmp_path_factory.mktemp("zh-out")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(["run", "--osm", str(district), "--out", str(out), "--lang", "zh", "-q"])
    return rc, out / "xinjiekou-test", buf.getvalue()
