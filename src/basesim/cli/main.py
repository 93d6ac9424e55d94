"""The ``basesim`` command line: every command group registered, error handling, exit codes.

Exit codes: 0 success; 2 a user error (:class:`~basesim.errors.BasesimError`:
one clear message, no traceback) or a bad command line; 130 interrupted
(Ctrl-C). A real bug keeps its traceback.
"""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from basesim.cli import app_command, discover, forecast, plot, report, run, scenario, sweep  # noqa: F401 (importing a command module registers it)
from basesim.cli.app import app, err_console, fail, set_output
from basesim.cli.common import CommandScope, command_scope
from basesim.errors import BasesimError


def _exceptions() -> tuple[tuple[type, ...], tuple[type, ...], tuple[type, ...]]:
    """(exits, aborts, usage errors): typer's own and, for older typer versions, click's."""
    exits: list[type] = [typer.Exit]
    aborts: list[type] = [typer.Abort]
    usage: list[type] = [typer.TyperException] if hasattr(typer, "TyperException") else []
    try:  # recent typer versions vendor click as typer._click and raise typer's exceptions
        from typer import _click  # type: ignore[attr-defined]

        usage.append(_click.ClickException)
    except ImportError:  # pragma: no cover - older typer raises click's own
        import click

        exits.append(click.exceptions.Exit)
        aborts.append(click.exceptions.Abort)
        usage.append(click.ClickException)
    return tuple(dict.fromkeys(exits)), tuple(dict.fromkeys(aborts)), tuple(dict.fromkeys(usage))


_EXITS, _ABORTS, _USAGE_ERRORS = _exceptions()
INTERRUPTED = "interrupted; nothing half-written was left on disk"
TERMINATED = "terminated (SIGTERM); nothing half-written was left on disk"


def main(argv: list[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    set_output()  # every invocation starts with plain output (commands set --json / --quiet)
    scope = CommandScope()
    try:
        with command_scope(scope):  # SIGTERM stops the command like Ctrl-C; claimed folders are released
            code = _main(argv)
    except KeyboardInterrupt:  # one that arrived outside the command itself
        code = 130
    if scope.terminated:
        err_console.print(TERMINATED)
        return 143
    if code == 130:
        err_console.print(INTERRUPTED)
    return code


def _main(argv: list[str] | None) -> int:
    try:
        # typer returns (not raises) the code of typer.Exit and turns Ctrl-C into Exit(130)
        code = app(args=argv, prog_name="basesim", standalone_mode=False)
    except BasesimError as error:
        try:
            fail(error)
        except _EXITS as exit_:
            return exit_.exit_code
    except _EXITS as exit_:
        return exit_.exit_code
    except _USAGE_ERRORS as exc:  # a bad command line: click's message and usage, exit 2
        if hasattr(exc, "show"):
            exc.show()
        else:
            err_console.print(f"error: {escape(str(exc))}", highlight=False, soft_wrap=True)
        return 2
    except _ABORTS:
        return 130
    finally:
        set_output()
    return code if isinstance(code, int) and not isinstance(code, bool) else 0


def entry() -> None:  # pragma: no cover - console script
    sys.exit(main())
