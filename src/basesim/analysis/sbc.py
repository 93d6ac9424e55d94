"""Simulation-based calibration: checking the conditioning on worlds whose truth we know.

Draw a "true" world from the scenario itself, write down what an analyst
would have observed of it up to a date, condition the other worlds on those
observations and ask where the true inputs fall in the posterior. If the
conditioning is right, the true world is one more draw from the posterior,
so over many true worlds

- the posterior rank of every true input is uniform on [0, 1] (Cook, Gelman
  and Rubin 2006, "Validation of software for Bayesian models using
  posterior quantiles", JCGS 15(3); Talts, Betancourt, Simpson, Vehtari and
  Gelman 2018, "Validating Bayesian inference algorithms with
  simulation-based calibration", arXiv:1804.06788). Ranks of discrete
  inputs are randomised within ties (the randomised probability integral
  transform), so they are uniform too;
- the posterior probabilities of the held-back outcomes (what happens after
  the date) and of the events the analyst saw only through soft reports are
  calibrated: as many came true as forecast (calibration in the large) and
  Spiegelhalter's z (Spiegelhalter 1986, "Probabilistic prediction in
  patient management and clinical trials", Statistics in Medicine 5(5)),
  which also weighs how sharp the forecasts are, is standard normal. The
  first catches a soft report ignored (forecasts near 50% that z barely
  weighs), the second an overconfident one.

The truths and the posterior draws come from one pool of worlds: truth
``j`` is conditioned against the other worlds of the pool (and itself, with
its own weight), which are independent prior draws, so the check is exact
for hard facts and as good as the importance sampling for soft ones. A
posterior equal to the prior also passes (it is calibrated, only useless):
the check finds wrong conditioning, not weak observations.

The observations of a true world (:func:`observations_of`): the state of the
talks on the date (hard), the level of an issue if they had ended (hard),
and for every event whether it had happened, reported correctly with
probability ``confidence`` (a soft fact of that confidence).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from basesim.analysis.conditioning import observation_weights
from basesim.analysis.observations import Observation, horizon
from basesim.analysis.posterior import input_columns
from basesim.analysis.world_states import WorldStates, event_happened
from basesim.scenario.schema import Scenario

__all__ = ["SBCResult", "calibration_in_the_large", "forecast_calibration", "observations_of", "rank_uniformity",
           "simulation_based_calibration", "spiegelhalter_z"]


def calibration_in_the_large(probability: Any, outcome: Any) -> tuple[float, float]:
    """z of ``sum (y - p) / sqrt(sum p (1 - p))`` (as many true outcomes as forecast) and its p-value."""
    p = np.asarray(probability, dtype=float)
    y = np.asarray(outcome, dtype=float)
    variance = float(np.sum(p * (1 - p)))
    if variance <= 0:
        return np.nan, np.nan
    z = float(np.sum(y - p) / np.sqrt(variance))
    return z, float(2 * stats.norm.sf(abs(z)))


def spiegelhalter_z(probability: Any, outcome: Any) -> tuple[float, float]:
    """Spiegelhalter's z of probability forecasts and its two-sided p-value (calibrated: z ~ N(0, 1)).

    ``z = sum (y - p)(1 - 2p) / sqrt(sum (1 - 2p)^2 p (1 - p))``.
    """
    p = np.asarray(probability, dtype=float)
    y = np.asarray(outcome, dtype=float)
    variance = float(np.sum((1 - 2 * p) ** 2 * p * (1 - p)))
    if variance <= 0:
        return np.nan, np.nan
    z = float(np.sum((y - p) * (1 - 2 * p)) / np.sqrt(variance))
    return z, float(2 * stats.norm.sf(abs(z)))


def observations_of(table: pd.DataFrame, scenario: Scenario, world: int, date: Any, *, rng: np.random.Generator,
                    issue: str | None = None, confidence: float = 0.8,
                    conditioned_confidence: float | None = None) -> dict[str, Observation]:
    """What an analyst observes of world ``world`` (a row position of ``table``) up to ``date``.

    The state on ``date`` (hard); the level of ``issue`` (default: the first)
    on ``date`` if the talks had ended (hard); for each event, whether it had
    happened by ``date``, reported truthfully with probability ``confidence``
    and otherwise the opposite, as a soft fact of confidence
    ``conditioned_confidence`` (default ``confidence``: the right likelihood;
    another value is a deliberately wrong one, to check the check).
    """
    row = table.iloc[[world]]
    states = WorldStates(row, scenario).at(date)
    day = pd.Timestamp(date).date()
    state = str(states["state"].iloc[0])
    found = {"state": Observation(date=day, state=state)}
    issue = issue or scenario.issue_names[0]
    if state != "talking":
        found["level"] = Observation(date=day, issue=issue, equals=str(states[issue].iloc[0]))
    c = confidence if conditioned_confidence is None else conditioned_confidence
    for name in scenario.events:
        happened = bool(event_happened(row, scenario, name, date)[0])
        report = happened if rng.random() < confidence else not happened
        found[f"event.{name}"] = Observation(date=day, event=name, happened=report, confidence=c)
    return found


@dataclass
class SBCResult:
    """Ranks of the true inputs (one row per truth, one column per input) and held-back forecasts."""

    ranks: pd.DataFrame
    forecasts: pd.DataFrame  # truth, what (outcome name or event), probability, outcome
    inconsistent: int  # truths their own observations ruled out (0 when the conditioning is right)
    kept: np.ndarray  # worlds kept (weight > 0) per truth, itself left out


def simulation_based_calibration(pool: pd.DataFrame, scenario: Scenario, *, date: Any, truths: int,
                                 rng: np.random.Generator, issue: str | None = None, confidence: float = 0.8,
                                 conditioned_confidence: float | None = None,
                                 outcomes: Sequence[tuple[str, str]] = (("state", "agreement"),)) -> SBCResult:
    """Run the check on ``truths`` worlds of ``pool`` (an outcome table of independent prior worlds).

    ``outcomes``: held-back outcomes at the end of the horizon, each
    ``("state", STATE)`` or ``(ISSUE, LEVEL)`` (the level in force).
    Returns every truth's input ranks and the posterior probability of each
    outcome (and of each event it saw reported) with what the truth did.
    """
    inputs = input_columns(scenario, pool)
    values = {c: pool[c].to_numpy(float) for c in inputs}
    final = WorldStates(pool, scenario).at(horizon(scenario)[1])
    held = {f"{what}={value}": (final[what].astype(str) == value).to_numpy() for what, value in outcomes}
    chosen = rng.choice(len(pool), size=truths, replace=False)
    ranks, forecasts, kept = [], [], []
    inconsistent = 0
    for j in chosen:
        observed = observations_of(pool, scenario, int(j), date, rng=rng, issue=issue, confidence=confidence,
                                   conditioned_confidence=conditioned_confidence)
        weights, holds = observation_weights(pool, scenario, observed)
        own = weights[j]
        weights[j] = 0.0
        if own == 0 or weights.sum() == 0:
            inconsistent += own == 0
            continue
        total = weights.sum() + own
        v = rng.random()
        ranks.append({c: (weights[x < x[j]].sum() + v * (weights[x == x[j]].sum() + own)) / total
                      for c, x in values.items()})
        kept.append(int((weights > 0).sum()))
        for name, holding in held.items():
            forecasts.append((int(j), name, float(weights[holding].sum() / weights.sum()), bool(holding[j])))
        for name in scenario.events:
            right = holds[f"event.{name}"].to_numpy()  # the worlds where the report is true
            forecasts.append((int(j), f"event {name} as reported", float(weights[right].sum() / weights.sum()),
                              bool(right[j])))
    return SBCResult(pd.DataFrame(ranks, columns=inputs),
                     pd.DataFrame(forecasts, columns=["truth", "what", "probability", "outcome"]),
                     int(inconsistent), np.asarray(kept))


def rank_uniformity(ranks: pd.DataFrame) -> pd.DataFrame:
    """Kolmogorov-Smirnov test of each input's ranks against U(0, 1): ``input``, ``statistic``, ``pvalue``."""
    rows = []
    for column in ranks.columns:
        test = stats.kstest(ranks[column].to_numpy(float), "uniform")
        rows.append((column, float(test.statistic), float(test.pvalue)))
    return pd.DataFrame(rows, columns=["input", "statistic", "pvalue"]).sort_values("pvalue", kind="stable",
                                                                                    ignore_index=True)


def forecast_calibration(forecasts: pd.DataFrame) -> pd.DataFrame:
    """Per forecast kind (``what``): truths, mean forecast, share true, both z and their p-values."""
    rows = []
    for what, group in forecasts.groupby("what", sort=False):
        p, y = group["probability"], group["outcome"]
        rows.append((what, len(group), float(p.mean()), float(y.mean()), *calibration_in_the_large(p, y),
                     *spiegelhalter_z(p, y)))
    return pd.DataFrame(rows, columns=["what", "truths", "forecast", "observed", "z_large", "p_large",
                                       "z_spiegelhalter", "p_spiegelhalter"])
