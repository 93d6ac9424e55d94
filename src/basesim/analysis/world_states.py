"""Whether a fact holds in each world of an outcome table: the state of the talks and the levels in force on a date.

Everything here reads one function,
:func:`basesim.montecarlo.as_of.state_as_of` (columns ``state``, one of
talking / agreement / breakdown, and one column per issue with the level
label in force on that date): a world whose talks ended (agreement or
breakdown) on or before the date is in its final state with its final
levels; any other world is still talking under the status quo.

Events are exogenous: event E "has happened by D" when it fires in that
world (column ``events.E.occurs``) and the round it applies at starts on or
before D, whether or not the talks were still going on.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from basesim.analysis.observations import Fact, level_range
from basesim.model import round_dates
from basesim.montecarlo.as_of import state_as_of
from basesim.scenario.schema import Scenario

__all__ = ["WorldStates", "event_happened", "state_as_of"]


def _event_rounds(table: pd.DataFrame, scenario: Scenario, name: str) -> np.ndarray:
    """(n,) round at which event ``name`` applies in each world (as :func:`basesim.scenario.sampling.transform`)."""
    event = scenario.events[name]
    n = len(table)
    month = getattr(event, "month", None)
    if month is not None:
        column = f"events.{name}.month"
        values = table[column].to_numpy(float) if column in table else np.full(n, float(month))
        return np.ceil(values / scenario.months_per_round - 1e-9).astype(np.int64)
    column = f"events.{name}.round"
    values = table[column].to_numpy(float) if column in table else np.full(n, float(event.round))
    return np.floor(values + 1e-9).astype(np.int64)


def event_happened(table: pd.DataFrame, scenario: Scenario, name: str, date: Any) -> np.ndarray:
    """(n,) bool: event ``name`` fired in the world and its round started on or before ``date``."""
    fires = table[f"events.{name}.occurs"].to_numpy(bool)
    rounds = _event_rounds(table, scenario, name)
    dates = round_dates(scenario)
    inside = rounds < len(dates)
    start = np.where(inside, dates[np.clip(rounds, 0, len(dates) - 1)], np.datetime64("NaT"))
    with np.errstate(invalid="ignore"):
        return fires & inside & (start <= np.datetime64(pd.Timestamp(date)))


class WorldStates:
    """The states of a table's worlds on any date, each date computed once."""

    def __init__(self, table: pd.DataFrame, scenario: Scenario):
        self.table = table
        self.scenario = scenario
        self._at: dict[pd.Timestamp, pd.DataFrame] = {}

    def at(self, date: Any) -> pd.DataFrame:
        """``state_as_of(table, scenario, date)``, cached."""
        when = pd.Timestamp(date)
        if when not in self._at:
            self._at[when] = state_as_of(self.table, self.scenario, when)
        return self._at[when]

    def holds(self, fact: Fact) -> np.ndarray:
        """(n,) bool: every condition of ``fact`` holds in the world on the fact's date."""
        n = len(self.table)
        holds = np.ones(n, dtype=bool)
        if fact.states is not None or fact.issue is not None:
            states = self.at(fact.timestamp)
            if fact.states is not None:
                holds &= states["state"].astype(str).isin(fact.states).to_numpy(bool)
            if fact.issue is not None:
                low, high = level_range(fact, self.scenario)
                codes = _level_codes(states[fact.issue], self.scenario.issues[fact.issue].labels)
                holds &= (codes >= low) & (codes <= high)
        if fact.event is not None:
            happened = event_happened(self.table, self.scenario, fact.event, fact.timestamp)
            holds &= happened if fact.happened else ~happened
        return holds


def _level_codes(column: pd.Series, labels: list[str]) -> np.ndarray:
    """Level indices of a column of labels (categorical in the issue's order, or plain text)."""
    if isinstance(column.dtype, pd.CategoricalDtype) and list(column.cat.categories) == list(labels):
        return column.cat.codes.to_numpy().astype(np.int64)
    return pd.Index(labels).get_indexer(column.astype(str)).astype(np.int64)
