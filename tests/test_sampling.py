"""Sampling: reproducible from a seed, row by row, and faithful to the declared distributions.

Goodness of fit is tested at fixed seeds (so the tests are deterministic):
Kolmogorov-Smirnov against each distribution's ``frozen()`` cdf for the
continuous ones, chi-square for the discrete ones, and Dirichlet marginals
against their Beta(alpha_i, sum(alpha) - alpha_i) laws (Devroye 1986, XI.4).
Each test also checks that it could fail: the same sample against a slightly
different law is rejected.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from basesim.scenario.distributions import Beta, Choice, Integers, Normal, Triangular, Uniform
from basesim.scenario.loader import load_scenario
from basesim.scenario.sampling import Draws, noise_columns, parameter_columns, sample, transform, uncertain_parameters, unit_columns
from conftest import SCENARIOS

N = 4000
ALPHA = 0.01  # a fixed-seed test rejects a correct sampler with this probability at most

#: The minimal scenario with one parameter of every kind of distribution, and an event.
OVERRIDES = {
    "actors.a.patience": {"dist": "uniform", "low": 0.5, "high": 0.9},
    "actors.a.ideal_point.share": {"dist": "normal", "mean": 0.6, "sd": 0.2, "low": 0.0, "high": 1.0},
    "actors.b.belief_noise": {"dist": "beta", "a": 2, "b": 5, "low": 0.1, "high": 0.9},
    "actors.a.concession": {"dist": "triangular", "low": 0.3, "mode": 0.6, "high": 1.5},
    "actors.b.power": {"dist": "choice", "values": [0.5, 1.0, 2.0], "weights": [1, 2, 1]},
    "events.talks_resume": {
        "round": {"dist": "integers", "low": 2, "high": 7},
        "probability": 0.4,
        "add": {"actors.a.outside_option": 0.1},
    },
}


@pytest.fixture(scope="module")
def every_kind():
    return load_scenario(SCENARIOS / "minimal.yaml", overrides=OVERRIDES)


@pytest.fixture(scope="module")
def baseline():
    return load_scenario(SCENARIOS / "baseline.yaml")


@pytest.fixture(scope="module")
def draws(every_kind):
    return sample(every_kind, N, np.random.default_rng(20250128))


def arrays(d: Draws) -> dict[str, np.ndarray]:
    """Every array of a Draws, flattened to one dict (inputs and event values included)."""
    out = {f: getattr(d, f) for f in d.__dataclass_fields__ if isinstance(getattr(d, f), np.ndarray)}
    out.update({f"inputs.{k}": v for k, v in d.inputs.items()})
    out.update({f"event_values.{k}": v for k, v in d.event_values.items()})
    return out


def assert_same(a: Draws, b: Draws) -> None:
    left, right = arrays(a), arrays(b)
    assert left.keys() == right.keys()
    for key in left:
        np.testing.assert_array_equal(left[key], right[key], err_msg=key)


# --- reproducibility -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["baseline", "every_kind"])
def test_same_seed_same_arrays(name, request):
    scenario = request.getfixturevalue(name)
    assert_same(sample(scenario, 300, np.random.default_rng(5)), sample(scenario, 300, np.random.default_rng(5)))
    other = sample(scenario, 300, np.random.default_rng(6))
    assert not np.array_equal(other.breakdown_u, sample(scenario, 300, np.random.default_rng(5)).breakdown_u)


@pytest.mark.parametrize("name", ["baseline", "every_kind"])
def test_first_rows_of_a_bigger_batch_equal_a_smaller_batch(name, request):
    scenario = request.getfixturevalue(name)
    small = sample(scenario, 50, np.random.default_rng(11))
    big = sample(scenario, 500, np.random.default_rng(11))
    assert_same(small, big.take(slice(0, 50)))


def test_a_replicate_replayed_alone_equals_its_row(baseline):
    unit = np.random.default_rng(3).random((200, len(unit_columns(baseline))))
    batch = transform(baseline, unit, replicate=np.arange(1000, 1200))
    for k in (0, 17, 199):
        alone = transform(baseline, unit[k : k + 1], replicate=np.array([1000 + k]))
        assert_same(alone, batch.take([k]))


def test_sample_consumes_exactly_one_matrix_of_uniforms(baseline):
    rng, twin = np.random.default_rng(9), np.random.default_rng(9)
    draws = sample(baseline, 123, rng, first_replicate=500)
    unit = twin.random((123, len(unit_columns(baseline))))
    assert rng.random() == twin.random()  # both generators are at the same state
    np.testing.assert_array_equal(draws.replicate, np.arange(500, 623))
    assert_same(draws, transform(baseline, unit, replicate=np.arange(500, 623)))


def test_columns_are_named_and_ordered(baseline, every_kind):
    columns = unit_columns(baseline)
    assert len(columns) == len(set(columns))
    parameters = parameter_columns(baseline)
    assert columns[: len(parameters)] == parameters
    assert columns[-len(noise_columns(baseline)) :] == noise_columns(baseline)
    # a Dirichlet takes one column per issue
    assert [c for c in parameters if c.startswith("actors.syria.salience.")] == [
        f"actors.syria.salience.{i}" for i in baseline.issue_names
    ]
    assert list(uncertain_parameters(every_kind)) == [
        "actors.a.ideal_point.share",
        "actors.a.concession",
        "actors.a.patience",
        "actors.b.power",
        "actors.b.belief_noise",
        "events.talks_resume.round",
    ]


# --- the declared distributions ----------------------------------------------------------------

CONTINUOUS = [
    ("actors.a.patience", Uniform(low=0.5, high=0.9), Uniform(low=0.5, high=0.92)),
    ("actors.a.ideal_point.share", Normal(mean=0.6, sd=0.2, low=0.0, high=1.0), Normal(mean=0.65, sd=0.2, low=0.0, high=1.0)),
    ("actors.b.belief_noise", Beta(a=2, b=5, low=0.1, high=0.9), Beta(a=2, b=4.6, low=0.1, high=0.9)),
    ("actors.a.concession", Triangular(low=0.3, mode=0.6, high=1.5), Triangular(low=0.3, mode=0.7, high=1.5)),
]


@pytest.mark.parametrize("path, declared, wrong", CONTINUOUS, ids=[d.dist for _, d, _ in CONTINUOUS])
def test_continuous_draws_follow_the_declared_distribution(every_kind, draws, path, declared, wrong):
    assert uncertain_parameters(every_kind)[path] == declared
    x = draws.inputs[path]
    assert x.shape == (N,)
    assert stats.kstest(x, declared.frozen().cdf).pvalue > ALPHA
    assert stats.kstest(x, wrong.frozen().cdf).pvalue < 1e-4  # the test has power
    low, high = declared.support()
    assert low <= x.min() and x.max() <= high


def test_draws_land_in_the_model_arrays(every_kind, draws):
    a, b = every_kind.actor_names.index("a"), every_kind.actor_names.index("b")
    np.testing.assert_array_equal(draws.patience[:, a], draws.inputs["actors.a.patience"])
    np.testing.assert_array_equal(draws.ideal_point[:, a, 0], draws.inputs["actors.a.ideal_point.share"])
    np.testing.assert_array_equal(draws.belief_noise[:, b], draws.inputs["actors.b.belief_noise"])
    np.testing.assert_array_equal(draws.power[:, b], draws.inputs["actors.b.power"])
    # fixed values are broadcast to every world
    np.testing.assert_array_equal(draws.patience[:, b], np.full(N, 0.9))
    np.testing.assert_array_equal(draws.ideal_point[:, b, 0], np.zeros(N))


def chi_square_pvalue(x: np.ndarray, values: list[float], probabilities: np.ndarray) -> float:
    observed = np.array([np.sum(x == v) for v in values])
    assert observed.sum() == len(x), "a draw outside the declared values"
    return stats.chisquare(observed, probabilities * len(x)).pvalue


def test_choice_follows_its_weights(draws):
    declared = Choice(values=[0.5, 1.0, 2.0], weights=[1, 2, 1])
    x = draws.inputs["actors.b.power"]
    assert chi_square_pvalue(x, declared.values, declared.probabilities()) > ALPHA
    assert chi_square_pvalue(x, declared.values, np.array([0.3, 0.5, 0.2])) < 1e-4


def test_integers_are_equally_likely(every_kind, draws):
    declared = Integers(low=2, high=7)
    x = draws.inputs["events.talks_resume.round"]
    np.testing.assert_array_equal(draws.event_round[:, 0], x)
    values = list(range(2, 8))
    assert chi_square_pvalue(x, values, np.full(6, 1 / 6)) > ALPHA
    assert chi_square_pvalue(x, values, declared.frozen().pmf(np.array(values)) * [1.12, 1, 1, 1, 1, 0.88]) < 1e-3


def test_events_fire_with_their_probability(draws):
    fired = draws.event_fires[:, 0]
    np.testing.assert_array_equal(draws.inputs["events.talks_resume.occurs"], fired)
    assert stats.binomtest(int(fired.sum()), N, 0.4).pvalue > ALPHA
    np.testing.assert_array_equal(draws.event_values[("talks_resume", "actors.a.outside_option")], np.full(N, 0.1))


def test_dirichlet_saliences_sum_to_one_with_mean_alpha_over_its_sum(baseline):
    draws = sample(baseline, N, np.random.default_rng(20250208))
    np.testing.assert_allclose(draws.salience.sum(axis=-1), 1.0, rtol=0, atol=1e-12)
    for actor in ("syria", "russia"):
        alpha = baseline.actors[actor].salience.alpha
        total = sum(alpha.values())
        a = baseline.actor_names.index(actor)
        for issue, weight in alpha.items():
            x = draws.inputs[f"actors.{actor}.salience.{issue}"]
            np.testing.assert_array_equal(x, draws.salience[:, a, baseline.issue_names.index(issue)])
            mean = weight / total
            standard_error = np.sqrt(mean * (1 - mean) / (total + 1) / N)
            assert abs(x.mean() - mean) < 4 * standard_error, (actor, issue)
            # each marginal is Beta(alpha_i, sum - alpha_i)
            assert stats.kstest(x, stats.beta(weight, total - weight).cdf).pvalue > ALPHA
            assert stats.kstest(x, stats.beta(weight * 1.1, total - weight).cdf).pvalue < 1e-4


def test_fixed_saliences_are_normalised(baseline):
    draws = sample(baseline, 10, np.random.default_rng(1))
    weights = baseline.actors["turkey"].salience
    expected = np.array([weights[i] for i in baseline.issue_names]) / sum(weights.values())
    np.testing.assert_allclose(draws.salience[:, baseline.actor_names.index("turkey")], np.tile(expected, (10, 1)))


def test_level_labels_become_their_values(baseline):
    draws = sample(baseline, 5, np.random.default_rng(1))
    russia, tartus = baseline.actor_names.index("russia"), baseline.issue_names.index("tartus")
    extradition = baseline.issue_names.index("extradition")
    np.testing.assert_array_equal(draws.ideal_point[:, russia, tartus], 1.0)  # full lease
    np.testing.assert_array_equal(draws.ideal_point[:, russia, extradition], 0.0)  # shelter


def test_leverage_sits_at_influencer_and_principal(baseline):
    draws = sample(baseline, N, np.random.default_rng(2))
    turkey, syria = baseline.actor_names.index("turkey"), baseline.actor_names.index("syria")
    x = draws.inputs["actors.turkey.leverage.syria"]
    np.testing.assert_array_equal(draws.leverage[:, turkey, syria], x)
    assert np.count_nonzero(draws.leverage) == np.count_nonzero(x)
    assert stats.kstest(x, baseline.actors["turkey"].leverage["syria"].frozen().cdf).pvalue > ALPHA


def test_in_run_noise_is_standard_normal_and_uniform(baseline):
    draws = sample(baseline, N, np.random.default_rng(4))
    assert draws.belief_ideal_z.shape == (N, 2, 3, 4)
    assert stats.kstest(draws.belief_ideal_z[:, 0, 1, 2], stats.norm.cdf).pvalue > ALPHA
    assert stats.kstest(draws.belief_salience_z[:, 1, 0, 0], stats.norm.cdf).pvalue > ALPHA
    assert draws.breakdown_u.shape == (N, baseline.protocol.rounds)
    assert stats.kstest(draws.breakdown_u[:, 5], stats.uniform.cdf).pvalue > ALPHA
