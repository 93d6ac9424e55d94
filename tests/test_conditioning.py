"""Conditioning on observations: which worlds hold a fact, weights, effective sample size, the stopping rule, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from basesim import load_scenario
from basesim.analysis.conditioning import (
    condition,
    effective_sample_size,
    observation_weights,
    weighted_probability,
)
from basesim.analysis.forecasts import forecast_table, question_forecasts
from basesim.analysis.observations import Observation, Question, load_observations, observations_from_data
from basesim.analysis.posterior import input_shift, weighted_quantile
from basesim.analysis.world_states import WorldStates, event_happened
from basesim.errors import ScenarioError, UsageError
from basesim.model import batch_size, round_dates
from basesim.montecarlo.runner import batch_draws, play_batch

ROOT = Path(__file__).resolve().parents[1]
#: The baseline with a horizon fixed here (a year of monthly rounds), whatever the shipped file says.
BASELINE = load_scenario(ROOT / "scenarios" / "baseline.yaml", overrides={
    "protocol.rounds": 12, "protocol.round_length": "1 month", "protocol.start_date": "2025-02-01"})
B = batch_size(BASELINE)


@pytest.fixture(scope="module")
def batch():
    draws = batch_draws(BASELINE, seed=7, index=0, size=B, batch_size=B)
    return draws, play_batch(BASELINE, draws, protocol="alternating_offers", summary_only=False).table


def test_kish_effective_sample_size():
    assert effective_sample_size(np.ones(4)) == 4
    assert effective_sample_size([1.0, 0.0, 0.0]) == 1
    assert effective_sample_size([0.5, 0.5, 1.0, 1.0]) == pytest.approx(9 / 2.5)
    assert effective_sample_size(np.zeros(3)) == 0


def test_weighted_probability_and_quantiles():
    estimate, low, high = weighted_probability(np.array([True, False, True, False]), np.array([3.0, 1.0, 0.0, 0.0]))
    assert estimate == 0.75 and low < 0.75 < high
    assert weighted_quantile([1, 2, 3, 4], [0, 1, 1, 2], [0.25, 0.5, 1.0]).tolist() == [2, 3, 4]


def test_world_states_follow_the_outcome_table(batch):
    _, table = batch
    states = WorldStates(table, BASELINE)
    d = pd.Timestamp("2025-06-15")
    ended = table["result"].astype(str).isin(["agreement", "breakdown"]) & (table["date"] <= d)
    at = states.at(d)
    assert (at["state"].astype(str) == np.where(ended, table["result"].astype(str), "talking")).all()
    sq = BASELINE.status_quo_levels if hasattr(BASELINE, "status_quo_levels") else BASELINE.no_deal
    for issue in BASELINE.issue_names:
        expected = np.where(ended, table[issue].astype(str), str(sq[issue]) if isinstance(sq[issue], str)
                            else BASELINE.issues[issue].labels[BASELINE.issues[issue].level_index(sq[issue])])
        assert (at[issue].astype(str).to_numpy() == expected).all()
    fact = Observation(date="2025-06-15", state="agreement", issue="tartus", at_least="reduced lease")
    holds = states.holds(fact)
    agreed = (at["state"] == "agreement").to_numpy()
    assert (holds == (agreed & (table["tartus_level"].to_numpy() >= 2))).all()


def test_an_event_has_happened_once_its_round_has_started_in_a_world_where_it_fires(batch):
    draws, table = batch
    e = list(BASELINE.events).index("sanctions_relief")
    dates = round_dates(BASELINE)
    for d in ["2025-02-01", "2025-05-01", "2025-07-15", "2026-01-31"]:
        expected = draws.event_fires[:, e] & (dates[draws.event_round[:, e]] <= np.datetime64(pd.Timestamp(d)))
        assert (event_happened(table, BASELINE, "sanctions_relief", d) == expected).all()
    assert not event_happened(table, BASELINE, "sanctions_relief", "2025-02-01").any()  # from round 3 only


def test_hard_facts_reject_and_soft_facts_weigh(batch):
    _, table = batch
    hard = Observation(date="2025-04-01", state="talking")
    soft = Observation(date="2025-05-01", event="sanctions_relief", happened=True, confidence=0.8)
    weights, holds = observation_weights(table, BASELINE, {"hard": hard, "soft": soft})
    assert np.isclose(weights[:, None], [0.0, 0.2, 0.8]).any(axis=1).all()
    assert ((weights > 0) == holds["hard"].to_numpy()).all()
    assert np.allclose(weights[holds["hard"] & holds["soft"]], 0.8)
    assert np.allclose(weights[holds["hard"] & ~holds["soft"]], 0.2)


def test_a_soft_fact_moves_its_probability_by_its_likelihood_ratio():
    soft = {"relief": Observation(date="2025-07-01", event="sanctions_relief", happened=True, confidence=0.8)}
    posterior = condition(BASELINE, soft, as_of="2025-07-01", seed=3, target_ess=1e9, max_runs=B)
    fact = Question(date="2025-07-01", event="sanctions_relief", happened=True)
    row = question_forecasts(posterior, {"q": fact}).iloc[0]
    p = row["prior"]  # the same worlds, unconditioned
    assert row["estimate"] == pytest.approx(0.8 * p / (0.8 * p + 0.2 * (1 - p)))
    assert posterior.kept == posterior.runs == B  # a soft fact keeps every world
    assert posterior.ess < posterior.runs


def test_conditioning_stops_at_the_target_and_is_reproducible():
    observed = {"on": Observation(date="2025-03-01", state="talking")}
    small = condition(BASELINE, observed, as_of="2025-03-01", seed=11, target_ess=100)
    assert small.runs == B and small.reached  # one batch is enough
    assert (small.table[BASELINE.issue_names[0]] == small.table[BASELINE.issue_names[0]]).all()
    assert small.consistency["holds"].iloc[0] == small.kept == round(small.ess)
    capped = condition(BASELINE, observed, as_of="2025-03-01", seed=11, target_ess=1e9, max_runs=B + 100)
    assert capped.runs == B + 100 and not capped.reached
    pd.testing.assert_frame_equal(capped.table.head(small.kept), small.table)  # the same first batch
    assert "short of the target" in capped.describe()


def test_the_posterior_does_not_depend_on_the_number_of_workers():
    observed = {"on": Observation(date="2025-06-01", state="talking")}
    one = condition(BASELINE, observed, as_of="2025-06-01", seed=5, target_ess=1e9, max_runs=2 * B, workers=1)
    two = condition(BASELINE, observed, as_of="2025-06-01", seed=5, target_ess=1e9, max_runs=2 * B, workers=2)
    pd.testing.assert_frame_equal(one.table, two.table)
    assert one.ess == two.ess


def test_a_breakdown_teaches_that_the_breakdown_risk_was_high():
    observed = {"off": Observation(date="2025-05-01", state="breakdown")}
    posterior = condition(BASELINE, observed, as_of="2025-05-01", seed=2, target_ess=300)
    shift = input_shift(posterior).set_index("input")
    assert shift.loc["protocol.breakdown_risk", "direction"] == "higher"
    assert shift.loc["protocol.breakdown_risk", "shift"] > 0.2
    assert shift.index[0] == "protocol.breakdown_risk"  # the input that moved most
    assert shift.loc["protocol.breakdown_risk", "mean_low"] > shift.loc["protocol.breakdown_risk", "prior_mean"]
    table = forecast_table(posterior)
    after = table[(table["kind"] == "state") & (table["value"] == "breakdown")]
    assert (after["estimate"] == 1.0).all()  # a breakdown holds


def test_observations_after_the_as_of_date_are_ignored(tmp_path):
    path = tmp_path / "o.yaml"
    path.write_text("observations:\n  early: {date: 2025-03-01, state: talking}\n"
                    "  late: {date: 2025-09-01, state: breakdown}\n", encoding="utf-8")
    observed = load_observations(path, BASELINE)
    posterior = condition(BASELINE, observed, as_of="2025-04-01", seed=1, target_ess=100)
    assert list(posterior.observations) == ["early"] and list(posterior.ignored) == ["late"]
    assert str(posterior.as_of.date()) == "2025-04-01"
    with pytest.raises(UsageError, match=r"as_of: 2026-03-01 is outside the scenario's horizon"):
        condition(BASELINE, observed, as_of="2026-03-01")


def test_impossible_observations_fail_at_their_line(tmp_path):
    path = tmp_path / "o.yaml"
    path.write_text("observations:\n  going: {date: 2025-03-01, state: talking}\n"
                    "  never:\n    date: 2025-03-01\n    state: talking\n    issue: extradition\n"
                    "    equals: extradite\n", encoding="utf-8")
    observed = load_observations(path, BASELINE)
    with pytest.raises(ScenarioError) as caught:
        condition(BASELINE, observed, seed=1, max_runs=500)
    message = str(caught.value)
    assert message.startswith(f"{path}:3: observations.never: holds in none of the 500 worlds played under "
                               "alternating_offers")
    assert "(worlds where each observation holds: going " in message and ", never 0)" in message


def test_nearly_impossible_observations_fail_with_the_effective_sample_size():
    observed = observations_from_data({"observations": {
        "off": {"date": "2025-02-01", "state": "breakdown"}}}, BASELINE)
    with pytest.raises(ScenarioError, match=r"observations.off: too few worlds are \(effective sample size "
                                            r"\d+\.\d < 50\) consistent with all the observations"):
        condition(BASELINE, observed, seed=1, max_runs=300)
