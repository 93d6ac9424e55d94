"""Scores, reliability, reference forecasters and pools: known answers and invariants."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from basesim.analysis.ensembles import (
    bma_weights,
    equal_weights,
    leave_one_out_pool,
    linear_pool,
    pool_forecasts,
)
from basesim.analysis.scoring import (
    BASE_RATE,
    CHANCE,
    bootstrap_interval,
    brier_score,
    log_score,
    reference_forecasts,
    reliability_table,
    score_table,
)
from basesim.errors import UsageError


def _long(probabilities: dict[str, list[float]], outcomes: list[float]) -> pd.DataFrame:
    return pd.DataFrame([{"question": f"q{j}", "forecaster": name, "probability": p[j], "outcome": outcomes[j]}
                         for name, p in probabilities.items() for j in range(len(outcomes))])


def test_brier_and_log_scores_have_their_known_values():
    assert brier_score([0.5, 0.5], [1, 0]).tolist() == [0.25, 0.25]
    assert brier_score([0.9, 0.2], [True, False]) == pytest.approx([0.01, 0.04])
    assert log_score([0.5], [1])[0] == pytest.approx(math.log(2))
    assert log_score([0.8, 0.8], [1, 0]) == pytest.approx([-math.log(0.8), -math.log(0.2)])
    assert log_score([0.0], [1])[0] == pytest.approx(-math.log(1e-3))  # clipped, not infinite
    assert log_score([1.0], [1], floor=1e-6)[0] == pytest.approx(-math.log1p(-1e-6))


def test_bootstrap_intervals_are_over_questions():
    rng = np.random.default_rng(1)
    values = np.array([0.1, 0.3, 0.2, 0.4, 0.25, 0.05, 0.5, 0.15])
    low, high = bootstrap_interval(values, rng=rng)
    assert low < values.mean() < high
    assert 0.05 <= low and high <= 0.5
    assert bootstrap_interval([0.2, 0.2, 0.2], rng=rng) == (0.2, 0.2)
    assert all(math.isnan(x) for x in bootstrap_interval([0.3], rng=rng))
    # paired: the interval of the mean difference, which is constant here
    assert bootstrap_interval(values + 0.1, paired=values, rng=rng) == pytest.approx((0.1, 0.1))


def test_score_table_scores_each_forecaster_and_compares_it_with_the_reference():
    outcomes = [1, 0, 1, 1, 0, 0, 1, 0]
    forecasts = _long({"sharp": [0.9, 0.1, 0.8, 0.7, 0.2, 0.3, 0.9, 0.1], CHANCE: [0.5] * 8}, outcomes)
    table = score_table(forecasts, rng=np.random.default_rng(0), n_resamples=2000).set_index("forecaster")
    sharp = table.loc["sharp"]
    expected = np.mean((np.array([0.9, 0.1, 0.8, 0.7, 0.2, 0.3, 0.9, 0.1]) - outcomes) ** 2)
    assert sharp["brier"] == pytest.approx(expected)
    assert sharp["brier_low"] <= sharp["brier"] <= sharp["brier_high"]
    assert sharp["brier_vs_reference"] == pytest.approx(expected - 0.25)
    assert sharp["brier_vs_reference_high"] < 0  # clearly better than chance on these
    assert table.loc[CHANCE, "brier"] == 0.25 and table.loc[CHANCE, "log_score"] == pytest.approx(math.log(2))
    assert math.isnan(table.loc[CHANCE, "brier_vs_reference"])
    assert table["questions"].tolist() == [8, 8]


def test_unresolved_questions_are_left_out_of_scores():
    forecasts = _long({"a": [0.9, 0.5]}, [1, np.nan])
    table = score_table(forecasts, rng=np.random.default_rng(0), n_resamples=100)
    assert table["questions"].tolist() == [1]
    assert table["brier"].iloc[0] == pytest.approx(0.01)
    assert math.isnan(table["brier_low"].iloc[0])  # one question: no interval


def test_reliability_table_bins_forecasts_and_counts_what_happened():
    forecasts = _long({"a": [0.05, 0.15, 0.85, 0.95, 0.9, 1.0]}, [0, 1, 1, 1, 0, 1])
    table = reliability_table(forecasts, bins=5)
    assert table["bin"].tolist() == [0, 4]
    low, high = table.iloc[0], table.iloc[1]
    assert (low["questions"], low["forecast"], low["observed"]) == (2, pytest.approx(0.1), 0.5)
    assert (high["questions"], high["forecast"], high["observed"]) == (4, pytest.approx(0.925), 0.75)
    assert (table["low"] <= table["observed"]).all() and (table["observed"] <= table["high"]).all()


def test_reference_forecasters_chance_base_rate_and_the_users():
    questions = pd.DataFrame({
        "question": ["a", "b", "c", "d"], "outcome": [1.0, 0.0, 1.0, np.nan],
        "base_rate": [None, 0.3, None, None],
        "forecasts": [{"market": 0.7}, {}, {"market": 0.4}, {"market": 0.5}]})
    refs = reference_forecasts(questions).set_index(["question", "forecaster"])["probability"]
    assert refs[("a", CHANCE)] == 0.5
    assert refs[("a", BASE_RATE)] == pytest.approx((1 + 1) / (2 + 2))  # others: b=0, c=1, Laplace
    assert refs[("b", BASE_RATE)] == 0.3  # its own
    assert refs[("c", BASE_RATE)] == pytest.approx((1 + 1) / (2 + 2))
    assert refs[("a", "market")] == 0.7 and ("b", "market") not in refs.index
    assert "d" not in refs.index.get_level_values("question")  # unresolved


def test_linear_pool_and_its_weights():
    wide = pd.DataFrame({"a": [0.2, 0.6, np.nan], "b": [0.4, 0.8, 0.5]}, index=["q1", "q2", "q3"])
    pooled = linear_pool(wide, {"a": 0.25, "b": 0.75})
    assert pooled.tolist() == pytest.approx([0.35, 0.75, 0.5])  # q3: a is missing, b alone
    assert equal_weights(["a", "b", "c"]).tolist() == pytest.approx([1 / 3] * 3)
    with pytest.raises(UsageError, match="no weight for b"):
        linear_pool(wide, {"a": 1.0})
    frame = pool_forecasts(_long({"a": [0.2, 0.6], "b": [0.4, 0.8]}, [1, 0]))
    assert frame["probability"].tolist() == pytest.approx([0.3, 0.7])
    assert frame["spread"].tolist() == pytest.approx([0.2, 0.2])
    assert frame["outcome"].tolist() == [1, 0]


def test_bma_weights_are_proportional_to_the_likelihood_of_what_happened():
    past = _long({"a": [0.8, 0.6], "b": [0.5, 0.5]}, [1, 0])
    w = bma_weights(past)
    likelihood = np.array([0.8 * 0.4, 0.5 * 0.5])
    assert w.tolist() == pytest.approx((likelihood / likelihood.sum()).tolist())
    assert bma_weights(past, tempering=0.0).tolist() == pytest.approx([0.5, 0.5])
    assert bma_weights(_long({"a": [0.5], "b": [0.5]}, [np.nan])).tolist() == [0.5, 0.5]  # nothing resolved


def test_the_leave_one_out_pool_weighs_each_question_by_the_others():
    forecasts = _long({"a": [0.9, 0.9, 0.9], "b": [0.5, 0.5, 0.5]}, [1, 1, 0])
    pooled = leave_one_out_pool(forecasts, "pool").set_index("question")["probability"]
    # q0 is pooled with weights from q1 (a: 0.9, b: 0.5) and q2 (a: 0.1, b: 0.5)
    wa, wb = 0.9 * 0.1, 0.5 * 0.5
    assert pooled["q0"] == pytest.approx((wa * 0.9 + wb * 0.5) / (wa + wb))
    wa, wb = 0.9 * 0.9, 0.5 * 0.5  # q2, from q0 and q1
    assert pooled["q2"] == pytest.approx((wa * 0.9 + wb * 0.5) / (wa + wb))
