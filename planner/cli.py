"""Command-line interface: ``planner run`` and friends; errors are printed as one line."""

from __future__ import annotations

import argparse
import logging
import sys

from planner import __version__
from planner._i18n import LANGUAGES, tr, use_language
from planner.errors import PlannerError

__all__ = [
    "COMMANDS",
    "EXIT_BAD_INPUT",
    "EXIT_INTERNAL",
    "EXIT_OK",
    "EXIT_PARTIAL",
    "COMMAND_TABLE",
    "DESCRIPTION",
    "build_parser",
    "cmd_batch",
    "cmd_run",
    "config_from_namespace",
    "describe",
    "main",
]

#: Exit codes (documented in README.md and docs/robustness.md).
EXIT_OK = 0  #: every step ran
EXIT_BAD_INPUT = 2  #: bad input (config, file, place, output folder): nothing was written
EXIT_INTERNAL = 3  #: internal error (a bug): nothing was written
EXIT_PARTIAL = 4  #: outputs written, but some analyses could not run (summary.json "steps")

#: Every command: the run steps it executes (None = all) and what it writes.
COMMAND_TABLE: dict[str, tuple[list[str] | None, str]] = {
    "run": (
        None,
        "load a city and run every analysis; writes <out>/<city>/: layers.gpkg, fiber.gpkg,\n"
        "fiber_plan.gpkg, bom.csv, airspace.gpkg, radio.gpkg, sites.gpkg, GeoTIFFs,\n"
        "map*.html, report.html/.md, summary.json, run.log. With no source it uses the built-in\n"
        "central-Helsinki sample.",
    ),
    "fiber": (
        ["fiber"],
        "fiber coverage-gap analysis: premises passed / near / unserved / unreachable,\n"
        "gap clusters, H3 hexes, KPIs (fiber.gpkg, fiber_coverage.tif, summary 'fiber').",
    ),
    "plan": (
        ["fiber", "plan"],
        "fiber build plan: cheapest routes, splitters, cabinets, bill of materials, capex,\n"
        "phases and budget mode (fiber_plan.gpkg, bom.csv, summary 'fiber_plan').",
    ),
    "drones": (
        ["drones"],
        "airspace model (no-fly zones, obstacles, SORA ground risk) and risk-aware drone\n"
        "corridors (airspace.gpkg, ground_risk.tif, summary 'drones').",
    ),
    "radio": (
        ["drones", "radio"],
        "mobile coverage on the ground and along the corridors at flight altitude (3GPP\n"
        "TR 38.901 / TR 36.777 over OSM buildings; radio_coverage.tif, radio.gpkg,\n"
        "summary 'radio'). Runs the drones step first for its corridors.",
    ),
    "plan-sites": (
        ["fiber", "plan", "drones", "radio", "joint", "maps", "report"],
        "one plan for both networks: new 5G sites that cover the drone corridors, fibre\n"
        "backhaul to each, the cost to meet both 2027 targets (sites.gpkg, joint_phases.csv,\n"
        "summary 'joint_plan'), with the maps and the report.",
    ),
    "map": (
        ["fiber", "plan", "drones", "radio", "maps", "report"],
        "re-run the analyses and write the self-contained maps (map*.html) and the\n"
        "report (report.html, report.md).",
    ),
}

DESCRIPTION = (
    "planner: gigabit-fiber and low-altitude drone-corridor planning from OpenStreetMap data.\n\n"
    "Commands:\n"
    + "".join(
        f"  {name:<11}" + text.replace("\n", "\n             ") + "\n"
        for name, (_, text) in COMMAND_TABLE.items()
    )
    + """
Commands other than run keep the other outputs already in <out>/<city>/. Every output
folder is replaced atomically: a failed or interrupted run leaves the previous one intact.

Examples:
  planner run
  planner run data/cities/helsinki.yml
  planner run --pbf ../shared/data/osm/liechtenstein-2021-10-28.osm.pbf
  planner plan --pbf city.osm.pbf --out results
  planner run --place "Vaduz, Liechtenstein" --city vaduz
  planner run --osm district.osm --lang zh

Map data © OpenStreetMap contributors (ODbL).
"""
)


def _source_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("config", nargs="?", help="city config file (data/cities/<name>.yml)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--pbf", metavar="FILE", help="local .osm.pbf extract")
    src.add_argument("--osm", metavar="FILE", help="local .osm or .osm.bz2 XML file")
    src.add_argument("--place", metavar="NAME", help="place name to download (needs internet)")
    p.add_argument(
        "--out", metavar="DIR", default="outputs", help="parent output folder (default: outputs)"
    )
    p.add_argument("--city", metavar="NAME", help="city name (folder name under --out)")
    p.add_argument("--no-cache", action="store_true", help="reload OSM data, ignore the cache")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    p.add_argument("--debug", action="store_true", help="show full tracebacks")
    p.add_argument(
        "--lang",
        choices=LANGUAGES,
        help="language of the report, maps and summary lines (default: the config's, else en;"
        " zh = Simplified Chinese)",
    )


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``planner`` command."""
    parser = argparse.ArgumentParser(
        prog="planner", description=DESCRIPTION, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"planner {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, text) in COMMAND_TABLE.items():
        p = sub.add_parser(
            name,
            help=text.split("\n")[0].rstrip(",:;"),
            description=text,
            formatter_class=argparse.RawTextHelpFormatter,
        )
        _source_args(p)
    from planner.batch import cli as batch_cli

    batch_cli.add_parser(sub)
    return parser


def config_from_namespace(ns: argparse.Namespace):
    """Turn parsed CLI arguments into a validated CityConfig."""
    from planner.config import config_from_args, load_config

    _check_text_args(ns)
    base = load_config(ns.config) if ns.config else None
    lang = getattr(ns, "lang", None)
    if base is None and not (ns.pbf or ns.osm or ns.place):
        return config_from_args(name=ns.city or "helsinki", language=lang)
    return config_from_args(
        name=ns.city, pbf=ns.pbf, osm=ns.osm, place=ns.place, base=base, language=lang
    )


def _check_text_args(ns: argparse.Namespace) -> None:
    """Refuse empty or control-character values of the text options, in one line."""
    from planner.errors import ConfigError

    for opt in ("config", "pbf", "osm", "place", "city", "out"):
        value = getattr(ns, opt, None)
        if value is None:
            continue
        flag = opt if opt == "config" else f"--{opt}"
        if not value.strip():
            raise ConfigError(f"command line: {flag} is empty")
        if any(not c.isprintable() for c in value):
            raise ConfigError(
                f"command line: {flag} {_one_line(repr(value), 120)} holds control characters"
            )


def cmd_run(ns: argparse.Namespace) -> int:
    """Run ``planner run`` (every step) or a one-analysis command such as ``planner fiber``."""
    from tqdm.contrib.logging import logging_redirect_tqdm

    from planner.run import run_city

    config = config_from_namespace(ns)
    with use_language(config.language):
        running = tr("planner: running {city} from {source}")
        print(running.format(city=config.name, source=config.source.describe()), file=sys.stderr)
        with logging_redirect_tqdm(loggers=[logging.getLogger()]):
            result = run_city(
                config,
                out_root=ns.out,
                use_cache=not ns.no_cache,
                progress=not ns.quiet,
                steps=COMMAND_TABLE[ns.command][0],
            )
        for line in describe(result.summary):
            print(line)
        print(tr("wrote {folder}/:").format(folder=result.out_dir))
    for path in result.files:
        print(f"  {path}")
    for name, status in result.incomplete.items():
        print(f"planner: step {name} {status.status}: {status.reason}", file=sys.stderr)
    return EXIT_PARTIAL if result.incomplete else EXIT_OK


def describe(summary: dict) -> list[str]:
    """Return the human-readable headline figures of a run."""
    c = summary["layers"]
    lines = [
        tr(
            "{city}: {buildings} buildings, {premises} premises, {streets} streets, "
            "{telecom} telecom assets ({seconds} s)"
        ).format(city=summary["city"], seconds=summary["seconds"], **c)
    ]
    f = summary.get("fiber")
    if f:
        lines.append(
            tr(
                "fiber: {coverage} of {premises_total} premises passed "
                "(target {target_coverage_pct:.0f}%), {premises_unserved} unserved, "
                "{premises_unreachable} unreachable, {gap_clusters} gap clusters"
            ).format(coverage=f"{f['coverage_pct']:.1f}%", **f)
            + (tr(" - GREENFIELD: no fiber assets known") if f.get("greenfield") else "")
        )
    p = summary.get("fiber_plan")
    if p and p.get("capex_per_premise") is None:  # no premise targeted: nothing per premise
        lines.append(tr("plan: no premise to plan for (every premise is passed or unreachable)"))
    elif p:
        lines.append(
            tr(
                "plan: {km:.1f} km of new route, capex {capex_total:,.0f} {currency} "
                "({capex_per_premise:,.0f} per premise), coverage after {coverage_pct_after:.1f}%"
            ).format(km=p["route_length_m"] / 1000, **p)
        )
    d = summary.get("drones")
    if d:
        lines.append(_drones_line(d))
    r = summary.get("radio")
    if r:
        lines.append(_radio_line(r))
    return lines


def _drones_line(d: dict) -> str:
    """Return the drones summary line, with the reason of the preset choice."""
    if d.get("infeasible") and not d.get("corridors"):
        line = tr("drones: no corridors under preset {preset}: {reason}").format(
            preset=d.get("preset"), reason="; ".join(map(str, d["infeasible"]))
        )
    else:
        line = tr(
            "drones: {corridors} corridors, preset {preset}, restricted intersections {restricted}"
        ).format(
            corridors=len(d.get("corridors", [])),
            preset=d.get("preset"),
            restricted=d.get("restricted_intersections"),
        )
    choice = d.get("preset_choice") or {}
    if choice.get("how") == "location":
        line += tr(" (preset chosen from the data's location: {country})").format(
            country=choice.get("country")
        )
    elif choice.get("how") == "default":
        line += tr(" (no location found: EU rules by default)")
    return line


def _radio_line(r: dict) -> str:
    """Return the radio line: route coverage at altitude and 5G site density."""
    from planner._format import format_value

    def fmt(v: object) -> str:
        return format_value(v) or "n/a"

    net, per10k = r["route_network"], r["sites_5g_per_10k_people"]
    cov = net["covered_pct"]
    return (
        f"radio: route network {fmt(cov['value'])}% covered at "
        f"{fmt(net.get('height_evaluated_m'))} m (target {fmt(cov['target'])}%), "
        f"{r['sites']} sites, {fmt(per10k['value'])} 5G sites per 10k people "
        f"(target {fmt(per10k['target'])})"
    )


def cmd_batch(ns: argparse.Namespace) -> int:
    """Run ``planner batch``: every city of a region on a Dask cluster (planner.batch)."""
    from planner.batch import cli as batch_cli

    return batch_cli.run(ns)


COMMANDS = {**{name: cmd_run for name in COMMAND_TABLE}, "batch": cmd_batch}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``planner`` command; returns the exit code."""
    parser = build_parser()
    ns = parser.parse_args(argv)
    if ns.command is None:
        parser.print_help()
        return 0
    logging.basicConfig(
        level=logging.DEBUG if ns.debug else logging.WARNING,
        format="%(levelname)s: %(message)s",
    )
    logging.getLogger("planner").setLevel(logging.INFO)
    logging.getLogger("pyrosm").setLevel(logging.WARNING)
    try:
        return COMMANDS[ns.command](ns)
    except PlannerError as exc:
        if ns.debug:
            raise
        print(f"planner: error: {_one_line(str(exc))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("planner: interrupted; earlier outputs left intact", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug or an unexpected library failure: still one line
        if ns.debug:
            raise
        print(
            f"planner: internal error: {type(exc).__name__}: {_one_line(str(exc), 300)} "
            "(rerun with --debug for the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def _one_line(text: str, limit: int = 500) -> str:
    """Return the first line of ``text``, control characters escaped, at most ``limit`` long."""
    first = text.splitlines()[0] if text else ""
    first = "".join(c if c.isprintable() else repr(c)[1:-1] for c in first)
    return first if len(first) <= limit else first[: limit - 1] + "…"


if __name__ == "__main__":
    sys.exit(main())
