"""Human labels for the dotted paths of a scenario's inputs and for result statistics.

Tables keep dotted paths (``actors.turkey.leverage.syria``) because they are
exact and can be pasted into ``--set``; figures, reports and xarray
coordinates show the words a reader expects ("Turkey's leverage over Syria"),
built from the scenario's own labels (``label`` of actors, issues, events).
"""

from __future__ import annotations

from basesim.scenario.schema import Scenario

__all__ = ["FIELD_WORDS", "NOISE_LABEL", "input_label", "input_labels", "variant_labels"]

#: Words for the numeric fields of an actor.
FIELD_WORDS = {
    "ideal_point": "ideal point",
    "salience": "weight",
    "leverage": "leverage",
    "power": "bargaining power",
    "outside_option": "outside option",
    "concession": "concession exponent",
    "patience": "patience",
    "belief_noise": "belief noise",
    "delay_cost": "cost of delay",
    "deadline": "believed deadline",
    "learning_time": "learning time",
    "no_deal": "view of no deal",
}
#: The label of the Sobol' factor that groups the in-run randomness.
NOISE_LABEL = "In-run randomness (belief noise, breakdown draws)"

_PROTOCOL_WORDS = {
    "breakdown_risk": "breakdown risk",
    "rounds": "number of rounds",
    "round_length": "round length",
    "name": "protocol",
    "first_proposer": "first proposer",
    "start_date": "start date",
}


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _display(scenario: Scenario, name: str, short: bool = False) -> str:
    try:
        shown = scenario.display(name)
    except (KeyError, AttributeError):
        return name
    if short and " (" in shown and not shown.startswith("("):
        shown = shown.split(" (", 1)[0]
    return shown


def input_label(scenario: Scenario, path: str, *, short: bool = False) -> str:
    """The reader's words for a dotted input path (unknown paths are returned as they are).

    ``short`` drops the bracketed part of actors' labels ("Syria (al-Sharaa
    government)" -> "Syria"), for figures where space is tight.

    ``actors.turkey.leverage.syria`` -> ``Turkey's leverage over Syria``;
    ``actors.syria.salience.tartus`` -> ``Syria's weight on Tartus naval base``;
    ``actors.russia.salience`` (a Dirichlet factor) -> ``Russia's issue weights``;
    ``events.sanctions_relief.occurs`` -> ``Western sanctions relief happens``;
    ``events.sanctions_relief.round`` -> ``When Western sanctions relief happens (round)``;
    ``protocol.breakdown_risk`` -> ``Breakdown risk``; ``in-run randomness`` -> :data:`NOISE_LABEL`.
    """
    if path == "in-run randomness":
        return NOISE_LABEL
    parts = str(path).split(".")
    if parts[0] == "actors" and len(parts) >= 3:
        who = _display(scenario, parts[1], short)
        field = parts[2]
        words = FIELD_WORDS.get(field, field.replace("_", " "))
        if len(parts) == 3:
            if field == "salience":
                return f"{who}'s issue weights"
            return f"{who}'s {words}"
        target = _display(scenario, parts[3], short)
        preposition = "over" if field == "leverage" else "on"
        return f"{who}'s {words} {preposition} {target}"
    if parts[0] == "events" and len(parts) >= 2:
        event = scenario.events.get(parts[1]) if hasattr(scenario, "events") else None
        name = (event.label if event is not None and event.label else parts[1].replace("_", " "))
        if len(parts) == 3 and parts[2] == "occurs":
            return f"{_capital(name)} happens"
        if len(parts) == 3 and parts[2] in ("round", "month", "probability"):
            return f"When {name} happens ({parts[2]})" if parts[2] != "probability" else \
                f"Chance that {name} happens"
        return _capital(name) + (": " + ".".join(parts[2:]) if len(parts) > 2 else "")
    if parts[0] == "protocol" and len(parts) == 2:
        return _capital(_PROTOCOL_WORDS.get(parts[1], parts[1].replace("_", " ")))
    if parts[0] == "breakdown" and len(parts) == 4 and parts[1] == "alternatives" and parts[3] == "probability":
        breakdown = getattr(scenario, "breakdown", None)
        alternatives = getattr(breakdown, "alternatives", None) or {}
        alternative = alternatives.get(parts[2])
        name = (alternative.label if alternative is not None and alternative.label else parts[2].replace("_", " "))
        return f"Weight of \u201c{name}\u201d after a breakdown"
    if parts[0] == "breakdown" and len(parts) >= 2:
        return _capital("breakdown: " + " ".join(p.replace("_", " ") for p in parts[1:]))
    return str(path)


def input_labels(scenario: Scenario, paths: list[str], *, short: bool = False) -> dict[str, str]:
    """:func:`input_label` of every path, made unique (a clash keeps the path in brackets)."""
    labels = {path: input_label(scenario, path, short=short) for path in paths}
    seen: dict[str, int] = {}
    for label in labels.values():
        seen[label] = seen.get(label, 0) + 1
    return {path: (label if seen[label] == 1 else f"{label} [{path}]") for path, label in labels.items()}


def variant_labels(scenarios: dict[str, Scenario]) -> dict[str, str]:
    """Names to show for the variants of a comparison: scenario titles when they differ, else the variant names.

    Several runs of one scenario (``run --protocol all``) share a title, so
    their variant names (the protocols) are shown instead.
    """
    titles = {variant: (s.title or s.name or variant) for variant, s in scenarios.items()}
    if len(set(titles.values())) == len(titles):
        return titles
    return {variant: variant.replace("_", " ") for variant in scenarios}
