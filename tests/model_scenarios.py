"""Scenarios for the model tests: a pie split by two principals, and random small scenarios.

Shared by tests/test_protocols_known_answers.py, tests/test_model_invariants.py
and tests/test_reference_oracle.py.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from basesim.scenario.loader import scenario_from_data
from basesim.scenario.schema import Scenario

PROTOCOL_NAMES = ("alternating_offers", "equilibrium", "nash")


def split_the_pie(
    *,
    protocol: str,
    steps: int = 1001,
    rounds: int = 1,
    patience: tuple[float, float] = (1.0, 1.0),
    disagreement: tuple[float, float] = (0.0, 0.0),
    power: tuple[float, float] = (1.0, 1.0),
    first: str = "a",
) -> Scenario:
    """One issue ``share`` (A's share, levels 0, 1/(steps-1), ..., 1) split between a and b.

    Linear utilities: ``u_a(x) = x``, ``u_b(x) = 1 - x``. The status quo (and
    breakdown) is ``x = 0``; b's delay cost of 1 makes both talking flows 0,
    as in Rubinstein's game, where nothing is had until a deal. A walk-out is
    then worth a's outside option to a and ``1 + outside_option`` to b, so
    ``disagreement`` gives the two walk-out values (and reservation utilities) directly.
    """
    d_a, d_b = disagreement
    return scenario_from_data(
        {
            "name": "split",
            "issues": {"share": {"range": {"min": 0, "max": 1, "steps": steps}}},
            "no_deal": {"share": 0},
            "actors": {
                "a": {
                    "role": "principal",
                    "ideal_point": {"share": 1.0},
                    "salience": {"share": 1.0},
                    "patience": patience[0],
                    "outside_option": d_a,
                    "power": power[0],
                },
                "b": {
                    "role": "principal",
                    "ideal_point": {"share": 0.0},
                    "salience": {"share": 1.0},
                    "patience": patience[1],
                    "outside_option": d_b - 1.0,
                    "delay_cost": 1.0,
                    "power": power[1],
                },
            },
            "protocol": {"name": protocol, "rounds": rounds, "first_proposer": first},
        }
    )


# --- random small scenarios (hypothesis) ---------------------------------------------

GRID = [0.0, 0.25, 0.5, 0.75, 1.0]
#: Round lengths the random scenarios play in (2-week rounds make every monthly rate fractional).
ROUND_LENGTHS = ["1 month", "1 month", "2 weeks", "1 quarter", "10 days"]


def _param(draw, fixed: list[float], low: float, high: float):
    """A fixed value from a coarse grid (ties are likely) or a distribution on [low, high]."""
    kind = draw(st.sampled_from(["fixed", "fixed", "uniform", "triangular", "choice"]))
    if kind == "fixed":
        return draw(st.sampled_from(fixed))
    if kind == "uniform":
        return {"dist": "uniform", "low": low, "high": high}
    if kind == "triangular":
        return {"dist": "triangular", "low": low, "mode": (low + high) / 2, "high": high}
    return {"dist": "choice", "values": sorted(set(fixed))}


def _curve(draw, amounts: list[float] | None):
    """A utility curve: concave or convex of some curvature, or points (issues with amounts only)."""
    kinds = ["concave", "convex"] + (["points", "points"] if amounts is not None else [])
    kind = draw(st.sampled_from(kinds))
    if kind != "points":
        return {"shape": kind, "curvature": draw(st.sampled_from([0.5, 1.0, 3.0]))}
    low, high = amounts[0], amounts[-1]
    if draw(st.booleans()):  # spanning the amounts
        xs = [low, low + (high - low) * draw(st.sampled_from([0.25, 0.5])), high]
    else:  # inside them: flat beyond the first and last point
        xs = [low + (high - low) * 0.2, low + (high - low) * 0.7]
    ys = sorted(draw(st.lists(st.sampled_from([0.0, 0.1, 0.5, 0.8, 1.0]), min_size=len(xs), max_size=len(xs))))
    if draw(st.booleans()):
        ys = ys[::-1]  # a payer: utility falls with the amount
    return {"points": [[x, y] for x, y in zip(xs, ys)]}


@st.composite
def small_scenarios(draw) -> Scenario:
    """1-3 issues of 2-4 levels, 2-3 principals, 0-1 influencer, 0-2 events, 1-6 rounds.

    The states: the older ``no_deal`` (status quo and breakdown alike), or a
    ``status_quo`` with a breakdown that defaults to it, is plain levels or a
    lottery of 2-3 alternatives (fixed probabilities adding up to 1, or one
    uncertain). Actors have delay costs, deadlines and learning times, and
    some value issues on concave, convex or points curves; rounds last a
    month, 2 weeks, a quarter or 10 days; events fire at a round or a month.
    """
    issues: dict = {}
    level_values: dict[str, list[float]] = {}
    level_labels: dict[str, list[str] | None] = {}
    level_amounts: dict[str, list[float] | None] = {}
    for i in range(draw(st.integers(1, 3))):
        name = f"issue{i}"
        m = draw(st.integers(2, 4))
        kind = draw(st.sampled_from(["labels", "values", "range", "amounts"]))
        level_amounts[name] = None
        if kind == "labels":
            issues[name] = {"levels": [f"l{k}" for k in range(m)]}
            level_values[name] = [k / (m - 1) for k in range(m)]
            level_labels[name] = [f"l{k}" for k in range(m)]
        elif kind == "values":
            ticks = sorted(draw(st.lists(st.integers(0, 8), min_size=m, max_size=m, unique=True)))
            values = [t / 8 for t in ticks]
            issues[name] = {"levels": [{"label": f"v{k}", "value": v} for k, v in enumerate(values)]}
            level_values[name] = values
            level_labels[name] = [f"v{k}" for k in range(m)]
        elif kind == "amounts":  # money on a value scale linear in the amount
            amounts = sorted(draw(st.lists(st.integers(0, 20), min_size=m, max_size=m, unique=True)))
            issues[name] = {"unit": "$bn", "levels": [{"label": f"{a} $bn", "amount": a} for a in amounts]}
            level_values[name] = [(a - amounts[0]) / (amounts[-1] - amounts[0]) for a in amounts]
            level_labels[name] = [f"{a} $bn" for a in amounts]
            level_amounts[name] = [float(a) for a in amounts]
        else:
            top = draw(st.sampled_from([1, 10, 20]))
            issues[name] = {"range": {"min": 0, "max": top, "steps": m}}
            level_values[name] = [k / (m - 1) for k in range(m)]
            level_labels[name] = None
            level_amounts[name] = [top * k / (m - 1) for k in range(m)]
    issue_names = list(issues)

    def level_ref(issue: str):
        k = draw(st.integers(0, len(level_values[issue]) - 1))
        labels = level_labels[issue]
        return labels[k] if labels is not None and draw(st.booleans()) else level_values[issue][k]

    def levels(*, complete: bool) -> dict:
        chosen = issue_names if complete else draw(st.lists(st.sampled_from(issue_names), unique=True))
        return {i: level_ref(i) for i in chosen}

    def ideal(issue: str):
        kind = draw(st.sampled_from(["grid", "grid", "level", "dist"]))
        if kind == "grid":
            return draw(st.sampled_from(GRID))
        if kind == "level" and level_labels[issue] is not None:
            return draw(st.sampled_from(level_labels[issue]))
        return {"dist": "uniform", "low": 0.0, "high": 1.0}

    def salience():
        if draw(st.booleans()):
            return {"dist": "dirichlet", "alpha": {i: draw(st.sampled_from([0.5, 1.0, 3.0])) for i in issue_names}}
        weights = {i: draw(st.sampled_from([0.0, 1.0, 2.0, 3.0])) for i in issue_names}
        if not any(weights.values()):
            weights[issue_names[0]] = 1.0
        if draw(st.booleans()):
            weights[issue_names[-1]] = {"dist": "uniform", "low": 0.5, "high": 2.0}
        return weights

    def curves() -> dict:
        chosen = draw(st.lists(st.sampled_from(issue_names), unique=True, max_size=2))
        return {i: _curve(draw, level_amounts[i]) for i in chosen}

    principals = [f"p{k}" for k in range(draw(st.integers(2, 3)))]
    actors: dict = {}
    for p in principals:
        actor = {
            "role": "principal",
            "ideal_point": {i: ideal(i) for i in issue_names},
            "salience": salience(),
            "outside_option": _param(draw, [-0.2, 0.0, 0.1], -0.3, 0.2),
            "concession": _param(draw, [0.5, 1.0, 2.0], 0.3, 2.0),
            "patience": _param(draw, [0.8, 0.9, 1.0], 0.7, 1.0),
            "belief_noise": _param(draw, [0.0, 0.1, 0.3], 0.0, 0.3),
            "power": _param(draw, [1.0, 2.0], 0.5, 2.0),
            "delay_cost": _param(draw, [0.0, 0.0, 0.05, 0.2], 0.0, 0.2),
            "deadline": _param(draw, [1.0, 2.0, 12.0], 0.5, 6.0),
            "learning_time": _param(draw, [0.5, 3.0, 12.0], 0.5, 12.0),
        }
        if draw(st.booleans()):
            actor["utility_curve"] = curves()
        if draw(st.booleans()):
            issue = draw(st.sampled_from(issue_names))
            actor["no_deal"] = {issue: level_ref(issue)}
        actors[p] = actor
    if draw(st.booleans()):
        actors[principals[0]]["leverage"] = {principals[1]: draw(st.sampled_from([0.1, 0.2]))}
    has_influencer = draw(st.booleans())
    if has_influencer:
        pulled = draw(st.lists(st.sampled_from(principals), min_size=1, max_size=2, unique=True))
        actors["inf"] = {
            "role": "influencer",
            "ideal_point": {i: ideal(i) for i in issue_names},
            "salience": salience(),
            "leverage": {p: _param(draw, [0.1, 0.3, 0.5], 0.0, 0.5) for p in pulled},
        }
        if draw(st.booleans()):
            actors["inf"]["utility_curve"] = curves()

    rounds = draw(st.integers(1, 6))
    round_length = draw(st.sampled_from(ROUND_LENGTHS))
    protocol = {
        "name": draw(st.sampled_from(PROTOCOL_NAMES)),
        "rounds": rounds,
        "round_length": round_length,
        "breakdown_risk": _param(draw, [0.0, 0.0, 0.2], 0.0, 0.4),
    }
    if draw(st.booleans()):
        protocol["first_proposer"] = draw(st.sampled_from(principals))

    targets = [("add", "protocol.breakdown_risk", 0.2)]
    for p in principals:
        targets += [
            ("add", f"actors.{p}.outside_option", {"dist": "uniform", "low": -0.2, "high": 0.2}),
            ("set", f"actors.{p}.ideal_point.{issue_names[0]}", draw(st.sampled_from(GRID))),
            ("set", f"actors.{p}.concession", 3.0),
            ("set", f"actors.{p}.belief_noise", 0.5),
            ("set", f"actors.{p}.patience", 0.5),
            ("add", f"actors.{p}.delay_cost", 0.1),
            ("set", f"actors.{p}.deadline", 0.25),
        ]
        if not isinstance(actors[p]["salience"], dict) or "dist" not in actors[p]["salience"]:
            targets.append(("add", f"actors.{p}.salience.{issue_names[0]}", 1.5))
        if has_influencer:
            targets.append(("set", f"actors.inf.leverage.{p}", 0.8))
    months = {"1 month": 1.0, "2 weeks": 14 / 30.4375, "1 quarter": 3.0, "10 days": 10 / 30.4375}[round_length]
    events: dict = {}
    for e in range(draw(st.integers(0, 2))):
        chosen = draw(st.lists(st.sampled_from(targets), min_size=1, max_size=2, unique_by=lambda t: t[1]))
        event: dict = {"probability": draw(st.sampled_from([1.0, 0.5]))}
        when = draw(st.sampled_from(["round", "round", "month", "month"]))
        if when == "month":  # a fixed month (maybe on a round's start, maybe past the horizon) or a drawn one
            if draw(st.booleans()):
                event["month"] = draw(st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0]))
            else:
                event["month"] = {"dist": "uniform", "low": 0.0, "high": rounds * months}
        elif draw(st.booleans()) or rounds == 1:
            event["round"] = draw(st.integers(0, rounds - 1))
        else:
            event["round"] = {"dist": "integers", "low": 0, "high": rounds - 1}
        for kind, path, value in chosen:
            event.setdefault(kind, {})[path] = value
        events[f"event{e}"] = event

    data = {"name": "random", "issues": issues, "actors": actors, "protocol": protocol, "events": events}
    states = draw(st.sampled_from(["no_deal", "status_quo", "levels", "lottery", "uncertain lottery"]))
    if states == "no_deal":
        data["no_deal"] = levels(complete=True)
    else:
        data["status_quo"] = levels(complete=True)
    if states == "levels":
        data["breakdown"] = levels(complete=False)
    elif states in ("lottery", "uncertain lottery"):
        probabilities = draw(st.sampled_from([[0.5, 0.5], [0.25, 0.75], [0.2, 0.3, 0.5]]))
        if states == "uncertain lottery":  # weights: divided by their sum in every world
            probabilities = [{"dist": "uniform", "low": 0.2, "high": 0.8}, *probabilities[1:]]
        data["breakdown"] = {"alternatives": {
            f"alt{k}": {"probability": pk, "levels": levels(complete=False)} for k, pk in enumerate(probabilities)
        }}
    return scenario_from_data(data)


def dominated(point: np.ndarray, utilities: np.ndarray) -> bool:
    """Whether some row of ``utilities`` (K, P) is at least ``point`` (P,) everywhere and above it somewhere."""
    at_least = (utilities >= point).all(axis=1)
    above = (utilities > point).any(axis=1)
    return bool((at_least & above).any())
