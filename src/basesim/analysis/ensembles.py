"""Combining the forecasts of several theories (protocols, scenarios) into one, without hiding their spread.

The combination is a **linear opinion pool** (Stone 1961, "The opinion
pool", Annals of Mathematical Statistics 32(4)): ``p = sum_m w_m p_m`` with
weights summing to one. It keeps the pooled forecast a probability of the
same event and, unlike a geometric pool, never claims more certainty than
the most certain theory.

Weights are equal, or come from past scores by **Bayesian model averaging**
(Hoeting, Madigan, Raftery and Volinsky 1999, "Bayesian model averaging: a
tutorial", Statistical Science 14(4); Raftery, Gneiting, Balabdaoui and
Polakowski 2005, "Using Bayesian model averaging to calibrate forecast
ensembles", Monthly Weather Review 133(5)): with equal prior weights, each
theory's posterior weight is proportional to the probability it gave to
what happened on the resolved questions,
``w_m ∝ prod_q p_m(y_q) = exp(-sum_q logloss_m(q))``,
treating the questions as independent (they rarely are: read the weights
as a summary of the track record, not as a probability that a theory is
true). ``tempering`` < 1 flattens them (a power of the likelihood).

The spread between theories (their lowest and highest forecast) is kept
next to the pooled forecast, so model uncertainty stays visible.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from basesim.analysis.scoring import FLOOR, FORECAST_COLUMNS, log_score
from basesim.errors import UsageError

__all__ = ["POOL_COLUMNS", "bma_weights", "equal_weights", "linear_pool", "pool_forecasts", "pooled_forecaster",
           "leave_one_out_pool"]

POOL_COLUMNS = ["question", "probability", "lowest", "highest", "spread", "forecasters"]


def equal_weights(forecasters: list[str]) -> pd.Series:
    """Weight ``1 / M`` for each of ``M`` forecasters."""
    if not forecasters:
        raise UsageError("weights: no forecasters to weigh")
    return pd.Series(1.0 / len(forecasters), index=list(forecasters), name="weight")


def bma_weights(past: pd.DataFrame, forecasters: list[str] | None = None, *, floor: float = FLOOR,
                tempering: float = 1.0) -> pd.Series:
    """Bayesian model averaging weights from past forecasts and their outcomes.

    ``past``: long (``question``, ``forecaster``, ``probability``,
    ``outcome``). Only questions every forecaster forecast count (so each is
    judged on the same record). ``w_m ∝ exp(-tempering * sum_q logloss_m(q))``,
    computed stably (the log-sum-exp trick). Equal weights without a shared
    resolved question.
    """
    resolved = past.dropna(subset=["probability", "outcome"])
    forecasters = list(dict.fromkeys(past["forecaster"])) if forecasters is None else list(forecasters)
    if not forecasters:
        raise UsageError("weights: no forecasters to weigh")
    missing = [f for f in forecasters if f not in set(past["forecaster"])]
    if missing:
        raise UsageError(f"weights: no past forecasts of {', '.join(missing)}")
    if resolved.empty:
        return equal_weights(forecasters)
    wide = resolved.pivot_table(index="question", columns="forecaster", values="probability", aggfunc="first")
    wide = wide.reindex(columns=forecasters).dropna()
    if wide.empty:
        return equal_weights(forecasters)
    outcome = resolved.groupby("question")["outcome"].first().reindex(wide.index).astype(float).to_numpy()
    total = np.array([log_score(wide[f].to_numpy(float), outcome, floor=floor).sum() for f in forecasters])
    logw = -tempering * total
    logw -= logw.max()
    w = np.exp(logw)
    return pd.Series(w / w.sum(), index=forecasters, name="weight")


def linear_pool(probabilities: pd.DataFrame, weights: pd.Series | Mapping[str, float]) -> pd.Series:
    """``sum_m w_m p_m`` row by row; ``probabilities`` has one column per forecaster.

    A row missing some forecasters pools the others, their weights scaled
    back to sum one.
    """
    weights = pd.Series(weights, dtype=float)
    unknown = [c for c in probabilities.columns if c not in weights.index]
    if unknown:
        raise UsageError(f"weights: no weight for {', '.join(map(str, unknown))}")
    if (weights < 0).any():
        raise UsageError("weights: must not be negative")
    w = weights.reindex(probabilities.columns).to_numpy(float)
    p = probabilities.to_numpy(float)
    given = ~np.isnan(p)
    mass = (given * w).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = np.where(mass > 0, np.nansum(p * w, axis=1) / mass, np.nan)
    return pd.Series(pooled, index=probabilities.index, name="probability")


def pool_forecasts(forecasts: pd.DataFrame, weights: pd.Series | Mapping[str, float] | None = None) -> pd.DataFrame:
    """Pool a long table of forecasts (:data:`~basesim.analysis.scoring.FORECAST_COLUMNS`) per question.

    Columns: ``question``, ``probability`` (the pool), ``lowest`` and
    ``highest`` (the forecasters' range), ``spread`` (highest - lowest) and
    ``forecasters`` (how many); ``outcome`` too when the input has it.
    Default weights: equal.
    """
    wide = forecasts.pivot_table(index="question", columns="forecaster", values="probability", aggfunc="first",
                                 sort=False)
    if weights is None:
        weights = equal_weights(list(wide.columns))
    pooled = linear_pool(wide, weights)
    frame = pd.DataFrame({
        "question": wide.index,
        "probability": pooled.to_numpy(),
        "lowest": wide.min(axis=1).to_numpy(),
        "highest": wide.max(axis=1).to_numpy(),
        "forecasters": wide.notna().sum(axis=1).to_numpy(),
    })
    frame.insert(4, "spread", frame["highest"] - frame["lowest"])
    if "outcome" in forecasts.columns:
        outcome = forecasts.groupby("question", sort=False)["outcome"].first()
        frame["outcome"] = outcome.reindex(frame["question"]).to_numpy()
    return frame.reset_index(drop=True)


def pooled_forecaster(forecasts: pd.DataFrame, weights: pd.Series | Mapping[str, float] | None, name: str
                      ) -> pd.DataFrame:
    """The pool as one more forecaster in the long format (``question``, ``forecaster``, ``probability``, ``outcome``)."""
    pooled = pool_forecasts(forecasts, weights)
    if "outcome" not in pooled:
        pooled["outcome"] = np.nan
    return pooled.assign(forecaster=name)[FORECAST_COLUMNS]


def leave_one_out_pool(forecasts: pd.DataFrame, name: str, *, floor: float = FLOOR, tempering: float = 1.0
                       ) -> pd.DataFrame:
    """The score-weighted pool, each question pooled with weights from the *other* resolved questions.

    What weights from past scores would have given on each question had it
    been the next one: the fair way to score a score-weighted ensemble on the
    same questions that set its weights. Long format, forecaster ``name``.
    """
    forecasters = list(dict.fromkeys(forecasts["forecaster"]))
    rows = []
    for question in dict.fromkeys(forecasts["question"]):
        others = forecasts[forecasts["question"] != question]
        weights = (bma_weights(others, forecasters, floor=floor, tempering=tempering)
                   if others["outcome"].notna().any() else equal_weights(forecasters))
        rows.append(pooled_forecaster(forecasts[forecasts["question"] == question], weights, name))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=FORECAST_COLUMNS)
