"""The actors as Mesa agents, each holding its parameters over a batch of worlds.

A batch is a set of "parallel worlds" (replications): an agent's attributes
are arrays with one entry per world still negotiating, and one call decides
for all of them at once. The arrays live in the model's
:class:`~basesim.model.state.BatchState`; agents are views on their own slice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from basesim.model.talks import Talks


#: Utilities that differ by less than this are equal: sums of saliences round differently
#: (a shared ideal worth 0.9999999999999999 against a target of 1.0 must be accepted).
TOLERANCE = 1e-9


class Actor(mesa.Agent):
    """Any party: ``name`` and its index among the scenario's actors."""

    def __init__(self, model: Talks, name: str, index: int):
        super().__init__(model)
        self.name = name
        self.index = index

    @property
    def ideal_point(self) -> np.ndarray:
        """(worlds, issues)."""
        return self.model.state.params["ideal_point"][:, self.index]

    @property
    def salience(self) -> np.ndarray:
        """(worlds, issues), summing to 1."""
        return self.model.state.params["salience"][:, self.index]


class Influencer(Actor):
    """An actor away from the table that pulls principals towards its own utility."""

    def leverage_over(self, principal: "Principal") -> np.ndarray:
        """(worlds,): this influencer's leverage ``l_ba`` over ``principal``."""
        return self.model.state.params["leverage"][:, self.index, principal.index]


class Principal(Actor):
    """A party at the table: proposes in its turn and accepts or rejects offers.

    ``slot`` is its position among the principals (the order of turns).
    """

    def __init__(self, model: Talks, name: str, index: int, slot: int):
        super().__init__(model, name, index)
        self.slot = slot

    @property
    def utility(self) -> np.ndarray:
        """(worlds, outcomes): effective utility ``U_a`` of every outcome."""
        return self.model.state.utility[:, self.slot]

    @property
    def reservation_utility(self) -> np.ndarray:
        """(worlds,): ``r_a = max(V_a, b_a)``, the least it accepts (docs/model.md, "Payoffs: flows")."""
        return self.model.state.reservation[:, self.slot]

    @property
    def deadline(self) -> np.ndarray:
        """(worlds,): the month by which it believes it must settle."""
        return self.model.state.params["deadline"][:, self.index]

    def walks_out(self, round_: int) -> np.ndarray:
        """(worlds,) bool: its deadline has passed and a breakdown beats dragging on (``b_a > V_a``)."""
        state = self.model.state
        late = round_ * self.model.months_per_round >= self.deadline
        return late & (state.walkout_value[:, self.slot] > state.disagreement_value[:, self.slot])

    @property
    def concession(self) -> np.ndarray:
        return self.model.state.params["concession"][:, self.index]

    @property
    def patience(self) -> np.ndarray:
        return self.model.state.params["patience"][:, self.index]

    @property
    def power(self) -> np.ndarray:
        return self.model.state.params["power"][:, self.index]

    def target(self, round_: int) -> np.ndarray:
        """Target utility in ``round_``, never below the reservation utility.

        ``tau(t) = r + (1 - r) (1 - min(t / D, 1) ** (1 / beta))`` with ``t`` the
        months since the start and ``D`` the actor's own believed deadline: the
        time-dependent tactic of Faratin, Sierra and Jennings (1998),
        "Negotiation decision functions for autonomous agents", Robotics and
        Autonomous Systems 24(3-4), doi:10.1016/S0921-8890(98)00029-3, with beta
        the concession exponent: beta < 1 concedes late (Boulware), beta > 1
        early (Conceder). In calendar time, so the round length is only the resolution.
        """
        r = self.reservation_utility
        elapsed = np.minimum(round_ * self.model.months_per_round / self.deadline, 1.0)
        fraction = elapsed ** (1.0 / self.concession)
        return np.maximum(r + (1.0 - r) * (1.0 - fraction), r)

    def propose(self, round_: int) -> tuple[np.ndarray, np.ndarray]:
        """The offer of every world: ``(outcome index, made)``.

        Among the outcomes worth at least its target, the one the proposer
        believes best for the others (the largest believed utility of the
        least satisfied other principal). When its target exceeds everything
        on the table it opens with its own best outcome; it makes no offer
        where even that is worth less than its reservation utility.
        """
        utility = self.utility
        threshold = self.target(round_)
        # believed_score >= 1, so masked-out outcomes (0) never win the argmax
        rank = (utility >= threshold[:, None]) * self.model.state.believed_score[:, self.slot]
        offer = np.argmax(rank, axis=1)
        rows = np.arange(offer.size)
        empty = rank[rows, offer] == 0
        if empty.any():
            offer[empty] = self.model.state.favourite[empty, self.slot]
        made = utility[rows, offer] >= self.reservation_utility - TOLERANCE
        return offer, made

    def accepts(self, offer: np.ndarray, round_: int) -> np.ndarray:
        """(worlds,) bool: the offer is worth at least the current target (within :data:`TOLERANCE`)."""
        rows = np.arange(offer.size)
        return self.utility[rows, offer] >= self.target(round_) - TOLERANCE
