"""The tidy tables behind every figure and the report: no drawing here.

Each function takes the outcome table of a run (one row per replication, the
columns of ``docs/contracts.md``) and the scenario, and returns a small
DataFrame of estimates: probabilities with Wilson score intervals, level
distributions, the cumulative chance of a deal by date, utility quantiles,
and, for one negotiation, the Pareto frontier and Nash point of the utility
plane. :mod:`basesim.plots` draws them; :mod:`basesim.report` prints them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from basesim.errors import UsageError
from basesim.schema import RESULTS, Scenario, parse_round_length

__all__ = [
    "GIVEN_ALL",
    "GIVEN_AGREEMENT",
    "wilson_interval",
    "result_probabilities",
    "outcome_probabilities",
    "level_probabilities",
    "amount_exceedance",
    "deal_by_date",
    "utility_quantiles",
    "round_dates",
    "pareto_frontier",
    "nash_point",
    "scenario_title",
]

GIVEN_ALL = "all runs"
GIVEN_AGREEMENT = "given a deal"

_ESTIMATE_COLUMNS = ["count", "runs", "estimate", "low", "high"]


def wilson_interval(count: np.ndarray | int, runs: np.ndarray | int, *,
                    confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial proportion ``count / runs``.

    Wilson, E. B. (1927). Probable inference, the law of succession, and
    statistical inference. JASA 22(158), 209-212. doi:10.1080/01621459.1927.10502953.
    Shapes: ``count`` and ``runs`` broadcast together; returns ``(low, high)``
    of that shape. Zero runs gives the uninformative interval ``[0, 1]``.
    """
    count = np.asarray(count, dtype=float)
    runs = np.asarray(runs, dtype=float)
    z = stats.norm.ppf(0.5 + confidence / 2)
    safe = np.where(runs > 0, runs, 1.0)
    p = count / safe
    denominator = 1 + z**2 / safe
    centre = (p + z**2 / (2 * safe)) / denominator
    half = z * np.sqrt(p * (1 - p) / safe + z**2 / (4 * safe**2)) / denominator
    low = np.where(runs > 0, np.clip(centre - half, 0.0, 1.0), 0.0)
    high = np.where(runs > 0, np.clip(centre + half, 0.0, 1.0), 1.0)
    return low, high


def _estimates(count: np.ndarray, runs: np.ndarray) -> dict[str, np.ndarray]:
    count = np.asarray(count, dtype=np.int64)
    runs = np.broadcast_to(np.asarray(runs, dtype=np.int64), count.shape)
    low, high = wilson_interval(count, runs)
    estimate = np.where(runs > 0, count / np.where(runs > 0, runs, 1), np.nan)
    return {"count": count, "runs": runs, "estimate": estimate, "low": low, "high": high}


def _require(table: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise UsageError(
            f"{what}: the outcome table has no column {', '.join(repr(c) for c in missing)}; "
            "expected the columns of a basesim run (see docs/contracts.md)"
        )


def scenario_title(scenario: Scenario, runs: int | None = None) -> str:
    """``'Syria-Russia base talks, February 2025 - 10,000 runs'``."""
    name = scenario.title or scenario.name or "scenario"
    if runs is None:
        return name
    return f"{name} \u2014 {runs:,} run{'s' if runs != 1 else ''}"


def result_probabilities(table: pd.DataFrame) -> pd.DataFrame:
    """Chance of each result category, one row per category in the order of ``RESULTS``.

    Columns: ``result``, ``count``, ``runs``, ``estimate``, ``low``, ``high``.
    """
    _require(table, ["result"], "result probabilities")
    counts = table["result"].astype(str).value_counts()
    count = np.array([int(counts.get(r, 0)) for r in RESULTS])
    return pd.DataFrame({"result": list(RESULTS), **_estimates(count, len(table))})


def outcome_probabilities(table: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Chance of each named outcome of the scenario (``outcome.NAME`` columns).

    Columns: ``outcome`` (name), ``label``, then the estimate columns. Empty
    when the scenario names no outcome.
    """
    names = list(scenario.outcomes)
    _require(table, [f"outcome.{n}" for n in names], "named outcomes")
    count = np.array([int(table[f"outcome.{n}"].astype(bool).sum()) for n in names], dtype=np.int64)
    labels = [scenario.outcomes[n].label or n.replace("_", " ") for n in names]
    return pd.DataFrame({"outcome": names, "label": labels, **_estimates(count, len(table))})


def _check_issue(scenario: Scenario, issue: str) -> None:
    if issue not in scenario.issues:
        raise UsageError(
            f"issue {issue!r} is not in scenario {scenario.name!r}; expected one of {', '.join(scenario.issue_names)}"
        )


def level_probabilities(table: pd.DataFrame, scenario: Scenario, issue: str) -> pd.DataFrame:
    """Distribution of one issue over its levels, over all runs and given a deal.

    One row per (given, level) in level order; ``given`` is ``GIVEN_ALL`` or
    ``GIVEN_AGREEMENT``. Columns: ``given``, ``level`` (label), ``level_index``,
    then the estimate columns (``runs`` is the number of runs conditioned on).
    """
    _check_issue(scenario, issue)
    _require(table, [f"{issue}_level", "result"], f"issue {issue!r}")
    labels = scenario.issues[issue].labels
    level = table[f"{issue}_level"].to_numpy(dtype=np.int64)
    deal = table["result"].astype(str).to_numpy() == "agreement"
    rows = []
    for given, mask in ((GIVEN_ALL, np.ones(len(table), bool)), (GIVEN_AGREEMENT, deal)):
        count = np.bincount(level[mask], minlength=len(labels))[: len(labels)]
        part = pd.DataFrame({"given": given, "level": labels, "level_index": np.arange(len(labels)),
                             **_estimates(count, int(mask.sum()))})
        rows.append(part)
    return pd.concat(rows, ignore_index=True)


def amount_exceedance(table: pd.DataFrame, scenario: Scenario, issue: str) -> pd.DataFrame:
    """Chance that an issue's amount is at least each of its level amounts.

    For issues with amounts (money). One row per (given, amount): ``given``
    (``GIVEN_ALL`` / ``GIVEN_AGREEMENT``), ``amount``, then the estimate
    columns of ``P(amount >= value)``.
    """
    _check_issue(scenario, issue)
    amounts = scenario.issues[issue].amounts
    if amounts is None:
        raise UsageError(f"issue {issue!r} has no amounts; give its levels an 'amount' or declare it by a 'range'")
    _require(table, [f"{issue}_level", "result"], f"issue {issue!r}")
    level = table[f"{issue}_level"].to_numpy(dtype=np.int64)
    deal = table["result"].astype(str).to_numpy() == "agreement"
    rows = []
    for given, mask in ((GIVEN_ALL, np.ones(len(table), bool)), (GIVEN_AGREEMENT, deal)):
        per_level = np.bincount(level[mask], minlength=len(amounts))[: len(amounts)]
        at_least = per_level[::-1].cumsum()[::-1]
        rows.append(pd.DataFrame({"given": given, "amount": amounts, **_estimates(at_least, int(mask.sum()))}))
    return pd.concat(rows, ignore_index=True)


def round_dates(scenario: Scenario) -> pd.DatetimeIndex:
    """Calendar date of each round: ``start_date + round * round_length``."""
    number, unit = parse_round_length(scenario.protocol.round_length)
    start = pd.Timestamp(scenario.protocol.start_date)
    step = {
        "day": pd.DateOffset(days=number),
        "week": pd.DateOffset(weeks=number),
        "month": pd.DateOffset(months=number),
        "quarter": pd.DateOffset(months=3 * number),
        "year": pd.DateOffset(years=number),
    }[unit]
    return pd.DatetimeIndex([start + step * r for r in range(scenario.protocol.rounds)])


def deal_by_date(table: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Cumulative chance that the talks have ended in each way by each round.

    One row per (result, round): ``result`` (agreement, breakdown),
    ``round``, ``date`` (the round's calendar date), then the estimate
    columns of ``P(ended in this result at or before this round)``. An
    impasse only happens at the deadline, so it is not a curve.
    """
    _require(table, ["result", "round"], "deal timing")
    dates = round_dates(scenario)
    rounds = np.arange(len(dates))
    result = table["result"].astype(str).to_numpy()
    ended = table["round"].to_numpy(dtype=np.int64)
    rows = []
    for name in ("agreement", "breakdown"):
        per_round = np.bincount(ended[result == name], minlength=len(rounds))[: len(rounds)]
        rows.append(pd.DataFrame({"result": name, "round": rounds, "date": dates,
                                  **_estimates(per_round.cumsum(), len(table))}))
    return pd.concat(rows, ignore_index=True)


def utility_quantiles(table: pd.DataFrame, scenario: Scenario, *,
                      quantiles: Sequence[float] = (0.05, 0.25, 0.5, 0.75, 0.95)) -> pd.DataFrame:
    """Quantiles and mean of every actor's utility, over all runs and given a deal.

    One row per (actor, given): ``actor``, ``label``, ``role``, ``given``,
    ``mean``, then one column ``q05``, ``q25``, ... per quantile.
    """
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


def describe_date(value: dt.date | pd.Timestamp) -> str:
    """``'Mar 2025'`` for month-or-longer rounds; callers pick the format."""
    return pd.Timestamp(value).strftime("%b %Y")


def comparison_table(tables: Mapping[str, pd.DataFrame], scenarios: Mapping[str, Scenario], *,
                     kind: str = "result", issue: str | None = None) -> pd.DataFrame:
    """Estimates of several runs stacked, with a ``variant`` column first.

    ``kind`` is ``result`` (result categories), ``outcome`` (named outcomes;
    the union over the scenarios, missing ones left out) or ``level`` (one
    issue's levels given a deal; ``issue`` required). The other columns are
    those of :func:`result_probabilities`, :func:`outcome_probabilities` or
    :func:`level_probabilities`.
    """
    parts = []
    for variant, table in tables.items():
        scenario = scenarios[variant]
        if kind == "result":
            part = result_probabilities(table)
        elif kind == "outcome":
            part = outcome_probabilities(table, scenario)
        elif kind == "level":
            if issue is None:
                raise UsageError("comparison of levels: give the issue")
            part = level_probabilities(table, scenario, issue)
            part = part[part["given"] == GIVEN_AGREEMENT].drop(columns="given")
        else:
            raise UsageError(f"comparison kind {kind!r} is unknown; expected one of result, outcome, level")
        parts.append(part.assign(variant=variant))
    if not parts:
        raise UsageError("a comparison needs at least one run")
    out = pd.concat(parts, ignore_index=True)
    return out[["variant"] + [c for c in out.columns if c != "variant"]]
