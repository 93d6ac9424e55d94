"""What ``basesim run`` adds for the ``expected_utility`` protocol: each issue's two forecasts.

The capability x salience weighted mean and the pairwise-vote winner
(Bueno de Mesquita 1994; Scholz, Calbert and Smith 2011), from the initial
positions and after each world's last round, over the run's worlds
(:func:`basesim.model.expected_utility_forecast.summarise_forecasts`), in the
issue's amounts where it has them. On ``scenarios/ec_example.yaml`` the
first are the published invariants: weighted mean 7.390, pairwise winner 7.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.table import Table

from basesim.cli.app import say, show

if TYPE_CHECKING:
    import pandas as pd

    from basesim.montecarlo.results import RunResult

__all__ = ["forecast_table", "format_forecast", "show_forecasts"]

PROTOCOL = "expected_utility"


def format_forecast(row: Any) -> str:
    """One forecast as text: ``7.390``; ``7`` for a whole number; ``median (p05-p95)`` when worlds differ;
    with the amounts' unit, or (on a value scale without amounts) the nearest level's label before it."""
    median, low, high, unit, level = (row[key] for key in ("median", "p05", "p95", "unit", "level"))
    if row["runs"] == 0 or math.isnan(median):
        return "-"

    def number(x: float) -> str:
        return f"{x:.0f}" if abs(x - round(x)) < 5e-10 else f"{x:.3f}"

    amounts = isinstance(unit, str)  # an issue with amounts has a unit ("" without one); pandas keeps None as NaN
    text = number(median) + (f" {unit}" if amounts and unit else "")
    if high - low > 5e-10:
        text += f" ({number(low)}-{number(high)})"
    if not amounts and isinstance(level, str):
        text = f"{level}: {text}"
    return text


def forecast_table(summary: pd.DataFrame, scenario: Any, *, title: str) -> Table:
    """The rich table of :func:`~basesim.model.expected_utility_forecast.summarise_forecasts`:
    per issue, its weighted mean and pairwise winner from the initial positions and after the last round."""
    table = Table(title=title, title_justify="left", pad_edge=False,
                  caption="median (5%-95% of the worlds) where they differ; the issue's amounts, or its value "
                          "scale [0, 1] with the nearest level", caption_justify="left")
    table.add_column("", ratio=1, min_width=16)
    table.add_column("initial positions", justify="right")
    table.add_column("after the last round", justify="right")
    for index, name in enumerate(scenario.issue_names):
        if index:
            table.add_section()
        table.add_row(f"[bold]{escape(scenario.display(name))}[/]", "", "")
        rows = summary[summary["issue"] == name].set_index(["forecast", "when"])
        for forecast in ("weighted mean", "pairwise winner"):
            table.add_row(f"  {forecast}", *(escape(format_forecast(rows.loc[(forecast, when)]))
                                             for when in ("inputs", "end")))
    return table


def show_forecasts(result: RunResult) -> list[dict[str, Any]] | None:
    """Print an ``expected_utility`` run's forecasts; return them as records (for ``--json``), None without a table."""
    from basesim.cli.options import records
    from basesim.model.expected_utility_forecast import summarise_forecasts

    if result.table is None:
        say("Expected-utility forecasts: not kept by a --summary-only run (the runs table holds them).")
        return None
    summary = summarise_forecasts(result.table, result.scenario)
    title = "Expected-utility forecasts: capability x salience weighted mean and pairwise-vote winner"
    show(forecast_table(summary, result.scenario, title=title))
    return records(summary)
