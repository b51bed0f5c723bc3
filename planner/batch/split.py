"""Split a regional extract into one ``.osm.pbf`` per city with ``osmium extract``."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import shapely

from planner.batch._compat import InputFileError, PlannerError, write_json
from planner.batch.boundaries import Boundary

__all__ = ["EXTRACT_MEMORY_BYTES", "file_sha256", "osmium_tool", "split_region"]

#: Memory ``osmium extract --strategy complete_ways`` needs per extract of one pass:
#: its node/way id sets span the whole OSM id range (measured: 1.0-1.1 GB per extract on
#: a 2021 extract, whatever its size).
EXTRACT_MEMORY_BYTES = 1_100_000_000


def osmium_tool() -> str:
    """Return the path of the ``osmium`` command (osmium-tool) or raise PlannerError."""
    exe = shutil.which("osmium")
    if exe is None:
        raise PlannerError(
            "osmium-tool is not installed (the 'osmium' command splits the region; "
            "apt-get install osmium-tool)"
        )
    return exe


def file_sha256(path: str | Path) -> str:
    """Return the hex SHA-256 of a file's content."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _extract_entry(b: Boundary, directory: Path) -> dict:
    geom = b.geometry
    polys = list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]
    coords = [shapely.geometry.mapping(p)["coordinates"] for p in polys]
    return {
        "output": str(directory / f"{b.city}.osm.pbf"),
        "output_format": "pbf",
        "description": f"relation {b.relation_id}",
        "multipolygon": coords,
    }


def _run_pass(exe: str, pbf: Path, entries: list[dict], tmp: Path, strategy: str) -> None:
    cfg = tmp / "extracts.json"
    cfg.write_text(json.dumps({"extracts": entries}), encoding="utf-8")
    cmd = [exe, "extract", "--config", str(cfg), "--strategy", strategy, "--overwrite"]
    proc = subprocess.run([*cmd, str(pbf)], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout or "").strip().splitlines()
        raise InputFileError(
            f"{pbf.name}: osmium extract failed ({lines[-1] if lines else proc.returncode})"
        )


def split_region(
    pbf: str | Path,
    boundaries: list[Boundary],
    out_dir: str | Path,
    strategy: str = "complete_ways",
    max_memory: int = 2 * EXTRACT_MEMORY_BYTES,
) -> dict[str, Path]:
    """Write ``<out_dir>/<city>.osm.pbf`` for each boundary, clipped with its own polygon.

    Parameters
    ----------
    pbf : str or Path
        The regional extract.
    boundaries : list of Boundary
        Closed boundaries (``geometry`` set), each with a unique ``city`` name.
    out_dir : str or Path
        Folder of the city extracts (created).
    strategy : str
        ``osmium extract`` strategy; ``complete_ways`` keeps every way that crosses the
        polygon whole (with all its nodes), ``smart`` also completes multipolygons.
    max_memory : int
        Bytes ``osmium extract`` may use; the extracts are cut in passes of
        ``max_memory // EXTRACT_MEMORY_BYTES`` (at least one) polygons.

    Returns
    -------
    dict of str to Path
        City name to its extract. A city whose source file content, strategy and polygon
        are those of the last split (``<out_dir>/split.json``) is not cut again; a file
        whose content did not change is left untouched; new files are moved into place
        atomically.
    """
    exe = osmium_tool()
    pbf, out_dir = Path(pbf), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = out_dir / "split.json"
    keys = _split_keys(pbf, boundaries, strategy)
    previous = _read_manifest(manifest_path)
    result = {b.city: out_dir / f"{b.city}.osm.pbf" for b in boundaries}
    todo = [
        b
        for b in boundaries
        if previous.get(b.city) != keys[b.city] or not result[b.city].is_file()
    ]
    per_pass = max(1, int(max_memory // EXTRACT_MEMORY_BYTES))
    with tempfile.TemporaryDirectory(prefix=".split-", dir=out_dir) as tmp_name:
        tmp = Path(tmp_name)
        for i in range(0, len(todo), per_pass):
            chunk = todo[i : i + per_pass]
            _run_pass(exe, pbf, [_extract_entry(b, tmp) for b in chunk], tmp, strategy)
            for b in chunk:
                new, final = tmp / f"{b.city}.osm.pbf", result[b.city]
                if not final.is_file() or file_sha256(final) != file_sha256(new):
                    os.replace(new, final)
    write_json({**previous, **keys}, manifest_path)
    return result


def _split_keys(pbf: Path, boundaries: list[Boundary], strategy: str) -> dict[str, str]:
    """Per city: hash of the source file's content, the strategy and the polygon."""
    source = file_sha256(pbf)
    return {
        b.city: hashlib.sha256(
            f"{source}:{strategy}:".encode() + shapely.to_wkb(b.geometry, output_dimension=2)
        ).hexdigest()
        for b in boundaries
    }


def _read_manifest(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
