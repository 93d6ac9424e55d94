"""Scenario commands: ``basesim validate``, ``basesim show`` and ``basesim schema``.

``validate`` checks files and reports every problem; ``show`` prints the
resolved scenario (after ``extends`` and ``--set``) as YAML or as summary
tables; ``schema`` writes the JSON Schema that editors use for completion.
``validate`` and ``show`` take ``--json``. The scenario layer is imported
inside the commands, so ``basesim --help`` does not pay for it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from basesim.cli.app import app, console, emit, err_console, example, fail, say, set_output
from basesim.cli.app import show as show_result
from basesim.cli.options import JsonOption, QuietOption, SetOption
from basesim.errors import OutputError, ScenarioError

if TYPE_CHECKING:
    from basesim.scenario.schema import Scenario

# --- validate ------------------------------------------------------------------------


def outcome_space_size(scenario: Scenario) -> int:
    """Number of outcomes: the product of every issue's number of levels."""
    return math.prod(len(issue.labels) for issue in scenario.issues.values())


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def counts(scenario: Scenario) -> dict[str, int]:
    """What a scenario holds: issues, outcomes, principals, influencers, events, uncertain parameters."""
    from basesim.scenario.sampling import uncertain_parameters

    return {
        "issues": len(scenario.issues),
        "outcomes": outcome_space_size(scenario),
        "principals": len(scenario.principals),
        "influencers": len(scenario.influencers),
        "events": len(scenario.events),
        "uncertain_parameters": len(uncertain_parameters(scenario)),
    }


def describe(scenario: Scenario) -> str:
    """One line: issues, outcome space, principals, influencers, uncertain parameters."""
    n = counts(scenario)
    return ", ".join(
        [
            f"{_plural(n['issues'], 'issue')} ({_plural(n['outcomes'], 'outcome')})",
            _plural(n["principals"], "principal"),
            _plural(n["influencers"], "influencer"),
            _plural(n["events"], "event"),
            _plural(n["uncertain_parameters"], "uncertain parameter"),
        ]
    )


def _problem_data(problem: Any) -> dict[str, Any]:
    return {"file": problem.file, "line": problem.line, "path": problem.path, "message": problem.message}


@app.command(short_help="Check scenario files: OK, or every problem at FILE:LINE.",
             epilog=example("basesim validate scenarios/*.yaml"))
def validate(
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", help="Scenario YAML files to check.")],
    json_output: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Check scenario files; print OK per valid file or every problem found (exit code 2 if any is invalid)."""
    from basesim.scenario.loader import load_scenario

    set_output(json=json_output, quiet=quiet)
    invalid = 0
    checked: list[dict[str, Any]] = []
    for file in files:
        try:
            scenario = load_scenario(file)
        except ScenarioError as error:
            invalid += 1
            checked.append({"file": str(file), "valid": False, "problems": [_problem_data(p) for p in error.problems]})
            for problem in error.problems:
                err_console.print(f"[bold red]error:[/] {escape(str(problem))}", highlight=False, soft_wrap=True)
            continue
        checked.append({"file": str(file), "valid": True, "name": scenario.name, **counts(scenario), "problems": []})
        say(f"[green]OK[/] {escape(str(file))}: {describe(scenario)}", markup=True)
    emit({"files": checked, "invalid": invalid})
    if invalid:
        if len(files) > 1 and not quiet:
            err_console.print(f"{invalid} of {len(files)} files invalid", highlight=False)
        raise typer.Exit(code=2)


# --- show ----------------------------------------------------------------------------


def _param_text(value: Any) -> str:
    """A parameter as a short phrase: ``0.15``, ``uniform(0.05, 0.3)``, ``triangular(0.3, 0.6, 1.2)``."""
    from basesim.scenario.distributions import Beta, Choice, Dirichlet, Integers, Normal, Triangular, Uniform

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
    # open-ended talks have a status quo (older scenarios a no_deal level): the level in force without a deal
    fallback = getattr(scenario, "status_quo", None) or scenario.no_deal or {}
    for column in ("issue", "levels (value on [0, 1])", "status quo" if getattr(scenario, "status_quo", None)
                   else "no deal"):
        table.add_column(column)
    for name, issue in scenario.issues.items():
        labels, values = issue.labels, issue.values
        if len(labels) > 7:
            shown = f"{labels[0]} ({values[0]:.2g}) ... {labels[-1]} ({values[-1]:.2g}); {len(labels)} levels"
        else:
            shown = ", ".join(f"{label} ({value:.2g})" for label, value in zip(labels, values))
        no_deal = _level_text(issue, fallback[name]) if name in fallback else ""
        table.add_row(escape(scenario.display(name)), escape(shown), escape(no_deal))
    return table


def _actor_table(scenario: Scenario) -> Table:
    from basesim.scenario.distributions import Dirichlet

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
    for field in ("outside_option", "delay_cost", "deadline", "learning_time", "concession", "patience",
                  "belief_noise", "power"):
        unit = {"delay_cost": " per month", "deadline": " (month)", "learning_time": " (months)",
                "patience": " per month"}.get(field, "")
        table.add_row(
            field.replace("_", " ") + unit,
            *[escape(_param_text(getattr(a, field))) if a.is_principal or field == "power" else "-" for a in actors],
        )
    for issue in scenario.issue_names:
        if any(issue in a.utility_curve for a in actors):
            table.add_row(escape(f"utility curve: {issue}"),
                          *[escape(_curve_text(a.utility_curve.get(issue, "linear"))) for a in actors])
    return table


def _curve_text(curve: Any) -> str:
    if isinstance(curve, str):
        return curve
    if hasattr(curve, "points"):
        return "points " + ", ".join(f"{a:g}: {u:g}" for a, u in curve.points)
    return f"{curve.shape}, curvature {curve.curvature:g}"


def _sources_table(scenario: Scenario) -> Table | None:
    """Where each number comes from (the scenario's source: notes), by path."""
    if not scenario.sources:
        return None
    table = Table(title="Sources", title_justify="left")
    table.add_column("number")
    table.add_column("source")
    for path, text in scenario.sources.items():
        table.add_row(escape(path), escape(text))
    return table


def _settings_table(scenario: Scenario) -> Table:
    protocol = scenario.protocol
    table = Table(title="Protocol, events, outcomes, Monte Carlo", title_justify="left", show_header=False)
    table.add_column("item")
    table.add_column("setting")
    table.add_row("protocol", protocol.name)
    first = f", first proposer {protocol.first_proposer}" if protocol.first_proposer else ""
    table.add_row("rounds", f"{protocol.rounds} x {protocol.round_length} from {protocol.start_date.isoformat()}{first}")
    table.add_row("breakdown risk per month", escape(_param_text(protocol.breakdown_risk)))
    for name, alternative in scenario.breakdown_alternatives.items():
        changed = {k: v for k, v in alternative.levels.items() if v != scenario.status_quo_levels.get(k)}
        levels = ", ".join(f"{k} {_level_text(scenario.issues[k], v)}" for k, v in changed.items()) or "the status quo frozen"
        table.add_row(escape(f"breakdown: {alternative.label or name}"),
                      escape(f"probability {_param_text(alternative.probability)}: {levels}"))
    for name, event in scenario.events.items():
        changes = [f"{k} = {_param_text(v)}" for k, v in event.set.items()]
        changes += [f"{k} += {_param_text(v)}" for k, v in event.add.items()]
        when = f"month {_param_text(event.month)}" if event.month is not None else f"round {_param_text(event.round)}"
        table.add_row(
            escape(f"event {name}"),
            escape(f"{when}, probability {_param_text(event.probability)}: {'; '.join(changes)}"),
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
        if outcome.as_of is not None:
            conditions.append(f"as of {outcome.as_of.isoformat()}")
        table.add_row(escape(f"outcome {name}"), escape(" and ".join(conditions)))
    seed = scenario.monte_carlo.seed
    table.add_row("monte carlo", f"{scenario.monte_carlo.runs} runs, seed {seed if seed is not None else 'drawn at run time'}")
    return table


@app.command(short_help="Print the resolved scenario (after extends and --set).",
             epilog=example("basesim show scenarios/turkey_presses.yaml --set protocol.name=nash --summary"))
def show(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="Scenario YAML file.")],
    overrides: SetOption = None,
    summary: Annotated[
        bool, typer.Option("--summary", help="Print tables of issues, actors and settings instead of YAML.")
    ] = False,
    json_output: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Print the resolved scenario (after extends and --set overrides) as YAML, or as summary tables."""
    from basesim.scenario.loader import dump_scenario, load_scenario, scenario_hash

    set_output(json=json_output, quiet=quiet)
    try:
        scenario = load_scenario(file, overrides=list(overrides or []))
    except ScenarioError as error:
        fail(error)
    if json_output:
        emit({"file": str(file), "overrides": list(overrides or []), "hash": scenario_hash(scenario),
              "summary": counts(scenario), "scenario": scenario.to_data()})
        return
    if quiet:
        return
    if summary:
        title = scenario.title or scenario.name or str(file)
        console.print(f"[bold]{escape(title)}[/] ({escape(str(file))}): {describe(scenario)}", highlight=False,
                      soft_wrap=True)
        for table in (_issue_table(scenario), _actor_table(scenario), _settings_table(scenario),
                      _sources_table(scenario)):
            if table is not None:
                show_result(table)
        return
    header = [f"# {scenario.name or file}: resolved from {file}"]
    if overrides:
        header.append("# with --set " + " --set ".join(overrides))
    header.append(f"# scenario hash {scenario_hash(scenario)}")
    typer.echo("\n".join(header) + "\n" + dump_scenario(scenario), nl=False)


# --- schema --------------------------------------------------------------------------


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a temporary file renamed over it)."""
    from basesim.montecarlo.results import atomic_write

    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"{path}: cannot write: the folder {folder} does not exist")
    try:
        with atomic_write(path) as stream:
            stream.write(text)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from exc


@app.command(short_help="Print the JSON Schema of scenario files (for editors).",
             epilog=example("basesim schema --out scenarios/scenario.schema.json"))
def schema(
    out: Annotated[
        Path | None, typer.Option("--out", metavar="FILE", help="Write the schema to FILE instead of stdout.")
    ] = None,
    quiet: QuietOption = False,
) -> None:
    """Print the JSON Schema of scenario files (for completion in an editor's YAML extension); it is JSON already."""
    from basesim.scenario.json_schema import scenario_json_schema

    set_output(quiet=quiet)
    text = json.dumps(scenario_json_schema(), indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
        return
    write_text(out, text)
    if not quiet:
        err_console.print(f"wrote {escape(str(out))}", highlight=False, soft_wrap=True)
