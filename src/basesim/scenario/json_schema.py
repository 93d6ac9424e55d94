"""JSON Schema of scenario files, for editors' YAML extensions (completion, hover help, checks).

Built from pydantic's ``Scenario.model_json_schema()``: draft-07 (what
yaml-language-server reads best), with plain-language hover help per key,
``dist`` required in every distribution (the loader needs it), and a relaxed
"patch" variant for files that ``extends`` another (no required keys,
``null`` deletes). Cross-references (actor, issue and level names) are beyond
a JSON Schema; ``basesim validate`` checks them.
"""

from __future__ import annotations

from typing import Any

from basesim.scenario.schema import Scenario

__all__ = ["FIELD_HELP", "SCHEMA_DIALECT", "scenario_json_schema"]

SCHEMA_DIALECT = "http://json-schema.org/draft-07/schema#"

#: Hover help for the editor, by schema definition and key (the analyst's words, not the code's).
FIELD_HELP: dict[str, dict[str, str]] = {
    "Scenario": {
        "name": "Short name of the scenario (default: the file name).",
        "issues": "What is bargained over: each issue has ordered levels or a numeric range.",
        "actors": "Who takes part: principals sit at the table, influencers pull on principals.",
        "no_deal": "The older form of status_quo and breakdown together: the level of every issue without a deal.",
        "status_quo": "The level of every issue while the talks go on (e.g. Russia still at the bases).",
        "breakdown": "What follows a collapse: levels, or {alternatives: {NAME: {probability, levels}}}.",
        "sources": "Where numbers come from, by dotted path (usually written as source: beside the number).",
        "protocol": "How the talks run: protocol, rounds, round length, start date, breakdown risk.",
        "events": "Parameter changes at a fixed or random round, each with a probability.",
        "outcomes": "Named yes/no questions counted in every run (e.g. 'Russia keeps Tartus').",
        "monte_carlo": "Number of runs and the seed.",
    },
    "Issue": {
        "levels": "Ordered levels, worst to best on the issue's scale: labels, or {label, value, amount}.",
        "range": "A numeric issue: {min, max, steps} evenly spaced levels, labelled with the unit.",
        "unit": "Unit of a numeric issue's amounts, e.g. $bn.",
    },
    "Actor": {
        "role": "principal (at the table, must accept a deal) or influencer (pulls on principals).",
        "ideal_point": "Per issue: the preferred level (label), a value in [0, 1], or a distribution.",
        "salience": "Per issue: how much the issue matters (normalised to sum 1), or a Dirichlet.",
        "leverage": "Per principal: weight in [0, 1] of this actor's preferences in that principal's utility.",
        "power": "Bargaining weight in the Nash protocol (> 0).",
        "no_deal": "This principal's own view of what a breakdown gives (default: the scenario's).",
        "outside_option": "Added to the breakdown's utility: the value of walking away, in [-1, 1].",
        "concession": "Concession exponent beta: < 1 tough (Boulware), > 1 soft (Conceder).",
        "patience": "Discount factor per month, in (0, 1].",
        "delay_cost": "Utility lost per month while the talks go on without a deal, in [0, 1].",
        "deadline": "The month by which this principal believes it must settle (alternating offers).",
        "learning_time": "Months for this principal's belief noise to shrink by a factor e (equilibrium).",
        "utility_curve": "Per issue: linear, {shape: concave|convex, curvature: K} or {points: [[amount, utility], ...]}.",
        "belief_noise": "Standard deviation of the noise in this principal's beliefs about the others.",
    },
    "Protocol": {
        "name": "alternating_offers (default), equilibrium, nash or expected_utility.",
        "rounds": "Number of rounds the forecast looks ahead (the horizon, not a deadline).",
        "round_length": "Length of a round: 'N unit', unit one of day, week, month, quarter, year.",
        "start_date": "Date of round 0 (YYYY-MM-DD).",
        "first_proposer": "The principal who makes the first offer.",
        "breakdown_risk": "Probability per month that the talks collapse for reasons outside them, in [0, 1).",
    },
    "Event": {
        "round": "Round at which the event may happen (the older form; prefer month).",
        "month": "Months after the start at which the event may happen (a number or a distribution).",
        "probability": "Probability that the event happens at all.",
        "set": "Parameters replaced: {actors.NAME.FIELD[.KEY]: value}.",
        "add": "Parameters shifted: {actors.NAME.FIELD[.KEY]: amount}.",
    },
    "NamedOutcome": {
        "issue": "The issue the condition is about.",
        "at_least": "True when the issue ends at or above this level.",
        "at_most": "True when the issue ends at or below this level.",
        "equals": "True when the issue ends at this level.",
        "result": "agreement, breakdown or talking (the state as of the outcome's date).",
        "by": "True when the talks ended by this date (YYYY-MM-DD).",
    },
    "MonteCarlo": {"runs": "Number of runs.", "seed": "Seed of the random numbers (omit: drawn and recorded)."},
}

DISTRIBUTION_DEFINITIONS = ("Uniform", "Normal", "Beta", "Triangular", "Integers", "Choice", "Dirichlet")


def _references(node: Any, old: str, new: str) -> Any:
    """A copy of a JSON Schema fragment with ``$ref`` prefixes ``old`` replaced by ``new``."""
    if isinstance(node, dict):
        return {
            key: (new + value[len(old):]) if key == "$ref" and isinstance(value, str) and value.startswith(old)
            else _references(value, old, new)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_references(item, old, new) for item in node]
    return node


def _relaxed(node: Any) -> Any:
    """A patch version of a JSON Schema fragment: no required keys, ``null`` allowed, ``...Patch`` references.

    ``oneOf`` becomes ``anyOf``: a patch such as ``{high: 0.99}`` fits several distributions.
    """
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "required":
                continue
            if key == "$ref" and isinstance(value, str) and value.startswith("#/definitions/"):
                out[key] = value + "Patch"
            elif key == "oneOf":
                out["anyOf"] = _relaxed(value)
            elif key == "properties" and isinstance(value, dict):
                # null deletes an inherited key in a derived scenario
                out[key] = {name: {"anyOf": [_relaxed(prop), {"type": "null"}]} for name, prop in value.items()}
            else:
                out[key] = _relaxed(value)
        return out
    if isinstance(node, list):
        return [_relaxed(item) for item in node]
    return node


#: A fixed number with where it comes from: ``{value: 0.3, source: "..."}`` (see basesim.scenario.sources).
SOURCED_NUMBER = {
    "type": "object",
    "title": "Number with its source",
    "properties": {"value": {"type": "number"}, "source": {"type": "string", "description": "Where the number comes from."}},
    "required": ["value", "source"],
    "additionalProperties": False,
}


def _allow_sourced_numbers(node: Any) -> None:
    """Wherever a number or a distribution may stand, a ``{value, source}`` pair may stand too."""
    if isinstance(node, dict):
        for key in ("oneOf", "anyOf"):
            options = node.get(key)
            if isinstance(options, list) and {"type": "number"} in options:
                options.append({"$ref": "#/definitions/SourcedNumber"})
        if node.get("type") == "number" and "title" in node and "oneOf" not in node:
            number = {k: node.pop(k) for k in list(node) if k not in ("title", "description", "default")}
            node["oneOf"] = [number, {"$ref": "#/definitions/SourcedNumber"}]
        for value in list(node.values()):
            _allow_sourced_numbers(value)
    elif isinstance(node, list):
        for item in node:
            _allow_sourced_numbers(item)


def scenario_json_schema() -> dict[str, Any]:
    """JSON Schema (draft-07) of a scenario file, for editors' YAML extensions.

    The schema of :class:`~basesim.scenario.schema.Scenario` (pydantic's
    ``model_json_schema``) with hover help, ``extends``, and ``dist``
    required in every distribution. A file with ``extends`` is a patch of
    another scenario: it is checked against relaxed definitions (``...Patch``:
    no required keys, ``null`` deletes a key). Cross-references (issue and
    actor names, level labels) are checked by ``basesim validate`` only.
    """
    full = _references(Scenario.model_json_schema(), "#/$defs/", "#/definitions/")
    definitions = full.pop("$defs")
    definitions["Scenario"] = full
    for name, help_ in FIELD_HELP.items():
        for key, text in help_.items():
            definitions[name]["properties"][key]["description"] = text
    for name in DISTRIBUTION_DEFINITIONS:
        definitions[name]["required"] = ["dist", *definitions[name].get("required", [])]
    for definition in definitions.values():
        definition.pop("description", None)  # docstrings are for developers
    definitions["SourcedNumber"] = SOURCED_NUMBER
    _allow_sourced_numbers(definitions)
    extends = {
        "type": "string",
        "title": "Extends",
        "description": "The scenario this one derives from (a path relative to this file); give only what changes.",
    }
    full["properties"] = {"extends": extends, **full["properties"]}
    full["description"] = "A basesim negotiation scenario; check it with `basesim validate FILE`."
    patches = {f"{name}Patch": _relaxed(value) for name, value in definitions.items()}
    patches["ScenarioPatch"]["properties"]["extends"] = extends
    patches["ScenarioPatch"]["required"] = ["extends"]
    patches["ScenarioPatch"]["description"] = "A scenario derived from another with 'extends': only what changes."
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "basesim scenario",
        "description": "A basesim negotiation scenario; check it with `basesim validate FILE`.",
        "type": "object",
        "if": {"required": ["extends"]},
        "then": {"$ref": "#/definitions/ScenarioPatch"},
        "else": {"$ref": "#/definitions/Scenario"},
        "definitions": {**definitions, **patches},
    }
