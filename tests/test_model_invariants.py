"""The model on the baseline scenario: table shape, invariants, batch independence, oracle.

Every check runs under the three protocols on the same draws. The baseline
has a status quo, a breakdown lottery with an uncertain probability, delay
costs, deadlines, learning times, utility curves and events at months, so
the oracle comparison covers the open-ended-talks semantics (docs/model.md).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from model_scenarios import PROTOCOL_NAMES, dominated

from basesim.model.negotiation import batch_size, play, trace, world_utilities
from basesim.model.reference import TOLERANCE, Table, batch_row, play_one
from basesim.scenario.loader import load_scenario, with_overrides
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


def levels_of(scenario, given: dict) -> list[int]:
    return [issue.level_index(given[name]) for name, issue in scenario.issues.items()]


@pytest.mark.parametrize("protocol", PROTOCOL_NAMES)
def test_table_has_the_contract_columns(scenario, draws, tables, protocol):
    table = tables[protocol]
    assert len(table) == WORLDS
    assert table["replicate"].tolist() == list(range(WORLDS))
    assert list(table["result"].cat.categories) == ["agreement", "breakdown", "talking"]
    agreed, broken, talking = (table["result"] == r for r in ("agreement", "breakdown", "talking"))
    # round and date: when the talks ended; -1 and NaT while still talking
    assert table["round"].dtype == np.int64
    assert table.loc[~talking, "round"].between(0, scenario.protocol.rounds - 1).all()
    assert (table.loc[talking, "round"] == -1).all()
    assert table["date"].dtype == "datetime64[ns]"
    assert (table["date"].isna() == talking).all()
    assert table.loc[agreed, "proposer"].isin(scenario.principals).all() or protocol == "nash"
    assert table.loc[~agreed, "proposer"].isna().all()
    # what follows a breakdown, and why it came
    alternatives = scenario.breakdown_alternatives
    assert list(table["breakdown_alternative"].cat.categories) == list(alternatives)
    assert list(table["breakdown_cause"].cat.categories) == ["hazard", *scenario.principals]
    assert (table["breakdown_alternative"].notna() == broken).all()
    assert (table["breakdown_cause"].notna() == broken).all()
    # the levels in force: the status quo while talking, the drawn alternative's after a breakdown
    level_columns = [f"{name}_level" for name in scenario.issues]
    for name, issue in scenario.issues.items():
        assert list(table[name].cat.categories) == issue.labels and table[name].cat.ordered
        assert (table[name].cat.codes == table[f"{name}_level"]).all()
    status_quo = levels_of(scenario, scenario.status_quo_levels)
    assert (table.loc[talking, level_columns] == status_quo).all(axis=None)
    for name, alternative in alternatives.items():
        chosen = table["breakdown_alternative"] == name
        assert (table.loc[chosen, level_columns] == levels_of(scenario, alternative.levels)).all(axis=None)
    assert "compensation_amount" in table
    for actor in scenario.actors:
        assert table[f"utility_{actor}"].notna().all()


def test_every_protocol_reaches_agreements_on_the_baseline(tables):
    for protocol, table in tables.items():
        assert (table["result"] == "agreement").mean() > 0.3, protocol
    # Nash is a one-shot benchmark: round 0 or still talking
    assert tables["nash"]["round"].isin([-1, 0]).all()
    # alternating offers take time, sometimes break down, and principals walk out after their deadlines
    alternating = tables["alternating_offers"]
    assert (alternating["round"] > 0).mean() > 0.5
    assert (alternating["breakdown_cause"] == "hazard").any()
    assert alternating["breakdown_cause"].isin(["syria", "russia"]).any()
    # private information delays some equilibrium agreements past round 0
    equilibrium = tables["equilibrium"]
    assert (equilibrium.loc[equilibrium["result"] == "agreement", "round"] > 0).any()


def test_complete_information_equilibrium_agrees_at_once_or_never(scenario):
    certain = with_overrides(scenario, {"actors.syria.belief_noise": 0.0, "actors.russia.belief_noise": 0.0})
    table = play(sample(certain, 60, np.random.default_rng(1)), protocol="equilibrium")
    agreed = table["result"] == "agreement"
    assert agreed.mean() > 0.5
    assert (table.loc[agreed, "round"] == 0).all()
    assert table.loc[~agreed, "round"].isin([-1, 0]).all()


@pytest.mark.parametrize("protocol", PROTOCOL_NAMES)
def test_no_agreement_below_a_reservation_utility(draws, tables, protocol):
    """At the parameters in force when the talks ended (the reference's own state: events may have moved them)."""
    agreed = np.flatnonzero(tables[protocol]["result"] == "agreement")
    assert agreed.size
    for k in agreed[::4]:
        table = Table(draws, int(k), protocol=protocol).run()
        assert table.result == "agreement", k
        for negotiator in table.negotiators:
            worth = negotiator.utility[table.agreement]
            assert worth >= negotiator.reservation_utility - TOLERANCE, (k, negotiator.name)


def test_nash_agreements_give_every_principal_a_positive_gain(scenario, draws, tables):
    table = tables["nash"]
    for k in np.flatnonzero(table["result"] == "agreement")[:60]:
        utilities = world_utilities(draws, int(k))
        for p in scenario.principals:
            assert table.loc[k, f"utility_{p}"] > utilities[f"reservation_{p}"].iloc[0]


def test_equilibrium_agreements_are_pareto_optimal(scenario):
    """With complete information (no belief noise) every agreement is one of the outcomes and none dominates it."""
    certain = with_overrides(scenario, {"actors.syria.belief_noise": 0.0, "actors.russia.belief_noise": 0.0})
    draws = sample(certain, 80, np.random.default_rng(2))
    table = play(draws, protocol="equilibrium")
    columns = [f"utility_{p}" for p in scenario.principals]
    agreed = np.flatnonzero(table["result"] == "agreement")
    assert agreed.size > 40
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
        assert batch_row(table, k, scenario) == play_one(draws, k, protocol=protocol), k


@pytest.mark.parametrize("protocol", PROTOCOL_NAMES)
def test_trace_ends_like_the_row(scenario, draws, tables, protocol):
    table = tables[protocol]
    last_round = 0 if protocol == "nash" else scenario.protocol.rounds - 1
    for k in range(0, WORLDS, 40):
        steps = trace(draws, world=k, protocol=protocol)
        last, row = steps.iloc[-1], table.iloc[k]
        assert last["status"] == row["result"], k
        if row["result"] == "talking":  # played to the horizon
            assert last["round"] == last_round and row["round"] == -1 and pd.isna(row["date"]), k
        else:
            assert (last["round"], last["date"]) == (row["round"], row["date"]), k
        assert (steps["status"].iloc[:-1] == "continue").all()
        if row["result"] == "agreement":
            assert [last[name] for name in scenario.issues] == [row[name] for name in scenario.issues]


def test_events_fire_in_alternating_offers_only(scenario, draws, tables):
    """The equilibrium is solved at round-0 parameters; alternating offers apply events."""
    first_fired = np.where(draws.event_fires, draws.event_round, np.iinfo(np.int64).max).min(axis=1)
    rounds = tables["alternating_offers"]["round"].to_numpy()
    last_played = np.where(rounds >= 0, rounds, scenario.protocol.rounds - 1)
    k = int(np.flatnonzero(first_fired <= last_played)[0])
    steps = trace(draws, world=k)
    assert steps["events"].str.len().gt(0).any()
    assert not trace(draws, world=k, protocol="equilibrium")["events"].str.len().gt(0).any()


def test_batch_size_keeps_a_batch_small(scenario):
    size = batch_size(scenario)
    assert 16 <= size <= 8192 and size & (size - 1) == 0

