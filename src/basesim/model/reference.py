"""A plain, obvious model of ONE world: the oracle for the vectorised batch.

This is the negotiation written the way a Mesa user would write it without
thinking about speed: one :class:`mesa.Model` per replication, one
:class:`mesa.Agent` per actor holding its parameters as plain Python floats,
Python loops over the outcomes (``itertools.product`` over the issues'
levels, C order: the last issue varies fastest, so outcome ``k`` is the
``k``-th tuple) and over the rounds. It is written from docs/model.md and
shares no code with the vectorised kernels (:mod:`basesim.model.outcome_space`,
:mod:`basesim.model.state`, :mod:`basesim.model.agents`,
:mod:`basesim.model.protocols`, :mod:`basesim.model.negotiation`); it reads
only the scenario and the sampled :class:`~basesim.scenario.sampling.Draws`.
The tests require both to give the same table row, bit for bit.

Semantics (docs/model.md)
-------------------------

A world is ``talking`` (the status quo holds), in ``agreement`` or in
``breakdown``. Time is calendar time: round ``t`` starts ``t * Delta``
months after the start (``Delta``: a day is 1/30.4375 months, a week
7/30.4375, a quarter 3, a year 12).

- Utility ``u_a(x) = sum_i w_ai g_ai(x_i)`` with ``g = 1 - d`` (linear),
  ``1 - (e^{kd} - 1)/(e^k - 1)`` (concave), ``1 - (1 - e^{-kd})/(1 - e^{-k})``
  (convex), ``d = |v - p|`` on the issue's value scale, or the linear
  interpolation of ``[amount, utility]`` points at the level's amount.
  Effective utility of a principal ``U_a = (1 - L_a) u_a + sum_b l_ba u_b``.
- Flows: talking ``s_a = U_a(status quo) - delay_cost_a``; breakdown
  ``b_a = sum_k pi_k U_a(alternative_k) + outside_option_a`` (a principal's
  own ``no_deal`` replaces every alternative's levels for it); the value of
  talks that never end in a deal ``V_a = (rho s + lambda b) / (rho + lambda)``
  with ``rho = -ln patience`` and ``lambda = -ln(1 - h)`` per month, exactly
  ``s`` when ``lambda = 0`` or ``s = b`` and ``b`` when only ``rho = 0`` (so no
  rounding makes ``b > V`` out of a tie); reservation ``r_a = max(V_a, b_a)``.
  The per-round hazard is ``q = 1 - (1 - h) ** Delta``.
- ``alternating_offers``: events apply at the start of their round (the
  first round starting at or after an event's ``month``, or its ``round``):
  set or add, clipped to the field's range; then, if an event of this round
  changed them in this world, saliences renormalised and the leverage over
  an actor scaled down to sum at most 1. The proposer (turns rotate from the
  first proposer) has the target
  ``max(r + (1 - r)(1 - min(t Delta / D, 1)^(1/beta)), r)``, ``D`` its own
  deadline in months; among the outcomes worth at least its target it offers
  the first one maximising the smallest utility of the other principals as
  it believes them (ideal points ``clip(p + s z, 0, 1)``, saliences
  ``w exp(s z')`` renormalised, ``s`` its belief noise), ranked by
  ``float32(1 + score)``. If nothing reaches its target it offers its first
  best outcome, and it makes no offer if that is worth less than ``r`` (less
  :data:`TOLERANCE`). Every other principal accepts an offer worth at least
  its own target (less :data:`TOLERANCE`). A round without agreement ends in
  breakdown when a principal walks out (``t Delta >= D`` and ``b > V``; the
  first in slot order is the cause) or else when the round's uniform draw is
  below ``q`` (cause: the hazard); otherwise the talks go on.
- ``equilibrium`` (events do not apply): the stationary subgame-perfect
  plan, by backward induction one cycle of proposers at a time from the
  discrete never-agreeing value ``((1 - d) s + d q b) / (1 - d (1 - q))``
  (``d = patience ** Delta``) until no value moves by more than
  :data:`CONVERGED` over a cycle (at most :data:`SOLVE_ROUNDS` rounds). A
  responder needs ``max(b, c)`` with ``c = (1 - d) s + d ((1 - q) V' + q b)``,
  all such comparisons within :data:`TOLERANCE`; with three or more principals
  the proposer offers, among the outcomes every responder accepts, its best
  (ties: the largest sum of the responders' utilities, then the lowest index)
  if it is worth at least its own ``max(b, c)``; with two it offers the
  lottery of neighbouring points of the concave hull of the Pareto frontier
  (of the outcomes both value at least ``max(b, never-agreeing value)``) that
  gives the responder exactly its threshold, drawn with the round's breakdown
  draw. A noisy proposer plays the
  plan of the game it believes it is in (the others' utilities and flows from
  its beliefs with noise ``s exp(-t Delta / learning_time)``; its own true),
  responders answer with their true thresholds. Without agreement, a
  principal whose ``b`` exceeds its true continuation (plus
  :data:`TOLERANCE`) walks out, else the hazard may end the talks.
- ``nash`` (one shot, round 0): the outcome maximising
  ``sum_a power_a log(U_a - r_a)`` among those with every gain positive;
  without one, the first principal (slot order) with ``b > V`` walks out at
  round 0, else the world is still talking.
- The row: the state at the horizon; ``round``/``date`` when the talks ended
  (-1 / NaT while talking); the levels in force (agreed terms, the breakdown
  alternative picked by the world's draw against the cumulative
  probabilities, or the status quo); every actor's utility of them at the
  parameters in force when the talks ended (effective for principals, plus
  the outside option after a breakdown; own for influencers).

Floating point: where and why an order is mirrored
--------------------------------------------------

Bit identity needs every rounding step in the batch's order; mathematically
equal forms would round differently and a last-bit difference can flip a
comparison or a tie. Mirrored on purpose:

- sums over issues run left to right starting from the first issue's term
  (the batch's ``outer_sum`` / ``levels_utility`` add issue by issue);
- an effective term is ``(1 - L_a) t_a + l_ba t_b + ...`` with ``b`` in
  scenario order and ``L_a`` summed in scenario order (``mix_influence``);
- sums over fewer than 8 terms (saliences over issues, the expected
  breakdown utility over alternatives, the responders' sum, the Nash
  objective over principals, cumulative alternative probabilities) are
  sequential, which is what numpy's reductions do below 8 elements
  (pairwise summation only splits larger blocks): scenarios with 8 or more
  issues or breakdown alternatives may differ in the last bit;
- the forms of the batch are kept where another algebraically equal form
  exists: the hazard ``q = -expm1(Delta log1p(-h))``, ``lambda = -log1p(-h)``,
  ``V = (rho s + lambda b) / (rho + lambda)``, the concave and convex curves
  as ``1 - expm1(k d) / expm1(k)`` and ``1 - expm1(-k d) / expm1(-k)``, the
  discrete never-agreeing value and continuation as written above, and
  lottery values as ``c U(high) + (1 - c) U(low)`` (also for a pure offer,
  ``c = 1``);
- ``exp``, ``log``, ``log1p``, ``expm1`` and ``**`` are numpy's scalar
  ufuncs (``np.power``, never Python's ``**``) and not :mod:`math`'s: numpy's
  SIMD kernels and the C library differ in the last bit, while a numpy
  scalar goes through the same kernel as an array element;
- points curves interpolate as ``np.interp`` does:
  ``slope (x - x_j) + y_j`` with ``slope = (y_{j+1} - y_j) / (x_{j+1} - x_j)``,
  exactly ``y_j`` at a knot, flat outside the points;
- the believed score is rounded once to single precision,
  ``float32(1 + score)``, as the batch ranks it.

Everything else (which outcome, which round, which cause) is decided by the
plain loops below.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import mesa
import numpy as np
import pandas as pd

from basesim.errors import UsageError
from basesim.scenario.sampling import FIELD_BOUNDS, Draws, parameter_slot
from basesim.scenario.schema import PROTOCOLS, Scenario, parse_round_length

__all__ = ["Negotiator", "Party", "Table", "batch_row", "play_one"]

NEG_INF = float("-inf")

#: Utilities closer than this are equal (offers, acceptance, walk-outs in the equilibrium).
TOLERANCE = 1e-9
#: Equilibrium values that move less than this over a cycle of proposers have converged.
CONVERGED = 1e-12
#: At most this many rounds of backward induction.
SOLVE_ROUNDS = 20_000
#: A frontier point this close below the chord of its neighbours still counts as on the
#: concave hull (collinear up to rounding).
HULL_TOLERANCE = 1e-12
#: Months per round-length unit (a month is 30.4375 days, a Julian year's twelfth).
MONTHS = {"day": 1 / 30.4375, "week": 7 / 30.4375, "month": 1.0, "quarter": 3.0, "year": 12.0}
#: An event's month this close below a round's start still falls on that round (in rounds).
EVENT_SLACK = 1e-9


@dataclass(frozen=True)
class Curve:
    """One actor's utility curve on one issue: ``kind`` linear, concave, convex or points;
    ``utility`` per level for points."""

    kind: str = "linear"
    curvature: float = 1.0
    utility: tuple[float, ...] = ()

    def g(self, level: int, value: float, ideal: float) -> float:
        distance = abs(value - ideal)
        if self.kind == "concave":
            return 1.0 - float(np.expm1(self.curvature * distance)) / float(np.expm1(self.curvature))
        if self.kind == "convex":
            return 1.0 - float(np.expm1(-self.curvature * distance)) / float(np.expm1(-self.curvature))
        if self.kind == "points":
            return self.utility[level]
        return 1.0 - distance


def interpolate(x: float, xs: list[float], ys: list[float]) -> float:
    """Piecewise-linear interpolation, flat outside ``xs`` (the rounding of ``np.interp``)."""
    if x < xs[0]:
        return ys[0]
    if x >= xs[-1]:
        return ys[-1]
    j = 0
    while xs[j + 1] <= x:
        j += 1
    if xs[j] == x:
        return ys[j]
    slope = (ys[j + 1] - ys[j]) / (xs[j + 1] - xs[j])
    return slope * (x - xs[j]) + ys[j]


def curve_of(spec: Any, amounts: list[float] | None) -> Curve:
    """A scenario's ``utility_curve`` entry as a :class:`Curve`."""
    if spec is None or isinstance(spec, str) or getattr(spec, "shape", None) == "linear":
        return Curve()
    if hasattr(spec, "points"):
        xs = [float(a) for a, _ in spec.points]
        ys = [float(u) for _, u in spec.points]
        return Curve("points", 1.0, tuple(interpolate(a, xs, ys) for a in amounts))
    return Curve(spec.shape, float(spec.curvature))


class Party(mesa.Agent):
    """One actor of one world, its parameters as plain floats.

    ``ideal_point`` and ``salience`` are lists over issues; ``leverage_on``
    maps an actor index to this actor's pull on it; ``curves`` its utility
    curve per issue.
    """

    def __init__(self, model: Table, name: str, index: int, world: int):
        super().__init__(model)
        draws = model.draws
        scenario = model.scenario
        self.name = name
        self.index = index
        issues = range(len(scenario.issues))
        self.ideal_point = [float(draws.ideal_point[world, index, i]) for i in issues]
        self.salience = [float(draws.salience[world, index, i]) for i in issues]
        self.leverage_on = {a: float(draws.leverage[world, index, a]) for a in range(len(scenario.actors))}
        for field in ("power", "outside_option", "concession", "patience", "belief_noise", "delay_cost",
                      "deadline", "learning_time"):
            setattr(self, field, float(getattr(draws, field)[world, index]))
        own = scenario.actors[name].utility_curve
        self.curves = [curve_of(own.get(issue_name), model.amounts[i])
                       for i, issue_name in enumerate(scenario.issues)]

    def terms(self, ideal_point: list[float] | None = None, salience: list[float] | None = None) -> list[list[float]]:
        """Per issue, per level: ``w_i g_i(v_l)`` (at given beliefs of the ideal points and saliences)."""
        ideal_point = self.ideal_point if ideal_point is None else ideal_point
        salience = self.salience if salience is None else salience
        return [
            [salience[i] * self.curves[i].g(level, value, ideal_point[i]) for level, value in enumerate(values)]
            for i, values in enumerate(self.model.values)
        ]

    def own_utility(self, levels: tuple[int, ...]) -> float:
        return add_up(self.terms(), levels)


class Negotiator(Party):
    """A principal: proposes in its turn, answers the others' offers, may walk out."""

    def __init__(self, model: Table, name: str, index: int, world: int, slot: int):
        super().__init__(model, name, index, world)
        self.slot = slot
        scenario = model.scenario
        own = scenario.actors[name].no_deal or {}
        issues = scenario.issues
        self.status_quo = tuple(issue.level_index(scenario.status_quo_levels[n]) for n, issue in issues.items())
        # what it believes each breakdown alternative gives (its own no_deal, issue by issue)
        self.breakdown = [
            tuple(issue.level_index(own.get(n, alternative.levels[n])) for n, issue in issues.items())
            for alternative in scenario.breakdown_alternatives.values()
        ]
        self.utility: list[float] = []
        self.talking_value = self.walkout_value = self.disagreement_value = self.reservation_utility = 0.0
        self.believed_score: list[float] = []

    # --- preferences and the values of not agreeing ---

    def effective_terms(self, terms_of: dict[int, list[list[float]]]) -> list[list[float]]:
        """``(1 - L_a) t_a + sum_{b != a} l_ba t_b`` per issue and level, b in scenario order."""
        parties = self.model.parties
        pull = 0.0
        for b in parties:
            pull = pull + b.leverage_on[self.index]
        mixed = []
        for i, own in enumerate(terms_of[self.index]):
            row = []
            for level, value in enumerate(own):
                acc = (1.0 - pull) * value
                for b in parties:
                    if b.index != self.index:
                        acc = acc + b.leverage_on[self.index] * terms_of[b.index][i][level]
                row.append(acc)
            mixed.append(row)
        return mixed

    def flows(self, terms: list[list[float]]) -> tuple[float, float]:
        """``(s, b)``: the talking flow and the walk-out value from effective terms."""
        model = self.model
        talking = add_up(terms, self.status_quo) - self.delay_cost
        expected = 0.0
        for weight, levels in zip(model.breakdown_weight, self.breakdown):
            expected = expected + add_up(terms, levels) * weight
        return talking, expected + self.outside_option

    def derive(self, terms_of: dict[int, list[list[float]]]) -> None:
        """The utility of every outcome, the flows, ``V`` and the reservation utility."""
        model = self.model
        mine = self.effective_terms(terms_of)
        self.utility = [add_up(mine, levels) for levels in model.outcomes]
        self.talking_value, self.walkout_value = self.flows(mine)
        self.values()

    def values(self) -> None:
        """``V`` and ``r = max(V, b)`` from the flows, patience and the hazard."""
        s, b = self.talking_value, self.walkout_value
        rho = -float(np.log(self.patience))
        lam = -float(np.log1p(-self.model.breakdown_risk))
        if lam == 0 or s == b:  # the status quo forever, or a mean of equal flows
            self.disagreement_value = s
        elif rho == 0:  # only the eventual breakdown counts
            self.disagreement_value = b
        else:
            self.disagreement_value = (rho * s + lam * b) / (rho + lam)
        self.reservation_utility = max(self.disagreement_value, b)

    def believed_terms(self, noise: float) -> dict[int, list[list[float]]]:
        """Every actor's per-issue terms as this principal believes them, with belief noise ``noise``."""
        model = self.model
        draws, world = model.draws, model.world
        believed = {}
        for party in model.parties:
            a = party.index
            ideal, weights = [], []
            for i in range(len(model.values)):
                z = float(draws.belief_ideal_z[world, self.slot, a, i])
                ideal.append(min(max(party.ideal_point[i] + noise * z, 0.0), 1.0))
                z_weight = float(draws.belief_salience_z[world, self.slot, a, i])
                weights.append(party.salience[i] * float(np.exp(noise * z_weight)))
            if noise > 0:
                total = 0.0
                for w in weights:
                    total = total + w
                weights = [w / total for w in weights]
            else:  # without noise the belief is the truth exactly
                weights = list(party.salience)
            believed[a] = party.terms(ideal, weights)
        return believed

    def derive_beliefs(self) -> None:
        """Per outcome, ``float32(1 + smallest believed effective utility of the other principals)``."""
        model = self.model
        believed = self.believed_terms(self.belief_noise)
        seen = [q.effective_terms(believed) for q in model.negotiators if q is not self]
        self.believed_score = [
            float(np.float32(1.0 + min(add_up(terms, levels) for terms in seen))) for levels in model.outcomes
        ]

    # --- alternating offers ---

    def target(self, round_: int) -> float:
        r = self.reservation_utility
        elapsed = min(round_ * self.model.months_per_round / self.deadline, 1.0)
        fraction = float(np.power(elapsed, 1.0 / self.concession))
        return max(r + (1.0 - r) * (1.0 - fraction), r)

    def propose(self, round_: int) -> tuple[int, bool]:
        """The offer (outcome number) and whether it is made at all."""
        threshold = self.target(round_)
        offer, best = None, NEG_INF
        for k, utility in enumerate(self.utility):
            if utility >= threshold and (offer is None or self.believed_score[k] > best):
                offer, best = k, self.believed_score[k]
        if offer is None:
            offer = first_best(self.utility)
        return offer, self.utility[offer] >= self.reservation_utility - TOLERANCE

    def accepts(self, offer: int, round_: int) -> bool:
        return self.utility[offer] >= self.target(round_) - TOLERANCE

    def walks_out(self, round_: int) -> bool:
        """Its deadline has passed and a breakdown beats dragging on."""
        late = round_ * self.model.months_per_round >= self.deadline
        return late and self.walkout_value > self.disagreement_value


class Game:
    """A bargaining game of one world: utilities (per principal, per outcome), flows, discounts per round."""

    def __init__(self, utility: list[list[float]], talking: list[float], walkout: list[float],
                 discount: list[float], hazard: float, order: list[int]):
        self.utility, self.talking, self.walkout = utility, talking, walkout
        self.discount, self.hazard, self.order = discount, hazard, order
        self.count = len(talking)

    def never_agreeing(self) -> list[float]:
        out = []
        for s, b, d in zip(self.talking, self.walkout, self.discount):
            q = self.hazard
            denominator = 1.0 - d * (1.0 - q)
            out.append(((1.0 - d) * s + d * q * b) / denominator if denominator > 0 else s)
        return out

    def thresholds(self, value: list[float]) -> tuple[list[float], list[float]]:
        """``(max(b, c), c)`` per principal given next round's values."""
        q = self.hazard
        continuation = [
            (1.0 - d) * s + d * ((1.0 - q) * v + q * b)
            for s, b, d, v in zip(self.talking, self.walkout, self.discount, value)
        ]
        return [max(b, c) for b, c in zip(self.walkout, continuation)], continuation


@dataclass
class Move:
    """What the proposer of one position of the cycle does: the lottery ``high`` w.p. ``chance``, else ``low``."""

    high: int
    low: int
    chance: float
    agree: bool
    threshold: list[float]
    continuation: list[float]


def solve(game: Game) -> dict[int, Move]:
    """The stationary plan, position in the cycle -> :class:`Move`, by backward induction until converged."""
    count = game.count
    cycle = len(game.order)
    value = game.never_agreeing()
    if count == 2:
        bar = [max(b, v) - TOLERANCE for b, v in zip(game.walkout, value)]
        hull = concave_hull(game, pareto_frontier(game, bar))
    else:
        preference = {p: best_first(game, p) for p in set(game.order)}
    plan: dict[int, Move] = {}
    for _ in range(max(SOLVE_ROUNDS // cycle, 1)):
        before = value
        current = value
        for position in range(cycle - 1, -1, -1):
            p = game.order[position]
            threshold, continuation = game.thresholds(current)
            if count == 2:
                high, low, chance, agree, agreed = lottery_offer(game, hull, threshold, p)
            else:
                high, agree, agreed = pure_offer(game, preference[p], threshold, p)
                low, chance = high, 1.0
            current = agreed if agree else continuation
            plan[position] = Move(high, low, chance, agree, threshold, continuation)
        value = current
        if max(abs(v - w) for v, w in zip(value, before)) <= CONVERGED:
            break
    return plan


def best_first(game: Game, p: int) -> list[int]:
    """Outcomes in the order proposer ``p`` prefers them: own utility falling, then the responders'
    sum (in slot order) falling, then the outcome number rising."""
    others = [q for q in range(game.count) if q != p]

    def responders(k: int) -> float:
        total = 0.0
        for q in others:
            total = total + game.utility[q][k]
        return total

    return sorted(range(len(game.utility[p])), key=lambda k: (-game.utility[p][k], -responders(k), k))


def pure_offer(game: Game, preference: list[int], threshold: list[float], p: int) -> tuple[int, bool, list[float]]:
    """Three or more principals: the proposer's most preferred outcome that every responder accepts."""
    for k in preference:
        if all(game.utility[q][k] >= threshold[q] - TOLERANCE for q in range(game.count) if q != p):
            return k, game.utility[p][k] >= threshold[p] - TOLERANCE, [u[k] for u in game.utility]
    return 0, False, []


def pareto_frontier(game: Game, bar: list[float]) -> list[int]:
    """Outcomes both principals value at least ``bar`` that no such outcome weakly dominates;
    of outcomes with equal utilities only the lowest-numbered counts."""
    first, second = game.utility
    points = [k for k in range(len(first)) if first[k] >= bar[0] and second[k] >= bar[1]]
    frontier, seen = [], set()
    for k in points:
        a, b = first[k], second[k]
        dominated = any(first[j] >= a and second[j] >= b and (first[j] > a or second[j] > b) for j in points)
        if not dominated and (a, b) not in seen:
            seen.add((a, b))
            frontier.append(k)
    return frontier


def concave_hull(game: Game, frontier: list[int]) -> list[int]:
    """The frontier outcomes no lottery between two others beats, by rising utility of the first principal.

    Passes drop every point below the chord of its neighbours (by more than
    :data:`HULL_TOLERANCE` in the cross product) until none is.
    """
    first, second = game.utility
    kept = sorted(frontier, key=lambda k: first[k])
    while True:
        below = set()
        for j in range(1, len(kept) - 1):
            x1, y1 = first[kept[j - 1]], second[kept[j - 1]]
            x2, y2 = first[kept[j]], second[kept[j]]
            x3, y3 = first[kept[j + 1]], second[kept[j + 1]]
            if (y2 - y1) * (x3 - x1) - (x2 - x1) * (y3 - y1) < -HULL_TOLERANCE:
                below.add(j)
        if not below:
            return kept
        kept = [k for j, k in enumerate(kept) if j not in below]


def lottery_offer(game: Game, hull: list[int], threshold: list[float], p: int):
    """Two principals: the lottery of neighbouring hull points giving the responder exactly its threshold.

    Returns ``(high, low, chance of high, agree, values)``; ``high`` is the hull
    point the responder likes least among those worth its threshold, ``low``
    its neighbour the responder likes less (``high`` itself if there is none).
    """
    q = 1 - p
    mine, theirs = game.utility[p], game.utility[q]
    need = threshold[q]
    enough = [k for k in hull if theirs[k] >= need - TOLERANCE]
    if not enough:
        return 0, 0, 1.0, False, []
    high = min(enough, key=lambda k: theirs[k])
    short = [k for k in hull if theirs[k] < need - TOLERANCE]
    if short:
        low = max(short, key=lambda k: theirs[k])
        gap = theirs[high] - theirs[low]
        chance = (need - theirs[low]) / gap if gap > 0 else 1.0
        chance = min(max(chance, 0.0), 1.0)
    else:
        low, chance = high, 1.0
    best = chance * mine[high] + (1.0 - chance) * mine[low]
    their_value = chance * theirs[high] + (1.0 - chance) * theirs[low]
    values = [0.0, 0.0]
    values[p], values[q] = best, their_value
    return high, low, chance, best >= threshold[p] - TOLERANCE, values


class Table(mesa.Model):
    """One world negotiating under one protocol, round by round."""

    def __init__(self, draws: Draws, world: int, *, protocol: str | None = None):
        super().__init__()
        scenario = draws.scenario
        self.draws = draws
        self.world = world
        self.scenario = scenario
        self.protocol = protocol or scenario.protocol.name
        if self.protocol not in PROTOCOLS:
            raise UsageError(f"protocol: {self.protocol!r} is not a protocol; expected one of {', '.join(PROTOCOLS)}")
        self.rounds = scenario.protocol.rounds
        count, unit = parse_round_length(scenario.protocol.round_length)
        self.months_per_round = count * MONTHS[unit]
        self.values = [[float(v) for v in issue.values] for issue in scenario.issues.values()]
        self.amounts = [None if issue.amounts is None else [float(a) for a in issue.amounts]
                        for issue in scenario.issues.values()]
        self.outcomes = list(itertools.product(*(range(len(v)) for v in self.values)))
        self.breakdown_risk = float(draws.breakdown_risk[world])
        self.breakdown_weight = [float(w) for w in draws.breakdown_weight[world]]
        self.event_rounds = self.rounds_of_events()
        self.parties: list[Party] = []
        self.negotiators: list[Negotiator] = []
        for index, (name, actor) in enumerate(scenario.actors.items()):
            if actor.is_principal:
                party = Negotiator(self, name, index, world, len(self.negotiators))
                self.negotiators.append(party)
            else:
                party = Party(self, name, index, world)
            self.parties.append(party)
        first = scenario.protocol.first_proposer or scenario.principals[0]
        self.first_slot = scenario.principals.index(first)
        self.round = 0
        self.result = "talking"
        self.end_round = -1
        self.agreement: int | None = None
        self.proposer_name: str | None = None
        self.cause: str | None = None
        self.derive()
        self.plan = self.solve_equilibrium() if self.protocol == "equilibrium" else None

    def rounds_of_events(self) -> list[int]:
        """The round of every event in this world: the first round starting at or after its month
        (``t Delta >= month``, up to :data:`EVENT_SLACK` rounds), or its drawn round."""
        out = []
        for e, (name, event) in enumerate(self.scenario.events.items()):
            if event.month is None:
                out.append(int(self.draws.event_round[self.world, e]))
                continue
            path = f"events.{name}.month"
            month = float(self.draws.inputs[path][self.world]) if path in self.draws.inputs else float(event.month)
            round_ = 0
            while round_ * self.months_per_round < month - EVENT_SLACK * self.months_per_round:
                round_ += 1
            out.append(round_)
        return out

    def derive(self) -> None:
        """Utilities, flows and values of every principal (and beliefs, under alternating offers)."""
        terms_of = {party.index: party.terms() for party in self.parties}
        for negotiator in self.negotiators:
            negotiator.derive(terms_of)
        if self.protocol == "alternating_offers":
            for negotiator in self.negotiators:
                negotiator.derive_beliefs()

    def proposer(self, round_: int) -> Negotiator:
        return self.negotiators[(self.first_slot + round_) % len(self.negotiators)]

    def hazard(self) -> float:
        """The probability that the talks collapse in one round: ``1 - (1 - h) ** Delta``."""
        return -float(np.expm1(self.months_per_round * float(np.log1p(-self.breakdown_risk))))

    # --- one round ---

    def step(self) -> None:
        t = self.round
        if self.protocol == "alternating_offers":
            self.alternating_round(t)
        elif self.protocol == "equilibrium":
            self.equilibrium_round(t)
        else:
            self.nash_round()
        self.round += 1
        self.running = self.result == "talking" and self.round < self.rounds and self.protocol != "nash"

    def run(self) -> Table:
        self.running = True
        while self.running:
            self.step()
        return self

    def finish(self, result: str, round_: int, *, offer: int | None = None, proposer: Negotiator | None = None,
               cause: str | None = None) -> None:
        self.result = result
        self.end_round = round_
        self.agreement = offer
        self.proposer_name = proposer.name if proposer is not None else None
        self.cause = cause

    def walk_out(self, round_: int, walks) -> bool:
        """End in breakdown if a principal walks out (the first in slot order is the cause) or the hazard strikes."""
        for negotiator in self.negotiators:
            if walks(negotiator):
                self.finish("breakdown", round_, cause=negotiator.name)
                return True
        if float(self.draws.breakdown_u[self.world, round_]) < self.hazard():
            self.finish("breakdown", round_, cause="hazard")
            return True
        return False

    def alternating_round(self, t: int) -> None:
        self.apply_events(t)
        proposer = self.proposer(t)
        offer, made = proposer.propose(t)
        accepted = made
        for other in self.negotiators:
            if other is not proposer and not other.accepts(offer, t):
                accepted = False
        if accepted:
            self.finish("agreement", t, offer=offer, proposer=proposer)
        else:
            self.walk_out(t, lambda n: n.walks_out(t))

    def equilibrium_round(self, t: int) -> None:
        position = t % len(self.negotiators)
        proposer = self.proposer(t)
        truth = self.plan[position]
        move = truth
        if proposer.belief_noise > 0:  # the proposer plays the game it believes it is in
            move = solve(self.believed_game(proposer, t))[position]
        draw = float(self.draws.breakdown_u[self.world, t])
        accepted = move.agree
        for other in self.negotiators:
            if other is not proposer:
                worth = move.chance * other.utility[move.high] + (1.0 - move.chance) * other.utility[move.low]
                if not worth >= truth.threshold[other.slot] - TOLERANCE:
                    accepted = False
        if accepted:
            # the lottery is drawn with the round's breakdown draw, unused when talks end in agreement
            offer = move.high if draw < move.chance else move.low
            self.finish("agreement", t, offer=offer, proposer=proposer)
        else:
            self.walk_out(t, lambda n: n.walkout_value > truth.continuation[n.slot] + TOLERANCE)

    def nash_round(self) -> None:
        best, best_value = None, NEG_INF
        for k in range(len(self.outcomes)):
            gains = [n.utility[k] - n.reservation_utility for n in self.negotiators]
            if all(g > 0 for g in gains):
                value = 0.0
                for n, g in zip(self.negotiators, gains):
                    value = value + n.power * float(np.log(g))
                if best is None or value > best_value:
                    best, best_value = k, value
        if best is not None:
            self.finish("agreement", 0, offer=best)
            return
        for negotiator in self.negotiators:
            if negotiator.walkout_value > negotiator.disagreement_value:
                self.finish("breakdown", 0, cause=negotiator.name)
                return

    # --- events ---

    def apply_events(self, t: int) -> None:
        draws, world = self.draws, self.world
        fired = False
        changed: set[str] = set()
        for e, (name, event) in enumerate(self.scenario.events.items()):
            if not (draws.event_fires[world, e] and self.event_rounds[e] == t):
                continue
            fired = True
            for kind in ("set", "add"):
                for path in getattr(event, kind):
                    value = float(draws.event_values[(name, path)][world])
                    attribute, index = parameter_slot(self.scenario, path)
                    changed.add(attribute)
                    current = self.get_parameter(attribute, index)
                    new = value if kind == "set" else current + value
                    low, high = FIELD_BOUNDS[attribute]
                    self.set_parameter(attribute, index, min(max(new, low), high))
            for party in self.parties if "salience" in changed else ():
                total = 0.0
                for w in party.salience:
                    total = total + w
                if total > 0:
                    party.salience = [w / total for w in party.salience]
                else:
                    party.salience = [1.0 / len(party.salience)] * len(party.salience)
            for target in self.parties if "leverage" in changed else ():
                total = 0.0
                for b in self.parties:
                    total = total + b.leverage_on[target.index]
                for b in self.parties:
                    b.leverage_on[target.index] = b.leverage_on[target.index] / max(total, 1.0)
        if fired:
            self.derive()

    def get_parameter(self, attribute: str, index: tuple[int, ...]) -> float:
        if attribute == "breakdown_risk":
            return self.breakdown_risk
        party = self.parties[index[0]]
        if attribute in ("ideal_point", "salience"):
            return getattr(party, attribute)[index[1]]
        if attribute == "leverage":
            return party.leverage_on[index[1]]
        return getattr(party, attribute)

    def set_parameter(self, attribute: str, index: tuple[int, ...], value: float) -> None:
        if attribute == "breakdown_risk":
            self.breakdown_risk = value
            return
        party = self.parties[index[0]]
        if attribute in ("ideal_point", "salience"):
            getattr(party, attribute)[index[1]] = value
        elif attribute == "leverage":
            party.leverage_on[index[1]] = value
        else:
            setattr(party, attribute, value)

    # --- equilibrium ---

    def game(self, utility: list[list[float]], talking: list[float], walkout: list[float]) -> Game:
        negotiators = self.negotiators
        discount = [float(np.power(n.patience, self.months_per_round)) for n in negotiators]
        order = [self.proposer(t).slot for t in range(len(negotiators))]
        return Game(utility, talking, walkout, discount, self.hazard(), order)

    def solve_equilibrium(self) -> dict[int, Move]:
        """The complete-information plan, solved at round-0 parameters."""
        negotiators = self.negotiators
        return solve(self.game([n.utility for n in negotiators], [n.talking_value for n in negotiators],
                               [n.walkout_value for n in negotiators]))

    def believed_game(self, proposer: Negotiator, t: int) -> Game:
        """The game ``proposer`` believes it is in at round ``t``: the others' utilities and flows from its
        beliefs, with noise ``belief_noise * exp(-t Delta / learning_time)``; its own are true."""
        months = t * self.months_per_round
        noise = proposer.belief_noise * float(np.exp(-months / proposer.learning_time))
        believed = proposer.believed_terms(noise)
        utility, talking, walkout = [], [], []
        for n in self.negotiators:
            if n is proposer:
                utility.append(n.utility)
                talking.append(n.talking_value)
                walkout.append(n.walkout_value)
                continue
            terms = n.effective_terms(believed)
            utility.append([add_up(terms, levels) for levels in self.outcomes])
            s, b = n.flows(terms)
            talking.append(s)
            walkout.append(b)
        return self.game(utility, talking, walkout)

    # --- the table row ---

    def breakdown_alternative(self) -> int:
        """Which alternative follows a breakdown: the first whose cumulative probability exceeds the draw."""
        pick = float(self.draws.breakdown_pick[self.world])
        weights = self.breakdown_weight
        k, cumulative = 0, weights[0]
        while k < len(weights) - 1 and pick >= cumulative:
            k += 1
            cumulative = cumulative + weights[k]
        return k

    def levels_in_force(self) -> tuple[int, ...]:
        scenario = self.scenario
        if self.result == "agreement":
            return self.outcomes[self.agreement]
        if self.result == "breakdown":
            alternative = list(scenario.breakdown_alternatives.values())[self.breakdown_alternative()]
            return tuple(issue.level_index(alternative.levels[n]) for n, issue in scenario.issues.items())
        return tuple(issue.level_index(scenario.status_quo_levels[n]) for n, issue in scenario.issues.items())

    def date(self) -> pd.Timestamp:
        if self.end_round < 0:
            return pd.NaT
        count, unit = parse_round_length(self.scenario.protocol.round_length)
        months = {"month": 1, "quarter": 3, "year": 12}
        if unit in months:
            offset = pd.DateOffset(months=count * months[unit] * self.end_round)
        else:
            offset = pd.DateOffset(days=count * (7 if unit == "week" else 1) * self.end_round)
        return pd.Timestamp(self.scenario.protocol.start_date) + offset

    def row(self) -> dict[str, Any]:
        """The world's result, with the columns of :func:`basesim.model.play` (see :func:`batch_row`)."""
        scenario = self.scenario
        levels = self.levels_in_force()
        broken = self.result == "breakdown"
        out: dict[str, Any] = {
            "result": self.result,
            "round": self.end_round,
            "date": self.date(),
            "proposer": self.proposer_name,
            "breakdown_alternative": list(scenario.breakdown_alternatives)[self.breakdown_alternative()]
            if broken else None,
            "breakdown_cause": self.cause if broken else None,
        }
        for i, (name, issue) in enumerate(scenario.issues.items()):
            out[name] = issue.labels[levels[i]]
            out[f"{name}_level"] = levels[i]
            if self.amounts[i] is not None:
                out[f"{name}_amount"] = self.amounts[i][levels[i]]
        terms_of = {party.index: party.terms() for party in self.parties}
        for party in self.parties:
            if isinstance(party, Negotiator):
                utility = add_up(party.effective_terms(terms_of), levels)
                if broken:
                    utility = utility + party.outside_option
            else:
                utility = add_up(terms_of[party.index], levels)
            out[f"utility_{party.name}"] = utility
        return out


def add_up(terms: list[list[float]], levels: tuple[int, ...]) -> float:
    """``sum_i terms[i][levels[i]]``, issues left to right."""
    total = terms[0][levels[0]]
    for i in range(1, len(levels)):
        total = total + terms[i][levels[i]]
    return total


def first_best(utility: list[float]) -> int:
    best = 0
    for k in range(1, len(utility)):
        if utility[k] > utility[best]:
            best = k
    return best


def play_one(draws: Draws, world: int, *, protocol: str | None = None) -> dict[str, Any]:
    """Play world ``world`` of ``draws`` alone; the same fields as :func:`batch_row` of a ``play`` row.

    Keys: ``result`` (agreement, breakdown, talking), ``round`` (-1 while
    talking), ``date`` (NaT while talking), ``proposer`` (None unless an
    agreement under alternating offers or equilibrium),
    ``breakdown_alternative`` and ``breakdown_cause`` (None unless a
    breakdown; the cause is ``hazard`` or the principal who walked out), per
    issue ``ISSUE`` (label), ``ISSUE_level`` and, with amounts,
    ``ISSUE_amount``, per actor ``utility_ACTOR``.
    """
    table = Table(draws, world, protocol=protocol).run()
    getattr(mesa.Agent, "_ids", {}).pop(table, None)  # mesa <= 3.3 keeps every model alive otherwise
    return table.row()


def _category(value: Any) -> str | None:
    return None if pd.isna(value) else str(value)


def batch_row(table: pd.DataFrame, k: int, scenario: Scenario) -> dict[str, Any]:
    """Row ``k`` of a :func:`basesim.model.play` table in :func:`play_one`'s keys, to compare the two.

    A missing date is ``pd.NaT`` (a singleton, so two rows of talks still going on compare equal).
    """
    row = table.iloc[k]
    out: dict[str, Any] = {
        "result": str(row["result"]),
        "round": int(row["round"]),
        "date": pd.NaT if pd.isna(row["date"]) else pd.Timestamp(row["date"]),
        "proposer": _category(row["proposer"]),
        "breakdown_alternative": _category(row["breakdown_alternative"]),
        "breakdown_cause": _category(row["breakdown_cause"]),
    }
    for name, issue in scenario.issues.items():
        out[name] = str(row[name])
        out[f"{name}_level"] = int(row[f"{name}_level"])
        if issue.amounts is not None:
            out[f"{name}_amount"] = float(row[f"{name}_amount"])
    for name in scenario.actors:
        out[f"utility_{name}"] = float(row[f"utility_{name}"])
    return out
