"""Scoring conditioned forecasts of resolved questions against reference forecasters, and pooling the theories.

The pipeline behind ``basesim score``: each forecaster (a scenario under a
protocol, conditioned on the observations up to the as-of date) forecasts
every resolved question that resolves after the as-of date
(:func:`model_forecasts`); the reference forecasters join them
(:func:`basesim.analysis.scoring.reference_forecasts`); with two or more
forecasters, two pools join too, ``pooled (equal)`` and ``pooled (scores)``
(Bayesian model averaging weights from the *other* resolved questions,
:func:`basesim.analysis.ensembles.leave_one_out_pool`); and every one is scored
(:func:`score_report`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from basesim.analysis.conditioning import Posterior
from basesim.analysis.ensembles import bma_weights, leave_one_out_pool, pooled_forecaster
from basesim.analysis.forecasts import question_forecasts
from basesim.analysis.observations import Question
from basesim.analysis.scoring import FORECAST_COLUMNS, reference_forecasts, reliability_table, score_table

__all__ = ["POOLED_EQUAL", "POOLED_SCORES", "ScoreReport", "model_forecasts", "question_frame", "score_report"]

POOLED_EQUAL = "pooled (equal)"
POOLED_SCORES = "pooled (scores)"


def question_frame(questions: Mapping[str, Question]) -> pd.DataFrame:
    """One row per question: ``question``, ``label``, ``date``, ``outcome`` (1/0/NaN), ``base_rate``, ``forecasts``."""
    return pd.DataFrame([{
        "question": name, "label": q.describe(), "date": q.timestamp,
        "outcome": np.nan if q.resolution is None else float(q.resolution),
        "base_rate": q.base_rate, "forecasts": dict(q.forecasts)} for name, q in questions.items()],
        columns=["question", "label", "date", "outcome", "base_rate", "forecasts"])


def model_forecasts(posteriors: Mapping[str, Posterior], questions: Mapping[str, Question], *,
                    resolved_only: bool = True) -> pd.DataFrame:
    """Each forecaster's probability (with its Monte Carlo interval) of each question resolving after its as-of date.

    Long: ``question``, ``forecaster``, ``probability``, ``outcome``, ``low``,
    ``high``, ``prior``, ``ess``.
    """
    rows = []
    for name, posterior in posteriors.items():
        table = question_forecasts(posterior, questions)
        table = table[table["after_as_of"]]
        if resolved_only:
            table = table[table["resolution"].notna()]
        rows.append(pd.DataFrame({
            "question": table["name"], "forecaster": name, "probability": table["estimate"],
            "outcome": table["resolution"], "low": table["low"], "high": table["high"], "prior": table["prior"],
            "ess": posterior.ess}))
    columns = FORECAST_COLUMNS + ["low", "high", "prior", "ess"]
    return pd.concat(rows, ignore_index=True)[columns] if rows else pd.DataFrame(columns=columns)


@dataclass
class ScoreReport:
    """Every forecaster's forecasts, scores and reliability, and the score weights for later pools."""

    forecasts: pd.DataFrame  # long: question, forecaster, probability, outcome (+ low, high for models)
    scores: pd.DataFrame  # basesim.analysis.scoring.score_table
    reliability: pd.DataFrame  # basesim.analysis.scoring.reliability_table
    weights: pd.Series  # BMA weights of the model forecasters from every resolved question
    models: list[str]
    questions: int


def score_report(models: pd.DataFrame, questions: Mapping[str, Question], *, rng: np.random.Generator,
                 bins: int = 5, n_resamples: int = 9999) -> ScoreReport:
    """Score model forecasts (:func:`model_forecasts`) with the references and the pools.

    Only questions every model forecast are scored (the same questions for every forecaster).
    """
    names = list(dict.fromkeys(models["forecaster"]))
    shared = models.groupby("question")["forecaster"].nunique()
    shared = set(shared[shared == len(names)].index)
    models = models[models["question"].isin(shared)]
    frame = question_frame({q: v for q, v in questions.items() if q in shared})
    parts = [models, reference_forecasts(frame)]
    base = models[FORECAST_COLUMNS]
    if len(names) > 1:
        parts += [pooled_forecaster(base, None, POOLED_EQUAL), leave_one_out_pool(base, POOLED_SCORES)]
    forecasts = pd.concat(parts, ignore_index=True)
    weights = bma_weights(base, names) if len(base) else pd.Series(dtype=float, name="weight")
    return ScoreReport(
        forecasts=forecasts,
        scores=score_table(forecasts, rng=rng, n_resamples=n_resamples),
        reliability=reliability_table(forecasts, bins=bins),
        weights=weights,
        models=names,
        questions=len(shared),
    )
