"""``basesim report``: one self-contained HTML page for any result folder.

Reads the folder of ``basesim run``, ``run --protocol all``, ``compare``,
``sweep`` or ``sensitivity`` (:mod:`basesim.analysis.folders`) and writes
its page (:mod:`basesim.views.report`). :func:`report_hint` is the line the
other commands print so that the next step is one copy and paste away.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer

from basesim.cli.app import app, emit, example, say, set_output
from basesim.cli.options import JsonOption, QuietOption
from basesim.errors import UsageError

__all__ = ["REPORT_FILE", "report_command", "report_hint"]

REPORT_FILE = "report.html"


def report_hint(folder: str | Path) -> str:
    """``For one page to read or send: basesim report FOLDER`` (the exact command, quoted for the shell)."""
    return f"For one page to read or send: basesim report {shlex.quote(str(folder))}"


@app.command("report", short_help="Write one self-contained HTML page for any results folder.",
             epilog=example("basesim report results/baseline"))
def report_command(
    results_dir: Annotated[
        Path, typer.Argument(metavar="RESULTS_DIR",
                             help="A results folder of basesim run, run --protocol all, compare, sweep or sensitivity.")],
    out: Annotated[
        Path | None, typer.Option("--out", metavar="FILE", help="The HTML file (default: RESULTS_DIR/report.html).")
    ] = None,
    replicate: Annotated[
        int | None, typer.Option("--replicate", help="A run's page: the run to show as one negotiation "
                                                      "(default: a typical deal).")
    ] = None,
    full_provenance: Annotated[
        bool, typer.Option("--full-provenance", help="Also show local paths, the Python executable and the platform "
                                                     "(left out by default, so the page can be sent as it is).")
    ] = False,
    json_output: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Write one self-contained HTML page: headline, the scenario in words, figures, tables, provenance."""
    from basesim.analysis.folders import folder_kind
    from basesim.montecarlo.results import check_writable
    from basesim.views.report import write_folder_report

    set_output(json=json_output, quiet=quiet)
    kind = folder_kind(results_dir)  # a bad folder is reported before anything is drawn
    if replicate is not None and kind != "run":
        raise UsageError(f"--replicate: only a run's page shows one negotiation; {str(results_dir)!r} is a "
                         f"{kind} folder")
    if replicate is not None and replicate < 0:
        raise UsageError(f"--replicate: must be a replicate number >= 0, got {replicate}")
    path = out if out is not None else Path(results_dir) / REPORT_FILE
    if path.exists() and path.is_dir():
        raise UsageError(f"--out: {str(path)!r} is a folder; give the HTML file to write")
    check_writable(path.parent, option="--out")
    if replicate is not None:
        from basesim.montecarlo.results import load_results

        runs = load_results(results_dir).runs
        if replicate >= runs:
            raise UsageError(f"--replicate: the run has {runs} replicates (0 to {runs - 1}), got {replicate}")
    kind, path = write_folder_report(results_dir, out=path, full_provenance=full_provenance, replicate=replicate)
    say(f"Report written to {path} (a page for the {kind} folder; open it in a browser, it needs no network)")
    emit({"report": str(path), "kind": kind})
