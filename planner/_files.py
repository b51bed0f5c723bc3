"""Atomic file and folder writes, GeoPackage export and JSON for planner's outputs."""

from __future__ import annotations

import errno
import json
import logging
import math
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.errors import InputFileError

__all__ = [
    "atomic_dir",
    "atomic_path",
    "check_output_folder",
    "clean_stale_temporaries",
    "finite_json",
    "is_write_refusal",
    "output_error",
    "json_default",
    "write_gpkg",
    "write_json",
]

log = logging.getLogger(__name__)

#: Prefixes of the hidden sibling folders :func:`atomic_dir` creates.
_TEMP_PREFIXES = (".tmp-", ".old-")


@contextmanager
def atomic_dir(final: str | Path, keep_existing: bool = False) -> Iterator[Path]:
    """Write a folder atomically: yield a temporary sibling, then swap it into place.

    If the body raises (or the process is killed), ``final`` keeps its previous contents and
    the temporary folder is removed (or left as a hidden ``.tmp-*`` sibling after a kill).
    With ``keep_existing`` the temporary folder starts as a copy of ``final``, so a partial
    run (one analysis) updates some files and keeps the others.
    """
    final = Path(final)
    check_output_folder(final)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        clean_stale_temporaries(final)
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{final.name}-", dir=final.parent))
    except OSError as exc:
        raise output_error(final, exc) from None
    if keep_existing and final.is_dir():
        _copy_regular_files(final, tmp)
    (tmp / ".pid").write_text(str(os.getpid()))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    (tmp / ".pid").unlink(missing_ok=True)
    old = None
    if final.exists():
        old = final.parent / f".old-{final.name}-{os.getpid()}"
        os.replace(final, old)
    os.replace(tmp, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


#: OS errors that mean "this output folder cannot be written", not a bug.
_WRITE_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.ENOTDIR}


def output_error(folder: Path, exc: OSError) -> InputFileError:
    """Return the one-line error for an output folder the OS refuses to write."""
    reason = exc.strerror or type(exc).__name__
    return InputFileError(f"{folder}: cannot write the output folder ({reason})")


def is_write_refusal(exc: OSError) -> bool:
    """Return True when ``exc`` is the OS refusing a write (permission, read-only, disk full)."""
    return exc.errno in _WRITE_ERRNOS


def check_output_folder(final: str | Path) -> None:
    """Raise InputFileError (one line) unless ``final`` can become an output folder.

    Refused: ``final`` or one of its parents is an existing non-folder (a regular file,
    a device), or the nearest existing parent is not writable.
    """
    final = Path(final)
    if final.exists() and not final.is_dir():
        raise InputFileError(f"{final}: exists and is not a folder; remove it or choose --out")
    parent = final.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise InputFileError(f"{parent}: is a file, not a folder; choose another --out")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputFileError(f"{parent}: output folder is not writable; choose another --out")


def _copy_regular_files(src: Path, dst: Path) -> None:
    """Copy ``src``'s regular files and folders into ``dst``; never follow a symbolic link.

    A link planted in an old output folder (``x -> /etc/passwd``) is skipped, so its target
    is never copied into the new outputs.
    """
    for entry in os.scandir(src):
        target = dst / entry.name
        if entry.is_symlink():
            log.warning("not carrying over symbolic link %s", Path(src) / entry.name)
        elif entry.is_dir(follow_symlinks=False):
            target.mkdir(exist_ok=True)
            _copy_regular_files(Path(entry.path), target)
        elif entry.is_file(follow_symlinks=False):
            shutil.copy2(entry.path, target, follow_symlinks=False)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_temporaries(final: str | Path) -> list[Path]:
    """Remove hidden ``.tmp-<name>-*`` / ``.old-<name>-*`` siblings left by killed runs.

    A temporary folder is stale when the process that made it is gone: ``.old-`` folders carry
    the writer's pid in their name; ``.tmp-`` folders hold a ``.pid`` file written when they
    were made (folders without one are removed when older than an hour).

    Returns
    -------
    list of Path
        The folders removed.
    """
    final = Path(final)
    removed = []
    if not final.parent.is_dir():
        return removed
    for entry in final.parent.iterdir():
        if not entry.name.startswith(tuple(f"{p}{final.name}-" for p in _TEMP_PREFIXES)):
            continue
        if entry.is_symlink() or not entry.is_dir():
            continue
        if _owner_alive(entry):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    if removed:
        log.info("removed %d folder(s) left by interrupted runs beside %s", len(removed), final)
    return removed


def _owner_alive(folder: Path) -> bool:
    tail = folder.name.rsplit("-", 1)[-1]
    if folder.name.startswith(".old-") and tail.isdigit():
        return _pid_alive(int(tail))
    pid_file = folder / ".pid"
    try:
        return _pid_alive(int(pid_file.read_text().strip()))
    except (OSError, ValueError):
        return (time.time() - folder.stat().st_mtime) < 3600


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place when the body succeeds.

    Every output file planner writes goes through here, so a failed or killed write never
    leaves a half-written file under the final name. The parent folder is created.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # keep the real extension last: GDAL picks drivers and checks conformance by it
    fd, name = tempfile.mkstemp(prefix=f".{path.stem}.tmp-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # writers such as GDAL want to create the file themselves
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


#: ``pandas.api.types.infer_dtype`` kinds of object columns holding only str (and missing).
_STRINGS = ("string", "empty")


def _gpkg_ready(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Make a frame writable to GeoPackage: WGS84, scalar columns, no mixed object types."""
    out = gdf.to_crs(4326)
    for col in out.columns:
        if col == out.geometry.name:
            continue
        series = out[col]
        if series.dtype == object and pd.api.types.infer_dtype(series) in _STRINGS:
            out[col] = series.astype("string")  # what _scalar gives, without a Python call each
        elif series.dtype == object or str(series.dtype).startswith("string"):
            out[col] = series.map(_scalar).astype("string")
        elif str(series.dtype) == "boolean":
            out[col] = series.astype("Int8")
    return out


def _scalar(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if value is pd.NA:
        return None
    if isinstance(value, list | tuple | set | np.ndarray):
        return ";".join(str(v) for v in value)
    return str(value)


def write_gpkg(layers: dict[str, gpd.GeoDataFrame], path: str | Path, crs=None) -> Path:
    """Write each GeoDataFrame as one layer of a GeoPackage, in WGS84 for GIS users.

    Parameters
    ----------
    layers : dict of str to GeoDataFrame
        Layer name to frame; frames are reprojected to WGS84.
    path : str or Path
        The ``.gpkg`` file, replaced atomically.
    crs : CRS-like, optional
        CRS assumed for frames that have none (default: WGS84).

    Notes
    -----
    Empty layers are written too (with no rows), so every layer name is always present.
    Object and list columns become text (GeoPackage has no list type).
    """
    with atomic_path(path) as tmp:
        for name, gdf in layers.items():
            if gdf.crs is None:
                gdf = gdf.set_crs(crs or 4326)
            _gpkg_ready(gdf).to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
    return Path(path)


def json_default(obj):
    """Serialise numpy scalars, paths and CRS objects for ``json.dump``."""
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return None if np.isnan(obj) else float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "to_string"):
        return obj.to_string()
    return str(obj)


def write_json(data: dict, path: str | Path) -> Path:
    """Write ``data`` as indented, strictly valid JSON (atomically: temp file + rename).

    Non-finite numbers (``inf``, ``nan``), which JSON cannot hold, are written as ``null``
    with a warning naming the key; the file never contains bare ``Infinity`` or ``NaN``.
    """
    clean = finite_json(data)
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8") as fh:
        json.dump(clean, fh, indent=2, default=json_default, ensure_ascii=False, allow_nan=False)
        fh.write("\n")
    return Path(path)


def finite_json(value: object, where: str = "") -> object:
    """Return ``value`` with every non-finite float (also numpy's) replaced by ``None``."""
    if isinstance(value, dict):
        return {k: finite_json(v, f"{where}.{k}" if where else str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_json(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, np.ndarray):
        return finite_json(value.tolist(), where)
    if isinstance(value, float | np.floating) and not math.isfinite(value):
        log.warning("%s: non-finite value %s written as null", where or "value", value)
        return None
    return value
