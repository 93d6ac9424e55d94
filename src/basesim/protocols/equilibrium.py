"""Subgame-perfect play of the finite-horizon alternating-offers game.

Backward induction over the outcome space with complete information
(Stahl 1972, *Bargaining Theory*; Rubinstein 1982, "Perfect equilibrium in a
bargaining model", Econometrica 50(1), doi:10.2307/1912531). Values are in
utility at the current round; with discount factor ``d_a`` (patience),
breakdown risk ``h`` and reservation utility ``r_a``:

- after the deadline every principal gets ``V_a(T) = r_a``;
- in round t the responders' continuation is
  ``c_a(t) = d_a ((1 - h) V_a(t+1) + h r_a)`` and each accepts an outcome
  worth at least ``max(r_a, c_a(t))`` (it can always walk away);
- the proposer offers, among the outcomes all responders accept, one that is
  best for itself (ties: best for the responders in sum, so agreements are
  Pareto-optimal), if it is worth at least ``max(r_p, c_p(t))``; otherwise it
  delays and ``V(t) = c(t)``.

With one issue split between two principals, linear utilities and a long
horizon, the first proposer's share tends to ``(1 - d_2) / (1 - d_1 d_2)``.
Events do not apply: the game is solved at the parameters of round 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from basesim.protocols.base import Protocol

if TYPE_CHECKING:
    from basesim.model import NegotiationModel


def solve_backward(
    utility: np.ndarray,
    reservation: np.ndarray,
    patience: np.ndarray,
    breakdown_risk: np.ndarray,
    proposers: list[int],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Equilibrium offers of every round.

    ``utility`` (n, P, K); ``reservation``, ``patience`` (n, P);
    ``breakdown_risk`` (n,); ``proposers[t]`` the proposing slot of round t.
    Returns ``offer`` (n, T) outcome indices, ``accepted`` (n, T) bool and
    ``value`` (n, P): each principal's equilibrium value at round 0.
    """
    n, count, _ = utility.shape
    rounds = len(proposers)
    rows = np.arange(n)
    value = reservation.copy()
    offers = np.zeros((n, rounds), dtype=np.int64)
    accepted = np.zeros((n, rounds), dtype=bool)
    risk = breakdown_risk[:, None]
    for t in range(rounds - 1, -1, -1):
        p = proposers[t]
        continuation = patience * ((1.0 - risk) * value + risk * reservation)
        threshold = np.maximum(reservation, continuation)
        feasible = np.ones(utility.shape[::2], dtype=bool)
        others = [q for q in range(count) if q != p]
        for q in others:
            feasible &= utility[:, q] >= threshold[:, q, None]
        own = np.where(feasible, utility[:, p], -np.inf)
        best = own.max(axis=1)
        top = feasible & (utility[:, p] == best[:, None])
        responders = utility[:, others].sum(axis=1)
        offer = np.argmax(np.where(top, responders, -np.inf), axis=1)
        agree = np.isfinite(best) & (best >= threshold[:, p])
        offers[:, t] = offer
        accepted[:, t] = agree
        agreed_value = utility[rows, :, offer]  # (n, P)
        value = np.where(agree[:, None], agreed_value, continuation)
    return offers, accepted, value


class Equilibrium(Protocol):
    name = "equilibrium"

    def start(self, model: "NegotiationModel") -> None:
        state = model.state
        proposers = [model.proposer(t).slot for t in range(model.rounds)]
        offers, accepted, _ = solve_backward(
            state.utility,
            state.reservation,
            state.params["patience"][:, state.principals],
            state.params["breakdown_risk"],
            proposers,
        )
        state.params["plan_offer"] = offers
        state.params["plan_accepted"] = accepted

    def step(self, model: "NegotiationModel") -> None:
        t = model.round
        state = model.state
        offer = state.params["plan_offer"][:, t]
        accepted = state.params["plan_accepted"][:, t]
        breakdown = ~accepted & (state.params["breakdown_u"][:, t] < state.params["breakdown_risk"])
        proposer = model.proposer(t)
        if model.recording:
            responses = {p.name: accepted.copy() for p in model.principals if p is not proposer}
            model.record_offer(t, proposer, offer, np.ones_like(accepted), responses, accepted, breakdown, [])
        model.conclude(accepted, "agreement", offer=offer, proposer=proposer.slot, also=(breakdown, "breakdown"))
