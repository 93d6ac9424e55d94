"""Run commands: ``basesim run`` (a Monte Carlo run) and ``basesim trace`` (replay one world).

``run`` checks every option and the output folder before it plays a single
world, shows a progress bar, prints the summary table (or, with ``--json``,
one JSON document) and writes the results folder (each file atomically;
``--format csv|xlsx`` adds the runs table as CSV or Excel). ``trace``
replays replicate K of a run alone and prints its rounds; its end matches
row K of the run's table.

numpy, pandas and the model are imported inside the commands, so that
``basesim --help`` starts fast.
"""

from __future__ import annotations

import shlex
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from basesim.cli.app import app, emit, example, say, set_output, show
from basesim.cli.common import ForceOption
from basesim.cli.options import (
    ExportOption,
    JsonOption,
    OutOption,
    ProgressOption,
    QuietOption,
    RunsOption,
    SchedulerOption,
    SeedOption,
    SetOption,
    WorkersOption,
    check_export_formats,
    default_folder,
    export_tables,
    records,
)
from basesim.cli.running import executor_for, run_data, run_progress, run_scenario
from basesim.errors import UsageError

if TYPE_CHECKING:
    import pandas as pd

    from basesim.montecarlo.summary import Summary
    from basesim.scenario.schema import Scenario

ProtocolOption = Annotated[
    str | None,
    typer.Option("--protocol", help="alternating_offers, equilibrium, nash or expected_utility (default: the scenario's); "
                                    "'all' with basesim run: each in OUT/<protocol>/ and compared."),
]

#: The default of ``--max-runs`` (the runner's ``DEFAULT_MAX_RUNS``, without importing the runner).
DEFAULT_MAX_RUNS = 1_000_000


# --- helpers -------------------------------------------------------------------------------


def default_out(scenario: Scenario, *, root: Path = Path("results")) -> Path:
    """``results/<scenario>-<YYYYmmdd-HHMMSS>``, with a suffix if that folder exists."""
    return default_folder(scenario.name, root=root)


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


def _missing(x: Any) -> bool:
    return x is None or x != x  # NaN (and pandas' NA) is the only value not equal to itself


def _percent(x: float) -> str:
    return "-" if _missing(x) else f"{100 * x:.1f}%"


def _number(x: float) -> str:
    return "-" if _missing(x) else f"{x:g}"


def summary_table(summary: Summary, *, title: str) -> Table:
    """The rich table of a summary's probabilities: results, named outcomes, issue levels."""
    scenario = summary.scenario
    t = summary.table
    table = Table(title=title, title_justify="left", show_lines=False, pad_edge=False)
    table.add_column("", ratio=1, min_width=16)  # labels wrap between words, never inside one
    table.add_column("estimate", justify="right", no_wrap=True)
    table.add_column("95% interval", justify="right", no_wrap=True)
    table.add_column("count", justify="right", no_wrap=True)

    def section(name: str) -> None:
        table.add_row(f"[bold]{name}[/]", "", "", "", end_section=False)

    def probability_rows(rows: Any, label: Any) -> None:
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
    import pandas as pd

    from basesim.model import round_dates

    t = summary.table
    quantiles = t[t["kind"] == "quantile"]
    if quantiles.empty:
        return None
    table = Table(title="Quantiles", title_justify="left", pad_edge=False)
    table.add_column("", ratio=1, min_width=16)
    names = list(dict.fromkeys(quantiles["value"]))
    for name in names:
        table.add_column("median" if name == "p50" else name, justify="right", no_wrap=True)
    table.add_column("runs", justify="right", no_wrap=True)
    dates = round_dates(summary.scenario)
    for name, rows in quantiles.groupby("name", sort=False):
        label = rows["label"].iloc[0].rsplit(", p", 1)[0]
        table.add_row(escape(label), *(_number(v) for v in rows["estimate"]), f"{int(rows['count'].iloc[0]):,}")
        if name == "agreement.round":
            table.add_row("  as a date", *("-" if pd.isna(v) else f"{pd.Timestamp(dates[int(v)]):%Y-%m}"
                                           for v in rows["estimate"]), "")
    return table


# --- basesim run ---------------------------------------------------------------------------


@app.command("run", short_help="Run a scenario's Monte Carlo: summary, results folder, figures.",
             epilog=example("basesim run scenarios/baseline.yaml --runs 20000 "
                                   "--set actors.turkey.leverage.syria=0.4"))
def run_command(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="Scenario YAML file.")],
    runs: RunsOption = None,
    seed: SeedOption = None,
    overrides: SetOption = None,
    protocol: ProtocolOption = None,
    out: OutOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
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
    export: ExportOption = None,
    show_progress: ProgressOption = True,
    figures: Annotated[
        bool, typer.Option("--figures/--no-figures", help="Write the standard figures to OUT/figures/.")
    ] = True,
    force: ForceOption = False,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", metavar="DATE", help="Report the state of the talks on this date (YYYY-MM-DD; "
                     "default: the end of the forecast). The results folder keeps every date."),
    ] = None,
    json_output: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Run a scenario's Monte Carlo: print the summary and write the results folder."""
    set_output(json=json_output, quiet=quiet)
    if protocol == "all":  # one run per protocol, then the comparison (basesim.cli.plot)
        options = dict(locals())
        options.pop("json_output"), options.pop("quiet")
        from basesim.cli.plot import run_every_protocol

        emit(run_every_protocol(run_one, **options))
        return
    emit(run_one(file=file, runs=runs, seed=seed, overrides=overrides, protocol=protocol, out=out,
                 workers=workers, scheduler=scheduler, precision=precision, max_runs=max_runs,
                 summary_only=summary_only, export=export, show_progress=show_progress, figures=figures,
                 force=force, as_of=as_of))


def check_run_options(*, runs: int | None, seed: int | None, protocol: str | None, workers: int | None,
                      precision: float | None, max_runs: int | None, summary_only: bool = False) -> None:
    """Every check of ``basesim run``'s numbers, before anything is loaded or played."""
    from basesim.montecarlo.runner import check_positive, check_precision, check_protocol, check_runs, check_seed

    check_runs(runs, option="--runs", summary_only=summary_only)
    check_runs(max_runs, option="--max-runs", summary_only=summary_only)
    check_seed(seed, option="--seed")
    check_protocol(protocol, option="--protocol")
    check_positive(workers, option="--workers")
    check_precision(precision, option="--precision")
    check_positive(max_runs, option="--max-runs")
    if runs is not None and precision is not None:
        raise UsageError("--runs: give --runs or --precision, not both (--max-runs caps a --precision run)")
    if max_runs is not None and precision is None:
        raise UsageError("--max-runs: only applies with --precision; give --runs for a fixed number of runs")


def run_one(*, file: Path, runs: int | None, seed: int | None, overrides: list[str] | None,
            protocol: str | None, out: Path | None, workers: int | None, scheduler: str | None,
            precision: float | None, max_runs: int | None, summary_only: bool, export: list[str] | None,
            show_progress: bool, figures: bool, force: bool = False, as_of: str | None = None) -> dict[str, Any]:
    """One ``basesim run``: check, run, save, print; return what ``--json`` prints."""
    from basesim.cli.common import claim_output
    from basesim.montecarlo.results import save_results
    from basesim.scenario.loader import load_scenario

    # every check before any world is played
    check_run_options(runs=runs, seed=seed, protocol=protocol, workers=workers, precision=precision,
                      max_runs=max_runs, summary_only=summary_only)
    scenario = load_scenario(file, overrides)
    when = as_of_label(scenario, as_of)  # a date outside the forecast is refused before any work
    planned = (max_runs or DEFAULT_MAX_RUNS) if precision is not None else (runs or scenario.monte_carlo.runs)
    formats = check_export_formats(export, rows=planned)
    if formats and summary_only:
        raise UsageError("--format: a --summary-only run keeps no runs table to export; drop one of the two")
    folder = out if out is not None else default_out(scenario)
    claim_output(folder, option="--out", force=force, staged=True)  # held until the command ends
    command = command_line("run", [
        ("file", file), ("--runs", runs), ("--seed", seed), ("--set", overrides or []), ("--protocol", protocol),
        ("--out", out), ("--workers", workers), ("--scheduler", scheduler), ("--precision", precision),
        ("--max-runs", max_runs), ("--summary-only", summary_only)])

    with ExitStack() as stack:
        executor = executor_for(scheduler, workers, stack)
        progress = run_progress(stack, f"{scenario.name}" + (f" (until ±{precision:g})" if precision else ""),
                                enabled=show_progress)
        result = run_scenario(scenario, runs=runs, seed=seed, protocol=protocol, workers=workers,
                              executor=executor, precision=precision, max_runs=max_runs,
                              summary_only=summary_only, progress=progress)
    result.provenance["command"] = command
    result.provenance["argv"] = list(sys.argv)
    save_results(result, folder, force=force, option="--out", force_hint="--force")  # whole or not at all
    exported = export_tables({"runs": result.table, "summary": result.summary.table}, folder, stem="runs",
                             formats=formats) if formats else []

    p = result.provenance
    title = (f"{scenario.title or scenario.name}: {result.runs:,} runs, protocol {p['protocol']}, "
             f"seed {p['seed']}" + (" (drawn)" if p["seed_source"] == "drawn" else "") + f"; {when}")
    summary = result.summary.at(as_of) if as_of is not None else result.summary
    show(summary_table(summary, title=escape(title)))
    quantiles = quantile_table(summary)
    if quantiles is not None:
        show(quantiles)
    forecasts = None
    if p["protocol"] == "expected_utility":  # each issue's two forecasts (basesim.cli.eu)
        from basesim.cli.eu import show_forecasts

        forecasts = show_forecasts(result)
    if precision is not None:
        record = p["precision"]
        if record["reached"]:
            say(f"Every probability is within ±{precision:g} (95%) after {result.runs:,} runs.")
        else:
            say(f"[yellow]Stopped at the cap of {result.runs:,} runs[/]: the widest 95% half-width is "
                f"{record['max_half_width']:.4f}, above the target {precision:g}.", markup=True)
    say(f"Results written to {folder}/")
    if exported:
        say("Tables exported: " + ", ".join(str(path) for path in exported))
    if figures:
        from basesim.cli.plot import write_run_figures

        written = write_run_figures(result, folder)
        say(f"Figures written to {folder / 'figures'}/ ({len(written)})")
    from basesim.cli.report import report_hint

    say(report_hint(folder))
    data = run_data(result, folder)
    if as_of is not None:
        import pandas as pd

        data.update(as_of=str(pd.Timestamp(as_of).date()), summary=records(summary.table))
    return {**data, **({"expected_utility": forecasts} if forecasts is not None else {})}


def as_of_label(scenario: Scenario, as_of: str | None) -> str:
    """``as of DATE`` for a summary's title (checked against the forecast's horizon)."""
    import pandas as pd

    from basesim.montecarlo.as_of import as_of_dates, as_of_index

    dates = as_of_dates(scenario)
    if as_of is None:
        return f"as of {dates[-1].date()} (end of the forecast)"
    index = as_of_index(scenario, as_of)
    stamp = pd.Timestamp(as_of).date()
    shown = dates[index].date()
    return f"as of {stamp}" + (f" (the round of {shown})" if shown != stamp else "")


# --- basesim trace -------------------------------------------------------------------------


def _trace_source(file: Path, overrides: list[str] | None, seed: int | None,
                  protocol: str | None) -> tuple[Scenario, int | None, str | None, int | None]:
    """Scenario, seed, protocol and run count, from a scenario file or a results folder."""
    from basesim.montecarlo.results import load_results
    from basesim.scenario.loader import load_scenario

    if file.is_dir():
        if overrides:
            raise UsageError("--set: cannot change the scenario of a saved run; give the scenario file instead")
        saved = load_results(file)
        p = saved.provenance
        return (saved.scenario, seed if seed is not None else p["seed"],
                protocol or p.get("protocol"), int(p["runs"]))
    scenario = load_scenario(file, overrides)
    return scenario, seed if seed is not None else scenario.monte_carlo.seed, protocol, None


@app.command("trace", short_help="Replay one negotiation of a run round by round.",
             epilog=example("basesim trace scenarios/baseline.yaml --replicate 42"))
def trace_command(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="Scenario YAML file, or a results folder of a run.")],
    replicate: Annotated[int, typer.Option("--replicate", help="The replicate (row of the run's table) to replay.")],
    seed: SeedOption = None,
    overrides: SetOption = None,
    protocol: Annotated[
        str | None,
        typer.Option("--protocol", help="alternating_offers, equilibrium, nash or expected_utility (default: the run's)."),
    ] = None,
    json_output: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Replay one world of a run alone and print its rounds (it matches row K of the run's table)."""
    import pandas as pd

    from basesim import model
    from basesim.montecarlo.runner import check_protocol, check_replicate, check_seed, replay

    set_output(json=json_output, quiet=quiet)
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
    say(f"{scenario.title or scenario.name or file}: replicate {replicate} "
        f"(batch {replicate // batch_size}, row {replicate % batch_size}), seed {seed}, protocol {protocol}")
    show(trace_table(scenario, rounds))
    if not rounds.empty:
        last = rounds.iloc[-1]
        if last["status"] == "talking":
            say(f"Still talking at the end of the forecast (round {last['round']}, {pd.Timestamp(last['date']).date()}).")
        else:
            say(f"Ended in {last['status']} at round {last['round']} ({pd.Timestamp(last['date']).date()}).")
    emit({"scenario": scenario.name, "replicate": replicate, "seed": seed, "protocol": protocol,
          "batch": replicate // batch_size, "row": replicate % batch_size, "rounds": records(rounds)})


def trace_rows(scenario: Scenario, rounds: pd.DataFrame) -> list[dict[str, str]]:
    """Each round as display text: round, date, offer (``proposer: level · level``), each principal's
    ``utility / target``, and what happened (answers, events, and how the round ended unless the talks go on)."""
    import pandas as pd

    def missing(value: Any) -> bool:
        return value is None or bool(pd.isna(value))

    issues = [i for i in scenario.issue_names if i in rounds]
    shown = []
    for row in rounds.to_dict(orient="records"):
        offer = " · ".join(str(row[i]) for i in issues if not missing(row[i]))
        proposer = row.get("proposer")
        cells = {"round": str(row.get("round")),
                 "date": str(pd.Timestamp(row["date"]).date()) if "date" in row else "",
                 "offer": f"{proposer}: {offer}" if not missing(proposer) and offer else offer}
        for p in scenario.principals:
            utility, target = row.get(f"utility_{p}"), row.get(f"target_{p}")
            cells[p] = "" if missing(utility) else f"{utility:.2f} / {'-' if missing(target) else f'{target:.2f}'}"
        answers = [f"{p} {'yes' if row[f'accepted_by_{p}'] else 'no'}" for p in scenario.principals
                   if f"accepted_by_{p}" in row and not missing(row[f"accepted_by_{p}"])]
        status = str(row.get("status", ""))
        happened = [", ".join(answers), str(row.get("events") or ""), "" if status == "continue" else status]
        cells["what happened"] = "; ".join(part for part in happened if part)
        shown.append(cells)
    return shown


def trace_table(scenario: Scenario, rounds: pd.DataFrame, *, width: int | None = None) -> Any:
    """One row per round: date, the offer (by whom), each principal's utility / target, what happened.

    When that table cannot fit ``width`` (default: the console's) without
    breaking a word, each round becomes a small block of ``label: text``
    lines instead, which always fits.
    """
    from rich import box
    from rich.console import Group
    from basesim.cli.app import console, fit_table

    rows = trace_rows(scenario, rounds)
    principals = scenario.principals
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1),
                  caption="utility / target: what the offer is worth to each principal, and the least it accepts",
                  caption_justify="left")
    table.add_column("round", justify="right", no_wrap=True)
    table.add_column("date", no_wrap=True)
    table.add_column("offer", ratio=3, min_width=14)
    for p in principals:
        table.add_column(p, justify="right", no_wrap=True)
    table.add_column("what happened", ratio=1, min_width=10)
    for cells in rows:
        table.add_row(*(escape(cells[key]) for key in ["round", "date", "offer", *principals, "what happened"]))
    width = width or console.width
    if fit_table(table, width) <= width:
        return table
    blocks = []
    for cells in rows:
        block = Table.grid(padding=(0, 1))
        block.add_column(no_wrap=True)
        block.add_column()
        block.add_row(f"[bold]round {escape(cells['round'])}[/]", escape(cells["date"]))
        block.add_row("offer", escape(cells["offer"]))
        for p in principals:
            block.add_row(escape(f"{p} utility / target"), escape(cells[p]))
        block.add_row("what happened", escape(cells["what happened"]))
        blocks.append(block)
    return Group(*(part for block in blocks for part in (block, "")))


__all__ = ["command_line", "default_out", "quantile_table", "run_command", "summary_table", "trace_command", "trace_table"]
