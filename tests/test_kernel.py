"""The compiled per-world kernel (basesim.model.kernel) against the vectorised batch, its oracle, bit for bit.

Random small scenarios (tests/model_scenarios.py: 1-3 issues, 2-3 principals,
influencers, events, status quo and breakdown lotteries, delay costs,
deadlines, learning times, utility curves, 2-week to quarterly rounds), the
same scenarios with four or five principals, and the baseline: every row of
``play(draws, engine="kernel")`` equals ``play(draws)``, and so do the
arrays behind it (result, round, agreement, proposer, cause and the
parameters in force at the end, to the bit). The kernel's pieces are checked
on their own against numpy: numpy's own inner loops called from compiled
code, pairwise sums, the Pareto frontier and the power fast paths.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from model_scenarios import PROTOCOL_NAMES, small_scenarios
from numba import njit

from basesim.errors import UsageError
from basesim.model import kernel
from basesim.model.negotiation import NegotiationModel, play
from basesim.model.numpy_loops import FUNCTIONS, loop_addresses
from basesim.model.protocols.equilibrium import pareto_frontier
from basesim.scenario.loader import load_scenario, scenario_from_data
from basesim.scenario.sampling import sample

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "experiments"))
from benchmark_scenarios import variant, with_principals  # noqa: E402

WORLDS = 6
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
seeds = st.integers(0, 2**32 - 1)

#: Parameters events can change: the kernel returns its own arrays of them.
CHANGING = ("ideal_point", "salience", "leverage", "power", "outside_option", "concession", "patience",
            "belief_noise", "delay_cost", "deadline", "learning_time", "breakdown_risk")


def draws_of(scenario, seed, n=WORLDS):
    return sample(scenario, n, np.random.default_rng(seed))


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def assert_kernel_equals_batch(draws, protocol):
    """Rows equal (exactly), and the arrays behind them equal to the bit."""
    expected = play(draws, protocol=protocol)
    got = play(draws, protocol=protocol, engine="kernel")
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    batch = NegotiationModel(draws, protocol=protocol).run()
    compiled = kernel.run(draws, protocol=protocol)
    for name in ("result", "end_round", "agreement", "proposer_slot", "cause"):
        assert np.array_equal(getattr(compiled, name), getattr(batch, name)), (protocol, name)
    for name in CHANGING:
        assert same_bits(compiled.final[name], batch.final[name]), (protocol, name)


@SETTINGS
@given(scenario=small_scenarios(), seed=seeds)
def test_kernel_equals_batch_on_random_scenarios(scenario, seed):
    draws = draws_of(scenario, seed)
    for protocol in PROTOCOL_NAMES:
        assert_kernel_equals_batch(draws, protocol)


def _more_principals(scenario, count):
    return scenario_from_data(with_principals(scenario.to_data(), count), origin="<more principals>")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=small_scenarios(), count=st.integers(4, 5), seed=seeds)
def test_kernel_equals_batch_with_four_or_five_principals(scenario, count, seed):
    draws = draws_of(_more_principals(scenario, count), seed, n=4)
    for protocol in PROTOCOL_NAMES:
        assert_kernel_equals_batch(draws, protocol)


@SETTINGS
@given(scenario=small_scenarios(), seed=seeds)
def test_a_world_alone_equals_the_world_in_its_batch(scenario, seed):
    draws = draws_of(scenario, seed)
    for protocol in PROTOCOL_NAMES:
        table = play(draws, protocol=protocol, engine="kernel")
        for k in range(draws.n):
            alone = play(draws.take(np.array([k])), protocol=protocol, engine="kernel")
            pd.testing.assert_frame_equal(table.iloc[[k]].reset_index(drop=True), alone, check_exact=True)


@pytest.fixture(scope="module")
def baseline():
    return load_scenario(REPO / "scenarios" / "baseline.yaml")


@pytest.mark.parametrize("protocol", PROTOCOL_NAMES)
def test_kernel_equals_batch_on_the_baseline(baseline, protocol):
    """512 worlds of the baseline (events, an influencer, concave payers, a breakdown lottery), every protocol."""
    assert_kernel_equals_batch(draws_of(baseline, 20250128, n=512), protocol)


@pytest.mark.parametrize("axis,value", [("principals", 3), ("principals", 4), ("influencers", 2), ("levels", 6)])
def test_kernel_equals_batch_on_baseline_variants(baseline, axis, value):
    draws = draws_of(variant(baseline, axis, value), 7, n=64)
    for protocol in PROTOCOL_NAMES:
        assert_kernel_equals_batch(draws, protocol)


def test_other_protocols_run_on_the_batch(baseline):
    """expected_utility has no compiled kernel: engine='kernel' plays it on the batch, with the same rows."""
    draws = draws_of(baseline, 3, n=8)
    pd.testing.assert_frame_equal(play(draws, protocol="expected_utility", engine="kernel"),
                                  play(draws, protocol="expected_utility"), check_exact=True)


def test_an_unknown_engine_is_a_usage_error(baseline):
    draws = draws_of(baseline, 0, n=1)
    with pytest.raises(UsageError, match=r"engine: 'numba' is not an engine; expected one of batch, kernel"):
        play(draws, engine="numba")
    with pytest.raises(UsageError, match=r"protocol: 'haggle' is not a protocol; expected one of"):
        play(draws, protocol="haggle", engine="kernel")


# --- the pieces -----------------------------------------------------------------------------------------------


@njit
def _each_unary(address, x, out):
    for k in range(x.size):
        out[k] = kernel._scalar1(address, x[k])


@njit
def _whole_unary(address, x, out):
    kernel._loop1(address, x, out, x.size)


@njit
def _each_binary(address, x, y, out):
    for k in range(x.size):
        out[k] = kernel._scalar2(address, x[k], y[k])


ARGUMENTS = {
    "exp": lambda u: np.concatenate([-30 * u, [0.0, -0.0, 1e-300, 700.0]]),
    "log": lambda u: np.concatenate([u, 1.0 - 1e-9 * u, [1.0, 1e-300]]),
    "log1p": lambda u: np.concatenate([-u, -1e-12 * u, [0.0, -0.5]]),
    "expm1": lambda u: np.concatenate([3 * u, -3 * u, 1e-8 * u, [0.0, -0.0, 50.0]]),
}


@pytest.mark.parametrize("name", [f for f in FUNCTIONS if f != "power"])
def test_numpy_loops_called_from_compiled_code_round_as_numpy(name):
    """One argument at a time or a whole buffer: the values numpy gives, to the bit (not the C library's)."""
    address = loop_addresses()[FUNCTIONS.index(name)]
    x = ARGUMENTS[name](np.random.default_rng(1).random(20_000))
    expected = getattr(np, name)(x)
    each, whole = np.empty_like(x), np.empty_like(x)
    _each_unary(address, x, each)
    _whole_unary(address, x, whole)
    assert same_bits(each, expected) and same_bits(whole, expected)


def test_numpy_power_called_from_compiled_code_rounds_as_numpy():
    rng = np.random.default_rng(2)
    x, y = rng.random(20_000), 1.0 / (0.2 + 3 * rng.random(20_000))
    y[:100] = 2.0  # an exponent array of 2s is numpy's pow, not a square
    out = np.empty_like(x)
    _each_binary(loop_addresses()[FUNCTIONS.index("power")], x, y, out)
    assert same_bits(out, x ** y)


@njit
def _powers(loops, x, exponent, out):
    for k in range(x.size):
        out[k] = kernel._power_by_scalar(loops, x[k], exponent)


@pytest.mark.parametrize("exponent", [1.0, 2.0, 0.5, 3.0, 14 * 12 / 365.25, 12 / 365.25 * 10, 12.0])
def test_a_power_by_a_scalar_takes_numpy_fast_paths(exponent):
    """``patience ** Delta``: numpy squares for 2 and takes a square root for 0.5, else calls pow."""
    x = np.random.default_rng(3).uniform(0.5, 1.0, 5_000)
    out = np.empty_like(x)
    _powers(loop_addresses(), x, exponent, out)
    assert same_bits(out, x ** exponent)


def test_pairwise_sums_add_as_numpy_does():
    rng = np.random.default_rng(4)
    for count in [*range(1, 40), 127, 128, 129, 300, 1000, 4097]:
        x = rng.random(count) * rng.choice([1e-6, 1.0, 1e6], count)
        assert kernel._row_sum(x, 0, count) == x.sum(), count


@pytest.mark.parametrize("seed", range(20))
def test_the_frontier_is_the_batchs(seed):
    """Coarse utilities, so many ties: the same frontier points, in the same order, as pareto_frontier."""
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 400))
    utility = rng.integers(0, 12, (1, 2, k)) / 11.0
    bar = rng.uniform(0, 0.4, (1, 2))
    outcome, points, size = pareto_frontier(utility, bar)
    kept = np.zeros(k + 1, np.int64)
    x, y = np.zeros(k + 1), np.zeros(k + 1)
    count = kernel._frontier(utility[0, 0].copy(), utility[0, 1].copy(), bar[0, 0], bar[0, 1], kept, x, y)
    assert count == size[0]
    assert np.array_equal(kept[:count], outcome[0, :count])
    assert np.array_equal(x[:count], points[0, :count, 0]) and np.array_equal(y[:count], points[0, :count, 1])


def test_the_kernel_is_available_here():
    assert kernel.available()


@pytest.mark.parametrize("protocol", PROTOCOL_NAMES)
def test_a_run_on_the_kernel_equals_a_run_on_the_batch(baseline, protocol):
    """basesim.run plays on the kernel by default: the same table as on the batch, with 1 or 2 workers."""
    import basesim

    runs = 300 if protocol == "equilibrium" else 2500  # several batches of the baseline's 2048 worlds, or one
    on_batch = basesim.run(baseline, runs=runs, seed=11, protocol=protocol, workers=1, engine="batch")
    for workers in (1, 2):
        on_kernel = basesim.run(baseline, runs=runs, seed=11, protocol=protocol, workers=workers)
        pd.testing.assert_frame_equal(on_kernel.table, on_batch.table, check_exact=True)


def test_run_refuses_an_unknown_engine_before_any_work(baseline):
    import basesim

    with pytest.raises(UsageError, match=r"^engine: 'jit' is not an engine; expected one of batch, kernel$"):
        basesim.run(baseline, runs=10, engine="jit")
