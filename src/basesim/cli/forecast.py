"""Forecasting commands: ``basesim forecast`` (condition on what has happened) and ``basesim score``.

``forecast`` keeps the worlds of a scenario consistent with an observations
file up to the as-of date (rejection for hard facts, likelihood weights for
soft ones), plays worlds until a target effective sample size, and prints
the forecast of everything after the as-of date next to the unconditioned
one, and what the observations taught about the uncertain inputs. With
``--protocol all`` it does so under every protocol and pools them.

``score`` forecasts the resolved questions of an observations file as of a
date, with one or several scenarios and protocols, and scores them (Brier,
log score, reliability) against the reference forecasters.
"""

from __future__ import annotations

import json
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from basesim.cli.app import MODE, app, emit, err_console, example, say, set_output, show, warn
from basesim.cli.app import LazyModule
from basesim.cli.common import ForceOption, claim_output
from basesim.cli.options import (
    JsonOption,
    OutOption,
    ProgressOption,
    QuietOption,
    SeedOption,
    SetOption,
    WorkersOption,
    default_folder,
    records,
)
from basesim.errors import UsageError

np = LazyModule("numpy")  # imported on first use: basesim --help must not pay for numpy and pandas
pd = LazyModule("pandas")

__all__ = ["forecast_command", "score_command"]

ObservedOption = Annotated[
    Path, typer.Option("--observed", metavar="FILE", help="Observations file (YAML): dated facts and questions.")
]
AsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", metavar="YYYY-MM-DD",
                 help="Use the observations up to this date (default: the file's as_of, else its latest)."),
]
ForecastProtocolOption = Annotated[
    str | None,
    typer.Option("--protocol", help="alternating_offers, equilibrium, nash, several separated by commas, or "
                                    "'all' (each, and pooled); default: the scenario's."),
]
EssOption = Annotated[
    float | None, typer.Option("--ess", help="Target effective sample size (default 2,000).")
]
MaxRunsOption = Annotated[
    int | None, typer.Option("--max-runs", help="Most worlds played to reach it (default 200,000).")
]
FiguresOption = Annotated[bool, typer.Option("--figures/--no-figures", help="Write the figures to OUT/figures/.")]


# --- shared helpers ---------------------------------------------------------------------------------


def _pct(x: float) -> str:
    return "-" if x is None or pd.isna(x) else f"{100 * x:.1f}%"


def _interval(low: float, high: float) -> str:
    return "-" if pd.isna(low) else f"{_pct(low)} - {_pct(high)}"


def _number(x: float) -> str:
    return "-" if pd.isna(x) else f"{x:.3g}"


def _check_common(*, seed: int | None, protocol: str | None, workers: int | None, ess: float | None,
                  max_runs: int | None) -> list[str] | None:
    """Check the numbers; the protocols to run (None: the scenario's)."""
    from basesim.montecarlo.runner import check_positive, check_protocol, check_seed
    from basesim.scenario.schema import PROTOCOLS

    check_seed(seed, option="--seed")
    check_positive(workers, option="--workers")
    check_positive(max_runs, option="--max-runs")
    if ess is not None and not ess >= 1:
        raise UsageError(f"--ess: must be a number >= 1, got {ess:g}")
    if protocol is None:
        return None
    if protocol == "all":
        return list(PROTOCOLS)
    names = [p.strip() for p in protocol.split(",") if p.strip()]
    for name in names:
        check_protocol(name, option="--protocol")
    if not names:
        raise UsageError("--protocol: give a protocol, several separated by commas, or 'all'")
    return list(dict.fromkeys(names))


def _as_of(text: str | None, observed: Any, scenario: Any) -> pd.Timestamp:
    from basesim.analysis.observations import as_timestamp, horizon

    if text is None:
        return observed.default_as_of(scenario)
    date = as_timestamp(text, option="--as-of")
    start, end = horizon(scenario)
    if not start <= date <= end:
        raise UsageError(f"--as-of: {date.date()} is outside the horizon of {scenario.name} "
                         f"({start.date()} to {end.date()})")
    return date


def _condition(scenario: Any, observed: Any, *, stack: ExitStack, show_progress: bool, description: str,
               **options: Any) -> Any:
    from basesim.analysis.conditioning import DEFAULT_ESS, condition

    progress = None
    target = options.get("target_ess") or DEFAULT_ESS
    if show_progress and not MODE.quiet and err_console.is_terminal:
        from basesim.cli.common import progress_bar

        bar = stack.enter_context(progress_bar())
        task = bar.add_task(f"{description} (effective sample size)", total=target)

        def progress(runs: int, ess: float) -> None:
            bar.update(task, completed=min(ess, target))

    options = {k: v for k, v in options.items() if v is not None}
    return condition(scenario, observed, progress=progress, **options)


def _condition_each(forecasters: list[tuple[str, Any, str]], observed: Any, *, show_progress: bool,
                    **options: Any) -> dict[str, Any]:
    """Condition every (name, scenario, protocol); with several, one the observations rule out is left out."""
    from basesim.errors import ScenarioError

    posteriors, excluded = {}, []
    with ExitStack() as stack:
        for name, scenario, protocol in forecasters:
            try:
                posteriors[name] = _condition(scenario, observed, stack=stack, show_progress=show_progress,
                                              description=name, protocol=protocol, **options)
            except ScenarioError as error:
                if len(forecasters) == 1:
                    raise
                excluded.append(error)
                warn(f"{name} left out: {error}")
    if not posteriors:
        raise ScenarioError([p for error in excluded for p in error.problems])
    return posteriors


def _write_csv(table: pd.DataFrame, path: Path) -> Path:
    from basesim.montecarlo.results import atomic_write

    with atomic_write(path) as f:
        table.to_csv(f, index=False)
    return path


def _write_json(data: dict[str, Any], path: Path) -> Path:
    from basesim.montecarlo.results import atomic_write

    with atomic_write(path) as f:
        f.write(json.dumps(data, indent=2, default=str) + "\n")
    return path


def _save_figure(figure: Any, path: Path) -> Path:
    from basesim.views.plots import save_figure

    return save_figure(figure, path)


def _weights_file(text: str | None) -> Any:
    """``--weights``: None or 'equal', or a CSV with columns forecaster, weight (as ``basesim score`` writes)."""
    if text is None or text == "equal":
        return None
    path = Path(text)
    if not path.is_file():
        raise UsageError(f"--weights: expected 'equal' or a CSV file of forecaster,weight (as basesim score writes "
                         f"weights.csv), got {text!r}: no such file")
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise UsageError(f"--weights: cannot read {text}: {exc}") from exc
    if not {"forecaster", "weight"} <= set(table.columns):
        raise UsageError(f"--weights: {text} needs the columns forecaster and weight, got {', '.join(table.columns)}")
    return pd.Series(table["weight"].to_numpy(float), index=table["forecaster"].astype(str))


# --- basesim forecast -------------------------------------------------------------------------------


def observations_table(posterior: Any) -> Table:
    table = Table(title=f"Observations as of {posterior.as_of.date()}", title_justify="left", pad_edge=False)
    table.add_column("observation", overflow="fold")
    table.add_column("fact", ratio=1, overflow="fold")
    table.add_column("kind", no_wrap=True)
    table.add_column("holds in (prior)", justify="right", no_wrap=True)
    for row in posterior.consistency.itertuples():
        kind = "hard" if row.hard else f"soft, {row.confidence:.0%}"
        table.add_row(escape(row.observation), escape(row.label), kind, _pct(row.share))
    return table


def forecast_rows(posterior: Any, questions: dict) -> pd.DataFrame:
    """The rows the forecast table prints: states on a few dates, named outcomes, questions after the as-of date."""
    from basesim.analysis.forecasts import forecast_dates, outcome_forecasts, question_forecasts, state_forecasts

    parts = [state_forecasts(posterior, forecast_dates(posterior, count=3)), outcome_forecasts(posterior)]
    if questions:
        asked = question_forecasts(posterior, questions)
        parts.append(asked[asked["after_as_of"]].drop(columns=["resolution", "after_as_of"]))
    return pd.concat([p for p in parts if len(p)], ignore_index=True)


def _section_title(kind: str) -> str:
    return {"state": "State of the talks", "outcome": "Named outcomes", "question": "Questions"}[kind]


def forecast_print_table(rows: pd.DataFrame, *, title: str) -> Table:
    table = Table(title=escape(title), title_justify="left", pad_edge=False)
    table.add_column("", ratio=1, overflow="fold")
    table.add_column("prior", justify="right", no_wrap=True)
    table.add_column("posterior", justify="right", no_wrap=True)
    table.add_column("95% interval", justify="right", no_wrap=True)
    for kind, group in rows.groupby("kind", sort=False):
        if table.row_count:
            table.add_section()
        table.add_row(f"[bold]{_section_title(kind)}[/]", "", "", "")
        for row in group.itertuples():
            table.add_row(escape(f"  {row.label}"), _pct(row.prior), _pct(row.estimate), _interval(row.low, row.high))
    return table


def _value_range(mean: float, low: float, high: float, *, share: bool) -> str:
    if share:  # an event's occurrence: the chance it fires
        return _pct(mean)
    return f"{mean:.3g} ({low:.2g} to {high:.2g})"


def inputs_print_table(shift: pd.DataFrame, *, title: str, top: int = 8) -> Table:
    """The inputs the observations moved most: prior and posterior mean (central 90%), shift in prior sd."""
    table = Table(title=escape(title), title_justify="left", pad_edge=False)
    table.add_column("input", ratio=1, min_width=18, overflow="fold")
    table.add_column("prior (90%)", justify="right")
    table.add_column("posterior (90%)", justify="right")
    table.add_column("shift", justify="right", no_wrap=True)
    arrows = {"lower": "\u2193 ", "higher": "\u2191 "}
    for row in shift.head(top).itertuples():
        share = row.input.endswith(".occurs")
        table.add_row(escape(row.label), _value_range(row.prior_mean, row.prior_low, row.prior_high, share=share),
                      _value_range(row.posterior_mean, row.posterior_low, row.posterior_high, share=share),
                      f"{arrows.get(row.direction, '')}{row.shift:+.2f} sd")
    return table


def pooled_print_table(rows: pd.DataFrame, pooled: pd.DataFrame, protocols: list[str], *, title: str) -> Table:
    """Rows (kind, name, value, label) by protocol, with the pool and the range between protocols."""
    table = Table(title=escape(title), title_justify="left", pad_edge=False)
    table.add_column("", ratio=1, overflow="fold")
    for protocol in protocols:
        table.add_column(escape(protocol), justify="right", no_wrap=True)
    table.add_column("pooled", justify="right", no_wrap=True)
    table.add_column("range", justify="right", no_wrap=True)
    wide = rows.pivot_table(index="key", columns="protocol", values="estimate", aggfunc="first", sort=False)
    labels = rows.drop_duplicates("key").set_index("key")
    pool = pooled.set_index("question")
    kind = None
    for key in wide.index:
        if labels.loc[key, "kind"] != kind:
            kind = labels.loc[key, "kind"]
            if table.row_count:
                table.add_section()
            table.add_row(f"[bold]{_section_title(kind)}[/]", *[""] * (len(protocols) + 2))
        table.add_row(escape(f"  {labels.loc[key, 'label']}"), *(_pct(wide.loc[key, p]) for p in protocols),
                      _pct(pool.loc[key, "probability"]),
                      f"{_pct(pool.loc[key, 'lowest'])} - {_pct(pool.loc[key, 'highest'])}")
    return table


@app.command("forecast", epilog=example("basesim forecast scenarios/baseline.yaml "
                                        "--observed scenarios/observations/feb2025.yaml"))
def forecast_command(
    file: Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario YAML file.")],
    observed_file: ObservedOption,
    as_of: AsOfOption = None,
    protocol: ForecastProtocolOption = None,
    ess: EssOption = None,
    max_runs: MaxRunsOption = None,
    seed: SeedOption = None,
    overrides: SetOption = None,
    weights: Annotated[
        str | None,
        typer.Option("--weights", metavar="equal|FILE",
                     help="Pool weights with --protocol all: equal (default) or weights.csv from basesim score."),
    ] = None,
    out: OutOption = None,
    workers: WorkersOption = None,
    figures: FiguresOption = True,
    show_progress: ProgressOption = True,
    force: ForceOption = False,
    json_output: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Condition a scenario on what has been observed and forecast what comes after."""
    from basesim.analysis.ensembles import pool_forecasts
    from basesim.analysis.forecasts import forecast_table
    from basesim.analysis.observations import load_observations
    from basesim.analysis.posterior import input_shift
    from basesim.scenario.loader import load_scenario, scenario_hash

    set_output(json=json_output, quiet=quiet)
    protocols = _check_common(seed=seed, protocol=protocol, workers=workers, ess=ess, max_runs=max_runs)
    pool_weights = _weights_file(weights)
    scenario = load_scenario(file, overrides)
    observed = load_observations(observed_file, scenario)
    date = _as_of(as_of, observed, scenario)
    protocols = protocols or [scenario.protocol.name]
    if pool_weights is not None:
        missing = [p for p in protocols if p not in pool_weights.index]
        if len(protocols) < 2 or missing:
            raise UsageError("--weights: pooling needs several protocols (--protocol all) and a weight for each"
                             + (f"; {', '.join(missing)} has none" if missing else ""))
    folder = out if out is not None else default_folder(scenario.name, "forecast")
    claim_output(folder, option="--out", force=force)

    posteriors = _condition_each([(name, scenario, name) for name in protocols], observed,
                                 show_progress=show_progress, as_of=date, seed=seed, target_ess=ess,
                                 max_runs=max_runs, workers=workers)
    protocols = list(posteriors)

    questions = observed.questions
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    tables = {name: forecast_table(p, questions).assign(protocol=name) for name, p in posteriors.items()}
    shifts = {name: input_shift(p).assign(protocol=name) for name, p in posteriors.items()}
    written.append(_write_csv(pd.concat(tables.values(), ignore_index=True), folder / "forecast.csv"))
    written.append(_write_csv(pd.concat(shifts.values(), ignore_index=True), folder / "inputs.csv"))
    written.append(_write_csv(pd.concat([p.consistency.assign(protocol=n) for n, p in posteriors.items()],
                                        ignore_index=True), folder / "observations.csv"))
    for name, p in posteriors.items():
        from basesim.montecarlo.results import atomic_write

        path = folder / f"posterior-{name}.parquet"
        with atomic_write(path, binary=True) as f:
            p.table.to_parquet(f, index=False)
        written.append(path)

    first = next(iter(posteriors.values()))
    say(f"{scenario.title or scenario.name}: conditioned on {len(first.observations)} observation(s) as of "
        f"{date.date()}, seed {first.seed}")
    if first.ignored:
        say(f"Ignored {len(first.ignored)} observation(s) dated after {date.date()}: {', '.join(first.ignored)}")
    show(observations_table(first))
    for name, p in posteriors.items():
        say(f"{name}: {p.describe()}")
        if not p.reached:
            warn(f"{name}: the effective sample size {p.ess:,.0f} is short of the target {p.target_ess:,.0f}; "
                 "the intervals are wider (raise --max-runs, or check the observations)")

    pooled = None
    if len(posteriors) == 1:
        show(forecast_print_table(forecast_rows(first, questions),
                                  title=f"Forecast after {date.date()} ({first.protocol})"))
        show(inputs_print_table(shifts[first.protocol], title="What the observations taught (inputs that moved most)"))
    else:
        rows = pd.concat([forecast_rows(p, questions).assign(protocol=n) for n, p in posteriors.items()],
                         ignore_index=True)
        rows["key"] = rows["kind"] + ":" + rows["name"] + ":" + rows["value"] + ":" + rows["date"].astype(str)
        long = rows.rename(columns={"key": "question", "protocol": "forecaster", "estimate": "probability"})
        pooled = pool_forecasts(long, pool_weights)
        method = "equal weights" if pool_weights is None else f"weights from {weights}"
        show(pooled_print_table(rows, pooled, protocols, title=f"Forecast after {date.date()}, by protocol and "
                                                               "pooled"))
        say(f"Pooled: a linear pool of the protocols with {method}; range: the lowest and highest protocol.")
        for name in protocols:
            show(inputs_print_table(shifts[name], title=f"What the observations taught under {name}", top=5))
        keyed = rows.drop_duplicates("key").set_index("key")[["kind", "name", "value", "date", "label"]]
        pooled_out = pooled.join(keyed, on="question").drop(columns="question")
        written.append(_write_csv(pooled_out, folder / "pooled.csv"))

    if figures:
        from basesim.views.posterior_plots import posterior_figure

        (folder / "figures").mkdir(exist_ok=True)
        for name, p in posteriors.items():
            written.append(_save_figure(posterior_figure(p), folder / "figures" / f"posterior-{name}.png"))
        if pooled is not None:
            from basesim.views.forecast_plots import ensemble_figure

            picked = rows[rows["kind"].isin(["outcome", "question"]) | (rows["date"] == rows["date"].max())]
            long = picked.rename(columns={"key": "question", "protocol": "forecaster", "estimate": "probability"})
            labels = dict(zip(long["question"], long["label"]))
            figure = ensemble_figure(long, pooled[pooled["question"].isin(set(long["question"]))], labels=labels,
                                     subtitle=f"{scenario.name} · as of {date.date()} · whiskers: 95% Monte Carlo "
                                              "intervals · grey: range between protocols")
            written.append(_save_figure(figure, folder / "figures" / "ensemble.png"))

    record = {
        "command": "basesim forecast", "argv": list(sys.argv), "scenario": scenario.name,
        "scenario_file": str(file), "scenario_hash": scenario_hash(scenario), "observed": str(observed_file),
        "as_of": str(date.date()), "protocols": {n: {"seed": p.seed, "runs": p.runs, "kept": p.kept,
                                                      "ess": p.ess, "target_ess": p.target_ess,
                                                      "reached": p.reached} for n, p in posteriors.items()},
        "observations": list(first.observations), "ignored": list(first.ignored),
    }
    written.append(_write_json(record, folder / "forecast.json"))
    say(f"Results written to {folder}/")
    emit({**record, "folder": str(folder),
          "forecast": records(pd.concat(tables.values(), ignore_index=True)),
          "inputs": records(pd.concat(shifts.values(), ignore_index=True)),
          "pooled": None if pooled is None else records(pooled), "files": [str(p) for p in written]})


# --- basesim score ----------------------------------------------------------------------------------


def _forecaster_names(scenarios: list[Any], protocols: list[list[str]]) -> list[tuple[str, Any, str]]:
    """(name, scenario, protocol) of every forecaster: the protocol, the scenario, or scenario/protocol."""
    several_scenarios = len(scenarios) > 1
    several_protocols = any(len(p) > 1 for p in protocols)
    out, seen = [], set()
    for scenario, chosen in zip(scenarios, protocols):
        for protocol in chosen:
            if several_scenarios and several_protocols:
                name = f"{scenario.name}/{protocol}"
            elif several_scenarios:
                name = str(scenario.name)
            else:
                name = protocol
            base, n = name, 2
            while name in seen:
                name, n = f"{base}-{n}", n + 1
            seen.add(name)
            out.append((name, scenario, protocol))
    return out


def scores_print_table(scores: pd.DataFrame, *, title: str) -> Table:
    table = Table(title=escape(title), title_justify="left", pad_edge=False)
    table.add_column("forecaster", min_width=10, overflow="fold")
    table.add_column("n", justify="right", no_wrap=True)
    table.add_column("Brier [95%]", justify="right", overflow="fold")
    table.add_column("log score [95%]", justify="right", overflow="fold")
    table.add_column("Brier vs 50% [95%]", justify="right", overflow="fold")
    for row in scores.itertuples():
        versus = "-" if pd.isna(row.brier_vs_reference) else (
            f"{row.brier_vs_reference:+.3f} [{row.brier_vs_reference_low:+.3f}, {row.brier_vs_reference_high:+.3f}]")
        table.add_row(escape(row.forecaster), str(row.questions),
                      f"{row.brier:.3f} [{row.brier_low:.3f}, {row.brier_high:.3f}]",
                      f"{row.log_score:.3f} [{row.log_score_low:.3f}, {row.log_score_high:.3f}]", versus)
    return table


def question_print_table(forecasts: pd.DataFrame, *, title: str) -> Table:
    """One row per forecaster, one column per question (by name), the resolutions on top."""
    from basesim.analysis.scoring import CHANCE

    wide = forecasts.pivot_table(index="forecaster", columns="question", values="probability", aggfunc="first",
                                 sort=False)
    outcome = forecasts.groupby("question", sort=False)["outcome"].first()
    table = Table(title=escape(title), title_justify="left", pad_edge=False)
    table.add_column("forecaster", min_width=10, overflow="fold")
    for question in wide.columns:
        table.add_column(escape(str(question)), justify="right", overflow="fold")
    table.add_row("[bold]resolved[/]", *("yes" if outcome[q] else "no" for q in wide.columns))
    table.add_section()
    for name in wide.index:
        if name != CHANCE:
            table.add_row(escape(str(name)), *(_pct(wide.loc[name, q]) for q in wide.columns))
    return table


@app.command("score", epilog=example("basesim score scenarios/baseline.yaml --observed scores.yaml "
                                     "--as-of 2025-02-15 --protocol all"))
def score_command(
    files: Annotated[list[Path], typer.Argument(metavar="SCENARIO...", help="Scenario YAML files.")],
    observed_file: ObservedOption,
    as_of: AsOfOption = None,
    protocol: ForecastProtocolOption = None,
    ess: EssOption = None,
    max_runs: MaxRunsOption = None,
    seed: SeedOption = None,
    overrides: SetOption = None,
    bins: Annotated[int, typer.Option("--bins", help="Probability bins of the reliability table.")] = 5,
    out: OutOption = None,
    workers: WorkersOption = None,
    figures: FiguresOption = True,
    show_progress: ProgressOption = True,
    force: ForceOption = False,
    json_output: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Score the forecasts of resolved questions: Brier, log score, reliability, against reference forecasters."""
    from basesim.analysis.ensembles import pool_forecasts
    from basesim.analysis.observations import load_observations
    from basesim.analysis.track_record import model_forecasts, score_report
    from basesim.scenario.loader import load_scenario

    set_output(json=json_output, quiet=quiet)
    chosen = _check_common(seed=seed, protocol=protocol, workers=workers, ess=ess, max_runs=max_runs)
    if bins < 1 or bins > 20:
        raise UsageError(f"--bins: must be a whole number from 1 to 20, got {bins}")
    scenarios = [load_scenario(f, overrides) for f in files]
    observed = [load_observations(observed_file, s) for s in scenarios][0]
    date = _as_of(as_of, observed, scenarios[0])
    for other in scenarios[1:]:
        _as_of(str(date.date()), observed, other)
    questions = observed.questions
    resolved = {n: q for n, q in questions.items() if q.resolution is not None and q.timestamp > date}
    if not resolved:
        raise UsageError(f"{observed_file}: no resolved question resolves after the as-of date {date.date()}; "
                         "give questions a resolution (true or false), or an earlier --as-of")
    forecasters = _forecaster_names(scenarios, [chosen or [s.protocol.name] for s in scenarios])
    folder = out if out is not None else default_folder(scenarios[0].name, "score")
    claim_output(folder, option="--out", force=force)

    posteriors = _condition_each(forecasters, observed, show_progress=show_progress, as_of=date, seed=seed,
                                 target_ess=ess, max_runs=max_runs, workers=workers)
    first = next(iter(posteriors.values()))
    report = score_report(model_forecasts(posteriors, resolved), resolved, rng=np.random.default_rng(first.seed),
                          bins=bins)

    folder.mkdir(parents=True, exist_ok=True)
    written = [
        _write_csv(report.forecasts, folder / "forecasts.csv"),
        _write_csv(report.scores, folder / "scores.csv"),
        _write_csv(report.reliability, folder / "reliability.csv"),
        _write_csv(report.weights.rename_axis("forecaster").reset_index(), folder / "weights.csv"),
    ]
    labels = {n: q.describe() for n, q in resolved.items()}
    say(f"Scoring {report.questions} resolved question(s) resolving after {date.date()}, forecast as of "
        f"{date.date()} with {len(first.observations)} observation(s), by {len(posteriors)} forecaster(s)")
    for name, p in posteriors.items():
        say(f"{name}: {p.describe()}")
    if report.questions < 20:
        warn(f"only {report.questions} question(s): the intervals are wide, and a handful of questions proves "
             "little about which forecaster is better")
    show(question_print_table(report.forecasts, title="Forecasts of the resolved questions"))
    show(scores_print_table(report.scores, title="Scores (lower is better; 95% bootstrap intervals over questions)"))
    if len(report.models) > 1:
        table = Table(title="Weights from these scores (BMA)", title_justify="left", pad_edge=False)
        table.add_column("forecaster")
        table.add_column("weight", justify="right")
        for name, weight in report.weights.items():
            table.add_row(escape(name), f"{weight:.3f}")
        show(table)
        say(f"(in {folder / 'weights.csv'}: pool later forecasts with basesim forecast --protocol all --weights FILE)")
    if figures:
        from basesim.views.forecast_plots import ensemble_figure, reliability_figure

        (folder / "figures").mkdir(exist_ok=True)
        subtitle = f"{len(resolved)} questions · forecast as of {date.date()}"
        written.append(_save_figure(reliability_figure(report.reliability, subtitle=subtitle), folder / "figures" / "reliability.png"))
        models = report.forecasts[report.forecasts["forecaster"].isin(report.models)]
        written.append(_save_figure(ensemble_figure(models, pool_forecasts(models[["question", "forecaster",
                                                                                   "probability", "outcome"]]),
                                                    labels=labels, subtitle=subtitle),
                                    folder / "figures" / "forecasts.png"))
    say(f"Results written to {folder}/")
    emit({"folder": str(folder), "as_of": str(date.date()), "questions": report.questions,
          "forecasters": list(posteriors), "scores": records(report.scores),
          "forecasts": records(report.forecasts), "weights": report.weights.to_dict(),
          "files": [str(p) for p in written]})
