"""The command line: the typer app and one module per command group (the only layer that prints).

May import: every other layer.
"""

from basesim.cli.app import app, console, err_console, fail
from basesim.cli.main import entry, main

__all__ = ["app", "console", "entry", "err_console", "fail", "main"]
