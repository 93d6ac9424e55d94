"""What a conditioned scenario forecasts after its as-of date, next to what the unconditioned one did.

Every probability is a weighted share of the posterior's worlds with a
Wilson 95% interval at the effective sample size
(:func:`basesim.analysis.conditioning.weighted_probability`), next to the
prior's (the same scenario before the observations). One tidy table holds
them all (:func:`forecast_table`): the state of the talks on dates after the
as-of date, every issue's level at the end of the horizon, the scenario's
named outcomes, and the questions of the observations file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from basesim.analysis.conditioning import Posterior
from basesim.analysis.observations import STATES, Question, horizon
from basesim.analysis.world_states import WorldStates
from basesim.model import round_dates
from basesim.montecarlo.summary import named_outcomes

__all__ = [
    "FORECAST_COLUMNS",
    "forecast_dates",
    "forecast_table",
    "level_forecasts",
    "outcome_forecasts",
    "question_forecasts",
    "state_forecasts",
]

FORECAST_COLUMNS = ["kind", "name", "value", "date", "label", "prior", "prior_low", "prior_high",
                    "estimate", "low", "high"]


def forecast_dates(posterior: Posterior, *, count: int | None = None) -> list[pd.Timestamp]:
    """Round dates after the as-of date, and the end of the horizon; ``count`` evenly spread ones of them."""
    end = horizon(posterior.scenario)[1]
    dates = [pd.Timestamp(d) for d in round_dates(posterior.scenario) if pd.Timestamp(d) > posterior.as_of]
    dates = sorted(set(dates) | {end})
    if count is not None and len(dates) > count:
        picks = np.unique(np.round(np.linspace(0, len(dates) - 1, count)).astype(int))
        dates = [dates[i] for i in picks]
    return dates


def _row(kind: str, name: str, value: str, date: Any, label: str, prior: tuple, posterior: tuple) -> dict:
    return dict(zip(FORECAST_COLUMNS, (kind, name, value, date, label, *prior, *posterior)))


def state_forecasts(posterior: Posterior, dates: Sequence[Any] | None = None) -> pd.DataFrame:
    """The chance of each state of the talks on each date (default :func:`forecast_dates`)."""
    dates = forecast_dates(posterior) if dates is None else [pd.Timestamp(d) for d in dates]
    now, before = WorldStates(posterior.table, posterior.scenario), WorldStates(posterior.prior, posterior.scenario)
    rows = []
    for date in dates:
        post_states, prior_states = now.at(date)["state"].astype(str), before.at(date)["state"].astype(str)
        for state in STATES:
            rows.append(_row("state", "state", state, date, f"{state} on {date.date()}",
                             posterior.prior_probability((prior_states == state).to_numpy()),
                             posterior.probability((post_states == state).to_numpy())))
    return pd.DataFrame(rows, columns=FORECAST_COLUMNS)


def level_forecasts(posterior: Posterior, date: Any = None) -> pd.DataFrame:
    """The chance of every level of every issue in force on ``date`` (default: the end of the horizon)."""
    scenario = posterior.scenario
    date = horizon(scenario)[1] if date is None else pd.Timestamp(date)
    post, prior = (WorldStates(posterior.table, scenario).at(date),
                   WorldStates(posterior.prior, scenario).at(date))
    rows = []
    for name, issue in scenario.issues.items():
        for label in issue.labels:
            rows.append(_row("level", name, label, date, f"{scenario.display(name)}: {label}",
                             posterior.prior_probability((prior[name].astype(str) == label).to_numpy()),
                             posterior.probability((post[name].astype(str) == label).to_numpy())))
    return pd.DataFrame(rows, columns=FORECAST_COLUMNS)


def outcome_forecasts(posterior: Posterior) -> pd.DataFrame:
    """The chance of each of the scenario's named outcomes."""
    scenario = posterior.scenario
    if not scenario.outcomes:
        return pd.DataFrame(columns=FORECAST_COLUMNS)
    post, prior = named_outcomes(scenario, posterior.table), named_outcomes(scenario, posterior.prior)
    end = horizon(scenario)[1]
    rows = []
    for name, outcome in scenario.outcomes.items():
        column = f"outcome.{name}"
        date = getattr(outcome, "as_of", None) or end
        rows.append(_row("outcome", name, "true", pd.Timestamp(date), outcome.label or name,
                         posterior.prior_probability(prior[column].to_numpy(bool)),
                         posterior.probability(post[column].to_numpy(bool))))
    return pd.DataFrame(rows, columns=FORECAST_COLUMNS)


def question_forecasts(posterior: Posterior, questions: Mapping[str, Question]) -> pd.DataFrame:
    """The chance that each question's fact holds, with its resolution (NaN until known).

    Columns: :data:`FORECAST_COLUMNS`, ``resolution`` (1.0, 0.0 or NaN) and
    ``after_as_of`` (whether the question resolves after the as-of date: only
    those are forecasts).
    """
    now = WorldStates(posterior.table, posterior.scenario)
    before = WorldStates(posterior.prior, posterior.scenario)
    rows = []
    for name, question in questions.items():
        row = _row("question", name, "true", question.timestamp, question.describe(),
                   posterior.prior_probability(before.holds(question)), posterior.probability(now.holds(question)))
        row["resolution"] = np.nan if question.resolution is None else float(question.resolution)
        row["after_as_of"] = question.timestamp > posterior.as_of
        rows.append(row)
    return pd.DataFrame(rows, columns=FORECAST_COLUMNS + ["resolution", "after_as_of"])


def forecast_table(posterior: Posterior, questions: Mapping[str, Question] | None = None, *,
                   dates: Sequence[Any] | None = None) -> pd.DataFrame:
    """States on ``dates``, levels at the horizon, named outcomes and questions, prior and posterior."""
    parts = [state_forecasts(posterior, dates), level_forecasts(posterior), outcome_forecasts(posterior)]
    if questions:
        parts.append(question_forecasts(posterior, questions).drop(columns=["resolution", "after_as_of"]))
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=FORECAST_COLUMNS)
