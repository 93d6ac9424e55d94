"""Open-ended talks: results survive the model's conveniences (round length, horizon), the status quo
persists, private information delays the equilibrium, and utility curves act where they should.

Monte Carlo comparisons state their runs and tolerance: with ``n`` runs per
arm, two estimates of one probability differ by more than
``4 * sqrt(p1 (1 - p1) / n + p2 (1 - p2) / n)`` with probability below 1e-4
(a normal tail), so a failure is a real difference, not noise; a second,
fixed allowance of 0.02 covers the resolution itself (a deal is dated at the
start of the round it is made in, so two-week rounds date some deals up to
half a month earlier than monthly rounds).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import basesim
from basesim.model.negotiation import NegotiationModel, play
from basesim.model.outcome_space import curve_value, curves_of
from basesim.model.protocols.equilibrium import believed_game, game_of, solve
from basesim.montecarlo.as_of import state_as_of
from basesim.scenario.loader import load_scenario, scenario_from_data, with_overrides
from basesim.scenario.sampling import sample

BASELINE = "scenarios/baseline.yaml"
RUNS = 3000
RESOLUTION = 0.02


def _monte_carlo_gap(p1: float, p2: float, n: int) -> float:
    return 4 * np.sqrt(p1 * (1 - p1) / n + p2 * (1 - p2) / n) + RESOLUTION


def _by_month(result, months: int) -> list[tuple[float, float]]:
    """P(agreed by D) and P(broken off by D) at the start of every month D = 1..months."""
    start = pd.Timestamp(result.scenario.protocol.start_date)
    out = []
    for m in range(1, months + 1):
        at = result.summary.at(start + pd.DateOffset(months=m))
        out.append((at.probability("result", "result", "agreement"), at.probability("result", "result", "breakdown")))
    return out


@pytest.fixture(scope="module")
def baseline():
    return load_scenario(BASELINE)


@pytest.mark.parametrize("protocol", ["alternating_offers", "equilibrium"])
def test_round_length_is_only_the_resolution(baseline, protocol):
    """Monthly rounds and two-week rounds over the same year: the same chances by every month."""
    monthly = basesim.run(baseline, runs=RUNS, seed=11, workers=1, protocol=protocol, summary_only=True,
                          overrides={"protocol.rounds": 12, "protocol.round_length": "1 month"})
    fortnightly = basesim.run(baseline, runs=RUNS, seed=12, workers=1, protocol=protocol, summary_only=True,
                              overrides={"protocol.rounds": 27, "protocol.round_length": "2 weeks"})
    for month, ((deal1, broke1), (deal2, broke2)) in enumerate(zip(_by_month(monthly, 12), _by_month(fortnightly, 12)), 1):
        assert abs(deal1 - deal2) <= _monte_carlo_gap(deal1, deal2, RUNS), (month, deal1, deal2)
        assert abs(broke1 - broke2) <= _monte_carlo_gap(broke1, broke2, RUNS), (month, broke1, broke2)


@pytest.mark.parametrize("protocol", ["alternating_offers", "equilibrium", "nash"])
def test_the_horizon_is_not_a_deadline(baseline, protocol):
    """Looking 24 months ahead instead of 12 leaves the chances by month 12 unchanged."""
    short = basesim.run(baseline, runs=RUNS, seed=21, workers=1, protocol=protocol, summary_only=True,
                        overrides={"protocol.rounds": 12})
    long = basesim.run(baseline, runs=RUNS, seed=22, workers=1, protocol=protocol, summary_only=True,
                       overrides={"protocol.rounds": 24})
    for month, ((deal1, broke1), (deal2, broke2)) in enumerate(zip(_by_month(short, 12), _by_month(long, 12)), 1):
        assert abs(deal1 - deal2) <= _monte_carlo_gap(deal1, deal2, RUNS) - RESOLUTION, (month, deal1, deal2)
        assert abs(broke1 - broke2) <= _monte_carlo_gap(broke1, broke2, RUNS) - RESOLUTION, (month, broke1, broke2)


def test_the_status_quo_keeps_russia_at_its_bases_while_the_talks_go_on(baseline):
    result = basesim.run(baseline, runs=2000, seed=3, workers=1)
    for date in ("2025-08-01", "2026-01-31"):
        state = state_as_of(result.table, baseline, date)
        talking = state["state"] == "talking"
        at_base = state["khmeimim_level"] >= baseline.issues["khmeimim"].level_index("logistics only")
        assert (talking & at_base).mean() > 0.05
        assert (talking <= at_base).all()  # the status quo has Russia at Khmeimim in every talking world


def test_without_walk_outs_no_agreement_means_still_talking(baseline):
    """Nobody can gain by a collapse and there is no hazard: P(no deal by D and Russia there) = P(talking at D)."""
    scenario = with_overrides(baseline, {
        "protocol.breakdown_risk": 0.0,
        "breakdown": {"tartus": "reduced lease", "khmeimim": "reduced lease"},  # a collapse changes nothing...
        "actors.syria.outside_option": -0.05,  # ...and costs Syria its Russian supplies
        "actors.syria.delay_cost": 0.0,
        "actors.russia.outside_option": 0.0,  # Russia's substitutes, or a delay cost it would shed,
        "actors.russia.delay_cost": 0.0,  # would make a frozen presence worth more than talks
        "events.sanctions_relief.probability": 0.0,  # relief would make walking away worth it to Syria
    })
    result = basesim.run(scenario, runs=1000, seed=5, workers=1)
    assert (result.table["result"] != "breakdown").all()
    for date in ("2025-06-01", "2026-01-31", "2027-01-31"):
        state = state_as_of(result.table, scenario, date)
        no_deal_there = (state["state"] != "agreement") & (state["khmeimim_level"] >= 1)
        assert no_deal_there.mean() == (state["state"] == "talking").mean() > 0


def _identical(protocol: str):
    return scenario_from_data({
        "issues": {"x": {"levels": ["a", "b", "c"]}, "y": {"levels": ["a", "b", "c", "d"]}},
        "status_quo": {"x": "a", "y": "a"},
        "actors": {name: {"role": "principal", "ideal_point": {"x": 0.5, "y": 2 / 3},
                          "salience": {"x": 0.3, "y": 0.7}, "patience": 0.9} for name in ("p", "q")},
        "protocol": {"name": protocol, "rounds": 6},
    })


@pytest.mark.parametrize("protocol", ["alternating_offers", "equilibrium", "nash"])
def test_identical_preferences_agree_at_once_on_the_shared_ideal(protocol):
    scenario = _identical(protocol)
    row = play(sample(scenario, 1, np.random.default_rng(0))).iloc[0]
    assert (row["result"], row["round"], row["x"], row["y"]) == ("agreement", 0, "b", "c")


def test_zero_belief_noise_is_the_complete_information_equilibrium(baseline):
    """The private-information path with no noise plays exactly the complete-information plan, bit for bit."""
    scenario = with_overrides(baseline, {"actors.syria.belief_noise": 0.0, "actors.russia.belief_noise": 0.0})
    draws = sample(scenario, 300, np.random.default_rng(8))
    model = NegotiationModel(draws, protocol="equilibrium")
    state = model.state
    truth = solve(game_of(model, state.utility, state.talking_value, state.walkout_value))
    for p in range(2):
        believed = solve(believed_game(model, p, 0, np.ones(state.n, bool)))
        for name in ("high", "low", "chance", "agree", "threshold", "value"):
            np.testing.assert_array_equal(getattr(believed, name), getattr(truth, name))
    table = play(draws, protocol="equilibrium")
    assert set(table.loc[table["result"] == "agreement", "round"]) <= {0}  # agreement at once or never


def test_private_information_makes_the_equilibrium_protracted(baseline):
    table = play(sample(baseline, 600, np.random.default_rng(9)), protocol="equilibrium")
    agreed = table[table["result"] == "agreement"]
    assert (agreed["round"] > 0).mean() > 0.2  # many deals come after round 0...
    assert agreed["round"].nunique() >= 6  # ...spread over the months
    assert (table["result"] == "talking").any() and (table["result"] == "breakdown").any()


def test_alternating_offers_use_patience(baseline):
    """Patience sets the value of talks that never end in a deal, so it moves the results."""
    impatient = basesim.run(baseline, runs=1500, seed=4, workers=1, summary_only=True,
                            overrides={"actors.russia.patience": 0.5, "actors.syria.patience": 0.5})
    patient = basesim.run(baseline, runs=1500, seed=4, workers=1, summary_only=True,
                          overrides={"actors.russia.patience": 0.999, "actors.syria.patience": 0.999})
    assert impatient.summary.table["estimate"].to_numpy() != pytest.approx(patient.summary.table["estimate"].to_numpy())


def test_a_concave_payer_finds_twenty_billion_dearer_than_twenty_times_one(baseline):
    scenario = with_overrides(baseline, {"actors.russia.utility_curve.compensation": {"shape": "concave", "curvature": 3}})
    curves = curves_of(scenario)[scenario.issue_names.index("compensation")]
    russia = scenario.actor_names.index("russia")
    amounts = scenario.issues["compensation"].amounts
    distance = np.broadcast_to(amounts / amounts[-1], (len(scenario.actors), amounts.size))
    cost = 1 - curve_value(curves, distance)[russia]
    assert cost[-1] / cost[1] > 20 * 5  # 20 $bn costs more than a hundred times 1 $bn
    assert np.all(np.diff(np.diff(cost[1:]) / np.diff(amounts[1:])) > 0)  # rising marginal cost


def test_a_concave_payer_pays_the_top_amount_less_often_than_a_linear_one(baseline):
    """Other inputs equal: the convex cost pushes deals off the 20 $bn corner that linear utilities favour.

    (Normalised to the same cost of 20 $bn, a concave payer's intermediate payments are *cheaper* than a
    linear payer's, so it may pay a middling amount more often: the median need not fall.)
    """
    shares = {}
    for name, curve in (("linear", "linear"), ("concave", {"shape": "concave", "curvature": 3})):
        result = basesim.run(baseline, runs=2000, seed=6, workers=1,
                             overrides={"actors.russia.utility_curve.compensation": curve})
        deals = result.table[result.table["result"] == "agreement"]
        shares[name] = (deals["compensation_amount"] == 20).mean()
    assert shares["concave"] < shares["linear"] - 0.03
