"""The vectorised batch against the plain per-world model (basesim.model.reference), on random small scenarios.

Fast kernel against a slow, obvious oracle: every world of a batch must give
exactly (bit for bit) the row that the one-world Mesa model gives, under
every protocol; a world gives the same row alone as inside its batch; the
trace of a world ends where its row says; and the model's invariants hold
(no agreement below a reservation utility; complete-information
equilibrium agreements are Pareto-optimal).

The random scenarios (tests/model_scenarios.py) cover the open-ended-talks
inputs of docs/model.md: the older ``no_deal`` and a ``status_quo`` with a
breakdown that is the status quo, other levels or a lottery of alternatives
(fixed or uncertain probabilities); delay costs, deadlines, learning times;
concave, convex and points utility curves; events at a round or a month;
rounds of a month, 2 weeks, a quarter or 10 days; influencers and three
principals.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from model_scenarios import PROTOCOL_NAMES, dominated, small_scenarios, split_the_pie

from basesim.errors import UsageError
from basesim.model import reference
from basesim.model.negotiation import play, trace, world_utilities
from basesim.model.reference import TOLERANCE, Curve, Table, batch_row, interpolate, play_one
from basesim.scenario.loader import scenario_from_data
from basesim.scenario.sampling import sample

WORLDS = 6
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
seeds = st.integers(0, 2**32 - 1)


def draws_of(scenario, seed, n=WORLDS):
    return sample(scenario, n, np.random.default_rng(seed))


@settings(SETTINGS, max_examples=150)
@given(scenario=small_scenarios(), seed=seeds)
def test_batch_equals_reference_world_by_world(scenario, seed):
    draws = draws_of(scenario, seed)
    for protocol in PROTOCOL_NAMES:
        table = play(draws, protocol=protocol)
        for k in range(draws.n):
            expected = play_one(draws, k, protocol=protocol)
            assert batch_row(table, k, scenario) == expected, (protocol, k)


@SETTINGS
@given(scenario=small_scenarios(), seed=seeds)
def test_row_k_of_a_batch_equals_world_k_alone(scenario, seed):
    draws = draws_of(scenario, seed)
    for protocol in PROTOCOL_NAMES:
        table = play(draws, protocol=protocol)
        for k in range(draws.n):
            alone = play(draws.take(np.array([k])), protocol=protocol)
            pd.testing.assert_frame_equal(table.iloc[[k]].reset_index(drop=True), alone, check_exact=True)


@SETTINGS
@given(scenario=small_scenarios(), seed=seeds)
def test_trace_ends_like_the_row(scenario, seed):
    draws = draws_of(scenario, seed, n=3)
    for protocol in PROTOCOL_NAMES:
        table = play(draws, protocol=protocol)
        for k in range(draws.n):
            steps = trace(draws, world=k, protocol=protocol)
            last = steps.iloc[-1]
            row = table.iloc[k]
            assert last["status"] == row["result"], (protocol, k)
            if row["result"] == "talking":  # played to the horizon (Nash: its one round)
                assert row["round"] == -1 and pd.isna(row["date"]), (protocol, k)
                assert last["round"] == (0 if protocol == "nash" else scenario.protocol.rounds - 1), (protocol, k)
            else:
                assert last["round"] == row["round"], (protocol, k)
                assert last["date"] == row["date"], (protocol, k)
            assert list(steps["round"]) == list(range(len(steps)))
            if row["result"] == "agreement":
                for name in scenario.issues:
                    assert last[name] == row[name], (protocol, k, name)
                for p in scenario.principals:
                    assert last[f"utility_{p}"] == row[f"utility_{p}"], (protocol, k, p)
                if protocol != "nash":
                    assert last["proposer"] == row["proposer"]


@SETTINGS
@given(scenario=small_scenarios(), seed=seeds)
def test_no_agreement_is_worth_less_than_a_reservation_utility(scenario, seed):
    """At the parameters in force when the talks ended (events may have moved them), in the oracle's own
    state, whose rows equal the batch's (test above)."""
    draws = draws_of(scenario, seed)
    for protocol in PROTOCOL_NAMES:
        for k in range(draws.n):
            table = Table(draws, k, protocol=protocol).run()
            if table.result != "agreement":
                continue
            for negotiator in table.negotiators:
                worth = negotiator.utility[table.agreement]
                assert worth >= negotiator.reservation_utility - TOLERANCE, (protocol, k, negotiator.name)


@SETTINGS
@given(scenario=small_scenarios(), seed=seeds)
def test_complete_information_equilibrium_agreements_are_pareto_optimal(scenario, seed):
    """A proposer without belief noise plays the true plan: no outcome is at least as good for every
    principal and better for one. (A noisy proposer plays the game it believes it is in.)"""
    draws = draws_of(scenario, seed)
    table = play(draws, protocol="equilibrium")
    columns = [f"utility_{p}" for p in scenario.principals]
    for k in np.flatnonzero(table["result"] == "agreement"):
        proposer = scenario.actor_names.index(table.loc[k, "proposer"])
        if draws.belief_noise[k, proposer] > 0:
            continue
        utilities = world_utilities(draws, int(k))[columns].to_numpy()
        point = table.loc[k, columns].to_numpy(dtype=float)
        assert not dominated(point, utilities), k


@SETTINGS
@given(scenario=small_scenarios(), seed=seeds)
def test_event_months_fall_on_the_first_round_starting_then_or_later(scenario, seed):
    """The oracle places month events itself (``t_r >= month``); sampling's rounds must agree."""
    draws = draws_of(scenario, seed)
    for k in range(draws.n):
        assert Table(draws, k).event_rounds == draws.event_round[k].tolist(), k


def test_reference_rejects_an_unknown_protocol():
    draws = draws_of(split_the_pie(protocol="nash", steps=11), 0, n=1)
    with pytest.raises(UsageError, match="protocol: 'haggle' is not a protocol; expected one of"):
        play_one(draws, 0, protocol="haggle")


def test_reference_constants_are_the_batchs():
    """The oracle keeps its own copies of the model's constants; they must not drift apart."""
    from basesim.model.agents import TOLERANCE as agents_tolerance
    from basesim.model.protocols import equilibrium
    from basesim.scenario.schema import MONTHS_PER_UNIT

    assert reference.TOLERANCE == agents_tolerance == equilibrium.TOLERANCE
    assert (reference.CONVERGED, reference.SOLVE_ROUNDS) == (equilibrium.CONVERGED, equilibrium.SOLVE_ROUNDS)
    assert reference.HULL_TOLERANCE == equilibrium.HULL_TOLERANCE
    assert reference.MONTHS == MONTHS_PER_UNIT


def test_reference_curves_are_the_documented_ones():
    """docs/model.md, "Cardinal issues": g of the distance d from the ideal point, curvature k."""
    for k in (0.5, 1.0, 3.0):
        for d in (0.0, 0.2, 0.5, 1.0):
            concave = Curve("concave", k).g(0, d, 0.0)
            convex = Curve("convex", k).g(0, 1.0 - d, 1.0)  # the same distance on the other side
            assert concave == pytest.approx(1 - (math.exp(k * d) - 1) / (math.exp(k) - 1), abs=1e-15)
            assert convex == pytest.approx(1 - (1 - math.exp(-k * d)) / (1 - math.exp(-k)), abs=1e-15)
            assert concave >= 1 - d - 1e-15 and convex <= 1 - d + 1e-15  # above / below the chord (linear)
    assert Curve().g(2, 0.25, 0.75) == 0.5
    # points: linear between them, flat outside, exact at a point
    xs, ys = [2.0, 4.0, 10.0], [0.1, 0.5, 0.8]
    assert [interpolate(x, xs, ys) for x in (0.0, 2.0, 3.0, 4.0, 7.0, 10.0, 20.0)] == pytest.approx(
        [0.1, 0.1, 0.3, 0.5, 0.65, 0.8, 0.8], abs=1e-15)
    assert [interpolate(x, xs, ys) for x in (3.0, 7.0)] == list(np.interp([3.0, 7.0], xs, ys))


def tie_scenario(protocol: str):
    """The breakdown is the status quo, which both principals like best of all."""
    principal = {"role": "principal", "ideal_point": {"x": 0.5}, "salience": {"x": 1.0},
                 "patience": {"dist": "uniform", "low": 0.7, "high": 0.99}, "deadline": 1.0}
    return scenario_from_data({
        "name": "tie", "issues": {"x": {"levels": ["a", "b", "c"]}}, "no_deal": {"x": "b"},
        "actors": {"p": {**principal, "ideal_point": {"x": 0.3}}, "q": {**principal, "ideal_point": {"x": 0.7}}},
        "protocol": {"name": protocol, "rounds": 3, "breakdown_risk": {"dist": "uniform", "low": 0.01, "high": 0.3}},
    })


def test_no_one_walks_out_of_a_breakdown_that_equals_the_status_quo():
    """``s = b`` makes ``V = s`` exactly: nobody walks out; with no outcome that gives both a positive
    gain, Nash keeps talking. (Rounding ``(rho s + lambda b) / (rho + lambda)`` used to break a third of them.)"""
    draws = sample(tie_scenario("nash"), 300, np.random.default_rng(0))
    table = play(draws)
    assert (table["result"] == "talking").all()
    for k in range(0, 300, 30):
        assert batch_row(table, k, draws.scenario) == play_one(draws, k)


def test_the_equilibrium_agrees_at_once_on_a_status_quo_both_like_best():
    """An outcome worth exactly the responder's threshold is agreed (within TOLERANCE, as responders
    accept); it used to be lost to rounding in about half the worlds, which then talked or broke down."""
    draws = sample(tie_scenario("equilibrium"), 300, np.random.default_rng(0))
    table = play(draws)
    assert (table["result"] == "agreement").all() and (table["round"] == 0).all() and (table["x"] == "b").all()
    for k in range(0, 300, 30):
        assert batch_row(table, k, draws.scenario) == play_one(draws, k)
