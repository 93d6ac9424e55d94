"""What a Monte Carlo run says: probabilities with Wilson intervals, quantiles.

A run is summarised from additive :class:`Counts` (replications by result,
by issue level, by round, and how often each named outcome held), so a batch
can return a few small integer arrays instead of its table and memory does
not grow with the number of runs. Every summary statistic is exact given the
counts: the levels, rounds and amounts are discrete, so their quantiles come
straight from the count histograms.

References
----------
- E. B. Wilson (1927), "Probable inference, the law of succession, and
  statistical inference", JASA 22(158):209-212, doi:10.1080/01621459.1927.10502953
  (the score interval of a binomial proportion).
- L. D. Brown, T. T. Cai, A. DasGupta (2001), "Interval estimation for a
  binomial proportion", Statistical Science 16(2):101-133,
  doi:10.1214/ss/1009213286 (why Wilson rather than the Wald interval).
- R. J. Hyndman, Y. Fan (1996), "Sample quantiles in statistical packages",
  The American Statistician 50(4):361-365, doi:10.2307/2684934 (definition 1,
  the inverse of the empirical CDF, used for discrete quantiles).
- H. A. David, H. N. Nagaraja (2003), *Order Statistics*, 3rd ed., section 7.1
  (distribution-free confidence intervals for quantiles from order statistics).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from basesim.montecarlo.as_of import TALKING, as_of_index, result_codes, states_at, status_quo_levels
from basesim.scenario.schema import RESULTS, Scenario

__all__ = [
    "Counts",
    "QUANTILES",
    "Summary",
    "discrete_quantiles",
    "max_half_width",
    "named_outcomes",
    "wilson_interval",
]

#: Probabilities at which money amounts and time to agreement are reported.
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)

#: Confidence level of every interval in a summary.
CONFIDENCE = 0.95

SUMMARY_COLUMNS = ["kind", "name", "value", "estimate", "low", "high", "count", "runs", "label"]


# --- intervals -------------------------------------------------------------------------


def wilson_interval(count: Any, runs: Any, *, confidence: float = CONFIDENCE) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial proportion, vectorised.

    With ``x`` successes in ``n`` trials, ``p = x / n`` and ``z`` the
    ``(1 + confidence) / 2`` normal quantile (Wilson 1927)::

        centre = (x + z^2 / 2) / (n + z^2)
        half   = z / (n + z^2) * sqrt(x (n - x) / n + z^2 / 4)

    ``count`` and ``runs`` broadcast against each other; returns ``(low,
    high)`` as float arrays of their broadcast shape, NaN where ``runs`` is 0.
    Equals ``scipy.stats.binomtest(x, n).proportion_ci(method="wilson")``.
    """
    x = np.asarray(count, dtype=float)
    n = np.asarray(runs, dtype=float)
    z = stats.norm.ppf(0.5 + confidence / 2)
    z2 = z * z
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = (x + z2 / 2) / (n + z2)
        half = z / (n + z2) * np.sqrt(np.maximum(x * (n - x) / n, 0.0) + z2 / 4)
        low = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
        high = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    # exact ends where the score interval touches them (no rounding below 0 / above 1)
    low = np.where(x == 0, 0.0 * low, low)
    high = np.where(x == n, 1.0 + 0.0 * high, high)
    return low, high


def discrete_quantiles(values: np.ndarray, counts: np.ndarray, probabilities: Any = QUANTILES,
                       *, confidence: float = CONFIDENCE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Quantiles of a discrete distribution given as a histogram, with intervals.

    ``values`` (m,) increasing, ``counts`` (m,) how often each occurred.
    The estimate of quantile ``q`` is the smallest value whose cumulative
    count reaches ``q * n`` (Hyndman & Fan's definition 1, numpy's
    ``method="inverted_cdf"``), which is what the full table would give.
    The interval is the distribution-free one from order statistics: ranks
    ``binom.ppf(a/2, n, q)`` and ``binom.ppf(1 - a/2, n, q) + 1`` (David &
    Nagaraja 2003, 7.1), clipped to [1, n]. Returns ``(estimate, low, high)``,
    each (len(probabilities),); NaN when the histogram is empty.
    """
    values = np.asarray(values, dtype=float)
    counts = np.asarray(counts, dtype=np.int64)
    q = np.atleast_1d(np.asarray(probabilities, dtype=float))
    n = int(counts.sum())
    if n == 0:
        nan = np.full(q.shape, np.nan)
        return nan, nan.copy(), nan.copy()
    cumulative = np.cumsum(counts)

    def at_rank(rank: np.ndarray) -> np.ndarray:
        rank = np.clip(rank, 1, n)
        return values[np.searchsorted(cumulative, rank, side="left")]

    # rank ceil(q n), computed as numpy's inverted_cdf does (q n, then the next integer up)
    estimate = at_rank(np.maximum(np.ceil(n * q).astype(np.int64), 1))
    alpha = 1.0 - confidence
    low = at_rank(stats.binom.ppf(alpha / 2, n, q).astype(np.int64))
    high = at_rank(stats.binom.ppf(1 - alpha / 2, n, q).astype(np.int64) + 1)
    return estimate, low, high


# --- named outcomes ----------------------------------------------------------------------


def named_outcomes(scenario: Scenario, table: pd.DataFrame, *, as_of: Any = None) -> pd.DataFrame:
    """One bool column ``outcome.NAME`` per named outcome of the scenario.

    ``table`` has the columns of :func:`basesim.model.play` (``result``,
    ``round``, ``date``, ``ISSUE_level``). Every condition an outcome gives
    must hold as of its date (its ``as_of``, else ``as_of`` here, else the end
    of the horizon; see :mod:`basesim.montecarlo.as_of`): ``issue`` with
    ``at_least`` / ``at_most`` / ``equals`` a level in force then (compared by
    level index; the status quo's level while still talking), ``result`` the
    state then, and ``by`` (the talks ended on or before that date).
    """
    result = result_codes(table)
    end_round = table["round"].to_numpy(dtype=np.int64)
    levels = _issue_levels(scenario, table)
    status_quo = status_quo_levels(scenario)
    dates = table["date"]
    columns: dict[str, np.ndarray] = {}
    for name, outcome in scenario.outcomes.items():
        index = as_of_index(scenario, outcome.as_of if outcome.as_of is not None else as_of)
        columns[f"outcome.{name}"] = _holds(scenario, outcome, result, end_round, levels, status_quo, dates, index)
    return pd.DataFrame(columns, index=table.index)


def _holds(scenario, outcome, result, end_round, levels, status_quo, dates, index) -> np.ndarray:
    """Whether a named outcome holds in every world as of date ``index`` of ``as_of_dates``."""
    state = states_at(result, end_round, index)
    return _holds_in(scenario, outcome, state, levels, status_quo, _ended_by(outcome, dates))


def _ended_by(outcome, dates: pd.Series) -> np.ndarray | None:
    """Whether each world's talks ended on or before the outcome's ``by`` date (None: it gives none)."""
    return None if outcome.by is None else (dates <= pd.Timestamp(outcome.by)).to_numpy(dtype=bool)


def _issue_levels(scenario: Scenario, table: pd.DataFrame) -> np.ndarray:
    """(n, I) the level index of every issue in every row of a play table."""
    if not len(table):
        return np.zeros((0, len(scenario.issues)), np.int64)
    return np.stack([table[f"{name}_level"].to_numpy(dtype=np.int64) for name in scenario.issues], axis=1)


def _holds_in(scenario, outcome, state, levels, status_quo, ended_by) -> np.ndarray:
    """Whether a named outcome holds in every world in state ``state`` (``ended_by``: the talks ended on or
    before the outcome's ``by`` date, when it has one)."""
    holds = np.ones(state.size, dtype=bool)
    if outcome.issue is not None:
        issue = scenario.issues[outcome.issue]
        i = scenario.issue_names.index(outcome.issue)
        level = np.where(state == TALKING, status_quo[i], levels[:, i])
        if outcome.at_least is not None:
            holds &= level >= issue.level_index(outcome.at_least)
        if outcome.at_most is not None:
            holds &= level <= issue.level_index(outcome.at_most)
        if outcome.equals is not None:
            holds &= level == issue.level_index(outcome.equals)
    if outcome.result is not None:
        holds &= state == RESULTS.index(outcome.result)
    if ended_by is not None:
        holds &= (state != TALKING) & ended_by
    return holds


def outcomes_by_date(scenario: Scenario, table: pd.DataFrame) -> np.ndarray:
    """(O, T + 1) counts of the worlds where each named outcome holds as of every date of ``as_of_dates``.

    A world is talking until the round its talks ended and in its final state
    from then on, so each outcome needs only two evaluations per world (as if
    talking, as if ended): the count as of date ``j`` is the talking count
    plus the change in the worlds that ended in rounds ``0..j`` (a cumulative
    sum), not one evaluation per date.
    """
    T = scenario.protocol.rounds
    counts = np.zeros((len(scenario.outcomes), T + 1), np.int64)
    if not scenario.outcomes or not len(table):
        return counts
    code = result_codes(table)
    rounds = table["round"].to_numpy(dtype=np.int64)
    levels = _issue_levels(scenario, table)
    status_quo = status_quo_levels(scenario)
    ends = (code != TALKING) & (rounds >= 0) & (rounds <= T)
    talking = np.full(code.size, TALKING, dtype=code.dtype)
    for o, outcome in enumerate(scenario.outcomes.values()):
        ended_by = _ended_by(outcome, table["date"])
        if_talking = _holds_in(scenario, outcome, talking, levels, status_quo, ended_by)
        if_ended = _holds_in(scenario, outcome, code, levels, status_quo, ended_by)
        gained = np.bincount(rounds[ends & if_ended & ~if_talking], minlength=T + 1)[: T + 1]
        lost = np.bincount(rounds[ends & ~if_ended & if_talking], minlength=T + 1)[: T + 1]
        counts[o] = int(if_talking.sum()) + np.cumsum(gained - lost)
    return counts


# --- counts --------------------------------------------------------------------------------


@dataclass
class Counts:
    """Additive counts of a set of replications; ``a + b`` pools two sets.

    Shapes (``R = 3`` results in the order agreement, breakdown, talking;
    ``T`` rounds; ``L_i`` levels of issue ``i``; ``O`` named outcomes):

    - ``result`` (R,): replications by state at the end of the horizon;
    - ``rounds`` (R, T): replications whose talks ended, by result and the round they ended in;
    - ``levels``: issue -> (R, L_i), replications by state and level in force at the end of the horizon;
    - ``ended_levels``: issue -> (R, T, L_i), the ended replications by result, round and level;
    - ``outcomes`` (O,): replications where each named outcome held (as of its own date);
    - ``outcomes_by_date`` (O, T + 1): where each held as of every date of
      :func:`~basesim.montecarlo.as_of.as_of_dates` (ignoring its own ``as_of``).

    The state and levels as of any date follow from ``rounds`` and
    ``ended_levels`` (:meth:`as_of`): a replication not ended by then is talking.
    """

    runs: int
    result: np.ndarray
    rounds: np.ndarray
    levels: dict[str, np.ndarray]
    outcomes: np.ndarray
    ended_levels: dict[str, np.ndarray]
    outcomes_by_date: np.ndarray

    @classmethod
    def empty(cls, scenario: Scenario) -> "Counts":
        R, T = len(RESULTS), scenario.protocol.rounds
        return cls(
            runs=0,
            result=np.zeros(R, np.int64),
            rounds=np.zeros((R, T), np.int64),
            levels={name: np.zeros((R, len(issue.labels)), np.int64) for name, issue in scenario.issues.items()},
            outcomes=np.zeros(len(scenario.outcomes), np.int64),
            ended_levels={name: np.zeros((R, T, len(issue.labels)), np.int64) for name, issue in scenario.issues.items()},
            outcomes_by_date=np.zeros((len(scenario.outcomes), T + 1), np.int64),
        )

    @classmethod
    def from_table(cls, scenario: Scenario, table: pd.DataFrame, flags: pd.DataFrame | None = None) -> "Counts":
        """Count a table of :func:`basesim.model.play` rows (``flags``: its named outcomes)."""
        if flags is None:
            flags = named_outcomes(scenario, table)
        R, T = len(RESULTS), scenario.protocol.rounds
        code = result_codes(table)
        rounds = table["round"].to_numpy(dtype=np.int64)
        ended = code != TALKING
        levels, ended_levels = {}, {}
        for name, issue in scenario.issues.items():
            L = len(issue.labels)
            level = table[f"{name}_level"].to_numpy(dtype=np.int64)
            levels[name] = np.bincount(code * L + level, minlength=R * L).reshape(R, L)
            cell = (code[ended] * T + rounds[ended]) * L + level[ended]
            ended_levels[name] = np.bincount(cell, minlength=R * T * L).reshape(R, T, L)
        outcome_columns = [f"outcome.{name}" for name in scenario.outcomes]
        return cls(
            runs=len(table),
            result=np.bincount(code, minlength=R),
            rounds=np.bincount(code[ended] * T + rounds[ended], minlength=R * T).reshape(R, T),
            levels=levels,
            outcomes=flags[outcome_columns].to_numpy(dtype=bool).sum(axis=0).astype(np.int64)
            if outcome_columns else np.zeros(0, np.int64),
            ended_levels=ended_levels,
            outcomes_by_date=outcomes_by_date(scenario, table),
        )

    def as_of(self, scenario: Scenario, index: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """State counts (R,) and level counts per issue (R, L_i) as of date ``index`` of ``as_of_dates``."""
        upto = min(index, self.rounds.shape[1] - 1) + 1  # rounds 0..index have ended by then
        result = self.rounds[:, :upto].sum(axis=1)
        result[TALKING] = self.runs - result.sum()
        status_quo = status_quo_levels(scenario)
        levels = {}
        for i, (name, counts) in enumerate(self.ended_levels.items()):
            by_level = counts[:, :upto].sum(axis=1)
            by_level[TALKING, status_quo[i]] += result[TALKING]
            levels[name] = by_level
        return result, levels

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(
            runs=self.runs + other.runs,
            result=self.result + other.result,
            rounds=self.rounds + other.rounds,
            levels={k: v + other.levels[k] for k, v in self.levels.items()},
            outcomes=self.outcomes + other.outcomes,
            ended_levels={k: v + other.ended_levels[k] for k, v in self.ended_levels.items()},
            outcomes_by_date=self.outcomes_by_date + other.outcomes_by_date,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "runs": int(self.runs),
            "result": self.result.tolist(),
            "rounds": self.rounds.tolist(),
            "levels": {k: v.tolist() for k, v in self.levels.items()},
            "outcomes": self.outcomes.tolist(),
            "ended_levels": {k: v.tolist() for k, v in self.ended_levels.items()},
            "outcomes_by_date": self.outcomes_by_date.tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], scenario: Scenario) -> "Counts":
        empty = cls.empty(scenario)

        def array(value: Any, like: np.ndarray) -> np.ndarray:
            return np.asarray(value, dtype=np.int64).reshape(like.shape)

        return cls(
            runs=int(data["runs"]),
            result=array(data["result"], empty.result),
            rounds=array(data["rounds"], empty.rounds),
            levels={k: array(data["levels"][k], v) for k, v in empty.levels.items()},
            outcomes=array(data["outcomes"], empty.outcomes),
            ended_levels={k: array(data["ended_levels"][k], v) for k, v in empty.ended_levels.items()},
            outcomes_by_date=array(data["outcomes_by_date"], empty.outcomes_by_date),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Counts):
            return NotImplemented
        return self.to_dict() == other.to_dict()


def probability_counts(counts: Counts) -> np.ndarray:
    """Every reported probability's count, in summary-table order: results, levels, outcomes."""
    per_level = [v.sum(axis=0) for v in counts.levels.values()]
    return np.concatenate([counts.result, *per_level, counts.outcomes])


def max_half_width(counts: Counts, *, confidence: float = CONFIDENCE) -> float:
    """The widest Wilson interval's half-width ``(high - low) / 2`` over every reported probability."""
    low, high = wilson_interval(probability_counts(counts), counts.runs, confidence=confidence)
    return float(np.max((high - low) / 2))


# --- the summary -----------------------------------------------------------------------------


@dataclass
class Summary:
    """The summary statistics of a run, computed from its :class:`Counts`.

    ``table`` is tidy, one row per statistic, columns ``kind`` (``result``,
    ``level``, ``outcome``, ``quantile``), ``name``, ``value``, ``estimate``,
    ``low``, ``high``, ``count``, ``runs`` and a human ``label``:

    - ``result``: name ``result``, value agreement / breakdown / talking (the
      state as of the summary's date);
    - ``level``: name the issue, value the level label (the level in force
      then: the agreed terms, the breakdown alternative's, or the status quo's);
    - ``outcome``: name the named outcome, value ``true``;
    - ``quantile``: name ``ISSUE.amount`` (all runs), ``ISSUE.amount_if_agreement``
      or ``agreement.round`` (0-based round of the agreement, among
      agreements); value ``p05`` ... ``p95``; ``count`` is the number of runs
      the quantile is taken over.

    Probabilities carry Wilson 95% intervals, quantiles order-statistic 95%
    intervals. ``as_of`` (a date, default the end of the horizon) is the date
    the states, levels and named outcomes (those without their own ``as_of``)
    are taken at; :meth:`at` gives the same summary as of another date.
    """

    scenario: Scenario
    counts: Counts
    as_of: Any = None
    table: pd.DataFrame = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.table = self._build_table()

    @property
    def runs(self) -> int:
        return self.counts.runs

    @classmethod
    def from_table(cls, scenario: Scenario, table: pd.DataFrame) -> "Summary":
        """Summary of a table of :func:`basesim.model.play` rows (outcome columns optional)."""
        outcome_columns = [f"outcome.{name}" for name in scenario.outcomes]
        flags = table[outcome_columns] if all(c in table for c in outcome_columns) else None
        return cls(scenario, Counts.from_table(scenario, table, flags))

    def at(self, as_of: Any) -> "Summary":
        """The same run's summary as of another date."""
        return Summary(self.scenario, self.counts, as_of)

    def _build_table(self) -> pd.DataFrame:
        s, c = self.scenario, self.counts
        if self.as_of is None:
            result, levels, rounds = c.result, c.levels, c.rounds
            outcomes = c.outcomes
        else:
            index = as_of_index(s, self.as_of)
            result, levels = c.as_of(s, index)
            rounds = c.rounds.copy()
            rounds[:, index + 1:] = 0
            own = np.array([o.as_of is not None for o in s.outcomes.values()], bool)
            outcomes = np.where(own, c.outcomes, c.outcomes_by_date[:, index]) if own.size else c.outcomes
        rows: list[tuple] = []
        for r, state in enumerate(RESULTS):
            rows.append(("result", "result", state, int(result[r]), state))
        for name, issue in s.issues.items():
            per_level = levels[name].sum(axis=0)
            for level, label in enumerate(issue.labels):
                rows.append(("level", name, label, int(per_level[level]), f"{s.display(name)}: {label}"))
        for o, (name, outcome) in enumerate(s.outcomes.items()):
            rows.append(("outcome", name, "true", int(outcomes[o]), outcome.label or name))
        probability = pd.DataFrame(rows, columns=["kind", "name", "value", "count", "label"])
        count = probability["count"].to_numpy()
        low, high = wilson_interval(count, c.runs)
        with np.errstate(invalid="ignore", divide="ignore"):
            probability["estimate"] = count / c.runs if c.runs else np.nan
        probability["low"], probability["high"] = low, high
        probability["runs"] = c.runs

        names = [f"p{round(q * 100):02d}" for q in QUANTILES]
        quantile_rows = []

        def add(name: str, label: str, values: np.ndarray, counts: np.ndarray) -> None:
            estimate, low, high = discrete_quantiles(values, counts)
            for j, q in enumerate(names):
                quantile_rows.append(("quantile", name, q, estimate[j], low[j], high[j], int(counts.sum()), c.runs,
                                      f"{label}, {q}"))

        agreement = RESULTS.index("agreement")
        for name, issue in s.issues.items():
            amounts = issue.amounts
            if amounts is None:
                continue
            unit = f" ({issue.unit})" if issue.unit else ""
            add(f"{name}.amount", f"{s.display(name)}{unit}", amounts, levels[name].sum(axis=0))
            add(f"{name}.amount_if_agreement", f"{s.display(name)}{unit} if agreed", amounts,
                levels[name][agreement])
        add("agreement.round", "Round of agreement (0 = first)", np.arange(s.protocol.rounds, dtype=float),
            rounds[agreement])
        quantiles = pd.DataFrame(quantile_rows, columns=["kind", "name", "value", "estimate", "low", "high",
                                                         "count", "runs", "label"])
        table = pd.concat([probability[SUMMARY_COLUMNS], quantiles[SUMMARY_COLUMNS]], ignore_index=True)
        table["count"] = table["count"].astype(np.int64)
        table["runs"] = table["runs"].astype(np.int64)
        for column in ("estimate", "low", "high"):
            table[column] = table[column].astype(float)
        return table

    def __repr__(self) -> str:  # one line; see montecarlo.display
        from basesim.montecarlo.display import summary_repr

        return summary_repr(self)

    def _repr_html_(self) -> str:  # notebooks
        from basesim.montecarlo.display import summary_html

        return summary_html(self)

    def probabilities(self) -> pd.DataFrame:
        """The probability rows (kinds result, level, outcome)."""
        return self.table[self.table["kind"] != "quantile"].reset_index(drop=True)

    def max_half_width(self) -> float:
        """The widest Wilson interval's half-width, ``(high - low) / 2``, over every probability."""
        rows = self.probabilities()
        return float(((rows["high"] - rows["low"]) / 2).max())

    def probability(self, kind: str, name: str, value: str = "true") -> float:
        """One estimate, e.g. ``probability("result", "result", "agreement")``."""
        t = self.table
        match = t[(t["kind"] == kind) & (t["name"] == name) & (t["value"] == value)]
        if match.empty:
            raise KeyError(f"no {kind} row {name}={value} in the summary")
        return float(match["estimate"].iloc[0])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the counts (from which everything is rebuilt) and the table."""
        records = self.table.astype(object).where(self.table.notna(), None).to_dict(orient="records")
        as_of = None if self.as_of is None else str(pd.Timestamp(self.as_of).date())
        return {"runs": self.runs, "confidence": CONFIDENCE, "as_of": as_of, "counts": self.counts.to_dict(),
                "table": records}

    @classmethod
    def from_dict(cls, data: dict[str, Any], scenario: Scenario) -> "Summary":
        return cls(scenario, Counts.from_dict(data["counts"], scenario), data.get("as_of"))
