"""Quantile functions of the scenario distributions, vectorised and cheap.

Sampling maps unit-hypercube points ``u`` to parameter values through each
distribution's quantile function (plain Monte Carlo, Latin hypercube and
Sobol designs, common random numbers all go through here). Calling
``scipy.stats`` frozen distributions costs about a microsecond per replication
and parameter in argument checks and copies alone, and scipy's gamma and beta
quantiles (Boost's ``gamma_p_inv``/``ibeta_inv``) cost 270-550 ns an element.
The functions here give scipy's numbers by cheaper routes:

- ``uniform``, ``triangular``, ``integers``, ``truncated_normal``: the same
  floating-point operations as ``scipy.stats`` (``uniform``, ``triang``,
  ``randint``, ``truncnorm``) without the generic wrapper, so the same bits.
- ``gamma`` and ``beta``: a table of the quantile against ``z = ndtri(u)``
  (of log x for the gamma, logit x for the beta), read by quintic Hermite
  interpolation, per shape and per process. Its nodes are scipy's quantiles
  refined by two Halley steps on the incomplete gamma or beta function (the
  refinement Numerical Recipes uses: Press et al. 2007, *Numerical Recipes*,
  3rd ed., 6.2.1 and 6.4), its slopes and curvatures come from the density.
  Where ``|z| > Z_POLISH`` (1.2% of points) ``ndtri``'s rounding would be
  magnified, so those points get one Halley step too. About 35 ns a point
  for the gamma against scipy's 270-340, 50 against 550 for the beta.

  The results are within :data:`GAMMA_TOLERANCE` (relative) and
  :data:`BETA_TOLERANCE` (relative to min(x, 1 - x), plus 2 ulp) of scipy's.
  Most of that gap is scipy's own error: against the incomplete functions
  evaluated to 40-50 digits (mpmath), both are within about 35 ulp for the
  gamma (scipy up to 91 ulp at shape 1.5), and where they differ most for the
  beta (shapes 3 and 10,000; 8 and 323) scipy is off by 2-3e-13 and this
  module by under 4e-15 (and scipy's median of Beta(2.125, 2.125) is off
  by 5e-11). Shapes outside :data:`FAST_SHAPES` and points in
  the outermost tails (``u`` below ``ndtr(-8)`` = 6e-16 or above 1 minus
  it) use scipy's function itself.

Every function takes ``u`` of any shape and returns float64 of that shape;
``u = 0`` and ``u = 1`` give the ends of the support and points outside
[0, 1] give NaN, as in scipy.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
from scipy import special

__all__ = [
    "FAST_SHAPES",
    "BETA_TOLERANCE",
    "GAMMA_TOLERANCE",
    "beta",
    "gamma",
    "integers",
    "triangular",
    "truncated_normal",
    "uniform",
]

#: Largest difference from scipy's gamma quantile, relative to it (measured: 1.4e-14).
GAMMA_TOLERANCE = 5e-14

#: Largest difference from scipy's beta quantile x on [0, 1], relative to min(x, 1 - x) once
#: 2 ulp of x are allowed for (measured: 3.1e-13, scipy's own error).
BETA_TOLERANCE = 1e-12

#: Shape parameters given the tabulated route (scipy's function outside).
FAST_SHAPES = (1.0, 1e4)

#: Table nodes on z in [-Z_MAX, Z_MAX].
Z_MAX = 8.0
NODES = 1024

#: Points with |ndtri(u)| above this get one Halley step on the incomplete function.
Z_POLISH = 2.5

#: Tables kept per process, by law and shape (cleared past this many).
_TABLE_LIMIT = 256
_TABLES: dict[tuple, "_Table"] = {}

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_LN2 = math.log(2.0)


# --- exact replicas of scipy.stats ------------------------------------------------------------


def _at_ends(u: np.ndarray, out: np.ndarray, lowest: float, highest: float) -> np.ndarray:
    """``out`` where 0 < u < 1, the support's ends at u = 0 and 1, NaN elsewhere (rv_continuous.ppf)."""
    inside = (u > 0) & (u < 1)
    if inside.all():
        return out
    return np.where(inside, out, np.where(u == 0, lowest, np.where(u == 1, highest, np.nan)))


def uniform(u: np.ndarray, *, low: float, high: float) -> np.ndarray:
    """Uniform on [low, high]: ``scipy.stats.uniform(low, high - low).ppf(u)``, bit for bit."""
    u = np.asarray(u, dtype=float)
    scale = high - low
    return _at_ends(u, u * scale + low, low, 1.0 * scale + low)


def triangular(u: np.ndarray, *, low: float, mode: float, high: float) -> np.ndarray:
    """Triangular: ``scipy.stats.triang(c, low, high - low).ppf(u)``, bit for bit."""
    u = np.asarray(u, dtype=float)
    scale = high - low
    c = (mode - low) / scale
    with np.errstate(invalid="ignore"):
        x = np.where(u < c, np.sqrt(c * u), 1 - np.sqrt((1 - c) * (1 - u)))
    return _at_ends(u, x * scale + low, low, 1.0 * scale + low)


def integers(u: np.ndarray, *, low: int, high: int) -> np.ndarray:
    """Whole numbers low..high equally likely: ``scipy.stats.randint(low, high + 1).ppf(u)`` clipped
    to [low, high] (scipy gives low - 1 at u = 0), as floats, bit for bit."""
    u = np.asarray(u, dtype=float)
    top = high + 1
    span = float(top - low)
    vals = np.ceil(u * span + low) - 1
    vals1 = np.clip(vals - 1, low, top)
    x = np.where((np.floor(vals1) - low + 1.0) / span >= u, vals1, vals)
    return np.clip(_at_ends(u, x, low - 1.0, float(high)), low, high)


def _log_sum(p: np.ndarray | float, q: np.ndarray) -> np.ndarray:
    """``log(exp(p) + exp(q))`` as ``scipy.special.logsumexp([p, q], axis=0)`` computes it."""
    top = np.maximum(p, q)
    with np.errstate(invalid="ignore"):
        rest = np.log1p(np.exp(np.minimum(p, q) - top)) + top
    return np.where(p == q, _LN2 + top, rest)


def _log_gauss_mass(a: float, b: float) -> float:
    """log(Phi(b) - Phi(a)), by ``scipy.stats``' own function where it has one."""
    try:  # the exact scalar scipy's truncnorm uses
        from scipy.stats._continuous_distns import _log_gauss_mass as scipys

        return float(scipys(np.float64(a), np.float64(b)))
    except (ImportError, AttributeError, TypeError):  # pragma: no cover - other scipy versions
        if b <= 0:
            return float(special.log_ndtr(b) + np.log(-np.expm1(special.log_ndtr(a) - special.log_ndtr(b))))
        if a > 0:
            return _log_gauss_mass(-b, -a)
        return float(np.log1p(-special.ndtr(a) - special.ndtr(-b)))


def truncated_normal(u: np.ndarray, *, mean: float, sd: float, low: float = -math.inf,
                     high: float = math.inf) -> np.ndarray:
    """Normal(mean, sd) truncated to [low, high]:
    ``scipy.stats.truncnorm((low - mean) / sd, (high - mean) / sd, mean, sd).ppf(u)``, bit for bit."""
    u = np.asarray(u, dtype=float)
    a, b = (low - mean) / sd, (high - mean) / sd
    mass = _log_gauss_mass(a, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        if a < 0:
            x = special.ndtri_exp(_log_sum(special.log_ndtr(a), np.log(u) + mass))
        else:
            x = -special.ndtri_exp(_log_sum(special.log_ndtr(-b), np.log1p(-u) + mass))
    return _at_ends(u, x * sd + mean, a * sd + mean, b * sd + mean)


# --- tabulated quantiles ------------------------------------------------------------------------


class _Table:
    """A quintic Hermite interpolant of ``g(z)`` on equally spaced nodes ``z_k`` in [-Z_MAX, Z_MAX].

    ``g``, ``g'`` and ``g''`` at the nodes fix one quintic a interval (Hermite
    interpolation: the error is below h^6 max|g^(6)| / 46080); it is kept as the
    rise ``g(z) - g(z_k)`` from the interval's left node, so a value far from 0
    loses nothing to rounding.
    """

    def __init__(self, base: np.ndarray, rise: np.ndarray, slope: np.ndarray, curvature: np.ndarray) -> None:
        """``base``: what the caller needs at each interval's left node (x, or g); ``rise``: g(z_k+1) - g(z_k);
        ``slope``, ``curvature``: g' and g'' at every node."""
        self.base = base
        step = 2 * Z_MAX / NODES
        p0, p1 = slope[:-1] * step, slope[1:] * step
        q0, q1 = curvature[:-1] * step**2, curvature[1:] * step**2
        d = rise  # g(z_k+1) - g(z_k), one per interval
        # rise(s) = s (c1 + s (c2 + s (c3 + s (c4 + s c5)))), s in [0, 1] across the interval
        self.coefficients = (
            p0,
            0.5 * q0,
            10 * d - 6 * p0 - 4 * p1 - 1.5 * q0 + 0.5 * q1,
            -15 * d + 8 * p0 + 7 * p1 + 1.5 * q0 - q1,
            6 * d - 3 * p0 - 3 * p1 - 0.5 * q0 + 0.5 * q1,
        )
        self.scale = 1.0 / step

    @staticmethod
    def nodes() -> np.ndarray:
        return np.linspace(-Z_MAX, Z_MAX, NODES + 1)

    def __call__(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(interval of every point, rise of g from the interval's left node)."""
        t = (z + Z_MAX) * self.scale
        k = t.astype(np.intp)
        np.clip(k, 0, NODES - 1, out=k)
        s = t - k
        c1, c2, c3, c4, c5 = (c.take(k) for c in self.coefficients)
        return k, s * (c1 + s * (c2 + s * (c3 + s * (c4 + s * c5))))


def _table(key: tuple, build: Callable[[], "_Table"]) -> "_Table":
    found = _TABLES.get(key)
    if found is None:
        if len(_TABLES) >= _TABLE_LIMIT:  # sweeps over shape parameters
            _TABLES.clear()
        found = _TABLES[key] = build()
    return found


def _halley(x: np.ndarray, residual: np.ndarray, log_density: np.ndarray, dlog_density: np.ndarray) -> np.ndarray:
    """One Halley step for F(x) = target: x - t / (1 - t f'/(2f)), t = (F(x) - target) / f."""
    t = residual / np.exp(log_density)
    return x - t / (1.0 - 0.5 * t * dlog_density)


def _fast(shape: float) -> bool:
    return FAST_SHAPES[0] <= shape <= FAST_SHAPES[1]


def _covered(u: np.ndarray) -> tuple[np.ndarray, bool]:
    """Which points the tables cover (not NaN, nor outside [ndtr(-Z_MAX), ndtr(Z_MAX)]), and whether all are."""
    edge = special.ndtr(-Z_MAX)
    covered = (u >= edge) & (u <= 1 - edge)
    return covered, bool(covered.all())


# --- gamma ---------------------------------------------------------------------------------------


def _gamma_step(x: np.ndarray, upper: np.ndarray, u: np.ndarray, q: np.ndarray, a: float) -> np.ndarray:
    """One Halley step towards P(a, x) = u: on gammainc where not ``upper``, on gammaincc = q
    (q = 1 - u given apart, exact) where ``upper``, so neither tail loses digits."""
    residual = np.where(upper, q - special.gammaincc(a, x), special.gammainc(a, x) - u)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _halley(x, residual, (a - 1) * np.log(x) - x - special.gammaln(a), (a - 1) / x - 1.0)


def _gamma_table(a: float) -> _Table:
    z = _Table.nodes()
    u, q = special.ndtr(z), special.ndtr(-z)
    x = np.where(z <= 0, special.gammaincinv(a, u), special.gammainccinv(a, q))
    for _ in range(2):  # Boost's quantile is off by up to ~60 ulp in places; gammainc is closer
        x = _gamma_step(x, z > 0, u, q, a)
    g = np.log(x)
    # g = log x; g' = phi(z) / (x f(x)), f(x) = x^(a-1) e^-x / Gamma(a); g'' = g' (-z - a g' + x g')
    slope = np.exp(-0.5 * z * z - _LOG_SQRT_2PI - a * g + x + special.gammaln(a))
    return _Table(x[:-1], np.log(x[1:] / x[:-1]), slope, slope * (-z - a * slope + x * slope))


def _gamma_standard(u: np.ndarray, a: float) -> np.ndarray:
    """``special.gammaincinv(a, u)`` for 1-D ``u`` and one shape ``a``."""
    if not _fast(a):
        return special.gammaincinv(a, u)
    covered, all_covered = _covered(u)
    v = u if all_covered else np.where(covered, u, 0.5)
    table = _table(("gamma", a), lambda: _gamma_table(a))
    z = special.ndtri(v)
    k, rise = table(z)
    x = table.base.take(k) * np.exp(rise)
    tails = np.flatnonzero(np.abs(z) > Z_POLISH)
    if tails.size:
        vt = v[tails]
        x[tails] = _gamma_step(x[tails], z[tails] > 0, vt, 1.0 - vt, a)
    if not all_covered:
        outside = np.flatnonzero(~covered)
        x[outside] = special.gammaincinv(a, u[outside])
    return x


def gamma(u: np.ndarray, shape: float | np.ndarray) -> np.ndarray:
    """Gamma(shape, scale 1) quantiles: ``scipy.stats.gamma.ppf(u, shape)`` within
    :data:`GAMMA_TOLERANCE`. ``shape`` is one number or one per column of ``u``'s last axis
    (Dirichlet saliences); columns sharing a shape are computed together."""
    u = np.asarray(u, dtype=float)
    if np.ndim(shape) == 0:
        a = float(shape)
        return _gamma_standard(u.reshape(-1), a).reshape(u.shape) if a > 0 else np.full(u.shape, np.nan)
    shapes = np.broadcast_to(np.asarray(shape, dtype=float), u.shape[-1:])
    out = np.empty(u.shape)
    for a in np.unique(shapes):
        columns = np.flatnonzero(shapes == a)
        block = u[..., columns]
        out[..., columns] = (_gamma_standard(block.reshape(-1), float(a)).reshape(block.shape)
                             if a > 0 else np.nan)
    return out


# --- beta ----------------------------------------------------------------------------------------

try:  # the function scipy.stats.beta.ppf calls (Boost's beta quantile); betaincinv differs on subnormals
    from scipy.special._ufuncs import _beta_ppf as _scipy_beta_ppf
except ImportError:  # pragma: no cover - other scipy versions

    def _scipy_beta_ppf(u: np.ndarray, a: float, b: float) -> np.ndarray:
        return special.betaincinv(a, b, u)


def _beta_step(w: np.ndarray, a: float, b: float, p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """One Halley step towards betainc(a, b, w) = p, with q = 1 - p given apart: on betainc
    where p <= 1/2, on betaincc = q elsewhere, so the small probability is the exact one.

    ``w`` is x for Beta(a, b), or y = 1 - x for the mirrored law Beta(b, a), whichever is
    below 1/2 (so that it is held to full relative precision)."""
    residual = np.empty_like(w)
    small = p <= 0.5
    if small.all():
        residual = special.betainc(a, b, w) - p
    else:
        lo, hi = np.flatnonzero(small), np.flatnonzero(~small)
        residual[lo] = special.betainc(a, b, w[lo]) - p[lo]
        residual[hi] = q[hi] - special.betaincc(a, b, w[hi])
    with np.errstate(divide="ignore", invalid="ignore"):
        log_density = (a - 1) * np.log(w) + (b - 1) * np.log1p(-w) - special.betaln(a, b)
        return _halley(w, residual, log_density, (a - 1) / w - (b - 1) / (1.0 - w))


def _beta_table(a: float, b: float) -> _Table:
    z = _Table.nodes()
    p, q = special.ndtr(z), special.ndtr(-z)
    lower = z <= 0
    x = np.where(lower, special.betaincinv(a, b, p), special.betainccinv(a, b, q))
    y = np.where(lower, special.betainccinv(b, a, p), special.betaincinv(b, a, q))
    for _ in range(2):
        x = _beta_step(x, a, b, p, q)
        y = _beta_step(y, b, a, q, p)
    small = x < 0.5  # keep the smaller of x and y as solved, the other as 1 minus it
    x, y = np.where(small, x, 1.0 - y), np.where(small, 1.0 - x, y)
    log_x, log_y = np.log(x), np.log(y)
    # g = logit x; g' = phi(z) / (x y f(x)), f(x) = x^(a-1) y^(b-1) / B(a, b); g'' = g' (-z - a g' y + b g' x)
    slope = np.exp(-0.5 * z * z - _LOG_SQRT_2PI - a * log_x - b * log_y + special.betaln(a, b))
    return _Table((log_x - log_y)[:-1], np.log(x[1:] / x[:-1]) - np.log(y[1:] / y[:-1]), slope,
                  slope * (-z - a * slope * y + b * slope * x))


def _beta_standard(u: np.ndarray, a: float, b: float) -> np.ndarray:
    """``scipy.stats.beta(a, b).ppf(u)`` for 1-D ``u`` in (0, 1) (the ends are the caller's)."""
    if not (_fast(a) and _fast(b)):
        return _scipy_beta_ppf(u, a, b)
    covered, all_covered = _covered(u)
    v = u if all_covered else np.where(covered, u, 0.5)
    table = _table(("beta", a, b), lambda: _beta_table(a, b))
    z = special.ndtri(v)
    k, rise = table(z)
    g = table.base.take(k) + rise
    with np.errstate(over="ignore"):
        x = 1.0 / (1.0 + np.exp(-g))
        tails = np.flatnonzero(np.abs(z) > Z_POLISH)
        if tails.size:
            gt, vt = g[tails], v[tails]
            xt = x[tails]
            low = gt < 0  # x < 1/2: polish x; else polish y = 1 - x on the mirrored law
            xt[low] = _beta_step(xt[low], a, b, vt[low], 1.0 - vt[low])
            yt = 1.0 / (1.0 + np.exp(gt[~low]))
            xt[~low] = 1.0 - _beta_step(yt, b, a, 1.0 - vt[~low], vt[~low])
            x[tails] = xt
    if not all_covered:
        outside = np.flatnonzero(~covered)
        x[outside] = _scipy_beta_ppf(u[outside], a, b)
    return x


def beta(u: np.ndarray, *, a: float, b: float, low: float = 0.0, high: float = 1.0) -> np.ndarray:
    """Beta(a, b) on [low, high]: ``scipy.stats.beta(a, b, low, high - low).ppf(u)`` within
    :data:`BETA_TOLERANCE` on the standard beta (relative to min(x, 1 - x)), then scaled."""
    u = np.asarray(u, dtype=float)
    scale = high - low
    flat = u.reshape(-1)
    inside = (flat > 0) & (flat < 1)
    x = np.zeros_like(flat)
    if inside.all():
        x = _beta_standard(flat, a, b)
    elif inside.any():
        x[inside] = _beta_standard(flat[inside], a, b)
    return _at_ends(u, x.reshape(u.shape) * scale + low, low, 1.0 * scale + low)
