"""``planner batch``: plan every city of a region on a Dask cluster (parser and command)."""

from __future__ import annotations

import argparse
import logging
import sys

from planner.errors import PlannerError

__all__ = ["DESCRIPTION", "add_parser", "main", "run"]

DESCRIPTION = """\
plan a whole region: split a regional .osm.pbf into its cities (OSM boundary=administrative
relations of --admin-level, each clipped with its own polygon by osmium extract, complete
ways kept) and/or take the cities of a batch.yml (shared defaults, per-city overrides), then
run every city as one task on a Dask cluster: a LocalCluster on this machine by default, or
--scheduler tcp://HOST:8786. A failed city is retried, then reported; the others go on. A
re-run skips cities whose inputs and config are unchanged (content hash).
Writes <out>/<city>/ per city (as planner run), and <out>/region.gpkg, region.csv,
region_map.html, region_report.html, batch.json.

Examples:
  planner batch --pbf ../shared/data/osm/liechtenstein-2021-10-28.osm.pbf --admin-level 8
  planner batch --pbf region.osm.pbf --admin-level 8 --within Liechtenstein --steps fiber,plan
  planner batch batch.yml --scheduler tcp://10.0.0.5:8786 --out /shared/results

Map data © OpenStreetMap contributors (ODbL).
"""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``batch`` command to ``planner``'s sub-parsers and return its parser."""
    p = subparsers.add_parser(
        "batch",
        help="plan every city of a region on a Dask cluster",
        description=DESCRIPTION,
        formatter_class=argparse.RawTextHelpFormatter,
    )
    p.add_argument("batch_file", nargs="?", metavar="BATCH_YML", help="batch file (batch.yml)")
    p.add_argument("--pbf", metavar="FILE", help="regional .osm.pbf extract")
    p.add_argument("--admin-level", metavar="N", help="admin_level of the cities (e.g. 8)")
    p.add_argument("--within", metavar="NAME", help="only boundaries inside this parent")
    p.add_argument(
        "--out", metavar="DIR", default="outputs", help="output folder (default: outputs)"
    )
    p.add_argument("--scheduler", metavar="ADDR", help="running Dask scheduler, tcp://HOST:PORT")
    p.add_argument("--workers", type=int, metavar="N", help="local workers (default: cores)")
    p.add_argument("--memory-limit", metavar="SIZE", help="memory per local worker, e.g. 4GB")
    p.add_argument(
        "--steps",
        metavar="LIST",
        help="comma-separated run steps (default: all; see planner run --help)",
    )
    p.add_argument("--retries", type=int, default=1, metavar="N", help="retries of a failed city")
    p.add_argument("--force", action="store_true", help="re-run unchanged cities too")
    p.add_argument("--no-cache", action="store_true", help="reload OSM data, ignore the cache")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument("--debug", action="store_true", help="show full tracebacks")
    return p


def _memory(text: str | None) -> int | None:
    if text is None:
        return None
    from dask.utils import parse_bytes

    try:
        return int(parse_bytes(text))
    except (ValueError, TypeError):
        raise PlannerError(f"--memory-limit {text!r}: not a size such as 4GB") from None


def _batch(ns: argparse.Namespace) -> int:
    from planner.batch.engine import run_batch

    if not (ns.batch_file or ns.pbf):
        raise PlannerError("give a regional extract (--pbf FILE --admin-level N) or a batch.yml")
    steps = [s.strip() for s in ns.steps.split(",") if s.strip()] if ns.steps else None
    result = run_batch(
        region=ns.pbf,
        admin_level=ns.admin_level,
        within=ns.within,
        batch_file=ns.batch_file,
        out_root=ns.out,
        scheduler=ns.scheduler,
        n_workers=ns.workers,
        memory_limit=_memory(ns.memory_limit),
        steps=steps,
        use_cache=not ns.no_cache,
        retries=ns.retries,
        force=ns.force,
        progress=not ns.quiet,
        echo=lambda line: print(f"planner: {line}", file=sys.stderr),
    )
    for c in result.cities:
        extra = f": {c.error}" if c.error else (f" ({c.seconds} s)" if c.seconds else "")
        print(f"  {c.city}: {c.status}{extra}")
    print(f"wrote {result.out_root}/: {len(result.cities)} city folders and")
    for path in result.files:
        print(f"  {path}")
    failed = result.by_status("failed")
    if failed:
        print(
            f"planner: {len(failed)} of {len(result.cities)} cities failed: {', '.join(failed)}",
            file=sys.stderr,
        )
        return 1
    return 0


def run(ns: argparse.Namespace) -> int:
    """Run ``planner batch``; a PlannerError becomes one line and exit code 2.

    Returns
    -------
    int
        0 when every city ran (or was unchanged), 1 when some failed, 2 on bad input.
    """
    try:
        return _batch(ns)
    except PlannerError as exc:
        if ns.debug:
            raise
        print(f"planner: error: {exc}", file=sys.stderr)
        return 2


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point (``python -m planner.batch.cli``) until planner.cli wires it."""
    parser = argparse.ArgumentParser(prog="planner")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_parser(sub)
    ns = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    logging.getLogger("planner").setLevel(logging.INFO if ns.debug else logging.WARNING)
    return run(ns)


if __name__ == "__main__":
    sys.exit(main())
