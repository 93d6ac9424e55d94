"""basesim: Monte Carlo agent-based simulation of negotiation scenarios."""

from basesim.errors import BasesimError, OutputError, Problem, ScenarioError, UsageError
from basesim.loader import dump_scenario, load_scenario, scenario_from_data, scenario_hash, with_overrides
from basesim.results import RunResult, load_results
from basesim.runner import run
from basesim.schema import Scenario
from basesim.sensitivity import input_ranking, sobol_sensitivity
from basesim.sweeps import SweepResult, sweep

__version__ = "0.1.0"

__all__ = [
    "BasesimError",
    "OutputError",
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
