"""basesim: Monte Carlo agent-based simulation of negotiation scenarios.

The public names below are imported on first use (PEP 562 ``__getattr__``):
``import basesim`` costs only the error classes and the version, so the
command line starts fast and a notebook's ``import basesim`` prints nothing.
``from basesim import run`` and ``basesim.run`` work as usual.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from basesim._version import __version__
from basesim.errors import BasesimError, OutputError, Problem, ScenarioError, UsageError

if TYPE_CHECKING:  # what the lazy names are, for type checkers and editors
    from basesim.analysis.sensitivity import input_ranking, sobol_sensitivity
    from basesim.analysis.sweeps import SweepResult, sweep
    from basesim.montecarlo.progress import ProgressBar
    from basesim.montecarlo.results import RunResult, load_results
    from basesim.montecarlo.runner import run
    from basesim.scenario.loader import dump_scenario, load_scenario, scenario_from_data, scenario_hash, with_overrides
    from basesim.scenario.schema import Scenario

#: Each lazily imported public name and the module that defines it.
_LAZY = {
    "dump_scenario": "basesim.scenario.loader",
    "load_scenario": "basesim.scenario.loader",
    "scenario_from_data": "basesim.scenario.loader",
    "scenario_hash": "basesim.scenario.loader",
    "with_overrides": "basesim.scenario.loader",
    "Scenario": "basesim.scenario.schema",
    "RunResult": "basesim.montecarlo.results",
    "load_results": "basesim.montecarlo.results",
    "run": "basesim.montecarlo.runner",
    "ProgressBar": "basesim.montecarlo.progress",
    "input_ranking": "basesim.analysis.sensitivity",
    "sobol_sensitivity": "basesim.analysis.sensitivity",
    "SweepResult": "basesim.analysis.sweeps",
    "sweep": "basesim.analysis.sweeps",
}
#: Subpackages reachable as attributes (``basesim.views``) without an explicit import.
_SUBPACKAGES = frozenset({"scenario", "model", "montecarlo", "analysis", "views", "cli"})


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    elif name in _SUBPACKAGES:
        value = importlib.import_module(f"basesim.{name}")
    else:
        raise AttributeError(f"module 'basesim' has no attribute {name!r}")
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | _SUBPACKAGES)


__all__ = [
    "BasesimError",
    "OutputError",
    "ProgressBar",
    "Problem",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "SweepResult",
    "UsageError",
    "__version__",
    "dump_scenario",
    "input_ranking",
    "load_results",
    "load_scenario",
    "run",
    "scenario_from_data",
    "scenario_hash",
    "sobol_sensitivity",
    "sweep",
    "with_overrides",
]
