"""Scenario commands: ``basesim validate``, ``basesim show`` and ``basesim schema``.

``validate`` checks files and reports every problem; ``show`` prints the
resolved scenario (after ``extends`` and ``--set``) as YAML or as summary
tables; ``schema`` writes the JSON Schema that editors use for completion.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from basesim.cli import app, console, err_console, fail
from basesim.distributions import Beta, Choice, Dirichlet, Integers, Normal, Triangular, Uniform
from basesim.errors import OutputError, ScenarioError
from basesim.loader import dump_scenario, load_scenario, scenario_hash
from basesim.sampling import uncertain_parameters
from basesim.schema import Scenario

SCHEMA_DIALECT = "http://json-schema.org/draft-07/schema#"


# --- validate ------------------------------------------------------------------------


def outcome_space_size(scenario: Scenario) -> int:
    """Number of outcomes: the product of every issue's number of levels."""
    return math.prod(len(issue.labels) for issue in scenario.issues.values())


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def describe(scenario: Scenario) -> str:
    """One line: issues, outcome space, principals, influencers, uncertain parameters."""
    return ", ".join(
        [
            f"{_plural(len(scenario.issues), 'issue')} ({_plural(outcome_space_size(scenario), 'outcome')})",
            _plural(len(scenario.principals), "principal"),
            _plural(len(scenario.influencers), "influencer"),
            _plural(len(scenario.events), "event"),
            f"{_plural(len(uncertain_parameters(scenario)), 'uncertain parameter')}",
        ]
    )


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", help="Scenario YAML files to check.")],
) -> None:
    """Check scenario files; print OK per valid file or every problem found (exit code 2 if any is invalid)."""
    invalid = 0
    for file in files:
        try:
            scenario = load_scenario(file)
        except ScenarioError as error:
            invalid += 1
            for problem in error.problems:
                err_console.print(f"[bold red]error:[/] {escape(str(problem))}", highlight=False, soft_wrap=True)
            continue
        console.print(f"[green]OK[/] {escape(str(file))}: {describe(scenario)}", highlight=False, soft_wrap=True)
    if invalid:
        if len(files) > 1:
            err_console.print(f"{invalid} of {len(files)} files invalid", highlight=False)
        raise typer.Exit(code=2)


# --- show ----------------------------------------------------------------------------


def _param_text(value: Any) -> str:
    """A parameter as a short phrase: ``0.15``, ``uniform(0.05, 0.3)``, ``triangular(0.3, 0.6, 1.2)``."""
    if isinstance(value, Dirichlet):
        return "dirichlet(" + ", ".join(f"{k}={v:g}" for k, v in value.alpha.items()) + ")"
    if isinstance(value, Uniform):
        return f"uniform({value.low:g}, {value.high:g})"
    if isinstance(value, Triangular):
        return f"triangular({value.low:g}, {value.mode:g}, {value.high:g})"
    if isinstance(value, Normal):
        bounds = "" if math.isinf(value.low) and math.isinf(value.high) else f" in [{value.low:g}, {value.high:g}]"
        return f"normal({value.mean_:g}, sd {value.sd:g}){bounds}"
    if isinstance(value, Beta):
        scale = "" if (value.low, value.high) == (0.0, 1.0) else f" on [{value.low:g}, {value.high:g}]"
        return f"beta({value.a:g}, {value.b:g}){scale}"
    if isinstance(value, Integers):
        return f"integers {value.low}..{value.high}"
    if isinstance(value, Choice):
        shown = ", ".join(f"{v:g}" for v in value.values)
        if value.weights is not None:
            shown += " (weights " + ", ".join(f"{w:g}" for w in value.weights) + ")"
        return f"choice {shown}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _ideal_text(scenario: Scenario, issue: str, value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    text = _param_text(value)
    if isinstance(value, float) and (index := scenario.issues[issue].level_index(value)) is not None:
        text += f" ({scenario.issues[issue].labels[index]})"
    return text


def _level_text(issue: Any, ref: str | float) -> str:
    """A level reference as its label."""
    index = issue.level_index(ref)
    return issue.labels[index] if index is not None else str(ref)


def _issue_table(scenario: Scenario) -> Table:
    table = Table(title="Issues", title_justify="left")
    for column in ("issue", "levels (value on [0, 1])", "no deal"):
        table.add_column(column)
    for name, issue in scenario.issues.items():
        labels, values = issue.labels, issue.values
        if len(labels) > 7:
            shown = f"{labels[0]} ({values[0]:.2g}) ... {labels[-1]} ({values[-1]:.2g}); {len(labels)} levels"
        else:
            shown = ", ".join(f"{label} ({value:.2g})" for label, value in zip(labels, values))
        no_deal = _level_text(issue, scenario.no_deal[name]) if name in scenario.no_deal else ""
        table.add_row(escape(scenario.display(name)), escape(shown), escape(no_deal))
    return table


def _actor_table(scenario: Scenario) -> Table:
    table = Table(title="Actors", title_justify="left")
    table.add_column("actor / issue")
    for name in scenario.actor_names:
        table.add_column(escape(scenario.display(name)))
    actors = list(scenario.actors.values())
    table.add_row("role", *[a.role for a in actors])
    table.add_section()
    for issue in scenario.issue_names:
        table.add_row(
            escape(f"ideal point: {issue}"),
            *[escape(_ideal_text(scenario, issue, a.ideal_point.get(issue))) for a in actors],
        )
    table.add_section()
    for issue in scenario.issue_names:
        cells = []
        for a in actors:
            if isinstance(a.salience, Dirichlet):
                alpha = a.salience.alpha
                share = alpha.get(issue, 0.0) / sum(alpha.values())
                cells.append(f"dirichlet, mean {share:.2f}")
            else:
                cells.append(_param_text(a.salience.get(issue, "-")))
        table.add_row(escape(f"salience: {issue}"), *map(escape, cells))
    table.add_section()
    for target in scenario.principals:
        if not any(target in a.leverage for a in actors):
            continue
        table.add_row(
            escape(f"leverage over {target}"),
            *[escape(_param_text(a.leverage[target])) if target in a.leverage else "-" for a in actors],
        )
    for field in ("outside_option", "concession", "patience", "belief_noise", "power"):
        table.add_row(
            field.replace("_", " "),
            *[escape(_param_text(getattr(a, field))) if a.is_principal or field == "power" else "-" for a in actors],
        )
    return table


def _settings_table(scenario: Scenario) -> Table:
    protocol = scenario.protocol
    table = Table(title="Protocol, events, outcomes, Monte Carlo", title_justify="left", show_header=False)
    table.add_column("item")
    table.add_column("setting")
    table.add_row("protocol", protocol.name)
    first = f", first proposer {protocol.first_proposer}" if protocol.first_proposer else ""
    table.add_row("rounds", f"{protocol.rounds} x {protocol.round_length} from {protocol.start_date.isoformat()}{first}")
    table.add_row("breakdown risk per round", escape(_param_text(protocol.breakdown_risk)))
    for name, event in scenario.events.items():
        changes = [f"{k} = {_param_text(v)}" for k, v in event.set.items()]
        changes += [f"{k} += {_param_text(v)}" for k, v in event.add.items()]
        table.add_row(
            escape(f"event {name}"),
            escape(f"round {_param_text(event.round)}, probability {_param_text(event.probability)}: {'; '.join(changes)}"),
        )
    for name, outcome in scenario.outcomes.items():
        conditions = []
        for key in ("at_least", "at_most", "equals"):
            if getattr(outcome, key) is not None:
                conditions.append(f"{outcome.issue} {key.replace('_', ' ')} {getattr(outcome, key)}")
        if outcome.result is not None:
            conditions.append(f"result {outcome.result}")
        if outcome.by is not None:
            conditions.append(f"by {outcome.by.isoformat()}")
        table.add_row(escape(f"outcome {name}"), escape(" and ".join(conditions)))
    seed = scenario.monte_carlo.seed
    table.add_row("monte carlo", f"{scenario.monte_carlo.runs} runs, seed {seed if seed is not None else 'drawn at run time'}")
    return table


@app.command()
def show(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="Scenario YAML file.")],
    overrides: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="PATH=VALUE",
            help="Override a parameter by dotted path, e.g. --set actors.turkey.leverage.syria=0.4 (repeatable).",
        ),
    ] = None,
    summary: Annotated[
        bool, typer.Option("--summary", help="Print tables of issues, actors and settings instead of YAML.")
    ] = False,
) -> None:
    """Print the resolved scenario (after extends and --set overrides) as YAML, or as summary tables."""
    try:
        scenario = load_scenario(file, overrides=list(overrides or []))
    except ScenarioError as error:
        fail(error)
    if summary:
        title = scenario.title or scenario.name or str(file)
        console.print(f"[bold]{escape(title)}[/] ({escape(str(file))}): {describe(scenario)}", highlight=False)
        for table in (_issue_table(scenario), _actor_table(scenario), _settings_table(scenario)):
            console.print(table)
        return
    header = [f"# {scenario.name or file}: resolved from {file}"]
    if overrides:
        header.append("# with --set " + " --set ".join(overrides))
    header.append(f"# scenario hash {scenario_hash(scenario)}")
    typer.echo("\n".join(header) + "\n" + dump_scenario(scenario), nl=False)


# --- schema --------------------------------------------------------------------------


#: Hover help for the editor, by schema definition and key (the analyst's words, not the code's).
FIELD_HELP: dict[str, dict[str, str]] = {
    "Scenario": {
        "name": "Short name of the scenario (default: the file name).",
        "issues": "What is bargained over: each issue has ordered levels or a numeric range.",
        "actors": "Who takes part: principals sit at the table, influencers pull on principals.",
        "no_deal": "The level of every issue if no agreement is reached.",
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
        "no_deal": "This principal's own view of the no-deal outcome (default: the scenario's).",
        "outside_option": "Added to the no-deal utility: the value of walking away, in [-1, 1].",
        "concession": "Concession exponent beta: < 1 tough (Boulware), > 1 soft (Conceder).",
        "patience": "Discount factor per round, in (0, 1].",
        "belief_noise": "Standard deviation of the noise in this principal's beliefs about the others.",
    },
    "Protocol": {
        "name": "alternating_offers (default), equilibrium or nash.",
        "rounds": "Number of rounds before the deadline.",
        "round_length": "Length of a round: 'N unit', unit one of day, week, month, quarter, year.",
        "start_date": "Date of round 0 (YYYY-MM-DD).",
        "first_proposer": "The principal who makes the first offer.",
        "breakdown_risk": "Probability per round that the talks break down, in [0, 1).",
    },
    "Event": {
        "round": "Round at which the event may happen (a number or a distribution).",
        "probability": "Probability that the event happens at all.",
        "set": "Parameters replaced: {actors.NAME.FIELD[.KEY]: value}.",
        "add": "Parameters shifted: {actors.NAME.FIELD[.KEY]: amount}.",
    },
    "NamedOutcome": {
        "issue": "The issue the condition is about.",
        "at_least": "True when the issue ends at or above this level.",
        "at_most": "True when the issue ends at or below this level.",
        "equals": "True when the issue ends at this level.",
        "result": "agreement, breakdown or impasse.",
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


def scenario_json_schema() -> dict[str, Any]:
    """JSON Schema (draft-07) of a scenario file, for editors' YAML extensions.

    The schema of :class:`~basesim.schema.Scenario` (pydantic's
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


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder and a rename."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"{path}: cannot write: the folder {folder} does not exist")
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror}") from exc
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise OutputError(f"{path}: cannot write: {exc.strerror}") from exc
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@app.command()
def schema(
    out: Annotated[
        Path | None, typer.Option("--out", metavar="FILE", help="Write the schema to FILE instead of stdout.")
    ] = None,
) -> None:
    """Print the JSON Schema of scenario files (for completion in an editor's YAML extension)."""
    text = json.dumps(scenario_json_schema(), indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
        return
    write_atomically(out, text)
    err_console.print(f"wrote {escape(str(out))}", highlight=False, soft_wrap=True)
