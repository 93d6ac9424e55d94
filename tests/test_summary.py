"""Summary statistics: Wilson intervals, discrete quantiles, named outcomes, additive counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from basesim import model
from basesim.montecarlo.runner import batch_draws
from basesim.montecarlo.summary import Counts, Summary, discrete_quantiles, max_half_width, named_outcomes, wilson_interval
from runner_scenarios import DEADLOCK, TALKS, load


# --- Wilson intervals ---------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 7, 50, 333, 10_000])
def test_wilson_matches_scipy_binomtest(n):
    x = np.unique(np.linspace(0, n, min(n + 1, 40)).round().astype(int))
    low, high = wilson_interval(x, n)
    for xi, lo, hi in zip(x, low, high):
        ci = stats.binomtest(int(xi), n).proportion_ci(method="wilson")
        assert lo == pytest.approx(ci.low, abs=1e-12)
        assert hi == pytest.approx(ci.high, abs=1e-12)


@given(n=st.integers(1, 10**7), fraction=st.floats(0, 1), confidence=st.sampled_from([0.8, 0.9, 0.95, 0.99]))
@settings(max_examples=200, deadline=None)
def test_wilson_matches_scipy_everywhere(n, fraction, confidence):
    x = int(round(fraction * n))
    low, high = wilson_interval(x, n, confidence=confidence)
    ci = stats.binomtest(x, n).proportion_ci(confidence_level=confidence, method="wilson")
    assert float(low) == pytest.approx(ci.low, abs=1e-12)
    assert float(high) == pytest.approx(ci.high, abs=1e-12)
    assert 0.0 <= low <= x / n <= high <= 1.0


def test_wilson_of_zero_runs_is_nan():
    low, high = wilson_interval(0, 0)
    assert np.isnan(low) and np.isnan(high)


@pytest.mark.parametrize("n", [20, 100, 1000])
def test_wilson_exact_coverage_is_near_95_percent(n):
    """Exact coverage, summing binomial probabilities over the x whose interval holds p."""
    x = np.arange(n + 1)
    low, high = wilson_interval(x, n)
    coverage = np.array([stats.binom.pmf(x, n, p)[(low <= p) & (p <= high)].sum()
                         for p in np.linspace(0.01, 0.99, 99)])
    # Brown, Cai & DasGupta (2001), fig. 4: Wilson's mean coverage is close to nominal, its dips shallow
    assert coverage.mean() == pytest.approx(0.95, abs=0.006)
    assert coverage.min() > 0.92


def test_wilson_coverage_over_simulated_binomials():
    """Many binomial draws at a fixed seed: the intervals hold the true p about 95% of the time."""
    rng = np.random.default_rng(2025)
    p, n, trials = 0.3, 200, 4000
    x = rng.binomial(n, p, size=trials)
    low, high = wilson_interval(x, n)
    covered = np.mean((low <= p) & (p <= high))
    assert covered == pytest.approx(0.95, abs=0.012)


# --- quantiles of histograms --------------------------------------------------------------


@given(counts=st.lists(st.integers(0, 30), min_size=1, max_size=12).filter(lambda c: sum(c) > 0))
@settings(max_examples=200, deadline=None)
def test_discrete_quantiles_equal_numpy_inverted_cdf(counts):
    values = np.cumsum(np.arange(1, len(counts) + 1)) / 3.0  # increasing, unevenly spaced
    sample = np.repeat(values, counts)
    q = np.array([0.05, 0.25, 0.5, 0.75, 0.95, 0.0, 1.0, 0.1, 0.3])
    estimate, low, high = discrete_quantiles(values, np.array(counts), q)
    np.testing.assert_array_equal(estimate, np.quantile(sample, q, method="inverted_cdf"))
    assert np.all(low <= estimate) and np.all(estimate <= high)


def test_discrete_quantile_interval_is_the_order_statistic_interval():
    values = np.arange(1000, dtype=float)  # every value once: value = rank - 1
    estimate, low, high = discrete_quantiles(values, np.ones(1000, int), [0.5])
    assert estimate[0] == 499  # rank 500
    lo_rank, hi_rank = stats.binom.ppf(0.025, 1000, 0.5), stats.binom.ppf(0.975, 1000, 0.5) + 1
    assert (low[0], high[0]) == (lo_rank - 1, hi_rank - 1)
    # the interval covers the median with at least 95% probability (David & Nagaraja 2003, 7.1)
    assert stats.binom.cdf(hi_rank - 1, 1000, 0.5) - stats.binom.cdf(lo_rank - 1, 1000, 0.5) >= 0.95


def test_discrete_quantiles_of_an_empty_histogram_are_nan():
    estimate, low, high = discrete_quantiles([1.0, 2.0], [0, 0])
    assert np.isnan(estimate).all() and np.isnan(low).all() and np.isnan(high).all()


# --- named outcomes and counts -----------------------------------------------------------


def _played(scenario, n=3000, index=0):
    draws = batch_draws(scenario, seed=5, index=index, size=n, batch_size=n)
    return model.play(draws)


def test_named_outcomes_follow_their_conditions():
    scenario = load(TALKS)
    table = pd.DataFrame({
        "result": pd.Categorical(["agreement", "agreement", "breakdown", "talking"],
                                 categories=["agreement", "breakdown", "talking"]),
        "round": [0, 5, 1, -1],
        "date": pd.to_datetime(["2025-02-01", "2025-07-01", "2025-03-01", None]),
        "money_level": [5, 2, 0, 0],
        "base_level": [2, 1, 0, 0],
    })
    flags = named_outcomes(scenario, table)
    assert list(flags.columns) == ["outcome.keeps_base", "outcome.full_lease", "outcome.little_money",
                                   "outcome.deal_early", "outcome.ended_by_may"]
    assert flags["outcome.keeps_base"].tolist() == [True, True, False, False]     # at_least logistics only
    assert flags["outcome.full_lease"].tolist() == [True, False, False, False]    # equals full lease
    assert flags["outcome.little_money"].tolist() == [False, True, True, True]    # at_most 4 $bn (level 2)
    assert flags["outcome.deal_early"].tolist() == [True, False, False, False]    # agreement by 2025-06-30
    assert flags["outcome.ended_by_may"].tolist() == [True, False, True, False]   # ended by 2025-05-31
    # as of 2025-04-15 the second world is still talking: the status quo's levels are in force
    early = named_outcomes(scenario, table, as_of="2025-04-15")
    assert early["outcome.keeps_base"].tolist() == [True, False, False, False]
    assert early["outcome.little_money"].tolist() == [False, True, True, True]


def test_summary_as_of_a_date_equals_the_table_as_of_that_date():
    """Counts by date give the same states, levels and outcomes as the table evaluated as of each date."""
    from basesim.montecarlo.as_of import as_of_dates, state_as_of

    scenario = load(TALKS)
    table = _played(scenario, 1500)
    summary = Summary.from_table(scenario, table)
    for date in list(as_of_dates(scenario)) + [pd.Timestamp("2025-04-20")]:
        at = summary.at(date)
        state = state_as_of(table, scenario, date)
        for result in ("agreement", "breakdown", "talking"):
            assert at.probability("result", "result", result) == pytest.approx((state["state"] == result).mean())
        assert at.probability("level", "base", "full lease") == pytest.approx((state["base"] == "full lease").mean())
        flags = named_outcomes(scenario, table, as_of=date)
        for name, outcome in scenario.outcomes.items():
            if outcome.as_of is None:
                assert at.probability("outcome", name) == pytest.approx(flags[f"outcome.{name}"].mean())
    assert summary.at(None).table.equals(summary.table)

def test_outcomes_by_date_equal_one_evaluation_per_date():
    """The cumulative count by date is the count of :func:`named_outcomes` as of every date (the slow oracle)."""
    from basesim.montecarlo.as_of import as_of_dates
    from basesim.montecarlo.summary import outcomes_by_date

    scenario = load(TALKS)
    table = _played(scenario, 2000)
    dates = list(as_of_dates(scenario))
    assert len(dates) == scenario.protocol.rounds + 1
    slow = np.array([[named_outcomes(scenario, table, as_of=date)[f"outcome.{name}"].sum()
                      for date in dates] for name in scenario.outcomes])
    np.testing.assert_array_equal(outcomes_by_date(scenario, table), slow)
    assert slow.min() < slow.max()  # the outcomes do change over time here


def test_counts_add_up_and_match_the_table():
    scenario = load(TALKS)
    first, second = _played(scenario, 1500, 0), _played(scenario, 1500, 1)
    both = pd.concat([first, second], ignore_index=True)
    pooled = Counts.from_table(scenario, first) + Counts.from_table(scenario, second)
    assert pooled == Counts.from_table(scenario, both)
    talking = int((both["result"] == "talking").sum())
    assert pooled.runs == 3000 == pooled.result.sum() == pooled.rounds.sum() + talking
    for issue, counts in pooled.levels.items():
        assert counts.sum() == 3000
        np.testing.assert_array_equal(counts.sum(axis=0), np.bincount(both[f"{issue}_level"], minlength=counts.shape[1]))
    flags = named_outcomes(scenario, both)
    np.testing.assert_array_equal(pooled.outcomes, flags.sum().to_numpy())


def test_summary_table_estimates_match_the_table():
    scenario = load(TALKS)
    table = _played(scenario)
    summary = Summary.from_table(scenario, table)
    t = summary.table
    assert list(t.columns) == ["kind", "name", "value", "estimate", "low", "high", "count", "runs", "label"]
    assert set(t["kind"]) == {"result", "level", "outcome", "quantile"}
    for result in ("agreement", "breakdown", "talking"):
        assert summary.probability("result", "result", result) == pytest.approx((table["result"] == result).mean())
    assert summary.probability("level", "base", "full lease") == pytest.approx((table["base"] == "full lease").mean())
    flags = named_outcomes(scenario, table)
    for name in scenario.outcomes:
        assert summary.probability("outcome", name) == pytest.approx(flags[f"outcome.{name}"].mean())
    # probabilities of a partition sum to one
    for kind, name in [("result", "result"), ("level", "money"), ("level", "base")]:
        rows = t[(t["kind"] == kind) & (t["name"] == name)]
        assert rows["estimate"].sum() == pytest.approx(1.0)
    # quantiles equal numpy's on the full table
    q = [0.05, 0.25, 0.5, 0.75, 0.95]
    rows = t[(t["kind"] == "quantile") & (t["name"] == "money.amount")]
    np.testing.assert_array_equal(rows["estimate"], np.quantile(table["money_amount"], q, method="inverted_cdf"))
    agreed = table[table["result"] == "agreement"]
    rows = t[(t["kind"] == "quantile") & (t["name"] == "agreement.round")]
    np.testing.assert_array_equal(rows["estimate"], np.quantile(agreed["round"], q, method="inverted_cdf"))
    assert (rows["count"] == len(agreed)).all()
    rows = t[(t["kind"] == "quantile") & (t["name"] == "money.amount_if_agreement")]
    np.testing.assert_array_equal(rows["estimate"], np.quantile(agreed["money_amount"], q, method="inverted_cdf"))


def test_max_half_width_is_the_widest_probability_interval():
    scenario = load(TALKS)
    summary = Summary.from_table(scenario, _played(scenario, 800))
    rows = summary.probabilities()
    assert max_half_width(summary.counts) == pytest.approx(((rows["high"] - rows["low"]) / 2).max())
    assert summary.max_half_width() == pytest.approx(max_half_width(summary.counts))


def test_summary_round_trips_through_plain_data():
    import json

    scenario = load(DEADLOCK)
    summary = Summary.from_table(scenario, _played(scenario, 500))
    data = json.loads(json.dumps(summary.to_dict()))
    again = Summary.from_dict(data, scenario)
    assert again.counts == summary.counts
    pd.testing.assert_frame_equal(again.table, summary.table)
    # a deadlock never agrees: the agreement quantiles are empty, recorded as null
    assert all(row["estimate"] is None for row in data["table"] if row["name"] == "agreement.round")


def test_counts_reject_an_unknown_result():
    scenario = load(DEADLOCK)
    table = _played(scenario, 10)
    table["result"] = table["result"].astype(str).replace("talking", "stalemate")
    with pytest.raises(ValueError, match="stalemate"):
        Counts.from_table(scenario, table)
