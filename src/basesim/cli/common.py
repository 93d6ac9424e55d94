"""Pieces shared by the commands: the scope of one command (signals, claimed folders), progress bars, dask clusters.

:func:`command_scope` wraps every invocation (:func:`basesim.cli.main.main`):
SIGTERM is turned into an interruption like Ctrl-C, so that worker pools are
stopped and temporary files removed before the process exits (code 143), and
the output folders a command claimed (:func:`claim_output`) are released when
it ends, however it ends.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from basesim.cli.app import err_console
from basesim.errors import UsageError

#: How long to wait for a dask scheduler before giving up.
SCHEDULER_TIMEOUT = "3s"

ForceOption = Annotated[
    bool,
    typer.Option("--force", help="Replace the output folder even if basesim did not write it (everything in it "
                                 "is deleted)."),
]


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: the command stops as on Ctrl-C (workers stopped, nothing half-written left)."""


class CommandScope:
    """What :func:`command_scope` records: whether SIGTERM ended the command."""

    terminated = False


@contextlib.contextmanager
def command_scope(scope: CommandScope | None = None) -> Iterator[CommandScope]:
    """One command's lifetime: SIGTERM raises :class:`Terminated`; claimed folders are released at the end."""
    from basesim.montecarlo.output import release_claims

    scope = scope if scope is not None else CommandScope()
    previous = None
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGTERM"):
        def on_sigterm(number: int, frame: Any) -> None:
            scope.terminated = True
            raise Terminated()

        previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield scope
    finally:
        release_claims()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def claim_output(folder: Path, *, force: bool = False, option: str = "--out", staged: bool = False) -> Path:
    """Check the output folder and hold it for this command (:func:`basesim.montecarlo.output.claim_output`)."""
    from basesim.montecarlo.output import claim_output as claim

    return claim(folder, option=option, force=force, staged=staged)


def progress_bar() -> Progress:
    """The progress bar of long commands, on stderr, gone when done."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )


def connect_scheduler(scheduler: str, workers: int | None, stack: ExitStack) -> Any:
    """An executor on a dask cluster: ``local`` starts a LocalCluster, else connect to the address."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - dask is a dependency
        raise UsageError(f"--scheduler: dask.distributed is not installed ({exc})") from exc
    if scheduler == "local":
        cluster = stack.enter_context(LocalCluster(
            n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
            dashboard_address=None, silence_logs=logging.ERROR))
        client = stack.enter_context(Client(cluster))
    else:
        try:
            _check_reachable(scheduler)
            client = stack.enter_context(Client(scheduler, timeout=SCHEDULER_TIMEOUT))
        except (OSError, TimeoutError, ValueError) as exc:
            raise UsageError(
                f"--scheduler: cannot connect to a dask scheduler at {scheduler!r}: {exc}; "
                "expected 'local' or an address like tcp://HOST:8786 of a running dask scheduler"
            ) from exc
    return client.get_executor()


def _check_reachable(address: str) -> None:
    """Fail fast when no dask scheduler answers at a ``tcp://HOST:PORT`` address; other forms go to dask.

    A scheduler sends its handshake as soon as it accepts a connection; a
    port that accepts but stays silent would leave ``distributed.Client``
    waiting for ever, whatever its ``timeout``. Raises ``OSError`` or
    ``TimeoutError`` within :data:`SCHEDULER_TIMEOUT`.
    """
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme != "tcp" or not parts.hostname or parts.port is None:
        return
    seconds = float(SCHEDULER_TIMEOUT.rstrip("s"))
    with socket.create_connection((parts.hostname, parts.port), timeout=seconds) as probe:
        probe.settimeout(seconds)
        try:
            first = probe.recv(1)
        except TimeoutError:
            raise TimeoutError(f"it accepts connections but says nothing within {seconds:g} s, "
                               "so it is not a dask scheduler that answers") from None
        if not first:
            raise OSError("it closed the connection without a word, so it is not a dask scheduler")
