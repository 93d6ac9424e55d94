"""The most likely deals: the top agreed packages with intervals, and deals clustered by two issues' levels.

Draws :func:`basesim.analysis.packages.deal_packages` (horizontal bars of each
package's chance over all runs, 95% Wilson whiskers) and
:func:`basesim.analysis.packages.deal_clusters` (a heatmap of the share of
deals at each combination of two issues' levels, with its interval's
half-width), and the two side by side as one figure.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from basesim.analysis.packages import deal_clusters, deal_packages
from basesim.errors import UsageError
from basesim.views.style import (
    ERRBAR,
    INK,
    PERCENT,
    RESULT_COLORS,
    axes_or_new,
    error_bars,
    percent,
    tidy,
)
from basesim.views.sweep_plots import HEAT, set_titles

__all__ = ["packages_figure", "plot_deal_clusters", "plot_deal_packages"]


def plot_deal_packages(packages: pd.DataFrame, *, issues: Sequence[str] | None = None, ax: Axes | None = None,
                       title: str | None = None, subtitle: str | None = None) -> Axes:
    """Bars of the top agreed packages' chances over all runs, with 95% intervals, the likeliest on top.

    ``packages`` is :func:`~basesim.analysis.packages.deal_packages`'s table;
    ``issues`` names the issue columns (default: those between ``package``
    and ``count``). Each bar is labelled with its levels, one issue a line
    when they are long.
    """
    if "package" not in packages.columns or "estimate" not in packages.columns:
        raise UsageError("plot_deal_packages: give the table of basesim.analysis.packages.deal_packages")
    columns = list(packages.columns)
    issues = list(issues) if issues is not None else columns[columns.index("package") + 1:columns.index("count")]
    ax = axes_or_new(ax, (6.4, 1.2 + 0.45 * max(len(packages), 1)))
    y = np.arange(len(packages))[::-1]
    ax.barh(y, packages["estimate"], height=0.62, color=RESULT_COLORS["agreement"], xerr=error_bars(packages),
            error_kw=ERRBAR, gid="packages")
    fine = float(np.nanmax(packages["high"].to_numpy(float), initial=0.0)) < 0.1
    for pos, value, high in zip(y, packages["estimate"], packages["high"]):
        ax.annotate(f"{100 * value:.1f}%" if fine else percent(value), (high, pos), xytext=(3, 0),
                    textcoords="offset points", va="center", fontsize=7.5, color=INK)
    ax.set_yticks(y, [_package_label([str(row[i]) for i in issues]) for _, row in packages.iterrows()], fontsize=8)
    ax.xaxis.set_major_formatter(PERCENT if float(np.nanmax(packages["high"].to_numpy(float), initial=0.0)) >= 0.05 else
                                 _fine_percent())
    ax.set_xlim(0, max(0.01, float(np.nanmax(packages["high"].to_numpy(float), initial=0.0))) * 1.25)
    ax.set_xlabel("chance over all runs", fontsize=9, color=INK)
    tidy(ax, grid="x")
    set_titles(ax, title if title is not None else "The most likely deal packages", subtitle)
    return ax


def _package_label(levels: list[str], width: int = 36) -> str:
    """Levels joined by `` · ``, broken between levels (never inside one) when longer than ``width``."""
    lines, line = [], ""
    for level in levels:
        candidate = f"{line} \u00b7 {level}" if line else level
        if line and len(candidate) > width:
            lines.append(line + " \u00b7")
            line = level
        else:
            line = candidate
    return "\n".join([*lines, line])


def _fine_percent() -> Any:
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(xmax=1.0, decimals=1)


def plot_deal_clusters(clusters: pd.DataFrame, *, by: Sequence[str] | None = None,
                       labels: Sequence[str] | None = None, ax: Axes | None = None, title: str | None = None,
                       subtitle: str | None = None) -> Axes:
    """A heatmap of the share of deals at each combination of two issues' levels (or bars for one issue).

    ``clusters`` is :func:`~basesim.analysis.packages.deal_clusters`' table;
    ``by`` its issue columns (default: the columns before ``count``);
    ``labels`` the axis names (default: the issue names). Each cell shows the
    share of deals and, beneath it, the 95% interval's half-width in points.
    """
    columns = list(clusters.columns)
    if "count" not in columns or "share" not in columns:
        raise UsageError("plot_deal_clusters: give the table of basesim.analysis.packages.deal_clusters")
    by = list(by) if by is not None else columns[:columns.index("count")]
    labels = list(labels) if labels is not None else by
    if len(by) == 1:
        ax = axes_or_new(ax, (6.0, 3.6))
        x = np.arange(len(clusters))
        ax.bar(x, clusters["share"], color=RESULT_COLORS["agreement"], yerr=error_bars(
            clusters.rename(columns={"share": "estimate", "share_low": "low", "share_high": "high"})),
            error_kw=ERRBAR, gid="clusters")
        ax.set_xticks(x, [str(v) for v in clusters[by[0]]])
        ax.yaxis.set_major_formatter(PERCENT)
        ax.set_xlabel(labels[0], fontsize=9, color=INK)
        ax.set_ylabel("share of deals", fontsize=9, color=INK)
        tidy(ax)
        set_titles(ax, title if title is not None else f"Deals by {labels[0]}", subtitle)
        return ax
    first, second = by
    ax = axes_or_new(ax, (6.0, 4.8))
    rows = list(clusters[second].cat.categories) if hasattr(clusters[second], "cat") else \
        list(dict.fromkeys(clusters[second]))
    cols = list(clusters[first].cat.categories) if hasattr(clusters[first], "cat") else \
        list(dict.fromkeys(clusters[first]))
    share = clusters.pivot_table(index=second, columns=first, values="share", observed=False, sort=False) \
        .reindex(index=rows, columns=cols)
    half = (clusters.assign(_half=(clusters["share_high"] - clusters["share_low"]) / 2)
            .pivot_table(index=second, columns=first, values="_half", observed=False, sort=False)
            .reindex(index=rows, columns=cols))
    values = share.to_numpy(dtype=float)
    top = float(np.nanmax(values, initial=0.0)) or 1.0
    image = ax.imshow(values, origin="lower", aspect="auto", cmap=HEAT, vmin=0.0, vmax=top)
    ax.set_xticks(np.arange(len(cols)), ["\n".join(textwrap.wrap(str(c), 12)) for c in cols], fontsize=8)
    ax.set_yticks(np.arange(len(rows)), [str(r) for r in rows], fontsize=8)
    ax.set_xlabel(labels[0], fontsize=9, color=INK)
    ax.set_ylabel(labels[1], fontsize=9, color=INK)
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            v = values[i, j]
            if np.isnan(v):
                continue
            h = half.to_numpy(dtype=float)[i, j]
            ax.text(j, i, f"{100 * v:.0f}%\n\u00b1{100 * h:.0f}", ha="center", va="center", fontsize=7.5,
                    color="white" if v / top > 0.55 else INK, linespacing=1.1)
    colorbar = ax.figure.colorbar(image, ax=ax, shrink=0.9)
    colorbar.set_label("share of deals", fontsize=9, color=INK)
    colorbar.ax.yaxis.set_major_formatter(PERCENT)
    tidy(ax, grid=None)
    set_titles(ax, title if title is not None else f"Deals by {labels[0]} and {labels[1]}", subtitle)
    return ax


def packages_figure(result: Any, *, top: int = 10, by: Sequence[str] | None = None) -> Figure:
    """The top ``top`` agreed packages (left) and the deals clustered by two issues (right) of a run."""
    scenario = result.scenario
    packages = deal_packages(result, top=top)
    if packages.empty:
        raise UsageError("packages: no run of this result ended in agreement; there are no deals to show")
    clusters = deal_clusters(result, by=by)
    by = list(clusters.columns[:list(clusters.columns).index("count")])
    deals, runs = int(packages["deals"].iloc[0]), int(packages["runs"].iloc[0])
    distinct = len(deal_packages(result, top=None))
    figure = Figure(figsize=(13.0, max(4.8, 1.4 + 0.42 * len(packages))), layout="constrained", dpi=100)
    left, right = figure.subplots(1, 2, gridspec_kw={"width_ratios": [1.15, 1.0]})
    order = " \u00b7 ".join(scenario.display(i) for i in scenario.issue_names)
    plot_deal_packages(packages, issues=scenario.issue_names, ax=left,
                       subtitle=f"{deals:,} deals in {runs:,} runs, spread over {distinct:,} packages \u00b7 "
                                f"levels: {order} \u00b7 whiskers: 95% intervals")
    plot_deal_clusters(clusters, by=by, labels=[scenario.display(i) for i in by], ax=right,
                       subtitle="share of deals in each cluster \u00b7 \u00b1: half-width of the 95% interval, points")
    return figure
