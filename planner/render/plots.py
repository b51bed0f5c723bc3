"""Matplotlib figures for the report: hex coverage histogram, cost curve, corridor risk."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # headless: the report never needs a display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

__all__ = ["cost_curve", "coverage_histogram", "risk_vs_detour", "to_png"]


def _finish(
    fig: plt.Figure, ax: plt.Axes, xlabel: str, ylabel: str, title: str, grid: bool = True
) -> plt.Figure:
    """Label the axes and title as plain text (no mathtext: names come from data), lay out."""
    ax.set_xlabel(xlabel, parse_math=False)
    ax.set_ylabel(ylabel, parse_math=False)
    ax.set_title(title, parse_math=False)
    if grid:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def coverage_histogram(hexes: pd.DataFrame, title: str = "Fibre coverage by hexagon") -> plt.Figure:
    """Histogram of per-hexagon coverage (%), weighted by premises.

    Parameters
    ----------
    hexes : DataFrame
        Needs ``coverage_pct`` (0-100); ``premises`` is used as the weight when present.
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
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
    ylabel = "premises" if weights is not None else "hexagons"
    return _finish(fig, ax, "coverage of premises in the hexagon (%)", ylabel, title, grid=False)


def cost_curve(curve: pd.DataFrame, title: str = "Budget mode: coverage per cost") -> plt.Figure:
    """Step curve of coverage (or premises) reached against cumulative cost.

    Parameters
    ----------
    curve : DataFrame
        Needs ``cost`` (or ``budget``) and ``coverage_pct`` (or ``premises``).
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
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
    ylabel = "coverage (%)" if ycol == "coverage_pct" else "premises passed"
    return _finish(fig, ax, "cumulative cost", ylabel, title)


def risk_vs_detour(
    corridors: pd.DataFrame, title: str = "Corridors: ground risk vs detour"
) -> plt.Figure:
    """Scatter of each corridor's ground risk against its detour factor, labelled.

    Parameters
    ----------
    corridors : DataFrame
        Needs ``ground_risk`` and ``detour_factor`` (or ``detour_vs_shortest``);
        ``from_hub``/``to_hub`` label the points.
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
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
    return _finish(fig, ax, xcol.replace("_", " "), "ground risk (people under corridor)", title)


def to_png(fig: plt.Figure) -> bytes:
    """Render a figure to PNG bytes and close it."""
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png")
    finally:
        plt.close(fig)
    return buf.getvalue()
