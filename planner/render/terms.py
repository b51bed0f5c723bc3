"""Labels of data keys (columns, KPI and layer names) in reports, tooltips and popups."""

from __future__ import annotations

from planner._i18n import mark, tr

__all__ = ["FIELD_LABELS", "TERMS", "field_label", "term"]

#: Tooltip/popup label of a column (others show their name with spaces).
FIELD_LABELS = {
    "distance_m": mark("distance to fibre (m)"),
    "coverage_pct": mark("coverage (%)"),
    "fiber_class": mark("class"),
    "ground_risk": mark("ground risk (people)"),
    "detour_factor": mark("detour factor"),
    "buffer_m": mark("buffer (m)"),
    "ceiling_m": mark("ceiling (m)"),
    "length_m": mark("length (m)"),
    "drop_m": mark("drop length (m)"),
    "cost": mark("cost"),
    "snapped_m": mark("moved (m)"),
    "surround_ppl_km2": mark("people/km² around the hub"),
    "reason": mark("why this hub"),
}


#: Every key's label: the key with spaces for underscores (e.g. ``coverage pct``), marked so
#: the catalog translates it. A key without a label here shows as the key itself.
TERMS = (
    mark("altitude m"),
    mark("height evaluated m"),
    mark("hub links pairs"),
    mark("hub links rule"),
    mark("covered m"),
    mark("radio coverage share"),
    mark("longest uncovered m"),
    mark("yes"),
    mark("no"),
    mark("admin areas"),
    mark("aggregated"),
    mark("airspace"),
    mark("altitude cap m"),
    mark("assets"),
    mark("assets all off network"),
    mark("assets on network"),
    mark("band max m"),
    mark("band min m"),
    mark("band top m"),
    mark("blocked share"),
    mark("blocking obstacles"),
    mark("budget"),
    mark("building"),
    mark("buildings"),
    mark("buildings straight line fallback"),
    mark("buildings targeted"),
    mark("cabinet"),
    mark("cabinets"),
    mark("capex"),
    mark("capex per premise"),
    mark("capex total"),
    mark("central office method"),
    mark("clearance m"),
    mark("cluster"),
    mark("corridor area intersections"),
    mark("corridor width m"),
    mark("coverage pct"),
    mark("coverage pct after"),
    mark("coverage pct before"),
    mark("crossings"),
    mark("cumulative capex"),
    mark("cumulative premises"),
    mark("currency"),
    mark("detour budget"),
    mark("detour vs shortest"),
    mark("distance to fibre m"),
    mark("drop cost"),
    mark("drop limit m"),
    mark("duct length m"),
    mark("duct reused m"),
    mark("equipment cost"),
    mark("fallback"),
    mark("feasible"),
    mark("features"),
    mark("first level splitters"),
    mark("footprint m2"),
    mark("from hub"),
    mark("gap cluster premises"),
    mark("gap clusters"),
    mark("gap to target pct"),
    mark("greenfield"),
    mark("ground risk"),
    mark("h3"),
    mark("height m"),
    mark("height source"),
    mark("highway"),
    mark("item"),
    mark("key places"),
    mark("key places within 500m of a site pct"),
    mark("kind"),
    mark("kpi"),
    mark("reached"),
    mark("reached pct"),
    mark("total"),
    mark("tourism_area"),
    mark("airport"),
    mark("landuse"),
    mark("lat"),
    mark("layer"),
    mark("layers"),
    mark("length"),
    mark("lon"),
    mark("m per premise"),
    mark("map"),
    mark("max igrc"),
    mark("mean detour factor"),
    mark("mean detour vs shortest"),
    mark("message"),
    mark("met"),
    mark("min clearance m"),
    mark("mobile coverage share"),
    mark("mobile sites"),
    mark("mobile sites gap to target"),
    mark("mobile sites per 10k people"),
    mark("mobile sites target per 10k"),
    mark("mode"),
    mark("n corridors"),
    mark("name"),
    mark("near"),
    mark("nofly zones"),
    mark("obstacle violations"),
    mark("olt ports"),
    mark("on network"),
    mark("operator"),
    mark("osm id"),
    mark("out of sora scope"),
    mark("passed"),
    mark("people within 500m of a site pct"),
    mark("phase"),
    mark("population raster coverage pct"),
    mark("premises"),
    mark("premises near"),
    mark("premises needed for target"),
    mark("premises not plannable"),
    mark("premises passed"),
    mark("premises passed after"),
    mark("premises passed before"),
    mark("premises straight line fallback"),
    mark("premises targeted"),
    mark("premises total"),
    mark("premises unreachable"),
    mark("premises unserved"),
    mark("preset"),
    mark("preset title"),
    mark("rank length"),
    mark("rank premises"),
    mark("reach length m"),
    mark("resolution"),
    mark("resolution m"),
    mark("restricted intersections"),
    mark("risk reduction"),
    mark("risk weight"),
    mark("route cost"),
    mark("route length m"),
    mark("routing bound is optimum"),
    mark("routing gap pct"),
    mark("routing lower bound"),
    mark("routing steiner cost"),
    mark("share parks"),
    mark("share roads"),
    mark("share water"),
    mark("shortest ground risk"),
    mark("shortest length m"),
    mark("size mb"),
    mark("source"),
    mark("split ratio"),
    mark("splitters"),
    mark("straight m"),
    mark("street edges without highway"),
    mark("street edges without highway costed as"),
    mark("street length m"),
    mark("street nodes"),
    mark("streets"),
    mark("tag"),
    mark("target"),
    mark("target coverage pct"),
    mark("target met"),
    mark("telecom"),
    mark("title"),
    mark("to hub"),
    mark("trunk length m"),
    mark("two level"),
    mark("ua class"),
    mark("unreachable"),
    mark("unserved"),
    mark("value"),
    mark("zone margin m"),
)


def _source(key: str) -> str:
    return FIELD_LABELS.get(key, key.replace("_", " "))


def field_label(column: str) -> str:
    """Return the translated tooltip/popup label of ``column`` (English: its label).

    Parameters
    ----------
    column : str
        A column name.

    Returns
    -------
    str
        Its :data:`FIELD_LABELS` label, else its name with spaces, translated.
    """
    return tr(_source(column))


def term(key: str) -> str:
    """Return the translated label of data key ``key``, else ``key`` itself (English: the key).

    Parameters
    ----------
    key : str
        A column, KPI or layer name such as ``rank_premises``.

    Returns
    -------
    str
    """
    source = _source(key)
    label = tr(source)
    return key if label == source else label
