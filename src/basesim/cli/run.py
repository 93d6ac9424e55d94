"""Run commands: ``basesim run`` (a Monte Carlo run) and ``basesim trace`` (replay one world).

``run`` checks every option and the output folder before it plays a single
world, shows a progress bar, prints the summary table and writes the results
folder (each file atomically). ``trace`` replays replicate K of a run alone
and prints its rounds; its end matches row K of the run's table.
"""

from __future__ import annotations

import datetime as dt
import shlex
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import typer
from rich.markup import escape
from rich.table import Table

from basesim.cli.app import app, console, err_console
from basesim.cli.common import connect_scheduler, progress_bar
from basesim.errors import UsageError
from basesim.montecarlo.results import check_writable, load_results
from basesim.montecarlo.runner import (
    DEFAULT_MAX_RUNS,
    check_positive,
    check_precision,
    check_protocol,
    check_replicate,
    check_seed,
    replay,
)
from basesim.montecarlo.runner import (
    run as run_scenario,
)
from basesim.montecarlo.summary import Summary
from basesim.scenario.loader import load_scenario
from basesim.scenario.schema import Scenario

SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="PATH=VALUE",
        help="Override a parameter by dotted path, e.g. --set actors.turkey.leverage.syria=0.4 (repeatable).",
    ),
]
ProtocolOption = Annotated[
    str | None,
    typer.Option("--protocol", help="alternating_offers, equilibrium or nash (default: the scenario's); "
                                    "'all' with basesim run: each in OUT/<protocol>/ and compared."),
]
SeedOption = Annotated[
    int | None, typer.Option("--seed", help="Seed entropy (default: monte_carlo.seed, else drawn and recorded).")
]


# --- helpers -------------------------------------------------------------------------------


def default_out(scenario: Scenario, *, root: Path = Path("results")) -> Path:
    """``results/<scenario>-<YYYYmmdd-HHMMSS>``, with a suffix if that folder exists."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = root / f"{scenario.name or 'scenario'}-{stamp}"
    folder, n = base, 2
    while folder.exists():
        folder, n = Path(f"{base}-{n}"), n + 1
    return folder


def command_line(name: str, arguments: list[tuple[str, Any]]) -> str:
    """The equivalent command line of a parsed invocation (defaults left out)."""
    parts = ["basesim", name]
    for option, value in arguments:
        if value is None or value is False or value == []:
            continue
        if option.startswith("--"):
            values = value if isinstance(value, list) else [value]
            for item in values:
                parts += [option] if item is True else [option, str(item)]
        else:
            parts.append(str(value))
    return shlex.join(parts)


def _percent(x: float) -> str:
    return "-" if pd.isna(x) else f"{100 * x:.1f}%"


def _number(x: float) -> str:
    return "-" if pd.isna(x) else f"{x:g}"


def summary_table(summary: Summary, *, title: str) -> Table:
    """The rich table of a summary's probabilities: results, named outcomes, issue levels."""
    scenario = summary.scenario
    t = summary.table
    table = Table(title=title, title_justify="left", show_lines=False, pad_edge=False)
    table.add_column("", overflow="fold")
    table.add_column("estimate", justify="right")
    table.add_column("95% interval", justify="right")
    table.add_column("count", justify="right")

    def section(name: str) -> None:
        table.add_row(f"[bold]{name}[/]", "", "", "", end_section=False)

    def probability_rows(rows: pd.DataFrame, label: Any) -> None:
        for row in rows.itertuples():
            table.add_row(escape(label(row)), _percent(row.estimate),
                          f"{_percent(row.low)} - {_percent(row.high)}", f"{row.count:,}")

    section("Result")
    probability_rows(t[t["kind"] == "result"], lambda r: f"  {r.value}")
    if scenario.outcomes:
        table.add_section()
        section("Named outcomes")
        probability_rows(t[t["kind"] == "outcome"], lambda r: f"  {r.label}")
    for issue_name in scenario.issue_names:
        table.add_section()
        section(escape(scenario.display(issue_name)))
        probability_rows(t[(t["kind"] == "level") & (t["name"] == issue_name)], lambda r: f"  {r.value}")
    return table


def quantile_table(summary: Summary) -> Table | None:
    """Quantiles of money amounts and of the round of agreement (with the median's date)."""
    from basesim.model import round_dates

    t = summary.table
    quantiles = t[t["kind"] == "quantile"]
    if quantiles.empty:
        return None
    table = Table(title="Quantiles", title_justify="left", pad_edge=False)
    table.add_column("", overflow="fold")
    names = list(dict.fromkeys(quantiles["value"]))
    for name in names:
        table.add_column("median" if name == "p50" else name, justify="right")
    table.add_column("over runs", justify="right")
    dates = round_dates(summary.scenario)
    for name, rows in quantiles.groupby("name", sort=False):
        label = rows["label"].iloc[0].rsplit(", p", 1)[0]
        table.add_row(escape(label), *(_number(v) for v in rows["estimate"]), f"{int(rows['count'].iloc[0]):,}")
        if name == "agreement.round":
            table.add_row("  as a date", *("-" if pd.isna(v) else f"{pd.Timestamp(dates[int(v)]):%Y-%m}"
                                           for v in rows["estimate"]), "")
    return table


# --- basesim run ---------------------------------------------------------------------------


@app.command("run")
def run_command(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="Scenario YAML file.")],
    runs: Annotated[int | None, typer.Option("--runs", help="Replications (default: monte_carlo.runs).")] = None,
    seed: SeedOption = None,
    overrides: SetOption = None,
    protocol: ProtocolOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", metavar="DIR", help="Results folder (default: results/<scenario>-<timestamp>/)."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Worker processes (default: all cores; 1 runs in-process).")
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", metavar="ADDRESS",
                     help="Run on a dask cluster: tcp://HOST:PORT of a running scheduler, or 'local'."),
    ] = None,
    precision: Annotated[
        float | None,
        typer.Option("--precision", help="Add runs until every probability's 95% half-width is below this."),
    ] = None,
    max_runs: Annotated[
        int | None, typer.Option("--max-runs", help=f"Cap on runs with --precision (default {DEFAULT_MAX_RUNS:,}).")
    ] = None,
    summary_only: Annotated[
        bool, typer.Option("--summary-only", help="Keep only the summary (no runs.parquet); memory stays flat.")
    ] = False,
    show_progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show a progress bar.")] = True,
    figures: Annotated[
        bool, typer.Option("--figures/--no-figures", help="Write the standard figures to OUT/figures/.")
    ] = True,
) -> None:
    """Run a scenario's Monte Carlo: print the summary and write the results folder."""
    if protocol == "all":  # one run per protocol, then the comparison (basesim.cli.plot)
        options = dict(locals())
        from basesim.cli.plot import run_every_protocol
        return run_every_protocol(run_command, **options)
    # every check before any world is played
    check_positive(runs, option="--runs")
    check_seed(seed, option="--seed")
    check_protocol(protocol, option="--protocol")
    check_positive(workers, option="--workers")
    check_precision(precision, option="--precision")
    check_positive(max_runs, option="--max-runs")
    if runs is not None and precision is not None:
        raise UsageError("--runs: give --runs or --precision, not both (--max-runs caps a --precision run)")
    if max_runs is not None and precision is None:
        raise UsageError("--max-runs: only applies with --precision; give --runs for a fixed number of runs")
    scenario = load_scenario(file, overrides)
    folder = out if out is not None else default_out(scenario)
    check_writable(folder, option="--out")
    command = command_line("run", [
        ("file", file), ("--runs", runs), ("--seed", seed), ("--set", overrides or []), ("--protocol", protocol),
        ("--out", out), ("--workers", workers), ("--scheduler", scheduler), ("--precision", precision),
        ("--max-runs", max_runs), ("--summary-only", summary_only)])

    with ExitStack() as stack:
        executor = connect_scheduler(scheduler, workers, stack) if scheduler else None
        # a progress bar only where it can redraw itself (not in logs or pipes)
        bar = stack.enter_context(progress_bar()) if show_progress and err_console.is_terminal else None
        progress = None
        if bar is not None:
            what = f"{scenario.name}" + (f" (until ±{precision:g})" if precision else "")
            task = bar.add_task(what, total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

        result = run_scenario(scenario, runs=runs, seed=seed, protocol=protocol, workers=workers,
                              executor=executor, precision=precision, max_runs=max_runs,
                              summary_only=summary_only, progress=progress)
    result.provenance["command"] = command
    result.provenance["argv"] = list(sys.argv)
    result.save(folder)

    p = result.provenance
    title = (f"{scenario.title or scenario.name}: {result.runs:,} runs, protocol {p['protocol']}, "
             f"seed {p['seed']}" + (" (drawn)" if p["seed_source"] == "drawn" else ""))
    console.print(summary_table(result.summary, title=escape(title)))
    quantiles = quantile_table(result.summary)
    if quantiles is not None:
        console.print(quantiles)
    if precision is not None:
        record = p["precision"]
        if record["reached"]:
            console.print(f"Every probability is within ±{precision:g} (95%) after {result.runs:,} runs.",
                          highlight=False)
        else:
            console.print(f"[yellow]Stopped at the cap of {result.runs:,} runs[/]: the widest 95% half-width is "
                          f"{record['max_half_width']:.4f}, above the target {precision:g}.", highlight=False)
    console.print(f"Results written to {escape(str(folder))}/", highlight=False, soft_wrap=True)
    if figures:
        from basesim.cli.plot import write_run_figures
        written = write_run_figures(result, folder)
        console.print(f"Figures written to {escape(str(folder / 'figures'))}/ ({len(written)})", highlight=False,
                      soft_wrap=True)


# --- basesim trace -------------------------------------------------------------------------


def _trace_source(file: Path, overrides: list[str] | None, seed: int | None,
                  protocol: str | None) -> tuple[Scenario, int | None, str | None, int | None]:
    """Scenario, seed, protocol and run count, from a scenario file or a results folder."""
    if file.is_dir():
        if overrides:
            raise UsageError("--set: cannot change the scenario of a saved run; give the scenario file instead")
        saved = load_results(file)
        p = saved.provenance
        return (saved.scenario, seed if seed is not None else p["seed"],
                protocol or p.get("protocol"), int(p["runs"]))
    scenario = load_scenario(file, overrides)
    return scenario, seed if seed is not None else scenario.monte_carlo.seed, protocol, None


@app.command("trace")
def trace_command(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="Scenario YAML file, or a results folder of a run.")],
    replicate: Annotated[int, typer.Option("--replicate", help="The replicate (row of the run's table) to replay.")],
    seed: SeedOption = None,
    overrides: SetOption = None,
    protocol: ProtocolOption = None,
) -> None:
    """Replay one world of a run alone and print its rounds (it matches row K of the run's table)."""
    from basesim import model

    check_replicate(replicate, option="--replicate")
    check_seed(seed, option="--seed")
    check_protocol(protocol, option="--protocol")
    scenario, seed, protocol, runs = _trace_source(file, overrides, seed, protocol)
    if runs is not None and replicate >= runs:
        raise UsageError(f"--replicate: the run has {runs} replicates (0 to {runs - 1}), got {replicate}")
    if seed is None:
        raise UsageError("--seed: the scenario has no monte_carlo.seed; give the run's seed "
                         "(recorded in its provenance.json) or pass its results folder as FILE")
    rounds = replay(scenario, replicate, seed=seed, protocol=protocol)
    batch_size = model.batch_size(scenario)
    protocol = protocol or scenario.protocol.name
    console.print(
        f"{escape(scenario.title or scenario.name or str(file))}: replicate {replicate} "
        f"(batch {replicate // batch_size}, row {replicate % batch_size}), seed {seed}, protocol {protocol}",
        highlight=False, soft_wrap=True,
    )
    console.print(trace_table(scenario, rounds))
    if not rounds.empty:
        last = rounds.iloc[-1]
        console.print(f"Ended in {last['status']} at round {last['round']} "
                      f"({pd.Timestamp(last['date']).date()}).", highlight=False)


def trace_table(scenario: Scenario, rounds: pd.DataFrame) -> Table:
    """One row per round: proposer, the offer, each principal's utility / target and answer, events, status."""
    table = Table(show_lines=False, pad_edge=False)
    for column in ("round", "date", "proposer", "offer"):
        table.add_column(column, overflow="fold")
    principals = scenario.principals
    for p in principals:
        table.add_column(f"{p}: utility / target", justify="right")
    table.add_column("answers", overflow="fold")
    table.add_column("events", overflow="fold")
    table.add_column("status")
    issues = [i for i in scenario.issue_names if i in rounds]
    for row in rounds.to_dict(orient="records"):
        offer = " · ".join(str(row[i]) for i in issues if not pd.isna(row[i]))
        cells = [str(row.get("round")), str(pd.Timestamp(row["date"]).date()) if "date" in row else "",
                 str(row.get("proposer", "") if not pd.isna(row.get("proposer")) else ""), offer]
        for p in principals:
            utility, target = row.get(f"utility_{p}", np.nan), row.get(f"target_{p}", np.nan)
            cells.append(f"{_number(round(utility, 3))} / {_number(round(target, 3))}"
                         if not pd.isna(utility) else "")
        answers = [f"{p} {'yes' if row[f'accepted_by_{p}'] else 'no'}" for p in principals
                   if f"accepted_by_{p}" in row and not pd.isna(row[f"accepted_by_{p}"])]
        cells += [", ".join(answers), str(row.get("events") or ""), str(row.get("status", ""))]
        table.add_row(*(escape(c) for c in cells))
    return table


__all__ = ["command_line", "default_out", "quantile_table", "run_command", "summary_table", "trace_command", "trace_table"]
