"""Variance-based Sobol' indices: Saltelli's design, the estimators with bootstrap intervals, and the Ishigami test function.

Saltelli et al. (2010), *Variance based sensitivity analysis of model output*, Comput. Phys. Commun. 181:259-270,
doi:10.1016/j.cpc.2009.09.018; the indices come from ``scipy.stats.sobol_indices``. See :mod:`basesim.analysis.sensitivity`
for how a scenario's inputs and in-run randomness become factors.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats import qmc

from basesim.errors import UsageError

#: Columns of :attr:`SobolIndices.table`.
INDEX_COLUMNS = [
    "output",
    "factor",
    "first_order",
    "first_order_low",
    "first_order_high",
    "total_order",
    "total_order_low",
    "total_order_high",
    "rank",
]


@dataclass(frozen=True)
class SobolDesign:
    """The points at which a Sobol' analysis evaluates the model.

    ``A`` and ``B`` have shape ``(n, D)`` (unit hypercube); ``factors`` maps
    each factor name to the column indices it owns (a group may own several).
    :meth:`points` stacks ``A``, ``B``, ``AB_1``, ..., ``AB_k``: ``n (k + 2)``
    rows, the order :meth:`split` expects back.
    """

    A: np.ndarray
    B: np.ndarray
    factors: dict[str, np.ndarray]

    @property
    def n(self) -> int:
        return int(self.A.shape[0])

    @property
    def evaluations(self) -> int:
        """Model evaluations the design needs: ``n (k + 2)``."""
        return self.n * (len(self.factors) + 2)

    def points(self) -> np.ndarray:
        """All rows to evaluate, shape ``(n (k + 2), D)``."""
        pages = [self.A, self.B]
        for columns in self.factors.values():
            AB = self.A.copy()
            AB[:, columns] = self.B[:, columns]
            pages.append(AB)
        return np.concatenate(pages, axis=0)

    def split(self, outputs: np.ndarray) -> dict[str, np.ndarray]:
        """Outputs at :meth:`points`, shape ``(n (k + 2), s)`` -> scipy's ``f_A, f_B, f_AB``.

        ``f_A`` and ``f_B`` have shape ``(s, n)``, ``f_AB`` ``(k, s, n)``.
        """
        outputs = np.asarray(outputs, dtype=float)
        if outputs.ndim == 1:
            outputs = outputs[:, None]
        n, k = self.n, len(self.factors)
        if outputs.shape[0] != n * (k + 2):
            raise ValueError(f"expected {n * (k + 2)} rows of outputs, got {outputs.shape[0]}")
        pages = outputs.reshape(k + 2, n, -1).transpose(0, 2, 1)  # (k + 2, s, n)
        return {"f_A": pages[0], "f_B": pages[1], "f_AB": pages[2:]}


def sobol_design(
    factors: Mapping[str, Sequence[int]], *, dimensions: int, n: int, rng: np.random.Generator
) -> SobolDesign:
    """Saltelli's ``A``/``B`` design over the ``D = dimensions`` unit columns.

    One scrambled Sobol' sequence with ``2 D`` columns gives both matrices
    (Saltelli et al. 2010, sec. 5), as ``scipy.stats.sobol_indices`` does.
    ``n`` must be a power of 2 (the balance property of Sobol' points).
    Columns that belong to no factor are still drawn (they vary between
    rows) but are the same in ``A_j`` and every ``AB_k,j``.
    """
    if n < 2 or n & (n - 1):
        raise UsageError(f"the Sobol' base sample size must be a power of 2 (e.g. 64, 256, 1024), got {n}")
    if not factors:
        raise UsageError("a Sobol' analysis needs at least one factor; the scenario has no uncertain input")
    groups = {name: np.asarray(list(cols), dtype=np.int64) for name, cols in factors.items()}
    owned = np.concatenate(list(groups.values()))
    if owned.size and (owned.min() < 0 or owned.max() >= dimensions):
        raise ValueError(f"factor columns must lie in [0, {dimensions}), got {sorted(set(owned.tolist()))}")
    if len(set(owned.tolist())) != owned.size:
        raise ValueError("a column belongs to two factors")
    points = qmc.Sobol(d=2 * dimensions, scramble=True, bits=64, seed=rng).random(n)
    return SobolDesign(A=points[:, :dimensions], B=points[:, dimensions:], factors=groups)


def saltelli_2010(f_A: np.ndarray, f_B: np.ndarray, f_AB: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and total indices, Saltelli et al. (2010), Table 2 (b) and (f).

    ``S_k = mean(f_B (f_AB_k - f_A)) / V`` and
    ``ST_k = mean((f_A - f_AB_k)^2) / (2 V)``, with ``V`` the variance of
    ``f_A`` and ``f_B`` pooled. Shapes: ``f_A``, ``f_B`` (s, n); ``f_AB``
    (k, s, n); returns two arrays (s, k). Outputs with zero variance get
    indices 0. The same estimator as ``scipy.stats.sobol_indices``'s
    default; we pass it explicitly so that the bootstrap uses it too.
    """
    variance = np.var([f_A, f_B], axis=(0, -1))
    with np.errstate(divide="ignore", invalid="ignore"):
        first = np.mean(f_B * (f_AB - f_A), axis=-1) / variance
        total = 0.5 * np.mean((f_A - f_AB) ** 2, axis=-1) / variance
    first, total = first.T, total.T
    first[~np.isfinite(first)] = 0.0
    total[~np.isfinite(total)] = 0.0
    return first, total


def _indices(f_A: np.ndarray, f_B: np.ndarray, f_AB: np.ndarray) -> np.ndarray:
    """Both indices stacked, shape (2, s, k), for the bootstrap."""
    first, total = saltelli_2010(f_A, f_B, f_AB)
    return np.stack([first, total])


@dataclass
class SobolIndices:
    """Sobol' first and total indices of every output for every factor, with intervals.

    ``table`` has one row per (output, factor), columns :data:`INDEX_COLUMNS`;
    ``rank`` orders the factors of an output by total index (1 = matters
    most). The outputs at the design points are kept (``f_A``, ``f_B``,
    ``f_AB``, centred as scipy does) so :meth:`bootstrap` can give other
    intervals without running the model again.
    """

    outputs: list[str]
    factors: list[str]
    n: int
    f_A: np.ndarray
    f_B: np.ndarray
    f_AB: np.ndarray
    first_order: np.ndarray
    total_order: np.ndarray
    table: pd.DataFrame
    confidence_level: float
    provenance: dict[str, Any] = field(default_factory=dict)
    #: The design evaluated and each output's mean over A and B (to undo the centring): with them the A and B
    #: rows are a plain sample of the inputs and outputs (e.g. for a tornado chart, no model runs).
    design: SobolDesign | None = None
    means: np.ndarray | None = None

    @property
    def evaluations(self) -> int:
        return self.n * (len(self.factors) + 2)

    def __repr__(self) -> str:  # one line (the dataclass repr would print the arrays); see analysis.display
        from basesim.analysis.display import sobol_repr

        return sobol_repr(self)

    def _repr_html_(self) -> str:  # notebooks
        from basesim.analysis.display import sobol_html

        return sobol_html(self)

    @property
    def variance(self) -> pd.Series:
        """Each output's variance over the ``A`` and ``B`` rows."""
        return pd.Series(np.var([self.f_A, self.f_B], axis=(0, -1)), index=self.outputs, name="variance")

    def bootstrap(
        self, *, confidence_level: float = 0.95, n_resamples: int = 999, rng: np.random.Generator
    ) -> pd.DataFrame:
        """New intervals (a table like :attr:`table`) from the kept outputs; no model runs."""
        low, high = _bootstrap_intervals(
            self.f_A, self.f_B, self.f_AB, self.first_order, self.total_order,
            confidence_level=confidence_level, n_resamples=n_resamples, rng=rng,
        )
        return _index_table(self.outputs, self.factors, self.first_order, self.total_order, low, high)

    def ranking(self, output: str) -> pd.DataFrame:
        """The factors of one output, most important first."""
        if output not in self.outputs:
            raise UsageError(f"output {output!r} was not analysed; expected one of {', '.join(self.outputs)}")
        rows = self.table[self.table["output"] == output]
        return rows.sort_values("rank").reset_index(drop=True)


def _bootstrap_intervals(
    f_A: np.ndarray,
    f_B: np.ndarray,
    f_AB: np.ndarray,
    first: np.ndarray,
    total: np.ndarray,
    *,
    confidence_level: float,
    n_resamples: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """BCa bootstrap over design rows; returns low, high of shape (2, s, k).

    Where the bootstrap distribution is degenerate (a factor the output
    ignores has index exactly 0 in every resample) the interval is the
    point estimate itself.
    """
    n = f_A.shape[1]

    def statistic(rows: np.ndarray) -> np.ndarray:
        return _indices(f_A[:, rows], f_B[:, rows], f_AB[..., rows])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = stats.bootstrap(
            (np.arange(n),), statistic, method="BCa", n_resamples=n_resamples,
            confidence_level=confidence_level, vectorized=False, rng=rng,
        )
    estimate = np.stack([first, total])
    low = np.asarray(result.confidence_interval.low, dtype=float)
    high = np.asarray(result.confidence_interval.high, dtype=float)
    # BCa is undefined for a degenerate bootstrap distribution: fall back on percentiles,
    # and on the estimate itself where every resample gives the same value.
    bad = ~(np.isfinite(low) & np.isfinite(high))
    if bad.any():
        spread = result.bootstrap_distribution
        alpha = (1 - confidence_level) / 2
        pct_low = np.quantile(spread, alpha, axis=-1)
        pct_high = np.quantile(spread, 1 - alpha, axis=-1)
        low = np.where(bad, pct_low, low)
        high = np.where(bad, pct_high, high)
        flat = np.ptp(spread, axis=-1) == 0
        low = np.where(bad & flat, estimate, low)
        high = np.where(bad & flat, estimate, high)
    return low, high


def _index_table(
    outputs: Sequence[str],
    factors: Sequence[str],
    first: np.ndarray,
    total: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
) -> pd.DataFrame:
    rows = []
    for o, output in enumerate(outputs):
        for k, factor in enumerate(factors):
            rows.append({
                "output": output,
                "factor": factor,
                "first_order": first[o, k],
                "first_order_low": low[0, o, k],
                "first_order_high": high[0, o, k],
                "total_order": total[o, k],
                "total_order_low": low[1, o, k],
                "total_order_high": high[1, o, k],
            })
    table = pd.DataFrame(rows, columns=INDEX_COLUMNS[:-1])
    table["rank"] = (
        table.groupby("output", sort=False)["total_order"].rank(method="first", ascending=False).astype("int64")
    )
    return table.sort_values(["output", "rank"], kind="stable", key=output_order(outputs)).reset_index(drop=True)


def output_order(outputs: Sequence[str]) -> Callable[[pd.Series], pd.Series]:
    order = {name: i for i, name in enumerate(outputs)}

    def key(column: pd.Series) -> pd.Series:
        return column.map(order) if column.name == "output" else column

    return key


def sobol_analysis(
    evaluate: Callable[[np.ndarray], pd.DataFrame],
    factors: Mapping[str, Sequence[int]],
    *,
    dimensions: int,
    n: int,
    rng: np.random.Generator,
    confidence_level: float = 0.95,
    n_resamples: int = 999,
) -> SobolIndices:
    """Sobol' first and total indices of ``evaluate``'s outputs, with bootstrap intervals.

    ``evaluate`` maps unit-hypercube points ``(m, D)`` to a DataFrame of
    ``m`` rows, one numeric column per output (booleans count as 0/1).
    ``factors`` maps each factor to its columns; ``n`` (a power of 2) is the
    base sample size, so ``evaluate`` sees ``n (k + 2)`` points. The indices
    come from ``scipy.stats.sobol_indices`` with the outputs given as
    ``f_A``, ``f_B``, ``f_AB`` (so groups of columns work) and the
    :func:`saltelli_2010` estimator.
    """
    design_rng, bootstrap_rng = rng.spawn(2)
    design = sobol_design(factors, dimensions=dimensions, n=n, rng=design_rng)
    values = evaluate(design.points())
    if not isinstance(values, pd.DataFrame):
        values = pd.DataFrame(np.asarray(values, dtype=float).reshape(design.evaluations, -1))
        values.columns = [f"y{j}" for j in range(values.shape[1])]
    outputs = [str(c) for c in values.columns]
    matrices = design.split(values.to_numpy(dtype=float))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        result = stats.sobol_indices(func=matrices, n=n, method=saltelli_2010)
    s, k = len(outputs), len(design.factors)
    first = np.asarray(result.first_order, dtype=float).reshape(s, k)
    total = np.asarray(result.total_order, dtype=float).reshape(s, k)
    # scipy centres the outputs by their mean before estimating; keep them centred alike
    mean = np.mean([matrices["f_A"], matrices["f_B"]], axis=(0, -1)).reshape(-1, 1)
    f_A, f_B, f_AB = matrices["f_A"] - mean, matrices["f_B"] - mean, matrices["f_AB"] - mean
    low, high = _bootstrap_intervals(
        f_A, f_B, f_AB, first, total, confidence_level=confidence_level, n_resamples=n_resamples, rng=bootstrap_rng
    )
    table = _index_table(outputs, list(design.factors), first, total, low, high)
    return SobolIndices(
        outputs=outputs,
        factors=list(design.factors),
        n=n,
        f_A=f_A,
        f_B=f_B,
        f_AB=f_AB,
        first_order=first,
        total_order=total,
        table=table,
        confidence_level=confidence_level,
        design=design,
        means=mean.ravel(),
    )


def ishigami(unit: np.ndarray, *, a: float = 7.0, b: float = 0.1) -> pd.DataFrame:
    """The Ishigami function on unit points (m, 3) mapped to ``[-pi, pi]^3``.

    ``Y = sin x1 + a sin^2 x2 + b x3^4 sin x1`` (Ishigami and Homma 1990,
    doi:10.1109/ISUMA.1990.151285). With a = 7, b = 0.1 the indices are
    ``S = (0.3139, 0.4424, 0)`` and ``ST = (0.5576, 0.4424, 0.2437)``.
    A known answer for :func:`sobol_analysis`.
    """
    x = -np.pi + 2 * np.pi * np.asarray(unit, dtype=float)
    y = np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])
    return pd.DataFrame({"y": y})
