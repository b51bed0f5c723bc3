"""Matplotlib figures for the report: hex coverage histogram, cost curve, corridor risk."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # headless: the report never needs a display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from planner._i18n import tr  # noqa: E402
from planner.render.fonts import font_chain, glyph_warnings_logged  # noqa: E402

__all__ = ["cost_curve", "coverage_histogram", "risk_vs_detour", "to_png", "use_fonts"]


def _finish(
    fig: plt.Figure, ax: plt.Axes, xlabel: str, ylabel: str, title: str, grid: bool = True
) -> plt.Figure:
    """Label the axes and title as plain text (no mathtext: names come from data), lay out."""
    ax.set_xlabel(xlabel, parse_math=False)
    ax.set_ylabel(ylabel, parse_math=False)
    ax.set_title(title, parse_math=False)
    if grid:
        ax.grid(alpha=0.3)
    with glyph_warnings_logged():
        use_fonts(fig)
        fig.tight_layout()
    return fig


def coverage_histogram(hexes: pd.DataFrame, title: str | None = None) -> plt.Figure:
    """Histogram of per-hexagon coverage (%), weighted by premises.

    Parameters
    ----------
    hexes : DataFrame
        Needs ``coverage_pct`` (0-100); ``premises`` is used as the weight when present.
    title : str, optional
        Figure title (default: "Fibre coverage by hexagon", translated).

    Returns
    -------
    matplotlib.figure.Figure
    """
    title = tr("Fibre coverage by hexagon") if title is None else title
    df = hexes
    pct = pd.to_numeric(df["coverage_pct"], errors="coerce")
    ok = pct.notna().to_numpy()
    weights = df["premises"].to_numpy(dtype=float)[ok] if "premises" in df else None
    fig, ax = plt.subplots(figsize=(6, 3.4), dpi=100)
    ax.hist(
        pct.to_numpy()[ok],
        bins=np.linspace(0, 100, 11),
        weights=weights,
        color="#1a9641",
        edgecolor="white",
    )
    ax.set_xlim(0, 100)
    ylabel = tr("premises") if weights is not None else tr("hexagons")
    xlabel = tr("coverage of premises in the hexagon (%)")
    return _finish(fig, ax, xlabel, ylabel, title, grid=False)


def cost_curve(curve: pd.DataFrame, title: str | None = None) -> plt.Figure:
    """Step curve of coverage (or premises) reached against cumulative cost.

    Parameters
    ----------
    curve : DataFrame
        Needs ``cost`` (or ``budget``) and ``coverage_pct`` (or ``premises``).
    title : str, optional
        Figure title (default: "Budget mode: coverage per cost", translated).

    Returns
    -------
    matplotlib.figure.Figure
    """
    title = tr("Budget mode: coverage per cost") if title is None else title
    df = curve
    xcol = "cost" if "cost" in df else "budget"
    ycol = "coverage_pct" if "coverage_pct" in df else "premises"
    if xcol not in df or ycol not in df:
        raise ValueError(
            f"cost curve needs columns cost/budget and coverage_pct/premises, "
            f"got {list(df.columns)}"
        )
    df = df.sort_values(xcol)
    fig, ax = plt.subplots(figsize=(6, 3.4), dpi=100)
    ax.step(df[xcol], df[ycol], where="post", color="#377eb8")
    ax.plot(df[xcol], df[ycol], "o", ms=3, color="#377eb8")
    ylabel = tr("coverage (%)") if ycol == "coverage_pct" else tr("premises passed")
    return _finish(fig, ax, tr("cumulative cost"), ylabel, title)


def risk_vs_detour(corridors: pd.DataFrame, title: str | None = None) -> plt.Figure:
    """Scatter of each corridor's ground risk against its detour factor, labelled.

    Parameters
    ----------
    corridors : DataFrame
        Needs ``ground_risk`` and ``detour_factor`` (or ``detour_vs_shortest``);
        ``from_hub``/``to_hub`` label the points.
    title : str, optional
        Figure title (default: "Corridors: ground risk vs detour", translated).

    Returns
    -------
    matplotlib.figure.Figure
    """
    title = tr("Corridors: ground risk vs detour") if title is None else title
    df = corridors
    xcol = "detour_factor" if "detour_factor" in df else "detour_vs_shortest"
    fig, ax = plt.subplots(figsize=(6, 3.4), dpi=100)
    ax.scatter(df[xcol], df["ground_risk"], color="#d7191c", zorder=3)
    if "from_hub" in df and len(df) <= 30:
        for _, r in df.iterrows():
            ax.annotate(
                f"{r['from_hub']}-{r['to_hub']}",
                (r[xcol], r["ground_risk"]),
                fontsize=7,
                xytext=(3, 3),
                textcoords="offset points",
                parse_math=False,  # hub names are data: "St. $x$" must not crash mathtext
            )
    xlabel = tr("detour factor") if xcol == "detour_factor" else tr("detour vs shortest")
    return _finish(fig, ax, xlabel, tr("ground risk (people under corridor)"), title)


def use_fonts(fig: plt.Figure) -> list[str]:
    """Give every text of ``fig`` the font chain its characters need; return the chain.

    DejaVu Sans alone for Latin text; plus a CJK font (see :mod:`planner.render.fonts`) when
    a label, title or annotation (e.g. a Chinese hub name) needs one.
    """
    texts = [t for t in fig.findobj(Text) if t.get_text()]
    chain = font_chain(t.get_text() for t in texts)
    if len(chain) > 1:
        for t in texts:
            t.set_fontfamily(chain)
    return chain


def to_png(fig: plt.Figure) -> bytes:
    """Render a figure to PNG bytes and close it (matplotlib's warnings go to the log)."""
    buf = io.BytesIO()
    try:
        with glyph_warnings_logged():
            use_fonts(fig)
            fig.savefig(buf, format="png")
    finally:
        plt.close(fig)
    return buf.getvalue()
