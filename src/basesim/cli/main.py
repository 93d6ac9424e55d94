"""The ``basesim`` command line: every command group registered, error handling, exit codes.

User errors (:class:`~basesim.errors.BasesimError`) print one clear message and
exit with code 2; a real bug keeps its traceback.
"""

from __future__ import annotations

import sys

import click
import typer
from rich.markup import escape

from basesim.cli import plot, run, scenario, sweep  # noqa: F401 (importing a command module registers it)
from basesim.cli.app import app, err_console, fail
from basesim.errors import BasesimError

#: Command-line usage errors: click's, and those of the click that recent typer versions vendor (typer._click).
_USAGE_ERRORS = (click.ClickException, getattr(typer, "TyperException", click.ClickException))


def main(argv: list[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    try:
        # typer returns (not raises) the code of typer.Exit and turns Ctrl-C into Exit(130)
        code = app(args=argv, prog_name="basesim", standalone_mode=False)
    except BasesimError as error:
        try:
            fail(error)
        except typer.Exit as exit_:
            return exit_.exit_code
    except click.exceptions.Exit as exit_:
        return exit_.exit_code
    except _USAGE_ERRORS as exc:  # a bad command line: click's message and usage, exit 2
        if hasattr(exc, "show"):
            exc.show()
        else:
            err_console.print(f"error: {escape(str(exc))}", highlight=False, soft_wrap=True)
        return 2
    except click.exceptions.Abort:
        err_console.print("interrupted; nothing half-written was left on disk")
        return 130
    if code == 130:
        err_console.print("interrupted; nothing half-written was left on disk")
    return code if isinstance(code, int) and not isinstance(code, bool) else 0


def entry() -> None:  # pragma: no cover - console script
    sys.exit(main())
