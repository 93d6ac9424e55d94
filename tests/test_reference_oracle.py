"""The vectorised batch against the plain per-world model (basesim.model.reference), on random small scenarios.

Fast kernel against a slow, obvious oracle: every world of a batch must give
exactly (bit for bit) the row that the one-world Mesa model gives, under
every protocol; a world gives the same row alone as inside its batch; the
trace of a world ends where its row says; and the model's invariants hold
(no agreement below a reservation utility; equilibrium agreements are
Pareto-optimal).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from model_scenarios import PROTOCOL_NAMES, dominated, small_scenarios, split_the_pie

from basesim.errors import UsageError
from basesim.model.negotiation import NegotiationModel, play, trace, world_utilities
from basesim.model.reference import Table, batch_row, play_one
from basesim.scenario.sampling import sample

WORLDS = 6
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
seeds = st.integers(0, 2**32 - 1)


def draws_of(scenario, seed, n=WORLDS):
    return sample(scenario, n, np.random.default_rng(seed))


@SETTINGS
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
            assert last["round"] == row["round"], (protocol, k)
            assert last["date"] == row["date"], (protocol, k)
            assert list(steps["round"]) == list(range(len(steps))) or protocol == "nash"
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
    """Checked at the parameters in force when the talks ended (events may have moved them)."""
    draws = draws_of(scenario, seed)
    for protocol in PROTOCOL_NAMES:
        model = NegotiationModel(draws, protocol=protocol).run()
        agreed = model.agreement >= 0
        assert (model.final_utility[agreed] >= model.final_reservation[agreed]).all(), protocol
        # the oracle's own state agrees
        for k in np.flatnonzero(agreed):
            table = Table(draws, int(k), protocol=protocol).run()
            for negotiator in table.negotiators:
                assert negotiator.utility[table.agreement] >= negotiator.reservation_utility


@SETTINGS
@given(scenario=small_scenarios(), seed=seeds)
def test_equilibrium_agreements_are_pareto_optimal(scenario, seed):
    """Complete information: no outcome is at least as good for every principal and better for one."""
    draws = draws_of(scenario, seed)
    table = play(draws, protocol="equilibrium")
    columns = [f"utility_{p}" for p in scenario.principals]
    for k in np.flatnonzero(table["result"] == "agreement"):
        utilities = world_utilities(draws, int(k))[columns].to_numpy()
        point = table.loc[k, columns].to_numpy(dtype=float)
        assert not dominated(point, utilities), k


def test_reference_rejects_an_unknown_protocol():
    draws = draws_of(split_the_pie(protocol="nash", steps=11), 0, n=1)
    with pytest.raises(UsageError, match="protocol: 'haggle' is not a protocol; expected one of"):
        play_one(draws, 0, protocol="haggle")
