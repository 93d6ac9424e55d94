"""The expected-utility model (basesim.model.expected_utility): known answers, invariants, batch == reference.

Known answers: the European Community example of Scholz, Calbert and Smith
(2011) (from Bueno de Mesquita 1994, p. 78: the date of emission standards for
medium-sized cars), whose first-pass risk exponents the public replications
report. Later rounds are this implementation's convention (docs/expected_utility.md)
and are pinned as such, not as published figures.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from basesim.errors import UsageError
from basesim.model.expected_utility import (
    CAPITULATION,
    COMPROMISE,
    CONFRONTATION,
    NO_MOVE,
    PROBABILITY_RULES,
    pairwise_votes,
    play_issue,
    weighted_mean,
)
from basesim.model.expected_utility_reference import play_world

# name: (capability, position, salience); Scholz, Calbert and Smith (2011), Table 1
EC_EXAMPLE = {
    "Netherlands": (0.08, 4, 0.8),
    "Belgium": (0.08, 7, 0.4),
    "Luxembourg": (0.03, 4, 0.2),
    "Germany": (0.16, 4, 0.8),
    "France": (0.16, 10, 0.6),
    "Italy": (0.16, 10, 0.6),
    "UK": (0.16, 10, 0.9),
    "Ireland": (0.05, 7, 0.1),
    "Denmark": (0.05, 4, 1.0),
    "Greece": (0.08, 7, 0.7),
}
# first pass, Q = T = 1 (Masad's replication of Scholz et al.)
EC_RISK = {
    "Netherlands": 1.127,
    "Belgium": 0.781,
    "Luxembourg": 0.500,
    "Germany": 1.127,
    "France": 1.078,
    "Italy": 1.078,
    "UK": 2.000,
    "Ireland": 0.525,
    "Denmark": 1.472,
    "Greece": 1.140,
}
NAMES = list(EC_EXAMPLE)


def ec_arrays(worlds: int = 1):
    capability, position, salience = (
        np.tile(np.array(col, float), (worlds, 1)) for col in zip(*EC_EXAMPLE.values())
    )
    return position, salience, capability


def ec_path(**options):
    position, salience, capability = ec_arrays()
    return play_issue(position, salience, capability, **{"rounds": 10, **options})


# --- known answers --------------------------------------------------------------------


def test_ec_weighted_mean_is_capability_times_salience():
    position, salience, capability = ec_arrays()
    assert weighted_mean(position, capability * salience)[0] == pytest.approx(
        7.390, abs=5e-4
    )
    assert weighted_mean(position, capability)[0] == pytest.approx(
        7.475, abs=5e-4
    )  # the common mistake
    assert ec_path(rounds=0).mean[0, 0] == pytest.approx(7.390, abs=5e-4)


def test_ec_pairwise_vote_winner_is_7():
    position, salience, capability = ec_arrays()
    candidate = np.array([[4.0, 7.0, 10.0]])
    net, _, _ = pairwise_votes(
        position, capability * salience, candidate, np.array([6.0])
    )
    assert net[0, 1, 0] > 0 and net[0, 1, 2] > 0  # 7 beats 4 and 10
    assert net[0, 2, 0] > 0  # and 10 beats 4: a ranking 7 > 10 > 4, no cycle
    path = ec_path(rounds=0)
    assert path.winner[0, 0] == 7.0
    assert NAMES[path.winner_index[0, 0]] == "Belgium"  # the first actor at 7


def test_ec_first_pass_risk_exponents():
    risk = ec_path(rounds=1).risk[0, 0]
    assert dict(zip(NAMES, np.round(risk, 3))) == pytest.approx(EC_RISK, abs=5e-4)


def test_ec_literal_supporters_reading_gives_other_exponents():
    """SCS eq. 30 read as a sum over i's supporters does not give the published exponents."""
    risk = ec_path(rounds=1, probability="supporters").risk[0, 0]
    expected = [1.117, 1.004, 0.500, 1.117, 1.018, 1.018, 2.000, 0.648, 1.454, 1.557]
    np.testing.assert_allclose(risk, expected, atol=5e-4)
    assert abs(risk[NAMES.index("Belgium")] - EC_RISK["Belgium"]) > 0.2


def test_ec_later_rounds_under_this_convention():
    """Pinned path (printed equations; smallest forced move): not a published figure.

    Belgium concedes towards the Netherlands' 4, Luxembourg first towards
    Greece, then back; the 4 and 10 camps never move, so no agreement.
    """
    path = ec_path()
    first = dict(zip(NAMES, path.moves[0, 0]))
    assert first == {
        n: COMPROMISE if n in ("Belgium", "Luxembourg", "Ireland") else NO_MOVE
        for n in NAMES
    }
    assert NAMES[path.challenger[0, 0, NAMES.index("Belgium")]] == "Netherlands"
    assert NAMES[path.challenger[0, 0, NAMES.index("Luxembourg")]] == "Greece"
    np.testing.assert_allclose(
        path.positions[0, 1], [4, 5.152, 4.854, 4, 10, 10, 10, 6.865, 4, 7], atol=5e-4
    )
    np.testing.assert_allclose(
        path.mean[0, [0, 1, 5, 10]], [7.390, 7.309, 7.252, 7.248], atol=5e-4
    )
    assert (path.winner[0] == 7.0).all()
    assert path.agreed_round[0] == -1 and not path.converged[0]
    assert path.settled_round[0] == 7  # moves below 1% of the range from round 7 on


# --- invariants -----------------------------------------------------------------------


def test_everyone_agreeing_is_settled_at_once():
    path = play_issue(
        np.full((2, 3), 0.4), np.full((2, 3), 0.5), np.ones((2, 3)), rounds=3
    )
    assert (path.positions == 0.4).all() and (path.moves == NO_MOVE).all()
    assert (path.agreed_round == 0).all() and (path.settled_round == 0).all()
    assert (path.risk == 1.0).all()  # equal exposure: risk neutral
    assert (path.position_range == 1.0).all()


def test_two_camps_a_strong_one_pulls_the_weak_one():
    """A capable, resolute actor against a weak one: the weak one gives in."""
    path = play_issue(
        np.array([[0.0, 1.0]]), np.array([[1.0, 0.2]]), np.array([[1.0, 0.1]]), rounds=2
    )
    assert path.moves[0, 0, 1] in (CONFRONTATION, COMPROMISE, CAPITULATION)
    assert path.positions[0, -1, 1] < 1.0
    assert path.positions[0, -1, 0] == 0.0


def test_status_quo_is_a_candidate_and_wins_ties():
    position, salience, capability = ec_arrays()
    at_winner = play_issue(position, salience, capability, rounds=0, status_quo=7.0)
    assert at_winner.winner_index[0, 0] == -1 and at_winner.winner[0, 0] == 7.0
    far = play_issue(position, salience, capability, rounds=0, status_quo=10.0)
    assert (
        far.winner[0, 0] == 7.0 and far.status_quo_support[0, 0] > 0
    )  # the forecast beats a status quo at 10
    assert ec_path(rounds=0).status_quo_support is None


# --- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, message",
    [
        (
            {"salience": np.full((1, 3), 1.5)},
            "expected utility: salience of world 0, actor 0 is 1.5; it must be a finite number at least 0 and at most 1",
        ),
        (
            {"capability": np.full((1, 2), 1.0)},
            "expected utility: capability has shape (1, 2); it must have shape (1, 3) (worlds, actors)",
        ),
        (
            {"capability": np.zeros((1, 3))},
            "expected utility: world 0 has no actor with both capability and salience above 0",
        ),
        (
            {"position": np.array([[0.0, np.nan, 1.0]])},
            "expected utility: position of world 0, actor 1 is nan; it must be a finite number",
        ),
        (
            {"capability": np.array([[1.0, 1.0, -2.0]])},
            "expected utility: capability of world 0, actor 2 is -2.0; it must be a finite number at least 0",
        ),
        (
            {"rounds": -1},
            "expected utility: rounds is -1; it must be a whole number, 0 or more",
        ),
        (
            {"probability": "mean"},
            "expected utility: probability is 'mean'; allowed: net, supporters",
        ),
        (
            {"no_change_probability": 2.0},
            "expected utility: no_change_probability is 2.0; it must lie in [0, 1]",
        ),
    ],
)
def test_bad_input_is_refused_with_one_message(change, message):
    arguments = {
        "position": np.array([[0.0, 0.5, 1.0]]),
        "salience": np.full((1, 3), 0.5),
        "capability": np.ones((1, 3)),
    }
    arguments.update({k: v for k, v in change.items() if k in arguments})
    options = {"rounds": 2, **{k: v for k, v in change.items() if k not in arguments}}
    with pytest.raises(UsageError) as error:
        play_issue(**arguments, **options)
    assert str(error.value) == message


def test_position_range_must_cover_the_positions():
    with pytest.raises(
        UsageError,
        match="position_range must be positive and cover the initial positions",
    ):
        play_issue(
            np.array([[0.0, 2.0]]),
            np.ones((1, 2)),
            np.ones((1, 2)),
            rounds=1,
            position_range=1.0,
        )


# --- the batch against the per-world reference ------------------------------------------

GRID = st.sampled_from(
    [0.0, 0.25, 0.5, 0.75, 1.0]
)  # shared positions: ties and equal positions
UNIT = st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0))


@st.composite
def batches(draw):
    worlds = draw(st.integers(1, 4))
    actors = draw(st.integers(1, 6))
    coarse = draw(st.booleans())
    values = GRID if coarse else st.floats(-3.0, 3.0, allow_subnormal=False)
    shape = (worlds, actors)
    position = np.array(
        draw(st.lists(values, min_size=worlds * actors, max_size=worlds * actors))
    ).reshape(shape)
    salience = np.array(
        draw(st.lists(UNIT, min_size=worlds * actors, max_size=worlds * actors))
    ).reshape(shape)
    capability = np.array(
        draw(
            st.lists(
                st.floats(0.0, 5.0), min_size=worlds * actors, max_size=worlds * actors
            )
        )
    ).reshape(shape)
    salience[:, 0] = np.maximum(salience[:, 0], 0.1)  # every world needs some weight
    capability[:, 0] = np.maximum(capability[:, 0], 0.1)
    options = {
        "rounds": draw(st.integers(0, 4)),
        "no_change_probability": draw(
            st.sampled_from([1.0, 0.5, 0.0]) | st.floats(0.0, 1.0)
        ),
        "improvement_probability": draw(
            st.sampled_from([1.0, 0.0]) | st.floats(0.0, 1.0)
        ),
        "probability": draw(st.sampled_from(PROBABILITY_RULES)),
        "tolerance": draw(st.sampled_from([0.0, 0.01, 0.2])),
    }
    if draw(st.booleans()):
        options["status_quo"] = np.array(
            draw(st.lists(values, min_size=worlds, max_size=worlds))
        )
    if draw(st.booleans()):
        spread = position.max(axis=1) - position.min(axis=1)
        options["position_range"] = spread + draw(st.floats(0.01, 2.0))
    return position, salience, capability, options


def assert_world_matches(path, k, reference):
    def same(batch, ref):
        np.testing.assert_array_equal(
            np.asarray(batch), np.asarray(ref, dtype=np.asarray(batch).dtype)
        )

    same(path.positions[k], reference.positions)
    same(path.mean[k], reference.mean)
    same(path.winner[k], reference.winner)
    same(path.winner_index[k], reference.winner_index)
    same(path.risk[k], np.reshape(reference.risk, path.risk[k].shape))
    same(path.moves[k], np.reshape(reference.moves, path.moves[k].shape))
    same(path.challenger[k], np.reshape(reference.challenger, path.challenger[k].shape))
    same(path.spread[k], reference.spread)
    if reference.status_quo_support is None:
        assert path.status_quo_support is None
    else:
        same(path.status_quo_support[k], reference.status_quo_support)
    assert path.agreed_round[k] == reference.agreed_round
    assert path.settled_round[k] == reference.settled_round
    assert path.position_range[k] == reference.position_range


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=batches())
def test_batch_equals_reference_bit_for_bit(batch):
    position, salience, capability, options = batch
    path = play_issue(position, salience, capability, **options)
    for k in range(position.shape[0]):
        world = dict(options)
        for key in ("status_quo", "position_range"):
            if key in world:
                world[key] = float(world[key][k])
        reference = play_world(
            position[k].tolist(), salience[k].tolist(), capability[k].tolist(), **world
        )
        assert_world_matches(path, k, reference)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=batches())
def test_invariants(batch):
    position, salience, capability, options = batch
    path = play_issue(position, salience, capability, **options)
    rounds = options["rounds"]
    assert path.positions.shape == (position.shape[0], rounds + 1, position.shape[1])
    # every move lands between two current positions: the hull never grows
    assert (np.diff(path.spread, axis=1) <= 1e-12).all()
    assert (path.positions.min(axis=(1, 2)) >= position.min(axis=1)).all()
    assert (path.positions.max(axis=(1, 2)) <= position.max(axis=1)).all()
    assert ((path.risk >= 0.5 - 1e-12) & (path.risk <= 2.0 + 1e-12)).all()
    np.testing.assert_array_equal(path.positions[:, 0], position)
    moved = path.positions[:, 1:] != path.positions[:, :-1]
    assert not (moved & (path.moves == NO_MOVE)).any()
    # a world gives the same path alone as in its batch
    alone = play_issue(
        position[-1:],
        salience[-1:],
        capability[-1:],
        **{k: (v[-1:] if isinstance(v, np.ndarray) else v) for k, v in options.items()},
    )
    np.testing.assert_array_equal(alone.positions[0], path.positions[-1])
