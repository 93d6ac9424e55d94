"""Pieces shared by the commands that run models: progress bars and dask clusters."""

from __future__ import annotations

import logging
import os
from contextlib import ExitStack
from typing import Any

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
SCHEDULER_TIMEOUT = "10s"


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
            client = stack.enter_context(Client(scheduler, timeout=SCHEDULER_TIMEOUT))
        except (OSError, TimeoutError, ValueError) as exc:
            raise UsageError(
                f"--scheduler: cannot connect to a dask scheduler at {scheduler!r}: {exc}; "
                "expected 'local' or an address like tcp://HOST:8786 of a running dask scheduler"
            ) from exc
    return client.get_executor()
