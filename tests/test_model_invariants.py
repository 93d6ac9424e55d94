"""The model on the baseline scenario: table shape, invariants, batch independence, oracle.

Every check runs under the three protocols on the same draws.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from model_scenarios import PROTOCOL_NAMES, dominated

from basesim.scenario.loader import load_scenario
from basesim.model.negotiation import NegotiationModel, batch_size, play, trace, world_utilities
from basesim.model.reference import play_one
from basesim.scenario.sampling import sample

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"
WORLDS = 240


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(BASELINE)


@pytest.fixture(scope="module")
def draws(scenario):
    return sample(scenario, WORLDS, np.random.default_rng(20250128))


@pytest.fixture(scope="module")
def tables(draws):
    return {protocol: play(draws, protocol=protocol) for protocol in PROTOCOL_NAMES}


@pytest.mark.parametrize("protocol", PROTOCOL_NAMES)
def test_table_has_the_contract_columns(scenario, draws, tables, protocol):
    table = tables[protocol]
    assert len(table) == WORLDS
    assert table["replicate"].tolist() == list(range(WORLDS))
    assert list(table["result"].cat.categories) == ["agreement", "breakdown", "talking"]
    assert table["round"].dtype == np.int64 and table["round"].between(0, scenario.protocol.rounds - 1).all()
    assert table["date"].dtype == "datetime64[ns]"
    agreed = table["result"] == "agreement"
    assert table.loc[agreed, "proposer"].isin(scenario.principals).all() or protocol == "nash"
    assert table.loc[~agreed, "proposer"].isna().all()
    for name, issue in scenario.issues.items():
        assert list(table[name].cat.categories) == issue.labels and table[name].cat.ordered
        assert (table[name].cat.codes == table[f"{name}_level"]).all()
        no_deal = issue.level_index(scenario.no_deal[name])
        assert (table.loc[~agreed, f"{name}_level"] == no_deal).all()
    assert "compensation_amount" in table
    for actor in scenario.actors:
        assert table[f"utility_{actor}"].notna().all()


def test_every_protocol_reaches_agreements_on_the_baseline(tables):
    for protocol, table in tables.items():
        assert (table["result"] == "agreement").mean() > 0.3, protocol
    # the equilibrium and Nash agree at once; alternating offers take time and sometimes break down
    assert (tables["equilibrium"]["round"] == 0).all()
    assert (tables["alternating_offers"]["round"] > 0).mean() > 0.5
    assert (tables["alternating_offers"]["result"] == "breakdown").any()


@pytest.mark.parametrize("protocol", PROTOCOL_NAMES)
def test_no_agreement_below_a_reservation_utility(draws, protocol):
    model = NegotiationModel(draws, protocol=protocol).run()
    agreed = model.agreement >= 0
    assert agreed.any()
    assert (model.final_utility[agreed] >= model.final_reservation[agreed]).all()


def test_nash_agreements_give_every_principal_a_positive_gain(scenario, draws, tables):
    table = tables["nash"]
    for k in np.flatnonzero(table["result"] == "agreement")[:60]:
        utilities = world_utilities(draws, int(k))
        for p in scenario.principals:
            assert table.loc[k, f"utility_{p}"] > utilities[f"reservation_{p}"].iloc[0]


def test_equilibrium_agreements_are_pareto_optimal(scenario, draws, tables):
    table = tables["equilibrium"]
    columns = [f"utility_{p}" for p in scenario.principals]
    agreed = np.flatnonzero(table["result"] == "agreement")
    assert agreed.size > WORLDS // 2
    for k in agreed:
        utilities = world_utilities(draws, int(k))[columns].to_numpy()
        point = table.loc[k, columns].to_numpy(dtype=float)
        assert not dominated(point, utilities), k
        # and the agreement is one of the outcomes, at round-0 utilities
        assert (np.abs(utilities - point).max(axis=1) == 0).any()


@pytest.mark.parametrize("protocol", PROTOCOL_NAMES)
def test_batch_split_does_not_change_any_row(draws, tables, protocol):
    parts = [play(draws.take(slice(start, start + 70)), protocol=protocol) for start in range(0, WORLDS, 70)]
    pd.testing.assert_frame_equal(pd.concat(parts, ignore_index=True), tables[protocol], check_exact=True)


@pytest.mark.parametrize("protocol", PROTOCOL_NAMES)
def test_row_k_equals_world_k_alone(draws, tables, protocol):
    for k in range(0, WORLDS, 7):
        alone = play(draws.take(np.array([k])), protocol=protocol)
        pd.testing.assert_frame_equal(tables[protocol].iloc[[k]].reset_index(drop=True), alone, check_exact=True)


@pytest.mark.parametrize("protocol", PROTOCOL_NAMES)
def test_batch_equals_the_reference_model(scenario, draws, tables, protocol):
    table = tables[protocol]
    for k in range(0, WORLDS, 6):
        expected = play_one(draws, k, protocol=protocol)
        row = table.iloc[k]
        assert expected["result"] == row["result"], k
        assert expected["round"] == row["round"], k
        assert expected["date"] == row["date"], k
        assert expected["proposer"] == (None if pd.isna(row["proposer"]) else row["proposer"]), k
        for name in scenario.issues:
            assert expected[f"{name}_level"] == row[f"{name}_level"], (k, name)
        for actor in scenario.actors:
            assert expected[f"utility_{actor}"] == row[f"utility_{actor}"], (k, actor)


@pytest.mark.parametrize("protocol", PROTOCOL_NAMES)
def test_trace_ends_like_the_row(scenario, draws, tables, protocol):
    table = tables[protocol]
    for k in range(0, WORLDS, 40):
        steps = trace(draws, world=k, protocol=protocol)
        last, row = steps.iloc[-1], table.iloc[k]
        assert (last["status"], last["round"], last["date"]) == (row["result"], row["round"], row["date"])
        assert (steps["status"].iloc[:-1] == "continue").all()
        if row["result"] == "agreement":
            assert [last[name] for name in scenario.issues] == [row[name] for name in scenario.issues]


def test_events_fire_in_alternating_offers_only(draws, tables):
    """The equilibrium is solved at round-0 parameters; alternating offers apply events."""
    first_fired = np.where(draws.event_fires, draws.event_round, np.iinfo(np.int64).max).min(axis=1)
    k = int(np.flatnonzero(first_fired <= tables["alternating_offers"]["round"].to_numpy())[0])
    steps = trace(draws, world=k)
    assert steps["events"].str.len().gt(0).any()
    assert not trace(draws, world=k, protocol="equilibrium")["events"].str.len().gt(0).any()


def test_batch_size_keeps_a_batch_small(scenario):
    size = batch_size(scenario)
    assert 16 <= size <= 8192 and size & (size - 1) == 0
