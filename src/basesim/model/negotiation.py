"""The negotiation as a Mesa model over a batch of parallel worlds.

``NegotiationModel(draws)`` holds one agent per actor; each agent's
parameters are arrays over the worlds of the batch, and one ``step()`` plays
one round in every world still negotiating. The model is a function at its
boundary (:func:`play`): sampled inputs in, a table of outcomes out. It
draws no random numbers itself: all randomness (beliefs, breakdowns, events)
is in the :class:`~basesim.scenario.sampling.Draws`, so a world gives the same result
in any batch.
"""

from __future__ import annotations


import mesa
import numpy as np
import pandas as pd

from basesim.errors import UsageError
from basesim.model.agents import Influencer, Principal
from basesim.model.outcome_space import OutcomeSpace, level_terms, mix_influence
from basesim.model.protocols import get_protocol
from basesim.scenario.sampling import Draws
from basesim.scenario.schema import RESULTS, Scenario, round_calendar
from basesim.model.state import BatchState

__all__ = ["NegotiationModel", "batch_size", "play", "trace", "round_dates", "horizon_dates", "world_utilities",
           "outcome_space"]

RESULT_CODES = {name: code for code, name in enumerate(RESULTS)}

#: Memory a batch may use for its largest arrays (bytes); batches stay well under 1 GB.
BATCH_MEMORY = 96 * 2**20


def outcome_space(scenario: Scenario) -> OutcomeSpace:
    return OutcomeSpace.of(scenario)


def batch_size(scenario: Scenario) -> int:
    """Worlds per batch, from the size of the outcome space only.

    A world costs about ``8 * K * P * 6`` bytes at its peak (utilities, believed
    scores and temporaries of ``K`` outcomes for ``P`` principals); the batch
    is the largest power of two within :data:`BATCH_MEMORY`, between 16 and 8192.
    """
    per_world = 8 * outcome_space(scenario).size * max(len(scenario.principals), 2) * 6
    size = 2 ** int(np.floor(np.log2(max(BATCH_MEMORY // per_world, 1))))
    return int(min(max(size, 16), 8192))


def _dates(start: str, rounds: int, length: str) -> np.ndarray:
    return round_calendar(start, rounds, length)


def round_dates(scenario: Scenario) -> np.ndarray:
    """Calendar date of every round, (rounds,) datetime64: start + t * round_length."""
    protocol = scenario.protocol
    return _dates(protocol.start_date.isoformat(), protocol.rounds, protocol.round_length)


def horizon_dates(scenario: Scenario) -> np.ndarray:
    """The start of every round and the end of the horizon, (rounds + 1,) datetime64."""
    protocol = scenario.protocol
    return _dates(protocol.start_date.isoformat(), protocol.rounds + 1, protocol.round_length)


class NegotiationModel(mesa.Model):
    """One batch of worlds negotiating under one protocol.

    After :meth:`run`, the arrays ``result``, ``end_round``, ``agreement``
    (outcome index, -1 without one) and ``proposer_slot`` (-1 without one)
    hold every world's result, and ``final`` the parameter arrays in force
    at the end (events may have changed them).
    """

    def __init__(self, draws: Draws, *, protocol: str | None = None, record: bool = False):
        super().__init__()
        scenario = draws.scenario
        self.scenario = scenario
        self.protocol = get_protocol(protocol or scenario.protocol.name)
        self.rounds = scenario.protocol.rounds
        self.months_per_round = scenario.months_per_round
        self.space = outcome_space(scenario)
        self.state = BatchState(draws, self.space, with_beliefs=self.protocol.uses_beliefs)
        self.principals: list[Principal] = []
        self.influencers: list[Influencer] = []
        for index, (name, actor) in enumerate(scenario.actors.items()):
            if actor.is_principal:
                self.principals.append(Principal(self, name, index, len(self.principals)))
            else:
                self.influencers.append(Influencer(self, name, index))
        first = scenario.protocol.first_proposer or scenario.principals[0]
        self.first_slot = scenario.principals.index(first)
        n = draws.n
        self.result = np.full(n, -1, dtype=np.int8)
        self.end_round = np.full(n, -1, dtype=np.int64)
        self.agreement = np.full(n, -1, dtype=np.int64)
        self.proposer_slot = np.full(n, -1, dtype=np.int64)
        self.cause = np.full(n, -1, dtype=np.int64)  # breakdown: -1 hazard, else the slot of who walked out
        self.final = {name: np.array(v, copy=True) for name, v in self.state.params.items()}
        self.recording = record
        self.records: list[dict] = []
        self.round = 0
        self.running = True
        self.protocol.start(self)

    def proposer(self, round_: int) -> Principal:
        """Whose turn it is: principals take turns from the first proposer."""
        return self.principals[(self.first_slot + round_) % len(self.principals)]

    def hazard(self) -> np.ndarray:
        """(active,): probability that the talks collapse in one round, ``1 - (1 - h) ** Delta`` (h per month)."""
        return -np.expm1(self.months_per_round * np.log1p(-self.state.params["breakdown_risk"]))

    def step(self) -> None:
        """Play one round in every world still negotiating; worlds still talking at the horizon stay ``talking``."""
        self.protocol.step(self)
        self.round += 1
        self.running = self.state.active > 0 and self.round < self.rounds and not self.protocol.one_shot

    def run(self) -> "NegotiationModel":
        while self.running:
            self.step()
        if self.state.active:  # still talking at the horizon: the status quo holds
            self._keep_final(self.state.alive.copy())
        self.result[self.result < 0] = RESULT_CODES["talking"]
        return self

    def conclude(
        self,
        mask: np.ndarray,
        result: str,
        *,
        offer: np.ndarray | None = None,
        proposer: int = -1,
        round_: int | None = None,
        also: tuple[np.ndarray, str] | None = None,
        cause: np.ndarray | None = None,
    ) -> None:
        """End the active worlds where ``mask`` holds, with ``result``.

        ``offer`` (active,) is the agreed outcome; ``also`` ends a second,
        disjoint set of worlds with another result in the same round; ``cause``
        (active,) says who walked out of a breakdown (-1: the exogenous hazard).
        """
        state = self.state
        ended = np.zeros(state.n, bool)
        for where, name, agreed in ((mask, result, offer), *((also + (None,),) if also else ())):
            where = where & state.alive
            if not where.any():
                continue
            rows = state.rows[where]
            self.result[rows] = RESULT_CODES[name]
            self.end_round[rows] = self.round if round_ is None else round_
            if agreed is not None:
                self.agreement[rows] = agreed[where]
                self.proposer_slot[rows] = proposer
            if name == "breakdown" and cause is not None:
                self.cause[rows] = cause[where]
            ended |= where
        if ended.any():
            self._keep_final(ended)
            state.end(ended)

    def _keep_final(self, where: np.ndarray) -> None:
        """Keep the parameters in force for the active worlds where ``where`` holds (their talks ended)."""
        state = self.state
        rows = state.rows[where]
        for name, array in state.params.items():
            if name in self.final:
                self.final[name][rows] = array[where]

    # --- recording one world, for traces ---

    def _labels(self, outcome: int) -> dict[str, str]:
        levels = self.space.levels[outcome]
        return {name: issue.labels[levels[i]] for i, (name, issue) in enumerate(self.scenario.issues.items())}

    def record_offer(self, t, proposer, offer, made, responses, accepted, breakdown, events) -> None:
        """Keep the round of world 0 of the batch (a batch of one when tracing)."""
        if not self.state.active:
            return
        row = {"round": t, "proposer": proposer.name}
        row.update(self._labels(int(offer[0])) if made[0] else {name: None for name in self.scenario.issues})
        for p in self.principals:
            row[f"utility_{p.name}"] = float(p.utility[0, offer[0]])
            row[f"target_{p.name}"] = float(p.target(t)[0]) if self.protocol.uses_beliefs else np.nan
            row[f"reservation_{p.name}"] = float(p.reservation_utility[0])
        for p in self.principals:
            if p is not proposer:
                row[f"accepted_by_{p.name}"] = bool(responses[p.name][0])
        row["offered"] = bool(made[0])
        row["events"] = ", ".join(events)
        row["status"] = "agreement" if accepted[0] else ("breakdown" if breakdown[0] else "continue")
        self.records.append(row)

    def record_solution(self, t, outcome, exists) -> None:
        if not self.state.active:
            return
        row = {"round": t, "proposer": None}
        row.update(self._labels(int(outcome[0])) if exists[0] else {name: None for name in self.scenario.issues})
        for p in self.principals:
            row[f"utility_{p.name}"] = float(p.utility[0, outcome[0]]) if exists[0] else np.nan
            row[f"target_{p.name}"] = np.nan
            row[f"reservation_{p.name}"] = float(p.reservation_utility[0])
        row["offered"] = bool(exists[0])
        row["events"] = ""
        walks = self.state.walkout_value[0] > self.state.disagreement_value[0]
        row["status"] = "agreement" if exists[0] else ("breakdown" if walks.any() else "talking")
        self.records.append(row)


def _run(draws: Draws, protocol: str | None, record: bool = False) -> NegotiationModel:
    model = NegotiationModel(draws, protocol=protocol, record=record).run()
    # mesa <= 3.3 keeps every model alive in the class-level Agent._ids (mesa issue #3179,
    # fixed by mesa PR #3180): forget it, or a worker grows ~2 MB per batch.
    getattr(mesa.Agent, "_ids", {}).pop(model, None)
    return model


def levels_in_force(model: NegotiationModel) -> np.ndarray:
    """(n, I) level of every issue at the horizon: the agreed terms, the breakdown alternative drawn, or the status quo."""
    scenario = model.scenario
    status_quo = np.array([issue.level_index(scenario.status_quo_levels[name]) for name, issue in scenario.issues.items()])
    alternatives = np.array([[issue.level_index(alt.levels[name]) for name, issue in scenario.issues.items()]
                             for alt in scenario.breakdown_alternatives.values()])
    levels = np.broadcast_to(status_quo, (model.result.size, status_quo.size)).copy()
    agreed = model.result == RESULT_CODES["agreement"]
    levels[agreed] = model.space.levels[model.agreement[agreed]]
    broken = model.result == RESULT_CODES["breakdown"]
    levels[broken] = alternatives[breakdown_alternative(model.final)[broken]]
    return levels


def breakdown_alternative(params: dict[str, np.ndarray]) -> np.ndarray:
    """(n,) which alternative follows a breakdown in each world: the pick against the cumulative probabilities."""
    bounds = np.cumsum(params["breakdown_weight"], axis=1)[:, :-1]
    return (params["breakdown_pick"][:, None] >= bounds).sum(axis=1)


def _picked(terms: list[np.ndarray], levels: np.ndarray) -> np.ndarray:
    """Sum over issues, in order, of per-issue terms (n, X, m_i) at each world's levels (n, I) -> (n, X)."""
    rows = np.arange(levels.shape[0])
    total = terms[0][rows, :, levels[:, 0]]
    for i in range(1, len(terms)):
        total = total + terms[i][rows, :, levels[:, i]]
    return total


def _actor_utilities(model: NegotiationModel, levels: np.ndarray) -> np.ndarray:
    """(n, A) utility of the levels in force: effective for principals (plus the outside option after a
    breakdown), own for influencers, at the parameters in force when the talks ended."""
    final = model.final
    terms = level_terms(model.space, final["ideal_point"], final["salience"])
    out = _picked(terms, levels)
    principals = [p.index for p in model.principals]
    effective = _picked(mix_influence(terms, final["leverage"], principals), levels)
    broken = model.result == RESULT_CODES["breakdown"]
    out[:, principals] = effective + np.where(broken[:, None], final["outside_option"][:, principals], 0.0)
    return out


#: How :func:`play` plays a batch: ``batch``, this module's vectorised Mesa model, or ``kernel``, the compiled
#: per-world kernel of :mod:`basesim.model.kernel` (the same rows, bit for bit).
ENGINES = ("batch", "kernel")


def play(draws: Draws, *, protocol: str | None = None, engine: str = "batch") -> pd.DataFrame:
    """Play every world of ``draws``; one row per world (see docs/contracts.md).

    ``protocol`` overrides the scenario's protocol by name; ``engine`` is one of :data:`ENGINES`.
    """
    if engine == "kernel":
        from basesim.model import kernel

        if kernel.plays(draws, protocol):  # the others (expected_utility) play on the batch
            return outcome_table(kernel.run(draws, protocol=protocol), draws)
    elif engine != "batch":
        raise UsageError(f"engine: {engine!r} is not an engine; expected one of {', '.join(ENGINES)}")
    model = _run(draws, protocol)
    return outcome_table(model, draws)


def outcome_table(model: NegotiationModel, draws: Draws) -> pd.DataFrame:
    """One row per world: the state at the horizon, when the talks ended, and the levels in force then."""
    scenario = model.scenario
    levels = levels_in_force(model)
    broken = model.result == RESULT_CODES["breakdown"]
    alternative = np.where(broken, breakdown_alternative(model.final), -1)
    cause = np.where(broken, model.cause + 1, -1)  # 0: the hazard, 1 + slot: who walked out
    dates = round_dates(scenario)
    ended = model.end_round >= 0
    columns: dict[str, object] = {
        "replicate": draws.replicate.astype(np.int64),
        "result": pd.Categorical.from_codes(model.result.astype(np.int64), categories=list(RESULTS)),
        "round": model.end_round,
        "date": pd.DatetimeIndex(np.where(ended, dates[np.maximum(model.end_round, 0)], np.datetime64("NaT"))),
        "proposer": pd.Categorical.from_codes(model.proposer_slot, categories=scenario.principals),
        "breakdown_alternative": pd.Categorical.from_codes(alternative, categories=list(scenario.breakdown_alternatives)),
        "breakdown_cause": pd.Categorical.from_codes(cause, categories=["hazard", *scenario.principals]),
    }
    for i, (name, issue) in enumerate(scenario.issues.items()):
        columns[name] = pd.Categorical.from_codes(levels[:, i], categories=issue.labels, ordered=True)
        columns[f"{name}_level"] = levels[:, i].astype(np.int64)
        if issue.amounts is not None:
            columns[f"{name}_amount"] = issue.amounts[levels[:, i]]
    utilities = _actor_utilities(model, levels)
    for a, name in enumerate(scenario.actor_names):
        columns[f"utility_{name}"] = utilities[:, a]
    columns.update(model.protocol.outcome_columns(model))  # e.g. expected_utility's forecasts per issue
    return pd.DataFrame(columns)


def trace(draws: Draws, *, world: int = 0, protocol: str | None = None) -> pd.DataFrame:
    """Round-by-round record of one world: who proposed what, its worth, the answers."""
    one = draws.take(np.array([world]))
    model = _run(one, protocol, record=True)
    table = pd.DataFrame(model.records)
    if not table.empty:
        table.insert(1, "date", round_dates(draws.scenario)[table["round"].to_numpy()])
        if model.result[0] == RESULT_CODES["talking"] and table["status"].iloc[-1] == "continue":
            table.loc[table.index[-1], "status"] = "talking"  # still talking at the horizon
    return table


def world_utilities(draws: Draws, world: int = 0) -> pd.DataFrame:
    """Every outcome of one world with each principal's effective utility at round 0.

    Columns: one per issue (level label), ``utility_P`` and ``reservation_P``
    per principal. For the utility-plane figure.
    """
    one = draws.take(np.array([world]))
    scenario = draws.scenario
    space = outcome_space(scenario)
    state = BatchState(one, space, with_beliefs=False)
    columns: dict[str, object] = {}
    for i, (name, issue) in enumerate(scenario.issues.items()):
        columns[name] = pd.Categorical.from_codes(space.levels[:, i], categories=issue.labels, ordered=True)
    for p, name in enumerate(scenario.principals):
        columns[f"utility_{name}"] = state.utility[0, p]
        columns[f"reservation_{name}"] = np.full(space.size, state.reservation[0, p])
    return pd.DataFrame(columns)
