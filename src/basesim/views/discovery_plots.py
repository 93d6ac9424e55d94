"""Pictures of scenario discovery: a PRIM box's limits and the coverage-density trade-off.

:func:`plot_box_limits` draws a box as the EMA Workbench's ``inspect(style="graph")``
does: one row per restricted input, its whole range over the runs as a grey
bar scaled to [0, 1] and the box's range on it in colour, with the bounds
written at the ends (a yes/no input shows the values the box keeps).
:func:`plot_tradeoff` draws the peeling trajectory, coverage against density,
coloured by the number of restricted inputs, with the chosen box ringed.
"""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from basesim.errors import UsageError
from basesim.views.style import INK, MUTED, OUTCOME_COLOR, axes_or_new, tidy
from basesim.views.sweep_plots import set_titles

__all__ = ["discovery_figure", "plot_box_limits", "plot_tradeoff"]

PERCENT = PercentFormatter(xmax=1.0, decimals=0)


def _num(x: float) -> str:
    return f"{x:.2g}" if abs(x) < 0.1 else f"{x:.2f}" if abs(x) < 10 else f"{x:.3g}"


def plot_box_limits(discovery: Any, *, box: int = 0, ax: Axes | None = None, title: str | None = None,
                    subtitle: str | None = None) -> Axes:
    """The restrictions of one box of a :class:`~basesim.analysis.discovery.Discovery` (``box`` from 0)."""
    if not discovery.boxes:
        raise UsageError(f"plot_box_limits: PRIM found no box that restricts any input for {discovery.label!r}")
    if not 0 <= box < len(discovery.boxes):
        raise UsageError(f"plot_box_limits: box {box} does not exist; there are {len(discovery.boxes)} (0 to "
                         f"{len(discovery.boxes) - 1})")
    found = discovery.boxes[box]
    limits = found.limits
    ax = axes_or_new(ax, (6.4, 1.5 + 0.55 * len(limits)))
    y = np.arange(len(limits))[::-1]
    ax.barh(y, np.ones(len(limits)), left=0.0, height=0.5, color="#e9ecef", gid="box-full-range")
    for pos, row in zip(y, limits.itertuples()):
        if row.kind == "values":
            ax.barh([pos], [1.0], left=0.0, height=0.5, color=OUTCOME_COLOR, alpha=0.85, gid="box-range")
            ax.text(0.5, pos, row.values, ha="center", va="center", fontsize=8, color="white", fontweight="bold")
            continue
        span = (row.full_high - row.full_low) or 1.0
        low, high = (row.low - row.full_low) / span, (row.high - row.full_low) / span
        ax.barh([pos], [max(high - low, 0.004)], left=low, height=0.5, color=OUTCOME_COLOR, alpha=0.85,
                gid="box-range")
        ax.text(low, pos + 0.33, _num(row.low), ha="center", va="bottom", fontsize=7.5, color=INK)
        ax.text(high, pos + 0.33, _num(row.high), ha="center", va="bottom", fontsize=7.5, color=INK)
        ax.text(-0.01, pos, _num(row.full_low), ha="right", va="center", fontsize=7, color=MUTED)
        ax.text(1.01, pos, _num(row.full_high), ha="left", va="center", fontsize=7, color=MUTED)
    labels = ["\n".join(textwrap.wrap(f"{row.label}", 30)) + ("\n(qp < 0.001)" if row.qp < 0.001 else f"\n(qp {row.qp:.2g})") for row in limits.itertuples()]
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlim(-0.12, 1.12)
    ax.set_ylim(-0.7, len(limits) - 0.1)
    ax.set_xticks([])
    ax.set_xlabel("grey: the input's range over all runs; blue: the box", fontsize=8.5, color=MUTED)
    tidy(ax, grid="")
    ax.spines["bottom"].set_visible(False)
    heading = title if title is not None else f"When does \u201c{discovery.label}\u201d happen?"
    line = (f"coverage {found.coverage:.0%} (of the {discovery.cases:,} runs where it holds), density "
            f"{found.density:.0%} (against {discovery.base_density:.0%} in all runs), {found.mass:.0%} of runs")
    set_titles(ax, heading, subtitle if subtitle is not None else line)
    return ax


def plot_tradeoff(discovery: Any, *, ax: Axes | None = None, title: str | None = None) -> Axes:
    """The first box's peeling trajectory: coverage (x) against density (y), by restricted inputs."""
    steps = discovery.trajectory
    if steps is None or steps.empty:
        raise UsageError(f"plot_tradeoff: no peeling trajectory for {discovery.label!r}")
    ax = axes_or_new(ax, (5.0, 4.0))
    points = ax.scatter(steps["coverage"], steps["density"], c=steps["restricted"], cmap="viridis", s=16,
                        gid="trajectory")
    chosen = steps[steps["chosen"]]
    ax.scatter(chosen["coverage"], chosen["density"], s=110, facecolors="none", edgecolors="#e8590c", linewidths=2,
               label="the box chosen (before dropping weak restrictions)", gid="chosen-box")
    ax.axhline(discovery.base_density, color=MUTED, linestyle="--", linewidth=1,
               label=f"share of all runs: {discovery.base_density:.0%}")
    ax.xaxis.set_major_formatter(PERCENT)
    ax.yaxis.set_major_formatter(PERCENT)
    ax.set_xlabel("coverage", fontsize=9, color=INK)
    ax.set_ylabel("density", fontsize=9, color=INK)
    colorbar = ax.figure.colorbar(points, ax=ax, shrink=0.9)
    colorbar.set_label("restricted inputs", fontsize=8.5, color=INK)
    tidy(ax, grid="both")
    ax.legend(frameon=False, fontsize=7.5, loc="upper right")
    set_titles(ax, title if title is not None else "Coverage against density", "PRIM's peeling trajectory")
    return ax


def discovery_figure(discovery: Any) -> Figure:
    """The first box's limits (left) and the peeling trajectory (right)."""
    rows = len(discovery.boxes[0].limits) if discovery.boxes else 1
    figure = Figure(figsize=(12.0, max(4.0, 1.8 + 0.6 * rows)), layout="constrained", dpi=100)
    left, right = figure.subplots(1, 2, gridspec_kw={"width_ratios": [1.5, 1.0]})
    plot_box_limits(discovery, ax=left)
    plot_tradeoff(discovery, ax=right)
    return figure
