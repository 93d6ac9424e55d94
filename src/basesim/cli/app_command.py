"""``basesim app [SCENARIO]``: the live what-if page in a browser (:mod:`basesim.views.live`).

Solara is the optional extra ``app`` (``python3 -m pip install -e ".[app]"``):
without it the command says how to install it. The page listens on
127.0.0.1 only; the command prints its address and serves until Ctrl-C.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from basesim.cli.app import app, example, say, set_output

#: The scenario shown when none is given.
DEFAULT_SCENARIO = Path("scenarios/baseline.yaml")


@app.command("app", short_help="A live what-if page: move an input, see the forecast change.",
             epilog=example("basesim app scenarios/baseline.yaml"))
def app_command(
    file: Annotated[Path | None, typer.Argument(metavar="SCENARIO",
                                                help=f"Scenario YAML file (default {DEFAULT_SCENARIO}).")] = None,
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1 (0: any free port).")] = 8765,
    runs: Annotated[int | None, typer.Option("--runs", help="Runs of every update (default: the scenario's "
                                                            "monte_carlo.runs, at most 10,000).")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of every update (default: monte_carlo.seed, "
                                                            "else drawn once and shown).")] = None,
) -> None:
    """Serve a live what-if page of a scenario on http://127.0.0.1:PORT/ (Ctrl-C stops it).

    Every change of an input plays a fresh Monte Carlo run (by default the
    scenario's runs, at most 10,000, with its seed: the same worlds each
    time), shows the outcomes with their intervals and their change from the
    scenario as written, and can be written as a scenario file that extends
    the original.
    """
    set_output()
    file = DEFAULT_SCENARIO if file is None else file
    from basesim.views.live_server import serve  # imports no Solara: serve says how to install it if missing

    say(f"Loading {file.as_posix()} and running it once ...")

    def ready(url: str) -> None:
        say(f"basesim app: the what-if page of {file.as_posix()} is at {url} (Ctrl-C stops it)")

    try:
        serve(file, port=port, runs=runs, seed=seed, on_ready=ready)
    except KeyboardInterrupt:
        pass
    say("basesim app stopped.")
