"""Pictures of sweeps and sensitivity analyses.

With :mod:`basesim.views.plots`, the only modules that import matplotlib. Every
``plot_*`` function takes data (a sweep's wide table, a table of Sobol'
indices or of a ranking), draws on the ``ax`` it is given (or a new one) and
returns that Axes; it never shows a figure and never changes
``matplotlib.rcParams``. The ``*_figure`` functions build whole figures with
:class:`matplotlib.figure.Figure` directly, for the CLI.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter
from matplotlib.transforms import offset_copy

from basesim.errors import UsageError
from basesim.views.style import INK, MUTED, OUTCOME_COLOR, tidy

__all__ = [
    "is_probability",
    "plot_input_ranking",
    "plot_sobol_indices",
    "plot_sweep_heatmap",
    "plot_sweep_line",
    "sensitivity_figure",
    "sweep_figure",
]

FIRST_COLOR = "#74a9cf"
TOTAL_COLOR = "#034e7b"
NEGATIVE_COLOR = "#e8590c"
#: Light to dark blue, readable in grey scale.
HEAT = LinearSegmentedColormap.from_list("basesim_heat", ["#f7fbff", "#9ecae1", "#2171b5", "#08306b"])


def is_probability(statistic: str) -> bool:
    """True for a sweep statistic that is a probability (``result.``, ``level.``, ``outcome.``)."""
    return statistic.split(".", 1)[0] in ("result", "level", "outcome")


def axes_or_new(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt  # only for interactive use; the CLI passes its own Axes

    _, new = plt.subplots(figsize=figsize, layout="constrained")
    return new


def set_titles(ax: Axes, title: str | None, subtitle: str | None, *, width: int | None = None) -> None:
    """A bold title and a grey subtitle above the axes, wrapped to fit; long paths never squeeze the plot.

    ``width`` is the title's wrap width in characters (default: what the
    Axes' width holds at 11 pt, with room for the layout to come, at most 60; the subtitle gets 1.3 times as many).
    """
    if width is None:
        try:
            inches = ax.get_position().width * ax.figure.get_figwidth()
        except AttributeError:
            inches = 6.0
        width = int(max(24, min(60, inches * 9)))  # before constrained layout shrinks the Axes
    lines = textwrap.wrap(subtitle, int(width * 1.3)) if subtitle else []
    if title:
        title = "\n".join(textwrap.wrap(title, width))
        ax.set_title(title, loc="left", fontsize=11, fontweight="bold", color=INK, pad=8 + 11 * len(lines))
    if lines:
        transform = offset_copy(ax.transAxes, fig=ax.figure, y=5, units="points")
        ax.text(0, 1, "\n".join(lines), transform=transform, ha="left", va="bottom", fontsize=8.5, color=MUTED,
                linespacing=1.2)


def _need(table: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise UsageError(f"{what}: the table has no column {missing[0]!r}; "
                         f"columns are {', '.join(map(str, table.columns[:12]))}{', ...' if len(table.columns) > 12 else ''}")


def _numeric(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


# --- sweeps ---------------------------------------------------------------------------------------


def plot_sweep_line(
    table: pd.DataFrame,
    *,
    parameter: str,
    statistic: str,
    ax: Axes | None = None,
    label: str | None = None,
    legend: str | None = None,
    title: str | None = None,
    subtitle: str | None = None,
    color: str = OUTCOME_COLOR,
    xlabel: str | None = None,
) -> Axes:
    """A statistic against one swept parameter: a line with its 95% interval as a band.

    ``table`` is a sweep's wide table (:attr:`basesim.analysis.sweeps.SweepResult.table`):
    columns ``parameter``, ``statistic``, ``statistic_low``, ``statistic_high``.
    ``label`` names the statistic (y axis, title); ``legend`` names this line
    when several share the Axes (then its band is not listed separately);
    ``xlabel`` names the parameter (default its dotted path).
    Non-numeric parameter values (e.g. protocols) are spaced evenly.
    """
    _need(table, [parameter, statistic, f"{statistic}_low", f"{statistic}_high"], "plot_sweep_line")
    ax = axes_or_new(ax, (6.0, 3.8))
    data = table.sort_values(parameter) if _numeric(table[parameter]) else table
    x = data[parameter].to_numpy(dtype=float) if _numeric(data[parameter]) else np.arange(len(data))
    y = data[statistic].to_numpy(dtype=float)
    ax.fill_between(x, data[f"{statistic}_low"].to_numpy(dtype=float), data[f"{statistic}_high"].to_numpy(dtype=float),
                    color=color, alpha=0.18, linewidth=0, label="95% interval" if legend is None else None)
    ax.plot(x, y, color=color, linewidth=2, marker="o", markersize=4, label=legend or "estimate")
    if not _numeric(data[parameter]):
        ax.set_xticks(x, [_format_value(v) for v in data[parameter]])
    if is_probability(statistic):
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
        low = min(0.0, float(np.nanmin(data[f"{statistic}_low"])))
        high = max(float(np.nanmax(data[f"{statistic}_high"])), 0.05)
        ax.set_ylim(low, min(1.0, high * 1.1) if high < 0.9 else 1.0)
    ax.set_xlabel(xlabel or parameter, fontsize=9, color=INK)
    ax.set_ylabel(label or statistic, fontsize=9, color=INK)
    tidy(ax, grid="both")
    ax.legend(frameon=False, fontsize=8.5, loc="best")
    set_titles(ax, title if title is not None else (label or statistic), subtitle)
    return ax


def plot_sweep_heatmap(
    table: pd.DataFrame,
    *,
    x: str,
    y: str,
    statistic: str,
    ax: Axes | None = None,
    label: str | None = None,
    title: str | None = None,
    subtitle: str | None = None,
    annotate: bool = True,
    xlabel: str | None = None,
    ylabel: str | None = None,
) -> Axes:
    """A statistic over a grid of two swept parameters: one cell per point, its value written in.

    ``table`` is a sweep's wide table with one row per (``x``, ``y``) pair.
    Each cell shows the estimate and, beneath it, the 95% interval's half-width.
    ``xlabel`` / ``ylabel`` name the parameters (default their dotted paths).
    """
    _need(table, [x, y, statistic, f"{statistic}_low", f"{statistic}_high"], "plot_sweep_heatmap")
    if table.duplicated([x, y]).any():
        raise UsageError(f"plot_sweep_heatmap: several points share the same ({x}, {y}); "
                         "a heatmap needs one point per pair (sweep a grid of exactly these two parameters)")
    ax = axes_or_new(ax, (6.4, 4.8))
    estimate = table.pivot(index=y, columns=x, values=statistic)
    half = (table.assign(_half=(table[f"{statistic}_high"] - table[f"{statistic}_low"]) / 2)
            .pivot(index=y, columns=x, values="_half"))
    probability = is_probability(statistic)
    values = estimate.to_numpy(dtype=float)
    image = ax.imshow(values, origin="lower", aspect="auto", cmap=HEAT,
                      vmin=0.0 if probability else np.nanmin(values),
                      vmax=1.0 if probability else np.nanmax(values))
    ax.set_xticks(np.arange(estimate.shape[1]), [_format_value(v) for v in estimate.columns])
    ax.set_yticks(np.arange(estimate.shape[0]), [_format_value(v) for v in estimate.index])
    ax.set_xlabel(xlabel or x, fontsize=9, color=INK)
    ax.set_ylabel(ylabel or y, fontsize=9, color=INK)
    colorbar = ax.figure.colorbar(image, ax=ax, shrink=0.9)
    colorbar.set_label(label or statistic, fontsize=9, color=INK)
    if probability:
        colorbar.ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    if annotate and values.size <= 400:
        low, high = image.get_clim()
        for i in range(values.shape[0]):
            for j in range(values.shape[1]):
                v = values[i, j]
                if np.isnan(v):
                    continue
                dark = (v - low) / ((high - low) or 1.0) > 0.55
                text = f"{100 * v:.0f}%" if probability else f"{v:.3g}"
                h = half.to_numpy(dtype=float)[i, j]
                if not np.isnan(h):
                    text += f"\n±{100 * h:.0f}" if probability else f"\n±{h:.2g}"
                ax.text(j, i, text, ha="center", va="center", fontsize=7.5,
                        color="white" if dark else INK, linespacing=1.1)
    tidy(ax, grid=None)
    set_titles(ax, title if title is not None else (label or statistic), subtitle)
    return ax


def sweep_figure(result: Any, *, statistic: str | None = None) -> Figure:
    """The figure of a sweep (:class:`~basesim.analysis.sweeps.SweepResult`): a line for one
    parameter, a heatmap for two. ``statistic`` defaults to the scenario's first
    named outcome, else the probability of agreement."""
    from basesim.analysis.labels import input_label

    parameters = result.parameters
    names = {p: input_label(result.scenario, p) for p in parameters}
    statistic = statistic or default_statistic(result)
    if statistic not in result.statistics:
        raise UsageError(f"statistic: {statistic!r} is not a statistic of this sweep; expected one of "
                         f"{', '.join(result.statistics)}")
    label = result.label(statistic)
    p = result.provenance
    subtitle = (f"{result.scenario.title or result.scenario.name} \u00b7 {p['runs']:,} runs per point \u00b7 "
                f"seed {p['seed']}" + (" \u00b7 common random numbers" if p["common_random_numbers"] else ""))
    if len(parameters) == 1:
        figure = Figure(figsize=(6.4, 4.0), layout="constrained", dpi=100)
        plot_sweep_line(result.table, parameter=parameters[0], statistic=statistic, label=label,
                        subtitle=subtitle, ax=figure.add_subplot(), xlabel=names[parameters[0]])
        return figure
    if len(parameters) == 2:
        a, b = parameters
        table = result.table
        wide, tall = table[a].nunique(), table[b].nunique()
        figure = Figure(figsize=(max(6.4, 2.6 + 0.75 * wide), max(4.2, 1.9 + 0.5 * tall)),
                        layout="constrained", dpi=100)
        plot_sweep_heatmap(table, x=a, y=b, statistic=statistic, label=label, subtitle=subtitle,
                           ax=figure.add_subplot(), xlabel=names[a], ylabel=names[b])
        return figure
    raise UsageError(f"a sweep figure shows one parameter (a line) or two (a heatmap); this sweep has "
                     f"{len(parameters)}: {', '.join(parameters)}")


def default_statistic(result: Any) -> str:
    """The statistic a sweep figure shows unless told: the first named outcome, else agreement."""
    outcomes = [s for s in result.statistics if s.startswith("outcome.")]
    return outcomes[0] if outcomes else "result.agreement"


# --- sensitivity ---------------------------------------------------------------------------------


def _one_output(table: pd.DataFrame, output: str | None, what: str) -> tuple[str, pd.DataFrame]:
    outputs = list(dict.fromkeys(table["output"]))
    if output is None:
        output = outputs[0]
    if output not in outputs:
        raise UsageError(f"{what}: {output!r} is not an output of the table; expected one of {', '.join(outputs)}")
    return output, table[table["output"] == output].sort_values("rank")


def plot_sobol_indices(
    table: pd.DataFrame,
    *,
    output: str | None = None,
    top: int | None = None,
    ax: Axes | None = None,
    label: str | None = None,
    title: str | None = None,
    subtitle: str | None = None,
    names: Mapping[str, str] | None = None,
    directions: Mapping[str, float] | None = None,
) -> Axes:
    """Horizontal bars of first-order and total Sobol' indices with 95% intervals, most important on top.

    ``table`` is :attr:`basesim.analysis.sobol.SobolIndices.table`; ``output``
    picks one output (default the first); ``top`` keeps the highest-ranked
    factors; ``names`` maps factors to the labels shown (default the dotted
    paths); ``directions`` maps factors to the sign of their effect (e.g. a
    tornado table's swing), shown as an arrow after the label: indices give
    size, not direction.
    """
    _need(table, ["output", "factor", "rank", "first_order", "first_order_low", "first_order_high",
                  "total_order", "total_order_low", "total_order_high"], "plot_sobol_indices")
    output, rows = _one_output(table, output, "plot_sobol_indices")
    if top is not None:
        rows = rows.head(top)
    ax = axes_or_new(ax, (6.0, 1.1 + 0.3 * len(rows)))
    y = np.arange(len(rows))[::-1]
    height = 0.38
    for offset, kind, color, name in ((height / 2, "total_order", TOTAL_COLOR, "total (with interactions)"),
                                      (-height / 2, "first_order", FIRST_COLOR, "first order (alone)")):
        estimate = rows[kind].to_numpy(dtype=float)
        error = np.vstack([np.clip(estimate - rows[f"{kind}_low"], 0, None),
                           np.clip(rows[f"{kind}_high"] - estimate, 0, None)])
        ax.barh(y + offset, estimate, height=height, color=color, label=name)
        ax.errorbar(estimate, y + offset, xerr=error, fmt="none", ecolor=INK, elinewidth=0.9, capsize=2)
    ax.set_yticks(y, [_factor_tick(f, names, directions) for f in rows["factor"]], fontsize=8)
    ax.axvline(0, color="#adb5bd", linewidth=0.8)
    ax.set_xlabel("share of the output's variance", fontsize=9, color=INK)
    ax.set_xlim(min(-0.02, float(rows["first_order_low"].min()) - 0.02),
                max(0.1, float(rows["total_order_high"].max()) * 1.05))
    tidy(ax, grid="x")
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    set_titles(ax, title if title is not None else f"What drives \u201c{label or output}\u201d", subtitle)
    return ax


def _factor_tick(factor: str, names: Mapping[str, str] | None, directions: Mapping[str, float] | None) -> str:
    text = "\n".join(textwrap.wrap(str((names or {}).get(factor, factor)), 34))
    sign = (directions or {}).get(factor)
    if sign is not None and np.isfinite(sign) and sign != 0:
        text += " \u2191" if sign > 0 else " \u2193"
    return text


def plot_input_ranking(
    table: pd.DataFrame,
    *,
    output: str | None = None,
    top: int | None = None,
    ax: Axes | None = None,
    label: str | None = None,
    title: str | None = None,
    subtitle: str | None = None,
    names: Mapping[str, str] | None = None,
) -> Axes:
    """Horizontal bars of the correlation ratio (eta^2) with 95% intervals, most important on top;
    a bar is blue when the input raises the output (Spearman's rho > 0), orange when it lowers it.

    ``table`` is :func:`basesim.analysis.ranking.rank_inputs`' table; ``names``
    maps inputs to the labels shown (default the dotted paths).
    """
    _need(table, ["output", "input", "rank", "correlation_ratio", "correlation_ratio_low",
                  "correlation_ratio_high", "spearman"], "plot_input_ranking")
    output, rows = _one_output(table, output, "plot_input_ranking")
    if top is not None:
        rows = rows.head(top)
    ax = axes_or_new(ax, (6.0, 1.1 + 0.28 * len(rows)))
    y = np.arange(len(rows))[::-1]
    estimate = rows["correlation_ratio"].to_numpy(dtype=float)
    colors = [TOTAL_COLOR if rho >= 0 else NEGATIVE_COLOR for rho in rows["spearman"].fillna(0)]
    error = np.vstack([np.clip(estimate - rows["correlation_ratio_low"], 0, None),
                       np.clip(rows["correlation_ratio_high"] - estimate, 0, None)])
    ax.barh(y, estimate, height=0.6, color=colors)
    ax.errorbar(estimate, y, xerr=error, fmt="none", ecolor=INK, elinewidth=0.9, capsize=2)
    ax.set_yticks(y, [_factor_tick(i, names, None) for i in rows["input"]], fontsize=8)
    ax.axvline(0, color="#adb5bd", linewidth=0.8)
    ax.set_xlabel("correlation ratio \u03b7\u00b2 (share of variance explained alone)", fontsize=9, color=INK)
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color=TOTAL_COLOR, label="raises it"), Patch(color=NEGATIVE_COLOR, label="lowers it")],
              frameon=False, fontsize=8.5, loc="lower right")
    tidy(ax, grid="x")
    set_titles(ax, title if title is not None else f"What drives \u201c{label or output}\u201d", subtitle)
    return ax


def sensitivity_figure(
    table: pd.DataFrame,
    *,
    outputs: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    top: int | None = 8,
    subtitle: str | None = None,
    scenario: Any = None,
    tornado: pd.DataFrame | None = None,
) -> Figure:
    """A compact grid, one panel per output: Sobol' bars (a table of indices) or ranking bars (a ranking table).

    ``labels`` maps outputs to the titles' human names (see
    :func:`basesim.analysis.sensitivity.output_label`); ``scenario`` names the
    inputs in words (:func:`basesim.analysis.labels.input_label`) instead of
    dotted paths; ``tornado`` (:func:`basesim.analysis.tornado.tornado_table`)
    gives each Sobol' factor's direction, an arrow after its name (a ranking
    shows direction by colour).
    """
    sobol = "factor" in table.columns
    available = list(dict.fromkeys(table["output"]))
    outputs = list(outputs) if outputs else available
    per_panel = min(top or 10**6, int(table.groupby("output").size().max()))
    columns = 1 if len(outputs) == 1 else 2
    rows = int(np.ceil(len(outputs) / columns))
    figure = Figure(figsize=(6.0 * columns, (1.3 + 0.36 * per_panel) * rows), layout="constrained", dpi=100)
    names = None
    if scenario is not None:
        from basesim.analysis.labels import input_labels

        names = input_labels(scenario, list(dict.fromkeys(table["factor" if sobol else "input"])), short=True)
    for k, output in enumerate(outputs):
        ax = figure.add_subplot(rows, columns, k + 1)
        if sobol:
            directions = None
            if tornado is not None and not tornado.empty:
                part = tornado[tornado["output"] == output]
                directions = dict(zip(part["input"], part["swing"]))  # a grouped factor has no single direction
                plot_sobol_indices(table, output=output, top=top, ax=ax, label=(labels or {}).get(output),
                                   subtitle=subtitle if k == 0 else None, names=names, directions=directions)
            else:
                plot_sobol_indices(table, output=output, top=top, ax=ax, label=(labels or {}).get(output),
                                   subtitle=subtitle if k == 0 else None, names=names)
        else:
            plot_input_ranking(table, output=output, top=top, ax=ax, label=(labels or {}).get(output),
                               subtitle=subtitle if k == 0 else None, names=names)
    from basesim.views.layout import legends_below

    for ax in figure.axes[1:]:  # one legend for the grid, below it
        if ax.get_legend() is not None:
            ax.get_legend().remove()
    first = figure.axes[0]
    if sobol and tornado is not None and not tornado.empty and first.get_legend() is not None:
        from matplotlib.lines import Line2D

        handles = list(first.get_legend().legend_handles)
        labels_shown = [t.get_text() for t in first.get_legend().get_texts()]
        handles.append(Line2D([], [], linestyle=""))
        labels_shown.append("\u2191 / \u2193 after a name: a high value raises / lowers the chance")
        first.legend(handles, labels_shown, frameon=False, ncol=3)
    legends_below(figure, axes=[first], ncol=3)
    return figure
