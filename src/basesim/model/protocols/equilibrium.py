"""Subgame-perfect play of alternating offers with a persistent status quo, and with private information.

Complete information (docs/model.md, "The theories"): the stationary
subgame-perfect equilibrium of alternating offers (Rubinstein 1982,
"Perfect equilibrium in a bargaining model", Econometrica 50(1),
doi:10.2307/1912531) in which the status quo holds while the principals
disagree (Fernandez and Glazer 1991, AER 81(1); Busch and Wen 1995,
Econometrica 63(3)) and the talks collapse with a per-round hazard ``q``.
Values are flow-equivalents; with per-round discount ``d_a = patience_a **
Delta``, talking flow ``s_a``, walk-out value ``b_a``:

- the value of never agreeing is the fixed point
  ``V_a = ((1 - d_a) s_a + d_a q b_a) / (1 - d_a (1 - q))``;
- a responder's continuation is ``c_a = (1 - d_a) s_a + d_a ((1 - q) V_a' + q b_a)``
  (``V'`` the values of the next round) and it accepts an outcome worth at
  least ``max(b_a, c_a)`` (it can always walk out);
- the proposer offers, among the outcomes all responders accept, one that is
  best for itself (ties: best for the responders in sum, so agreements are
  Pareto-optimal), if it is worth at least ``max(b_p, c_p)``; otherwise it
  delays and ``V_p = c_p``.

Backward induction starts from the value of never agreeing and runs, one
cycle of proposers at a time, until every world's values stop changing (to
:data:`CONVERGED`, at most :data:`SOLVE_ROUNDS` rounds): the stationary
equilibrium, so neither the forecast's horizon nor the round length acts as
a deadline. With two principals the proposer may offer a lottery between two
neighbouring outcomes on the concave hull of the Pareto frontier (public
randomisation, Binmore, Rubinstein and Wolinsky 1986, doi:10.2307/2555382):
it gives the responder exactly its threshold, so grid rounding does not
compound and one finely divided issue splits as Rubinstein's
``(1 - d_2) / (1 - d_1 d_2)`` to within a grid step. The lottery is drawn
with the world's breakdown draw of the agreement round. With three or more
principals offers are pure outcomes.

Private information (Admati and Perry 1987, "Strategic delay in
bargaining", REStud 54(3); Fearon 1995, "Rationalist explanations for war",
IO 49(3)): each proposer plays the equilibrium of the game it believes it
is in, its beliefs about the others' ideal points and saliences noisy by
``belief_noise * exp(-t / learning_time)`` (t in months), and responders
answer on their true values (their thresholds in the true game). Offers
that the proposer wrongly believes acceptable are rejected: the talks drag
on under the status quo until beliefs are close enough, a principal walks
out (``b_a`` above its true continuation) or the hazard ends them. With
zero noise this is exactly the complete-information equilibrium.

Events do not apply: the game is solved at the parameters of round 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from basesim.model.outcome_space import believed_terms, mix_influence, outer_sum
from basesim.model.protocols.base import Protocol
from basesim.model.state import levels_utility

if TYPE_CHECKING:
    from basesim.model.talks import Talks

#: Values closer than this between two cycles of backward induction have converged.
CONVERGED = 1e-12
#: At most this many rounds of backward induction (a cap for numbers, never reached in practice).
SOLVE_ROUNDS = 20_000
#: Responders accept offers worth their threshold up to this (lotteries are computed to rounding);
#: the plan counts on it too, or a tie (an outcome worth exactly a threshold) is lost to rounding.
TOLERANCE = 1e-9


class Game:
    """One bargaining game per world: utilities and the values of not agreeing, per round.

    ``utility`` (n, P, K); ``talking``, ``walkout``, ``discount`` (n, P) with
    ``discount`` per round; ``hazard`` (n,) per round; ``order`` the proposing
    slots of one cycle, starting with round 0's proposer.
    """

    def __init__(self, utility, talking, walkout, discount, hazard, order):
        self.utility, self.talking, self.walkout = utility, talking, walkout
        self.discount, self.hazard, self.order = discount, hazard[:, None], list(order)

    def take(self, rows: np.ndarray, *, utility: bool = True) -> "Game":
        """The game of some worlds (``utility=False``: without the big utility array, for the hull path)."""
        return Game(self.utility[rows] if utility else None, self.talking[rows], self.walkout[rows],
                    self.discount[rows], self.hazard[rows, 0], self.order)

    def never_agreeing(self) -> np.ndarray:
        """(n, P) the stationary value of talks without a deal (discrete time)."""
        d, q = self.discount, self.hazard
        denominator = 1.0 - d * (1.0 - q)
        with np.errstate(invalid="ignore", divide="ignore"):
            value = ((1.0 - d) * self.talking + d * q * self.walkout) / denominator
        return np.where(denominator > 0, value, self.talking)

    def threshold(self, value: np.ndarray) -> np.ndarray:
        """(n, P) what each principal needs this round, ``max(b, c)``, given next round's values."""
        d, q = self.discount, self.hazard
        continuation = (1.0 - d) * self.talking + d * ((1.0 - q) * value + q * self.walkout)
        return np.maximum(self.walkout, continuation), continuation


class Plan:
    """The stationary equilibrium: per proposing slot ``p`` (axis 1, in ``Game.order``), the offer ``high`` /
    ``low`` with ``chance`` of ``high`` (a lottery; equal for a pure offer), whether the proposer makes it
    (``agree``), every principal's ``threshold`` when ``p`` proposes, and the round-0 ``value`` (n, P)."""

    def __init__(self, n: int, slots: int, count: int):
        self.high = np.zeros((n, slots), dtype=np.int64)
        self.low = np.zeros((n, slots), dtype=np.int64)
        self.chance = np.ones((n, slots))
        self.agree = np.zeros((n, slots), dtype=bool)
        self.threshold = np.zeros((n, slots, count))
        self.continuation = np.zeros((n, slots, count))
        self.value = np.zeros((n, count))


def solve(game: Game) -> Plan:
    """Backward induction to the stationary equilibrium, world by world until converged.

    A world stops when its values after a whole cycle of proposers differ from
    the cycle before by at most :data:`CONVERGED`; its plan is that of its last
    cycle, so the result of a world never depends on the other worlds of its batch.
    """
    n, count, _ = game.utility.shape
    cycle = len(game.order)
    plan = Plan(n, cycle, count)
    two = count == 2
    bar = np.maximum(game.walkout, game.never_agreeing()) - TOLERANCE  # what the responders accept, to rounding
    hull = concave_hull(*pareto_frontier(game.utility, bar)) if two else None
    todo = np.arange(n)  # the worlds of ``sub``; ``live`` marks those not yet converged
    live = np.ones(n, bool)
    value = game.never_agreeing()
    sub, sub_hull = game, hull
    for _ in range(max(SOLVE_ROUNDS // cycle, 1)):
        before = value
        current = value
        step_plan = []
        for position in range(cycle - 1, -1, -1):  # backward through one cycle, ending at round 0's proposer
            p = sub.order[position]
            threshold, continuation = sub.threshold(current)
            if two:
                high, low, chance, agree, agreed = _lottery_round(sub_hull, threshold, p)
            else:
                high, agree, agreed = _pure_round(sub.utility, threshold, p)
                low, chance = high, np.ones(high.shape)
            current = np.where(agree[:, None], agreed, continuation)
            step_plan.append((position, high, low, chance, agree, threshold, continuation))
        # a converged world keeps the plan and values of the cycle it converged in, whatever its batch does
        value = np.where(live[:, None], current, before)
        rows = todo[live]
        for position, high, low, chance, agree, threshold, continuation in step_plan:
            plan.high[rows, position], plan.low[rows, position] = high[live], low[live]
            plan.chance[rows, position], plan.agree[rows, position] = chance[live], agree[live]
            plan.threshold[rows, position] = threshold[live]
            plan.continuation[rows, position] = continuation[live]
        plan.value[rows] = value[live]
        live &= np.abs(value - before).max(axis=1) > CONVERGED
        if not live.any():
            break
        if (~live).sum() * 4 >= live.size:  # drop converged worlds in bulk (copies cost more than a cycle)
            todo, value = todo[live], value[live]
            sub = sub.take(live, utility=not two)
            if two:
                sub_hull = tuple(part[live] for part in sub_hull)
            live = np.ones(todo.size, bool)
    return plan


def _pure_round(utility: np.ndarray, threshold: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The proposer's best outcome that every responder accepts: ``(offer (n,), agree (n,), values (n, P))``."""
    n, count, _ = utility.shape
    rows = np.arange(n)
    feasible = np.ones(utility.shape[::2], dtype=bool)
    others = [q for q in range(count) if q != p]
    for q in others:
        feasible &= utility[:, q] >= threshold[:, q, None] - TOLERANCE
    own = np.where(feasible, utility[:, p], -np.inf)
    best = own.max(axis=1)
    top = feasible & (utility[:, p] == best[:, None])
    responders = utility[:, others].sum(axis=1)
    offer = np.argmax(np.where(top, responders, -np.inf), axis=1)
    agree = np.isfinite(best) & (best >= threshold[:, p] - TOLERANCE)
    return offer, agree, utility[rows, :, offer]


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


def _lottery_round(hull, threshold: np.ndarray, p: int):
    """Two principals: the proposer's best lottery of neighbouring hull points that gives the responder its threshold.

    ``hull`` = (outcome, points, size) from :func:`concave_hull`. Returns
    ``high``, ``low`` (n,) the two outcomes (equal for a pure offer), ``chance``
    (n,) of ``high`` (the one better for the responder), ``agree`` (n,) and the
    lottery's expected utilities (n, 2).
    """
    outcome, points, size = hull
    n, width = outcome.shape
    rows = np.arange(n)
    valid = np.arange(width)[None, :] < size[:, None]
    q = 1 - p
    mine, theirs = points[:, :, p], points[:, :, q]
    need = threshold[:, q, None]
    # the frontier is ordered by rising utility of principal 0: order it by falling utility of q
    enough = valid & (theirs >= need - TOLERANCE)
    count = enough.sum(axis=1)
    above = count - 1 if q == 1 else size - count  # the point just good enough for q
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
    agree = feasible & (best >= threshold[:, p] - TOLERANCE)
    agreed = np.empty((n, 2))
    agreed[:, p] = best
    agreed[:, q] = their_value
    return outcome[rows, above], outcome[rows, below], share, agree, agreed


class Equilibrium(Protocol):
    name = "equilibrium"

    def start(self, model: Talks) -> None:
        state = model.state
        self.order = [model.proposer(t).slot for t in range(len(model.principals))]
        self.game = game_of(model, state.utility, state.talking_value, state.walkout_value)
        self.truth = solve(self.game)
        self.rows = state.rows.copy()  # the worlds the plans were solved for, in order

    def step(self, model: Talks) -> None:
        t = model.round
        state = model.state
        where = np.searchsorted(self.rows, state.rows)  # the active worlds' rows of the plans
        position = t % len(self.order)
        proposer = model.proposer(t)
        p = proposer.slot
        truth = self.truth
        high, low = truth.high[where, position], truth.low[where, position]
        chance, agree = truth.chance[where, position], truth.agree[where, position]
        noisy = state.params["belief_noise"][:, state.principals[p]] > 0
        if noisy.any():  # the proposer plays the game it believes it is in
            believed = solve(believed_game(model, p, t, noisy))
            column = self.order.index(p)
            high[noisy], low[noisy] = believed.high[:, column], believed.low[:, column]
            chance[noisy], agree[noisy] = believed.chance[:, column], believed.agree[:, column]
        draw = state.params["breakdown_u"][:, t]
        offer = np.where(draw < chance, high, low)
        rows = np.arange(state.n)
        threshold = truth.threshold[where, position]
        accepted = agree.copy()
        responses = {}
        for other in model.principals:
            if other is not proposer:
                q = other.slot
                worth = chance * state.utility[rows, q, high] + (1.0 - chance) * state.utility[rows, q, low]
                responses[other.name] = worth >= threshold[:, q] - TOLERANCE
                accepted &= responses[other.name]
        cause = np.full(state.n, -1, dtype=np.int64)
        walks = state.walkout_value > truth.continuation[where, position] + TOLERANCE
        for slot in range(len(model.principals) - 1, -1, -1):
            cause = np.where(walks[:, slot], slot, cause)
        breakdown = ~accepted & ((cause >= 0) | (draw < model.hazard()))
        if model.recording:
            model.record_offer(t, proposer, offer, np.ones_like(accepted), responses, accepted, breakdown, [])
        model.conclude(accepted, "agreement", offer=offer, proposer=p, also=(breakdown, "breakdown"), cause=cause)


def game_of(model: Talks, utility: np.ndarray, talking: np.ndarray, walkout: np.ndarray,
            where: np.ndarray | None = None) -> Game:
    """The game of the active worlds (or those ``where``) with these utilities and values of not agreeing."""
    state = model.state
    patience = state.params["patience"][:, state.principals]
    hazard = model.hazard()
    if where is not None:
        patience, hazard = patience[where], hazard[where]
    order = [model.proposer(t).slot for t in range(len(model.principals))]
    return Game(utility, talking, walkout, patience ** model.months_per_round, hazard, order)


def believed_game(model: Talks, p: int, round_: int, where: np.ndarray) -> Game:
    """The game principal ``p`` believes it is in, in the worlds ``where``: the others' utilities as it sees them.

    Its noise shrinks with time as ``belief_noise * exp(-t / learning_time)`` (t in months); it knows its
    own preferences and everyone's outside options, delay costs and patience.
    """
    state = model.state
    params = {k: v[where] for k, v in state.params.items()}
    principals = state.principals
    months = round_ * model.months_per_round
    noise = params["belief_noise"][:, principals] * np.exp(-months / params["learning_time"][:, principals])
    seen = believed_terms(state.space, params["ideal_point"], params["salience"], noise,
                          params["belief_ideal_z"], params["belief_salience_z"])
    effective = mix_influence([t[:, p] for t in seen], params["leverage"], principals)  # per issue (n, P, m)
    utility = outer_sum(effective)
    utility[:, p] = state.utility[where, p]
    talking = levels_utility(effective, state.status_quo) - params["delay_cost"][:, principals]
    breakdown = levels_utility(effective, state.breakdown_levels)
    walkout = (breakdown * params["breakdown_weight"][:, None, :]).sum(axis=2) + params["outside_option"][:, principals]
    talking[:, p], walkout[:, p] = state.talking_value[where, p], state.walkout_value[where, p]
    return game_of(model, utility, talking, walkout, where)
