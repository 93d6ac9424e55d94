"""What is needed to reproduce a run, recorded next to its results.

Following msprime's provenance records: the software versions, the resolved
scenario and its hash, the seed entropy (drawn and recorded when the user gave
none, so every run can be repeated), the number of runs, the protocol, the
batch size, the command line or Python call, and when it ran.
"""

from __future__ import annotations

import datetime as dt
import functools
import platform
import sys
from importlib import metadata
from typing import Any

from basesim.scenario.loader import scenario_hash
from basesim.scenario.schema import Scenario

__all__ = ["PACKAGES", "collect_provenance", "describe_call", "now", "versions"]

#: Distributions whose versions are recorded (import name: distribution name).
PACKAGES = {
    "basesim": "basesim",
    "numpy": "numpy",
    "scipy": "scipy",
    "mesa": "Mesa",
    "pandas": "pandas",
    "pyarrow": "pyarrow",
}


def versions() -> dict[str, str | None]:
    """Versions of Python and the packages that shape the results (read once per process: a package's
    metadata is parsed from disk, some 40 ms, and cannot change under a running process)."""
    return dict(_versions())


@functools.cache
def _versions() -> tuple[tuple[str, str | None], ...]:
    found: dict[str, str | None] = {"python": platform.python_version()}
    for name, distribution in PACKAGES.items():
        try:
            found[name] = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            found[name] = None
    return tuple(found.items())


def now() -> str:
    """The current time, ISO 8601 in UTC."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def describe_call(function: str, first: Any, options: dict[str, Any]) -> str:
    """The Python call that started a run, e.g. ``basesim.run('x.yaml', runs=100)``."""
    shown = [repr(str(first)) if not hasattr(first, "issues") else f"<Scenario {getattr(first, 'name', None)!r}>"]
    shown += [f"{key}={value!r}" for key, value in options.items() if value is not None and value is not False]
    return f"{function}({', '.join(shown)})"


def collect_provenance(
    scenario: Scenario,
    *,
    seed: int,
    seed_source: str,
    runs: int,
    protocol: str,
    batch_size: int,
    command: str,
    started: str,
    finished: str,
    execution: dict[str, Any] | None = None,
    precision: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The provenance record of one run (a JSON-ready dict).

    ``seed_source`` says where the seed came from: ``scenario``
    (``monte_carlo.seed``), ``argument`` (``seed=`` / ``--seed``) or ``drawn``
    (fresh entropy from the operating system). ``execution`` describes the
    workers; it never changes the results.
    """
    record: dict[str, Any] = {
        "basesim": versions()["basesim"],
        "versions": versions(),
        "platform": platform.platform(),
        "python_executable": sys.executable,
        "scenario_name": scenario.name,
        "scenario_hash": scenario_hash(scenario),
        "seed": int(seed),
        "seed_source": seed_source,
        "runs": int(runs),
        "protocol": protocol,
        "batch_size": int(batch_size),
        "command": command,
        "started": started,
        "finished": finished,
        "execution": execution or {},
    }
    if precision is not None:
        record["precision"] = precision
    record["scenario"] = scenario.to_data()
    return record
