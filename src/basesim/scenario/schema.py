"""The scenario language: a validated, immutable description of a negotiation.

The schema follows the model of ``docs/model.md``: issues with ordered levels,
actors (principals at the table, influencers pulling on them) with ideal
points, saliences, leverage, utility curves, outside options and their sense
of time, the status quo and what follows a breakdown, a negotiation protocol,
events, named outcomes (as of a date) and Monte Carlo settings. Any
numeric parameter is a fixed number or a distribution
(:mod:`basesim.scenario.distributions`).

Cross-references (an actor's ideal point for an unknown issue, leverage over
an unknown principal, ...) are checked by :func:`basesim.scenario.checks.check_scenario`
once the structure is valid; :func:`basesim.scenario.loader.load_scenario` runs both.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from functools import lru_cache
from typing import Annotated, Any, Literal, Union

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from basesim.scenario.distributions import (
    Choice,
    Dirichlet,
    Integers,
    Param,
    _Dist,
    _tag,
    param_support,
    tagged_union,
)

PROTOCOLS = ("alternating_offers", "equilibrium", "nash", "expected_utility")
#: The state of a world at a date (docs/model.md): still talking under the status quo, agreed, or broken off.
RESULTS = ("agreement", "breakdown", "talking")
#: Months per round-length unit (a month is 1/12 of a Julian year of 365.25 days).
MONTHS_PER_UNIT = {"day": 12 / 365.25, "week": 7 * 12 / 365.25, "month": 1.0, "quarter": 3.0, "year": 12.0}
ROUND_UNITS = ("day", "week", "month", "quarter", "year")


class _Strict(BaseModel):
    # allow_inf_nan=False: .nan and .inf are refused wherever a number is read (NaN passes every range check)
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


# --- bounded parameters ---------------------------------------------------------


def _within(low: float, high: float, *, low_open: bool = False, high_open: bool = False):
    """Validator: a parameter (fixed or its distribution's support) lies in the interval."""
    left = "(" if low_open else "["
    right = ")" if high_open else "]"
    shown = f"{left}{_fmt(low)}, {_fmt(high)}{right}"
    if math.isinf(high):
        wanted = f"{'>' if low_open else '>='} {_fmt(low)}"
    else:
        wanted = f"in {shown}"

    def check(value: Any) -> Any:
        lo, hi = param_support(value)
        bad_low = lo <= low if low_open else lo < low
        bad_high = hi >= high if high_open else hi > high
        if bad_low or bad_high:
            if isinstance(value, _Dist):
                raise ValueError(
                    f"the distribution's values must lie in {shown}, but its support is "
                    f"[{_fmt(lo)}, {_fmt(hi)}] (give low and high to bound it)"
                )
            raise ValueError(f"must be {wanted}, got {_fmt(value)}")
        return value

    check.allowed = wanted  # type: ignore[attr-defined]  # the range messages.py names for a non-finite number
    check.bounds = (low, high, low_open, high_open)  # type: ignore[attr-defined]  # messages.allowed_bounds
    return AfterValidator(check)


def _fmt(x: float) -> str:
    if isinstance(x, float) and math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)


UnitParam = Annotated[Param, _within(0.0, 1.0)]
Probability = UnitParam
PositiveParam = Annotated[Param, _within(0.0, math.inf, low_open=True)]
OutsideOption = Annotated[Param, _within(-1.0, 1.0)]
Patience = Annotated[Param, _within(0.0, 1.0, low_open=True)]


def _whole_rounds(value: Any) -> Any:
    """An event's round is a whole number: fixed, ``integers``, or a ``choice`` of whole numbers."""
    if isinstance(value, _Dist):
        if not (isinstance(value, Integers)
                or (isinstance(value, Choice) and all(float(v).is_integer() for v in value.values))):
            raise ValueError(f"rounds are whole numbers, but a {value.dist} distribution draws fractions; "
                             "use {dist: integers, low: L, high: H} or a choice of whole numbers")
    elif not float(value).is_integer():
        raise ValueError(f"must be a whole number of rounds (0, 1, 2, ...), got {_fmt(value)}")
    return value


RoundParam = Annotated[Param, _within(0.0, math.inf), AfterValidator(_whole_rounds)]

def _level_ref_tag(value: Any) -> str | None:
    if isinstance(value, str):
        return "label"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "value"
    return None


#: A level given by its label (a string) or its value on the issue's [0, 1] scale.
LevelRef = Annotated[
    Union[Annotated[str, Tag("label")], Annotated[float, _within(0.0, 1.0), Tag("value")]],
    Discriminator(
        _level_ref_tag,
        custom_error_type="level_ref",
        custom_error_message="must be a level label or a level's value in [0, 1]",
    ),
]


def _ideal_tag(value: Any) -> str | None:
    return "label" if isinstance(value, str) else _tag(value)


#: An ideal point: a level label, a value in [0, 1], or a distribution over [0, 1].
IdealPoint = tagged_union(
    {"label": str, "fixed": float},
    _ideal_tag,
    "ideal_point",
    "must be a level label, a number in [0, 1] or a distribution",
)


_IDEAL_RANGE = _within(0.0, 1.0).func


def _check_ideal(value: Any) -> Any:
    if isinstance(value, str):
        return value
    return _IDEAL_RANGE(value)


_check_ideal.allowed = _IDEAL_RANGE.allowed  # type: ignore[attr-defined]  # "in [0, 1]"
_check_ideal.bounds = _IDEAL_RANGE.bounds  # type: ignore[attr-defined]


def _salience_tag(value: Any) -> str | None:
    if isinstance(value, dict) and value.get("dist") == "dirichlet":
        return "dirichlet"
    if isinstance(value, Dirichlet):
        return "dirichlet"
    if isinstance(value, dict):
        return "per_issue"
    return None


SalienceWeights = Annotated[
    Union[
        Annotated[dict[str, Annotated[Param, _within(0.0, math.inf)]], Tag("per_issue")],
        Annotated[Dirichlet, Tag("dirichlet")],
    ],
    Discriminator(
        _salience_tag,
        custom_error_type="salience",
        custom_error_message=(
            "must be a mapping from issue to weight (numbers or distributions, normalised to sum 1) "
            "or {dist: dirichlet, alpha: {ISSUE: WEIGHT, ...}}"
        ),
    ),
]


# --- issues --------------------------------------------------------------------


class Level(_Strict):
    """One level of an issue: a label, its value on [0, 1] and optionally an amount."""

    label: str = Field(min_length=1)
    value: Annotated[float, Field(ge=0.0, le=1.0)] | None = None
    amount: float | None = None


class Range(_Strict):
    """A continuous issue: ``steps`` evenly spaced amounts from ``min`` to ``max``."""

    min: float
    max: float
    steps: int = Field(ge=2, le=1001)

    @model_validator(mode="after")
    def _ordered(self) -> "Range":
        if not self.min < self.max:
            raise ValueError(f"min must be below max (got min={_fmt(self.min)}, max={_fmt(self.max)})")
        return self


def _level_item_tag(value: Any) -> str | None:
    if isinstance(value, str):
        return "label"
    if isinstance(value, (dict, Level)):
        return "level"
    return None


#: An entry of an issue's ``levels``: a bare label or a mapping with label, value, amount.
LevelItem = Annotated[
    Union[Annotated[Level, Tag("level")], Annotated[str, Tag("label")]],
    Discriminator(
        _level_item_tag,
        custom_error_type="level_item",
        custom_error_message="must be a level label or a mapping {label: ..., value: ..., amount: ...}",
    ),
]


class Issue(_Strict):
    """An issue on the table: ordered levels, or a continuous range in steps.

    Levels may be bare labels (values evenly spaced on [0, 1]), or mappings with
    a ``label`` and a ``value`` and/or an ``amount``; amounts without values are
    scaled linearly onto [0, 1]. Values must increase along the list.
    """

    label: str | None = None
    description: str | None = None
    unit: str | None = None
    levels: list[LevelItem] | None = Field(default=None, min_length=2, max_length=1001)  # as range.steps
    range: Range | None = None

    @field_validator("levels")
    @classmethod
    def _consistent_levels(cls, levels: list[Level | str] | None) -> list[Level | str] | None:
        if levels is None:
            return levels
        probe = cls.model_construct(levels=levels)
        labels = probe.labels
        repeated = sorted({label for label in labels if labels.count(label) > 1})
        if repeated:
            raise ValueError(f"level labels must be distinct; {', '.join(map(repr, repeated))} appears more than once")
        given = [isinstance(lv, Level) and lv.value is not None for lv in levels]
        if any(given) and not all(given):
            raise ValueError("give a value for every level or for none (values are then evenly spaced)")
        partial_amounts = [isinstance(lv, Level) and lv.amount is not None for lv in levels]
        if any(partial_amounts) and not all(partial_amounts):
            raise ValueError("give an amount for every level or for none")
        if not np.all(np.diff(probe.values) > 0):
            what = "values" if all(given) else "amounts"
            shown = [lv.value if all(given) else lv.amount for lv in probe._level_objects()]
            raise ValueError(f"level {what} must increase along the list (got {', '.join(map(_fmt, shown))})")
        return levels

    @model_validator(mode="after")
    def _one_kind(self) -> "Issue":
        if (self.levels is None) == (self.range is None):
            raise ValueError("give exactly one of 'levels' or 'range'")
        return self

    def _level_objects(self) -> list[Level]:
        if self.range is not None:
            amounts = np.linspace(self.range.min, self.range.max, self.range.steps)
            unit = f" {self.unit}" if self.unit else ""
            return [Level(label=f"{_fmt(round(float(a), 10))}{unit}", amount=float(a)) for a in amounts]
        return [Level(label=lv) if isinstance(lv, str) else lv for lv in self.levels or []]

    @property
    def labels(self) -> list[str]:
        return [lv.label for lv in self._level_objects()]

    @property
    def amounts(self) -> np.ndarray | None:
        """Money (or other) amounts of the levels, or None when the issue has none."""
        levels = self._level_objects()
        if all(lv.amount is not None for lv in levels):
            return np.asarray([lv.amount for lv in levels], float)
        return None

    @property
    def values(self) -> np.ndarray:
        """Each level's value on [0, 1], shape (levels,)."""
        levels = self._level_objects()
        if all(lv.value is not None for lv in levels):
            return np.asarray([lv.value for lv in levels], float)
        amounts = self.amounts
        if amounts is not None and all(lv.value is None for lv in levels):
            return (amounts - amounts[0]) / (amounts[-1] - amounts[0])
        if all(lv.value is None for lv in levels):
            return np.linspace(0.0, 1.0, len(levels))
        return np.asarray([np.nan if lv.value is None else lv.value for lv in levels], float)

    def level_index(self, ref: str | float) -> int | None:
        """Index of the level named (label) or valued (number) ``ref``; None if none matches."""
        if isinstance(ref, str):
            labels = self.labels
            return labels.index(ref) if ref in labels else None
        matches = np.flatnonzero(np.isclose(self.values, float(ref), atol=1e-9))
        return int(matches[0]) if matches.size else None

    def value_of(self, ref: str | float) -> float:
        """Value on [0, 1] of a level label, or the number itself."""
        if isinstance(ref, str):
            return float(self.values[self.labels.index(ref)])
        return float(ref)


# --- utility curves ------------------------------------------------------------


class Shape(_Strict):
    """A utility curve over the distance from the ideal point (docs/model.md, "Cardinal issues").

    ``concave``: ``g = 1 - (exp(k d) - 1) / (exp(k) - 1)``; ``convex``:
    ``g = 1 - (1 - exp(-k d)) / (1 - exp(-k))``; ``linear``: ``g = 1 - d``;
    ``d = |x - p|`` on the issue's value scale, ``k`` the curvature.
    """

    shape: Literal["linear", "concave", "convex"]
    curvature: Annotated[float, Field(gt=0.0, le=50.0)] = 1.0


class Points(_Strict):
    """A utility curve given by points ``[amount, utility]``, interpolated linearly (amounts increasing)."""

    points: list[tuple[float, Annotated[float, Field(ge=0.0, le=1.0)]]] = Field(min_length=2)

    @field_validator("points")
    @classmethod
    def _increasing(cls, points: list[tuple[float, float]]) -> list[tuple[float, float]]:
        amounts = [a for a, _ in points]
        if any(b <= a for a, b in zip(amounts, amounts[1:])):
            raise ValueError(f"the amounts of the points must increase, got {amounts}")
        return points


def _curve_tag(value: Any) -> str | None:
    if isinstance(value, str):
        return "curve_name"
    if isinstance(value, Shape) or (isinstance(value, dict) and "shape" in value):
        return "curve_shape"
    if isinstance(value, Points) or (isinstance(value, dict) and "points" in value):
        return "curve_points"
    return None


#: ``linear``, ``{shape: concave|convex|linear, curvature: k}`` or ``{points: [[amount, utility], ...]}``.
Curve = Annotated[
    Union[Annotated[Literal["linear"], Tag("curve_name")], Annotated[Shape, Tag("curve_shape")], Annotated[Points, Tag("curve_points")]],
    Discriminator(
        _curve_tag,
        custom_error_type="utility_curve",
        custom_error_message=(
            "must be 'linear', {shape: concave|convex|linear, curvature: K} or {points: [[AMOUNT, UTILITY], ...]}"
        ),
    ),
]


# --- actors --------------------------------------------------------------------


class Actor(_Strict):
    """A party: a principal at the table or an influencer pulling on principals.

    Utility ``u_a(x) = sum_i salience_i * g_ai(x_i)`` with ``g_ai(x) = 1 - |x - ideal_point_i|``
    unless ``utility_curve`` says otherwise; a principal's effective utility
    mixes in its influencers' utilities by their leverage. Time: ``patience``
    is a discount factor per month, ``delay_cost`` a utility flow lost per month
    of talks, ``deadline`` the month by which the actor believes it must
    settle (alternating offers), ``learning_time`` how many months its belief
    noise takes to shrink by a factor e (equilibrium). See docs/model.md.
    """

    label: str | None = None
    role: Literal["principal", "influencer"]
    ideal_point: dict[str, Annotated[IdealPoint, AfterValidator(_check_ideal)]] = Field(min_length=1)
    salience: SalienceWeights
    leverage: dict[str, UnitParam] = Field(default_factory=dict)
    power: PositiveParam = 1.0
    no_deal: dict[str, LevelRef] | None = None
    outside_option: OutsideOption = 0.0
    concession: PositiveParam = 1.0
    patience: Patience = 1.0
    belief_noise: Annotated[Param, _within(0.0, 1.0)] = 0.0
    delay_cost: Annotated[Param, _within(0.0, 1.0)] = 0.0
    deadline: PositiveParam = 12.0
    learning_time: PositiveParam = 12.0
    utility_curve: dict[str, Curve] = Field(default_factory=dict)
    color: str | None = None

    @property
    def is_principal(self) -> bool:
        return self.role == "principal"


# --- protocol, events, outcomes, monte carlo -------------------------------------------


class Protocol(_Strict):
    """How the talks run: which protocol, the resolution (rounds of ``round_length``) and the hazard.

    ``rounds * round_length`` is the forecast's horizon, not a deadline;
    ``breakdown_risk`` is the probability per month that the talks collapse
    for reasons outside them (docs/model.md).
    """

    name: str = "alternating_offers"
    rounds: int = Field(default=12, ge=1, le=10_000)
    round_length: str = "1 month"
    start_date: dt.date = dt.date(2025, 2, 1)
    first_proposer: str | None = None
    breakdown_risk: Annotated[Param, _within(0.0, 1.0, high_open=True)] = 0.0

    @field_validator("name")
    @classmethod
    def _known(cls, name: str) -> str:
        if name not in PROTOCOLS:
            raise ValueError(f"{name!r} is not a protocol; expected one of {', '.join(PROTOCOLS)}")
        return name

    @field_validator("round_length")
    @classmethod
    def _length(cls, text: str) -> str:
        parse_round_length(text)
        return text


@lru_cache(maxsize=64)
def round_calendar(start: str, rounds: int, length: str) -> np.ndarray:
    """Calendar dates ``start + t * length`` for t = 0 .. rounds - 1, (rounds,) datetime64[ns].

    As ``pandas.Timestamp(start) + pandas.DateOffset(months=t)`` (a month later, the day clipped to the
    month's end), in plain datetime arithmetic: loading a scenario (``basesim validate``) needs no pandas.
    """
    count, unit = parse_round_length(length)
    first = dt.datetime.fromisoformat(str(start))
    if unit in ("day", "week"):
        step = dt.timedelta(days=count * (7 if unit == "week" else 1))
        dates = [first + step * t for t in range(rounds)]
    else:
        months = count * {"month": 1, "quarter": 3, "year": 12}[unit]
        dates = [_add_months(first, months * t) for t in range(rounds)]
    return np.array(dates, dtype="datetime64[ns]")


def _add_months(day: dt.datetime, months: int) -> dt.datetime:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def parse_round_length(text: str) -> tuple[int, str]:
    """``'1 month'`` -> ``(1, 'month')``; units day, week, month, quarter, year."""
    match = re.fullmatch(r"\s*(\d+)\s*(day|week|month|quarter|year)s?\s*", str(text))
    if not match or int(match.group(1)) < 1:
        raise ValueError(
            f"must be 'N unit' with N >= 1 and unit one of {', '.join(ROUND_UNITS)} "
            f"(e.g. '1 month'), got {text!r}"
        )
    return int(match.group(1)), match.group(2)


class Event(_Strict):
    """A change of parameters at a time, with a probability of happening.

    ``month`` is the time in months after ``protocol.start_date`` (the event
    applies from the first round that starts then or later); ``round`` (the
    older form) counts rounds and so depends on the round length.

    ``set`` replaces a parameter's value, ``add`` shifts it; keys are dotted
    paths of numeric actor parameters (e.g. ``actors.syria.outside_option``,
    ``actors.turkey.leverage.syria``) or ``protocol.breakdown_risk``. The
    result is clipped to the parameter's allowed range.
    """

    label: str | None = None
    round: RoundParam | None = None
    month: Annotated[Param, _within(0.0, math.inf)] | None = None
    probability: Probability = 1.0
    set: dict[str, Param] = Field(default_factory=dict)
    add: dict[str, Param] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _changes(self) -> "Event":
        if (self.round is None) == (self.month is None):
            raise ValueError("give exactly one of 'month' (months after the start, preferred) or 'round'")
        if not self.set and not self.add:
            raise ValueError("an event must change something: give 'set' or 'add'")
        both = sorted(set(self.set) & set(self.add))
        if both:
            raise ValueError(f"a parameter may be in 'set' or in 'add', not both (got {both})")
        return self


class NamedOutcome(_Strict):
    """A question the analyst cares about, true or false in every replication.

    All given conditions must hold: ``issue`` with ``at_least``/``at_most``/
    ``equals`` a level (label or value) in force; ``result`` (agreement,
    breakdown, talking); ``by`` a date (the talks ended by then). Conditions
    are evaluated ``as_of`` a date (default: the end of the horizon): a world
    still talking then has the status quo's levels in force.
    """

    label: str | None = None
    issue: str | None = None
    at_least: LevelRef | None = None
    at_most: LevelRef | None = None
    equals: LevelRef | None = None
    result: Literal["agreement", "breakdown", "talking"] | None = None
    by: dt.date | None = None
    as_of: dt.date | None = None

    @field_validator("result", mode="before")
    @classmethod
    def _impasse(cls, value: Any) -> Any:
        return "talking" if value == "impasse" else value  # the old name of "still talking at the horizon"

    @model_validator(mode="after")
    def _conditions(self) -> "NamedOutcome":
        comparators = [c for c in (self.at_least, self.at_most, self.equals) if c is not None]
        if self.issue is not None and not comparators:
            raise ValueError("with 'issue', give at_least, at_most or equals")
        if comparators and self.issue is None:
            raise ValueError("at_least, at_most and equals need an 'issue'")
        if self.issue is None and self.result is None and self.by is None:
            raise ValueError("give at least one condition: issue, result or by")
        return self


class Alternative(_Strict):
    """One thing that may follow a collapse of the talks, with its probability (a weight, see :class:`Lottery`)."""

    label: str | None = None
    probability: Probability = 1.0
    levels: dict[str, LevelRef] = Field(default_factory=dict)


class Lottery(_Strict):
    """Named alternatives after a breakdown; their probabilities are divided by their sum in every world."""

    alternatives: dict[str, Alternative] = Field(min_length=1)


def _breakdown_tag(value: Any) -> str | None:
    if isinstance(value, Lottery) or (isinstance(value, dict) and "alternatives" in value):
        return "breakdown_lottery"
    return "breakdown_levels" if isinstance(value, dict) else None


#: ``breakdown:`` plain levels (one alternative) or ``{alternatives: {NAME: {probability, levels}}}``.
Breakdown = Annotated[
    Union[Annotated[dict[str, LevelRef], Tag("breakdown_levels")], Annotated[Lottery, Tag("breakdown_lottery")]],
    Discriminator(
        _breakdown_tag,
        custom_error_type="breakdown",
        custom_error_message="must be a mapping from issue to level, or {alternatives: {NAME: {probability: P, levels: {...}}}}",
    ),
]


class MonteCarlo(_Strict):
    """How many replications to play, and the seed (drawn and recorded when absent)."""

    runs: int = Field(default=10_000, ge=1, le=1_000_000_000)
    seed: int | None = Field(default=None, ge=0)


class Scenario(_Strict):
    """A whole negotiation scenario (see README, "The scenario format")."""

    name: str | None = None
    title: str | None = None
    description: str | None = None
    issues: dict[str, Issue] = Field(min_length=1)
    actors: dict[str, Actor] = Field(min_length=1)
    status_quo: dict[str, LevelRef] | None = None
    breakdown: Breakdown | None = None
    no_deal: dict[str, LevelRef] | None = None
    protocol: Protocol = Field(default_factory=Protocol)
    events: dict[str, Event] = Field(default_factory=dict)
    outcomes: dict[str, NamedOutcome] = Field(default_factory=dict)
    monte_carlo: MonteCarlo = Field(default_factory=MonteCarlo)
    #: where numbers come from, by dotted path (filled from ``source:`` beside numbers; see scenario.sources)
    sources: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _states(self) -> "Scenario":
        if self.status_quo is None and self.no_deal is None:
            raise ValueError("give 'status_quo' (the levels in force while the talks go on), or the older 'no_deal'")
        if self.no_deal is not None and (self.status_quo is not None or self.breakdown is not None):
            raise ValueError("'no_deal' is the older form of status_quo and breakdown together: give it alone")
        return self

    # --- convenience views (derived, never stored) ---

    @property
    def status_quo_levels(self) -> dict[str, LevelRef]:
        """The level of every issue while the talks go on (``status_quo``, or ``no_deal`` in old scenarios)."""
        return dict(self.status_quo if self.status_quo is not None else self.no_deal)

    @property
    def breakdown_alternatives(self) -> dict[str, "Alternative"]:
        """What may follow a collapse, by name, each with every issue's level (the status quo's where unsaid)."""
        given = self.breakdown if self.breakdown is not None else (self.no_deal or self.status_quo)
        base = self.status_quo_levels
        if isinstance(given, Lottery):
            return {name: alt.model_copy(update={"levels": {**base, **alt.levels}}) for name, alt in given.alternatives.items()}
        return {"breakdown": Alternative(label="breakdown", probability=1.0, levels={**base, **given})}

    @property
    def months_per_round(self) -> float:
        count, unit = parse_round_length(self.protocol.round_length)
        return count * MONTHS_PER_UNIT[unit]

    @property
    def issue_names(self) -> list[str]:
        return list(self.issues)

    @property
    def actor_names(self) -> list[str]:
        return list(self.actors)

    @property
    def principals(self) -> list[str]:
        return [name for name, a in self.actors.items() if a.is_principal]

    @property
    def influencers(self) -> list[str]:
        return [name for name, a in self.actors.items() if not a.is_principal]

    def source_of(self, path: str) -> str | None:
        """The source given for a number or distribution at ``path`` (or its nearest ancestor), if any."""
        parts = path.split(".")
        while parts:
            found = self.sources.get(".".join(parts))
            if found is not None:
                return found
            parts.pop()
        return None

    def display(self, actor_or_issue: str) -> str:
        """Human label of an actor or issue (its ``label`` or its name)."""
        item = self.actors.get(actor_or_issue) or self.issues.get(actor_or_issue)
        return (item.label if item is not None and item.label else None) or actor_or_issue

    def to_data(self) -> dict[str, Any]:
        """Plain data (JSON/YAML-ready) that :func:`basesim.scenario.loader.scenario_from_data` reads back."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def __repr__(self) -> str:  # one line (pydantic's would print every field); see scenario.display
        from basesim.scenario.display import scenario_repr

        return scenario_repr(self)

    def _repr_html_(self) -> str:  # notebooks
        from basesim.scenario.display import scenario_html

        return scenario_html(self)
