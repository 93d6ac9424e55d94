"""Scoring probability forecasts of yes/no questions: Brier and log scores, reliability, reference forecasters.

Both scores are losses (lower is better) and strictly proper (Gneiting and
Raftery 2007, "Strictly proper scoring rules, prediction, and estimation",
JASA 102(477)):

- **Brier score** ``(p - y)^2`` (Brier 1950, "Verification of forecasts
  expressed in terms of probability", Monthly Weather Review 78(1)): 0.25 for
  a constant 50%;
- **log score** as a loss, ``-ln p`` of what happened (``-ln(1 - p)`` when it
  did not; Good 1952, "Rational decisions", JRSS B 14(1)): 0.693 for 50%.
  Probabilities are clipped to ``[floor, 1 - floor]`` (default 0.001) so that
  one Monte Carlo zero does not make it infinite.

A forecaster's score is the mean over questions, with a bootstrap interval
over questions (``scipy.stats.bootstrap``, percentile method: Efron and
Tibshirani 1993, *An Introduction to the Bootstrap*, ch. 13), and its
difference to a reference forecaster with a paired bootstrap over the same
questions. With a handful of questions these intervals are wide, and rightly:
five questions prove little.

The **reliability table** (calibration; Murphy and Winkler 1977, "Reliability
of subjective probability forecasts of precipitation and temperature", JRSS C
26(1)) bins the forecasts and compares each bin's mean forecast with the
share of questions that resolved true, with a Wilson interval.

**Reference forecasters** (:func:`reference_forecasts`): ``50%`` always;
``base rate``, the question's own ``base_rate`` if given, else the frequency
among the *other* resolved questions with Laplace's rule of succession,
``(k + 1) / (m + 2)`` (leave one out, so a question's own answer never
enters its forecast); and any probabilities the questions carry under
``forecasts`` (a market, an expert panel).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from basesim.montecarlo.summary import wilson_interval

__all__ = [
    "CHANCE",
    "BASE_RATE",
    "FORECAST_COLUMNS",
    "SCORE_COLUMNS",
    "brier_score",
    "bootstrap_interval",
    "log_score",
    "reference_forecasts",
    "reliability_table",
    "score_table",
]

#: Names of the built-in reference forecasters.
CHANCE = "50%"
BASE_RATE = "base rate"
#: The long table of forecasts every function here reads.
FORECAST_COLUMNS = ["question", "forecaster", "probability", "outcome"]
SCORE_COLUMNS = ["forecaster", "questions", "brier", "brier_low", "brier_high", "log_score", "log_score_low",
                 "log_score_high", "brier_vs_reference", "brier_vs_reference_low", "brier_vs_reference_high"]

#: Probabilities are clipped to [FLOOR, 1 - FLOOR] in the log score.
FLOOR = 1e-3
CONFIDENCE = 0.95
RESAMPLES = 9999


def brier_score(probability: Any, outcome: Any) -> np.ndarray:
    """Per question ``(p - y)^2``; ``outcome`` true/false or 1/0."""
    p = np.asarray(probability, dtype=float)
    y = np.asarray(outcome, dtype=float)
    return (p - y) ** 2


def log_score(probability: Any, outcome: Any, *, floor: float = FLOOR) -> np.ndarray:
    """Per question ``-ln`` of the probability given to what happened (a loss), ``p`` clipped to ``[floor, 1 - floor]``."""
    p = np.clip(np.asarray(probability, dtype=float), floor, 1 - floor)
    y = np.asarray(outcome, dtype=float)
    return -(y * np.log(p) + (1 - y) * np.log1p(-p))


def bootstrap_interval(values: Any, *, paired: Any = None, confidence: float = CONFIDENCE,
                       n_resamples: int = RESAMPLES, rng: np.random.Generator) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values`` over questions (or of ``values - paired``).

    ``scipy.stats.bootstrap`` resampling questions with replacement; with
    ``paired`` both samples are resampled together (the same questions).
    NaN with fewer than two questions; a point when every value is equal.
    """
    x = np.asarray(values, dtype=float)
    if paired is not None:
        x = x - np.asarray(paired, dtype=float)
    if x.size < 2:
        return np.nan, np.nan
    if np.ptp(x) == 0:
        return float(x[0]), float(x[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        result = stats.bootstrap((x,), np.mean, confidence_level=confidence, n_resamples=n_resamples,
                                 method="percentile", vectorized=True, axis=-1, rng=rng)
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def _check(forecasts: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in FORECAST_COLUMNS if c not in forecasts.columns]
    if missing:
        raise ValueError(f"forecasts need the columns {', '.join(FORECAST_COLUMNS)}; missing {', '.join(missing)}")
    resolved = forecasts.dropna(subset=["outcome", "probability"])
    return resolved.assign(outcome=resolved["outcome"].astype(float))


def score_table(forecasts: pd.DataFrame, *, reference: str | None = CHANCE, floor: float = FLOOR,
                confidence: float = CONFIDENCE, n_resamples: int = RESAMPLES,
                rng: np.random.Generator) -> pd.DataFrame:
    """Mean Brier and log scores per forecaster, with bootstrap intervals over questions.

    ``forecasts``: long, columns ``question``, ``forecaster``, ``probability``,
    ``outcome`` (1/0/True/False; NaN rows, unresolved, are left out). Each
    forecaster is scored on the questions it forecast; ``brier_vs_reference``
    is its mean Brier score minus the ``reference`` forecaster's on the same
    questions (negative: better than the reference), with a paired interval.
    """
    resolved = _check(forecasts)
    wide = resolved.pivot_table(index="question", columns="forecaster", values="probability", aggfunc="first",
                                sort=False)
    outcome = resolved.groupby("question", sort=False)["outcome"].first().reindex(wide.index)
    rows = []
    for name in dict.fromkeys(resolved["forecaster"]):
        p = wide[name]
        given = p.notna().to_numpy()
        probability, y = p.to_numpy(float)[given], outcome.to_numpy(float)[given]
        brier, log = brier_score(probability, y), log_score(probability, y, floor=floor)
        versus = (np.nan, np.nan, np.nan)
        if reference is not None and reference in wide and name != reference:
            ref = wide[reference].to_numpy(float)[given]
            both = ~np.isnan(ref)
            ref_brier = brier_score(ref[both], y[both])
            versus = (float(np.mean(brier[both] - ref_brier)) if both.any() else np.nan,
                      *bootstrap_interval(brier[both], paired=ref_brier, confidence=confidence,
                                          n_resamples=n_resamples, rng=rng))
        rows.append(dict(zip(SCORE_COLUMNS, (
            name, int(given.sum()), float(brier.mean()) if brier.size else np.nan,
            *bootstrap_interval(brier, confidence=confidence, n_resamples=n_resamples, rng=rng),
            float(log.mean()) if log.size else np.nan,
            *bootstrap_interval(log, confidence=confidence, n_resamples=n_resamples, rng=rng),
            *versus))))
    return pd.DataFrame(rows, columns=SCORE_COLUMNS)


def reliability_table(forecasts: pd.DataFrame, *, bins: int = 5, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Per forecaster and probability bin: questions, mean forecast, share resolved true (Wilson interval).

    ``bins`` equal-width bins on [0, 1] (the last one closed); empty bins are
    left out. Columns: ``forecaster``, ``bin``, ``bin_low``, ``bin_high``,
    ``questions``, ``forecast``, ``observed``, ``low``, ``high``.
    """
    resolved = _check(forecasts)
    edges = np.linspace(0.0, 1.0, bins + 1)
    rows = []
    for name, group in resolved.groupby("forecaster", sort=False):
        p = group["probability"].to_numpy(float)
        y = group["outcome"].to_numpy(float)
        which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, bins - 1)
        for b in range(bins):
            inside = which == b
            n = int(inside.sum())
            if n == 0:
                continue
            k = float(y[inside].sum())
            low, high = wilson_interval(k, n, confidence=confidence)
            rows.append({"forecaster": name, "bin": b, "bin_low": edges[b], "bin_high": edges[b + 1],
                         "questions": n, "forecast": float(p[inside].mean()), "observed": k / n,
                         "low": float(low), "high": float(high)})
    return pd.DataFrame(rows, columns=["forecaster", "bin", "bin_low", "bin_high", "questions", "forecast",
                                       "observed", "low", "high"])


def reference_forecasts(questions: pd.DataFrame) -> pd.DataFrame:
    """The reference forecasters' forecasts of resolved questions, long (:data:`FORECAST_COLUMNS`).

    ``questions``: one row per question with ``question``, ``outcome`` (NaN if
    unresolved), optional ``base_rate`` and optional ``forecasts`` (a dict of
    forecaster -> probability). Gives ``50%``, ``base rate`` (the question's
    own, else leave-one-out with Laplace's rule) and every user forecaster.
    """
    resolved = questions.dropna(subset=["outcome"]).reset_index(drop=True)
    y = resolved["outcome"].astype(float).to_numpy()
    k, m = y.sum(), len(y)
    rows = []
    for j, row in resolved.iterrows():
        question, outcome = row["question"], float(row["outcome"])
        rows.append((question, CHANCE, 0.5, outcome))
        own = row.get("base_rate")
        if own is not None and not pd.isna(own):
            rate = float(own)
        else:
            rate = (k - y[j] + 1) / (m - 1 + 2)
        rows.append((question, BASE_RATE, rate, outcome))
        for name, probability in (row.get("forecasts") or {}).items():
            rows.append((question, str(name), float(probability), outcome))
    return pd.DataFrame(rows, columns=FORECAST_COLUMNS)
