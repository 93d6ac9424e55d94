"""Sweep and sensitivity commands: ``basesim sweep`` and ``basesim sensitivity``.

``sweep`` runs a scenario over a grid of parameter values (``--param``),
writes the table and a figure (a line with its interval band for one
parameter, a heatmap for two), and keeps every finished point in
``OUT/cache`` so that the same command, interrupted, resumes where it
stopped. ``sensitivity`` ranks the uncertain inputs by Sobol' indices (or by
the cheap correlation-ratio ranking of a plain run), prints a ranked table
per output and writes a bar figure.
"""

from __future__ import annotations

import json
import math
import re
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import typer
import yaml
from rich.markup import escape
from rich.table import Table

from basesim.cli.app import app, console, err_console
from basesim.cli.common import connect_scheduler, progress_bar
from basesim.errors import UsageError
from basesim.montecarlo.results import atomic_write, check_writable
from basesim.montecarlo.runner import check_positive, check_protocol, check_seed
from basesim.scenario.loader import load_scenario

__all__ = ["parse_param", "parse_params", "sensitivity_command", "sweep_command"]

_RANGE = re.compile(r"^\s*([^:]+):([^:]+):([^:]+)\s*$")


def _number(text: str) -> float | int | None:
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def parse_param(text: str) -> tuple[str, list[Any]]:
    """``PATH=START:STOP:NUM`` (NUM evenly spaced values) or ``PATH=v1,v2,...`` -> (path, values).

    Values of a list are read as YAML (``0.4``, ``true``, ``nash``); a range
    of whole numbers with whole steps gives whole numbers.
    """
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
            values.append(yaml.safe_load(item))
        except yaml.YAMLError:
            values.append(item.strip())
    return path, values


def parse_params(texts: list[str]) -> dict[str, list[Any]]:
    """Every ``--param`` into one grid; a path given twice is an error."""
    grid: dict[str, list[Any]] = {}
    for text in texts:
        path, values = parse_param(text)
        if path in grid:
            raise UsageError(f"--param {path}: given twice; give each parameter once with all its values")
        grid[path] = values
    return grid


def _percent(x: float) -> str:
    return "-" if pd.isna(x) else f"{100 * x:.1f}%"


def _value(x: float, probability: bool) -> str:
    if pd.isna(x):
        return "-"
    return _percent(x) if probability else f"{x:.3g}"


def _write_json(path: Path, data: dict[str, Any]) -> None:
    with atomic_write(path) as f:
        f.write(json.dumps(data, indent=2, default=str) + "\n")


# --- basesim sweep --------------------------------------------------------------------------------


@app.command("sweep")
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
    seed: Annotated[int | None, typer.Option("--seed", help="Seed (default: monte_carlo.seed, else drawn).")] = None,
    overrides: Annotated[
        list[str] | None, typer.Option("--set", metavar="PATH=VALUE", help="Override a parameter at every point.")
    ] = None,
    protocol: Annotated[str | None, typer.Option("--protocol", help="alternating_offers, equilibrium or nash.")]
    = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", metavar="DIR", help="Output folder (default: results/<scenario>-sweep/); "
                                                  "the same command with the same DIR resumes."),
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
    workers: Annotated[int | None, typer.Option("--workers", help="Worker processes (default: all cores).")] = None,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", metavar="ADDRESS", help="A dask scheduler address, or 'local'.")
    ] = None,
    show_progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show a progress bar.")] = True,
) -> None:
    """Run a scenario over a grid of parameter values; write the table and a figure."""
    from basesim.analysis.sweeps import sweep
    from basesim.views.plots import save_figure
    from basesim.views.sweep_plots import (
        default_statistic,
        is_probability,
        sweep_figure,
    )

    check_positive(runs, option="--runs")
    check_seed(seed, option="--seed")
    check_protocol(protocol, option="--protocol")
    check_positive(workers, option="--workers")
    design = parse_params(params)
    scenario = load_scenario(file, overrides)
    folder = out if out is not None else Path("results") / f"{scenario.name or 'scenario'}-sweep"
    check_writable(folder, option="--out")
    points = math.prod(len(v) for v in design.values())

    with ExitStack() as stack:
        executor = connect_scheduler(scheduler, workers, stack) if scheduler else None
        progress = None
        if show_progress:
            bar = stack.enter_context(progress_bar())
            task = bar.add_task(f"{scenario.name} sweep", total=points)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

        result = sweep(scenario, design, runs=runs, seed=seed, common_random_numbers=not independent,
                       protocol=protocol, cache=folder / "cache", workers=workers, executor=executor,
                       progress=progress)

    statistic = statistic or default_statistic(result)
    if statistic not in result.statistics:
        raise UsageError(f"--statistic: {statistic!r} is not a statistic of this sweep; expected one of "
                         f"{', '.join(result.statistics)}")
    written = result.save(folder)
    _write_json(folder / "provenance.json", result.provenance)
    figure_path = None
    if len(result.parameters) <= 2:
        figure_path = save_figure(sweep_figure(result, statistic=statistic), folder / "sweep.png")

    p = result.provenance
    label = result.label(statistic)
    probability = is_probability(statistic)
    console.print(escape(f"{scenario.title or scenario.name}: {label} ({statistic}), {p['runs']:,} runs per point, "
                         f"seed {p['seed']}" + ("" if independent else " (common random numbers)")),
                  highlight=False, soft_wrap=True)
    table = Table(pad_edge=False)
    for parameter in result.parameters:
        table.add_column(escape(parameter), justify="right", overflow="fold")
    table.add_column("estimate", justify="right")
    table.add_column("95% interval", justify="right")
    for row in result.table.to_dict(orient="records"):
        cells = [escape(str(row[parameter])) for parameter in result.parameters]
        cells += [_value(row[statistic], probability),
                  f"{_value(row[f'{statistic}_low'], probability)} - {_value(row[f'{statistic}_high'], probability)}"]
        table.add_row(*cells)
    console.print(table)
    console.print(f"{p['computed']} point(s) computed, {p['from_cache']} from the cache.", highlight=False)
    if figure_path is None:
        err_console.print(f"no figure: a sweep figure shows one or two parameters, this sweep has "
                          f"{len(result.parameters)}", highlight=False)
    paths = [written["table"], written["summary"]] + ([figure_path] if figure_path else [])
    console.print("Written: " + ", ".join(escape(str(path)) for path in paths), highlight=False, soft_wrap=True)


# --- basesim sensitivity ----------------------------------------------------------------------------


def _interval(low: float, high: float) -> str:
    return f"[{low:.2f}, {high:.2f}]"


def _sobol_table(rows: pd.DataFrame, *, title: str, more: int) -> Table:
    table = Table(title=escape(title), title_justify="left", pad_edge=False)
    table.add_column("rank", justify="right")
    table.add_column("input", overflow="fold")
    table.add_column("total", justify="right")
    table.add_column("95% interval", justify="right")
    table.add_column("first order", justify="right")
    table.add_column("95% interval", justify="right")
    for row in rows.itertuples():
        table.add_row(str(row.rank), escape(row.factor), f"{row.total_order:.2f}",
                      _interval(row.total_order_low, row.total_order_high), f"{row.first_order:.2f}",
                      _interval(row.first_order_low, row.first_order_high))
    if more:
        table.add_row("", f"... {more} more", "", "", "", "")
    return table


def _ranking_table(rows: pd.DataFrame, *, title: str, more: int) -> Table:
    table = Table(title=escape(title), title_justify="left", pad_edge=False)
    table.add_column("rank", justify="right")
    table.add_column("input", overflow="fold")
    table.add_column("eta^2", justify="right")
    table.add_column("95% interval", justify="right")
    table.add_column("Spearman rho", justify="right")
    for row in rows.itertuples():
        table.add_row(str(row.rank), escape(row.input), f"{row.correlation_ratio:.3f}",
                      f"[{row.correlation_ratio_low:.3f}, {row.correlation_ratio_high:.3f}]", f"{row.spearman:+.2f}")
    if more:
        table.add_row("", f"... {more} more", "", "", "")
    return table


@app.command("sensitivity")
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
    seed: Annotated[int | None, typer.Option("--seed", help="Seed (default: monte_carlo.seed, else drawn).")] = None,
    overrides: Annotated[
        list[str] | None, typer.Option("--set", metavar="PATH=VALUE", help="Override a parameter.")
    ] = None,
    protocol: Annotated[str | None, typer.Option("--protocol", help="alternating_offers, equilibrium or nash.")]
    = None,
    top: Annotated[int, typer.Option("--top", help="Inputs shown per output (all are written).")] = 10,
    out: Annotated[
        Path | None,
        typer.Option("--out", metavar="DIR", help="Output folder (default: results/<scenario>-sensitivity/)."),
    ] = None,
) -> None:
    """Rank the uncertain inputs by how much each drives each outcome, with 95% intervals."""
    from basesim.analysis.sensitivity import (
        check_outputs,
        input_ranking,
        output_label,
        sobol_sensitivity,
    )
    from basesim.montecarlo.runner import run
    from basesim.views.plots import save_figure
    from basesim.views.sweep_plots import sensitivity_figure

    if method not in ("sobol", "ranking"):
        raise UsageError(f"--method: {method!r} is not a method; expected sobol or ranking")
    check_positive(runs, option="--runs")
    check_seed(seed, option="--seed")
    check_protocol(protocol, option="--protocol")
    check_positive(top, option="--top")
    scenario = load_scenario(file, overrides)
    chosen = check_outputs(scenario, outputs, option="--output")
    folder = out if out is not None else Path("results") / f"{scenario.name or 'scenario'}-sensitivity"
    check_writable(folder, option="--out")

    note = ""
    if method == "sobol":
        n = 1024 if runs is None else 2 ** math.ceil(math.log2(max(runs, 2)))
        if runs is not None and n != runs:
            note = f" (--runs {runs} rounded up to {n}, a power of 2)"
        with console.status(f"Sobol' analysis of {scenario.name}: N = {n}{note}", spinner="dots"):
            result = sobol_sensitivity(scenario, n=n, seed=seed, outputs=chosen, protocol=protocol)
        table, provenance = result.table, result.provenance
        header = (f"Sobol' indices, N = {n} ({result.evaluations:,} model runs), seed {provenance['seed']}; "
                  f"total = share of variance with interactions, first order = alone")
    else:
        played = run(scenario, runs=runs, seed=seed, protocol=protocol)
        table = input_ranking(played, outputs=chosen, rng=np.random.default_rng(played.seed))
        provenance = {"method": "ranking", "scenario": scenario.name, "seed": played.seed, "runs": played.runs,
                      "protocol": played.provenance.get("protocol")}
        header = (f"Correlation ratios of a plain run, {played.runs:,} runs, seed {played.seed}; "
                  f"eta^2 = share of variance explained alone, rho = direction")

    folder.mkdir(parents=True, exist_ok=True)
    with atomic_write(folder / "sensitivity.csv") as f:
        table.to_csv(f, index=False)
    _write_json(folder / "provenance.json", provenance)
    labels = {output: output_label(scenario, output) for output in chosen}
    figure = sensitivity_figure(table, labels=labels, top=top,
                                subtitle=f"{scenario.title or scenario.name} \u00b7 {header.split(';')[0]}")
    figure_path = save_figure(figure, folder / "sensitivity.png")

    console.print(escape(f"{scenario.title or scenario.name}: {header}{note}"), highlight=False, soft_wrap=True)
    draw = _sobol_table if method == "sobol" else _ranking_table
    for output in chosen:
        rows = table[table["output"] == output].sort_values("rank")
        console.print(draw(rows.head(top), title=f"{labels[output]} ({output})", more=max(0, len(rows) - top)))
    console.print(f"Written: {escape(str(folder / 'sensitivity.csv'))}, {escape(str(figure_path))}",
                  highlight=False, soft_wrap=True)
