"""A plain, obvious model of ONE world: the oracle for the vectorised batch.

This is the negotiation written the way a Mesa user would write it without
thinking about speed: one :class:`mesa.Model` per replication, one
:class:`mesa.Agent` per actor holding its parameters as plain Python floats,
Python loops over the outcomes (``itertools.product`` over the issues'
levels, C order: the last issue varies fastest) and over the rounds. It is
written from the semantics documented in :mod:`basesim.model`,
:mod:`basesim.model.protocols` and BRIEF.md ("The model") and shares no code with
the vectorised kernels (:mod:`basesim.model.outcome_space`, :mod:`basesim.model.state`,
:mod:`basesim.model.agents`); the tests require both to give the same table row.

Floating point. To give bit-identical utilities, sums run in the documented
order: over issues left to right; an effective utility is
``(1 - L_a) t_a + sum_b l_ba t_b`` with ``b`` in scenario order and ``L_a``
summed in scenario order; the responders' sum and the Nash objective add
principals in slot order. ``exp``, ``log`` and ``**`` are numpy's scalar
ufuncs, not :mod:`math`'s: numpy's SIMD kernels and the C library may differ
in the last bit, and a last-bit difference can break a tie differently.

Semantics (BRIEF.md; Faratin, Sierra and Jennings 1998 for the targets;
Rubinstein 1982 and Stahl 1972 for the equilibrium; Nash 1950 and Kalai 1977
for the bargaining solution):

- utility ``u_a(x) = sum_i w_ai (1 - |x_i - p_ai|)``; effective utility of a
  principal ``U_a(x) = (1 - L_a) u_a(x) + sum_b l_ba u_b(x)``; reservation
  ``r_a = U_a(no_deal_a) + o_a`` (the principal's own no-deal levels where it
  gives them, the scenario's otherwise);
- ``alternating_offers``: events apply at the start of their round (set or
  add, clipped to the field's range; then, if an event changed them, saliences renormalised and the
  leverage over a principal scaled down to sum at most 1). The proposer of
  round t (turns rotate from the first proposer) has target
  ``max(r + (1 - r)(1 - (t/T)^(1/beta)), r)``; among the outcomes worth at
  least its target it offers the first one maximising the smallest utility
  of the other principals as it believes them (ideal points
  ``clip(p + s z, 0, 1)``, saliences ``w exp(s z')`` renormalised, ``s`` its
  belief noise), ranked by ``float32(1 + score)`` (single precision, as the
  batch ranks it; ties go to the lowest outcome index). If nothing reaches
  its target it offers its first best outcome, and it makes no offer at all
  if that is worth less than its reservation utility. Every other principal
  accepts an offer worth at least its own target. A round without agreement
  ends in breakdown when the round's uniform draw is below the breakdown
  risk; after the last round the talks end in impasse;
- ``equilibrium``: backward induction at round-0 parameters. ``V(T) = r``;
  in round t the continuation is ``c_a = d_a ((1 - h) V_a(t+1) + h r_a)``, a
  responder accepts an outcome worth at least ``max(r_a, c_a)``; the
  proposer picks among the accepted outcomes its best, ties broken by the
  responders' sum, then by the lowest index, and offers it if worth at least
  ``max(r_p, c_p)``; otherwise it delays and ``V(t) = c(t)``. With two
  principals it may instead offer a lottery between the two neighbouring
  outcomes around the responder's threshold on the concave hull of the
  Pareto frontier (of the outcomes both weakly prefer to no deal), giving
  the responder exactly the threshold; the lottery is drawn with the round's
  breakdown draw;
- ``nash``: the outcome maximising ``sum_a power_a log(U_a - r_a)`` among
  those with every gain positive, agreed at round 0; with no such outcome an
  impasse at the last round.
"""

from __future__ import annotations

import itertools
from typing import Any

import mesa
import numpy as np
import pandas as pd

from basesim.errors import UsageError
from basesim.scenario.sampling import FIELD_BOUNDS, Draws, parameter_slot
from basesim.scenario.schema import PROTOCOLS, Scenario, parse_round_length

__all__ = ["Party", "Negotiator", "Table", "play_one"]

NEG_INF = float("-inf")

#: A frontier point this close below the chord of its neighbours still counts as on the
#: concave hull (collinear up to rounding), as in the batch's equilibrium.
HULL_TOLERANCE = 1e-12


class Party(mesa.Agent):
    """One actor of one world, its parameters as plain floats.

    ``ideal_point`` and ``salience`` are lists over issues; ``leverage_on``
    maps a principal's actor index to this actor's pull on it.
    """

    def __init__(self, model: "Table", name: str, index: int, world: int):
        super().__init__(model)
        draws = model.draws
        self.name = name
        self.index = index
        issues = range(len(model.scenario.issues))
        self.ideal_point = [float(draws.ideal_point[world, index, i]) for i in issues]
        self.salience = [float(draws.salience[world, index, i]) for i in issues]
        self.leverage_on = {
            a: float(draws.leverage[world, index, a]) for a in range(len(model.scenario.actors))
        }
        self.power = float(draws.power[world, index])
        self.outside_option = float(draws.outside_option[world, index])
        self.concession = float(draws.concession[world, index])
        self.patience = float(draws.patience[world, index])
        self.belief_noise = float(draws.belief_noise[world, index])

    def terms(self) -> list[list[float]]:
        """Per issue, per level: ``w_i (1 - |v_l - p_i|)``."""
        return level_terms(self.model.values, self.ideal_point, self.salience)

    def own_utility(self, levels: tuple[int, ...]) -> float:
        total = 0.0
        for i, level in enumerate(levels):
            total = total + self.salience[i] * (1.0 - abs(self.model.values[i][level] - self.ideal_point[i]))
        return total


class Negotiator(Party):
    """A principal: proposes in its turn, answers the others' offers."""

    def __init__(self, model: "Table", name: str, index: int, world: int, slot: int):
        super().__init__(model, name, index, world)
        self.slot = slot
        scenario = model.scenario
        own = scenario.actors[name].no_deal or {}
        self.no_deal = tuple(
            issue.level_index(own.get(issue_name, scenario.no_deal[issue_name]))
            for issue_name, issue in scenario.issues.items()
        )
        self.utility: dict[tuple[int, ...], float] = {}
        self.reservation_utility = 0.0
        self.believed_score: dict[tuple[int, ...], float] = {}

    # --- preferences ---

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

    def derive(self) -> None:
        """Recompute the utility of every outcome and the reservation utility."""
        model = self.model
        terms_of = {party.index: party.terms() for party in model.parties}
        mine = self.effective_terms(terms_of)
        self.utility = {levels: add_up(mine, levels) for levels in model.outcomes}
        self.reservation_utility = add_up(mine, self.no_deal) + self.outside_option

    def derive_beliefs(self) -> None:
        """Smallest believed effective utility of the other principals, per outcome."""
        model = self.model
        world = model.world
        draws = model.draws
        noise = self.belief_noise
        believed_terms = {}
        for party in model.parties:
            a = party.index
            ideal = []
            weights = []
            for i in range(len(model.values)):
                z = float(draws.belief_ideal_z[world, self.slot, a, i])
                ideal.append(float(np.clip(party.ideal_point[i] + noise * z, 0.0, 1.0)))
                z_weight = float(draws.belief_salience_z[world, self.slot, a, i])
                weights.append(party.salience[i] * float(np.exp(noise * z_weight)))
            total = 0.0
            for w in weights:
                total = total + w
            weights = [w / total for w in weights]
            believed_terms[a] = level_terms(model.values, ideal, weights)
        others = [q for q in model.negotiators if q is not self]
        seen = [q.effective_terms(believed_terms) for q in others]
        # the ranking key is rounded once to single precision: float32(1 + score)
        self.believed_score = {
            levels: float(np.float32(1.0 + min(add_up(terms, levels) for terms in seen))) for levels in model.outcomes
        }

    # --- alternating offers ---

    def target(self, round_: int) -> float:
        r = self.reservation_utility
        fraction = float(np.power(round_ / self.model.rounds, 1.0 / self.concession))
        return max(r + (1.0 - r) * (1.0 - fraction), r)

    def propose(self, round_: int) -> tuple[tuple[int, ...], bool]:
        """The offer and whether it is made at all."""
        threshold = self.target(round_)
        offer, best = None, NEG_INF
        for levels in self.model.outcomes:
            if self.utility[levels] >= threshold and (offer is None or self.believed_score[levels] > best):
                offer, best = levels, self.believed_score[levels]
        if offer is None:
            offer = first_best(self.model.outcomes, self.utility)
        return offer, self.utility[offer] >= self.reservation_utility

    def accepts(self, offer: tuple[int, ...], round_: int) -> bool:
        return self.utility[offer] >= self.target(round_)


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
        self.values = [[float(v) for v in issue.values] for issue in scenario.issues.values()]
        self.outcomes = list(itertools.product(*(range(len(v)) for v in self.values)))
        self.breakdown_risk = float(draws.breakdown_risk[world])
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
        self.result: str | None = None
        self.end_round = -1
        self.agreement: tuple[int, ...] | None = None
        self.proposer_name: str | None = None
        self.derive()
        self.plan = self.solve_equilibrium() if self.protocol == "equilibrium" else None

    def derive(self) -> None:
        for negotiator in self.negotiators:
            negotiator.derive()
        if self.protocol == "alternating_offers":
            for negotiator in self.negotiators:
                negotiator.derive_beliefs()

    def proposer(self, round_: int) -> Negotiator:
        return self.negotiators[(self.first_slot + round_) % len(self.negotiators)]

    # --- one round ---

    def step(self) -> None:
        t = self.round
        if self.protocol == "alternating_offers":
            self.alternating_round(t)
        elif self.protocol == "equilibrium":
            self.equilibrium_round(t)
        else:
            self.nash_round()
        if self.result is None and t == self.rounds - 1:
            self.finish("impasse", t)
        self.round += 1
        self.running = self.result is None and self.round < self.rounds

    def run(self) -> "Table":
        self.running = True
        while self.running:
            self.step()
        return self

    def finish(self, result: str, round_: int, offer=None, proposer: Negotiator | None = None) -> None:
        self.result = result
        self.end_round = round_
        self.agreement = offer
        self.proposer_name = proposer.name if proposer is not None else None

    def alternating_round(self, t: int) -> None:
        self.apply_events(t)
        proposer = self.proposer(t)
        offer, made = proposer.propose(t)
        accepted = made
        for other in self.negotiators:
            if other is not proposer and not other.accepts(offer, t):
                accepted = False
        if accepted:
            self.finish("agreement", t, offer, proposer)
        elif self.breaks_down(t):
            self.finish("breakdown", t)

    def equilibrium_round(self, t: int) -> None:
        high, low, chance, agreed = self.plan[t]
        if agreed:
            # the lottery is drawn with the round's breakdown draw, unused when talks end in agreement
            offer = high if float(self.draws.breakdown_u[self.world, t]) < chance else low
            self.finish("agreement", t, offer, self.proposer(t))
        elif self.breaks_down(t):
            self.finish("breakdown", t)

    def nash_round(self) -> None:
        best, best_value = None, NEG_INF
        for levels in self.outcomes:
            gains = [n.utility[levels] - n.reservation_utility for n in self.negotiators]
            if all(g > 0 for g in gains):
                value = 0.0
                for n, g in zip(self.negotiators, gains):
                    value = value + n.power * float(np.log(g))
                if best is None or value > best_value:
                    best, best_value = levels, value
        if best is not None:
            self.finish("agreement", 0, best, None)
        else:
            self.finish("impasse", self.rounds - 1)

    def breaks_down(self, t: int) -> bool:
        return float(self.draws.breakdown_u[self.world, t]) < self.breakdown_risk

    # --- events ---

    def apply_events(self, t: int) -> None:
        draws, world = self.draws, self.world
        fired = False
        changed: set[str] = set()
        for e, (name, event) in enumerate(self.scenario.events.items()):
            if not (draws.event_fires[world, e] and draws.event_round[world, e] == t):
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

    def solve_equilibrium(self) -> list[tuple[tuple[int, ...], tuple[int, ...], float, bool]]:
        """Round t -> (high, low, chance of high, agreed) of the subgame-perfect plan.

        Backward induction. With two principals the proposer may offer a
        lottery between neighbouring Pareto outcomes that gives the responder
        exactly its threshold; otherwise offers are pure outcomes.
        """
        negotiators = self.negotiators
        h = self.breakdown_risk
        reservation = [n.reservation_utility for n in negotiators]
        value = list(reservation)
        plan: list[Any] = [None] * self.rounds
        frontier = self.concave_hull(self.pareto_frontier()) if len(negotiators) == 2 else None
        for t in range(self.rounds - 1, -1, -1):
            proposer = self.proposer(t)
            continuation = [n.patience * ((1.0 - h) * value[n.slot] + h * reservation[n.slot]) for n in negotiators]
            threshold = [max(reservation[s], continuation[s]) for s in range(len(negotiators))]
            if frontier is not None:
                plan[t], agreed_value = self.lottery_offer(frontier, proposer, threshold)
            else:
                plan[t], agreed_value = self.pure_offer(proposer, threshold)
            value = agreed_value if plan[t][3] else continuation
        return plan

    def pure_offer(self, proposer: Negotiator, threshold: list[float]):
        others = [n for n in self.negotiators if n is not proposer]
        offer, own_best, responders_best = None, NEG_INF, NEG_INF
        for levels in self.outcomes:
            if not all(q.utility[levels] >= threshold[q.slot] for q in others):
                continue
            own = proposer.utility[levels]
            responders = 0.0
            for q in others:
                responders = responders + q.utility[levels]
            if offer is None or own > own_best or (own == own_best and responders > responders_best):
                offer, own_best, responders_best = levels, own, responders
        agreed = offer is not None and own_best >= threshold[proposer.slot]
        if offer is None:
            offer = self.outcomes[0]
        return (offer, offer, 1.0, agreed), [n.utility[offer] for n in self.negotiators]

    def pareto_frontier(self) -> list[tuple[int, ...]]:
        """Outcomes both principals weakly prefer to no deal that nothing such dominates.

        Of outcomes with equal utilities only the first (lowest index) counts.
        """
        first, second = self.negotiators
        points = [
            (levels, first.utility[levels], second.utility[levels])
            for levels in self.outcomes
            if first.utility[levels] >= first.reservation_utility and second.utility[levels] >= second.reservation_utility
        ]
        frontier, seen = [], set()
        for levels, a, b in points:
            dominated = any((x >= a and y >= b) and (x > a or y > b) for _, x, y in points)
            if not dominated and (a, b) not in seen:
                seen.add((a, b))
                frontier.append(levels)
        return frontier

    def concave_hull(self, frontier: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
        """The frontier outcomes no lottery between two others beats, by rising utility of the first.

        Passes drop every point below the chord of its neighbours (by more
        than :data:`HULL_TOLERANCE` in the cross product) until none is.
        """
        first, second = self.negotiators
        kept = sorted(frontier, key=lambda o: first.utility[o])
        while True:
            below = set()
            for j in range(1, len(kept) - 1):
                x1, y1 = first.utility[kept[j - 1]], second.utility[kept[j - 1]]
                x2, y2 = first.utility[kept[j]], second.utility[kept[j]]
                x3, y3 = first.utility[kept[j + 1]], second.utility[kept[j + 1]]
                if (y2 - y1) * (x3 - x1) - (x2 - x1) * (y3 - y1) < -HULL_TOLERANCE:
                    below.add(j)
            if not below:
                return kept
            kept = [o for j, o in enumerate(kept) if j not in below]

    def lottery_offer(self, frontier, proposer: Negotiator, threshold: list[float]):
        responder = next(n for n in self.negotiators if n is not proposer)
        need = threshold[responder.slot]
        enough = [o for o in frontier if responder.utility[o] >= need]
        short = [o for o in frontier if responder.utility[o] < need]
        if not enough:
            return (self.outcomes[0], self.outcomes[0], 1.0, False), None
        high = min(enough, key=lambda o: responder.utility[o])
        if short:
            low = max(short, key=lambda o: responder.utility[o])
            chance = (need - responder.utility[low]) / (responder.utility[high] - responder.utility[low])
            chance = min(max(chance, 0.0), 1.0)
        else:
            low, chance = high, 1.0
        mine = chance * proposer.utility[high] + (1.0 - chance) * proposer.utility[low]
        theirs = chance * responder.utility[high] + (1.0 - chance) * responder.utility[low]
        agreed = mine >= threshold[proposer.slot]
        value = [0.0, 0.0]
        value[proposer.slot], value[responder.slot] = mine, theirs
        return (high, low, chance, agreed), value

    # --- the table row ---

    def row(self) -> dict[str, Any]:
        """The world's result, with the columns of :func:`basesim.model.play`."""
        scenario = self.scenario
        agreed = self.agreement is not None
        levels = (
            self.agreement
            if agreed
            else tuple(issue.level_index(scenario.no_deal[name]) for name, issue in scenario.issues.items())
        )
        count, unit = parse_round_length(scenario.protocol.round_length)
        months = {"month": 1, "quarter": 3, "year": 12}
        if unit in months:
            offset = pd.DateOffset(months=count * months[unit] * self.end_round)
        else:
            offset = pd.DateOffset(days=count * (7 if unit == "week" else 1) * self.end_round)
        out: dict[str, Any] = {
            "result": self.result,
            "round": self.end_round,
            "date": pd.Timestamp(scenario.protocol.start_date) + offset,
            "proposer": self.proposer_name,
        }
        for i, (name, issue) in enumerate(scenario.issues.items()):
            out[name] = issue.labels[levels[i]]
            out[f"{name}_level"] = levels[i]
        for party in self.parties:
            if isinstance(party, Negotiator):
                utility = party.utility[levels] if agreed else party.reservation_utility
            else:
                utility = party.own_utility(levels)
            out[f"utility_{party.name}"] = utility
        return out


def level_terms(values: list[list[float]], ideal_point: list[float], salience: list[float]) -> list[list[float]]:
    return [[salience[i] * (1.0 - abs(v - ideal_point[i])) for v in issue] for i, issue in enumerate(values)]


def add_up(terms: list[list[float]], levels: tuple[int, ...]) -> float:
    """``sum_i terms[i][levels[i]]``, issues left to right."""
    total = terms[0][levels[0]]
    for i in range(1, len(levels)):
        total = total + terms[i][levels[i]]
    return total


def first_best(outcomes: list[tuple[int, ...]], utility: dict[tuple[int, ...], float]) -> tuple[int, ...]:
    best, best_value = outcomes[0], utility[outcomes[0]]
    for levels in outcomes[1:]:
        if utility[levels] > best_value:
            best, best_value = levels, utility[levels]
    return best


def play_one(draws: Draws, world: int, *, protocol: str | None = None) -> dict[str, Any]:
    """Play world ``world`` of ``draws`` alone; the same fields as a row of ``play``.

    Keys: ``result``, ``round``, ``date``, ``proposer`` (None unless an
    agreement under alternating offers or equilibrium), per issue ``ISSUE``
    (label) and ``ISSUE_level``, per actor ``utility_ACTOR``.
    """
    return Table(draws, world, protocol=protocol).run().row()


def batch_row(table: pd.DataFrame, k: int, scenario: Scenario) -> dict[str, Any]:
    """Row ``k`` of a :func:`basesim.model.play` table in :func:`play_one`'s keys, to compare the two."""
    row = table.iloc[k]
    out: dict[str, Any] = {
        "result": str(row["result"]),
        "round": int(row["round"]),
        "date": row["date"],
        "proposer": None if pd.isna(row["proposer"]) else str(row["proposer"]),
    }
    for name in scenario.issues:
        out[name] = str(row[name])
        out[f"{name}_level"] = int(row[f"{name}_level"])
    for name in scenario.actors:
        out[f"utility_{name}"] = float(row[f"utility_{name}"])
    return out
