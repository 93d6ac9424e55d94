"""``basesim discover``: which combinations of inputs lead to an outcome (PRIM scenario discovery).

Reads a saved run (or runs a scenario file first) and prints the PRIM boxes
of one outcome (:func:`basesim.analysis.discovery.discover`): each box's
coverage, density and restrictions in words; writes ``discovery.csv`` and
``discovery.png`` next to the run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from basesim.cli.app import app, emit, example, say, set_output, show
from basesim.cli.common import ForceOption, claim_output
from basesim.cli.options import JsonOption, QuietOption, records
from basesim.errors import UsageError

__all__ = ["discover_command"]


@app.command("discover", short_help="Find the input ranges under which an outcome happens (PRIM boxes).",
             epilog=example("basesim discover results/baseline --output assad_extradited"))
def discover_command(
    source: Annotated[Path, typer.Argument(metavar="RESULTS_DIR|FILE",
                                           help="A results folder of basesim run, or a scenario file to run first.")],
    output: Annotated[
        str | None, typer.Option("--output", metavar="NAME",
                                 help="The yes/no outcome: a named outcome (assad_extradited) or result.agreement "
                                      "(default: the first named outcome).")
    ] = None,
    boxes: Annotated[int, typer.Option("--boxes", help="How many boxes to find, each among the runs the earlier "
                                                       "ones leave out.")] = 1,
    min_coverage: Annotated[
        float, typer.Option("--min-coverage", help="Keep the densest box that still covers this share of the runs "
                                                   "where the outcome holds.")
    ] = 0.5,
    max_inputs: Annotated[
        int, typer.Option("--max-inputs", help="Search over this many inputs, those that move the outcome most.")
    ] = 8,
    runs: Annotated[int | None, typer.Option("--runs", help="With a scenario file: replications to run.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="With a scenario file: the seed.")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", metavar="DIR",
                                  help="Where to write discovery.csv and discovery.png (default: the results folder; "
                                       "for a scenario file, nothing is written).")
    ] = None,
    force: ForceOption = False,
    json_output: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """PRIM scenario discovery: the box of input ranges where an outcome is much more likely, with its coverage
    and density."""
    from basesim.analysis.discovery import discover
    from basesim.montecarlo.results import atomic_write, load_results
    from basesim.montecarlo.runner import check_positive, check_seed

    set_output(json=json_output, quiet=quiet)
    check_positive(runs, option="--runs")
    check_seed(seed, option="--seed")
    check_positive(boxes, option="--boxes")
    check_positive(max_inputs, option="--max-inputs")
    if not 0.0 < min_coverage <= 1.0:
        raise UsageError(f"--min-coverage: must be in (0, 1], got {min_coverage}")
    if source.is_dir():
        if runs is not None or seed is not None:
            raise UsageError("--runs/--seed: apply to a scenario file; a results folder has its runs already")
        result = load_results(source)
        folder = out if out is not None else source
    else:
        from basesim.montecarlo.runner import run
        from basesim.scenario.loader import load_scenario

        scenario = load_scenario(source)
        result = run(scenario, runs=runs, seed=seed)
        folder = out
    if folder is not None:
        claim_output(folder, option="--out", force=force)
    found = discover(result, output=output, boxes=boxes, min_coverage=min_coverage, max_inputs=max_inputs)
    say(f"{result.scenario.title or result.scenario.name}: when does \u201c{found.label}\u201d happen? "
        f"It holds in {found.cases:,} of {found.runs:,} runs ({found.base_density:.1%}).")
    if not found.boxes:
        say("PRIM found no box that restricts any input: no combination of the inputs stands out.")
    for k, box in enumerate(found.boxes, start=1):
        table = Table(title=f"Box {k}: coverage {box.coverage:.0%}, density {box.density:.0%}, "
                            f"{box.mass:.0%} of runs", title_justify="left", pad_edge=False)
        table.add_column("input", overflow="fold")
        table.add_column("in the box", justify="right")
        table.add_column("all runs", justify="right")
        table.add_column("qp", justify="right")
        for row in box.limits.itertuples():
            inside = row.values if row.kind == "values" else f"{row.low:.3g} to {row.high:.3g}"
            table.add_row(row.label, inside, f"{row.full_low:.3g} to {row.full_high:.3g}",
                          "<0.001" if row.qp < 0.001 else f"{row.qp:.3f}")
        show(table)
    written: list[Path] = []
    if folder is not None:
        from basesim.views.discovery_plots import discovery_figure
        from basesim.views.plots import save_figure

        Path(folder).mkdir(parents=True, exist_ok=True)
        with atomic_write(Path(folder) / "discovery.csv") as f:
            found.table().to_csv(f, index=False)
        written.append(Path(folder) / "discovery.csv")
        if found.boxes:
            written.append(save_figure(discovery_figure(found), Path(folder) / "discovery.png"))
        say("Written: " + ", ".join(str(p) for p in written))
    emit({"output": found.output, "label": found.label, "runs": found.runs, "cases": found.cases,
          "boxes": [{"coverage": b.coverage, "density": b.density, "mass": b.mass, "limits": records(b.limits)}
                    for b in found.boxes], "files": [str(p) for p in written]})
