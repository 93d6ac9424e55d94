"""Scenario commands: ``basesim validate``, ``basesim show`` and ``basesim schema``.

``validate`` checks files and reports every problem; ``show`` prints the
resolved scenario (after ``extends`` and ``--set``) as YAML or as summary
tables; ``schema`` writes the JSON Schema that editors use for completion.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from basesim.cli.app import app, console, err_console, fail
from basesim.errors import OutputError, ScenarioError
from basesim.montecarlo.results import atomic_write
from basesim.scenario.distributions import (
    Beta,
    Choice,
    Dirichlet,
    Integers,
    Normal,
    Triangular,
    Uniform,
)
from basesim.scenario.json_schema import scenario_json_schema
from basesim.scenario.loader import dump_scenario, load_scenario, scenario_hash
from basesim.scenario.sampling import uncertain_parameters
from basesim.scenario.schema import Scenario

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


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a temporary file renamed over it)."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"{path}: cannot write: the folder {folder} does not exist")
    try:
        with atomic_write(path) as stream:
            stream.write(text)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from exc


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
    write_text(out, text)
    err_console.print(f"wrote {escape(str(out))}", highlight=False, soft_wrap=True)
