"""Figures of forecasts: the theories' spread next to their Monte Carlo intervals, and reliability diagrams."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from basesim.views.style import ERRBAR, INK, MUTED, PERCENT, VARIANT_PALETTE, axes_or_new, set_titles, tidy

__all__ = ["ensemble_figure", "forecasts_in", "plot_ensemble", "plot_reliability", "reliability_figure"]

POOL_COLOR = "#212529"


def _colors(names: Sequence[str]) -> dict[str, str]:
    return {name: VARIANT_PALETTE[j % len(VARIANT_PALETTE)] for j, name in enumerate(names)}


def plot_ensemble(forecasts: pd.DataFrame, pooled: pd.DataFrame, *, labels: dict[str, str] | None = None,
                  subtitle: str = "", titles: bool = True, ax: Axes | None = None) -> Axes:
    """Each theory's forecast with its 95% Monte Carlo interval, the range between theories, and the pool.

    ``forecasts``: long, ``question``, ``forecaster``, ``probability`` and
    optionally ``low``, ``high``; ``pooled``: :func:`basesim.analysis.ensembles.pool_forecasts`.
    """
    questions = list(dict.fromkeys(pooled["question"]))
    forecasters = list(dict.fromkeys(forecasts["forecaster"]))
    ax = axes_or_new(ax, (7.5, 1.0 + 0.55 * len(questions)))
    colors = _colors(forecasters)
    y = {q: j for j, q in enumerate(questions)}
    band = 0.6
    for _, row in pooled.iterrows():
        j = y[row["question"]]
        ax.barh(j, row["highest"] - row["lowest"], left=row["lowest"], height=band, color="#e9ecef",
                gid="theory-range")
    offsets = np.linspace(-band / 3, band / 3, len(forecasters)) if len(forecasters) > 1 else [0.0]
    for offset, name in zip(offsets, forecasters):
        rows = forecasts[forecasts["forecaster"] == name]
        ys = np.array([y[q] for q in rows["question"]]) + offset
        p = rows["probability"].to_numpy(float)
        if {"low", "high"} <= set(rows.columns):
            err = np.vstack([np.clip(p - rows["low"].to_numpy(float), 0, None),
                             np.clip(rows["high"].to_numpy(float) - p, 0, None)])
        else:
            err = None
        ax.errorbar(p, ys, xerr=err, fmt="o", color=colors[name], ms=5, label=name, **{**ERRBAR, "ecolor": colors[name]})
    ax.scatter(pooled["probability"], [y[q] for q in pooled["question"]], marker="D", s=46, color=POOL_COLOR,
               zorder=5, label="pooled", gid="pooled")
    if "outcome" in pooled:
        for _, row in pooled.dropna(subset=["outcome"]).iterrows():
            ax.annotate("resolved yes" if row["outcome"] else "resolved no", (1.0, y[row["question"]]),
                        xytext=(6, 0), textcoords="offset points", va="center", fontsize=8, color=MUTED)
    ax.set_yticks(range(len(questions)), [(labels or {}).get(q, q) for q in questions])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(PERCENT)
    ax.set_xlabel("chance", color=INK)
    tidy(ax, grid="x")
    ax.legend(frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12),
              ncol=min(4, len(forecasters) + 1))
    if titles:
        set_titles(ax, "Forecasts by theory, and pooled",
                   subtitle or "whiskers: 95% Monte Carlo intervals · grey: range between theories")
    return ax


def ensemble_figure(forecasts: pd.DataFrame, pooled: pd.DataFrame, *, labels: dict[str, str] | None = None,
                    subtitle: str = "") -> Figure:
    questions = pooled["question"].nunique()
    figure = Figure(figsize=(8.5, 1.6 + 0.5 * questions), layout="constrained", dpi=100)
    plot_ensemble(forecasts, pooled, labels=labels, titles=False, ax=figure.add_subplot())
    figure.suptitle("Forecasts by theory, and pooled", x=0.01, ha="left", fontsize=11, fontweight="bold", color=INK)
    figure.supxlabel(subtitle or "whiskers: 95% Monte Carlo intervals · grey: range between theories", fontsize=8,
                     color=MUTED)
    return figure


def plot_reliability(table: pd.DataFrame, forecaster: str, *, color: str = VARIANT_PALETTE[0], subtitle: str = "",
                     ax: Axes | None = None) -> Axes:
    """Reliability diagram of one forecaster: mean forecast against the share resolved true, per bin.

    ``table``: :func:`basesim.analysis.scoring.reliability_table`. Points on
    the diagonal are calibrated; a point's area grows with its bin's
    questions (the number beside it); whiskers are Wilson 95% intervals,
    wide when a bin holds few questions, which is the usual case.
    """
    ax = axes_or_new(ax, (4.0, 4.0))
    rows = table[table["forecaster"] == forecaster]
    ax.plot([0, 1], [0, 1], color=MUTED, lw=1, ls="--")
    err = np.vstack([np.clip(rows["observed"] - rows["low"], 0, None), np.clip(rows["high"] - rows["observed"], 0, None)])
    ax.errorbar(rows["forecast"], rows["observed"], yerr=err, fmt="none", **{**ERRBAR, "ecolor": color})
    ax.scatter(rows["forecast"], rows["observed"], s=18 + 14 * rows["questions"], color=color, zorder=3,
               gid="reliability-points")
    for _, row in rows.iterrows():
        ax.annotate(f"{row['questions']}", (row["forecast"], row["observed"]), xytext=(6, 4),
                    textcoords="offset points", fontsize=7.5, color=INK)
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_aspect("equal")
    ax.xaxis.set_major_formatter(PERCENT)
    ax.yaxis.set_major_formatter(PERCENT)
    ax.set_xlabel("forecast (bin mean)", color=INK, fontsize=8.5)
    ax.set_ylabel("resolved true", color=INK, fontsize=8.5)
    tidy(ax, grid="both")
    ax.set_title(forecaster, loc="left", fontsize=10, fontweight="bold", color=INK)
    if subtitle:
        set_titles(ax, forecaster, subtitle)
    return ax


def reliability_figure(table: pd.DataFrame, *, forecasters: Sequence[str] | None = None, subtitle: str = "") -> Figure:
    """One reliability diagram per forecaster (default: every one in ``table``), side by side."""
    names = list(dict.fromkeys(table["forecaster"])) if forecasters is None else list(forecasts_in(table, forecasters))
    columns = min(4, max(len(names), 1))
    rows = int(np.ceil(max(len(names), 1) / columns))
    figure = Figure(figsize=(3.2 * columns, 3.3 * rows + 0.8), layout="constrained", dpi=100)
    axes = figure.subplots(rows, columns, squeeze=False)
    colors = _colors(names)
    for ax, name in zip(axes.flat, names):
        plot_reliability(table, name, color=colors[name], ax=ax)
    for ax in list(axes.flat)[len(names):]:
        ax.set_visible(False)
    figure.suptitle("Reliability: forecast against what happened", x=0.01, ha="left", fontsize=11,
                    fontweight="bold", color=INK)
    if subtitle:
        figure.supxlabel(subtitle + " · whiskers: 95% intervals · numbers: questions per bin", fontsize=8,
                         color=MUTED)
    return figure


def forecasts_in(table: pd.DataFrame, forecasters: Sequence[str]) -> list[str]:
    present = set(table["forecaster"])
    return [f for f in forecasters if f in present]
