"""The expected-utility protocol's forecasts of every issue, as of every date of the horizon.

:func:`forecast_path` plays the ``expected_utility`` protocol
(:mod:`basesim.model.protocols.expected_utility`) on a batch of draws and
keeps, round by round, each issue's capability x salience weighted mean and
pairwise-vote winner (Bueno de Mesquita 1994; Scholz, Calbert and Smith 2011),
the spread of the positions and the status quo's support. Dates follow the
protocol: round ``t`` is played at the start of round ``t`` (like an offer),
so as of the date of round ``d`` the positions after ``d + 1`` rounds hold,
and as of the end of the horizon those after all ``R`` rounds. A world whose
talks ended keeps the forecast of its last round. The forecast from the
initial positions (before round 0) is the outcome table's ``ISSUE_eu_*_start``.
"""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd

from basesim.model.negotiation import RESULT_CODES, NegotiationModel, horizon_dates
from basesim.scenario.sampling import Draws
from basesim.scenario.schema import RESULTS

__all__ = ["FORECASTS", "forecast_path", "summarise_forecasts"]

#: The protocol's name, as registered.
PROTOCOL = "expected_utility"


def _filled(history: np.ndarray, last: np.ndarray) -> np.ndarray:
    """(n, R+1) with every entry after index ``last`` (n,) replaced by the one at ``last``."""
    index = np.minimum(np.arange(history.shape[1])[None, :], last[:, None])
    return np.take_along_axis(history, index, axis=1)


def forecast_path(draws: Draws, *, as_of: str | pd.Timestamp | None = None) -> pd.DataFrame:
    """Each world's expected-utility forecast of every issue as of every date (or of ``as_of`` only).

    One row per replicate, issue and date of :func:`basesim.model.horizon_dates`
    (the start of every round, then the end of the horizon). Columns:
    ``replicate``, ``issue``, ``date``, ``rounds_played`` (rounds of the model
    behind the forecast: those played by the date, up to the world's last), ``state`` (``talking``, ``agreement`` or ``breakdown`` as of
    the date), ``mean`` and ``winner`` (on the issue's value scale [0, 1]),
    ``winner_actor`` (whose position wins the pairwise vote: an actor, or
    ``status quo``), ``mean_level`` and ``winner_level`` (the nearest levels'
    labels), ``spread`` (``(max x - min x) / Delta``) and
    ``status_quo_support`` (> 0: the weighted mean beats the status quo in the
    weighted vote). An issue nobody weighs has NaN forecasts.
    """
    from basesim.model.protocols.expected_utility import nearest_level, participants

    scenario = draws.scenario
    model = NegotiationModel(draws, protocol=PROTOCOL)
    model.protocol.keep_history(draws.n)
    try:
        model.run()
    finally:  # mesa <= 3.3 keeps every model alive in Agent._ids (see negotiation._run)
        getattr(mesa.Agent, "_ids", {}).pop(model, None)
    history = model.protocol.history
    rounds = scenario.protocol.rounds
    dates = pd.DatetimeIndex(horizon_dates(scenario))
    ended = model.result != RESULT_CODES["talking"]
    last = np.where(ended, model.end_round + 1, rounds)  # index of each world's last positions
    played = np.minimum(np.arange(rounds + 1) + 1, rounds)  # as of date d: the positions after d + 1 rounds
    state = np.where(ended[:, None] & (model.end_round[:, None] <= np.arange(rounds + 1)[None, :]),
                     model.result[:, None], RESULT_CODES["talking"])
    n = draws.n
    actors = scenario.actor_names
    frames = []
    for i, ((name, issue), taking) in enumerate(zip(scenario.issues.items(), participants(scenario))):
        values = {key: _filled(history[key][i], last)[:, played] for key in history}
        mean, winner = values["mean"], values["winner"]
        labels = np.array(issue.labels, dtype=object)
        who = values["winner_index"]
        names = np.array(["status quo", *(actors[a] for a in taking)], dtype=object)
        has = np.isfinite(mean)
        mean_level = np.where(has, labels[nearest_level(issue.values, np.nan_to_num(mean).ravel()).reshape(mean.shape)],
                              None)
        winner_level = np.where(has, labels[nearest_level(issue.values, np.nan_to_num(winner).ravel())
                                            .reshape(winner.shape)], None)
        frames.append(pd.DataFrame({
            "replicate": np.repeat(draws.replicate.astype(np.int64), rounds + 1),
            "issue": name,
            "date": np.tile(dates.values, n),
            "rounds_played": np.minimum(played[None, :], last[:, None]).ravel().astype(np.int64),
            "state": pd.Categorical.from_codes(state.ravel().astype(np.int64), categories=list(RESULTS)),
            "mean": mean.ravel(),
            "winner": winner.ravel(),
            "winner_actor": np.where(has, names[np.clip(who + 1, 0, None)], None).ravel(),
            "mean_level": mean_level.ravel(),
            "winner_level": winner_level.ravel(),
            "spread": values["spread"].ravel(),
            "status_quo_support": values["support"].ravel(),
        }))
    table = pd.concat(frames, ignore_index=True)
    table["issue"] = pd.Categorical(table["issue"], categories=scenario.issue_names)
    table = table.sort_values(["replicate", "issue", "date"], kind="stable").reset_index(drop=True)
    if as_of is not None:
        from basesim.errors import UsageError

        try:
            stamp = pd.Timestamp(as_of)
        except (ValueError, TypeError):
            raise UsageError(f"as of {as_of!r}: not a date; expected YYYY-MM-DD") from None
        if stamp < dates[0]:
            raise UsageError(f"as of {stamp.date()}: before the talks start ({dates[0].date()}); "
                             f"expected a date from {dates[0].date()} on")
        chosen = dates[np.searchsorted(dates.values, stamp.to_datetime64(), side="right") - 1]
        table = table[table["date"] == chosen].reset_index(drop=True)
    return table


#: The two forecasts of the protocol, by the outcome-table suffix that holds them.
FORECASTS = {"eu_mean": "weighted mean", "eu_winner": "pairwise winner"}


def summarise_forecasts(table: pd.DataFrame, scenario) -> pd.DataFrame:
    """Each issue's two forecasts over the worlds of an ``expected_utility`` outcome table (or a run's table).

    One row per issue, forecast (``weighted mean``, ``pairwise winner``) and
    ``when`` (``inputs``: from the initial positions, the published invariants
    of the EC example; ``end``: after each world's last round). Columns
    ``median``, ``p05``, ``p95`` in the issue's amounts where it has them
    (else on its value scale), ``level`` (the label of the level nearest the
    median), ``unit`` (the amounts' unit, ``""`` without one; missing for an
    issue without amounts) and ``runs``. Raises
    :class:`~basesim.errors.UsageError` when the table has no forecasts.
    """
    from basesim.errors import UsageError
    from basesim.model.protocols.expected_utility import in_units, nearest_level

    rows = []
    for name, issue in scenario.issues.items():
        for suffix, forecast in FORECASTS.items():
            for when, column in (("inputs", f"{name}_{suffix}_start"), ("end", f"{name}_{suffix}")):
                if column not in table:
                    raise UsageError(f"expected-utility forecasts: the table has no column {column!r}; "
                                     f"it must come from a run with --protocol expected_utility")
                values = table[column].to_numpy(dtype=float)
                values = values[np.isfinite(values)]
                if values.size:
                    p05, median, p95 = np.quantile(values, [0.05, 0.5, 0.95])
                    level = issue.labels[int(nearest_level(issue.values, np.array([median]))[0])]
                    p05, median, p95 = (float(in_units(issue, v)) for v in (p05, median, p95))
                else:
                    p05 = median = p95 = np.nan
                    level = None
                rows.append({"issue": name, "forecast": forecast, "when": when, "median": median, "p05": p05,
                             "p95": p95, "level": level, "unit": (issue.unit or "") if issue.amounts is not None else None,
                             "runs": int(values.size)})
    return pd.DataFrame(rows)
