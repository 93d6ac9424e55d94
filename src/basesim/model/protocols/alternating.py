"""Alternating offers with time-dependent targets (the default protocol).

Round t: the principal whose turn it is proposes (``Principal.propose``),
every other principal accepts if the offer is worth at least its current
target (``Principal.accepts``). A rejected round ends in breakdown with the
world's breakdown risk; at the deadline the talks end in an impasse.
Events apply at the start of their round.
"""

from __future__ import annotations

from typing import TYPE_CHECKING


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
        breakdown = ~accepted & (state.params["breakdown_u"][:, t] < state.params["breakdown_risk"])
        if model.recording:
            model.record_offer(t, proposer, offer, made, responses, accepted, breakdown, events)
        model.conclude(accepted, "agreement", offer=offer, proposer=proposer.slot, also=(breakdown, "breakdown"))
