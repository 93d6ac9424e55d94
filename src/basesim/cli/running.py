"""What the model-running commands share once their options are checked: the run itself, its progress
bar, the dask executor of ``--scheduler``, and the ``--json`` record of a finished run.

``run``, ``compare`` and ``sensitivity --method ranking`` all go through
:func:`run_scenario`; the command modules import from here (not from each
other), so no two command modules import each other.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from basesim.cli.app import MODE, err_console
from basesim.cli.options import records

if TYPE_CHECKING:
    from basesim.montecarlo.results import RunResult

__all__ = ["executor_for", "run_data", "run_files", "run_progress", "run_scenario"]


def run_scenario(*args: Any, **kwargs: Any) -> RunResult:
    """:func:`basesim.run`, imported on first use (tests replace this name to interrupt a run)."""
    from basesim.montecarlo.runner import run

    return run(*args, **kwargs)


def run_progress(stack: ExitStack, description: str, *, enabled: bool) -> Any:
    """A ``progress(done, total)`` callback drawing a bar on stderr, or None.

    Only where the bar can redraw itself (a terminal, not a log or a pipe),
    and never with ``--quiet``.
    """
    if not enabled or MODE.quiet or not err_console.is_terminal:
        return None
    from basesim.cli.common import progress_bar

    bar = stack.enter_context(progress_bar())
    task = bar.add_task(description, total=None)

    def progress(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return progress


def executor_for(scheduler: str | None, workers: int | None, stack: ExitStack) -> Any:
    """The dask executor of ``--scheduler`` (None without it)."""
    if not scheduler:
        return None
    from basesim.cli.common import connect_scheduler

    return connect_scheduler(scheduler, workers, stack)


def run_files(folder: Path) -> list[str]:
    """The files of a results folder, as paths (figures included)."""
    return sorted(str(path) for path in Path(folder).rglob("*") if path.is_file() and not path.name.startswith("."))


def run_data(result: RunResult, folder: Path) -> dict[str, Any]:
    """What ``basesim run --json`` prints for one run: where, what was run, the summary table, the files."""
    p = result.provenance
    return {
        "scenario": result.scenario.name,
        "title": result.scenario.title,
        "folder": str(folder),
        "runs": result.runs,
        "seed": p.get("seed"),
        "seed_source": p.get("seed_source"),
        "protocol": p.get("protocol"),
        "scenario_hash": p.get("scenario_hash"),
        "precision": p.get("precision"),
        "summary": records(result.summary.table),
        "files": run_files(folder),
    }
