"""Picture commands: ``basesim plot`` and ``basesim compare`` (``basesim report`` is in :mod:`basesim.cli.report`).

``plot`` redraws the standard figures of a saved run (no re-run), ``report``
writes one self-contained HTML page for it, and ``compare`` runs several
scenarios and draws them side by side. :func:`run_every_protocol` serves
``basesim run FILE --protocol all``. pandas, matplotlib and the results
layer are imported inside the commands (start-up time).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from basesim.cli.app import app, emit, example, say, set_output, show
from basesim.cli.common import ForceOption, claim_output
from basesim.cli.options import (
    ExportOption,
    JsonOption,
    ProgressOption,
    QuietOption,
    SchedulerOption,
    WorkersOption,
    check_export_formats,
    default_folder,
    export_tables,
    records,
)
from basesim.errors import UsageError

if TYPE_CHECKING:
    from basesim.montecarlo.results import RunResult
    from basesim.scenario.schema import Scenario

FIGURES_FOLDER = "figures"
REPORT_FILE = "report.html"

FormatOption = Annotated[str, typer.Option("--format", help="Figure file format: png, svg or pdf.")]
FigureFormatOption = Annotated[
    str, typer.Option("--figure-format", help="Figure file format: png, svg or pdf.")
]


# --- helpers ----------------------------------------------------------------------------------


def check_format(format: str, *, option: str = "--format") -> str:
    from basesim.views.plots import FORMATS

    if format not in FORMATS:
        raise UsageError(f"{option}: {format!r} is not a figure format; expected one of {', '.join(FORMATS)}")
    return format


def parse_kinds(kinds: list[str] | None) -> list[str] | None:
    """``--kind`` values (repeatable, or comma-separated), validated; None for every kind."""
    from basesim.views.plots import check_kinds

    if not kinds:
        return None
    names = [k.strip() for value in kinds for k in value.split(",") if k.strip()]
    return check_kinds(names)


def _check_replicate(replicate: int | None, result: RunResult) -> None:
    if replicate is not None and not 0 <= replicate < result.runs:
        raise UsageError(f"--replicate: the run has {result.runs} replicates (0 to {result.runs - 1}), got {replicate}")


def _shown(folder: Path, paths: list[Path]) -> str:
    return f"{escape(str(folder))}/: " + ", ".join(escape(p.name) for p in paths)


def write_run_figures(result: RunResult, folder: Path, *, format: str = "png") -> list[Path]:
    """The standard figures of a finished run into ``FOLDER/figures/`` (what ``basesim run`` leaves), whole or
    not at all (drawn into a temporary sibling folder, renamed into place)."""
    from basesim.montecarlo.output import staged_folder
    from basesim.views.plots import write_figures

    target = Path(folder) / FIGURES_FOLDER
    with staged_folder(target, option="--out") as stage:
        written = write_figures(result, stage, format=format)
    return [target / path.name for path in written]


def comparison_table(results: Mapping[str, RunResult], *, title: str) -> Table:
    """Rows: result categories and named outcomes; columns: the variants, each ``estimate (low-high)``."""
    import pandas as pd

    from basesim.views import plot_data as pdata

    table = Table(title=title, title_justify="left", pad_edge=False)
    table.add_column("", ratio=1, min_width=12)
    for variant, result in results.items():
        table.add_column(f"{escape(variant)}\n{result.runs:,} runs", justify="right")

    def cell(row: Any) -> str:
        if row is None or pd.isna(row["estimate"]):
            return "-"
        return f"{100 * row['estimate']:.1f}% ({100 * row['low']:.1f}-{100 * row['high']:.1f})"

    results_frame = pdata.comparison_table(results, kind="result")
    for name in ("agreement", "breakdown", "talking"):
        rows = results_frame[results_frame["result"] == name].set_index("variant")
        table.add_row(name, *(cell(rows.loc[v]) if v in rows.index else "-" for v in results))
    outcomes = pdata.comparison_table(results, kind="outcome")
    if not outcomes.empty:
        table.add_section()
        for name in dict.fromkeys(outcomes["outcome"]):
            rows = outcomes[outcomes["outcome"] == name].set_index("variant")
            table.add_row(escape(str(rows["label"].iloc[0])),
                          *(cell(rows.loc[v]) if v in rows.index else "-" for v in results))
    return table


def write_comparison(results: Mapping[str, RunResult], folder: Path, *, format: str = "png") -> list[Path]:
    """Comparison figures (results, named outcomes, every issue the variants share) and ``comparison.csv``."""
    import pandas as pd

    from basesim.views import plot_data as pdata
    from basesim.views.plots import comparison_figure, save_figure

    folder = Path(folder)
    written = [save_figure(comparison_figure(results, kind="result"), folder / f"compare-results.{format}")]
    if any(r.scenario.outcomes for r in results.values()):
        written.append(save_figure(comparison_figure(results, kind="outcome"), folder / f"compare-outcomes.{format}"))
    scenarios = [r.scenario for r in results.values()]
    for issue in scenarios[0].issue_names:
        if all(issue in s.issues and s.issues[issue].labels == scenarios[0].issues[issue].labels for s in scenarios):
            figure = comparison_figure(results, kind="level", issue=issue)
            written.append(save_figure(figure, folder / f"compare-{issue}.{format}"))
    frames = [pdata.comparison_table(results, kind=kind).rename(columns={kind: "name"}).assign(kind=kind)
              for kind in ("result", "outcome")]
    csv = pd.concat(frames, ignore_index=True)
    csv = csv[["kind", "name", "variant"] + [c for c in csv.columns if c not in ("kind", "name", "variant")]]
    path = folder / "comparison.csv"
    csv.to_csv(path, index=False)
    written.append(path)
    return written


def comparison_data(results: Mapping[str, RunResult]) -> list[dict[str, Any]]:
    """The comparison as JSON-ready records: kind (result, outcome), name, variant, estimate, low, high, ..."""
    import pandas as pd

    from basesim.views import plot_data as pdata

    frames = [pdata.comparison_table(results, kind=kind).rename(columns={kind: "name"}).assign(kind=kind)
              for kind in ("result", "outcome")]
    table = pd.concat(frames, ignore_index=True)
    return records(table[["kind", "name", "variant"] + [c for c in table.columns
                                                        if c not in ("kind", "name", "variant")]])


# --- basesim plot ---------------------------------------------------------------------------


@app.command("plot", short_help="Redraw the figures of a saved run (no re-run).",
             epilog=example("basesim plot results/baseline --kind levels,negotiation --format svg"))
def plot_command(
    results_dir: Annotated[Path, typer.Argument(metavar="RESULTS_DIR", help="A results folder of basesim run.")],
    kind: Annotated[
        list[str] | None,
        typer.Option("--kind", help="Figure kinds (repeatable or comma-separated): results, outcomes, levels, "
                                    "amounts, timing, utilities, negotiation. Default: all that apply."),
    ] = None,
    format: FormatOption = "png",
    out: Annotated[
        Path | None, typer.Option("--out", metavar="DIR", help="Where to write (default: RESULTS_DIR/figures/).")
    ] = None,
    replicate: Annotated[
        int | None, typer.Option("--replicate", help="The run to show in the 'negotiation' figure (default: a typical deal).")
    ] = None,
    force: ForceOption = False,
    json_output: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Redraw the figures of a saved run, without running it again."""
    from basesim.montecarlo.results import load_results
    from basesim.views.plots import write_figures

    set_output(json=json_output, quiet=quiet)
    check_format(format)
    kinds = parse_kinds(kind)
    result = load_results(results_dir)
    _check_replicate(replicate, result)
    folder = out if out is not None else Path(results_dir) / FIGURES_FOLDER
    claim_output(folder, option="--out", force=force)
    written = write_figures(result, folder, format=format, kinds=kinds, replicate=replicate)
    say(f"Wrote {len(written)} figure{'s' if len(written) != 1 else ''} to {_shown(folder, written)}", markup=True)
    emit({"folder": str(folder), "figures": [str(path) for path in written]})


# --- basesim compare ------------------------------------------------------------------------


def _variant_names(scenarios: list[Scenario], files: list[Path]) -> list[str]:
    names: list[str] = []
    for scenario, file in zip(scenarios, files):
        name = scenario.name or file.stem
        candidate, n = name, 2
        while candidate in names:
            candidate, n = f"{name}-{n}", n + 1
        names.append(candidate)
    return names


@app.command("compare", short_help="Run several scenarios and compare them side by side.",
             epilog=example("basesim compare scenarios/baseline.yaml scenarios/turkey_presses.yaml --runs 5000"))
def compare_command(
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", help="Two or more scenario YAML files.")],
    runs: Annotated[int | None, typer.Option("--runs", help="Replications per scenario (default: each one's).")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed for every scenario (default: each one's).")] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option("--set", metavar="PATH=VALUE", help="Override a parameter in every scenario (repeatable)."),
    ] = None,
    protocol: Annotated[
        str | None, typer.Option("--protocol", help="Run every scenario under this protocol (default: each one's).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", metavar="DIR", help="Folder (default: results/compare-<timestamp>/).")
    ] = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    export: ExportOption = None,
    figure_format: FigureFormatOption = "png",
    figures: Annotated[
        bool, typer.Option("--figures/--no-figures", help="Also write each run's standard figures.")
    ] = True,
    show_progress: ProgressOption = True,
    force: ForceOption = False,
    json_output: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Run several scenarios and draw them side by side (grouped bars with intervals)."""
    from basesim.cli.running import executor_for, run_data, run_progress, run_scenario
    from basesim.montecarlo.runner import check_positive, check_protocol, check_runs, check_seed
    from basesim.scenario.loader import load_scenario

    set_output(json=json_output, quiet=quiet)
    check_runs(runs, option="--runs")
    check_seed(seed, option="--seed")
    check_protocol(protocol, option="--protocol")
    check_positive(workers, option="--workers")
    check_format(figure_format, option="--figure-format")
    if len(files) < 2:
        raise UsageError("compare: give at least two scenario files (to compare protocols on one scenario, "
                         "use basesim run FILE --protocol all)")
    scenarios = [load_scenario(f, overrides) for f in files]  # every file checked before anything runs
    formats = check_export_formats(export, rows=max(runs or s.monte_carlo.runs for s in scenarios))
    folder = out if out is not None else default_folder("compare")
    claim_output(folder, option="--out", force=force)
    results: dict[str, RunResult] = {}
    with ExitStack() as stack:
        executor = executor_for(scheduler, workers, stack)
        for name, scenario in zip(_variant_names(scenarios, files), scenarios):
            with ExitStack() as bar:
                progress = run_progress(bar, name, enabled=show_progress)
                result = run_scenario(scenario, runs=runs, seed=seed, protocol=protocol, workers=workers,
                                      executor=executor, progress=progress)
            result.save(folder / name)
            if formats:
                export_tables({"runs": result.table, "summary": result.summary.table}, folder / name,
                              stem="runs", formats=formats)
            if figures:
                write_run_figures(result, folder / name, format=figure_format)
            results[name] = result
    written = write_comparison(results, folder, format=figure_format)
    show(comparison_table(results, title="Compared: chance (95% interval), %"))
    say(f"Each run's results are in {escape(str(folder))}/<scenario>/; comparison written to "
        f"{_shown(folder, written)}", markup=True)
    from basesim.cli.report import report_hint

    say(report_hint(folder))
    emit({"folder": str(folder), "scenarios": {name: run_data(result, folder / name) for name, result in results.items()},
          "comparison": comparison_data(results), "files": [str(path) for path in written]})


# --- basesim run FILE --protocol all ----------------------------------------------------------


def run_every_protocol(run_one: Any, *, file: Path, overrides: list[str] | None, out: Path | None,
                       protocol: str = "all", **options: Any) -> dict[str, Any]:
    """``basesim run FILE --protocol all``: one run per protocol in ``OUT/<protocol>/``, then the comparison.

    ``run_one`` (:func:`basesim.cli.run.run_one`) plays one protocol with the
    same options (so every check and output is the same) and returns its
    ``--json`` record; the comparison figures and ``comparison.csv`` go to
    ``OUT/``. Returns what ``--json`` prints: each protocol's record and the
    comparison.
    """
    from basesim.montecarlo.results import load_results
    from basesim.scenario.loader import load_scenario
    from basesim.scenario.schema import PROTOCOLS

    format = "png"
    scenario = load_scenario(file, overrides)
    folder = out if out is not None else default_folder(scenario.name, "protocols")
    claim_output(folder, option="--out", force=options.get("force", False))
    runs = {name: run_one(file=file, overrides=overrides, out=folder / name, protocol=name, **options)
            for name in PROTOCOLS}
    results = {name.replace("_", " "): load_results(folder / name) for name in PROTOCOLS}
    written = write_comparison(results, folder, format=format)
    title = f"{scenario.title or scenario.name}: the protocols compared, chance (95% interval), %"
    show(comparison_table(results, title=escape(title)))
    say(f"Comparison written to {_shown(folder, written)}", markup=True)
    from basesim.cli.report import report_hint

    say(report_hint(folder))
    return {"folder": str(folder), "protocols": runs, "comparison": comparison_data(results),
            "files": [str(path) for path in written]}


__all__ = ["compare_command", "comparison_data", "plot_command", "run_every_protocol",
           "write_comparison", "write_run_figures"]
