"""The outcome space and the utility kernels, vectorised over worlds.

An outcome is one level per issue; the space is the Cartesian product of the
issues' levels, enumerated in C order (the last issue varies fastest), so
outcome ``k`` has levels ``np.unravel_index(k, shape)``.

Utility (docs/model.md, "Payoffs: flows" and "Cardinal issues")::

    u_a(x)  = sum_i w_ai * g_ai(x_i),   g_ai(x) = 1 - |x - p_ai| unless a curve is given
    U_a(x)  = (1 - L_a) u_a(x) + sum_b l_ba u_b(x),   L_a = sum_b l_ba

Utility curves (docs/model.md, "Cardinal issues"), with ``d = |x - p|`` and
curvature ``k``: concave ``g = 1 - (e^{kd} - 1) / (e^k - 1)``, convex
``g = 1 - (1 - e^{-kd}) / (1 - e^{-k})``, or points ``[amount, utility]``
interpolated at each level's amount (the ideal point is then not used).

Both are sums over issues of a term that depends on one issue's level only,
so they are computed per level (``(n, A, I, levels)``, tiny) and summed over
the product by broadcasting: ``K * I`` additions per actor and world instead of
``K * I`` absolute values, products and sums.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from basesim.scenario.schema import Scenario

__all__ = ["OutcomeSpace", "level_terms", "mix_influence", "outer_sum", "believed_terms"]


@dataclass(frozen=True)
class OutcomeSpace:
    """The product of the issues' levels.

    ``shape`` (I,) levels per issue; ``values`` list of (m_i,) level values on
    [0, 1]; ``size`` K; ``levels`` (K, I) level index of every outcome.
    """

    shape: tuple[int, ...]
    values: tuple[np.ndarray, ...]
    #: per issue: None (every actor linear) or :class:`IssueCurves`
    curves: tuple["IssueCurves | None", ...] = ()

    @classmethod
    def of(cls, scenario: Scenario) -> "OutcomeSpace":
        values = tuple(issue.values for issue in scenario.issues.values())
        return cls(tuple(len(v) for v in values), values, curves_of(scenario))

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    @cached_property
    def levels(self) -> np.ndarray:
        return np.stack(np.unravel_index(np.arange(self.size), self.shape), axis=1)


@dataclass(frozen=True)
class IssueCurves:
    """Every actor's curve on one issue: ``code`` (A,) 0 linear, 1 concave, 2 convex, 3 points;
    ``curvature`` (A,); ``fixed`` (A, m) the utility of each level under a points curve (else 0)."""

    code: np.ndarray
    curvature: np.ndarray
    fixed: np.ndarray


LINEAR, CONCAVE, CONVEX, POINTS = 0, 1, 2, 3


def curves_of(scenario: Scenario) -> tuple[IssueCurves | None, ...]:
    """The actors' utility curves, per issue (None where every actor is linear)."""
    out = []
    for name, issue in scenario.issues.items():
        m = len(issue.labels)
        code = np.zeros(len(scenario.actors), np.int64)
        curvature = np.ones(len(scenario.actors))
        fixed = np.zeros((len(scenario.actors), m))
        for a, actor in enumerate(scenario.actors.values()):
            curve = actor.utility_curve.get(name, "linear")
            if isinstance(curve, str) or getattr(curve, "shape", None) == "linear":
                continue
            if hasattr(curve, "points"):
                code[a] = POINTS
                xs, ys = zip(*curve.points)
                fixed[a] = np.interp(issue.amounts, xs, ys)
            else:
                code[a] = CONCAVE if curve.shape == "concave" else CONVEX
                curvature[a] = curve.curvature
        out.append(IssueCurves(code, curvature, fixed) if code.any() else None)
    return tuple(out)


def curve_value(curves: IssueCurves, distance: np.ndarray) -> np.ndarray:
    """``g`` of distances (..., A, m) on one issue, every actor on its own curve."""
    k = curves.curvature[:, None]
    code = curves.code[:, None]
    g = 1.0 - distance
    g = np.where(code == CONCAVE, 1.0 - np.expm1(k * distance) / np.expm1(k), g)
    g = np.where(code == CONVEX, 1.0 - np.expm1(-k * distance) / np.expm1(-k), g)
    return np.where(code == POINTS, curves.fixed, g)


def level_terms(space: OutcomeSpace, ideal_point: np.ndarray, salience: np.ndarray) -> list[np.ndarray]:
    """Per-issue utility terms ``w_ai * g_ai(v_il)`` (``g = 1 - |v - p|`` without a curve).

    ``ideal_point``, ``salience``: (..., A, I). Returns one array (..., A, m_i) per issue.
    """
    terms = []
    for i, values in enumerate(space.values):
        distance = np.abs(values - ideal_point[..., i, None])
        curves = space.curves[i] if space.curves else None
        g = 1.0 - distance if curves is None else curve_value(curves, distance)
        terms.append(salience[..., i, None] * g)
    return terms


def mix_influence(terms: list[np.ndarray], leverage: np.ndarray, principals: list[int]) -> list[np.ndarray]:
    """Effective per-issue terms of the principals: ``(1 - L_a) t_a + sum_b l_ba t_b``.

    ``terms``: per issue (n, A, m_i); ``leverage``: (n, A, A) with
    ``leverage[:, b, a]`` the pull of b on a. Returns per issue (n, P, m_i).
    Actors are added in scenario order so every implementation sums alike.
    """
    n_actors = leverage.shape[1]
    total = leverage.sum(axis=1)  # (n, A): L_a
    out = []
    for t in terms:
        mixed = np.empty((t.shape[0], len(principals), t.shape[-1]))
        for slot, a in enumerate(principals):
            acc = (1.0 - total[:, a, None]) * t[:, a]
            for b in range(n_actors):
                if b != a:
                    acc = acc + leverage[:, b, a, None] * t[:, b]
            mixed[:, slot] = acc
        out.append(mixed)
    return out


def outer_sum(terms: list[np.ndarray], dtype: type = np.float64) -> np.ndarray:
    """Sum per-issue terms over the product space: (..., m_1), ..., (..., m_I) -> (..., K).

    Issues are added left to right, so the result equals ``sum_i terms[i][..., l_i]``
    computed in that order for every outcome.
    """
    acc = terms[0].astype(dtype, copy=False)
    for t in terms[1:]:
        acc = (acc[..., :, None] + t.astype(dtype, copy=False)[..., None, :]).reshape(*acc.shape[:-1], -1)
    return acc


def believed_terms(
    space: OutcomeSpace,
    ideal_point: np.ndarray,
    salience: np.ndarray,
    noise: np.ndarray,
    ideal_z: np.ndarray,
    salience_z: np.ndarray,
) -> list[np.ndarray]:
    """Per-issue terms of every actor as each principal believes them.

    Principal p sees actor a's ideal point as ``clip(p_ai + s_p z, 0, 1)`` and
    its saliences as ``w_ai * exp(s_p z')`` renormalised, with ``s_p`` p's
    belief noise. Shapes: ``ideal_point``, ``salience`` (n, A, I); ``noise``
    (n, P); ``ideal_z``, ``salience_z`` (n, P, A, I). Returns per issue
    (n, P, A, m_i).
    """
    scale = noise[:, :, None, None]
    ideal = np.clip(ideal_point[:, None] + scale * ideal_z, 0.0, 1.0)
    weights = salience[:, None] * np.exp(scale * salience_z)
    # without noise the belief is the truth exactly (renormalising would move the last bit)
    weights = np.where(scale > 0, weights / weights.sum(axis=-1, keepdims=True), salience[:, None])
    return level_terms(space, ideal, weights)
