"""The tidy tables behind every figure and the report: no drawing here.

Every figure's estimates come from the additive counts of a run
(:class:`basesim.montecarlo.summary.Counts`: replications by result, by round, by final
level, and how often each named outcome held), so a summary-only run draws
the same pictures as a full one; only the utility distributions need the
per-run table. The functions accept any of

- a :class:`~basesim.montecarlo.results.RunResult` (its scenario is used),
- a :class:`~basesim.montecarlo.summary.Summary` (likewise),
- an outcome table (the columns of ``docs/contracts.md``) with ``scenario=``,
- a :class:`~basesim.montecarlo.summary.Counts` with ``scenario=``,

and return small DataFrames: probabilities with Wilson score intervals,
level distributions, the cumulative chance of a deal by date, utility
quantiles, and, for one negotiation, the Pareto frontier and Nash point of
the utility plane. :mod:`basesim.views.plots` draws them; :mod:`basesim.views.report`
prints them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from basesim.errors import UsageError
from basesim.montecarlo.as_of import as_of_dates
from basesim.montecarlo.summary import Counts, Summary, wilson_interval
from basesim.scenario.schema import RESULTS, Scenario

__all__ = [
    "GIVEN_ALL",
    "GIVEN_AGREEMENT",
    "Source",
    "source",
    "wilson_interval",
    "result_probabilities",
    "outcome_probabilities",
    "level_probabilities",
    "amount_exceedance",
    "deal_by_date",
    "states_over_time",
    "utility_quantiles",
    "round_dates",
    "pareto_frontier",
    "nash_point",
    "pick_principals",
    "comparison_table",
    "scenario_title",
    "Negotiation",
    "typical_replicate",
    "one_negotiation",
]

GIVEN_ALL = "all runs"
GIVEN_AGREEMENT = "given a deal"
AGREEMENT = RESULTS.index("agreement")

#: What a figure can be drawn from (see the module docstring).
Results = Any


@dataclass(frozen=True)
class Source:
    """A run's data, resolved: the scenario, its counts, and its table when there is one."""

    scenario: Scenario
    counts: Counts
    table: pd.DataFrame | None
    #: the protocol that was played (a RunResult's provenance), else the scenario's
    protocol: str | None = None

    @property
    def played(self) -> str:
        return self.protocol or self.scenario.protocol.name

    @property
    def one_shot(self) -> bool:
        """Whether the protocol is a benchmark without a timing (Nash): timing figures say so instead of a curve."""
        return self.played == "nash"

    @property
    def runs(self) -> int:
        return int(self.counts.runs)

    def require_table(self, what: str) -> pd.DataFrame:
        if self.table is None:
            raise UsageError(f"{what} need the per-run table, and this run kept only its summary "
                             "(run without --summary-only to draw them)")
        return self.table


def source(data: Results, scenario: Scenario | None = None) -> Source:
    """Resolve a RunResult, Summary, outcome table or Counts (with ``scenario``) into a :class:`Source`."""
    if isinstance(data, Source):
        return data
    if hasattr(data, "summary") and hasattr(data, "scenario") and hasattr(data, "table"):  # a RunResult
        provenance = getattr(data, "provenance", None) or {}
        return Source(data.scenario, data.summary.counts, data.table, provenance.get("protocol"))
    if isinstance(data, Summary):
        return Source(data.scenario, data.counts, None)
    if scenario is None:
        raise UsageError(f"give scenario= with a {type(data).__name__} (a RunResult or Summary carries its own)")
    if isinstance(data, Counts):
        return Source(scenario, data, None)
    if isinstance(data, pd.DataFrame):
        _require(data, ["result", "round"] + [f"{i}_level" for i in scenario.issue_names], "the outcome table")
        columns = [f"outcome.{name}" for name in scenario.outcomes]
        flags = data[columns] if all(c in data for c in columns) else None
        if flags is None and scenario.outcomes:
            _require(data, ["date"], "the outcome table (to evaluate the named outcomes)")
        return Source(scenario, Counts.from_table(scenario, data, flags), data)
    raise UsageError(f"cannot draw from a {type(data).__name__}; expected a RunResult, a Summary, "
                     "an outcome table (DataFrame) or Counts")


def _estimates(count: np.ndarray, runs: np.ndarray | int) -> dict[str, np.ndarray]:
    count = np.asarray(count, dtype=np.int64)
    runs = np.broadcast_to(np.asarray(runs, dtype=np.int64), count.shape)
    low, high = wilson_interval(count, runs)
    with np.errstate(invalid="ignore", divide="ignore"):
        estimate = np.where(runs > 0, count / np.where(runs > 0, runs, 1), np.nan)
    return {"count": count, "runs": runs, "estimate": estimate, "low": low, "high": high}


def _require(table: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise UsageError(
            f"{what}: no column {', '.join(repr(c) for c in missing)}; "
            "expected the columns of a basesim run (see docs/contracts.md)"
        )


def scenario_title(scenario: Scenario, runs: int | None = None) -> str:
    """``'Syria-Russia base talks, February 2025 - 10,000 runs'``."""
    name = scenario.title or scenario.name or "scenario"
    if runs is None:
        return name
    return f"{name} \u2014 {runs:,} run{'s' if runs != 1 else ''}"


def result_probabilities(data: Results, *, scenario: Scenario | None = None) -> pd.DataFrame:
    """Chance of each result category, one row per category in the order of ``RESULTS``.

    Columns: ``result``, ``count``, ``runs``, ``estimate``, ``low``, ``high``.
    """
    src = source(data, scenario)
    return pd.DataFrame({"result": list(RESULTS), **_estimates(src.counts.result, src.runs)})


def outcome_probabilities(data: Results, *, scenario: Scenario | None = None) -> pd.DataFrame:
    """Chance of each named outcome of the scenario.

    Columns: ``outcome`` (name), ``label``, then the estimate columns. Empty
    when the scenario names no outcome.
    """
    src = source(data, scenario)
    names = list(src.scenario.outcomes)
    labels = [src.scenario.outcomes[n].label or n.replace("_", " ") for n in names]
    return pd.DataFrame({"outcome": names, "label": labels, **_estimates(src.counts.outcomes, src.runs)})


def _check_issue(scenario: Scenario, issue: str) -> None:
    if issue not in scenario.issues:
        raise UsageError(
            f"issue {issue!r} is not in scenario {scenario.name!r}; expected one of {', '.join(scenario.issue_names)}"
        )


def level_probabilities(data: Results, *, issue: str, scenario: Scenario | None = None) -> pd.DataFrame:
    """Distribution of one issue over its levels, over all runs and given a deal.

    One row per (given, level) in level order; ``given`` is ``GIVEN_ALL`` or
    ``GIVEN_AGREEMENT``. Columns: ``given``, ``level`` (label), ``level_index``,
    then the estimate columns (``runs`` is the number of runs conditioned on).
    """
    src = source(data, scenario)
    _check_issue(src.scenario, issue)
    labels = src.scenario.issues[issue].labels
    by_result = src.counts.levels[issue]
    parts = []
    for given, count in ((GIVEN_ALL, by_result.sum(axis=0)), (GIVEN_AGREEMENT, by_result[AGREEMENT])):
        parts.append(pd.DataFrame({"given": given, "level": labels, "level_index": np.arange(len(labels)),
                                   **_estimates(count, int(count.sum()))}))
    return pd.concat(parts, ignore_index=True)


def amount_exceedance(data: Results, *, issue: str, scenario: Scenario | None = None) -> pd.DataFrame:
    """Chance that an issue's amount is at least each of its level amounts.

    For issues with amounts (money). One row per (given, amount): ``given``
    (``GIVEN_ALL`` / ``GIVEN_AGREEMENT``), ``amount``, then the estimate
    columns of ``P(amount >= value)``.
    """
    src = source(data, scenario)
    _check_issue(src.scenario, issue)
    amounts = src.scenario.issues[issue].amounts
    if amounts is None:
        raise UsageError(f"issue {issue!r} has no amounts; give its levels an 'amount' or declare it by a 'range'")
    by_result = src.counts.levels[issue]
    parts = []
    for given, count in ((GIVEN_ALL, by_result.sum(axis=0)), (GIVEN_AGREEMENT, by_result[AGREEMENT])):
        at_least = count[::-1].cumsum()[::-1]
        parts.append(pd.DataFrame({"given": given, "amount": amounts, **_estimates(at_least, int(count.sum()))}))
    return pd.concat(parts, ignore_index=True)


def round_dates(scenario: Scenario) -> pd.DatetimeIndex:
    """Calendar date of each round (the model's :func:`basesim.model.round_dates`)."""
    from basesim.model import round_dates as model_round_dates

    return pd.DatetimeIndex(model_round_dates(scenario))


def deal_by_date(data: Results, *, scenario: Scenario | None = None) -> pd.DataFrame:
    """Cumulative chance that the talks have ended in each way by each round.

    One row per (result, round): ``result`` (agreement, breakdown),
    ``round``, ``date`` (the round's calendar date), then the estimate
    columns of ``P(ended in this result at or before this round)``. The rest
    are still talking (see :func:`states_over_time`).
    """
    src = source(data, scenario)
    dates = round_dates(src.scenario)
    rounds = np.arange(len(dates))
    parts = []
    for name in ("agreement", "breakdown"):
        per_round = src.counts.rounds[RESULTS.index(name)]
        parts.append(pd.DataFrame({"result": name, "round": rounds, "date": dates,
                                   **_estimates(per_round.cumsum(), src.runs)}))
    return pd.concat(parts, ignore_index=True)


def states_over_time(data: Results, *, scenario: Scenario | None = None) -> pd.DataFrame:
    """The chance of each state (talking, agreement, breakdown) as of every date of the horizon.

    One row per (state, date): ``state``, ``date`` (the start of every round
    and the end of the horizon, :func:`basesim.montecarlo.as_of.as_of_dates`),
    then the estimate columns of ``P(in this state as of this date)``; the
    three add up to 1 at every date.
    """
    src = source(data, scenario)
    dates = as_of_dates(src.scenario)
    parts = []
    counts = np.array([src.counts.as_of(src.scenario, j)[0] for j in range(len(dates))])  # (dates, R)
    for state in ("talking", "agreement", "breakdown"):
        parts.append(pd.DataFrame({"state": state, "date": dates,
                                   **_estimates(counts[:, RESULTS.index(state)], src.runs)}))
    return pd.concat(parts, ignore_index=True)


def utility_quantiles(data: Results, *, scenario: Scenario | None = None,
                      quantiles: Sequence[float] = (0.05, 0.25, 0.5, 0.75, 0.95)) -> pd.DataFrame:
    """Quantiles and mean of every actor's utility, over all runs and given a deal.

    One row per (actor, given): ``actor``, ``label``, ``role``, ``given``,
    ``runs``, ``mean``, then one column ``q05``, ``q25``, ... per quantile.
    Needs the per-run table.
    """
    src = source(data, scenario)
    table = src.require_table("utility distributions")
    scenario = src.scenario
    _require(table, [f"utility_{a}" for a in scenario.actor_names], "utilities")
    deal = table["result"].astype(str).to_numpy() == "agreement"
    rows = []
    for actor in scenario.actor_names:
        values = table[f"utility_{actor}"].to_numpy(dtype=float)
        for given, mask in ((GIVEN_ALL, np.ones(len(table), bool)), (GIVEN_AGREEMENT, deal)):
            chosen = values[mask]
            row = {"actor": actor, "label": scenario.display(actor), "role": scenario.actors[actor].role,
                   "given": given, "runs": int(mask.sum()),
                   "mean": float(chosen.mean()) if chosen.size else np.nan}
            for q in quantiles:
                row[f"q{round(q * 100):02d}"] = float(np.quantile(chosen, q)) if chosen.size else np.nan
            rows.append(row)
    return pd.DataFrame(rows)


# --- the utility plane of one negotiation -----------------------------------------------


def pareto_frontier(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Indices of the Pareto-optimal points of a 2-D utility plane, by ``first`` descending.

    A point is on the frontier when no other point is at least as good for
    both and better for one. Shapes: ``first``, ``second`` (n,); returns
    (k,) int indices. O(n log n): sort by ``first`` descending (ties by
    ``second`` descending) and keep each point that beats every ``second``
    before it.
    """
    first = np.asarray(first, dtype=float)
    second = np.asarray(second, dtype=float)
    order = np.lexsort((-second, -first))
    keep = []
    best = -np.inf
    for index in order:
        if second[index] > best:
            keep.append(index)
            best = second[index]
    return np.asarray(keep, dtype=np.int64)


def nash_point(first: np.ndarray, second: np.ndarray, reservation: tuple[float, float], *,
               power: tuple[float, float] = (1.0, 1.0)) -> int | None:
    """Index of the outcome that maximises the (asymmetric) Nash product.

    ``(u1 - r1)^w1 * (u2 - r2)^w2`` over the outcomes worth at least the
    reservation utility to both (Nash 1950, Econometrica 18(2), 155-162,
    doi:10.2307/1907266; the power-weighted form of Kalai 1977,
    doi:10.1007/BF01766400). Shapes: (n,) each. None when no outcome is
    individually rational.
    """
    first = np.asarray(first, dtype=float)
    second = np.asarray(second, dtype=float)
    gain1 = first - reservation[0]
    gain2 = second - reservation[1]
    rational = (gain1 >= 0) & (gain2 >= 0)
    if not rational.any():
        return None
    with np.errstate(divide="ignore"):
        log_product = power[0] * np.log(np.maximum(gain1, 0)) + power[1] * np.log(np.maximum(gain2, 0))
    log_product = np.where(rational, log_product, -np.inf)
    if np.all(np.isneginf(log_product)):  # only zero-gain outcomes: take the first rational one
        return int(np.flatnonzero(rational)[0])
    return int(np.argmax(log_product))


@dataclass(frozen=True)
class Negotiation:
    """One world's negotiation: its trace (:func:`basesim.model.trace`), its utility plane
    (:func:`basesim.model.world_utilities`), the replicate it came from, and the
    principals' bargaining power in that world (for the Nash point)."""

    replicate: int
    trace: pd.DataFrame
    plane: pd.DataFrame
    power: Mapping[str, float] | None = None


def typical_replicate(data: Results, *, scenario: Scenario | None = None) -> int:
    """A replicate to show as "one negotiation": a typical deal.

    Among the runs that ended in agreement, the first whose round of
    agreement is the median one (lower median); without agreements, the
    first run of the most common result; replicate 0 without a table.
    """
    src = source(data, scenario)
    table = src.table
    if table is None or table.empty:
        return 0
    result = table["result"].astype(str).to_numpy()
    deal = result == "agreement"
    if deal.any():
        rounds = table["round"].to_numpy()[deal]
        median = np.sort(rounds)[(len(rounds) - 1) // 2]
        row = np.flatnonzero(deal & (table["round"].to_numpy() == median))[0]
    else:
        common = pd.Series(result).value_counts().index[0]
        row = np.flatnonzero(result == common)[0]
    return int(table["replicate"].iloc[row]) if "replicate" in table else int(row)


def one_negotiation(data: Results, *, replicate: int | None = None, scenario: Scenario | None = None,
                    seed: int | None = None, protocol: str | None = None) -> Negotiation:
    """Replay one world of a run (default :func:`typical_replicate`) for the negotiation figure.

    The seed and protocol come from a RunResult's provenance unless given.
    Replaying one world is cheap: it does not re-run the Monte Carlo.
    """
    from basesim import model
    from basesim.montecarlo.runner import replicate_draws

    src = source(data, scenario)
    provenance = getattr(data, "provenance", None) or {}
    seed = seed if seed is not None else provenance.get("seed", src.scenario.monte_carlo.seed)
    protocol = protocol or provenance.get("protocol")
    if seed is None:
        raise UsageError("one negotiation: give the run's seed (recorded in its provenance.json)")
    replicate = typical_replicate(src) if replicate is None else int(replicate)
    draws = replicate_draws(src.scenario, replicate, seed=int(seed))
    names = src.scenario.actor_names
    power = {p: float(draws.power[0, names.index(p)]) for p in src.scenario.principals}
    return Negotiation(replicate=replicate, trace=model.trace(draws, world=0, protocol=protocol),
                       plane=model.world_utilities(draws, 0), power=power)


def pick_principals(scenario: Scenario, principals: Sequence[str] | None) -> tuple[str, str]:
    """The two principals of a utility plane: the given pair or the first two."""
    chosen = list(principals) if principals is not None else scenario.principals[:2]
    if len(chosen) != 2:
        raise UsageError(
            f"the utility plane needs two principals; scenario {scenario.name!r} has "
            f"{len(scenario.principals)} ({', '.join(scenario.principals)})"
        )
    for name in chosen:
        if name not in scenario.principals:
            raise UsageError(
                f"{name!r} is not a principal of scenario {scenario.name!r}; expected one of "
                f"{', '.join(scenario.principals)}"
            )
    return chosen[0], chosen[1]


def comparison_table(runs: Mapping[str, Results], *, scenarios: Mapping[str, Scenario] | None = None,
                     kind: str = "result", issue: str | None = None) -> pd.DataFrame:
    """Estimates of several runs stacked, with a ``variant`` column first.

    ``runs`` maps a variant's name to its results (anything :func:`source`
    takes; ``scenarios`` gives the scenario of each table). ``kind`` is
    ``result`` (result categories), ``outcome`` (named outcomes, the union
    over the variants) or ``level`` (one issue's levels over all runs;
    ``issue`` required). The other columns are those of
    :func:`result_probabilities`, :func:`outcome_probabilities` or
    :func:`level_probabilities`.
    """
    if kind not in ("result", "outcome", "level"):
        raise UsageError(f"comparison kind {kind!r} is unknown; expected one of result, outcome, level")
    if kind == "level" and issue is None:
        raise UsageError("a comparison of levels needs the issue")
    if not runs:
        raise UsageError("a comparison needs at least one run")
    parts = []
    for variant, data in runs.items():
        src = source(data, (scenarios or {}).get(variant))
        if kind == "result":
            part = result_probabilities(src)
        elif kind == "outcome":
            part = outcome_probabilities(src)
        else:
            part = level_probabilities(src, issue=issue)
            part = part[part["given"] == GIVEN_ALL].drop(columns="given")
        parts.append(part.assign(variant=variant))
    out = pd.concat(parts, ignore_index=True)
    return out[["variant"] + [c for c in out.columns if c != "variant"]]
