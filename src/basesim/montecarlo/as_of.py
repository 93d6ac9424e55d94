"""Every world's state at a date: still talking under the status quo, agreed, or broken off.

A world's talks end in its round ``round`` (dated ``date``, the start of that
round) with an agreement or a breakdown, or go on past the horizon. As of a
date ``D`` (docs/model.md, "What comes out"): a world whose talks ended on or
before ``D`` is in its final state with the levels it ended with (the agreed
terms, or the breakdown alternative's); every other world is ``talking`` and
the status quo's levels are in force.

Dates are resolved to the rounds: ``D`` stands for the last round date on or
before it (:func:`as_of_index`), so "as of 2026-01-31" with monthly rounds from
2025-02-01 is as of 2026-01-01, the start of the last round before it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from basesim.errors import UsageError
from basesim.model import horizon_dates
from basesim.scenario.schema import RESULTS, Scenario

__all__ = ["as_of_dates", "as_of_index", "state_as_of", "states_at", "status_quo_levels"]

TALKING = RESULTS.index("talking")


def as_of_dates(scenario: Scenario) -> pd.DatetimeIndex:
    """The dates a summary can be taken at: the start of every round, and the end of the horizon (T + 1)."""
    return pd.DatetimeIndex(horizon_dates(scenario))


def as_of_index(scenario: Scenario, date: dt.date | str | pd.Timestamp | None) -> int:
    """Index into :func:`as_of_dates` of the last date on or before ``date`` (None: the end of the horizon).

    Raises :class:`~basesim.errors.UsageError` for a date outside the forecast's horizon.
    """
    dates = as_of_dates(scenario)
    if date is None:
        return len(dates) - 1
    try:
        stamp = pd.Timestamp(date)
    except (ValueError, TypeError):
        raise UsageError(f"as of {date!r}: not a date; expected YYYY-MM-DD") from None
    if stamp < dates[0] or stamp > dates[-1]:
        raise UsageError(f"as of {stamp.date()}: outside the forecast, which runs from {dates[0].date()} "
                         f"to {dates[-1].date()}; give a date in it (or lengthen protocol.rounds)")
    return int(np.searchsorted(dates.values, stamp.to_datetime64(), side="right") - 1)


def status_quo_levels(scenario: Scenario) -> np.ndarray:
    """(I,) level index of every issue while the talks go on."""
    sq = scenario.status_quo_levels
    return np.array([issue.level_index(sq[name]) for name, issue in scenario.issues.items()], dtype=np.int64)


def states_at(result: np.ndarray, end_round: np.ndarray, index: int) -> np.ndarray:
    """(n,) result codes as of date ``index`` of :func:`as_of_dates`: ``talking`` unless ended by then."""
    ended = (result != TALKING) & (end_round >= 0) & (end_round <= index)
    return np.where(ended, result, TALKING)


def state_as_of(table: pd.DataFrame, scenario: Scenario, date: dt.date | str | None = None) -> pd.DataFrame:
    """Every world's state and the levels in force as of ``date`` (default: the end of the horizon).

    ``table`` has the columns of :func:`basesim.model.play` (``result``,
    ``round``, ``ISSUE_level``). Returns a frame on the same index with
    ``state`` (Categorical of talking / agreement / breakdown) and, per issue,
    the level label ``ISSUE``, ``ISSUE_level`` and ``ISSUE_amount`` (when the
    issue has amounts).
    """
    index = as_of_index(scenario, date)
    result = result_codes(table)
    state = states_at(result, table["round"].to_numpy(dtype=np.int64), index)
    talking = state == TALKING
    columns: dict[str, object] = {"state": pd.Categorical.from_codes(state, categories=list(RESULTS))}
    for i, (name, issue) in enumerate(scenario.issues.items()):
        level = np.where(talking, status_quo_levels(scenario)[i], table[f"{name}_level"].to_numpy(dtype=np.int64))
        columns[name] = pd.Categorical.from_codes(level, categories=issue.labels, ordered=True)
        columns[f"{name}_level"] = level
        if issue.amounts is not None:
            columns[f"{name}_amount"] = issue.amounts[level]
    return pd.DataFrame(columns, index=table.index)


def result_codes(table: pd.DataFrame) -> np.ndarray:
    """(n,) code of every row's ``result`` in :data:`~basesim.scenario.schema.RESULTS` order."""
    column = table["result"]
    if isinstance(column.dtype, pd.CategoricalDtype) and list(column.cat.categories) == list(RESULTS):
        codes = column.cat.codes.to_numpy().astype(np.int64)
    else:
        codes = pd.Index(list(RESULTS)).get_indexer(column.astype(object)).astype(np.int64)
    if (codes < 0).any():
        bad = sorted(set(table["result"].astype(str)) - set(RESULTS))
        raise ValueError(f"result column holds {bad}; expected only {', '.join(RESULTS)}")
    return codes
