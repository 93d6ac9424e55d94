"""Alternating offers with time-dependent targets (the default protocol).

Round t: the principal whose turn it is proposes (``Principal.propose``),
every other principal accepts if the offer is worth at least its current
target (``Principal.accepts``). A rejected round ends in breakdown when a
principal walks out (its own deadline has passed and a breakdown beats
dragging on, ``Principal.walks_out``) or, with the per-round hazard, for
reasons outside the talks; otherwise the status quo holds into the next
round. Events apply at the start of their round. See docs/model.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from basesim.model.protocols.base import Protocol

if TYPE_CHECKING:
    from basesim.model.talks import Talks


class AlternatingOffers(Protocol):
    name = "alternating_offers"
    uses_beliefs = True

    def step(self, model: Talks) -> None:
        t = model.round
        state = model.state
        events = state.apply_events(t) if state.scenario.events else []
        proposer = model.proposer(t)
        offer, made = proposer.propose(t)
        accepted = made.copy()
        responses = {}
        for other in model.principals:
            if other is not proposer:
                responses[other.name] = other.accepts(offer, t)
                accepted &= responses[other.name]
        cause = walkout_cause(model, t)
        breakdown = ~accepted & ((cause >= 0) | (state.params["breakdown_u"][:, t] < model.hazard()))
        if model.recording:
            model.record_offer(t, proposer, offer, made, responses, accepted, breakdown, events)
        model.conclude(accepted, "agreement", offer=offer, proposer=proposer.slot, also=(breakdown, "breakdown"),
                       cause=cause)


def walkout_cause(model: Talks, round_: int) -> np.ndarray:
    """(active,) the slot of the first principal (in turn order) that walks out this round, else -1."""
    cause = np.full(model.state.n, -1, dtype=np.int64)
    for principal in reversed(model.principals):
        cause = np.where(principal.walks_out(round_), principal.slot, cause)
    return cause
