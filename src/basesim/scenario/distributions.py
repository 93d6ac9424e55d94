"""Probability distributions a scenario may give instead of a fixed number.

Every distribution maps points of the unit hypercube to values through its
quantile function (``ppf``). Plain Monte Carlo feeds it uniform random
numbers; Latin hypercube and Sobol designs (``scipy.stats.qmc``) feed it their
points. One code path serves all three. The quantile functions are
:mod:`basesim.scenario.quantiles`: scipy.stats' numbers by cheaper routes (bit for
bit, or within a stated tolerance for the beta and the gamma); ``scipy_ppf``
keeps the ``scipy.stats`` call they are tested against.

In YAML a distribution is a mapping tagged by ``dist``::

    patience: {dist: uniform, low: 0.85, high: 0.98}
    concession: {dist: triangular, low: 0.3, mode: 0.6, high: 1.5}
    ideal_point: {dist: normal, mean: 0.7, sd: 0.1, low: 0, high: 1}
    salience: {dist: dirichlet, alpha: {tartus: 6, khmeimim: 5, compensation: 2}}
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

# scipy.stats is imported where a quantile function is first needed, not here: it costs about
# half a second, and loading or validating a scenario (``basesim validate``) never needs it.

__all__ = [
    "Beta",
    "Choice",
    "DISTRIBUTIONS",
    "Dirichlet",
    "Distribution",
    "Integers",
    "Normal",
    "Param",
    "Triangular",
    "Uniform",
    "param_support",
]


#: Frozen scipy.stats distributions by the JSON of their basesim distribution.
_FROZEN: dict[str, Any] = {}


class _Dist(BaseModel):
    # allow_inf_nan=False: a parameter of .nan or .inf is refused (a normal's low/high may be -.inf/.inf: no bound)
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    #: where the numbers come from (free text, may hold a URL); carried to ``show``, reports and the JSON Schema
    source: str | None = None

    #: number of unit-hypercube columns one draw consumes
    @property
    def dims(self) -> int:
        return 1

    def frozen(self) -> Any:
        """The equivalent frozen ``scipy.stats`` distribution."""
        raise NotImplementedError

    def support(self) -> tuple[float, float]:
        # every family with ``low`` and ``high`` spans [low, high] (scipy's support, without scipy);
        # the others override this
        return float(self.low), float(self.high)  # type: ignore[attr-defined]

    @property
    def _scipy(self) -> Any:
        # Freezing a scipy.stats distribution costs about half a millisecond and
        # every batch calls ppf once per parameter: keep the frozen objects per
        # process, keyed by the distribution's value (scenarios reach worker
        # processes as fresh copies, so a per-object cache would not be hit).
        key = self.model_dump_json()
        found = _FROZEN.get(key)
        if found is None:
            if len(_FROZEN) > 4096:  # long sweeps over distribution parameters
                _FROZEN.clear()
            found = _FROZEN[key] = self.frozen()
        return found

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Quantile function: uniform points ``u`` of shape (n,) to values (n,)."""
        return self.scipy_ppf(u)

    def scipy_ppf(self, u: np.ndarray) -> np.ndarray:
        """The quantile function of the equivalent ``scipy.stats`` distribution (the reference)."""
        return np.asarray(self._scipy.ppf(u), dtype=float)

    def mean(self) -> float:
        return float(self.frozen().mean())


class Uniform(_Dist):
    """Uniform on [low, high]."""

    dist: Literal["uniform"] = "uniform"
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> "Uniform":
        if not self.low < self.high:
            raise ValueError(f"low must be below high (got low={self.low}, high={self.high})")
        return self

    def frozen(self) -> Any:
        from scipy import stats

        return stats.uniform(loc=self.low, scale=self.high - self.low)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        from basesim.scenario import quantiles

        return quantiles.uniform(u, low=self.low, high=self.high)


class Normal(_Dist):
    """Normal with mean and sd, truncated to [low, high] when bounds are given.

    Truncation (``scipy.stats.truncnorm``) rather than clipping, so no
    probability mass piles up on the bounds.
    """

    dist: Literal["normal"] = "normal"
    mean_: float = Field(alias="mean")
    sd: float = Field(gt=0)
    low: float = Field(-math.inf, allow_inf_nan=True)  # -.inf (what show writes back): no lower bound
    high: float = Field(math.inf, allow_inf_nan=True)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)

    @field_validator("low", "high")
    @classmethod
    def _bound(cls, value: float, info: Any) -> float:
        no_bound = -math.inf if info.field_name == "low" else math.inf
        if math.isnan(value) or (math.isinf(value) and value != no_bound):
            shown = ".nan" if math.isnan(value) else ("-.inf" if value < 0 else ".inf")
            raise ValueError(f"must be a finite number (or {'-.inf' if no_bound < 0 else '.inf'} for no bound), "
                             f"got {shown}")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> "Normal":
        if not self.low < self.high:
            raise ValueError(f"low must be below high (got low={self.low}, high={self.high})")
        if not self.low <= self.mean_ <= self.high:
            raise ValueError(f"mean must lie in [low, high] (got mean={self.mean_}, low={self.low}, high={self.high})")
        return self

    def frozen(self) -> Any:
        from scipy import stats

        a = (self.low - self.mean_) / self.sd
        b = (self.high - self.mean_) / self.sd
        return stats.truncnorm(a, b, loc=self.mean_, scale=self.sd)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        from basesim.scenario import quantiles

        return quantiles.truncated_normal(u, mean=self.mean_, sd=self.sd, low=self.low, high=self.high)


class Beta(_Dist):
    """Beta(a, b) rescaled to [low, high] (default [0, 1])."""

    dist: Literal["beta"] = "beta"
    a: float = Field(gt=0)
    b: float = Field(gt=0)
    low: float = 0.0
    high: float = 1.0

    @model_validator(mode="after")
    def _ordered(self) -> "Beta":
        if not self.low < self.high:
            raise ValueError(f"low must be below high (got low={self.low}, high={self.high})")
        return self

    def frozen(self) -> Any:
        from scipy import stats

        return stats.beta(self.a, self.b, loc=self.low, scale=self.high - self.low)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        from basesim.scenario import quantiles

        return quantiles.beta(u, a=self.a, b=self.b, low=self.low, high=self.high)


class Triangular(_Dist):
    """Triangular with minimum ``low``, most likely ``mode`` and maximum ``high``."""

    dist: Literal["triangular"] = "triangular"
    low: float
    mode: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> "Triangular":
        if not (self.low <= self.mode <= self.high and self.low < self.high):
            raise ValueError(
                f"need low <= mode <= high and low < high (got low={self.low}, mode={self.mode}, high={self.high})"
            )
        return self

    def frozen(self) -> Any:
        from scipy import stats

        scale = self.high - self.low
        return stats.triang((self.mode - self.low) / scale, loc=self.low, scale=scale)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        from basesim.scenario import quantiles

        return quantiles.triangular(u, low=self.low, mode=self.mode, high=self.high)


class Integers(_Dist):
    """Whole numbers from ``low`` to ``high`` inclusive, equally likely (e.g. an event's round)."""

    dist: Literal["integers"] = "integers"
    low: int
    high: int

    @model_validator(mode="after")
    def _ordered(self) -> "Integers":
        if not self.low <= self.high:
            raise ValueError(f"low must not exceed high (got low={self.low}, high={self.high})")
        return self

    def frozen(self) -> Any:
        from scipy import stats

        return stats.randint(self.low, self.high + 1)

    def support(self) -> tuple[float, float]:
        return float(self.low), float(self.high)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        from basesim.scenario import quantiles

        return quantiles.integers(u, low=self.low, high=self.high)

    def scipy_ppf(self, u: np.ndarray) -> np.ndarray:
        # randint.ppf(0) is low - 1; keep draws inside [low, high].
        return np.clip(super().scipy_ppf(u), self.low, self.high)


class Choice(_Dist):
    """One of a list of values, with optional weights (normalised to sum 1)."""

    dist: Literal["choice"] = "choice"
    values: list[float] = Field(min_length=1)
    weights: list[float] | None = None

    @model_validator(mode="after")
    def _weights(self) -> "Choice":
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError(
                    f"weights must have one entry per value (got {len(self.weights)} weights for {len(self.values)} values)"
                )
            if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
                raise ValueError(f"weights must be >= 0 with a positive sum (got {self.weights})")
        return self

    def probabilities(self) -> np.ndarray:
        w = np.ones(len(self.values)) if self.weights is None else np.asarray(self.weights, float)
        return w / w.sum()

    def frozen(self) -> Any:
        from scipy import stats

        return stats.rv_discrete(values=(np.arange(len(self.values)), self.probabilities()))

    def support(self) -> tuple[float, float]:
        return float(min(self.values)), float(max(self.values))

    def ppf(self, u: np.ndarray) -> np.ndarray:
        cumulative = np.cumsum(self.probabilities())
        index = np.minimum(np.searchsorted(cumulative, u, side="right"), len(self.values) - 1)
        return np.asarray(self.values, float)[index]

    def mean(self) -> float:
        return float(np.dot(self.probabilities(), self.values))


class Dirichlet(_Dist):
    """Dirichlet over a set of saliences, keyed by issue; draws sum to 1.

    Drawn by normalising independent Gamma(alpha_i) variables, the textbook
    construction (Devroye 1986, *Non-Uniform Random Variate Generation*, XI.4),
    so each issue takes one unit-hypercube column.
    """

    dist: Literal["dirichlet"] = "dirichlet"
    alpha: dict[str, Annotated[float, Field(gt=0)]] = Field(min_length=1)

    @property
    def dims(self) -> int:
        return len(self.alpha)

    def frozen(self) -> Any:
        from scipy import stats

        return stats.dirichlet(np.asarray(list(self.alpha.values()), float))

    def support(self) -> tuple[float, float]:
        return 0.0, 1.0

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Unit points of shape (n, k) to saliences of shape (n, k)."""
        from basesim.scenario import quantiles

        alpha = np.asarray(list(self.alpha.values()), float)
        gammas = quantiles.gamma(np.clip(u, 1e-12, 1 - 1e-12), alpha)
        return gammas / gammas.sum(axis=-1, keepdims=True)

    def scipy_ppf(self, u: np.ndarray) -> np.ndarray:
        from scipy import stats

        alpha = np.asarray(list(self.alpha.values()), float)
        gammas = stats.gamma.ppf(np.clip(u, 1e-12, 1 - 1e-12), alpha)
        return gammas / gammas.sum(axis=-1, keepdims=True)


def _tag(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return "fixed"
    if isinstance(value, dict):
        tag = value.get("dist")
        return tag if isinstance(tag, str) else None
    if isinstance(value, _Dist):
        return value.dist
    return None


#: The distributions a scalar parameter may take, by tag (Dirichlet is for saliences only).
SCALAR_DISTRIBUTIONS: dict[str, type[_Dist]] = {
    "uniform": Uniform,
    "normal": Normal,
    "beta": Beta,
    "triangular": Triangular,
    "integers": Integers,
    "choice": Choice,
}


def tagged_union(extra: dict[str, Any], discriminator: Any, error_type: str, message: str) -> Any:
    """A pydantic union of ``extra`` (tag -> type) and the scalar distributions,
    chosen by ``discriminator(value) -> tag``, with one custom error message."""
    members = [Annotated[kind, Tag(tag)] for tag, kind in {**extra, **SCALAR_DISTRIBUTIONS}.items()]
    return Annotated[
        Union[tuple(members)],
        Discriminator(discriminator, custom_error_type=error_type, custom_error_message=message),
    ]


Distribution = tagged_union({}, _tag, "distribution", "must be a distribution")

#: A numeric parameter: a fixed number or a distribution.
Param = tagged_union({"fixed": float}, _tag, "param", "must be a number or a distribution")

#: Every distribution class by its ``dist`` tag.
DISTRIBUTIONS: dict[str, type[_Dist]] = {
    **SCALAR_DISTRIBUTIONS,
    "dirichlet": Dirichlet,
}

#: Tags that pydantic inserts into error locations; not part of the YAML path.
UNION_TAGS = frozenset({"fixed", "uniform", "normal", "beta", "triangular", "integers", "choice", "dirichlet"})


def param_support(value: float | _Dist) -> tuple[float, float]:
    """Smallest and largest value a parameter can take."""
    if isinstance(value, _Dist):
        return value.support()
    return float(value), float(value)
