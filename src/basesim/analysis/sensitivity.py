"""Which uncertain inputs drive which outcomes: sensitivity analysis.

Two methods, one question ("which uncertainties matter most?"):

1. **Variance-based Sobol' indices** (:func:`sobol_analysis`,
   :func:`sobol_sensitivity`). The first-order index ``S_i`` of a factor is
   the share of an output's variance that the factor explains alone,
   ``Var(E[Y | X_i]) / Var(Y)``; the total index ``ST_i`` adds every
   interaction it takes part in, ``E[Var(Y | X_~i)] / Var(Y)``. Design and
   estimators are those of Saltelli et al. (2010), *Variance based
   sensitivity analysis of model output. Design and estimator for the total
   sensitivity index*, Comput. Phys. Commun. 181:259-270,
   doi:10.1016/j.cpc.2009.09.018: two scrambled Sobol' matrices ``A`` and
   ``B`` (``scipy.stats.qmc.Sobol`` with ``2 D`` columns), and for every
   factor ``k`` the matrix ``AB_k`` (``A`` with the factor's columns taken
   from ``B``); ``scipy.stats.sobol_indices`` computes the indices from the
   outputs at ``A``, ``B`` and ``AB_k``. Intervals are bootstrap (BCa,
   ``scipy.stats.bootstrap``) over the ``n`` rows of the design, drawn from
   the analysis' own ``rng`` so that they are reproducible.

   A factor may span several columns (a *group*, Jacobson/Sobol' 2001): a
   Dirichlet salience vector is one factor, and so is all of the in-run
   randomness.

2. **A cheap ranking from a plain Monte Carlo sample** (:func:`rank_inputs`):
   the correlation ratio ``eta^2 = Var(E[Y | X_i]) / Var(Y)`` (Pearson 1905)
   estimated by binning ``X_i`` into quantile bins, which is a "given-data"
   estimator of the first-order index (Plischke 2010, *An effective algorithm
   for computing global sensitivity indices (EASI)*, Reliab. Eng. Syst. Saf.
   95:354-360, doi:10.1016/j.ress.2009.11.005), corrected for the upward bias
   of binning; and Spearman's rank correlation for the direction of the
   effect. It reuses the table of an ordinary run: no extra model runs.

The model output is stochastic given its parameters
----------------------------------------------------
Given every parameter, a replication still depends on in-run randomness:
the principals' belief noise and the per-round breakdown draws (and whether
each event occurs). :func:`sobol_sensitivity` treats that randomness
honestly as inputs, not as noise to average away:

- the in-run randomness (belief noise and breakdown draws) is **one grouped
  factor**, ``in-run randomness``; its indices say how much of an outcome's
  variance is luck that no better knowledge of the parameters would remove;
- whether each event occurs is its own factor ``events.NAME.occurs``: an
  analyst can ask whether it matters that sanctions relief happens;
- because ``AB_k`` takes only factor ``k``'s columns from ``B``, the
  in-run randomness of row ``j`` is common to ``A_j`` and every ``AB_k,j``
  (common random numbers per row): the differences ``f(A) - f(AB_k)`` that
  the estimators average are caused by factor ``k`` alone, not by noise.

The indices are then the ordinary Sobol' indices of the deterministic
function ``Y = f(parameters, randomness)``, they add up as usual, and the
Ishigami check goes through exactly the same code (:func:`sobol_analysis`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from basesim.analysis.ranking import rank_inputs
from basesim.analysis.sobol import (
    SobolIndices,
    sobol_analysis,
)
from basesim.errors import UsageError
from basesim.montecarlo.summary import named_outcomes
from basesim.scenario.distributions import Dirichlet
from basesim.scenario.loader import load_scenario, scenario_hash
from basesim.scenario.sampling import (
    noise_columns,
    transform,
    uncertain_parameters,
    unit_columns,
)
from basesim.scenario.schema import Scenario

__all__ = [
    "NOISE_FACTOR",
    "input_names",
    "input_ranking",
    "output_label",
    "output_names",
    "scenario_outputs",
    "sobol_factors",
    "sobol_sensitivity",
]

#: Name of the grouped factor that holds the in-run randomness of a replication.
NOISE_FACTOR = "in-run randomness"


def sobol_factors(scenario: Scenario) -> dict[str, list[int]]:
    """The factors of a scenario's Sobol' analysis: name -> unit columns.

    One factor per uncertain parameter (a Dirichlet salience is one factor
    over its columns), one per event whose occurrence is uncertain
    (``events.NAME.occurs``, when its probability is a distribution or lies
    strictly between 0 and 1), and :data:`NOISE_FACTOR` for the belief noise
    and breakdown draws together.
    """
    columns = unit_columns(scenario)
    index = {name: j for j, name in enumerate(columns)}
    factors: dict[str, list[int]] = {}
    for path, dist in uncertain_parameters(scenario).items():
        if isinstance(dist, Dirichlet):
            factors[path] = [index[f"{path}.{issue}"] for issue in dist.alpha]
        else:
            factors[path] = [index[path]]
    for name, event in scenario.events.items():
        probability = event.probability
        if not isinstance(probability, (int, float)) or 0.0 < float(probability) < 1.0:
            factors[f"events.{name}.occurs"] = [index[f"events.{name}.occurs"]]
    noise = [index[c] for c in noise_columns(scenario)]
    if noise:
        factors[NOISE_FACTOR] = noise
    return factors


def output_names(scenario: Scenario) -> list[str]:
    """Every output :func:`scenario_outputs` can compute, default ones first.

    ``result.agreement`` and ``outcome.NAME`` (0/1) are the defaults; also
    ``result.breakdown``, ``result.talking``, ``ISSUE.value`` (the final
    level's value on [0, 1]), ``ISSUE.amount`` (when the issue has amounts),
    ``agreement.round`` (the round the talks ended) and ``utility.ACTOR``.
    """
    return [*default_outputs(scenario), "result.breakdown", "result.talking",
            *[f"{i}.value" for i in scenario.issue_names],
            *[f"{i}.amount" for i, issue in scenario.issues.items() if issue.amounts is not None],
            "agreement.round", *[f"utility.{a}" for a in scenario.actor_names]]


def default_outputs(scenario: Scenario) -> list[str]:
    """The outputs analysed unless others are asked for: agreement and every named outcome."""
    return ["result.agreement", *[f"outcome.{name}" for name in scenario.outcomes]]


def check_outputs(scenario: Scenario, outputs: Sequence[str] | None, *, option: str = "outputs") -> list[str]:
    """``outputs`` checked against :func:`output_names` (default: agreement and the named outcomes)."""
    if outputs is None or len(outputs) == 0:
        return default_outputs(scenario)
    known = output_names(scenario)
    chosen = []
    for name in outputs:
        if name in known:
            chosen.append(name)
        elif f"outcome.{name}" in known:
            chosen.append(f"outcome.{name}")
        else:
            raise UsageError(f"{option}: {name!r} is not an output of scenario {scenario.name!r}; "
                             f"expected one of {', '.join(known)}")
    return list(dict.fromkeys(chosen))


def output_label(scenario: Scenario, name: str) -> str:
    """A human label of an output: a named outcome's label, ``Agreement``, ``Tartus naval base (level value)``..."""
    if name.startswith("outcome."):
        key = name.removeprefix("outcome.")
        outcome = scenario.outcomes.get(key)
        return (outcome.label if outcome is not None and outcome.label else None) or key
    if name.startswith("result."):
        return name.removeprefix("result.").capitalize()
    if name.startswith("utility."):
        return f"Utility of {scenario.display(name.removeprefix('utility.'))}"
    if name == "agreement.round":
        return "Round the talks ended"
    issue, _, what = name.rpartition(".")
    if issue in scenario.issues:
        unit = scenario.issues[issue].unit
        return f"{scenario.display(issue)} ({'level value' if what == 'value' else unit or 'amount'})"
    return name


def scenario_outputs(scenario: Scenario, table: pd.DataFrame, outputs: Sequence[str] | None = None) -> pd.DataFrame:
    """Numeric outputs (one column each, float) of a table of :func:`basesim.model.play` rows.

    ``outputs`` are names from :func:`output_names` (default: agreement and
    every named outcome). A run's table works too (it has the same columns).
    """
    outputs = check_outputs(scenario, outputs)
    flags = None
    columns: dict[str, np.ndarray] = {}
    for name in outputs:
        if name.startswith("result."):
            columns[name] = (table["result"] == name.removeprefix("result.")).to_numpy(dtype=float)
        elif name.startswith("outcome."):
            if name in table.columns:
                columns[name] = table[name].to_numpy(dtype=float)
            else:
                flags = named_outcomes(scenario, table) if flags is None else flags
                columns[name] = flags[name].to_numpy(dtype=float)
        elif name.startswith("utility."):
            columns[name] = table[f"utility_{name.removeprefix('utility.')}"].to_numpy(dtype=float)
        elif name == "agreement.round":
            columns[name] = table["round"].to_numpy(dtype=float)
        elif name.endswith(".value"):
            issue = name.removesuffix(".value")
            columns[name] = scenario.issues[issue].values[table[f"{issue}_level"].to_numpy()]
        elif name.endswith(".amount"):
            columns[name] = table[f"{name.removesuffix('.amount')}_amount"].to_numpy(dtype=float)
    return pd.DataFrame(columns, index=table.index)


def input_names(scenario: Scenario) -> list[str]:
    """The sampled inputs a run's table holds, by dotted path (as :attr:`Draws.inputs`)."""
    probe = transform(scenario, np.full((1, len(unit_columns(scenario))), 0.5))
    return list(probe.inputs)


def _resolve_seed(scenario: Scenario, seed: int | None) -> tuple[int, str]:
    from basesim.montecarlo.runner import resolve_seed

    return resolve_seed(scenario, seed)


def sobol_sensitivity(
    scenario: Scenario | str | Path,
    *,
    n: int = 1024,
    seed: int | None = None,
    outputs: Sequence[str] | None = None,
    protocol: str | None = None,
    confidence_level: float = 0.95,
    n_resamples: int = 999,
) -> SobolIndices:
    """Sobol' first and total indices of a scenario's outputs for its uncertain inputs.

    The factors are :func:`sobol_factors` (every distribution, every
    uncertain event, and the in-run randomness as one group); the model is
    played ``n (k + 2)`` times (``n`` a power of 2, ``k`` factors) through
    :func:`sobol_analysis`, on points that :func:`basesim.scenario.sampling.transform`
    turns into draws. ``seed`` defaults to ``monte_carlo.seed`` (else drawn
    and recorded in ``provenance``). See the module docstring for how the
    in-run randomness is treated.
    """
    from basesim import model
    from basesim.montecarlo.runner import check_protocol, check_seed

    seed = check_seed(seed)
    protocol = check_protocol(protocol)
    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    chosen = check_outputs(base, outputs)
    factors = sobol_factors(base)
    if not any(name != NOISE_FACTOR for name in factors):
        raise UsageError(f"scenario {base.name!r} has no uncertain input (no distribution and no uncertain event); "
                         "there is nothing to rank")
    seed, seed_source = _resolve_seed(base, seed)
    dimensions = len(unit_columns(base))
    batch = model.batch_size(base)

    def evaluate(unit: np.ndarray) -> pd.DataFrame:
        parts = []
        for start in range(0, unit.shape[0], batch):
            rows = unit[start:start + batch]
            draws = transform(base, rows, replicate=start + np.arange(rows.shape[0]))
            parts.append(scenario_outputs(base, model.play(draws, protocol=protocol), chosen))
        return pd.concat(parts, ignore_index=True)

    result = sobol_analysis(evaluate, factors, dimensions=dimensions, n=n, rng=np.random.default_rng(seed),
                            confidence_level=confidence_level, n_resamples=n_resamples)
    result.provenance = {
        "method": "sobol",
        "scenario": base.name,
        "scenario_hash": scenario_hash(base),
        "seed": seed,
        "seed_source": seed_source,
        "n": n,
        "evaluations": result.evaluations,
        "protocol": protocol or base.protocol.name,
        "factors": {name: [unit_columns(base)[j] for j in cols] for name, cols in factors.items()},
    }
    return result


def input_ranking(
    result: Any,
    *,
    outputs: Sequence[str] | None = None,
    rng: np.random.Generator,
    n_resamples: int = 200,
    confidence_level: float = 0.95,
) -> pd.DataFrame:
    """:func:`rank_inputs` on a run's table (a :class:`~basesim.montecarlo.results.RunResult`).

    The inputs are the sampled inputs the table records (:func:`input_names`);
    the outputs are as for :func:`scenario_outputs`. No model is run.
    """
    if result.table is None:
        raise UsageError("ranking: the run kept only its summary (summary_only=True); "
                         "a ranking needs the per-replication table")
    scenario = result.scenario
    chosen = check_outputs(scenario, outputs)
    names = [c for c in input_names(scenario) if c in result.table.columns]
    if not names:
        raise UsageError(f"scenario {scenario.name!r} has no uncertain input; there is nothing to rank")
    return rank_inputs(result.table[names], scenario_outputs(scenario, result.table, chosen), rng=rng,
                       n_resamples=n_resamples, confidence_level=confidence_level)
