"""Quantile functions (basesim.scenario.quantiles) against scipy.stats' ppf.

The uniform, triangular, integer and truncated-normal quantiles must equal
scipy's bit for bit; the gamma and beta quantiles must lie within the stated
tolerances (GAMMA_TOLERANCE relative; BETA_TOLERANCE relative to min(x, 1 - x)
plus 2 ulp), over shapes drawn by hypothesis and points spread over the body
and both tails, except where scipy's own value is the one further from the
quantile (judged by the incomplete function at both values). Every distribution's ``ppf`` goes through them and agrees with
its ``scipy_ppf``, and so do the Latin hypercube and Sobol designs, which use
the same quantile path.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats

from basesim.scenario import quantiles
from basesim.scenario.distributions import Beta, Dirichlet, Integers, Normal, Triangular, Uniform
from basesim.scenario.loader import load_scenario
from basesim.scenario.sampling import transform, unit_columns
from conftest import SCENARIOS

EXAMPLES = settings(max_examples=60, deadline=None)

#: Boost warns where its own root finding gives up in the outermost tails (scipy's reference, and the
#: points handed to it); the comparisons still hold there.
pytestmark = pytest.mark.filterwarnings("ignore:Error in function boost:RuntimeWarning")

#: Odd points every comparison includes: the ends, the edges of the tables, just inside them, bad input.
EDGE_POINTS = np.array([0.0, 1.0, 1e-300, 5e-324, 1e-16, 6.2e-16, 1e-15, 1e-12, 0.5, 0.5 - 2**-54,
                        1 - 1e-12, 1 - 1e-15, 1 - 2**-53, np.nan, -0.25, 1.5, np.inf])


def points(seed: int, n: int = 600) -> np.ndarray:
    """Uniform points, points spread in logit over both tails down to 1e-16, and the edge points."""
    rng = np.random.default_rng(seed)
    logit = rng.uniform(-37, 37, n)
    return np.concatenate([rng.random(n), 1 / (1 + np.exp(-logit)), EDGE_POINTS])


def same_bits(fast: np.ndarray, reference: np.ndarray) -> None:
    np.testing.assert_array_equal(fast, np.asarray(reference, dtype=float))
    assert fast.dtype == np.float64


def finite_reals(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


# --- bit for bit ----------------------------------------------------------------------------------


@EXAMPLES
@given(low=finite_reals(-1e3, 1e3), width=finite_reals(1e-6, 1e3), seed=st.integers(0, 2**32 - 1))
def test_uniform_is_scipys_bit_for_bit(low, width, seed):
    high = low + width
    if not low < high:
        return
    u = points(seed)
    same_bits(quantiles.uniform(u, low=low, high=high), stats.uniform(loc=low, scale=high - low).ppf(u))


@EXAMPLES
@given(low=finite_reals(-10, 10), width=finite_reals(1e-6, 10), at=st.floats(0, 1), seed=st.integers(0, 2**32 - 1))
def test_triangular_is_scipys_bit_for_bit(low, width, at, seed):
    high = low + width
    mode = min(max(low + at * width, low), high)
    if not low < high:
        return
    u = points(seed)
    scale = high - low
    reference = stats.triang((mode - low) / scale, loc=low, scale=scale).ppf(u)
    same_bits(quantiles.triangular(u, low=low, mode=mode, high=high), reference)


@pytest.mark.parametrize("mode", ["low", "high"])
def test_triangular_with_the_mode_at_an_end(mode):
    u = points(3)
    low, high = 0.3, 1.2
    m = low if mode == "low" else high
    reference = stats.triang((m - low) / (high - low), loc=low, scale=high - low).ppf(u)
    same_bits(quantiles.triangular(u, low=low, mode=m, high=high), reference)


@EXAMPLES
@given(low=st.integers(-1000, 1000), span=st.integers(0, 500), seed=st.integers(0, 2**32 - 1))
def test_integers_are_scipys_randint_bit_for_bit(low, span, seed):
    high = low + span
    u = points(seed)
    reference = np.clip(stats.randint(low, high + 1).ppf(u), low, high)
    drawn = quantiles.integers(u, low=low, high=high)
    same_bits(drawn, reference)
    inside = (u >= 0) & (u <= 1)
    assert np.all((drawn[inside] >= low) & (drawn[inside] <= high))
    assert np.all(drawn[inside] == np.floor(drawn[inside]))


@EXAMPLES
@given(mean=finite_reals(-5, 5), sd=finite_reals(1e-3, 5), start=st.one_of(st.just(-math.inf), finite_reals(-8, 8)),
       width=st.one_of(st.just(math.inf), finite_reals(1e-3, 16)), seed=st.integers(0, 2**32 - 1))
def test_truncated_normal_is_scipys_bit_for_bit(mean, sd, start, width, seed):
    """Bounds ``start`` and ``start + width`` standard deviations from the mean (either may be infinite;
    the mean need not lie between them for the quantile function)."""
    low = mean + start * sd
    high = low + width * sd if math.isfinite(low) else (mean + width * sd if math.isfinite(width) else math.inf)
    if not low < high:
        return
    u = points(seed)
    with np.errstate(all="ignore"):
        reference = stats.truncnorm((low - mean) / sd, (high - mean) / sd, loc=mean, scale=sd).ppf(u)
    same_bits(quantiles.truncated_normal(u, mean=mean, sd=sd, low=low, high=high), reference)


# --- within the stated tolerance ----------------------------------------------------------------------


def scipy_is_further_off(far: np.ndarray, fast: np.ndarray, reference: np.ndarray, u: np.ndarray,
                         lower: Callable, upper: Callable) -> None:
    """Where ``fast`` is beyond the tolerance from scipy, scipy's own value must be the one further from
    the quantile: the incomplete function (``lower`` = P, ``upper`` = 1 - P, each accurate to a few ulp)
    misses u by more at scipy's value than at ours. (Scipy's beta quantile is off by 5e-11 at the
    median of Beta(2.125, 2.125), for one.)"""
    for x, ref, p in zip(fast[far], reference[far], u[far]):
        def miss(v):
            return abs(lower(v) - p) if p <= 0.5 else abs(upper(v) - (1 - p))
        assert miss(x) <= miss(ref), (p, x, ref)


def assert_gamma_close(fast: np.ndarray, reference: np.ndarray, u: np.ndarray, shape: float) -> None:
    assert fast.shape == reference.shape
    np.testing.assert_array_equal(np.isnan(fast), np.isnan(reference))
    ok = ~np.isnan(reference)
    np.testing.assert_array_equal(fast[ok & ~np.isfinite(reference)], reference[ok & ~np.isfinite(reference)])
    np.testing.assert_array_equal(fast[ok & (reference == 0)], 0.0)
    finite = ok & np.isfinite(reference) & (reference > 0)
    far = np.zeros_like(finite)
    far[finite] = np.abs(fast[finite] - reference[finite]) > quantiles.GAMMA_TOLERANCE * reference[finite]
    scipy_is_further_off(far, fast, reference, u, lambda x: special.gammainc(shape, x),
                         lambda x: special.gammaincc(shape, x))


def assert_beta_close(fast: np.ndarray, reference: np.ndarray, u: np.ndarray, a: float, b: float) -> None:
    """On the standard beta: |difference| <= BETA_TOLERANCE * min(x, 1 - x) + 2 ulp of x."""
    np.testing.assert_array_equal(np.isnan(fast), np.isnan(reference))
    ok = ~np.isnan(reference)
    far = np.zeros_like(ok)
    allowed = quantiles.BETA_TOLERANCE * np.minimum(reference[ok], 1 - reference[ok]) + 2 * np.spacing(reference[ok])
    far[ok] = np.abs(fast[ok] - reference[ok]) > allowed
    scipy_is_further_off(far, fast, reference, u, lambda x: special.betainc(a, b, x),
                         lambda x: special.betaincc(a, b, x))


shapes = st.one_of(
    st.floats(1.0, 12.0),                                        # the usual Dirichlet weights
    st.integers(1, 40).map(float),                               # whole shapes
    st.integers(2, 80).map(lambda k: k / 2),                     # half-integer shapes
    st.floats(math.log(1.0), math.log(1e4)).map(math.exp),       # across the tabulated range
    st.floats(0.05, 1.0),                                        # below it: scipy's own function
    st.floats(1e4, 1e5),                                         # above it: likewise
)


@EXAMPLES
@given(shape=shapes, seed=st.integers(0, 2**32 - 1))
def test_gamma_within_tolerance_of_scipy(shape, seed):
    u = points(seed)
    with np.errstate(all="ignore"):
        reference = stats.gamma.ppf(u, shape)
    assert_gamma_close(quantiles.gamma(u, shape), reference, u, shape)


@EXAMPLES
@given(a=shapes, b=shapes, seed=st.integers(0, 2**32 - 1))
def test_beta_within_tolerance_of_scipy(a, b, seed):
    u = points(seed, n=400)
    u = u[u != 5e-324]  # Boost's beta quantile raises OverflowError there for large shapes (scipy's too)
    with np.errstate(all="ignore"):
        reference = stats.beta(a, b).ppf(u)
    assert_beta_close(quantiles.beta(u, a=a, b=b), reference, u, a, b)


def test_outside_the_tabulated_shapes_and_points_it_is_scipys_function():
    u = points(11)
    for shape in (0.3, 0.999, 1e4 * 1.01):
        same_bits(quantiles.gamma(u, shape), special.gammaincinv(shape, u))
    outermost = np.array([1e-300, 1e-17, 1 - 2**-53])
    same_bits(quantiles.gamma(outermost, 3.0), special.gammaincinv(3.0, outermost))
    same_bits(quantiles.beta(outermost, a=2.0, b=5.0), stats.beta(2.0, 5.0).ppf(outermost))


def test_gamma_takes_one_shape_per_column_and_any_array_shape():
    rng = np.random.default_rng(5)
    u = rng.random((300, 5))
    alpha = np.array([3.0, 3.0, 2.0, 3.5, 0.5])
    fast = quantiles.gamma(u, alpha)
    for j, shape in enumerate(alpha):
        assert_gamma_close(fast[:, j], stats.gamma.ppf(u[:, j], shape), u[:, j], shape)
    # a column depends on its own points and shape only
    np.testing.assert_array_equal(fast[:, 2], quantiles.gamma(u[:, 2], 2.0))
    grid = rng.random((4, 6, 7))
    assert quantiles.gamma(grid, 2.5).shape == grid.shape
    assert_gamma_close(quantiles.gamma(grid, 2.5).ravel(), stats.gamma.ppf(grid, 2.5).ravel(), grid.ravel(), 2.5)
    assert float(quantiles.gamma(np.float64(0.3), 2.0)) == pytest.approx(stats.gamma.ppf(0.3, 2.0), rel=1e-14)


def test_scaled_beta_is_scipys_scaled_beta():
    u = points(8)
    low, high = 0.1, 0.9
    fast = quantiles.beta(u, a=2.0, b=5.0, low=low, high=high)
    with np.errstate(all="ignore"):
        reference = stats.beta(2.0, 5.0, loc=low, scale=high - low).ppf(u)
    standard = (reference - low) / (high - low)
    allowed = (quantiles.BETA_TOLERANCE * np.minimum(standard, 1 - standard) * (high - low)
               + 4 * np.spacing(np.abs(reference) + abs(low)))
    ok = ~np.isnan(reference)
    assert np.all(np.abs(fast[ok] - reference[ok]) <= allowed[ok])
    np.testing.assert_array_equal(np.isnan(fast), np.isnan(reference))


def test_a_row_does_not_depend_on_the_batch():
    """Replaying one replicate alone must give its row of the batch (sampling's contract)."""
    u = points(21)
    u = u[(u > 0) & (u < 1)]
    for fast in (lambda v: quantiles.gamma(v, 3.5), lambda v: quantiles.beta(v, a=2.0, b=7.0),
                 lambda v: quantiles.truncated_normal(v, mean=0.6, sd=0.2, low=0.0, high=1.0)):
        batch = fast(u)
        alone = np.array([fast(u[k : k + 1])[0] for k in range(0, u.size, 37)])
        np.testing.assert_array_equal(alone, batch[::37])


# --- through the distributions and the designs -----------------------------------------------------------

DISTRIBUTIONS = [
    Uniform(low=-0.15, high=0.1),
    Triangular(low=0.3, mode=0.6, high=1.2),
    Integers(low=3, high=9),
    Normal(mean=0.7, sd=0.1, low=0.0, high=1.0),
    Normal(mean=0.0, sd=2.0),
    Beta(a=2.0, b=5.0, low=0.1, high=0.9),
]


@pytest.mark.parametrize("dist", DISTRIBUTIONS, ids=lambda d: d.dist)
def test_every_distribution_ppf_agrees_with_its_scipy_ppf(dist):
    u = np.random.default_rng(4).random(5000)
    fast, reference = dist.ppf(u), dist.scipy_ppf(u)
    if isinstance(dist, Beta):
        np.testing.assert_allclose(fast, reference, rtol=quantiles.BETA_TOLERANCE, atol=0)
    else:
        same_bits(fast, reference)


def test_dirichlet_saliences_agree_with_scipys_gamma_route():
    dist = Dirichlet(alpha={"extradition": 4, "compensation": 3, "tartus": 4, "khmeimim": 3.5})
    u = np.random.default_rng(6).random((5000, 4))
    fast, reference = dist.ppf(u), dist.scipy_ppf(u)
    np.testing.assert_allclose(fast.sum(axis=1), 1.0, rtol=1e-15)
    # normalising adds at most a few roundings to the gammas' tolerance
    np.testing.assert_allclose(fast, reference, rtol=2 * quantiles.GAMMA_TOLERANCE, atol=0)


def _with_scipy_quantiles(monkeypatch) -> None:
    from basesim.scenario import distributions

    for kind in distributions.DISTRIBUTIONS.values():
        monkeypatch.setattr(kind, "ppf", kind.scipy_ppf)


@pytest.mark.parametrize("design", ["lhs", "sobol", "common random numbers"])
def test_designs_give_scipys_draws(design, monkeypatch):
    """Latin hypercube and Sobol points and a shared (common-random-number) matrix of uniforms go
    through the same quantile functions: the draws equal those of the scipy.stats route."""
    scenario = load_scenario(SCENARIOS / "baseline.yaml")
    columns = len(unit_columns(scenario))
    if design == "lhs":
        unit = stats.qmc.LatinHypercube(d=columns, seed=1).random(256)
    elif design == "sobol":
        unit = stats.qmc.Sobol(d=columns, scramble=True, seed=1).random(256)
    else:
        unit = np.random.default_rng(1).random((256, columns))
    fast = transform(scenario, unit)
    _with_scipy_quantiles(monkeypatch)
    reference = transform(scenario, unit)
    for name in ("ideal_point", "salience", "leverage", "power", "outside_option", "concession", "patience",
                 "breakdown_risk", "event_round", "event_fires"):
        np.testing.assert_allclose(getattr(fast, name), getattr(reference, name), rtol=2 * quantiles.GAMMA_TOLERANCE,
                                   atol=0, err_msg=name)
    assert fast.inputs.keys() == reference.inputs.keys()
    for key in fast.inputs:
        np.testing.assert_allclose(fast.inputs[key], reference.inputs[key], rtol=2 * quantiles.GAMMA_TOLERANCE,
                                   atol=0, err_msg=key)


def test_against_the_quantile_to_forty_digits():
    """Both routes' errors, measured against the incomplete gamma evaluated with mpmath: the
    tabulated route is as close to the true quantile as scipy's (within 40 ulp here)."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    rng = np.random.default_rng(12)
    for a in (1.0, 1.5, 3.5, 50.0):
        u = np.concatenate([rng.random(12), [1e-12, 3e-9, 0.999999, 1 - 1e-12]])
        x = quantiles.gamma(u, a)
        for uk, xk in zip(u, x):
            am, xm, um = mpmath.mpf(a), mpmath.mpf(float(xk)), mpmath.mpf(float(uk))
            if uk < 0.5:
                residual = mpmath.gammainc(am, 0, xm, regularized=True) - um
            else:
                residual = (1 - um) - mpmath.gammainc(am, xm, mpmath.inf, regularized=True)
            density = mpmath.exp((am - 1) * mpmath.log(xm) - xm - mpmath.loggamma(am))
            assert float(abs(residual / density)) <= 40 * np.spacing(float(xk)), (a, uk)
