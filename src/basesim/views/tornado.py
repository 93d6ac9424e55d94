"""The tornado chart: how far learning each input moves an outcome, in percentage points.

Draws :func:`basesim.analysis.tornado.tornado_table`: one row per input,
largest swing on top; a light bar from the overall chance to the chance among
the runs where the input was low, a dark bar to the chance where it was high,
each end with its 95% interval. The bars' side gives the direction, their
length the size.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from basesim.errors import UsageError
from basesim.views.layout import legends_below
from basesim.views.style import INK, axes_or_new, tidy
from basesim.views.sweep_plots import set_titles

__all__ = ["HIGH_COLOR", "LOW_COLOR", "plot_tornado", "tornado_figure"]

#: Colours of the low-input and high-input bars (light and dark blue: readable in grey scale).
LOW_COLOR = "#9ecae1"
HIGH_COLOR = "#08519c"


def _value(x: float) -> str:
    if float(x).is_integer() or abs(x) >= 10:
        return f"{x:.0f}"
    if abs(x) >= 1:
        return f"{x:.1f}"
    return f"{x:.2g}" if abs(x) < 0.1 else f"{x:.2f}"


def _bounds(row: pd.Series) -> str:
    low, high = float(row["low_value"]), float(row["high_value"])
    if {low, high} <= {0.0, 1.0} and str(row["input"]).endswith(".occurs"):
        return "no \u2192 yes"
    return f"\u2264 {_value(low)} vs \u2265 {_value(high)}"


def plot_tornado(table: pd.DataFrame, *, output: str | None = None, top: int | None = 8, ax: Axes | None = None,
                 label: str | None = None, title: str | None = None, subtitle: str | None = None,
                 percent: bool = True) -> Axes:
    """One output's tornado chart from a tornado table; returns the Axes.

    ``output`` picks the output (default the first); ``top`` keeps the inputs
    with the largest swings; ``percent`` shows a probability's changes in
    percentage points (else in the output's own units).
    """
    needed = ["output", "input", "label", "low_estimate", "low_low", "low_high", "high_estimate", "high_low",
              "high_high", "overall", "rank"]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise UsageError(f"plot_tornado: the table has no column {missing[0]!r}; give a tornado table "
                         "(basesim.analysis.tornado.tornado_table)")
    outputs = list(dict.fromkeys(table["output"]))
    if not outputs:
        raise UsageError("plot_tornado: the tornado table is empty (no input varies)")
    output = outputs[0] if output is None else output
    if output not in outputs:
        raise UsageError(f"plot_tornado: {output!r} is not an output of the table; expected one of {', '.join(outputs)}")
    rows = table[table["output"] == output].sort_values("rank")
    if top is not None:
        rows = rows.head(top)
    ax = axes_or_new(ax, (6.4, 1.3 + 0.5 * len(rows)))
    scale = 100.0 if percent else 1.0
    overall = float(rows["overall"].iloc[0])
    y = np.arange(len(rows))[::-1].astype(float)
    height = 0.36
    for offset, side, color, name in ((height / 2, "low", LOW_COLOR, "runs where the input was low"),
                                      (-height / 2, "high", HIGH_COLOR, "runs where it was high")):
        delta = (rows[f"{side}_estimate"].to_numpy(float) - overall) * scale
        low = (rows[f"{side}_low"].to_numpy(float) - overall) * scale
        high = (rows[f"{side}_high"].to_numpy(float) - overall) * scale
        ax.barh(y + offset, delta, height=height, color=color, label=name, gid=f"tornado-{side}")
        ax.errorbar(delta, y + offset, xerr=np.vstack([np.clip(delta - low, 0, None), np.clip(high - delta, 0, None)]),
                    fmt="none", ecolor=INK, elinewidth=0.8, capsize=2)
    ax.axvline(0, color=INK, linewidth=1.0)
    ticks = ["\n".join(textwrap.wrap(str(r.label), 34)) + f"\n({_bounds(r)})" for _, r in rows.iterrows()]
    ax.set_yticks(y, ticks, fontsize=8)
    if percent:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:+.0f}" if v else "0"))
        ax.set_xlabel(f"change in chance, percentage points (overall {100 * overall:.0f}%)", fontsize=9, color=INK)
    else:
        ax.set_xlabel(f"change from the overall mean {overall:.3g}", fontsize=9, color=INK)
    extent = np.nanmax(np.abs(np.concatenate([(rows[c].to_numpy(float) - overall) * scale
                                              for c in ("low_low", "low_high", "high_low", "high_high")])),
                       initial=1.0)
    ax.set_xlim(-extent * 1.1, extent * 1.1)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    tidy(ax, grid="x")
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    shown = label or output
    set_titles(ax, title if title is not None else f"What moves \u201c{shown}\u201d", subtitle)
    return ax


def tornado_figure(table: pd.DataFrame, *, outputs: Sequence[str] | None = None,
                   labels: Mapping[str, str] | None = None, top: int | None = 8,
                   subtitle: str | None = None, columns: int = 2) -> Figure:
    """A compact grid of tornado charts, one panel per output (``columns`` wide)."""
    available = list(dict.fromkeys(table["output"]))
    outputs = list(outputs) if outputs else available
    if not outputs:
        raise UsageError("tornado_figure: the tornado table is empty (no input varies)")
    per_panel = int(min(top or 10**6, table.groupby("output").size().max()))
    columns = 1 if len(outputs) == 1 else max(1, min(columns, len(outputs)))
    rows = int(np.ceil(len(outputs) / columns))
    figure = Figure(figsize=(6.0 * columns, (1.6 + 0.5 * per_panel) * rows), layout="constrained", dpi=100)
    for k, output in enumerate(outputs):
        ax = figure.add_subplot(rows, columns, k + 1)
        plot_tornado(table, output=output, top=top, ax=ax, label=(labels or {}).get(output),
                     subtitle=subtitle if k == 0 else None)
        if k:
            ax.get_legend().remove()
    legends_below(figure, axes=[figure.axes[0]])
    return figure


def write_sensitivity_extras(folder: Any, scenario: Any, *, outputs: Sequence[str], sobol: Any = None,
                             run: Any = None) -> tuple[pd.DataFrame | None, list[Any]]:
    """What ``basesim sensitivity`` adds to its folder for reports: ``scenario.resolved.yaml``, and the tornado
    chart (``tornado.csv``, ``tornado.png``) from the Sobol' sample (``sobol``) or the plain run (``run``).

    No model is run. Returns the tornado table (None when there is nothing to
    draw it from) and the paths written.
    """
    from pathlib import Path

    from basesim.analysis.sensitivity import output_label
    from basesim.analysis.tornado import run_tornado, sobol_tornado
    from basesim.montecarlo.results import atomic_write
    from basesim.scenario.loader import dump_scenario
    from basesim.views.figures import save_figure

    folder = Path(folder)
    written = [folder / "scenario.resolved.yaml"]
    with atomic_write(written[0]) as f:
        f.write(dump_scenario(scenario))
    table = None
    if sobol is not None:
        table = sobol_tornado(sobol, scenario)
    elif run is not None and getattr(run, "table", None) is not None:
        table = run_tornado(run, outputs=outputs)
    if table is None or table.empty:
        return None, written
    with atomic_write(folder / "tornado.csv") as f:
        table.to_csv(f, index=False)
    written.append(folder / "tornado.csv")
    labels = {output: output_label(scenario, output) for output in table["output"].unique()}
    title = scenario.title or scenario.name
    written.append(save_figure(tornado_figure(table, labels=labels, top=6, subtitle=title), folder / "tornado.png"))
    return table, written
