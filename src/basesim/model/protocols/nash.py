"""The asymmetric Nash bargaining solution over the outcome space.

Chooses the outcome that maximises ``prod_a (U_a(x) - r_a) ** power_a`` over
the outcomes every principal strictly prefers to its reservation utility
``r_a`` (Nash 1950, "The bargaining problem", Econometrica 18(2),
doi:10.2307/1907266; the asymmetric form of Kalai 1977, "Nonsymmetric Nash
solutions and replications of 2-person bargaining", Int. J. Game Theory 6,
doi:10.1007/BF01774658). The disagreement point is each principal's
reservation utility ``r_a = max(V_a, b_a)`` (docs/model.md). A one-shot
benchmark without a timing: agreement at round 0, or none; without one, a
principal for whom a breakdown beats dragging on (``b_a > V_a``) walks out at
round 0, and otherwise the status quo holds (still talking).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from basesim.model.protocols.base import Protocol

if TYPE_CHECKING:
    from basesim.model.talks import Talks


def nash_solution(utility: np.ndarray, reservation: np.ndarray, power: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The Nash point of every world.

    ``utility`` (n, P, K), ``reservation`` (n, P), ``power`` (n, P) ->
    ``(outcome (n,), exists (n,))``. Maximises ``sum_a power_a log(U_a - r_a)``.
    """
    gain = utility - reservation[:, :, None]
    positive = (gain > 0).all(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        objective = (power[:, :, None] * np.log(np.where(gain > 0, gain, 1.0))).sum(axis=1)
    objective = np.where(positive, objective, -np.inf)
    return np.argmax(objective, axis=1), positive.any(axis=1)


class NashBargaining(Protocol):
    name = "nash"
    one_shot = True

    def step(self, model: Talks) -> None:
        state = model.state
        power = state.params["power"][:, state.principals]
        outcome, exists = nash_solution(state.utility, state.reservation, power)
        if model.recording:
            model.record_solution(model.round, outcome, exists)
        cause = np.full(state.n, -1, dtype=np.int64)
        for slot in range(len(model.principals) - 1, -1, -1):
            cause = np.where(state.walkout_value[:, slot] > state.disagreement_value[:, slot], slot, cause)
        model.conclude(exists, "agreement", offer=outcome, proposer=-1, also=(~exists & (cause >= 0), "breakdown"),
                       cause=cause)

