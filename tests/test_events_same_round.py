"""Events of one round change only the worlds where they fire.

When an event that changes saliences and one that changes an outside option
share a round, a world hit only by the second must not have its saliences
renormalised (that changes them in the last bit): its row must equal the
reference model's and its own row when played alone.
"""

from __future__ import annotations

import numpy as np
import pytest

from basesim.scenario.loader import load_scenario, scenario_from_data
from basesim.model.negotiation import play
from basesim.model.reference import play_one
from basesim.scenario.sampling import sample

SALIENCE = {"round": 3, "probability": 0.5, "add": {"actors.turkey.salience.compensation": 0.05}}
OUTSIDE = {"round": 3, "probability": 0.5, "add": {"actors.syria.outside_option": 0.10}}


@pytest.mark.parametrize("order", [("salience", "outside"), ("outside", "salience")])
def test_a_world_feels_only_its_own_events(order):
    data = load_scenario("scenarios/baseline.yaml").to_data()
    data["events"] = {name: {"salience": SALIENCE, "outside": OUTSIDE}[name] for name in order}
    scenario = scenario_from_data(data)
    draws = sample(scenario, 400, np.random.default_rng(4))
    table = play(draws)
    both = draws.event_fires.all(axis=1)
    one = draws.event_fires.any(axis=1) & ~both
    assert both.any() and one.any()  # the case under test occurs
    columns = ["result", "round", *scenario.issue_names, *(f"utility_{a}" for a in scenario.actor_names)]
    for k in range(120):
        reference = play_one(draws, k)
        row = table.iloc[k]
        assert [row[c] if not isinstance(row[c], float) else float(row[c]) for c in columns] == [
            reference[c] for c in columns
        ], k
        alone = play(draws.take(np.array([k]))).iloc[0]
        assert alone.drop("replicate").equals(row.drop("replicate")), k
