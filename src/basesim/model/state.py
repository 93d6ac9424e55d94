"""The arrays of a batch of worlds still negotiating, and what is derived from them.

:class:`BatchState` keeps every parameter as an array over the active worlds
(a mutable copy of :class:`~basesim.scenario.sampling.Draws`, so events can change
it), plus the derived arrays the protocols read:

- ``utility`` (n, P, K): each principal's effective utility of every outcome;
- ``favourite`` (n, P): each principal's best outcome (the first, if tied);
- the values of not agreeing (docs/model.md, "Payoffs: flows"), (n, P) each:
  ``talking_value`` ``s_a = U_a(status_quo) - delay_cost_a``, ``walkout_value``
  ``b_a = sum_k pi_k U_a(breakdown_k) + outside_option_a``, ``disagreement_value``
  ``V_a = (rho_a s_a + lambda b_a) / (rho_a + lambda)`` and ``reservation``
  ``r_a = max(V_a, b_a)``;
- ``believed_score`` (n, P, K), float32: for proposer p, 1 + the smallest
  utility among the other principals as p believes them (noisy ideal points
  and saliences). Utilities lie in [0, 1], so every score is at least 1 and
  a product with an acceptability mask ranks offers in one pass. Beliefs are
  noisy by design; single precision halves the memory traffic of the
  proposal step, the hottest loop (rounded from float64 once, so any
  implementation that rounds ``np.float32(1 + score)`` ranks alike).

When worlds finish, :meth:`BatchState.keep` drops their rows so later rounds
cost only what is still being played.
"""

from __future__ import annotations

import numpy as np

from basesim.model.outcome_space import OutcomeSpace, believed_terms, level_terms, mix_influence, outer_sum
from basesim.scenario.sampling import FIELD_BOUNDS, Draws, normalise_salience, parameter_slot

#: Parameter arrays copied from Draws into the state, with their world axis first.
PARAMETERS = (
    "ideal_point",
    "salience",
    "leverage",
    "power",
    "outside_option",
    "concession",
    "patience",
    "belief_noise",
    "delay_cost",
    "deadline",
    "learning_time",
    "breakdown_risk",
    "breakdown_weight",
    "breakdown_pick",
    "belief_ideal_z",
    "belief_salience_z",
    "breakdown_u",
    "event_round",
    "event_fires",
)


#: Parameters that utilities or beliefs depend on: changing one re-derives them.
PREFERENCES = frozenset({"ideal_point", "salience", "leverage", "belief_noise"})

#: The values of not agreeing, (n, P) each (see :meth:`BatchState.values`).
VALUES = ("talking_value", "walkout_value", "disagreement_value", "reservation")


def state_levels(scenario) -> tuple[np.ndarray, np.ndarray]:
    """Level indices of the status quo (P, I) and of every breakdown alternative (P, B, I), as each principal sees them.

    A principal's own ``no_deal`` (what it believes a breakdown gives) replaces
    every alternative's levels for that principal, issue by issue.
    """
    issues = scenario.issues
    status_quo = scenario.status_quo_levels
    alternatives = scenario.breakdown_alternatives
    P, I, B = len(scenario.principals), len(issues), len(alternatives)
    sq = np.empty((P, I), dtype=np.int64)
    breakdown = np.empty((P, B, I), dtype=np.int64)
    for p, name in enumerate(scenario.principals):
        own = scenario.actors[name].no_deal or {}
        for i, (issue_name, issue) in enumerate(issues.items()):
            sq[p, i] = issue.level_index(status_quo[issue_name])
            for b, alternative in enumerate(alternatives.values()):
                breakdown[p, b, i] = issue.level_index(own.get(issue_name, alternative.levels[issue_name]))
    return sq, breakdown


def levels_utility(effective: list[np.ndarray], levels: np.ndarray) -> np.ndarray:
    """Each principal's effective utility of given levels: ``levels`` (P, I) -> (n, P); (P, B, I) -> (n, P, B)."""
    count = levels.shape[0]
    slots = np.arange(count).reshape((count,) + (1,) * (levels.ndim - 2))
    total = 0.0
    for i, t in enumerate(effective):  # t (n, P, m_i)
        total = total + t[:, slots, levels[..., i]]
    return total


def disagreement_value(talking: np.ndarray, walkout: np.ndarray, rho: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """The flow-equivalent value of talks that never end in a deal: ``(rho s + lambda b) / (rho + lambda)``.

    The status quo ``s`` until an exogenous breakdown at rate ``lambda`` per
    month, then ``b``, discounted at rate ``rho`` per month
    (``integral_0^inf rho e^{-rho t} [e^{-lambda t} s + (1 - e^{-lambda t}) b] dt``);
    ``s`` when both rates are 0.

    Exact where rounding the formula would decide a walk-out (``b > V``) or a
    Nash gain out of a tie: ``s`` when ``lambda = 0`` or ``s = b`` (a mean of
    equal flows), ``b`` when only ``rho = 0`` (docs/model.md, "Payoffs: flows").
    """
    total = rho + lam
    with np.errstate(invalid="ignore", divide="ignore"):
        value = (rho * talking + lam * walkout) / total
    value = np.where(rho > 0, value, walkout)
    return np.where((lam > 0) & (talking != walkout), value, talking)


class BatchState:
    """Parameters and derived utilities of the worlds of a batch still negotiating."""

    def __init__(self, draws: Draws, space: OutcomeSpace, *, with_beliefs: bool = True):
        scenario = draws.scenario
        self.scenario = scenario
        self.space = space
        self.principals = [scenario.actor_names.index(p) for p in scenario.principals]
        self.rows = np.arange(draws.n)
        self.alive = np.ones(draws.n, bool)
        self.params = {name: np.array(getattr(draws, name), copy=True) for name in PARAMETERS}
        self.event_values = {key: np.array(v, copy=True) for key, v in draws.event_values.items()}
        self.with_beliefs = with_beliefs
        self.status_quo, self.breakdown_levels = state_levels(scenario)
        self.derive()

    @property
    def n(self) -> int:
        return int(self.rows.size)

    def terms(self) -> list[np.ndarray]:
        """Per-issue utility terms of every actor, (n, A, m_i) each."""
        return level_terms(self.space, self.params["ideal_point"], self.params["salience"])

    def effective_terms(self) -> list[np.ndarray]:
        """Per-issue effective terms of the principals, (n, P, m_i) each."""
        return mix_influence(self.terms(), self.params["leverage"], self.principals)

    def derive(self, where: np.ndarray | None = None) -> None:
        """Recompute utilities, reservation utilities and believed scores.

        With ``where`` (active,) bool, only for those worlds (after an event).
        """
        if where is not None:
            sub = _Subset(self, where)
            sub.derive()
            self.utility[where] = sub.utility
            self.favourite[where] = sub.favourite
            self.status_quo_utility[where] = sub.status_quo_utility
            self.breakdown_utility[where] = sub.breakdown_utility
            for name in VALUES:
                getattr(self, name)[where] = getattr(sub, name)
            if self.believed_score is not None:
                self.believed_score[where] = sub.believed_score
            return
        effective = self.effective_terms()
        self.utility = outer_sum(effective)
        self.favourite = np.argmax(self.utility, axis=2)
        self.status_quo_utility = levels_utility(effective, self.status_quo)
        self.breakdown_utility = levels_utility(effective, self.breakdown_levels)  # (n, P, B)
        self.values()
        self.believed_score = self._believed_score() if self.with_beliefs else None

    def values(self, where: np.ndarray | None = None) -> None:
        """The values of not agreeing, from the state utilities and the time parameters (all worlds or ``where``)."""
        params, p = self.params, self.principals
        talking = self.status_quo_utility - params["delay_cost"][:, p]
        expected = (self.breakdown_utility * params["breakdown_weight"][:, None, :]).sum(axis=2)
        walkout = expected + params["outside_option"][:, p]
        rho = -np.log(params["patience"][:, p])
        lam = -np.log1p(-params["breakdown_risk"])[:, None]
        disagreement = disagreement_value(talking, walkout, rho, lam)
        new = {"talking_value": talking, "walkout_value": walkout, "disagreement_value": disagreement,
               "reservation": np.maximum(disagreement, walkout)}
        for name, value in new.items():
            if where is None:
                setattr(self, name, value)
            else:
                getattr(self, name)[where] = value[where]

    def _believed_score(self) -> np.ndarray:
        """(n, P, K) float32: 1 + min over the other principals q of p's belief of U_q."""
        params = self.params
        principal_noise = params["belief_noise"][:, self.principals]
        believed = believed_terms(
            self.space,
            params["ideal_point"],
            params["salience"],
            principal_noise,
            params["belief_ideal_z"],
            params["belief_salience_z"],
        )
        count = len(self.principals)
        scores = np.empty((self.n, count, self.space.size), dtype=np.float32)
        for p in range(count):
            seen = mix_influence([t[:, p] for t in believed], params["leverage"], self.principals)
            others = [q for q in range(count) if q != p]
            score = outer_sum([t[:, others[0]] for t in seen])
            for q in others[1:]:
                np.minimum(score, outer_sum([t[:, q] for t in seen]), out=score)
            scores[:, p] = score + 1.0
        return scores

    @property
    def active(self) -> int:
        """How many worlds are still negotiating."""
        return int(self.alive.sum())

    def end(self, mask: np.ndarray) -> None:
        """Mark worlds as finished; drop their rows once a third of them are.

        Dropping rows copies the big arrays, so it is done in bulk, not every round.
        """
        self.alive &= ~mask
        if self.alive.sum() < 0.67 * self.n:
            self.keep(self.alive)

    def keep(self, mask: np.ndarray) -> None:
        """Drop the worlds where ``mask`` is False."""
        if mask.all():
            return
        self.alive = self.alive[mask]
        self.rows = self.rows[mask]
        self.params = {k: v[mask] for k, v in self.params.items()}
        self.event_values = {k: v[mask] for k, v in self.event_values.items()}
        self.utility = self.utility[mask]
        self.favourite = self.favourite[mask]
        self.status_quo_utility = self.status_quo_utility[mask]
        self.breakdown_utility = self.breakdown_utility[mask]
        for name in VALUES:
            setattr(self, name, getattr(self, name)[mask])
        if self.believed_score is not None:
            self.believed_score = self.believed_score[mask]

    def apply_events(self, round_: int) -> list[str]:
        """Apply the events that fire in ``round_``; return their names (any world).

        ``set`` replaces and ``add`` shifts a parameter, clipped to its allowed
        range; saliences are renormalised (when an event changed one) and leverage
        over a principal (when an event changed it) scaled down if it would sum past 1.
        """
        applied = []
        changed = np.zeros(self.n, bool)
        # attribute -> the worlds where an event of this round changed it: a world
        # renormalises and re-derives after its own events only, not its batch's
        touched: dict[str, np.ndarray] = {}
        fires = self.params["event_fires"] & (self.params["event_round"] == round_)
        for e, (name, event) in enumerate(self.scenario.events.items()):
            where = fires[:, e]
            if not where.any():
                continue
            applied.append(name)
            changed |= where
            for kind in ("set", "add"):
                for path in getattr(event, kind):
                    attribute, index = parameter_slot(self.scenario, path)
                    touched[attribute] = touched.get(attribute, np.zeros(self.n, bool)) | where
                    array = self.params[attribute]
                    current = array[(slice(None), *index)]
                    value = self.event_values[(name, path)]
                    new = value if kind == "set" else current + value
                    low, high = FIELD_BOUNDS[attribute]
                    array[(slice(None), *index)] = np.where(where, np.clip(new, low, high), current)
            # Only where the event fired: renormalising a row that already sums to
            # 1 +- 1 ulp changes it in the last bit, so a world's result would
            # depend on the other worlds of its batch.
            if "salience" in touched:
                fired = (where & touched["salience"])[:, None, None]
                salience = self.params["salience"]
                self.params["salience"] = np.where(fired, normalise_salience(salience), salience)
            if "leverage" in touched:
                fired = (where & touched["leverage"])[:, None, None]
                leverage = self.params["leverage"]
                total = leverage.sum(axis=1, keepdims=True)
                self.params["leverage"] = np.where(fired, leverage / np.maximum(total, 1.0), leverage)
        preferences = np.zeros(self.n, bool)
        for attribute in PREFERENCES & touched.keys():
            preferences |= touched[attribute]
        if preferences.any():
            self.derive(preferences)
        rest = changed & ~preferences
        if rest.any():  # outside options, delay costs, patience or the hazard: the values of not agreeing only
            self.values(rest)
        return applied


class _Subset(BatchState):
    """The parameters of some worlds of a state, to re-derive them after an event."""

    def __init__(self, parent: BatchState, where: np.ndarray):
        self.scenario = parent.scenario
        self.space = parent.space
        self.principals = parent.principals
        self.rows = parent.rows[where]
        self.alive = parent.alive[where]
        self.params = {k: v[where] for k, v in parent.params.items()}
        self.with_beliefs = parent.with_beliefs
        self.status_quo = parent.status_quo
        self.breakdown_levels = parent.breakdown_levels
