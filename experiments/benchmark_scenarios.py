"""Synthetic variants of a scenario for the scaling benchmark (experiments/benchmark.py).

Each function takes a scenario's plain data (``Scenario.to_data()``) and
returns new data that :func:`basesim.scenario.loader.scenario_from_data` validates.
Only one thing changes per axis, everything else stays as in the source
scenario (the baseline: 4 issues of 3, 6, 4, 4 levels = 288 outcomes, two
principals, one influencer, 12 rounds, two events):

- :func:`with_issue_count`: the first ``count`` issues, extra ones being copies
  of the last issue (same levels, ideal points and saliences);
- :func:`with_levels`: every issue re-cut into ``levels`` evenly spaced levels
  (ideal points kept as values on [0, 1], status quo, breakdown and no-deal at the nearest level);
- :func:`with_influencers`: ``count`` influencers (the first is the source's,
  the others copies of it with a small leverage over alternate principals);
- :func:`with_principals`: ``count`` principals (copies of the source's, in turn);
- rounds change by the override ``protocol.rounds``.

Named outcomes refer to level labels, so every variant drops them (the
scaling table compares variants with each other, not with the full scenario).
"""

from __future__ import annotations

import copy
from typing import Any

from basesim.scenario.loader import scenario_from_data
from basesim.scenario.schema import Scenario

__all__ = ["variant", "with_issue_count", "with_levels", "with_influencers", "with_principals"]


def _base(data: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(data)
    out["outcomes"] = {}
    return out


def _renamed(name: str, existing: set[str]) -> str:
    k = 2
    while f"{name}_{k}" in existing:
        k += 1
    return f"{name}_{k}"


def _states(out: dict[str, Any], data: dict[str, Any], levels) -> None:
    """The status quo, the breakdown (plain levels or every alternative's) and the older no-deal of ``data``,
    their level maps passed through ``levels`` into ``out``."""
    for key in ("no_deal", "status_quo"):
        if key in data:
            out[key] = levels(data[key])
    breakdown = data.get("breakdown")
    if isinstance(breakdown, dict) and "alternatives" in breakdown:
        for name, alternative in breakdown["alternatives"].items():
            out["breakdown"]["alternatives"][name]["levels"] = levels(alternative.get("levels", {}))
    elif breakdown is not None:
        out["breakdown"] = levels(breakdown)


def with_issue_count(data: dict[str, Any], count: int) -> dict[str, Any]:
    """The first ``count`` issues; past the source's, copies of its last issue."""
    out = _base(data)
    names = list(data["issues"])
    if count < 1:
        raise ValueError(f"count: need at least one issue, got {count}")
    kept = names[:count]
    copies: dict[str, str] = {}  # new issue -> the issue it copies
    while len(kept) < count:
        new = _renamed(names[-1], set(kept))
        copies[new] = names[-1]
        kept.append(new)

    def source(issue: str) -> str:
        return copies.get(issue, issue)

    out["issues"] = {issue: copy.deepcopy(data["issues"][source(issue)]) for issue in kept}
    _states(out, data, lambda given: {issue: given[source(issue)] for issue in kept if source(issue) in given})
    for actor in out["actors"].values():
        original = copy.deepcopy(actor)
        actor["ideal_point"] = {issue: original["ideal_point"][source(issue)] for issue in kept}
        salience = original["salience"]
        if isinstance(salience, dict) and salience.get("dist") == "dirichlet":
            salience["alpha"] = {issue: salience["alpha"][source(issue)] for issue in kept}
            actor["salience"] = salience
        else:
            weights = {issue: salience[source(issue)] for issue in kept}
            if all(isinstance(w, (int, float)) for w in weights.values()):
                total = sum(weights.values()) or 1.0
                weights = {issue: w / total for issue, w in weights.items()}
            actor["salience"] = weights
        if actor.get("no_deal"):
            actor["no_deal"] = {issue: original["no_deal"][source(issue)] for issue in kept
                                if source(issue) in original["no_deal"]}
        if actor.get("utility_curve"):
            curves = original["utility_curve"]
            actor["utility_curve"] = {issue: curves[source(issue)] for issue in kept if source(issue) in curves}
    return out


def with_levels(data: dict[str, Any], levels: int, scenario: Scenario) -> dict[str, Any]:
    """Every issue cut into ``levels`` evenly spaced levels ``l0 .. l{levels-1}``.

    ``scenario`` is the validated source, to turn level labels into values.
    """
    if levels < 2:
        raise ValueError(f"levels: need at least 2 levels per issue, got {levels}")
    out = _base(data)
    labels = [f"l{j}" for j in range(levels)]

    def nearest(issue: str, ref: Any) -> str:
        value = scenario.issues[issue].value_of(ref) if isinstance(ref, str) else float(ref)
        return labels[round(value * (levels - 1))]

    out["issues"] = {issue: {"label": spec.get("label", issue), "levels": list(labels)}
                     for issue, spec in data["issues"].items()}
    _states(out, data, lambda given: {issue: nearest(issue, ref) for issue, ref in given.items()})
    for actor in out["actors"].values():
        actor["ideal_point"] = {
            issue: scenario.issues[issue].value_of(ref) if isinstance(ref, str) else ref
            for issue, ref in actor["ideal_point"].items()
        }
        if actor.get("no_deal"):
            actor["no_deal"] = {issue: nearest(issue, ref) for issue, ref in actor["no_deal"].items()}
        if actor.get("utility_curve"):  # points need amounts, which plain levels do not have
            actor["utility_curve"] = {issue: curve for issue, curve in actor["utility_curve"].items()
                                      if not (isinstance(curve, dict) and "points" in curve)}
    return out


def with_influencers(data: dict[str, Any], count: int) -> dict[str, Any]:
    """``count`` influencers: the source's first, then copies pulling on alternate principals.

    A copy's leverage is uniform on [0.01, 0.08], so the leverage over a
    principal stays below 1 for up to a dozen influencers. With ``count = 0``
    the events that change an influencer are dropped too.
    """
    out = _base(data)
    actors = out["actors"]
    principals = [name for name, a in actors.items() if a["role"] == "principal"]
    influencers = [name for name, a in actors.items() if a["role"] != "principal"]
    if not influencers:
        raise ValueError("the source scenario has no influencer to copy")
    template = copy.deepcopy(actors[influencers[0]])
    for name in influencers[count:]:
        del actors[name]
    gone = set(influencers[count:])
    out["events"] = {
        name: event for name, event in out.get("events", {}).items()
        if not any(path.split(".")[1] in gone for kind in ("set", "add") for path in event.get(kind, {}))
    }
    for j in range(len(influencers), count):
        copy_of = copy.deepcopy(template)
        copy_of["label"] = f"Influencer {j + 1}"
        copy_of["leverage"] = {principals[j % len(principals)]: {"dist": "uniform", "low": 0.01, "high": 0.08}}
        copy_of.pop("color", None)
        actors[_renamed(influencers[0], set(actors))] = copy_of
    return out


def with_principals(data: dict[str, Any], count: int) -> dict[str, Any]:
    """``count`` principals: the source's, then copies of them in turn."""
    out = _base(data)
    actors = out["actors"]
    principals = [name for name, a in actors.items() if a["role"] == "principal"]
    if count < 2:
        raise ValueError(f"count: need at least two principals, got {count}")
    for name in principals[count:]:
        del actors[name]
        for actor in actors.values():
            actor.get("leverage", {}).pop(name, None)
    for j in range(len(principals), count):
        source = principals[j % len(principals)]
        copy_of = copy.deepcopy(actors[source])
        copy_of["label"] = f"{copy_of.get('label', source)} ({j + 1})"
        copy_of.pop("color", None)
        # a copy pulls on nobody: the source's leverage over a principal, copied, could sum past 1 (refused)
        copy_of.pop("leverage", None)
        actors[_renamed(source, set(actors))] = copy_of
    return out


def variant(scenario: Scenario, axis: str, value: int) -> Scenario:
    """The variant of ``scenario`` with ``axis`` (issues, levels, rounds, influencers, principals) at ``value``."""
    data = scenario.to_data()
    if axis == "issues":
        data = with_issue_count(data, value)
    elif axis == "levels":
        data = with_levels(data, value, scenario)
    elif axis == "influencers":
        data = with_influencers(data, value)
    elif axis == "principals":
        data = with_principals(data, value)
    elif axis == "rounds":
        data = _base(data)
        data["protocol"]["rounds"] = int(value)
    else:
        raise ValueError(f"axis: {axis!r} is not a scaling axis; expected issues, levels, rounds, influencers, principals")
    data["name"] = f"{scenario.name or 'scenario'}-{axis}-{value}"
    return scenario_from_data(data, origin=f"<{axis}={value}>")
