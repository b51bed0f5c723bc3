"""Report rendering: the report content as one self-contained HTML page or as Markdown."""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping

from planner._i18n import current_language, tr
from planner.render._report_sections import map_title
from planner.render.terms import term

__all__ = ["HTML_LANG", "render_html", "render_markdown"]

#: The ``lang`` attribute of the report page per planner language.
HTML_LANG = {"en": "en", "zh": "zh-Hans"}

_CSS = """body{font:14px/1.45 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#222}h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;margin-top:1.8em}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:13px}
th,td{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.src{max-width:520px;color:#444}img{max-width:100%}
.meta{color:#555}caption{text-align:left;font-weight:bold;padding:4px 0}"""


# --------------------------------------------------------------------------- Markdown
def _md_cell(v: str) -> str:
    return html.escape(str(v)).replace("|", "\\|").replace("\n", " ")


def _md_table(caption: str, rows: list[dict]) -> list[str]:
    lines = ["", f"**{_md_cell(caption)}**", ""]
    if not rows:
        return [*lines, f"_{tr('none')}_"]
    cols = list(rows[0])
    lines.append("| " + " | ".join(_md_cell(term(c)) for c in cols) + " |")
    lines.append("|" + "---|" * len(cols))
    return lines + ["| " + " | ".join(_md_cell(r.get(c, "")) for c in cols) + " |" for r in rows]


def render_markdown(report: Mapping, plot_dir: str = "report_plots") -> str:
    """Render the report content as Markdown (plots referenced as PNG files).

    Parameters
    ----------
    report : mapping
        :func:`planner.render.report.build_report` output.
    plot_dir : str
        Folder of the plot PNGs, relative to the Markdown file.

    Returns
    -------
    str
    """
    lines = [f"# {_md_cell(report['title'])}", ""]
    lines += [f"- **{k}**: {_md_cell(v)}" for k, v in report["meta"]]
    for sec in report["sections"]:
        lines += ["", f"## {_md_cell(sec['title'])}", ""]
        if sec.get("text"):
            lines += [_md_cell(sec["text"]), ""]
        for name in sec.get("links", []):
            lines.append(f"- [{_md_cell(map_title(name))}]({name})")
        for caption, rows in sec["tables"]:
            lines += _md_table(caption, rows)
        for name, caption, _ in sec["plots"]:
            lines += ["", f"![{_md_cell(caption)}]({plot_dir}/{name}.png)"]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- HTML
def _html_links(names: list[str]) -> str:
    e = html.escape
    items = "".join(f"<li><a href='{e(n)}'>{e(map_title(n))}</a></li>" for n in names)
    return f"<ul>{items}</ul>"


def _html_table(caption: str, rows: list[dict]) -> str:
    e = html.escape
    if not rows:
        return f"<p><b>{e(caption)}</b>: {e(tr('none'))}</p>"
    cols = list(rows[0])
    head = "".join(f"<th>{e(term(c))}</th>" for c in cols)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{' class=src' if c == 'source' else ''}>{e(str(r.get(c, '')))}</td>" for c in cols
        )
        + "</tr>"
        for r in rows
    )
    return f"<table><caption>{e(caption)}</caption><tr>{head}</tr>{body}</table>"


def _html_figure(caption: str, png: bytes) -> str:
    uri = "data:image/png;base64," + base64.b64encode(png).decode()
    e = html.escape
    return (
        f"<figure><img src='{uri}' alt='{e(caption)}'>"
        f"<figcaption>{e(caption)}</figcaption></figure>"
    )


def render_html(report: Mapping) -> str:
    """Render the report as one self-contained HTML page (plots as base64 PNG data URIs).

    Every value is HTML-escaped; the page loads nothing from the network.

    Parameters
    ----------
    report : mapping
        :func:`planner.render.report.build_report` output.

    Returns
    -------
    str
    """
    e = html.escape
    parts = [
        f"<!DOCTYPE html><html lang='{HTML_LANG[current_language()]}'><head><meta charset='utf-8'>",
        f"<title>{e(report['title'])}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(report['title'])}</h1><ul class='meta'>",
        *(f"<li><b>{e(k)}</b>: {e(str(v))}</li>" for k, v in report["meta"]),
        "</ul>",
    ]
    for sec in report["sections"]:
        parts.append(f"<h2>{e(sec['title'])}</h2>")
        if sec.get("text"):
            parts.append(f"<p>{e(sec['text'])}</p>")
        if sec.get("links"):
            parts.append(_html_links(sec["links"]))
        parts += [_html_table(caption, rows) for caption, rows in sec["tables"]]
        parts += [_html_figure(caption, png) for _, caption, png in sec["plots"]]
    parts.append("</body></html>")
    return "\n".join(parts)
