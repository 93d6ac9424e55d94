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

With two principals the proposer may also offer a lottery between two
neighbouring outcomes on the concave hull of the Pareto frontier (public
randomisation, the usual convexification of a discrete bargaining set;
Binmore, Rubinstein and Wolinsky 1986, doi:10.2307/2555382; frontier points
below the hull are beaten by a lottery and never offered): it gives the
responder exactly its
continuation value, so grid rounding does not compound over the rounds, and
on one finely divided issue the first proposer's share is within one grid
step of Rubinstein's ``(1 - d_2) / (1 - d_1 d_2)``. The lottery is drawn
with the world's breakdown draw of the agreement round (unused in a round
that ends in agreement). Both outcomes of a lottery are Pareto-optimal and
worth at least the reservation utility to each principal. With three or
more principals offers are pure outcomes (:func:`solve_backward`).

Events do not apply: the game is solved at the parameters of round 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from basesim.model.protocols.base import Protocol

if TYPE_CHECKING:
    from basesim.model.talks import Talks


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


def pareto_frontier(utility: np.ndarray, reservation: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The Pareto frontier of the outcomes both principals prefer to no deal.

    ``utility`` (n, 2, K), ``reservation`` (n, 2). Returns ``outcome`` (n, F)
    indices, ``points`` (n, F, 2) utilities and ``size`` (n,) frontier sizes;
    each row is ordered by falling utility of principal 1 (so rising utility
    of principal 0) and padded past ``size``. Among outcomes with equal
    utilities the lowest index represents them.
    """
    n, _, k = utility.shape
    acceptable = (utility >= reservation[:, :, None]).all(axis=1)
    first = np.where(acceptable, utility[:, 0], -np.inf)
    second = utility[:, 1]
    index = np.broadcast_to(-np.arange(k), (n, k))
    # falling second; ties: falling first, then the lowest outcome index
    order = np.lexsort((index, first, second), axis=-1)[:, ::-1]
    ordered_first = np.take_along_axis(first, order, axis=1)
    best_before = np.maximum.accumulate(ordered_first, axis=1)
    best_before = np.concatenate([np.full((n, 1), -np.inf), best_before[:, :-1]], axis=1)
    on_frontier = ordered_first > best_before
    size = on_frontier.sum(axis=1)
    width = max(int(size.max(initial=0)), 1)
    rank = np.cumsum(on_frontier, axis=1) - 1
    outcome = np.zeros((n, width), dtype=np.int64)
    rows, cols = np.nonzero(on_frontier)
    outcome[rows, rank[rows, cols]] = order[rows, cols]
    points = np.take_along_axis(utility, outcome[:, None, :], axis=2).transpose(0, 2, 1)
    return outcome, points, size


#: How far below the chord of its neighbours a frontier point may lie and still count as
#: on the concave hull: keeps points that are collinear up to rounding (one issue split
#: with linear utilities), whose lotteries are then between grid neighbours.
HULL_TOLERANCE = 1e-12


def concave_hull(
    outcome: np.ndarray, points: np.ndarray, size: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The frontier points on the upper-right boundary of its convex hull.

    Inputs and outputs as returned by :func:`pareto_frontier` (ordered by
    rising utility of principal 0, ``x``, and falling utility of principal 1,
    ``y``). A point ``(x2, y2)`` below the chord of its kept neighbours
    ``(x1, y1)``, ``(x3, y3)``, that is with
    ``(y2 - y1)(x3 - x1) - (x2 - x1)(y3 - y1) < -HULL_TOLERANCE``, is beaten by a lottery
    between them, so it is dropped; passes repeat until none is. What is left
    is the concave boundary of the lotteries over the frontier, on which the
    best lottery for the proposer mixes two neighbours.
    """
    n, width = outcome.shape
    position = np.arange(width)
    keep = position[None, :] < size[:, None]
    x, y = points[:, :, 0], points[:, :, 1]
    while True:
        before = np.maximum.accumulate(np.where(keep, position, -1), axis=1)
        before = np.concatenate([np.full((n, 1), -1), before[:, :-1]], axis=1)
        after = np.minimum.accumulate(np.where(keep, position, width)[:, ::-1], axis=1)[:, ::-1]
        after = np.concatenate([after[:, 1:], np.full((n, 1), width)], axis=1)
        inner = keep & (before >= 0) & (after < width)
        i, k = np.clip(before, 0, width - 1), np.clip(after, 0, width - 1)
        x1, y1 = np.take_along_axis(x, i, axis=1), np.take_along_axis(y, i, axis=1)
        x3, y3 = np.take_along_axis(x, k, axis=1), np.take_along_axis(y, k, axis=1)
        cross = (y - y1) * (x3 - x1) - (x - x1) * (y3 - y1)
        drop = inner & (cross < -HULL_TOLERANCE)
        if not drop.any():
            break
        keep &= ~drop
    size = keep.sum(axis=1)
    rank = np.cumsum(keep, axis=1) - 1
    rows, cols = np.nonzero(keep)
    kept = np.zeros_like(outcome)
    kept[rows, rank[rows, cols]] = outcome[rows, cols]
    kept_points = np.zeros_like(points)
    kept_points[rows, rank[rows, cols]] = points[rows, cols]
    return kept, kept_points, size


def solve_backward_lotteries(
    utility: np.ndarray,
    reservation: np.ndarray,
    patience: np.ndarray,
    breakdown_risk: np.ndarray,
    proposers: list[int],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Equilibrium offers of two principals who may offer neighbouring lotteries.

    Shapes as in :func:`solve_backward` with P = 2. Returns ``high``, ``low``
    (n, T) the two outcomes of each round's offer (equal for a pure offer),
    ``chance`` (n, T) the probability of ``high`` (the outcome better for the
    responder), ``accepted`` (n, T) and ``value`` (n, 2) at round 0.
    """
    n = utility.shape[0]
    rounds = len(proposers)
    rows = np.arange(n)
    outcome, points, size = concave_hull(*pareto_frontier(utility, reservation))
    width = outcome.shape[1]
    valid = np.arange(width)[None, :] < size[:, None]
    value = reservation.copy()
    high = np.zeros((n, rounds), dtype=np.int64)
    low = np.zeros((n, rounds), dtype=np.int64)
    chance = np.ones((n, rounds))
    accepted = np.zeros((n, rounds), dtype=bool)
    risk = breakdown_risk[:, None]
    for t in range(rounds - 1, -1, -1):
        p = proposers[t]
        q = 1 - p
        continuation = patience * ((1.0 - risk) * value + risk * reservation)
        threshold = np.maximum(reservation, continuation)
        mine, theirs = points[:, :, p], points[:, :, q]
        need = threshold[:, q, None]
        # the frontier is ordered by rising utility of principal 0: order it by falling utility of q
        if q == 1:
            enough = valid & (theirs >= need)
            count = enough.sum(axis=1)  # the first `count` points give q enough
            above = count - 1
        else:
            enough = valid & (theirs >= need)
            count = enough.sum(axis=1)  # the last `count` valid points give q enough
            above = size - count
        feasible = count > 0
        below = above + (1 if q == 1 else -1)
        has_below = feasible & (below >= 0) & (below < size)
        above = np.clip(above, 0, width - 1)
        below = np.where(has_below, np.clip(below, 0, width - 1), above)
        q_above, q_below = theirs[rows, above], theirs[rows, below]
        gap = q_above - q_below
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(has_below & (gap > 0), (need[:, 0] - q_below) / gap, 1.0)
        share = np.clip(share, 0.0, 1.0)
        best = share * mine[rows, above] + (1.0 - share) * mine[rows, below]
        their_value = share * q_above + (1.0 - share) * q_below
        agree = feasible & (best >= threshold[:, p])
        high[:, t] = outcome[rows, above]
        low[:, t] = outcome[rows, below]
        chance[:, t] = share
        accepted[:, t] = agree
        agreed = np.empty_like(value)
        agreed[:, p] = best
        agreed[:, q] = their_value
        value = np.where(agree[:, None], agreed, continuation)
    return high, low, chance, accepted, value


class Equilibrium(Protocol):
    name = "equilibrium"

    def start(self, model: Talks) -> None:
        state = model.state
        proposers = [model.proposer(t).slot for t in range(model.rounds)]
        arguments = (
            state.utility,
            state.reservation,
            state.params["patience"][:, state.principals],
            state.params["breakdown_risk"],
            proposers,
        )
        if len(state.principals) == 2:
            high, low, chance, accepted, _ = solve_backward_lotteries(*arguments)
        else:
            high, accepted, _ = solve_backward(*arguments)
            low, chance = high, np.ones(high.shape)
        state.params["plan_offer"] = high
        state.params["plan_alternative"] = low
        state.params["plan_chance"] = chance
        state.params["plan_accepted"] = accepted

    def step(self, model: Talks) -> None:
        t = model.round
        state = model.state
        draw = state.params["breakdown_u"][:, t]
        offer = np.where(
            draw < state.params["plan_chance"][:, t], state.params["plan_offer"][:, t], state.params["plan_alternative"][:, t]
        )
        accepted = state.params["plan_accepted"][:, t]
        breakdown = ~accepted & (state.params["breakdown_u"][:, t] < state.params["breakdown_risk"])
        proposer = model.proposer(t)
        if model.recording:
            responses = {p.name: accepted.copy() for p in model.principals if p is not proposer}
            model.record_offer(t, proposer, offer, np.ones_like(accepted), responses, accepted, breakdown, [])
        model.conclude(accepted, "agreement", offer=offer, proposer=proposer.slot, also=(breakdown, "breakdown"))
