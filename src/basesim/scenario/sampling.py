"""Drawing every uncertain input of a scenario for a batch of replications.

A batch of ``n`` replications is one matrix of unit-hypercube points, shape
``(n, D)``, one named column per random dimension (:func:`unit_columns`):
first the scenario's distributions (a Dirichlet takes one column per issue),
then the events' occurrence draws, then the actors' belief noise and the
per-round breakdown draws. :func:`transform` turns the matrix into parameter
arrays through each distribution's quantile function (scipy.stats).

Because every row is transformed on its own, row ``k`` of a batch depends on
row ``k`` of the matrix only: a replicate can be replayed alone, and the
first rows of a longer batch equal a shorter one (``rng.random((n, D))`` fills
row by row). Plain Monte Carlo uses ``rng.random``; Latin hypercube and Sobol
designs replace the parameter columns with ``scipy.stats.qmc`` points.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from basesim.scenario.distributions import Dirichlet, _Dist
from basesim.scenario.schema import Scenario

__all__ = ["Draws", "FIELD_BOUNDS", "sample", "transform", "unit_columns", "uncertain_parameters", "parameter_slot"]

#: Allowed range of every numeric actor field (and breakdown risk); events clip to it.
FIELD_BOUNDS: dict[str, tuple[float, float]] = {
    "ideal_point": (0.0, 1.0),
    "salience": (0.0, np.inf),
    "leverage": (0.0, 1.0),
    "power": (1e-9, np.inf),
    "outside_option": (-1.0, 1.0),
    "concession": (1e-9, np.inf),
    "patience": (1e-9, 1.0),
    "belief_noise": (0.0, 1.0),
    "delay_cost": (0.0, 1.0),
    "deadline": (1e-9, np.inf),
    "learning_time": (1e-9, np.inf),
    "breakdown_risk": (0.0, 1.0 - 1e-12),
}

#: Per-actor scalar fields and the Draws attribute holding them.
SCALAR_FIELDS = ("power", "outside_option", "concession", "patience", "belief_noise", "delay_cost", "deadline",
                 "learning_time")


@dataclass
class Draws:
    """Every sampled input of a batch of ``n`` worlds, as arrays.

    Shapes (``A`` actors in scenario order, ``I`` issues, ``P`` principals,
    ``E`` events, ``T`` rounds):

    - ``ideal_point`` (n, A, I), values on [0, 1];
    - ``salience`` (n, A, I), rows sum to 1;
    - ``leverage`` (n, A, A): ``leverage[:, b, a]`` is the pull of actor b on principal a;
    - ``power``, ``outside_option``, ``concession``, ``patience``, ``belief_noise``,
      ``delay_cost``, ``deadline``, ``learning_time`` (n, A);
    - ``breakdown_risk`` (n,): probability per month;
    - ``breakdown_weight`` (n, B): the probabilities of the breakdown alternatives
      (summing to 1), ``breakdown_pick`` (n,): the uniform draw that picks one;
    - ``event_round`` (n, E) int, ``event_fires`` (n, E) bool,
      ``event_values`` maps ``(event, target_path)`` to (n,) values;
    - ``belief_ideal_z``, ``belief_salience_z`` (n, P, A, I): standard normal
      noise of principal p's belief about actor a;
    - ``breakdown_u`` (n, T): uniform draws compared with the breakdown risk;
    - ``inputs``: the uncertain parameters by dotted path, (n,) each, for the
      outcome table and sensitivity analysis;
    - ``replicate`` (n,): global replicate index of every row.
    """

    scenario: Scenario
    replicate: np.ndarray
    ideal_point: np.ndarray
    salience: np.ndarray
    leverage: np.ndarray
    power: np.ndarray
    outside_option: np.ndarray
    concession: np.ndarray
    patience: np.ndarray
    belief_noise: np.ndarray
    delay_cost: np.ndarray
    deadline: np.ndarray
    learning_time: np.ndarray
    breakdown_risk: np.ndarray
    breakdown_weight: np.ndarray
    breakdown_pick: np.ndarray
    event_round: np.ndarray
    event_fires: np.ndarray
    event_values: dict[tuple[str, str], np.ndarray]
    belief_ideal_z: np.ndarray
    belief_salience_z: np.ndarray
    breakdown_u: np.ndarray
    inputs: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return int(self.replicate.shape[0])

    def take(self, rows: np.ndarray | slice) -> "Draws":
        """The draws of a subset of worlds (e.g. one replicate, for a trace)."""

        def pick(value: Any) -> Any:
            if isinstance(value, np.ndarray):
                return value[rows]
            if isinstance(value, dict):
                return {k: pick(v) for k, v in value.items()}
            return value

        return replace(self, **{f: pick(getattr(self, f)) for f in self.__dataclass_fields__ if f != "scenario"})


def uncertain_parameters(scenario: Scenario) -> dict[str, _Dist]:
    """Every distribution in the scenario by dotted path, in a fixed order.

    A Dirichlet salience appears once, under ``actors.NAME.salience``.
    """
    found: dict[str, _Dist] = {}
    for name, actor in scenario.actors.items():
        base = f"actors.{name}"
        for issue, value in actor.ideal_point.items():
            if isinstance(value, _Dist):
                found[f"{base}.ideal_point.{issue}"] = value
        if isinstance(actor.salience, Dirichlet):
            found[f"{base}.salience"] = actor.salience
        else:
            for issue, value in actor.salience.items():
                if isinstance(value, _Dist):
                    found[f"{base}.salience.{issue}"] = value
        for target, value in actor.leverage.items():
            if isinstance(value, _Dist):
                found[f"{base}.leverage.{target}"] = value
        for field_name in SCALAR_FIELDS:
            value = getattr(actor, field_name)
            if isinstance(value, _Dist):
                found[f"{base}.{field_name}"] = value
    if isinstance(scenario.protocol.breakdown_risk, _Dist):
        found["protocol.breakdown_risk"] = scenario.protocol.breakdown_risk
    for name, alternative in scenario.breakdown_alternatives.items():
        if isinstance(alternative.probability, _Dist):
            found[f"breakdown.alternatives.{name}.probability"] = alternative.probability
    for name, event in scenario.events.items():
        base = f"events.{name}"
        for key in ("round", "month", "probability"):
            if isinstance(getattr(event, key), _Dist):
                found[f"{base}.{key}"] = getattr(event, key)
        for kind in ("set", "add"):
            for target, value in getattr(event, kind).items():
                if isinstance(value, _Dist):
                    found[f"{base}.{kind}.{target}"] = value
    return found


def unit_columns(scenario: Scenario) -> list[str]:
    """Names of the unit-hypercube columns of one replication, in order.

    Parameter columns are named by dotted path (a Dirichlet by
    ``PATH.ISSUE``); then ``events.NAME.occurs``, then
    ``belief.PRINCIPAL.ACTOR.{ideal_point,salience}.ISSUE``, then
    ``breakdown.alternative`` and ``breakdown.ROUND``.
    """
    columns: list[str] = []
    for path, dist in uncertain_parameters(scenario).items():
        if isinstance(dist, Dirichlet):
            columns += [f"{path}.{issue}" for issue in dist.alpha]
        else:
            columns.append(path)
    columns += [f"events.{name}.occurs" for name in scenario.events]
    columns += noise_columns(scenario)
    return columns


def noise_columns(scenario: Scenario) -> list[str]:
    """The columns of in-run randomness: belief noise and breakdown draws."""
    columns = []
    for p in scenario.principals:
        for a in scenario.actor_names:
            for kind in ("ideal_point", "salience"):
                columns += [f"belief.{p}.{a}.{kind}.{i}" for i in scenario.issue_names]
    columns.append("breakdown.alternative")
    columns += [f"breakdown.{t}" for t in range(scenario.protocol.rounds)]
    return columns


def parameter_columns(scenario: Scenario) -> list[str]:
    """The columns of the scenario's distributions (what sweeps and designs vary)."""
    noise = len(scenario.events) + len(noise_columns(scenario))
    columns = unit_columns(scenario)
    return columns[: len(columns) - noise]


def parameter_slot(scenario: Scenario, path: str) -> tuple[str, tuple[int, ...]]:
    """Where a dotted parameter path lives in :class:`Draws`: attribute and index.

    ``actors.syria.outside_option`` -> ``("outside_option", (a,))``;
    ``actors.turkey.leverage.syria`` -> ``("leverage", (b, a))``;
    ``protocol.breakdown_risk`` -> ``("breakdown_risk", ())``.
    """
    if path == "protocol.breakdown_risk":
        return "breakdown_risk", ()
    _, actor, field_name, *key = path.split(".")
    a = scenario.actor_names.index(actor)
    if field_name in SCALAR_FIELDS:
        return field_name, (a,)
    if field_name == "leverage":
        return "leverage", (a, scenario.actor_names.index(key[0]))
    return field_name, (a, scenario.issue_names.index(key[0]))


def _value(value: Any, unit: dict[str, np.ndarray], path: str, n: int) -> np.ndarray:
    if isinstance(value, _Dist):
        return value.ppf(unit[path])
    return np.full(n, float(value))


def transform(scenario: Scenario, unit: np.ndarray, *, replicate: np.ndarray | None = None) -> Draws:
    """Unit-hypercube points (n, D) -> the batch's parameter arrays.

    ``unit`` has one column per name of :func:`unit_columns`.
    """
    columns = unit_columns(scenario)
    unit = np.asarray(unit, dtype=float)
    if unit.ndim != 2 or unit.shape[1] != len(columns):
        raise ValueError(f"unit points must have shape (n, {len(columns)}), got {unit.shape}")
    n = unit.shape[0]
    col = {name: unit[:, j] for j, name in enumerate(columns)}
    actors, issues, principals = scenario.actor_names, scenario.issue_names, scenario.principals
    A, I, P, T = len(actors), len(issues), len(principals), scenario.protocol.rounds
    inputs: dict[str, np.ndarray] = {}

    ideal = np.zeros((n, A, I))
    weights = np.zeros((n, A, I))
    leverage = np.zeros((n, A, A))
    scalars = {f: np.zeros((n, A)) for f in SCALAR_FIELDS}
    for a, (name, actor) in enumerate(scenario.actors.items()):
        base = f"actors.{name}"
        for issue, value in actor.ideal_point.items():
            i = issues.index(issue)
            if isinstance(value, str):
                ideal[:, a, i] = scenario.issues[issue].value_of(value)
            else:
                ideal[:, a, i] = _value(value, col, f"{base}.ideal_point.{issue}", n)
        if isinstance(actor.salience, Dirichlet):
            keys = list(actor.salience.alpha)
            drawn = actor.salience.ppf(np.stack([col[f"{base}.salience.{k}"] for k in keys], axis=1))
            for j, issue in enumerate(keys):
                weights[:, a, issues.index(issue)] = drawn[:, j]
        else:
            for issue, value in actor.salience.items():
                weights[:, a, issues.index(issue)] = _value(value, col, f"{base}.salience.{issue}", n)
        for target, value in actor.leverage.items():
            leverage[:, a, actors.index(target)] = _value(value, col, f"{base}.leverage.{target}", n)
        for f in SCALAR_FIELDS:
            scalars[f][:, a] = _value(getattr(actor, f), col, f"{base}.{f}", n)
    salience = normalise_salience(weights)

    for path, dist in uncertain_parameters(scenario).items():
        if isinstance(dist, Dirichlet):
            a = actors.index(path.split(".")[1])
            for issue in dist.alpha:
                inputs[f"{path}.{issue}"] = salience[:, a, issues.index(issue)]
        else:
            inputs[path] = dist.ppf(col[path])

    breakdown_risk = _value(scenario.protocol.breakdown_risk, col, "protocol.breakdown_risk", n)
    alternatives = scenario.breakdown_alternatives
    weight = np.stack(
        [_value(a.probability, col, f"breakdown.alternatives.{name}.probability", n) for name, a in alternatives.items()],
        axis=1,
    )
    total = weight.sum(axis=1, keepdims=True)
    weight = np.where(total > 0, weight / np.where(total > 0, total, 1.0), 1.0 / weight.shape[1])
    months = scenario.months_per_round

    E = len(scenario.events)
    event_round = np.zeros((n, E), dtype=np.int64)
    event_fires = np.zeros((n, E), dtype=bool)
    event_values: dict[tuple[str, str], np.ndarray] = {}
    for e, (name, event) in enumerate(scenario.events.items()):
        base = f"events.{name}"
        if event.month is not None:  # the first round that starts at or after the month
            month = _value(event.month, col, f"{base}.month", n)
            event_round[:, e] = np.ceil(month / months - 1e-9).astype(np.int64)
        else:
            event_round[:, e] = np.floor(_value(event.round, col, f"{base}.round", n) + 1e-9).astype(np.int64)
        probability = _value(event.probability, col, f"{base}.probability", n)
        event_fires[:, e] = col[f"{base}.occurs"] < probability
        for kind in ("set", "add"):
            for target, value in getattr(event, kind).items():
                event_values[(name, target)] = _value(value, col, f"{base}.{kind}.{target}", n)
        inputs[f"{base}.occurs"] = event_fires[:, e].copy()

    def noise(kind: str) -> np.ndarray:
        z = np.empty((n, P, A, I))
        for p_i, p in enumerate(principals):
            for a, actor in enumerate(actors):
                for i, issue in enumerate(issues):
                    z[:, p_i, a, i] = col[f"belief.{p}.{actor}.{kind}.{issue}"]
        from scipy import special  # here, not at the top: validating a scenario never needs scipy

        return special.ndtri(np.clip(z, 1e-12, 1 - 1e-12))  # the standard normal quantile

    breakdown_u = np.stack([col[f"breakdown.{t}"] for t in range(T)], axis=1) if T else np.zeros((n, 0))
    return Draws(
        scenario=scenario,
        replicate=np.arange(n, dtype=np.int64) if replicate is None else np.asarray(replicate, np.int64),
        ideal_point=ideal,
        salience=salience,
        leverage=leverage,
        breakdown_risk=breakdown_risk,
        breakdown_weight=weight,
        breakdown_pick=col["breakdown.alternative"],
        event_round=event_round,
        event_fires=event_fires,
        event_values=event_values,
        belief_ideal_z=noise("ideal_point"),
        belief_salience_z=noise("salience"),
        breakdown_u=breakdown_u,
        inputs=inputs,
        **scalars,
    )


def normalise_salience(weights: np.ndarray) -> np.ndarray:
    """Scale weights (..., I) to sum 1; an all-zero row becomes equal weights."""
    total = weights.sum(axis=-1, keepdims=True)
    equal = np.full_like(weights, 1.0 / weights.shape[-1])
    return np.where(total > 0, weights / np.where(total > 0, total, 1.0), equal)


def sample(scenario: Scenario, n: int, rng: np.random.Generator, *, first_replicate: int = 0) -> Draws:
    """Draw ``n`` replications of every uncertain input from ``rng``.

    Consumes exactly ``rng.random((n, D))``, D = ``len(unit_columns(scenario))``.
    """
    unit = rng.random((n, len(unit_columns(scenario))))
    return transform(scenario, unit, replicate=first_replicate + np.arange(n))
