"""How a run's summary and a run result show themselves: a one-line repr and a small HTML card.

:class:`~basesim.montecarlo.summary.Summary` and
:class:`~basesim.montecarlo.results.RunResult` delegate ``__repr__`` /
``_repr_html_`` here. The card holds the probabilities a reader wants first:
how the talks end and each named outcome, with 95% intervals.
"""

from __future__ import annotations

from typing import Any

from basesim.scenario.display import html_card, html_table, percent, plural


__all__ = ["run_result_html", "summary_html", "summary_repr"]


def _headline(summary: Any) -> list[tuple[str, str, str, str]]:
    """(what, estimate, 95% interval, count) of every result and named outcome."""
    table = summary.table
    rows = table[table["kind"].isin(["result", "outcome"])]
    return [(str(row.label if row.kind == "outcome" else row.value), percent(row.estimate),
             f"{percent(row.low)} - {percent(row.high)}", f"{int(row.count):,}")
            for row in rows.itertuples()]


def summary_repr(summary: Any) -> str:
    """One line: ``Summary('baseline', 10,000 runs: agreement 59.4% [58.4%, 60.3%], ...)``."""
    table = summary.table
    results = table[table["kind"] == "result"]
    parts = [f"{row.value} {percent(row.estimate)} [{percent(row.low)}, {percent(row.high)}]"
             for row in results.itertuples()]
    outcomes = int((table["kind"] == "outcome").sum())
    tail = f"; {plural(outcomes, 'named outcome')}" if outcomes else ""
    return f"Summary({summary.scenario.name!r}, {summary.runs:,} runs: {', '.join(parts)}{tail})"


def _table(summary: Any) -> str:
    return html_table(["", "estimate", "95% interval", "count"], _headline(summary), right=(1, 2, 3))


def summary_html(summary: Any) -> str:
    scenario = summary.scenario
    return html_card("Summary", scenario.title or scenario.name or "",
                     f"{summary.runs:,} runs; Wilson 95% intervals (summary.table has every statistic)",
                     _table(summary))


def run_result_html(result: Any) -> str:
    scenario = result.scenario
    p = result.provenance
    kept = ("summary only" if result.table is None
            else f"table of {len(result.table):,} rows (result.inputs, result.outcomes)")
    subtitle = f"{result.runs:,} runs, protocol {p.get('protocol')}, seed {p.get('seed')}; {kept}"
    return html_card("RunResult", scenario.title or scenario.name or "", subtitle, _table(result.summary))
