"""The expected-utility model of political forecasting as a protocol (issue 12).

Plays the Bueno de Mesquita model as Scholz, Calbert and Smith (2011,
"Unravelling Bueno De Mesquita's group decision model", Journal of
Theoretical Politics 23(4), doi:10.1177/0951629811418142) make it explicit,
with the batch kernel :func:`basesim.model.expected_utility.play_issue`, on
every issue for every world of a batch at once (docs/expected_utility.md).

Inputs, per issue ``i`` and world:

- **who takes part**: every actor, principal or influencer, with a salience
  on the issue (a fixed weight of 0 leaves it out);
- **position** ``x_a``: the actor's ideal point on the issue's value scale
  [0, 1] (utility curves do not enter: the model works with distances on
  the scale);
- **salience** ``s_a``: the actor's issue weight divided by its largest
  weight, ``w_ai / max_j w_aj`` (docs/expected_utility.md, "Integration"):
  the actor's top issue has salience 1, as BDM's "how much the actor cares,
  100 for its most pressing issue". basesim's weights are shares that sum
  to 1; BDM saliences are not. A one-issue scenario therefore gives every
  actor salience 1: to give an issue less than full salience, add the rest
  of each actor's agenda as an issue (scenarios/ec_example.yaml does);
- **capability** ``c_a``: ``power``, for every actor (influencers included;
  their leverage over principals does not enter);
- **status quo**: the value of the scenario's status-quo level, a candidate
  in the pairwise vote and the reference of its support;
- ``Delta`` (the scale's range in the utilities): the spread of the
  initial positions, as in SCS (1 if they all agree); the model's options
  are the kernel's defaults (``Q = T = 1``, ``probability="net"``).

Calendar time: one round of the model (every actor weighs every challenge,
then all move at once) is one round of the protocol, ``round_length``
long: round ``t`` is played at month ``t * Delta_t``, like an offer, and the
positions after it, ``x_{t+1}``, hold until the next round. A scenario's
horizon of ``R`` rounds plays ``R`` rounds of the model.

The three states (docs/model.md): a world reaches **agreement** in round
``t`` when, after the round's moves, the positions on every issue lie within
the tolerance, ``(max x - min x) / Delta <= 0.01``; the terms are, issue by
issue, the level nearest the capability x salience weighted mean of those
positions (the lower one on a tie). Otherwise it breaks down with the
per-round hazard (``1 - (1 - h) ** Delta_t``, the round's breakdown draw;
the model has no walk-out), and else it goes on under the status quo. Events
apply at the start of their round: a change of power or salience changes the
inputs from that round on, and a change of an ideal point moves that actor's
position there; the model then goes on from the current positions (with
``Delta`` widened if the new positions spread wider).

Both forecasts are reported per issue (:meth:`ExpectedUtility.outcome_columns`,
columns of the outcome table): ``ISSUE_eu_mean`` (the weighted mean) and
``ISSUE_eu_winner`` (the pairwise-vote winner) after the world's last round
(its agreement or breakdown round, else the horizon), and
``ISSUE_eu_mean_start`` / ``ISSUE_eu_winner_start`` from the initial
positions, all on the issue's value scale (:func:`in_units` converts to the
issue's amounts). :func:`basesim.model.expected_utility_forecast.forecast_path`
gives them as of every date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np

from basesim.model import expected_utility as kernel
from basesim.model.protocols.base import Protocol
from basesim.scenario.distributions import Dirichlet

if TYPE_CHECKING:
    from basesim.model.talks import Talks
    from basesim.scenario.schema import Issue, Scenario

__all__ = [
    "COLUMNS",
    "ExpectedUtility",
    "SEGMENT",
    "TOLERANCE",
    "eu_salience",
    "in_units",
    "issue_status_quo",
    "nearest_level",
    "participants",
]

#: Positions within 1% of ``Delta`` agree (the kernel's default).
TOLERANCE = kernel.DEFAULT_TOLERANCE

#: Rounds of the model played per kernel call; every round uses only the current positions,
#: so the numbers do not depend on it (only memory and speed do).
SEGMENT = 16

#: Parameters an event may change that are inputs of the model.
INPUTS = ("ideal_point", "salience", "power")

#: The outcome-table columns added per issue, as ``f"{issue}_{suffix}"``.
COLUMNS = ("eu_mean", "eu_winner", "eu_mean_start", "eu_winner_start")

#: What the trace shows as the proposer of a round: nobody proposes in this model.
NO_PROPOSER = SimpleNamespace(name=None, slot=-1)


def participants(scenario: Scenario) -> list[np.ndarray]:
    """Per issue (scenario order), the indices of the actors that take part: those with a salience on it.

    A salience given as the fixed number 0 leaves the actor out; a distribution
    (or a Dirichlet weight) keeps it in.
    """
    taking: list[np.ndarray] = []
    for issue in scenario.issue_names:
        actors = []
        for a, actor in enumerate(scenario.actors.values()):
            weights = actor.salience.alpha if isinstance(actor.salience, Dirichlet) else actor.salience
            weight = weights.get(issue)
            if weight is None or (isinstance(weight, (int, float)) and weight == 0):
                continue
            actors.append(a)
        taking.append(np.array(actors, dtype=np.int64))
    return taking


def eu_salience(salience: np.ndarray) -> np.ndarray:
    """The model's saliences (..., A, I) from basesim's issue weights (..., A, I): ``w_ai / max_j w_aj``.

    Each actor's top issue gets salience 1 (docs/expected_utility.md, "Integration").
    """
    return salience / salience.max(axis=-1, keepdims=True)


def issue_status_quo(scenario: Scenario) -> list[tuple[int, float]]:
    """Per issue, the status quo's level index and its value on the issue's scale."""
    status_quo = scenario.status_quo_levels
    out = []
    for name, issue in scenario.issues.items():
        level = issue.level_index(status_quo[name])
        out.append((int(level), float(issue.values[level])))
    return out


def nearest_level(values: np.ndarray, position: np.ndarray) -> np.ndarray:
    """Index (n,) of the level whose value (m,) is nearest each position (n,); the lower one on a tie."""
    return np.argmin(np.abs(values[None, :] - np.asarray(position, dtype=float)[:, None]), axis=1)


def in_units(issue: Issue, value: np.ndarray | float) -> np.ndarray:
    """A position on the issue's value scale in the issue's amounts (linear between levels), else unchanged."""
    amounts = issue.amounts
    value = np.asarray(value, dtype=float)
    if amounts is None:
        return value
    return np.interp(value, issue.values, amounts)


@dataclass
class _IssuePlay:
    """One issue's model state over the batch's worlds (rows as in the first round).

    ``positions`` (n, L, A) are the positions of the current segment of rounds
    ``start .. start + L - 1`` (``positions[:, k]`` after ``start + k`` rounds),
    with ``mean``, ``winner``, ``winner_index`` and ``support`` (n, L) from the
    kernel; ``scale`` (n,) is ``Delta``.
    """

    index: int
    name: str
    actors: np.ndarray
    values: np.ndarray
    status_quo: float
    status_quo_level: int
    scale: np.ndarray
    start: int = 0
    positions: np.ndarray = field(default_factory=lambda: np.empty((0, 0, 0)))
    mean: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    winner: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    winner_index: np.ndarray = field(default_factory=lambda: np.empty((0, 0), dtype=np.int64))
    support: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))

    @property
    def played(self) -> bool:
        """Whether any actor takes part (an issue nobody weighs stays at the status quo)."""
        return self.actors.size > 0

    def new_segment(self, start: int, length: int) -> None:
        """Room for rounds ``start .. start + length``, the positions after ``start`` rounds carried over."""
        n, _, count = self.positions.shape
        carried = self.positions[:, start - self.start] if self.positions.shape[1] else None
        self.positions = np.full((n, length + 1, count), np.nan)
        if carried is not None:
            self.positions[:, 0] = carried
        self.mean = np.full((n, length + 1), np.nan)
        self.winner = np.full((n, length + 1), np.nan)
        self.winner_index = np.full((n, length + 1), -1, dtype=np.int64)
        self.support = np.full((n, length + 1), np.nan)
        self.start = start

    def write(self, rows: np.ndarray, round_: int, path: kernel.ExpectedUtilityPath) -> None:
        """Keep a kernel path of the worlds ``rows`` that starts after ``round_`` rounds."""
        k = round_ - self.start
        stop = k + path.positions.shape[1]
        self.positions[rows, k:stop] = path.positions
        self.mean[rows, k:stop] = path.mean
        self.winner[rows, k:stop] = path.winner
        self.winner_index[rows, k:stop] = path.winner_index
        self.support[rows, k:stop] = path.status_quo_support


class ExpectedUtility(Protocol):
    """The expected-utility model on every issue, in calendar time, with the three states (module docstring)."""

    name = "expected_utility"

    def start(self, model: Talks) -> None:
        state = model.state
        scenario = state.scenario
        n = state.n
        params = state.params
        salience = eu_salience(params["salience"])
        self.rounds = model.rounds
        self.segment_end = 0
        self.shape = tuple(len(issue.values) for issue in scenario.issues.values())
        self.history: dict[str, list[np.ndarray]] | None = None
        self.issues: list[_IssuePlay] = []
        self.start_mean: list[np.ndarray] = []
        self.start_winner: list[np.ndarray] = []
        self.opening: list[kernel.ExpectedUtilityPath | None] = []
        for i, ((name, issue), actors, (level, value)) in enumerate(
                zip(scenario.issues.items(), participants(scenario), issue_status_quo(scenario))):
            play = _IssuePlay(i, name, actors, issue.values, value, level, np.ones(n),
                              positions=np.empty((n, 0, actors.size)))
            opening = None
            if play.played:
                x = params["ideal_point"][:, actors, i]
                spread = x.max(axis=1) - x.min(axis=1)
                play.scale = np.where(spread > 0, spread, 1.0)
                opening = kernel.play_issue(x, salience[:, actors, i], params["power"][:, actors], rounds=0,
                                            status_quo=value, position_range=play.scale)
                play.new_segment(0, 0)
                play.write(state.rows, 0, opening)
            self.opening.append(opening)
            self.start_mean.append(opening.mean[:, 0].copy() if opening else np.full(n, np.nan))
            self.start_winner.append(opening.winner[:, 0].copy() if opening else np.full(n, np.nan))
            self.issues.append(play)
        self.last_mean = [m.copy() for m in self.start_mean]
        self.last_winner = [w.copy() for w in self.start_winner]

    def keep_history(self, n: int) -> None:
        """Keep every round's forecasts (for :func:`basesim.model.expected_utility_forecast.forecast_path`).

        ``history[KEY][i]`` (n, R+1) for keys ``mean``, ``winner``, ``winner_index``,
        ``spread`` and ``support``: index ``t`` after ``t`` rounds; a world's entries
        after its last round stay NaN (-1) until the caller fills them forward.
        """
        keys = ("mean", "winner", "winner_index", "spread", "support")
        self.history = {key: [] for key in keys}
        for play, opening in zip(self.issues, self.opening):
            blank = {key: np.full((n, self.rounds + 1), -1 if key == "winner_index" else np.nan,
                                  dtype=np.int64 if key == "winner_index" else float) for key in keys}
            if opening is not None:
                blank["mean"][:, 0] = opening.mean[:, 0]
                blank["winner"][:, 0] = opening.winner[:, 0]
                blank["winner_index"][:, 0] = opening.winner_index[:, 0]
                blank["spread"][:, 0] = opening.spread[:, 0]
                blank["support"][:, 0] = opening.status_quo_support[:, 0]
            for key in keys:
                self.history[key].append(blank[key])

    def step(self, model: Talks) -> None:
        t = model.round
        state = model.state
        rows = state.rows
        events: list[str] = []
        changed = np.zeros(state.n, bool)
        if state.scenario.events:
            before = {name: state.params[name].copy() for name in INPUTS}
            events = state.apply_events(t)
            if events:
                for name in INPUTS:
                    changed |= (state.params[name] != before[name]).reshape(state.n, -1).any(axis=1)
                if changed.any():
                    self._move_to_new_ideals(state, changed, before["ideal_point"], t)
        if t >= self.segment_end:  # the next segment of rounds, for every world still talking
            end = min(t + SEGMENT, self.rounds)
            for play in self.issues:
                if play.played:
                    play.new_segment(t, end - t)
            self._play(state, np.ones(state.n, bool), t, end)
            self.segment_end = end
        elif changed.any():  # the rest of the segment again, from the current positions, with the new inputs
            self._play(state, changed, t, self.segment_end)

        agreed = np.ones(state.n, bool)
        levels = np.empty((state.n, len(self.issues)), dtype=np.int64)
        alive = state.alive  # rows of worlds that ended stay in the state until it drops them in bulk
        live = rows[alive]
        for play in self.issues:
            i = play.index
            if not play.played:
                levels[:, i] = play.status_quo_level
                continue
            k = t + 1 - play.start
            x = play.positions[rows, k]
            spread = (x.max(axis=1) - x.min(axis=1)) / play.scale[rows]
            agreed &= spread <= TOLERANCE
            mean = play.mean[rows, k]
            levels[:, i] = nearest_level(play.values, mean)
            self.last_mean[i][live] = mean[alive]
            self.last_winner[i][live] = play.winner[live, k]
            if self.history is not None:
                for key, value in (("mean", mean[alive]), ("winner", play.winner[live, k]), ("spread", spread[alive]),
                                   ("winner_index", play.winner_index[live, k]), ("support", play.support[live, k])):
                    self.history[key][i][live, t + 1] = value
        offer = np.ravel_multi_index(tuple(levels.T), self.shape)
        breakdown = ~agreed & (state.params["breakdown_u"][:, t] < model.hazard())
        if model.recording:
            self._record(model, t, offer, agreed, breakdown, events)
        model.conclude(agreed, "agreement", offer=offer, proposer=-1, also=(breakdown, "breakdown"))

    def _move_to_new_ideals(self, state, changed: np.ndarray, before: np.ndarray, t: int) -> None:
        """Actors whose ideal point an event changed take it as their position; ``Delta`` covers the new spread."""
        rows = state.rows
        for play in self.issues:
            if not play.played:
                continue
            new = state.params["ideal_point"][:, play.actors, play.index]
            moved = (new != before[:, play.actors, play.index]) & changed[:, None]
            if not moved.any():
                continue
            k = t - play.start
            x = np.where(moved, new, play.positions[rows, k])
            play.positions[rows, k] = x
            play.scale[rows] = np.maximum(play.scale[rows], x.max(axis=1) - x.min(axis=1))

    def _play(self, state, where: np.ndarray, t: int, end: int) -> None:
        """Rounds ``t .. end - 1`` of the model for the active worlds ``where``, from their positions after ``t`` rounds."""
        rows = state.rows[where]
        salience = eu_salience(state.params["salience"][where])
        power = state.params["power"][where]
        for play in self.issues:
            if not play.played:
                continue
            path = kernel.play_issue(play.positions[rows, t - play.start], salience[:, play.actors, play.index],
                                     power[:, play.actors], rounds=end - t, status_quo=play.status_quo,
                                     position_range=play.scale[rows])
            play.write(rows, t, path)

    def _record(self, model: Talks, t: int, offer: np.ndarray, agreed: np.ndarray, breakdown: np.ndarray,
                events: list[str]) -> None:
        """The trace's row of the round: the levels nearest the weighted means as the offer, each issue's two
        forecasts (``ISSUE_eu_mean``, ``ISSUE_eu_winner``) and the status; no answers."""
        responses = {p.name: agreed for p in model.principals}
        model.record_offer(t, NO_PROPOSER, offer, np.ones_like(agreed), responses, agreed, breakdown, events)
        records = getattr(model, "records", None)
        if records:
            row = records[-1]
            for p in model.principals:  # nobody answers an offer in this model
                row.pop(f"accepted_by_{p.name}", None)
            for play in self.issues:
                row[f"{play.name}_eu_mean"] = float(self.last_mean[play.index][model.state.rows[0]])
                row[f"{play.name}_eu_winner"] = float(self.last_winner[play.index][model.state.rows[0]])

    def outcome_columns(self, model: Talks) -> dict[str, np.ndarray]:
        """Per issue, the two forecasts after each world's last round and from the initial positions (n,) each."""
        columns: dict[str, np.ndarray] = {}
        for play in self.issues:
            i = play.index
            columns[f"{play.name}_eu_mean"] = self.last_mean[i]
            columns[f"{play.name}_eu_winner"] = self.last_winner[i]
            columns[f"{play.name}_eu_mean_start"] = self.start_mean[i]
            columns[f"{play.name}_eu_winner_start"] = self.start_winner[i]
        return columns
