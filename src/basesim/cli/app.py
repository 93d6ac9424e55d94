"""The typer app every command registers on, the consoles, and how a user error is printed.

Command modules import :data:`app` from here and register themselves with
``@app.command()``; :mod:`basesim.cli.main` imports them all and runs the app.
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

from basesim.errors import BasesimError, ScenarioError

app = typer.Typer(
    name="basesim",
    help="Negotiation scenario simulator: run, inspect and analyse negotiation scenarios.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
console = Console()
err_console = Console(stderr=True)


def fail(error: BasesimError) -> None:
    """Print a user error without a traceback and exit 2 (one ``error:`` line per problem)."""
    lines = [str(p) for p in error.problems] if isinstance(error, ScenarioError) else [str(error)]
    for line in lines:
        # escape: messages quote values such as [low, high] that rich would read as markup
        err_console.print(f"[bold red]error:[/] {escape(line)}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(code=2)
