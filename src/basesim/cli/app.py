"""The typer app every command registers on, the consoles, the output mode, and how a user error is printed.

Command modules import :data:`app` from here and register themselves with
``@app.command()``; :mod:`basesim.cli.main` imports them all and runs the app.

Where output goes (the same for every command):

- results (tables, YAML) on stdout through :func:`show`;
- with ``--json``, one JSON document on stdout instead (:func:`emit`), and
  every message on stderr;
- messages ("Results written to ...") through :func:`say`: on stdout
  normally, on stderr with ``--json``, nowhere with ``--quiet``;
- errors, warnings and progress bars on stderr, always (``--quiet`` hides
  warnings and progress, never errors).

This module imports only typer and rich, so ``basesim --help`` starts fast:
commands import numpy, pandas, scipy and matplotlib inside their bodies.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.cells import cell_len
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from basesim._version import __version__
from basesim.errors import BasesimError, ScenarioError

#: The order ``basesim --help`` lists the commands in: check, run, analyse, show; any other after these.
COMMAND_ORDER = ("validate", "show", "schema", "run", "trace", "compare", "sweep", "sensitivity", "discover",
                 "forecast", "score", "plot", "report")


class _OrderedGroup(typer.core.TyperGroup):
    def list_commands(self, ctx: Any) -> list[str]:
        names = list(super().list_commands(ctx))
        rank = {name: i for i, name in enumerate(COMMAND_ORDER)}
        return sorted(names, key=lambda name: (rank.get(name, len(rank)), names.index(name)))


app = typer.Typer(
    name="basesim",
    cls=_OrderedGroup,
    help="Negotiation scenario simulator: run, inspect and analyse negotiation scenarios.",
    epilog="\b\nExample:\n  basesim run scenarios/baseline.yaml\n\nEvery command takes --help; bad input exits "
           "with code 2.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
#: Results: tables and YAML (stdout). Rich wraps at the terminal's width, or at 80 columns when piped.
console = Console()
#: Errors, warnings, progress and (with --json) messages (stderr).
err_console = Console(stderr=True)


@dataclass
class OutputMode:
    """How the running command prints: ``json`` (a JSON document on stdout) and ``quiet`` (no messages)."""

    json: bool = False
    quiet: bool = False


#: The running command's output mode (set by :func:`set_output` at the start of every command).
MODE = OutputMode()


def set_output(*, json: bool = False, quiet: bool = False) -> OutputMode:
    """Set the output mode of the command about to run (``--json``, ``--quiet``)."""
    MODE.json, MODE.quiet = bool(json), bool(quiet)
    return MODE


def show(renderable: Any) -> None:
    """Print a result (a rich table or text) on stdout, unless ``--json`` or ``--quiet``.

    Tables are laid out by :func:`fit_table`: columns wrap between words,
    never inside one. A table that cannot fit the console's width (80 columns
    when piped) that way is printed wider rather than folded.
    """
    if MODE.json or MODE.quiet:
        return
    if isinstance(renderable, Table):
        needed = fit_table(renderable, console.width)
        if needed > console.width:  # console.print(width=) cannot exceed the console's width: widen it
            width = console.width
            console.width = needed
            try:
                console.print(renderable)
            finally:
                console.width = width
            return
    console.print(renderable)


def _plain(cell: Any) -> str | None:
    if isinstance(cell, str):
        return Text.from_markup(cell).plain
    if isinstance(cell, Text):
        return cell.plain
    return None


def _widths(column: Any) -> tuple[int, int]:
    """(longest word, longest line) over a column's header and cells; a no-wrap column's minimum is its line."""
    words, lines = 1, 1
    for cell in [column.header, *column._cells]:
        text = _plain(cell)
        if text is None:
            continue
        for line in text.splitlines() or [""]:
            lines = max(lines, cell_len(line))
            words = max(words, *(cell_len(word) for word in line.split()), 1)
    if column.no_wrap:
        words = lines
    words = max(words, column.min_width or 0)
    return words, max(lines, words)


def fit_table(table: Table, width: int) -> int:
    """Set every column's width so the table fits ``width`` with no word broken; return the table's width.

    Each column gets at least its longest word (its longest line if it does
    not wrap); what is left of ``width`` is shared out among the columns
    that would wrap, in proportion to their ``ratio`` (1 unless set), none
    getting more than its longest line. When even the longest
    words do not fit, every column gets its minimum and the returned width is
    above ``width`` (print the table that wide).
    """
    columns = table.columns
    if not columns:
        return 0
    _, right, _, left = Padding.unpack(table.padding)
    overhead = len(columns) * (left + right) - (0 if table.pad_edge else left + right)
    if table.box is not None:
        overhead += len(columns) - 1 + (2 if table.show_edge else 0)
    bounds = [_widths(column) for column in columns]
    widths = [low for low, _ in bounds]
    spare = width - overhead - sum(widths)
    # water-filling: the columns that want more share what is left in proportion to their ``ratio``
    # (1 by default), none getting more than it wants; narrow columns are satisfied first
    wanting = {i: high - low for i, (low, high) in enumerate(bounds) if high > low}
    while spare > 0 and wanting:
        weights = {i: columns[i].ratio or 1 for i in wanting}
        total = sum(weights.values())
        shares = {i: max(1, spare * weights[i] // total) for i in wanting}
        for i in sorted(wanting, key=lambda i: wanting[i] - shares[i]):
            give = min(wanting[i], shares[i], spare)
            widths[i] += give
            spare -= give
            wanting[i] -= give
            if wanting[i] == 0:
                del wanting[i]
            if spare == 0:
                break
    for column, w in zip(columns, widths):
        column.width = w
    return sum(widths) + overhead


def say(text: str, *, markup: bool = False) -> None:
    """Print a message: stdout normally, stderr with ``--json``, nowhere with ``--quiet``."""
    if MODE.quiet:
        return
    target = err_console if MODE.json else console
    target.print(text if markup else escape(text), highlight=False, soft_wrap=True)


def warn(text: str) -> None:
    """Print a warning on stderr (``--quiet`` hides it)."""
    if not MODE.quiet:
        err_console.print(f"[yellow]warning:[/] {escape(text)}", highlight=False, soft_wrap=True)


def emit(data: Any) -> None:
    """With ``--json``: write ``data`` as one JSON document on stdout (nothing otherwise)."""
    if MODE.json:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
        sys.stdout.flush()


class LazyModule:
    """A module imported on first attribute access: ``pd = LazyModule("pandas")`` at the top of a command
    module keeps ``pd.DataFrame`` working in its functions without importing pandas for ``--help``."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        import importlib

        return getattr(importlib.import_module(self._name), attribute)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


def fail(error: BasesimError) -> None:
    """Print a user error without a traceback and exit 2 (one ``error:`` line per problem)."""
    lines = [str(p) for p in error.problems] if isinstance(error, ScenarioError) else [str(error)]
    for line in lines:
        # escape: messages quote values such as [low, high] that rich would read as markup
        err_console.print(f"[bold red]error:[/] {escape(line)}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(code=2)


def example(command: str) -> str:
    """A command's ``--help`` epilog: one example, kept on one line (click's ``\\b`` stops rewrapping)."""
    return f"\b\nExample:\n  {command}"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"basesim {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    pass
