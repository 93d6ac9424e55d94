"""basesim: Monte Carlo agent-based simulation of negotiation scenarios."""

from basesim._version import __version__
from basesim.errors import BasesimError, OutputError, Problem, ScenarioError, UsageError
from basesim.scenario.loader import dump_scenario, load_scenario, scenario_from_data, scenario_hash, with_overrides
from basesim.montecarlo.results import RunResult, load_results
from basesim.montecarlo.runner import run
from basesim.scenario.schema import Scenario
from basesim.analysis.sensitivity import input_ranking, sobol_sensitivity
from basesim.analysis.sweeps import SweepResult, sweep


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
