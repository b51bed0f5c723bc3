"""Hostile-input generators and the one-line-error check shared by the fuzz tests."""

from __future__ import annotations

import math
from collections import Counter

from hypothesis import strategies as st

from planner.errors import PlannerError

__all__ = ["OUTCOMES", "check_outcome", "coords", "hostile_text", "osm_xml"]

#: Strings that break naive code: control characters, markup, huge, paths, format codes.
_NASTY = [
    "",
    " ",
    "\x00",
    "\u202e",
    "a\nb",
    "<&>\"'",
    "%s%n{0}",
    "../../etc/passwd",
    "\ud7ff\ufffd",
    "x" * 10_000,
    "🙂" * 50,
    "&amp;",
    "]]>",
]

hostile_text = st.one_of(st.sampled_from(_NASTY), st.text(max_size=40))

_EXTREME = [
    0.0,
    -0.0,
    90.0,
    -90.0,
    180.0,
    -180.0,
    200.0,
    500.0,
    -500.0,
    1e308,
    -1e308,
    math.inf,
    -math.inf,
    math.nan,
    1e-320,
]

coords = st.tuples(
    st.one_of(st.floats(24.93, 24.95), st.sampled_from(_EXTREME)),
    st.one_of(st.floats(60.16, 60.18), st.sampled_from(_EXTREME)),
)


def _esc(text: str) -> str:
    out = text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
    return "".join(
        c for c in out if c in "\t\n" or (ord(c) >= 32 and not 0xD800 <= ord(c) < 0xE000)
    )


@st.composite
def osm_xml(draw) -> str:
    """A small OSM XML document around central Helsinki, with hostile parts mixed in."""
    n_nodes = draw(st.integers(4, 14))
    base = [(24.94 + 0.0005 * (i % 4), 60.17 + 0.0005 * (i // 4)) for i in range(n_nodes)]
    nodes = []
    for i, (lon, lat) in enumerate(base, start=1):
        if i > 4 and draw(st.booleans()):
            lon, lat = draw(coords)
        nid = draw(st.sampled_from([i, i, i, 1])) if i > 4 else i  # sometimes a duplicate id
        nodes.append(f'<node id="{nid}" lat="{lat!r}" lon="{lon!r}" version="1"/>')
    ways = [  # a valid street and building, so most cases reach the later stages
        '<way id="1" version="1"><nd ref="1"/><nd ref="2"/>'
        '<tag k="highway" v="residential"/></way>',
        '<way id="2" version="1"><nd ref="1"/><nd ref="2"/><nd ref="4"/><nd ref="3"/><nd ref="1"/>'
        '<tag k="building" v="yes"/></way>',
    ]
    for w in range(draw(st.integers(0, 6))):
        ref = st.integers(1, n_nodes) if draw(st.integers(0, 9)) else st.integers(0, n_nodes + 2)
        refs = draw(st.lists(ref, min_size=0, max_size=8))
        if draw(st.booleans()) and refs:
            refs.append(refs[0])  # closed ring (maybe degenerate)
        kind = draw(st.sampled_from(["highway", "building", "building", "highway", "landuse"]))
        value = draw(st.sampled_from(["residential", "yes", "apartments", "primary", "house"]))
        tags = [f'<tag k="{kind}" v="{value}"/>']
        for key in draw(
            st.lists(
                st.sampled_from(
                    ["name", "height", "building:levels", "addr:housenumber", "building:flats"]
                ),
                max_size=3,
            )
        ):
            val = draw(
                st.one_of(
                    hostile_text,
                    st.sampled_from(["99999999999999999999", "-5", "nan", "inf", "1e308", "3"]),
                )
            )
            tags.append(f'<tag k="{key}" v="{_esc(val)}"/>')
        wid = draw(st.sampled_from([100 + w, 100 + w, 100]))
        nds = "".join(f'<nd ref="{r}"/>' for r in refs)
        ways.append(f'<way id="{wid}" version="1">{nds}{"".join(tags)}</way>')
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n'
        + "\n".join(nodes + ways)
        + "\n</osm>\n"
    )


#: Outcome counts of the session ("ok", "refused"), reported at the end of a fuzz run.
OUTCOMES: Counter = Counter()


def check_outcome(call) -> str:
    """Run ``call``; return "ok" or "refused"; fail on any non-PlannerError or bad message."""
    try:
        call()
    except PlannerError as exc:
        msg = str(exc)
        assert msg and "\n" not in msg, f"not one line: {msg!r}"
        assert "Traceback" not in msg and "internal error" not in msg
        OUTCOMES["refused"] += 1
        return "refused"
    OUTCOMES["ok"] += 1
    return "ok"
