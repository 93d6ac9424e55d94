"""What the live page computes for a what-if: a fresh Monte Carlo run, its numbers, its figures, one negotiation.

Every update plays the same worlds as the scenario as written (the same
``seed`` and ``runs``, so replicate ``k`` draws the same random numbers:
common random numbers), and the change from the scenario is estimated pair by
pair with Newcombe's paired interval (:func:`basesim.analysis.differences.scenario_differences`),
so a moved slider shows its effect and not noise.

A run is stopped between batches when ``should_stop()`` says it has been
superseded (the page asked for a newer one): :class:`Superseded` is raised
out of the runner's progress callback, and no stale result is shown. Only
one update computes at a time in the process (:data:`COMPUTE_LOCK`), so stale
runs never compete for the cores with the current one.

The run itself plays in the page's process (``workers=1``: a 10,000-run
baseline takes about 0.2 s, less than starting workers would). Drawing the
figures takes longer than the run (about 0.65 s for the four, most of it
matplotlib laying out text), so :class:`FigurePool` draws them in two forked
processes from the run's :class:`~basesim.montecarlo.summary.Summary` (a few
kilobytes to send), two at a time on two cores, the states over time first;
without a pool they are drawn in the calling thread.

No web code here: :mod:`basesim.views.live` shows what these functions return.
"""

from __future__ import annotations

import concurrent.futures as cf
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from basesim.analysis.differences import scenario_differences
from basesim.montecarlo.results import RunResult
from basesim.montecarlo.runner import process_pool, run
from basesim.montecarlo.summary import Summary
from basesim.scenario.schema import Scenario
from basesim.views import plot_data as pdata
from basesim.views.figures import figure_bytes, levels_figure, outcomes_figure, results_figure, timing_figure
from basesim.views.layout import legends_below
from basesim.views.negotiation_plots import plot_settlement, plot_targets, plot_utility_plane

__all__ = ["COMPUTE_LOCK", "FIGURES", "FigurePool", "Superseded", "Update", "negotiation_png", "numbers", "play",
           "render_figures"]

#: One update computes at a time in this process (a stale one waits, then finds it is stale and stops).
COMPUTE_LOCK = threading.Lock()
#: The page's figures of a run, in the order they are drawn: name -> (builder, title).
FIGURES: dict[str, tuple[Callable[[RunResult], Any], str]] = {
    "timing": (timing_figure, "The three states over calendar time"),
    "results": (results_figure, "How the talks stand at the end of the forecast"),
    "outcomes": (outcomes_figure, "The named outcomes"),
    "levels": (levels_figure, "Each issue's levels"),
}
#: Resolution of the page's figures (the results folder's are drawn at 150 dpi).
PAGE_DPI = 80


class Superseded(Exception):
    """A run stopped because a newer one was asked for (internal: never shown)."""


@dataclass
class Update:
    """One update of the page: the what-if's run, its numbers and (as they are drawn) its figures.

    ``number`` counts the updates of a page; ``rows`` is :func:`numbers`'
    table; ``seconds`` when each step was done (``start``, ``run``,
    ``numbers``, each figure, ``total``), in seconds after the change was made.
    """

    number: int
    overrides: dict[str, Any]
    protocol: str
    result: RunResult
    rows: pd.DataFrame
    figures: dict[str, bytes] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return set(self.figures) == set(FIGURES)


def play(scenario: Scenario, *, runs: int, seed: int, should_stop: Callable[[], bool] = lambda: False) -> RunResult:
    """A fresh Monte Carlo run of ``scenario`` in this process (``workers=1``); :class:`Superseded` as soon
    as ``should_stop()`` is true between batches."""

    def progress(done: int, total: int) -> None:
        if should_stop():
            raise Superseded()

    if should_stop():
        raise Superseded()
    return run(scenario, runs=runs, seed=seed, workers=1, progress=progress)


def numbers(result: RunResult, reference: RunResult) -> pd.DataFrame:
    """The page's table: each result and named outcome with its estimate, 95% interval and count, and its
    change from the scenario as written (``change``, ``change_low``, ``change_high``: paired, in probability).

    Columns: ``kind`` (result, outcome), ``name``, ``label``, ``estimate``,
    ``low``, ``high``, ``count``, ``runs``, ``change``, ``change_low``,
    ``change_high``.
    """
    table = result.summary.table
    rows = table[table["kind"].isin(["result", "outcome"])].copy()
    rows["name"] = rows["value"].where(rows["kind"] == "result", rows["name"])
    differences = scenario_differences({"scenario": reference, "what-if": result}, reference="scenario")
    changes = differences.set_index(["kind", "name"])[["difference", "low", "high"]]
    changes.columns = ["change", "change_low", "change_high"]
    rows = rows.join(changes, on=["kind", "name"])
    rows["label"] = rows["label"].where(rows["kind"] == "outcome", rows["name"])
    return rows[["kind", "name", "label", "estimate", "low", "high", "count", "runs", "change", "change_low",
                 "change_high"]].reset_index(drop=True)


def figure_png(name: str, summary: Summary, dpi: int = PAGE_DPI) -> bytes:
    """Figure ``name`` of :data:`FIGURES` drawn from a run's summary, as PNG bytes (what a pool process does)."""
    builder, _ = FIGURES[name]
    return figure_bytes(builder(summary), dpi=dpi)


class FigurePool:
    """Processes that draw the page's figures while the page's own process stays free.

    ``FigurePool(workers)`` forks its processes at once (before a web server
    starts threads); :meth:`submit` returns a future of any picklable call;
    :meth:`close` ends them. The processes end with the page's process.
    """

    def __init__(self, workers: int = 2) -> None:
        self.executor = process_pool(workers)
        list(self.executor.map(_ready, range(workers)))  # fork every process now

    def submit(self, function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
        return self.executor.submit(function, *args, **kwargs)

    def close(self) -> None:
        """End the processes: pending figures are dropped, one being drawn (under 2 s) is waited for. Not
        waiting left the executor's wake-up pipe closed under its exit hook, which then printed a traceback
        ("Bad file descriptor") as the server stopped."""
        self.executor.shutdown(wait=True, cancel_futures=True)


def _ready(_: int) -> bool:
    return True


def render_figures(result: RunResult, *, should_stop: Callable[[], bool] = lambda: False, dpi: int = PAGE_DPI,
                   pool: FigurePool | None = None) -> Iterator[tuple[str, bytes, float]]:
    """Each figure of :data:`FIGURES` as PNG bytes with the seconds since the call, as each is ready (in the
    order they finish with a pool, in :data:`FIGURES`' order without); stops when superseded (a pool's
    figures still being drawn are dropped)."""
    started = time.perf_counter()
    if pool is None:
        for name in FIGURES:
            if should_stop():
                raise Superseded()
            png = figure_png(name, result.summary, dpi)
            yield name, png, time.perf_counter() - started
        return
    # in the page's order: the states over time first (the figure that answers "when"), each issue's levels
    # (the slowest, some 2 s of text layout) last
    futures = {pool.submit(figure_png, name, result.summary, dpi): name for name in FIGURES}
    try:
        pending = set(futures)
        while pending:
            done, pending = cf.wait(pending, timeout=0.05, return_when=cf.FIRST_COMPLETED)
            if should_stop():
                raise Superseded()
            for future in done:
                yield futures[future], future.result(), time.perf_counter() - started
    finally:
        for future in futures:
            future.cancel()


def negotiation_png(negotiation: pdata.Negotiation, *, scenario: Scenario, upto: int, dpi: int = PAGE_DPI) -> bytes:
    """One negotiation as far as round ``upto``: the utility plane with the offers so far (left), the targets
    and offers round by round (right, on the axis of the whole negotiation), as PNG bytes.

    The same panels as :func:`basesim.views.figures.negotiation_figure`, cut at a round.
    """
    from matplotlib.figure import Figure

    trace = negotiation.trace
    shown = trace.iloc[: max(0, int(upto)) + 1]
    figure = Figure(figsize=(12.5, 5.6), layout="constrained", dpi=100)
    left, right = figure.subplots(1, 2, gridspec_kw={"width_ratios": [1.0, 1.15]})
    last = shown.iloc[-1] if len(shown) else None
    when = f", {pd.Timestamp(last['date']):%b %Y}" if last is not None and "date" in shown else ""
    status = str(last["status"]) if last is not None and "status" in shown else ""
    plot_utility_plane(negotiation.plane, scenario=scenario, trace=shown, power=negotiation.power, ax=left,
                       title=f"Run {negotiation.replicate}, round {int(upto)}{when}: {status}")
    if len(trace) > 1:
        plot_targets(shown, scenario=scenario, ax=right)
        if "date" in trace:
            dates = pd.to_datetime(trace["date"])
            right.set_xlim(dates.iloc[0] - pd.Timedelta(days=10), dates.iloc[-1] + pd.Timedelta(days=10))
    else:
        plot_settlement(shown, scenario=scenario, ax=right)
    legends_below(figure)
    return figure_bytes(figure, dpi=dpi)
