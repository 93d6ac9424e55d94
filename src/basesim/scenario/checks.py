"""Cross-reference checks a schema alone cannot make.

Runs on a structurally valid :class:`~basesim.scenario.schema.Scenario` and returns
every problem as ``(dotted_path, message)``: unknown issues or actors
referenced, level labels that do not exist, saliences that cannot be
normalised, leverage that sums past 1, events that change no parameter.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable
from typing import Any

import yaml
from pydantic import BaseModel

from basesim.scenario.distributions import Dirichlet, param_support
from basesim.scenario.schema import Issue, Scenario, round_calendar

#: Numeric actor fields an event may change, and whether they are keyed by issue or principal.
ACTOR_SCALARS = ("power", "outside_option", "concession", "patience", "belief_noise", "delay_cost", "deadline",
                 "learning_time")
ACTOR_KEYED = {"ideal_point": "issue", "salience": "issue", "leverage": "principal"}
PRINCIPAL_ONLY = ("no_deal", "outside_option", "concession", "patience", "belief_noise", "delay_cost", "deadline",
                  "learning_time")


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` when a close match exists, else ``''``."""
    match = difflib.get_close_matches(str(name), list(choices), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _unknown(kind: str, name: str, choices: list[str]) -> str:
    return f"unknown {kind} {name!r}{did_you_mean(name, choices)}; expected one of {', '.join(choices)}"


def _some(items: list[str], *, at_most: int = 10) -> str:
    """``a, b, c`` or, for a long list, ``a, b, c, ..., y, z (N in all)``."""
    if len(items) <= at_most:
        return ", ".join(items)
    return ", ".join(items[:3]) + ", ..., " + ", ".join(items[-2:]) + f" ({len(items)} in all)"


def _check_level(issue: Issue, ref: str | float) -> str | None:
    if issue.level_index(ref) is not None:
        return None
    if isinstance(ref, str):
        return f"{ref!r} is not a level of this issue{did_you_mean(ref, issue.labels)}; expected one of {_some(issue.labels)}"
    values, labels = issue.values, issue.labels
    below = [i for i in range(len(values)) if values[i] < ref]
    above = [i for i in range(len(values)) if values[i] > ref]
    nearest = [i for i in (below[-1:] + above[:1])]
    near = " or ".join(f"{values[i]:g} ({labels[i]!r})" for i in nearest)
    return (
        f"{ref:g} is not the value of a level of this issue (nearest: {near}); "
        f"give a level label or one of {_some([f'{v:g}' for v in values])}"
    )


def _check_outcome_map(scenario: Scenario, levels: dict, path: str, *, complete: bool) -> list[tuple[str, str]]:
    problems = []
    issues = scenario.issue_names
    for name, ref in levels.items():
        if name not in scenario.issues:
            problems.append((f"{path}.{name}", _unknown("issue", name, issues)))
        elif (msg := _check_level(scenario.issues[name], ref)) is not None:
            problems.append((f"{path}.{name}", msg))
    if complete:
        missing = [i for i in issues if i not in levels]
        if missing:
            problems.append((path, f"must give a level for every issue; missing {', '.join(missing)}"))
    return problems


def parameter_path_problem(scenario: Scenario, path: str) -> str | None:
    """Why ``path`` is not a numeric parameter an event can change (None if it is)."""
    parts = path.split(".")
    if parts == ["protocol", "breakdown_risk"]:
        return None
    allowed = "actors.ACTOR.FIELD[.KEY] or protocol.breakdown_risk"
    if len(parts) < 3 or parts[0] != "actors":
        return f"{path!r} is not a parameter; expected {allowed}"
    actor, field = parts[1], parts[2]
    if actor not in scenario.actors:
        return _unknown("actor", actor, scenario.actor_names)
    fields = list(ACTOR_SCALARS) + list(ACTOR_KEYED)
    if field not in fields:
        return _unknown("parameter", field, fields)
    if field in ACTOR_SCALARS:
        if len(parts) != 3:
            return f"{field} takes no key; write actors.{actor}.{field}"
        if field in PRINCIPAL_ONLY and not scenario.actors[actor].is_principal:
            return f"{actor} is an influencer; only principals have {field}"
        return None
    if len(parts) != 4:
        return f"{field} needs a key: actors.{actor}.{field}.{ACTOR_KEYED[field].upper()}"
    key = parts[3]
    choices = scenario.issue_names if ACTOR_KEYED[field] == "issue" else scenario.principals
    if key not in choices:
        return _unknown(ACTOR_KEYED[field], key, choices)
    if field == "salience" and isinstance(scenario.actors[actor].salience, Dirichlet):
        return f"{actor}'s saliences are a Dirichlet draw and cannot be changed one by one"
    return None


def _check_breakdown(scenario: Scenario) -> list[tuple[str, str]]:
    """A breakdown given as levels, or as alternatives whose fixed probabilities add up to 1."""
    given = scenario.breakdown
    if given is None:
        return []
    if isinstance(given, dict):
        return _check_outcome_map(scenario, given, "breakdown", complete=False)
    problems = []
    for name, alternative in given.alternatives.items():
        problems += _check_outcome_map(scenario, alternative.levels, f"breakdown.alternatives.{name}.levels", complete=False)
    probabilities = [a.probability for a in given.alternatives.values()]
    if all(isinstance(p, (int, float)) for p in probabilities) and abs(sum(probabilities) - 1.0) > 1e-9:
        shown = " + ".join(f"{p:g}" for p in probabilities)
        problems.append(("breakdown.alternatives",
                         f"fixed probabilities must add up to 1, got {shown} = {sum(probabilities):g} "
                         "(uncertain ones are divided by their sum in every world)"))
    return problems


def check_scenario(scenario: Scenario) -> list[tuple[str, str]]:
    """Every cross-reference problem of a structurally valid scenario."""
    problems: list[tuple[str, str]] = []
    issues = scenario.issue_names
    principals = scenario.principals

    if len(principals) < 2:
        got = f"{len(principals)} ({', '.join(principals)})" if principals else "none"
        problems.append(("actors", f"needs at least two principals (role: principal), got {got}"))

    if scenario.no_deal is not None:
        problems += _check_outcome_map(scenario, scenario.no_deal, "no_deal", complete=True)
    if scenario.status_quo is not None:
        problems += _check_outcome_map(scenario, scenario.status_quo, "status_quo", complete=True)
    problems += _check_breakdown(scenario)

    total_leverage: dict[str, float] = {}
    holders: dict[str, list[str]] = {}
    for name, actor in scenario.actors.items():
        base = f"actors.{name}"
        for issue, ideal in actor.ideal_point.items():
            if issue not in scenario.issues:
                problems.append((f"{base}.ideal_point.{issue}", _unknown("issue", issue, issues)))
            elif isinstance(ideal, str) and (msg := _check_level(scenario.issues[issue], ideal)):
                problems.append((f"{base}.ideal_point.{issue}", msg))

        weights = actor.salience.alpha if isinstance(actor.salience, Dirichlet) else actor.salience
        spath = f"{base}.salience" + (".alpha" if isinstance(actor.salience, Dirichlet) else "")
        for issue in weights:
            if issue not in scenario.issues:
                problems.append((f"{spath}.{issue}", _unknown("issue", issue, issues)))
            elif issue not in actor.ideal_point:
                problems.append((f"{spath}.{issue}", f"has a salience but no ideal point for {issue!r}"))
        if not isinstance(actor.salience, Dirichlet):
            highest = sum(param_support(w)[1] for w in actor.salience.values())
            if highest <= 0:
                problems.append(
                    (f"{base}.salience", "cannot be normalised: the weights are all zero; give at least one positive weight")
                )

        for target, amount in actor.leverage.items():
            if target == name:
                problems.append((f"{base}.leverage.{target}", "an actor cannot hold leverage over itself"))
            elif target not in principals:
                problems.append(
                    (f"{base}.leverage.{target}", _unknown("principal", target, [p for p in principals if p != name]))
                )
            else:
                total_leverage[target] = total_leverage.get(target, 0.0) + param_support(amount)[1]
                holders.setdefault(target, []).append(f"{name} up to {param_support(amount)[1]:g}")

        for issue, curve in actor.utility_curve.items():
            if issue not in scenario.issues:
                problems.append((f"{base}.utility_curve.{issue}", _unknown("issue", issue, issues)))
            elif hasattr(curve, "points") and scenario.issues[issue].amounts is None:
                problems.append((f"{base}.utility_curve.{issue}",
                                 f"points are [amount, utility] pairs, but issue {issue!r} has no amounts; "
                                 "give its levels amounts, or use {shape: ..., curvature: ...}"))

        if not actor.is_principal:
            for field in PRINCIPAL_ONLY:
                if getattr(actor, field) == type(actor).model_fields[field].default:
                    continue
                problems.append((f"{base}.{field}", f"{name} is an influencer; only principals have {field}"))
        elif actor.no_deal is not None:
            problems += _check_outcome_map(scenario, actor.no_deal, f"{base}.no_deal", complete=False)

    for target, total in total_leverage.items():
        if total > 1 + 1e-12:
            problems.append(
                (
                    "actors",
                    f"the leverage over {target!r} can sum to {total:g} ({_some(holders[target])});"
                    " the total must be <= 1",
                )
            )

    proposer = scenario.protocol.first_proposer
    if proposer is not None and proposer not in principals:
        if proposer in scenario.actors:
            message = f"{proposer!r} is an influencer; the first proposer must be a principal: one of {', '.join(principals)}"
        else:
            message = _unknown("principal", proposer, principals)
        problems.append(("protocol.first_proposer", message))

    rounds = scenario.protocol.rounds
    for name, event in scenario.events.items():
        base = f"events.{name}"
        if event.round is not None and param_support(event.round)[1] > rounds - 1:
            problems.append(
                (f"{base}.round", f"can reach round {param_support(event.round)[1]:g}; rounds run 0..{rounds - 1}")
            )
        for kind in ("set", "add"):
            for path in getattr(event, kind):
                if (msg := parameter_path_problem(scenario, path)) is not None:
                    problems.append((f"{base}.{kind}.{path}", msg))

    protocol = scenario.protocol
    calendar = round_calendar(protocol.start_date.isoformat(), protocol.rounds + 1, protocol.round_length)
    first, last = (str(calendar[0])[:10], str(calendar[-1])[:10])
    for name, outcome in scenario.outcomes.items():
        base = f"outcomes.{name}"
        if outcome.as_of is not None and not first <= outcome.as_of.isoformat() <= last:
            problems.append((f"{base}.as_of", f"{outcome.as_of} is outside the forecast, which runs from {first} to {last}"))
        if outcome.issue is None:
            continue
        if outcome.issue not in scenario.issues:
            problems.append((f"{base}.issue", _unknown("issue", outcome.issue, issues)))
            continue
        for key in ("at_least", "at_most", "equals"):
            ref = getattr(outcome, key)
            if ref is not None and (msg := _check_level(scenario.issues[outcome.issue], ref)):
                problems.append((f"{base}.{key}", msg))
    return problems


def show_value(value: Any) -> str:
    """A value as the user wrote it in YAML: ``'high'``, ``1.7``, ``true``, ``[0.15]``, ``{dist: x}``."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, str):
        text = repr(value)
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (dict, list)):
        text = yaml.safe_dump(value, default_flow_style=True, width=10_000, sort_keys=False).strip()
        text = text.removesuffix("...").strip()
    elif isinstance(value, float) and not math.isfinite(value):
        text = ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")  # as YAML writes them
    elif isinstance(value, float):
        text = f"{value:g}" if abs(value) < 1e15 else repr(value)
    else:
        text = str(value)
    return text if len(text) <= 70 else text[:67] + "..."


def allowed_keys(model: type[BaseModel]) -> list[str]:
    """The keys a pydantic model accepts, by the names written in YAML (aliases)."""
    return [f.alias or n for n, f in model.model_fields.items()]


