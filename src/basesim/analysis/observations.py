"""What has been observed, and what is asked: the observations file, read and checked against a scenario.

An observations file (YAML) holds dated **facts** about the one world we
live in, and **questions** to forecast and, once known, resolve::

    as_of: 2025-02-15                   # the date the forecast is made (optional)
    observations:
      talks_go_on:
        label: Talks still going on
        date: 2025-02-15
        state: talking                  # talking, agreement, breakdown, or a list of them
        source: "Reuters, 28 Jan 2025"
      no_extradition:
        date: 2025-02-15
        issue: extradition
        at_most: restrict Assad         # or equals / at_least, or between: [LOW, HIGH]
      no_relief_yet:
        date: 2025-02-15
        event: sanctions_relief
        happened: false
        confidence: 0.8                 # a soft fact: "about 80% sure"
    questions:
      khmeimim_end_2025:
        label: Russia keeps a presence at Khmeimim on 31 Dec 2025
        date: 2025-12-31
        issue: khmeimim
        at_least: logistics only
        resolution: true                # once known; leave it out until then
        forecasts: {market: 0.55}       # other forecasters' probabilities, for scoring

A fact is a set of **conditions** on one date, all of which hold:

- ``state`` (one or a list) / ``not_state``: the state of the talks on ``date``;
- ``issue`` with ``equals``, ``at_least``, ``at_most`` (a level label or a
  value on the issue's [0, 1] scale) or ``between: [LOW, HIGH]`` (inclusive):
  the level in force on ``date`` (the status quo's while talking);
- ``event`` with ``happened: true|false``: whether the event had happened by
  ``date`` (events are exogenous: they happen whether or not the talks go on).

"No agreement by D" is ``state: [talking, breakdown]`` (or ``not_state:
agreement``) on D: an agreement, once reached, holds.

Every problem is reported at once as ``FILE:LINE: dotted.path: message``
(:class:`~basesim.errors.ScenarioError`, exit code 2 on the command line):
unknown keys, issues, levels and events; dates outside the scenario's
horizon; hard facts that contradict each other.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from basesim.errors import Problem, ScenarioError
from basesim.scenario.checks import allowed_keys, did_you_mean, show_value
from basesim.scenario.messages import _data_path, _message, _node_at
from basesim.scenario.schema import LevelRef, Scenario
from basesim.scenario.yaml_source import Source, read_yaml

__all__ = [
    "STATES",
    "Fact",
    "Observation",
    "ObservationFile",
    "Observed",
    "Question",
    "as_timestamp",
    "check_observations",
    "horizon",
    "level_range",
    "load_observations",
    "observations_from_data",
]

#: The states of a world at a date (docs/model.md).
STATES = ("talking", "agreement", "breakdown")

StateName = Literal["talking", "agreement", "breakdown"]
#: One state or a list of them (a single one is read as a list of one).
StateSet = Annotated[list[StateName], BeforeValidator(lambda v: [v] if isinstance(v, str) else v), Field(min_length=1)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Fact(_Strict):
    """Conditions on the world on one date; the fact holds when all of them do (see the module docstring)."""

    label: str | None = None
    date: dt.date
    state: StateSet | None = None
    not_state: StateSet | None = None
    issue: str | None = None
    equals: LevelRef | None = None
    at_least: LevelRef | None = None
    at_most: LevelRef | None = None
    between: Annotated[list[LevelRef], Field(min_length=2, max_length=2)] | None = None
    event: str | None = None
    happened: bool | None = None

    @model_validator(mode="after")
    def _conditions(self) -> "Fact":
        comparators = [k for k in ("equals", "at_least", "at_most", "between") if getattr(self, k) is not None]
        if self.issue is not None and not comparators:
            raise ValueError("with 'issue', give equals, at_least, at_most or between")
        if comparators and self.issue is None:
            raise ValueError(f"{comparators[0]} needs an 'issue'")
        if (self.event is None) != (self.happened is None):
            raise ValueError("'event' and 'happened' go together: event: NAME, happened: true or false")
        if self.state is not None and self.not_state is not None:
            raise ValueError("give 'state' or 'not_state', not both")
        if self.state is None and self.not_state is None and self.issue is None and self.event is None:
            raise ValueError("give at least one condition: state, not_state, issue or event")
        return self

    @property
    def states(self) -> frozenset[str] | None:
        """The states the fact allows on its date (None: it says nothing about the state)."""
        if self.state is not None:
            return frozenset(self.state)
        if self.not_state is not None:
            return frozenset(s for s in STATES if s not in self.not_state)
        return None

    @property
    def timestamp(self) -> pd.Timestamp:
        return pd.Timestamp(self.date)

    def describe(self) -> str:
        """A short plain-language statement of the fact (its ``label`` if it has one)."""
        if self.label:
            return self.label
        day = self.date.isoformat()
        parts = []
        if self.states is not None:
            words = {"talking": "talks going on", "agreement": "agreement reached", "breakdown": "talks broken off"}
            parts.append(" or ".join(words[s] for s in STATES if s in self.states) + f" on {day}")
        if self.issue is not None:
            for key, word in (("equals", "="), ("at_least", ">="), ("at_most", "<=")):
                if getattr(self, key) is not None:
                    parts.append(f"{self.issue} {word} {getattr(self, key)}")
            if self.between is not None:
                parts.append(f"{self.issue} in [{self.between[0]}, {self.between[1]}]")
            parts[-1] += f" on {day}"
        if self.event is not None:
            parts.append(f"{self.event} {'happened' if self.happened else 'not happened'} by {day}")
        return ", ".join(parts)


class Observation(Fact):
    """A fact observed about the real world; ``confidence`` below 1 makes it soft.

    ``confidence`` c in [0.5, 1] is how strongly the report speaks for the
    fact: a world where it holds gets likelihood c, one where it does not
    1 - c (Pearl's virtual evidence, a likelihood ratio c : 1 - c). It is the
    probability the fact would have after the report if it had been 50:50
    before; 1 (the default) is a hard fact, kept by rejection.
    """

    source: str | None = None
    note: str | None = None
    confidence: Annotated[float, Field(ge=0.5, le=1.0)] = 1.0

    @property
    def hard(self) -> bool:
        return self.confidence >= 1.0


class Question(Fact):
    """A question to forecast: does the fact hold? ``resolution`` once known.

    ``forecasts`` are other forecasters' probabilities (a market, a panel) to
    score against; ``base_rate`` a reference frequency for such events (if
    not given, the scores use the frequency among the other resolved questions).
    """

    resolution: bool | None = None
    forecasts: dict[str, Probability] = Field(default_factory=dict)
    base_rate: Probability | None = None


class ObservationFile(_Strict):
    """The whole file: an optional as-of date, observations and questions by name."""

    title: str | None = None
    description: str | None = None
    as_of: dt.date | None = None
    observations: dict[str, Observation] = Field(default_factory=dict)
    questions: dict[str, Question] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _something(self) -> "ObservationFile":
        if not self.observations and not self.questions:
            raise ValueError("give 'observations' or 'questions' (or both)")
        return self


# --- the scenario's horizon ---------------------------------------------------------------------


def horizon(scenario: Scenario) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last date a forecast of ``scenario`` covers: the start and start + rounds x round length."""
    from basesim.montecarlo.as_of import as_of_dates

    dates = as_of_dates(scenario)
    return pd.Timestamp(dates[0]), pd.Timestamp(dates[-1])


# --- reading -------------------------------------------------------------------------------------


@dataclass
class Observed:
    """An observations file, validated against a scenario, with where each entry was written."""

    data: ObservationFile
    source: Source = field(default_factory=lambda: Source({}, {}, "<data>"))

    @property
    def file(self) -> str:
        return self.source.file

    def where(self, path: str) -> tuple[str, int | None]:
        return self.source.where(path)

    def problem(self, path: str, message: str) -> Problem:
        """A located problem at ``path`` (e.g. ``observations.talks_go_on``)."""
        return Problem(path, message, *self.where(path))

    @property
    def observations(self) -> dict[str, Observation]:
        return dict(self.data.observations)

    @property
    def questions(self) -> dict[str, Question]:
        return dict(self.data.questions)

    def default_as_of(self, scenario: Scenario) -> pd.Timestamp:
        """The file's ``as_of``, else the latest observation's date, else the scenario's start."""
        if self.data.as_of is not None:
            return pd.Timestamp(self.data.as_of)
        if self.data.observations:
            return max(o.timestamp for o in self.data.observations.values())
        return horizon(scenario)[0]

    def until(self, as_of: pd.Timestamp) -> dict[str, Observation]:
        """The observations dated on or before ``as_of`` (the ones a forecast made then could use)."""
        return {name: o for name, o in self.data.observations.items() if o.timestamp <= as_of}


def _located_problems(exc: ValidationError, source: Source) -> list[Problem]:
    """Pydantic's errors as ``FILE:LINE: path: message``, with the scenario loader's wording."""
    problems = []
    for error in exc.errors(include_url=False):
        kind, loc = error["type"], tuple(error["loc"])
        if kind in ("extra_forbidden", "missing"):
            parts, _ = _data_path(loc, source.data, keep_last=True)
            key, parent = parts[-1], parts[:-1]
            if kind == "missing":
                problems.append(Problem(".".join(parent), f"missing required key {key!r}", *source.where(".".join(parent))))
                continue
            allowed = allowed_keys(_model_at(parent))
            hint = did_you_mean(key, allowed)
            message = f"unknown key {key!r}{hint}" + (f"; allowed keys are {', '.join(allowed)}" if not hint else "")
            problems.append(Problem(".".join(parent), message, *source.where(".".join(parts))))
            continue
        parts, _ = _data_path(loc, source.data)
        if parts and parts[-1].isdigit() and not isinstance(_node_at(source.data, parts[:-1]), list):
            parts = parts[:-1]  # a single state read as a list of one
        path = ".".join(parts)
        problems.append(Problem(path, _message(error, error.get("input")), *source.where(path)))
    unique, seen = [], set()
    for p in problems:
        if (p.path, p.message) not in seen:
            seen.add((p.path, p.message))
            unique.append(p)
    return unique


def _model_at(parts: list[str]) -> type[BaseModel]:
    """The model whose keys are allowed at ``parts`` of an observations file."""
    if not parts:
        return ObservationFile
    if parts[0] == "observations" and len(parts) == 2:
        return Observation
    if parts[0] == "questions" and len(parts) == 2:
        return Question
    return ObservationFile


def _read(path: Path) -> Source:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([Problem("", "no such file", str(path))]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem("", f"cannot read the file: {exc}", str(path))]) from exc
    try:
        empty = yaml.safe_load(text) is None
    except (yaml.YAMLError, ValueError):
        empty = False  # read_yaml reports the error with its line
    if empty:
        raise ScenarioError([Problem("", "the file is empty; an observations file needs 'observations' or "
                                         "'questions'", str(path), 1)])
    try:
        return read_yaml(path)
    except ScenarioError as error:
        problems = [Problem(p.path, p.message.replace("a scenario must be", "an observations file must be")
                            .replace("(issues, actors, ...)", "(as_of, observations, questions)"), p.file, p.line)
                    for p in error.problems]
        raise ScenarioError(problems) from None


def load_observations(path: str | Path, scenario: Scenario) -> Observed:
    """Read and check an observations file against ``scenario``.

    Raises :class:`~basesim.errors.ScenarioError` listing every problem, each
    located ``FILE:LINE: dotted.path: message``.
    """
    source = _read(Path(path))
    return _validate(source, scenario)


def observations_from_data(data: dict[str, Any] | ObservationFile, scenario: Scenario, *,
                           origin: str = "<data>") -> Observed:
    """Check observations given as plain data (``yaml.safe_load`` output) or as an :class:`ObservationFile`."""
    if isinstance(data, ObservationFile):
        data = data.model_dump(mode="python", exclude_none=True)
    return _validate(Source(dict(data), {"": (origin, None)}, origin), scenario)


def _validate(source: Source, scenario: Scenario) -> Observed:
    try:
        parsed = ObservationFile.model_validate(source.data)
    except ValidationError as exc:
        raise ScenarioError(_located_problems(exc, source)) from None
    observed = Observed(parsed, source)
    problems = [observed.problem(path, message) for path, message in check_observations(parsed, scenario)]
    if problems:
        raise ScenarioError(sorted(problems, key=lambda p: (p.line if p.line is not None else -1)))
    return observed


# --- checks against the scenario -------------------------------------------------------------------


def _level_problem(scenario: Scenario, issue: str, ref: str | float) -> str | None:
    found = scenario.issues[issue]
    if found.level_index(ref) is not None:
        return None
    labels = found.labels
    if isinstance(ref, str):
        return f"{ref!r} is not a level of {issue}{did_you_mean(ref, labels)}; expected one of {', '.join(labels)}"
    values = ", ".join(f"{v:g}" for v in found.values)
    return f"{ref:g} is not the value of a level of {issue}; give a level label or one of {values}"


def _fact_problems(fact: Fact, path: str, scenario: Scenario, start: pd.Timestamp,
                   end: pd.Timestamp) -> list[tuple[str, str]]:
    problems = []
    if not start <= fact.timestamp <= end:
        problems.append((f"{path}.date", f"{fact.date.isoformat()} is outside the scenario's horizon "
                                         f"{start.date().isoformat()} to {end.date().isoformat()} "
                                         "(protocol.start_date + rounds x round_length)"))
    if fact.issue is not None:
        if fact.issue not in scenario.issues:
            names = scenario.issue_names
            problems.append((f"{path}.issue", f"unknown issue {fact.issue!r}{did_you_mean(fact.issue, names)}; "
                                              f"expected one of {', '.join(names)}"))
        else:
            for key in ("equals", "at_least", "at_most"):
                ref = getattr(fact, key)
                if ref is not None and (msg := _level_problem(scenario, fact.issue, ref)) is not None:
                    problems.append((f"{path}.{key}", msg))
            if fact.between is not None:
                bad = [(j, msg) for j, ref in enumerate(fact.between)
                       if (msg := _level_problem(scenario, fact.issue, ref)) is not None]
                problems += [(f"{path}.between.{j}", msg) for j, msg in bad]
                if not bad:
                    low, high = (scenario.issues[fact.issue].level_index(r) for r in fact.between)
                    if low > high:
                        problems.append((f"{path}.between", f"the low end {show_value(fact.between[0])} is above "
                                                            f"the high end {show_value(fact.between[1])}"))
    if fact.event is not None and fact.event not in scenario.events:
        names = list(scenario.events)
        expected = f"expected one of {', '.join(names)}" if names else "the scenario has no events"
        problems.append((f"{path}.event", f"unknown event {fact.event!r}{did_you_mean(fact.event, names)}; {expected}"))
    return problems


def level_range(fact: Fact, scenario: Scenario) -> tuple[int, int] | None:
    """The level indices ``[low, high]`` a fact allows for its issue (None without an issue condition)."""
    if fact.issue is None:
        return None
    issue = scenario.issues[fact.issue]
    low, high = 0, len(issue.labels) - 1
    if fact.equals is not None:
        low = high = issue.level_index(fact.equals)
    if fact.at_least is not None:
        low = max(low, issue.level_index(fact.at_least))
    if fact.at_most is not None:
        high = min(high, issue.level_index(fact.at_most))
    if fact.between is not None:
        low = max(low, issue.level_index(fact.between[0]))
        high = min(high, issue.level_index(fact.between[1]))
    return low, high


#: States a world can be in on a later date, given its state on an earlier one (agreement and breakdown hold).
_LATER = {"talking": set(STATES), "agreement": {"agreement"}, "breakdown": {"breakdown"}}


def _single(fact: Fact) -> str | None:
    """Which kind of condition a fact gives when it gives only one: state, issue or event."""
    kinds = [k for k, given in (("state", fact.states is not None), ("issue", fact.issue is not None),
                                ("event", fact.event is not None)) if given]
    return kinds[0] if len(kinds) == 1 else None


def _contradiction(a: Fact, b: Fact, scenario: Scenario) -> str | None:
    """Why two hard facts cannot both hold (``a`` dated no later than ``b``), or None."""
    kind = _single(a)
    if kind is None or kind != _single(b):
        return None
    same_day = a.date == b.date
    if kind == "state":
        later = (lambda s: {s}) if same_day else (lambda s: _LATER[s])
        if not any(later(s) & b.states for s in a.states):
            words = {"talking": "talking", "agreement": "agreed", "breakdown": "broken off"}
            first, second = (" or ".join(words[s] for s in STATES if s in f.states) for f in (a, b))
            return (f"the talks cannot be {second} on {b.date} after being {first} on {a.date} "
                    "(an agreement or a breakdown holds)" if not same_day else
                    f"the talks cannot be both {first} and {second} on {a.date}")
    if kind == "event" and a.event == b.event and a.happened and not b.happened:
        return f"{a.event} cannot have not happened by {b.date} when it had happened by {a.date}"
    if kind == "event" and a.event == b.event and same_day and a.happened != b.happened:
        return f"{a.event} cannot both have happened and not by {a.date}"
    if kind == "issue" and same_day and a.issue == b.issue:
        (lo_a, hi_a), (lo_b, hi_b) = level_range(a, scenario), level_range(b, scenario)
        if max(lo_a, lo_b) > min(hi_a, hi_b):
            return f"{a.issue} cannot be in two ranges of levels that do not overlap on {a.date}"
    return None


def check_observations(data: ObservationFile, scenario: Scenario) -> list[tuple[str, str]]:
    """Every problem of an observations file against ``scenario``, as ``(dotted_path, message)``.

    Unknown issues, levels and events; dates (and ``as_of``) outside the
    horizon; a ``between`` whose ends are reversed; a fact that can never
    hold; and pairs of hard facts that contradict each other (the state of
    the talks on two dates, an event on two dates, an issue's level on one
    date). Facts combining several conditions are checked against the worlds
    when the scenario is conditioned on them.
    """
    start, end = horizon(scenario)
    problems: list[tuple[str, str]] = []
    if data.as_of is not None and not start <= pd.Timestamp(data.as_of) <= end:
        problems.append(("as_of", f"{data.as_of.isoformat()} is outside the scenario's horizon "
                                  f"{start.date().isoformat()} to {end.date().isoformat()}"))
    for section in ("observations", "questions"):
        for name, fact in getattr(data, section).items():
            found = _fact_problems(fact, f"{section}.{name}", scenario, start, end)
            problems += found
            if not found and fact.states is not None and not fact.states:
                problems.append((f"{section}.{name}.not_state", "excludes every state; the fact can never hold"))
    if problems:
        return problems
    hard = sorted(((n, o) for n, o in data.observations.items() if o.hard), key=lambda item: item[1].date)
    for j, (name_b, b) in enumerate(hard):
        for name_a, a in hard[:j]:
            why = _contradiction(a, b, scenario)
            if why is not None:
                problems.append((f"observations.{name_b}", f"contradicts observations.{name_a}: {why}"))
    return problems


# --- dates ---------------------------------------------------------------------------------------------


def as_timestamp(value: Any, *, option: str = "as_of") -> pd.Timestamp:
    """A date from a ``datetime.date``, a timestamp or ``YYYY-MM-DD`` text."""
    from basesim.errors import UsageError

    if isinstance(value, pd.Timestamp):
        return value.normalize()
    if isinstance(value, (dt.date, np.datetime64)):
        return pd.Timestamp(value).normalize()
    try:
        return pd.Timestamp(dt.date.fromisoformat(str(value).strip()))
    except ValueError:
        raise UsageError(f"{option}: must be a date written YYYY-MM-DD, got {value!r}") from None
