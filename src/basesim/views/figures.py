"""Whole figures (matplotlib ``Figure``, no pyplot) and writing the standard set of a run to disk."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from basesim.errors import OutputError, UsageError
from basesim.scenario.schema import Scenario
from basesim.views import plot_data as pdata
from basesim.views.comparison_plots import comparison_sources, plot_comparison
from basesim.views.layout import legends_below
from basesim.views.negotiation_plots import (
    Negotiation,
    plot_settlement,
    plot_targets,
    plot_utility_plane,
)
from basesim.views.outcome_plots import (
    plot_amounts,
    plot_deal_timing,
    plot_issue_levels,
    plot_outcomes,
    plot_results,
    plot_utilities,
)
from basesim.views.style import FORMATS, Results


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), layout="constrained", dpi=100)


def results_figure(data: Results, *, scenario: Scenario | None = None) -> Figure:
    figure = _figure(5.5, 3.8)
    plot_results(data, scenario=scenario, ax=figure.add_subplot())
    return figure


def outcomes_figure(data: Results, *, scenario: Scenario | None = None) -> Figure:
    src = pdata.source(data, scenario)
    figure = _figure(7.0, 1.4 + 0.42 * max(len(src.scenario.outcomes), 1))
    plot_outcomes(src, ax=figure.add_subplot())
    return figure


def _panels(count: int, width: float = 6.0, height: float = 3.9) -> tuple[Figure, int, int]:
    columns = 1 if count == 1 else 2
    rows = int(np.ceil(count / columns))
    return _figure(width * columns, height * rows), rows, columns


def levels_figure(data: Results, *, scenario: Scenario | None = None) -> Figure:
    """One panel per issue: its distribution over levels, all runs and given a deal."""
    src = pdata.source(data, scenario)
    issues = src.scenario.issue_names
    figure, rows, columns = _panels(len(issues))
    for k, issue in enumerate(issues):
        plot_issue_levels(src, issue=issue, ax=figure.add_subplot(rows, columns, k + 1))
    return figure


def amounts_figure(data: Results, *, scenario: Scenario | None = None) -> Figure:
    """One panel per issue with amounts (money)."""
    src = pdata.source(data, scenario)
    issues = [i for i in src.scenario.issue_names if src.scenario.issues[i].amounts is not None]
    if not issues:
        raise UsageError(f"scenario {src.scenario.name!r} has no issue with amounts; nothing to draw for 'amounts'")
    figure, rows, columns = _panels(len(issues))
    for k, issue in enumerate(issues):
        plot_amounts(src, issue=issue, ax=figure.add_subplot(rows, columns, k + 1))
    return figure


def timing_figure(data: Results, *, scenario: Scenario | None = None) -> Figure:
    figure = _figure(6.5, 4.1)
    ax = plot_deal_timing(data, scenario=scenario, ax=figure.add_subplot())
    if ax.get_legend() is not None:  # the three curves cross the whole plot: the legend goes below it
        legends_below(figure, axes=[ax], ncol=4)
    return figure


def utilities_figure(data: Results, *, scenario: Scenario | None = None) -> Figure:
    src = pdata.source(data, scenario)
    figure = _figure(7.0, 1.8 + 0.75 * len(src.scenario.actors))
    plot_utilities(src, ax=figure.add_subplot())
    return figure


def negotiation_figure(negotiation: Negotiation, *, scenario: Scenario,
                       principals: Sequence[str] | None = None) -> Figure:
    """One negotiation: the utility plane with the dance (left), targets and offers by round (right)."""
    figure = _figure(12.5, 5.8)
    left, right = figure.subplots(1, 2, gridspec_kw={"width_ratios": [1.0, 1.15]})
    trace = negotiation.trace
    status = str(trace["status"].iloc[-1]) if "status" in trace and len(trace) else ""
    plot_utility_plane(negotiation.plane, scenario=scenario, trace=trace, principals=principals,
                       power=negotiation.power, ax=left,
                       title=f"One negotiation (run {negotiation.replicate}){': ' + status if status else ''}")
    if len(trace) > 1:
        plot_targets(trace, scenario=scenario, ax=right)
    else:
        plot_settlement(trace, scenario=scenario, ax=right)
    legends_below(figure)  # laid out with the panels: never cut off at the bottom
    return figure


def comparison_figure(runs: Mapping[str, Results], *, scenarios: Mapping[str, Scenario] | Scenario | None = None,
                      kind: str = "result", issue: str | None = None) -> Figure:
    """A whole figure of :func:`plot_comparison`."""
    sources = comparison_sources(runs, scenarios)
    members = len(sources)
    if kind == "outcome":
        count = len({n for src in sources.values() for n in src.scenario.outcomes})
        size = (7.5, 1.8 + 0.2 * max(count, 1) * (members + 0.6))
    elif kind == "level" and issue is not None:
        first = next(iter(sources.values())).scenario
        levels = len(first.issues[issue].labels) if issue in first.issues else 4
        size = (max(6.5, 0.3 * levels * members + 2.5), 4.4)
    else:
        size = (max(6.0, 1.3 * members + 2.5), 4.4)
    figure = _figure(*size)
    plot_comparison(sources, kind=kind, issue=issue, ax=figure.add_subplot())
    legends_below(figure)  # laid out with the plot: never cut off at the side or the bottom
    return figure


#: Figure kinds of ``basesim plot --kind`` and the report, with what they show.
FIGURE_KINDS: dict[str, str] = {
    "results": "where the talks stand at the end of the forecast: agreement, breakdown, still talking",
    "outcomes": "the scenario's named outcomes",
    "levels": "each issue's distribution over its levels",
    "amounts": "money amounts: the chance of at least each amount",
    "timing": "the three states (talking, agreed, broken off) over calendar time",
    "utilities": "each actor's utility of the result",
    "negotiation": "one negotiation: the utility plane, the offers and the targets",
}

_BUILDERS: dict[str, Callable[..., Figure]] = {
    "results": results_figure,
    "outcomes": outcomes_figure,
    "levels": levels_figure,
    "amounts": amounts_figure,
    "timing": timing_figure,
    "utilities": utilities_figure,
}


def available_kinds(data: Results, *, scenario: Scenario | None = None, negotiation: bool = False) -> list[str]:
    """The figure kinds that can be drawn for these results (no 'amounts' without amounts, ...).

    ``negotiation``: whether one negotiation (a trace) is at hand for the 'negotiation' kind.
    """
    src = pdata.source(data, scenario)
    scenario = src.scenario
    kinds = []
    for kind in FIGURE_KINDS:
        if kind == "outcomes" and not scenario.outcomes:
            continue
        if kind == "amounts" and all(i.amounts is None for i in scenario.issues.values()):
            continue
        if kind == "utilities" and src.table is None:
            continue
        if kind == "negotiation" and (not negotiation or len(scenario.principals) < 2):
            continue
        kinds.append(kind)
    return kinds


def check_kinds(kinds: Sequence[str]) -> list[str]:
    """Validate figure kind names; raise a UsageError naming the allowed ones."""
    from basesim.scenario.checks import did_you_mean

    for kind in kinds:
        if kind not in FIGURE_KINDS:
            raise UsageError(f"--kind: {kind!r} is not a figure kind{did_you_mean(kind, FIGURE_KINDS)}; "
                             f"expected one of {', '.join(FIGURE_KINDS)}")
    return list(dict.fromkeys(kinds))


def standard_figures(data: Results, *, scenario: Scenario | None = None, negotiation: Negotiation | None = None,
                     kinds: Sequence[str] | None = None) -> dict[str, Figure]:
    """The standard figures of a run, by kind (see :data:`FIGURE_KINDS`).

    ``kinds=None`` draws every kind that applies (:func:`available_kinds`);
    the ``negotiation`` kind needs a :class:`Negotiation`.
    """
    src = pdata.source(data, scenario)
    chosen = available_kinds(src, negotiation=negotiation is not None) if kinds is None else check_kinds(kinds)
    figures: dict[str, Figure] = {}
    for kind in chosen:
        if kind == "negotiation":
            if negotiation is None:
                raise UsageError("the 'negotiation' figure needs the trace of one run; none was given")
            figures[kind] = negotiation_figure(negotiation, scenario=src.scenario)
        else:
            figures[kind] = _BUILDERS[kind](src)
    return figures


def figure_bytes(figure: Figure, *, format: str = "png", dpi: int = 150) -> bytes:
    """The figure encoded as PNG, SVG or PDF bytes (fonts embedded, metadata without dates)."""
    if format not in FORMATS:
        raise UsageError(f"--format: {format!r} is not a figure format; expected one of {', '.join(FORMATS)}")
    buffer = io.BytesIO()
    metadata = {"png": {"Software": "basesim"}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}[format]
    figure.savefig(buffer, format=format, dpi=dpi, metadata=metadata, facecolor="white")
    return buffer.getvalue()


def save_figure(figure: Figure, path: str | Path, *, format: str | None = None, dpi: int = 150) -> Path:
    """Write a figure to ``path`` (format from ``format`` or the suffix); return the path."""
    path = Path(path)
    format = format or path.suffix.lstrip(".").lower()
    data = figure_bytes(figure, format=format, dpi=dpi)
    from basesim.montecarlo.results import atomic_write

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path, binary=True) as f:  # an interrupted write leaves no half figure
            f.write(data)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write the figure ({exc.strerror or exc})") from exc
    return path


def write_figures(result: Results, folder: str | Path, *, format: str = "png", kinds: Sequence[str] | None = None,
                  replicate: int | None = None, dpi: int = 150) -> list[Path]:
    """Draw a run's standard figures into ``folder`` as ``KIND.FORMAT``; return the paths written.

    ``result`` is a RunResult (or anything :func:`basesim.views.plot_data.source`
    takes). The 'negotiation' figure replays one world (``replicate``, by
    default a typical deal) from the run's seed when the run carries its
    provenance; nothing else re-runs the model.
    """
    if format not in FORMATS:
        raise UsageError(f"--format: {format!r} is not a figure format; expected one of {', '.join(FORMATS)}")
    src = pdata.source(result)
    wanted = None if kinds is None else check_kinds(kinds)
    can_replay = getattr(result, "provenance", None) is not None and len(src.scenario.principals) >= 2
    negotiation = None
    if can_replay and (wanted is None or "negotiation" in wanted):
        negotiation = pdata.one_negotiation(result, replicate=replicate)
    figures = standard_figures(src, negotiation=negotiation, kinds=wanted)
    return [save_figure(figure, Path(folder) / f"{kind}.{format}", dpi=dpi) for kind, figure in figures.items()]
