"""Sweep and sensitivity commands: ``basesim sweep`` and ``basesim sensitivity``.

``sweep`` runs a scenario over a grid of parameter values (``--param``),
writes the table and a figure (a line with its interval band for one
parameter, a heatmap for two), and keeps every finished point in
``OUT/cache`` so that the same command, interrupted, resumes where it
stopped. ``sensitivity`` ranks the uncertain inputs by Sobol' indices (or by
the cheap correlation-ratio ranking of a plain run), prints a ranked table
per output and writes a bar figure.

Both check every option (``--statistic`` and ``--output`` included) before
any model is played, and default to a timestamped folder
``results/<scenario>-sweep-<timestamp>/`` (``-sensitivity-``); a sweep
resumes when run again with ``--out`` set to its folder.
"""

from __future__ import annotations

import json
import math
import re
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from basesim.cli.app import MODE, app, emit, err_console, example, say, set_output, show, warn
from basesim.cli.common import ForceOption, claim_output
from basesim.cli.options import (
    ExportOption,
    JsonOption,
    ProgressOption,
    ProtocolOption,
    QuietOption,
    SchedulerOption,
    SeedOption,
    SetOption,
    WorkersOption,
    check_export_formats,
    default_folder,
    export_tables,
    records,
)
from basesim.errors import UsageError

if TYPE_CHECKING:
    import pandas as pd

    from basesim.scenario.schema import Scenario

__all__ = ["parse_param", "parse_params", "sensitivity_command", "sweep_command", "sweep_statistics"]

_RANGE = re.compile(r"^\s*([^:]+):([^:]+):([^:]+)\s*$")


#: Most values of one ``--param`` and most points of a sweep's grid (each point is a whole Monte Carlo run).
MAX_PARAM_VALUES, MAX_POINTS = 10_000, 100_000


def _number(text: str) -> float | int | None:
    from basesim.scenario.yaml_source import YamlProblem, parse_yaml_value

    try:
        value = parse_yaml_value(text)
    except YamlProblem:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return value


def parse_param(text: str) -> tuple[str, list[Any]]:
    """``PATH=START:STOP:NUM`` (NUM evenly spaced values) or ``PATH=v1,v2,...`` -> (path, values).

    Values of a list are read as YAML (``0.4``, ``true``, ``nash``); a range
    of whole numbers with whole steps gives whole numbers.
    """
    import numpy as np

    from basesim.scenario.yaml_source import YamlProblem, parse_yaml_value

    path, sep, spec = str(text).partition("=")
    path = path.strip()
    usage = "expected PATH=START:STOP:NUM or PATH=v1,v2,... (e.g. actors.turkey.leverage.syria=0:0.4:5)"
    if not sep or not path or not spec.strip():
        raise UsageError(f"--param: bad value {text!r}; {usage}")
    match = _RANGE.match(spec)
    if match:
        start, stop, num = (_number(part) for part in match.groups())
        if start is None or stop is None:
            raise UsageError(f"--param {path}: START and STOP must be numbers, got {match.group(1)!r} and "
                             f"{match.group(2)!r}; {usage}")
        if not isinstance(num, int) or num < 1:
            raise UsageError(f"--param {path}: NUM must be a whole number >= 1, got {match.group(3).strip()!r}; {usage}")
        if num > MAX_PARAM_VALUES:
            raise UsageError(f"--param {path}: NUM may be at most {MAX_PARAM_VALUES:,}, got {num:,}")
        values = np.linspace(start, stop, num)
        if isinstance(start, int) and isinstance(stop, int) and np.allclose(values, np.round(values)):
            return path, [int(v) for v in np.round(values)]
        return path, [float(round(v, 12)) for v in values]
    if spec.count(":") and _RANGE.match(spec) is None and all(_number(p) is not None for p in spec.split(":") if p):
        raise UsageError(f"--param {path}: a range needs three parts START:STOP:NUM, got {spec!r}; {usage}")
    values = []
    for item in spec.split(","):
        if not item.strip():
            raise UsageError(f"--param {path}: empty value in {spec!r}; {usage}")
        try:
            values.append(parse_yaml_value(item))
        except YamlProblem:
            values.append(item.strip())
    if len(values) > MAX_PARAM_VALUES:
        raise UsageError(f"--param {path}: at most {MAX_PARAM_VALUES:,} values, got {len(values):,}")
    return path, values


def parse_params(texts: list[str]) -> dict[str, list[Any]]:
    """Every ``--param`` into one grid; a path given twice is an error."""
    grid: dict[str, list[Any]] = {}
    for text in texts:
        path, values = parse_param(text)
        if path in grid:
            raise UsageError(f"--param {path}: given twice; give each parameter once with all its values")
        grid[path] = values
    points = math.prod(len(values) for values in grid.values())
    if points > MAX_POINTS:
        raise UsageError(f"--param: the grid has {points:,} points; a sweep may have at most {MAX_POINTS:,} "
                         "(each point is a whole Monte Carlo run)")
    return grid


def _missing(x: Any) -> bool:
    return x is None or x != x  # NaN is the only value not equal to itself


def _percent(x: float) -> str:
    return "-" if _missing(x) else f"{100 * x:.1f}%"


def _value(x: float, probability: bool) -> str:
    if _missing(x):
        return "-"
    return _percent(x) if probability else f"{x:.3g}"


def _write_json(path: Path, data: dict[str, Any]) -> None:
    from basesim.montecarlo.results import atomic_write

    with atomic_write(path) as f:
        f.write(json.dumps(data, indent=2, default=str) + "\n")


def sweep_statistics(scenario: Scenario) -> list[str]:
    """The statistics a sweep of ``scenario`` reports (``result.agreement``, ``outcome.NAME``, ...), known before
    any point runs: the rows of the summary of no runs."""
    from basesim.analysis.sweeps import statistic_name
    from basesim.montecarlo.summary import Counts, Summary

    table = Summary(scenario, Counts.empty(scenario)).table
    return [statistic_name(k, n, v) for k, n, v in zip(table["kind"], table["name"], table["value"])]


# --- basesim sweep --------------------------------------------------------------------------------


@app.command("sweep", short_help="Run a scenario over a grid of parameter values.",
             epilog=example("basesim sweep scenarios/baseline.yaml --param actors.turkey.leverage.syria=0:0.5:6 "
                            "--runs 2000"))
def sweep_command(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="Scenario YAML file.")],
    params: Annotated[
        list[str],
        typer.Option("--param", metavar="PATH=START:STOP:NUM|PATH=v1,v2,...",
                     help="A swept parameter: NUM evenly spaced values from START to STOP, or a list "
                          "(repeatable; the sweep is the full grid)."),
    ],
    runs: Annotated[int | None, typer.Option("--runs", help="Replications per point (default: monte_carlo.runs).")]
    = None,
    seed: SeedOption = None,
    overrides: Annotated[
        list[str] | None, typer.Option("--set", metavar="PATH=VALUE", help="Override a parameter at every point.")
    ] = None,
    protocol: ProtocolOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", metavar="DIR", help="Output folder (default: results/<scenario>-sweep-<timestamp>/); "
                                                  "the same command with the same --out resumes."),
    ] = None,
    statistic: Annotated[
        str | None,
        typer.Option("--statistic", help="Statistic of the figure and the printed table, e.g. result.agreement "
                                         "(default: the first named outcome)."),
    ] = None,
    independent: Annotated[
        bool, typer.Option("--independent", help="Independent random streams per point (default: common random "
                                                  "numbers, the same replications at every point).")
    ] = False,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    export: ExportOption = None,
    show_progress: ProgressOption = True,
    force: ForceOption = False,
    json_output: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Run a scenario over a grid of parameter values; write the table and a figure."""
    from types import SimpleNamespace

    from basesim.analysis.sweeps import sweep
    from basesim.montecarlo.runner import check_positive, check_protocol, check_runs, check_seed
    from basesim.scenario.loader import load_scenario
    from basesim.views.plots import save_figure
    from basesim.views.sweep_plots import default_statistic, is_probability, sweep_figure

    set_output(json=json_output, quiet=quiet)
    check_runs(runs, option="--runs", summary_only=True)  # a sweep keeps each point's summary only
    check_seed(seed, option="--seed")
    check_protocol(protocol, option="--protocol")
    check_positive(workers, option="--workers")
    formats = check_export_formats(export)
    design = parse_params(params)
    scenario = load_scenario(file, overrides)
    statistics = sweep_statistics(scenario)
    statistic = statistic or default_statistic(SimpleNamespace(statistics=statistics))
    if statistic not in statistics:  # before any point runs (and before the cache folder exists)
        import difflib

        close = difflib.get_close_matches(statistic, statistics, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UsageError(f"--statistic: {statistic!r} is not a statistic of this sweep{hint}; expected one of "
                         f"{', '.join(statistics)}")
    folder = out if out is not None else default_folder(scenario.name, "sweep")
    claim_output(folder, option="--out", force=force)  # a folder of an earlier sweep is resumed
    points = math.prod(len(v) for v in design.values())

    with ExitStack() as stack:
        from basesim.cli.running import executor_for

        executor = executor_for(scheduler, workers, stack)
        progress = None
        if show_progress and not MODE.quiet and err_console.is_terminal:
            from basesim.cli.common import progress_bar

            bar = stack.enter_context(progress_bar())
            task = bar.add_task(f"{scenario.name} sweep", total=points)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

        try:
            result = sweep(scenario, design, runs=runs, seed=seed, common_random_numbers=not independent,
                           protocol=protocol, cache=folder / "cache", workers=workers, executor=executor,
                           progress=progress)
        except KeyboardInterrupt:
            if (folder / "cache").exists() and not MODE.quiet:
                err_console.print(f"finished points are kept in {escape(str(folder / 'cache'))}; run the same "
                                  f"command with --out {escape(str(folder))} to resume", highlight=False,
                                  soft_wrap=True)
            raise

    if statistic not in result.statistics:  # a sweep over the protocol's rounds can change the quantiles
        raise UsageError(f"--statistic: {statistic!r} is not a statistic of this sweep; expected one of "
                         f"{', '.join(result.statistics)}")
    written = result.save(folder)
    _write_json(folder / "provenance.json", result.provenance)
    exported = export_tables({"sweep": result.table, "long": result.summary}, folder, stem="sweep",
                             formats=[f for f in formats if f != "csv"])  # sweep.csv is always written
    figure_path = None
    if len(result.parameters) <= 2:
        figure_path = save_figure(sweep_figure(result, statistic=statistic), folder / "sweep.png")

    p = result.provenance
    label = result.label(statistic)
    probability = is_probability(statistic)
    say(f"{scenario.title or scenario.name}: {label} ({statistic}), {p['runs']:,} runs per point, "
        f"seed {p['seed']}" + ("" if independent else " (common random numbers)"))
    table = Table(pad_edge=False)
    for parameter in result.parameters:
        table.add_column(escape(parameter), justify="right")
    table.add_column("estimate", justify="right", no_wrap=True)
    table.add_column("95% interval", justify="right", no_wrap=True)
    for row in result.table.to_dict(orient="records"):
        cells = [escape(str(row[parameter])) for parameter in result.parameters]
        cells += [_value(row[statistic], probability),
                  f"{_value(row[f'{statistic}_low'], probability)} - {_value(row[f'{statistic}_high'], probability)}"]
        table.add_row(*cells)
    show(table)
    say(f"{p['computed']} point(s) computed, {p['from_cache']} from the cache.")
    if figure_path is None:
        warn(f"no figure: a sweep figure shows one or two parameters, this sweep has {len(result.parameters)}")
    paths = [written["table"], written["summary"]] + ([figure_path] if figure_path else []) + exported
    say("Written: " + ", ".join(str(path) for path in paths))
    from basesim.cli.report import report_hint

    say(report_hint(folder))
    emit({"scenario": scenario.name, "folder": str(folder), "statistic": statistic, "label": label,
          "parameters": result.parameters, "provenance": result.provenance, "table": records(result.table),
          "files": [str(path) for path in paths]})


# --- basesim sensitivity ----------------------------------------------------------------------------


def _interval(low: float, high: float) -> str:
    return f"[{low:.2f}, {high:.2f}]"


def _sobol_table(rows: pd.DataFrame, *, title: str, more: int, names: dict[str, str]) -> Table:
    table = Table(title=escape(title), title_justify="left", pad_edge=False)
    table.add_column("rank", justify="right", no_wrap=True)
    table.add_column("input", ratio=1, min_width=12)
    table.add_column("total", justify="right", no_wrap=True)
    table.add_column("95% interval", justify="right", no_wrap=True)
    table.add_column("first order", justify="right", no_wrap=True)
    table.add_column("95% interval", justify="right", no_wrap=True)
    for row in rows.itertuples():
        table.add_row(str(row.rank), escape(names.get(row.factor, row.factor)), f"{row.total_order:.2f}",
                      _interval(row.total_order_low, row.total_order_high), f"{row.first_order:.2f}",
                      _interval(row.first_order_low, row.first_order_high))
    if more:
        table.add_row("", f"... {more} more", "", "", "", "")
    return table


def _ranking_table(rows: pd.DataFrame, *, title: str, more: int, names: dict[str, str]) -> Table:
    table = Table(title=escape(title), title_justify="left", pad_edge=False)
    table.add_column("rank", justify="right", no_wrap=True)
    table.add_column("input", ratio=1, min_width=12)
    table.add_column("eta^2", justify="right", no_wrap=True)
    table.add_column("95% interval", justify="right", no_wrap=True)
    table.add_column("Spearman rho", justify="right", no_wrap=True)
    for row in rows.itertuples():
        table.add_row(str(row.rank), escape(names.get(row.input, row.input)), f"{row.correlation_ratio:.3f}",
                      f"[{row.correlation_ratio_low:.3f}, {row.correlation_ratio_high:.3f}]", f"{row.spearman:+.2f}")
    if more:
        table.add_row("", f"... {more} more", "", "", "")
    return table


@app.command("sensitivity", short_help="Rank the uncertain inputs by how much each drives each outcome.",
             epilog=example("basesim sensitivity scenarios/baseline.yaml --output russia_keeps_tartus --runs 512"))
def sensitivity_command(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="Scenario YAML file.")],
    runs: Annotated[
        int | None,
        typer.Option("--runs", help="sobol: base sample size N, rounded up to a power of 2 (default 1024; the "
                                    "model is played N x (inputs + 2) times); ranking: replications "
                                    "(default: monte_carlo.runs)."),
    ] = None,
    method: Annotated[
        str, typer.Option("--method", help="sobol (variance-based indices) or ranking (correlation ratios of a "
                                           "plain run; cheaper, first order only).")
    ] = "sobol",
    outputs: Annotated[
        list[str] | None,
        typer.Option("--output", metavar="NAME", help="An output to analyse, e.g. russia_keeps_tartus or "
                                                      "result.agreement (repeatable; default: agreement and "
                                                      "every named outcome)."),
    ] = None,
    seed: SeedOption = None,
    overrides: SetOption = None,
    protocol: ProtocolOption = None,
    top: Annotated[int, typer.Option("--top", help="Inputs shown per output (all are written).")] = 10,
    out: Annotated[
        Path | None,
        typer.Option("--out", metavar="DIR",
                     help="Output folder (default: results/<scenario>-sensitivity-<timestamp>/)."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Worker processes for --method ranking (default: all cores; "
                                                   "the Sobol' design is played in this process).")
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", metavar="ADDRESS",
                                 help="A dask scheduler address, or 'local', for --method ranking.")
    ] = None,
    export: ExportOption = None,
    show_progress: ProgressOption = True,
    force: ForceOption = False,
    json_output: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Rank the uncertain inputs by how much each drives each outcome, with 95% intervals."""
    import numpy as np

    from basesim.analysis.sensitivity import check_outputs, input_ranking, output_label, sobol_sensitivity
    from basesim.cli.running import executor_for, run_progress, run_scenario
    from basesim.montecarlo.results import atomic_write
    from basesim.montecarlo.runner import check_positive, check_protocol, check_runs, check_seed
    from basesim.scenario.loader import load_scenario
    from basesim.views.plots import save_figure
    from basesim.views.sweep_plots import sensitivity_figure

    set_output(json=json_output, quiet=quiet)
    if method not in ("sobol", "ranking"):
        raise UsageError(f"--method: {method!r} is not a method; expected sobol or ranking")
    check_runs(runs, option="--runs")
    check_seed(seed, option="--seed")
    check_protocol(protocol, option="--protocol")
    check_positive(top, option="--top")
    check_positive(workers, option="--workers")
    if method == "sobol" and (workers is not None or scheduler is not None):
        option = "--workers" if workers is not None else "--scheduler"
        raise UsageError(f"{option}: the Sobol' design is played in this process; {option} applies to "
                         "--method ranking")
    formats = check_export_formats(export)
    scenario = load_scenario(file, overrides)
    chosen = check_outputs(scenario, outputs, option="--output")
    folder = out if out is not None else default_folder(scenario.name, "sensitivity")
    claim_output(folder, option="--out", force=force)

    note = ""
    if method == "sobol":
        n = 1024 if runs is None else 2 ** math.ceil(math.log2(max(runs, 2)))
        if runs is not None and n != runs:
            note = f" (--runs {runs} rounded up to {n}, a power of 2)"
        with ExitStack() as stack:
            if show_progress and not MODE.quiet and err_console.is_terminal:
                stack.enter_context(err_console.status(f"Sobol' analysis of {scenario.name}: N = {n}{note}",
                                                       spinner="dots"))
            result = sobol_sensitivity(scenario, n=n, seed=seed, outputs=chosen, protocol=protocol)
        table, provenance = result.table, result.provenance
        header = (f"Sobol' indices, N = {n} ({result.evaluations:,} model runs), seed {provenance['seed']}; "
                  f"total = share of variance with interactions, first order = alone")
    else:
        with ExitStack() as stack:
            executor = executor_for(scheduler, workers, stack)
            progress = run_progress(stack, f"{scenario.name}", enabled=show_progress)
            played = run_scenario(scenario, runs=runs, seed=seed, protocol=protocol, workers=workers,
                                  executor=executor, progress=progress)
        table = input_ranking(played, outputs=chosen, rng=np.random.default_rng(played.seed))
        provenance = {"method": "ranking", "scenario": scenario.name, "seed": played.seed, "runs": played.runs,
                      "protocol": played.provenance.get("protocol")}
        header = (f"Correlation ratios of a plain run, {played.runs:,} runs, seed {played.seed}; "
                  f"eta^2 = share of variance explained alone, rho = direction")

    folder.mkdir(parents=True, exist_ok=True)
    with atomic_write(folder / "sensitivity.csv") as f:
        table.to_csv(f, index=False)
    _write_json(folder / "provenance.json", provenance)
    from basesim.views.tornado import write_sensitivity_extras  # the scenario and the tornado chart, for reports

    tornado, extras = write_sensitivity_extras(folder, scenario, outputs=chosen,
                                               sobol=result if method == "sobol" else None,
                                               run=played if method != "sobol" else None)
    exported = export_tables({"sensitivity": table}, folder, stem="sensitivity",
                             formats=[f for f in formats if f != "csv"])  # sensitivity.csv is always written
    labels = {output: output_label(scenario, output) for output in chosen}
    figure = sensitivity_figure(table, labels=labels, top=top, scenario=scenario, tornado=tornado,
                                subtitle=f"{scenario.title or scenario.name} \u00b7 {header.split(';')[0]}")
    figure_path = save_figure(figure, folder / "sensitivity.png")

    say(f"{scenario.title or scenario.name}: {header}{note}")
    draw = _sobol_table if method == "sobol" else _ranking_table
    from basesim.analysis.labels import input_labels

    column = "factor" if method == "sobol" else "input"
    names = input_labels(scenario, list(dict.fromkeys(table[column])), short=True)  # people's words, not paths
    for output in chosen:
        rows = table[table["output"] == output].sort_values("rank")
        show(draw(rows.head(top), title=f"{labels[output]} ({output})", more=max(0, len(rows) - top), names=names))
    paths = [folder / "sensitivity.csv", figure_path, *extras, *exported]
    say("Written: " + ", ".join(str(path) for path in paths))
    from basesim.cli.report import report_hint

    say(report_hint(folder))
    emit({"scenario": scenario.name, "folder": str(folder), "method": method, "outputs": chosen,
          "labels": labels, "provenance": provenance, "table": records(table), "files": [str(p) for p in paths]})
