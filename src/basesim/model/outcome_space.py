"""The outcome space and the utility kernels, vectorised over worlds.

An outcome is one level per issue; the space is the Cartesian product of the
issues' levels, enumerated in C order (the last issue varies fastest), so
outcome ``k`` has levels ``np.unravel_index(k, shape)``.

Utility (BRIEF.md, "Actors and preferences")::

    u_a(x)  = sum_i w_ai * (1 - |x_i - p_ai|)
    U_a(x)  = (1 - L_a) u_a(x) + sum_b l_ba u_b(x),   L_a = sum_b l_ba

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

    @classmethod
    def of(cls, scenario: Scenario) -> "OutcomeSpace":
        values = tuple(issue.values for issue in scenario.issues.values())
        return cls(tuple(len(v) for v in values), values)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    @cached_property
    def levels(self) -> np.ndarray:
        return np.stack(np.unravel_index(np.arange(self.size), self.shape), axis=1)


def level_terms(space: OutcomeSpace, ideal_point: np.ndarray, salience: np.ndarray) -> list[np.ndarray]:
    """Per-issue utility terms ``w_ai * (1 - |v_il - p_ai|)``.

    ``ideal_point``, ``salience``: (..., I). Returns one array (..., m_i) per issue.
    """
    return [
        salience[..., i, None] * (1.0 - np.abs(values - ideal_point[..., i, None]))
        for i, values in enumerate(space.values)
    ]


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
    weights = weights / weights.sum(axis=-1, keepdims=True)
    return level_terms(space, ideal, weights)
