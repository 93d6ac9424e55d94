"""Known answers of the three protocols on one issue split between two principals.

The pie's status quo gives both nothing while they talk (b's delay cost
offsets the status quo's share of 0), as in Rubinstein's game.

- Equilibrium: Rubinstein (1982), "Perfect equilibrium in a bargaining
  model", Econometrica 50(1), doi:10.2307/1912531: with discount factors d1,
  d2 the first proposer's share is ``(1 - d2) / (1 - d1 d2)`` and it is agreed
  at once, whatever the horizon (the equilibrium is stationary: the horizon is
  not a deadline). With a breakdown risk h and no discounting the share is
  ``1 / (2 - h)`` (Binmore, Rubinstein and Wolinsky 1986, "The Nash
  bargaining solution in economic modelling", RAND J. Econ. 17(2),
  doi:10.2307/2555382). Outside options bind only when they exceed what the
  responder would get without them (the outside option principle; Binmore,
  Shaked and Sutton 1989, "An outside option experiment", QJE 104(4),
  doi:10.2307/2937866).
- Nash: ``max (x - d1)^w1 (1 - x - d2)^w2`` gives
  ``x = d1 + w1 / (w1 + w2) * (1 - d1 - d2)``; with equal powers the
  equal-gain split ``(1 + d1 - d2) / 2``.
- Alternating offers: with linear utilities and no belief noise both
  targets fall as ``1 - (t/D)^(1/beta)`` (D the believed deadline, in months)
  and they meet once that is at most one half.

On a grid, if offers were pure outcomes, the responder's share would be
rounded up to the grid in every round and the error would compound to a band
of width ``s / (1 - d1 d2)`` around Rubinstein's split (5 grid steps at
d1 = d2 = 0.9). With two principals the equilibrium protocol lets the
proposer offer a lottery between neighbouring outcomes, so continuation
values are those of the continuous game exactly and only the agreed outcome
is on the grid: the share is one of the two grid points around the exact
share, hence within one grid step of Rubinstein's split.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from model_scenarios import split_the_pie

from basesim.scenario.loader import scenario_from_data, with_overrides
from basesim.model.negotiation import play, trace
from basesim.model.reference import play_one
from basesim.scenario.sampling import sample

STEP = 0.001  # levels 0, 0.001, ..., 1


def play_split(scenario, protocol=None):
    draws = sample(scenario, 1, np.random.default_rng(0))
    return play(draws, protocol=protocol).iloc[0]


def share(row) -> float:
    return int(row["share_level"]) * STEP


def rubinstein(d1: float, d2: float) -> float:
    return (1 - d2) / (1 - d1 * d2)


# (d1, d2, rounds): the horizon is not a deadline, so a horizon of 1, 12 or 401 rounds gives the same split
PAIRS = [(0.5, 0.5), (0.8, 0.6), (0.3, 0.7), (0.6, 0.8), (0.7, 0.7), (0.9, 0.9), (0.95, 0.9), (0.99, 0.99)]
CASES = [(d1, d2, rounds) for d1, d2 in PAIRS for rounds in (1, 12, 401)]

@pytest.mark.parametrize(("d1", "d2", "rounds"), CASES)
def test_rubinstein_split_within_one_grid_step(d1, d2, rounds):
    """The brief's check, as stated: agreement in round 0, share within one grid step."""
    row = play_split(split_the_pie(protocol="equilibrium", patience=(d1, d2), rounds=rounds))
    assert row["result"] == "agreement" and row["round"] == 0 and row["proposer"] == "a"
    assert abs(share(row) - rubinstein(d1, d2)) <= STEP + 1e-12


@pytest.mark.parametrize(("d1", "d2", "rounds"), CASES)
def test_share_is_a_grid_neighbour_of_the_exact_share(d1, d2, rounds):
    row = play_split(split_the_pie(protocol="equilibrium", patience=(d1, d2), rounds=rounds))
    exact = Fraction(1) - Fraction(str(d2)) if d1 == d2 == 1 else (1 - Fraction(str(d2))) / (1 - Fraction(str(d1)) * Fraction(str(d2)))
    level = int(row["share_level"])
    assert math.floor(exact * 1000) <= level <= math.ceil(exact * 1000)
    assert row["utility_a"] == pytest.approx(share(row), abs=1e-12)
    assert row["utility_b"] == pytest.approx(1 - share(row), abs=1e-12)


def test_rubinstein_band_shrinks_with_the_grid():
    """The discretised share converges to Rubinstein's as the grid is refined (d1 = d2 = 0.9)."""
    errors = []
    for steps in (11, 101, 1001):
        row = play_split(split_the_pie(protocol="equilibrium", steps=steps, patience=(0.9, 0.9), rounds=400))
        errors.append(abs(int(row["share_level"]) / (steps - 1) - rubinstein(0.9, 0.9)))
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] <= 1 / 1000


def test_breakdown_risk_acts_as_a_discount_factor():
    """No discounting, breakdown risk h: the first proposer gets about 1 / (2 - h)."""
    h = 0.1
    scenario = with_overrides(split_the_pie(protocol="equilibrium", rounds=400), {"protocol.breakdown_risk": h})
    row = play_split(scenario)
    assert row["result"] == "agreement" and row["round"] == 0
    assert abs(share(row) - 1 / (2 - h)) <= STEP + 1e-12


@pytest.mark.parametrize(
    ("disagreement", "expected"),
    [((0.0, 0.0), 2 / 3), ((0.2, 0.3), 2 / 3), ((0.0, 0.45), 0.55), ((0.8, 0.0), 0.9)],
)
def test_outside_options_bind_only_above_the_rubinstein_share(disagreement, expected):
    """d1 = d2 = 0.5: a gets 2/3 unless b's walk-out value beats 1/3 (then b gets it) or a's beats
    2/3 (then b must give a its option when b proposes, and a takes 1 - 0.5 (1 - 0.8) = 0.9)."""
    row = play_split(split_the_pie(protocol="equilibrium", disagreement=disagreement, patience=(0.5, 0.5), rounds=3))
    assert row["result"] == "agreement" and row["proposer"] == "a" and row["round"] == 0
    assert share(row) == pytest.approx(expected, abs=STEP + 1e-12)
    assert row["utility_b"] >= disagreement[1] - 1e-12  # b's walk-out value is 1 + (d2 - 1) in floating point


def test_second_proposer_moves_first_when_named():
    row = play_split(split_the_pie(protocol="equilibrium", patience=(0.8, 0.6), rounds=401, first="b"))
    assert row["proposer"] == "b"
    # b's share is Rubinstein's with the roles swapped
    b_share = 1 - share(row)
    assert abs(b_share - rubinstein(0.6, 0.8)) <= STEP + 1e-12


def test_equilibrium_reference_matches_on_a_pie():
    """The per-world reference solves the same game (a coarser grid keeps it fast)."""
    scenario = split_the_pie(protocol="equilibrium", steps=101, patience=(0.9, 0.8), rounds=40)
    draws = sample(scenario, 1, np.random.default_rng(0))
    row = play(draws).iloc[0]
    ref = play_one(draws, 0)
    assert ref["share_level"] == row["share_level"]
    assert ref["round"] == row["round"] == 0
    assert ref["utility_a"] == row["utility_a"]
    assert abs(int(row["share_level"]) / 100 - rubinstein(0.9, 0.8)) <= 0.01 + 1e-12


# --- Nash bargaining ---------------------------------------------------------------


@pytest.mark.parametrize("disagreement", [(0.0, 0.0), (0.2, 0.1), (0.1, 0.4), (0.3, 0.3), (0.05, 0.6), (0.123, 0.456)])
def test_nash_equal_gain_split(disagreement):
    """Symmetric power: the product of gains peaks at x = (1 + d1 - d2) / 2, equal gains."""
    d1, d2 = disagreement
    row = play_split(split_the_pie(protocol="nash", disagreement=disagreement, rounds=5))
    assert row["result"] == "agreement" and row["round"] == 0
    assert row["proposer"] != row["proposer"]  # NaN: nobody proposed
    x = share(row)
    # the product is a parabola symmetric about its peak: the nearest grid point wins
    assert abs(x - (1 + d1 - d2) / 2) <= STEP / 2 + 1e-9
    gain_a, gain_b = row["utility_a"] - d1, row["utility_b"] - d2
    assert gain_a > 0 and gain_b > 0
    assert abs(gain_a - gain_b) <= STEP + 1e-9


@pytest.mark.parametrize("power", [(1.0, 2.0), (2.0, 1.0), (1.0, 3.0), (3.0, 5.0), (0.7, 0.2)])
def test_nash_asymmetric_power_split(power):
    """d = 0: maximising x^w1 (1 - x)^w2 gives x = w1 / (w1 + w2)."""
    w1, w2 = power
    row = play_split(split_the_pie(protocol="nash", power=power, rounds=3))
    assert row["result"] == "agreement"
    # the objective is concave: the best grid point is one of the two around the peak
    assert abs(share(row) - w1 / (w1 + w2)) <= STEP + 1e-9


@pytest.mark.parametrize(("power", "disagreement"), [((2.0, 1.0), (0.1, 0.2)), ((1.0, 4.0), (0.3, 0.05))])
def test_nash_asymmetric_power_with_disagreement_point(power, disagreement):
    (w1, w2), (d1, d2) = power, disagreement
    row = play_split(split_the_pie(protocol="nash", power=power, disagreement=disagreement, rounds=3))
    expected = d1 + w1 / (w1 + w2) * (1 - d1 - d2)
    assert abs(share(row) - expected) <= STEP + 1e-9


def test_nash_without_gains_ends_in_a_walk_out():
    """d1 + d2 >= 1: no outcome gives both a positive gain, and walking out beats talking on (worth 0)."""
    scenario = split_the_pie(protocol="nash", disagreement=(0.6, 0.5), rounds=5, steps=101)
    draws = sample(scenario, 1, np.random.default_rng(0))
    row = play(draws).iloc[0]
    assert row["result"] == "breakdown" and row["round"] == 0 and row["breakdown_cause"] == "a"
    assert row["share_level"] == 0  # the breakdown level
    assert row["utility_a"] == pytest.approx(0.6) and row["utility_b"] == pytest.approx(0.5)
    steps = trace(draws)
    assert list(steps["status"]) == ["breakdown"] and list(steps["round"]) == [0]


def test_nash_without_gains_and_no_better_alternative_keeps_the_status_quo():
    """No gains, and nobody gains by walking out either: the status quo holds (still talking)."""
    scenario = with_overrides(split_the_pie(protocol="nash", rounds=5, steps=11),
                              {"actors.a.delay_cost": 0.0, "actors.b.delay_cost": 0.0, "actors.a.ideal_point.share": 0.0})
    row = play_split(scenario)
    assert row["result"] == "talking" and row["round"] == -1 and pd.isna(row["date"])


# --- alternating offers -------------------------------------------------------------


@pytest.mark.parametrize(
    ("concession", "round_", "level", "proposer"),
    [
        (1.0, 5, 5, "b"),  # linear: 1 - t/10 <= 1/2 from t = 5, b's turn
        (0.5, 8, 4, "a"),  # Boulware: 1 - (t/10)^2 <= 1/2 from t = 7.07; a offers 0.4, its target 0.36
        (2.0, 3, 5, "b"),  # Conceder: 1 - (t/10)^0.5 <= 1/2 from t = 2.5
    ],
)
def test_alternating_offers_targets_meet(concession, round_, level, proposer):
    """No noise, linear utilities on a grid of 0.1, deadlines of 10 months: agreement once both targets
    fall to about 1/2 (the horizon, 24 monthly rounds, plays no part)."""
    scenario = with_overrides(
        split_the_pie(protocol="alternating_offers", steps=11, rounds=24),
        {"actors.a.concession": concession, "actors.b.concession": concession,
         "actors.a.deadline": 10, "actors.b.deadline": 10},
    )
    draws = sample(scenario, 1, np.random.default_rng(0))
    row = play(draws).iloc[0]
    assert (row["result"], row["round"], row["share_level"], row["proposer"]) == ("agreement", round_, level, proposer)
    assert play_one(draws, 0)["share_level"] == level


@pytest.mark.parametrize(("deadline", "result", "round_"), [(12, "talking", -1), (3, "breakdown", 3)])
def test_alternating_offers_without_an_acceptable_offer(deadline, result, round_):
    """a believes a breakdown gives it 1.5, beyond anything on the table: it never offers and accepts
    nothing; the status quo holds until its deadline passes, when it walks out."""
    scenario = with_overrides(
        split_the_pie(protocol="alternating_offers", steps=11, rounds=6),
        {"actors.a.no_deal": {"share": 1.0}, "actors.a.outside_option": 0.5, "actors.a.deadline": deadline},
    )
    draws = sample(scenario, 1, np.random.default_rng(0))
    row = play(draws).iloc[0]
    assert row["result"] == result and row["round"] == round_
    # the levels in force are the status quo (share 0), or the breakdown's (the same level) plus a's outside option
    assert row["utility_a"] == pytest.approx(0.0 if result == "talking" else 0.5)
    steps = trace(draws)
    played = 6 if result == "talking" else round_ + 1
    assert list(steps["offered"]) == ([False, True] * 3)[:played]  # a (even rounds) makes no offer
    assert not steps["accepted_by_a"].dropna().any()


def test_equilibrium_lottery_mixes_outcomes_on_the_concave_hull():
    """Two issues, frontier (0, 1), (0.2, 0.9), (0.8, 0.1), (1, 0) in (u_a, u_b): bowed in at (0.8, 0.1).

    Both get nothing while talking. a is all but impatient, so when b proposes
    b takes (about) everything; in round 0 a must leave b what b gets by
    proposing next round, discounted: 0.5 * 1. The best lottery giving b 0.5 mixes (0.2, 0.9) and (1, 0) with
    chance 5/9 (a gets 5/9); mixing the frontier neighbours (0.2, 0.9) and
    (0.8, 0.1) would give a only 1/2, and (0.8, 0.1) is never agreed.
    """
    scenario = scenario_from_data(
        {
            "issues": {"x1": {"levels": ["no", "yes"]}, "x2": {"levels": ["no", "yes"]}},
            "no_deal": {"x1": "no", "x2": "no"},
            "actors": {
                "a": {"role": "principal", "ideal_point": {"x1": 1.0, "x2": 1.0}, "salience": {"x1": 0.8, "x2": 0.2},
                      "patience": 1e-6},
                "b": {
                    "role": "principal",
                    "ideal_point": {"x1": 0.0, "x2": 0.0},
                    "salience": {"x1": 0.9, "x2": 0.1},
                    "outside_option": -1.0,
                    "delay_cost": 1.0,
                    "patience": 0.5,
                },
            },
            "protocol": {"name": "equilibrium", "rounds": 2},
        }
    )
    draws = sample(scenario, 2000, np.random.default_rng(7))
    table = play(draws)
    assert (table["result"] == "agreement").all() and (table["round"] == 0).all()
    agreed = list(zip(table["x1"].astype(str), table["x2"].astype(str)))
    assert set(agreed) == {("no", "yes"), ("yes", "yes")}
    assert agreed.count(("no", "yes")) / len(agreed) == pytest.approx(5 / 9, abs=0.05)
    assert table["utility_a"].mean() == pytest.approx(5 / 9, abs=0.05)
    assert table["utility_b"].mean() == pytest.approx(0.5, abs=0.05)
    for k in range(0, 2000, 250):
        expected = play_one(draws, k)
        assert (expected["x1"], expected["x2"]) == agreed[k]
