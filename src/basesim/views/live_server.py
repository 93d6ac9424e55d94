"""Serving the live page: Solara's Starlette app under uvicorn, on 127.0.0.1 only.

:func:`serve` loads and runs the scenario as written first (so a bad file is
reported before anything listens), binds ``127.0.0.1:PORT`` itself (port 0:
any free one), says the address through ``on_ready`` and serves until Ctrl-C
or SIGTERM. Solara's usage telemetry is switched off and its front-end files
come from the ``solara-assets`` package, so the page needs no network.
"""

from __future__ import annotations

import errno
import os
import socket
import warnings
from collections.abc import Callable
from pathlib import Path

from basesim.errors import UsageError

__all__ = ["HOST", "serve"]

#: The only address the page listens on.
HOST = "127.0.0.1"
#: The module Solara serves.
APP_MODULE = "basesim.views.live"
#: How to get what the page needs.
INSTALL = 'python3 -m pip install -e ".[app]"'


def _bind(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(f"--port: {port} is in use on {HOST}; give another port, or --port 0 for any free "
                             "one") from None
        raise UsageError(f"--port: cannot listen on {HOST}:{port}: {exc.strerror}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def serve(scenario: str | Path, *, port: int = 8765, runs: int | None = None, seed: int | None = None,
          on_ready: Callable[[str], None] = lambda url: None) -> None:
    """Serve the what-if page of ``scenario`` on ``http://127.0.0.1:PORT/`` until interrupted.

    ``runs`` is the number of runs of every update (default: the scenario's
    ``monte_carlo.runs``, at most 10,000) and ``seed`` their seed (default:
    the scenario's). Raises :class:`~basesim.errors.BasesimError` for a bad
    scenario, run count or port, or without Solara, before anything listens.
    """
    if not 0 <= int(port) <= 65535:
        raise UsageError(f"--port: must be a whole number from 0 to 65535, got {port}")
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")  # no usage reports from this page
    try:
        import solara.server.settings as solara_settings
        import uvicorn

        from basesim.views import live
    except ImportError as exc:  # solara is the 'app' extra
        raise UsageError(f"basesim app needs Solara ({exc.name} is not installed): {INSTALL}") from None

    os.environ[live.ENVIRONMENT["scenario"]] = str(scenario)
    for name, value in (("runs", runs), ("seed", seed)):
        if value is None:
            os.environ.pop(live.ENVIRONMENT[name], None)
        else:
            os.environ[live.ENVIRONMENT[name]] = str(int(value))
    live.prepare(live.settings_from_environment())  # a bad scenario is reported now, and the first page is quick

    solara_settings.telemetry.mixpanel_enable = False
    # the page is plain http on 127.0.0.1, so Solara's advice about https cookies for embedding does not apply;
    # it would print ten lines at every page load
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https", category=UserWarning)
    solara_settings.main.mode = "production"
    solara_settings.theme.show_banner = False  # its corner badge covered the page's buttons (the page credits Solara)
    os.environ["SOLARA_APP"] = APP_MODULE
    sock = _bind(int(port))
    live.start_pool(2)  # forked now, before uvicorn starts threads
    actual = sock.getsockname()[1]
    os.environ["SERVER_NAME"], os.environ["SERVER_PORT"] = HOST, str(actual)
    config = uvicorn.Config("solara.server.starlette:app", host=HOST, port=actual, log_level="warning",
                            access_log=False, lifespan="on", ws_max_size=64 * 1024 * 1024)
    server = uvicorn.Server(config)
    on_ready(f"http://{HOST}:{actual}/")
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        live.stop_pool()
