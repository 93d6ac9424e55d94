"""basesim: Monte Carlo agent-based simulation of negotiation scenarios."""

from basesim.errors import BasesimError, OutputError, Problem, ScenarioError, UsageError
from basesim.loader import dump_scenario, load_scenario, scenario_from_data, scenario_hash, with_overrides
from basesim.results import RunResult, load_results
from basesim.runner import run
from basesim.schema import Scenario

__version__ = "0.1.0"

__all__ = [
    "BasesimError",
    "OutputError",
    "Problem",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "UsageError",
    "__version__",
    "dump_scenario",
    "load_results",
    "load_scenario",
    "run",
    "scenario_from_data",
    "scenario_hash",
    "with_overrides",
]
