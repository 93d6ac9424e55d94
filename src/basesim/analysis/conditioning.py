"""Conditioning a scenario on what has been observed: rejection, likelihood weights, effective sample size.

The worlds of a Monte Carlo run are draws from the scenario's prior (every
uncertain input and every in-run chance). Observing the real world narrows
them down:

- a **hard** fact (``confidence: 1``) keeps only the worlds where it holds:
  rejection sampling, exact because the facts are discrete (a state, a level,
  an event), so no tolerance is needed as in approximate Bayesian computation
  (Pritchard et al. 1999, "Population growth of human Y chromosomes", Mol.
  Biol. Evol. 16(12); Sisson, Fan and Beaumont 2018, *Handbook of ABC*, ch. 1);
- a **soft** fact with confidence ``c`` weighs each world by ``c`` where it
  holds and ``1 - c`` where it does not: Pearl's virtual evidence, a
  likelihood ratio ``c : (1 - c)`` (Pearl 1988, *Probabilistic Reasoning in
  Intelligent Systems*, section 2.2.2; Chan and Darwiche 2005, "On the
  revision of probabilistic beliefs using uncertain evidence", Artificial
  Intelligence 163(1), for how it differs from Jeffrey's rule).

A world's weight is the product over the facts dated on or before the as-of
date; the weighted worlds are draws from the posterior (importance sampling
with the prior as proposal). How many independent draws they are worth is
Kish's effective sample size ``(sum w)^2 / sum w^2`` (Kish 1965, *Survey
Sampling*, section 11.7): the number of kept worlds when all facts are hard.
:func:`condition` plays batches of worlds until it reaches a target effective
sample size, and fails with a located message when the observations are
(nearly) impossible under the scenario.

Batches are those of :func:`basesim.run` with the same seed (batch ``j`` from
child ``j`` of the seed's SeedSequence), played and weighed in order, so the
posterior does not depend on the number of workers.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from basesim.analysis.observations import Observation, Observed, as_timestamp, horizon
from basesim.analysis.world_states import WorldStates
from basesim.errors import Problem, ScenarioError, UsageError
from basesim.montecarlo.runner import (
    batch_draws,
    check_positive,
    check_protocol,
    check_seed,
    play_batch,
    process_pool,
    resolve_seed,
)
from basesim.montecarlo.summary import wilson_interval
from basesim.scenario.schema import Scenario

__all__ = [
    "DEFAULT_ESS",
    "DEFAULT_MAX_RUNS",
    "MIN_ESS",
    "Posterior",
    "condition",
    "effective_sample_size",
    "observation_weights",
    "weighted_probability",
]

#: Effective sample size aimed at by default.
DEFAULT_ESS = 2000
#: Most worlds played to reach it, by default.
DEFAULT_MAX_RUNS = 200_000
#: Below this effective sample size the observations count as nearly impossible under the scenario.
MIN_ESS = 50
#: Worlds kept unconditioned, for prior forecasts and the prior of every input.
PRIOR_WORLDS = 20_000

Progress = Callable[[int, float], None]


# --- weights -----------------------------------------------------------------------------------------


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum w^2`` (0 when every weight is 0)."""
    w = np.asarray(weights, dtype=float)
    total = float(w.sum())
    return 0.0 if total <= 0 else total * total / float(np.square(w).sum())


def observation_weights(table: pd.DataFrame, scenario: Scenario,
                        observations: Mapping[str, Observation]) -> tuple[np.ndarray, pd.DataFrame]:
    """Each world's likelihood weight given ``observations``, and where each one holds.

    Returns ``(weights, holds)``: ``weights`` (n,) is the product of ``1[holds]``
    over hard facts and ``c`` or ``1 - c`` over soft ones; ``holds`` has one
    bool column per observation name.
    """
    states = WorldStates(table, scenario)
    weights = np.ones(len(table))
    holds = {}
    for name, observation in observations.items():
        holding = states.holds(observation)
        holds[name] = holding
        c = observation.confidence
        weights *= np.where(holding, c, 1.0 - c)
    return weights, pd.DataFrame(holds, index=table.index)


def weighted_probability(holds: np.ndarray, weights: np.ndarray | None = None,
                         *, ess: float | None = None) -> tuple[float, float, float]:
    """Weighted share of worlds where ``holds``, with a Wilson 95% interval at the effective sample size.

    The interval treats the weighted estimate as a proportion from ``ess``
    independent draws (Kish's design effect; Korn and Graubard 1998,
    "Confidence intervals for proportions with small expected number of
    positive counts estimated from survey data", Survey Methodology 24(2)).
    Without weights it is the plain Wilson interval.
    """
    holds = np.asarray(holds, dtype=bool)
    if weights is None:
        weights = np.ones(holds.shape[0])
    total = float(np.sum(weights))
    if total <= 0:
        return np.nan, np.nan, np.nan
    estimate = float(np.sum(weights[holds]) / total)
    n = effective_sample_size(weights) if ess is None else float(ess)
    low, high = wilson_interval(estimate * n, n)
    return estimate, float(low), float(high)


# --- the posterior -----------------------------------------------------------------------------------


@dataclass
class Posterior:
    """Worlds of a scenario conditioned on observations up to ``as_of``.

    ``table`` holds the worlds with a positive weight (the outcome table's
    columns and ``weight``); ``prior`` up to :data:`PRIOR_WORLDS`
    unconditioned worlds; ``consistency`` one row per observation used: its
    label, whether hard, its confidence, and the share of all ``runs`` worlds
    where it holds.
    """

    scenario: Scenario
    protocol: str
    seed: int
    as_of: pd.Timestamp
    observations: dict[str, Observation]
    ignored: dict[str, Observation]
    table: pd.DataFrame
    prior: pd.DataFrame
    runs: int
    ess: float
    target_ess: float
    consistency: pd.DataFrame
    max_runs: int = DEFAULT_MAX_RUNS
    notes: list[str] = field(default_factory=list)

    @property
    def weights(self) -> np.ndarray:
        return self.table["weight"].to_numpy(float)

    @property
    def kept(self) -> int:
        """Worlds with a positive weight."""
        return len(self.table)

    @property
    def reached(self) -> bool:
        return self.ess >= self.target_ess

    def probability(self, holds: np.ndarray) -> tuple[float, float, float]:
        """Posterior probability (estimate, low, high) of an event given per kept world."""
        return weighted_probability(holds, self.weights, ess=self.ess)

    def prior_probability(self, holds: np.ndarray) -> tuple[float, float, float]:
        """Prior probability of an event given per prior world."""
        return weighted_probability(holds)

    def describe(self) -> str:
        """One line: worlds played, kept, effective sample size and its target."""
        share = self.kept / self.runs if self.runs else float("nan")
        line = (f"{self.kept:,} of {self.runs:,} worlds consistent with the observations ({share:.1%}); "
                f"effective sample size {self.ess:,.0f}")
        return line + ("" if self.reached else f", short of the target {self.target_ess:,.0f} "
                                              f"after the maximum of {self.max_runs:,} worlds")

    def __repr__(self) -> str:
        return (f"Posterior(scenario={self.scenario.name!r}, protocol={self.protocol!r}, as_of={self.as_of.date()}, "
                f"observations={len(self.observations)}, runs={self.runs}, kept={self.kept}, ess={self.ess:.0f})")


# --- playing batches until the target is reached -------------------------------------------------------


@dataclass(frozen=True)
class _Batch:
    scenario: Scenario
    observations: dict[str, Observation]
    seed: int
    index: int
    size: int
    batch_size: int
    protocol: str
    keep_prior: int


@dataclass
class _Weighed:
    index: int
    size: int
    kept: pd.DataFrame
    prior: pd.DataFrame | None
    holds: np.ndarray  # (observations,) worlds where each holds
    total: float
    squares: float


def _weigh(batch: _Batch) -> _Weighed:
    draws = batch_draws(batch.scenario, seed=batch.seed, index=batch.index, size=batch.size,
                        batch_size=batch.batch_size)
    table = play_batch(batch.scenario, draws, protocol=batch.protocol, summary_only=False,
                       index=batch.index).table
    weights, holds = observation_weights(table, batch.scenario, batch.observations)
    kept = table[weights > 0].assign(weight=weights[weights > 0])
    return _Weighed(batch.index, batch.size, kept.reset_index(drop=True),
                    table.head(batch.keep_prior).reset_index(drop=True) if batch.keep_prior else None,
                    holds.to_numpy().sum(axis=0), float(weights.sum()), float(np.square(weights).sum()))


def _ordered(batches: Any, executor: cf.Executor | None, in_flight: int) -> Any:
    """Weigh ``batches`` (an iterator), yielding results in order; at most ``in_flight`` ahead."""
    if executor is None:
        for batch in batches:
            yield _weigh(batch)
        return
    pending: list[cf.Future] = []
    try:
        for batch in batches:
            pending.append(executor.submit(_weigh, batch))
            if len(pending) >= in_flight:
                yield pending.pop(0).result()
        while pending:
            yield pending.pop(0).result()
    finally:
        for future in pending:
            future.cancel()


def _selected(observed: Observed | Mapping[str, Observation] | None, as_of: pd.Timestamp
              ) -> tuple[dict[str, Observation], dict[str, Observation], Observed | None]:
    if observed is None:
        return {}, {}, None
    if isinstance(observed, Observed):
        everything, located = observed.observations, observed
    else:
        everything, located = dict(observed), None
    used = {n: o for n, o in everything.items() if o.timestamp <= as_of}
    ignored = {n: o for n, o in everything.items() if o.timestamp > as_of}
    return used, ignored, located


def _problem(located: Observed | None, path: str, message: str) -> Problem:
    return located.problem(path, message) if located is not None else Problem(path, message)


def condition(
    scenario: Scenario,
    observed: Observed | Mapping[str, Observation] | None,
    *,
    as_of: Any = None,
    protocol: str | None = None,
    seed: int | None = None,
    target_ess: float = DEFAULT_ESS,
    max_runs: int = DEFAULT_MAX_RUNS,
    min_ess: float = MIN_ESS,
    workers: int | None = 1,
    executor: cf.Executor | None = None,
    progress: Progress | None = None,
) -> Posterior:
    """Play worlds of ``scenario`` until the observations up to ``as_of`` leave ``target_ess`` of them.

    - ``observed``: an :class:`~basesim.analysis.observations.Observed` file,
      a mapping of observations by name, or None (the prior);
    - ``as_of``: observations dated after it are ignored (default: the
      file's ``as_of``, else the latest observation, else the start);
    - ``protocol``, ``seed``: as for :func:`basesim.run` (the same seed gives
      the same worlds);
    - ``target_ess``: stop once Kish's effective sample size reaches it,
      else after ``max_runs`` worlds;
    - ``min_ess``: below it (at ``max_runs``) the observations are nearly
      impossible under the scenario: a :class:`~basesim.errors.ScenarioError`
      located at the observation that holds in the fewest worlds;
    - ``workers`` (processes, default 1: this one) or ``executor``;
    - ``progress(runs, ess)`` is called after every batch.
    """
    from basesim import model

    protocol = check_protocol(protocol) or scenario.protocol.name
    seed = check_seed(seed)
    seed, _ = resolve_seed(scenario, seed)
    max_runs = check_positive(max_runs, option="max_runs")
    workers = check_positive(workers, option="workers") or os.cpu_count() or 1
    if isinstance(target_ess, bool) or not isinstance(target_ess, (int, float)) or not target_ess >= 1:
        raise UsageError(f"target_ess: must be a number >= 1, got {target_ess!r}")
    if as_of is None and isinstance(observed, Observed):
        as_of = observed.default_as_of(scenario)
    elif as_of is None and observed:
        as_of = max(o.timestamp for o in observed.values())
    start, end = horizon(scenario)
    as_of = as_timestamp(as_of if as_of is not None else start)
    if not start <= as_of <= end:
        raise UsageError(f"as_of: {as_of.date()} is outside the scenario's horizon {start.date()} to {end.date()}")
    used, ignored, located = _selected(observed, as_of)

    B = int(model.batch_size(scenario))
    names = list(used)

    def batches():
        index = 0
        while index * B < max_runs:
            size = min(B, max_runs - index * B)
            keep = max(0, min(size, PRIOR_WORLDS - index * B))
            yield _Batch(scenario, used, seed, index, size, B, protocol, keep)
            index += 1

    own_pool = executor is None and workers > 1
    pool = process_pool(workers) if own_pool else executor
    kept, prior = [], []
    runs, total, squares = 0, 0.0, 0.0
    holds = np.zeros(len(names), dtype=np.int64)
    ess = 0.0
    try:
        for weighed in _ordered(batches(), pool, 2 * workers):
            runs += weighed.size
            total += weighed.total
            squares += weighed.squares
            holds += weighed.holds.astype(np.int64)
            if len(weighed.kept):
                kept.append(weighed.kept)
            if weighed.prior is not None and len(weighed.prior):
                prior.append(weighed.prior)
            ess = total * total / squares if squares > 0 else 0.0
            if progress is not None:
                progress(runs, ess)
            if ess >= target_ess:
                break
    finally:
        if own_pool:
            pool.shutdown(wait=True, cancel_futures=True)

    consistency = pd.DataFrame({
        "observation": names,
        "label": [used[n].describe() for n in names],
        "date": [used[n].timestamp for n in names],
        "hard": [used[n].hard for n in names],
        "confidence": [used[n].confidence for n in names],
        "holds": holds,
        "share": holds / max(runs, 1),
    })
    if ess < min_ess:
        raise ScenarioError([_impossible(consistency, located, runs=runs, ess=ess, min_ess=min_ess,
                                         protocol=protocol)])
    table = pd.concat(kept, ignore_index=True)
    return Posterior(scenario=scenario, protocol=protocol, seed=seed, as_of=as_of, observations=used,
                     ignored=ignored, table=table, prior=pd.concat(prior, ignore_index=True), runs=runs, ess=ess,
                     target_ess=float(target_ess), consistency=consistency, max_runs=max_runs)


def _impossible(consistency: pd.DataFrame, located: Observed | None, *, runs: int, ess: float,
                min_ess: float, protocol: str) -> Problem:
    """The located message for observations the scenario (nearly) never reproduces."""
    if consistency.empty:
        return _problem(located, "", f"only {runs:,} worlds played (max_runs); the effective sample size "
                                     f"{ess:.0f} is below {min_ess:g}")
    rarest = consistency.sort_values("share", kind="stable").iloc[0]
    path = f"observations.{rarest['observation']}"
    alone = ", ".join(f"{row.observation} {row.holds:,}" for row in consistency.itertuples())
    if rarest["holds"] == 0:
        return _problem(located, path, f"holds in none of the {runs:,} worlds played under {protocol}; the "
                                       f"scenario never produces it (worlds where each observation holds: {alone})")
    what = "no world is" if ess == 0 else f"too few worlds are (effective sample size {ess:.1f} < {min_ess:g})"
    return _problem(located, path, f"{what} consistent with all the observations together after {runs:,} worlds "
                                   f"under {protocol}; "
                                   f"they are nearly impossible under the scenario (the rarest is this one, in "
                                   f"{rarest['holds']:,} worlds; each alone: {alone})")
