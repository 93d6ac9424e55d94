"""The scenario language: a validated, immutable description of a negotiation.

The schema follows the model of ``BRIEF.md``: issues with ordered levels,
actors (principals at the table, influencers pulling on them) with ideal
points, saliences, leverage, a no-deal outcome and an outside option, a
negotiation protocol, events, named outcomes and Monte Carlo settings. Any
numeric parameter is a fixed number or a distribution
(:mod:`basesim.scenario.distributions`).

Cross-references (an actor's ideal point for an unknown issue, leverage over
an unknown principal, ...) are checked by :func:`basesim.scenario.checks.check_scenario`
once the structure is valid; :func:`basesim.scenario.loader.load_scenario` runs both.
"""

from __future__ import annotations

import datetime as dt
import math
import re
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
    Dirichlet,
    Param,
    _Dist,
    _tag,
    param_support,
    tagged_union,
)

PROTOCOLS = ("alternating_offers", "equilibrium", "nash")
RESULTS = ("agreement", "breakdown", "impasse")
ROUND_UNITS = ("day", "week", "month", "quarter", "year")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


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
RoundParam = Annotated[Param, _within(0.0, math.inf)]

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


def _check_ideal(value: Any) -> Any:
    if isinstance(value, str):
        return value
    return _within(0.0, 1.0).func(value)


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
    levels: list[LevelItem] | None = Field(default=None, min_length=2)
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


# --- actors --------------------------------------------------------------------


class Actor(_Strict):
    """A party: a principal at the table or an influencer pulling on principals.

    Utility ``u_a(x) = sum_i salience_i * (1 - |x_i - ideal_point_i|)``; a
    principal's effective utility mixes in its influencers' utilities by their
    leverage (BRIEF.md, "Actors and preferences").
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
    color: str | None = None

    @property
    def is_principal(self) -> bool:
        return self.role == "principal"


# --- protocol, events, outcomes, monte carlo -------------------------------------------


class Protocol(_Strict):
    """How the talks run: which protocol and its settings (BRIEF.md, "Protocols")."""

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
    """A change of parameters at a round, with a probability of happening.

    ``set`` replaces a parameter's value, ``add`` shifts it; keys are dotted
    paths of numeric actor parameters (e.g. ``actors.syria.outside_option``,
    ``actors.turkey.leverage.syria``) or ``protocol.breakdown_risk``. The
    result is clipped to the parameter's allowed range.
    """

    label: str | None = None
    round: RoundParam
    probability: Probability = 1.0
    set: dict[str, Param] = Field(default_factory=dict)
    add: dict[str, Param] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _changes(self) -> "Event":
        if not self.set and not self.add:
            raise ValueError("an event must change something: give 'set' or 'add'")
        both = sorted(set(self.set) & set(self.add))
        if both:
            raise ValueError(f"a parameter may be in 'set' or in 'add', not both (got {both})")
        return self


class NamedOutcome(_Strict):
    """A question the analyst cares about, true or false in every replication.

    All given conditions must hold: ``issue`` with ``at_least``/``at_most``/
    ``equals`` a level (label or value); ``result`` (agreement, breakdown,
    impasse); ``by`` a date (the talks ended by then).
    """

    label: str | None = None
    issue: str | None = None
    at_least: LevelRef | None = None
    at_most: LevelRef | None = None
    equals: LevelRef | None = None
    result: Literal["agreement", "breakdown", "impasse"] | None = None
    by: dt.date | None = None

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
    no_deal: dict[str, LevelRef]
    protocol: Protocol = Field(default_factory=Protocol)
    events: dict[str, Event] = Field(default_factory=dict)
    outcomes: dict[str, NamedOutcome] = Field(default_factory=dict)
    monte_carlo: MonteCarlo = Field(default_factory=MonteCarlo)

    # --- convenience views (derived, never stored) ---

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

    def display(self, actor_or_issue: str) -> str:
        """Human label of an actor or issue (its ``label`` or its name)."""
        item = self.actors.get(actor_or_issue) or self.issues.get(actor_or_issue)
        return (item.label if item is not None and item.label else None) or actor_or_issue

    def to_data(self) -> dict[str, Any]:
        """Plain data (JSON/YAML-ready) that :func:`basesim.scenario.loader.scenario_from_data` reads back."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
