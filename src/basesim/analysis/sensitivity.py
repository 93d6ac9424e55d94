"""Which uncertain inputs drive which outcomes: sensitivity analysis.

Two methods, one question ("which uncertainties matter most?"):

1. **Variance-based Sobol' indices** (:func:`sobol_analysis`,
   :func:`sobol_sensitivity`). The first-order index ``S_i`` of a factor is
   the share of an output's variance that the factor explains alone,
   ``Var(E[Y | X_i]) / Var(Y)``; the total index ``ST_i`` adds every
   interaction it takes part in, ``E[Var(Y | X_~i)] / Var(Y)``. Design and
   estimators are those of Saltelli et al. (2010), *Variance based
   sensitivity analysis of model output. Design and estimator for the total
   sensitivity index*, Comput. Phys. Commun. 181:259-270,
   doi:10.1016/j.cpc.2009.09.018: two scrambled Sobol' matrices ``A`` and
   ``B`` (``scipy.stats.qmc.Sobol`` with ``2 D`` columns), and for every
   factor ``k`` the matrix ``AB_k`` (``A`` with the factor's columns taken
   from ``B``); ``scipy.stats.sobol_indices`` computes the indices from the
   outputs at ``A``, ``B`` and ``AB_k``. Intervals are bootstrap (BCa,
   ``scipy.stats.bootstrap``) over the ``n`` rows of the design, drawn from
   the analysis' own ``rng`` so that they are reproducible.

   A factor may span several columns (a *group*, Jacobson/Sobol' 2001): a
   Dirichlet salience vector is one factor, and so is all of the in-run
   randomness.

2. **A cheap ranking from a plain Monte Carlo sample** (:func:`rank_inputs`):
   the correlation ratio ``eta^2 = Var(E[Y | X_i]) / Var(Y)`` (Pearson 1905)
   estimated by binning ``X_i`` into quantile bins, which is a "given-data"
   estimator of the first-order index (Plischke 2010, *An effective algorithm
   for computing global sensitivity indices (EASI)*, Reliab. Eng. Syst. Saf.
   95:354-360, doi:10.1016/j.ress.2009.11.005), corrected for the upward bias
   of binning; and Spearman's rank correlation for the direction of the
   effect. It reuses the table of an ordinary run: no extra model runs.

The model output is stochastic given its parameters
----------------------------------------------------
Given every parameter, a replication still depends on in-run randomness:
the principals' belief noise and the per-round breakdown draws (and whether
each event occurs). :func:`sobol_sensitivity` treats that randomness
honestly as inputs, not as noise to average away:

- the in-run randomness (belief noise and breakdown draws) is **one grouped
  factor**, ``in-run randomness``; its indices say how much of an outcome's
  variance is luck that no better knowledge of the parameters would remove;
- whether each event occurs is its own factor ``events.NAME.occurs``: an
  analyst can ask whether it matters that sanctions relief happens;
- because ``AB_k`` takes only factor ``k``'s columns from ``B``, the
  in-run randomness of row ``j`` is common to ``A_j`` and every ``AB_k,j``
  (common random numbers per row): the differences ``f(A) - f(AB_k)`` that
  the estimators average are caused by factor ``k`` alone, not by noise.

The indices are then the ordinary Sobol' indices of the deterministic
function ``Y = f(parameters, randomness)``, they add up as usual, and the
Ishigami check goes through exactly the same code (:func:`sobol_analysis`).
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

from pathlib import Path

from basesim.scenario.distributions import Dirichlet
from basesim.errors import UsageError
from basesim.scenario.loader import load_scenario, scenario_hash
from basesim.scenario.sampling import noise_columns, transform, uncertain_parameters, unit_columns
from basesim.scenario.schema import Scenario
from basesim.montecarlo.summary import named_outcomes

__all__ = [
    "NOISE_FACTOR",
    "SobolDesign",
    "SobolIndices",
    "correlation_ratio",
    "input_names",
    "input_ranking",
    "ishigami",
    "output_label",
    "output_names",
    "rank_inputs",
    "scenario_outputs",
    "sobol_analysis",
    "sobol_design",
    "sobol_factors",
    "sobol_sensitivity",
]

#: Name of the grouped factor that holds the in-run randomness of a replication.
NOISE_FACTOR = "in-run randomness"

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


# --- the design ------------------------------------------------------------------------


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


# --- estimators --------------------------------------------------------------------


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

    @property
    def evaluations(self) -> int:
        return self.n * (len(self.factors) + 2)

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
    return table.sort_values(["output", "rank"], kind="stable", key=_keep_order(outputs)).reset_index(drop=True)


def _keep_order(outputs: Sequence[str]) -> Callable[[pd.Series], pd.Series]:
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


# --- the cheap ranking from a plain Monte Carlo sample ------------------------------------------


def _bin_codes(x: np.ndarray, bins: int) -> np.ndarray:
    """Integer bin of every value: its own bin for each distinct value when
    there are at most ``bins`` of them, else equal-count quantile bins."""
    distinct, codes = np.unique(x, return_inverse=True)
    if distinct.size <= bins:
        return codes.ravel()
    order = np.argsort(x, kind="stable")
    ranks = np.empty(x.size, dtype=np.int64)
    ranks[order] = np.arange(x.size)
    return (ranks * bins // x.size).astype(np.int64)


def correlation_ratio(x: np.ndarray, y: np.ndarray, *, bins: int | None = None) -> float:
    """Bias-corrected correlation ratio ``eta^2 = Var(E[Y | X]) / Var(Y)`` (given data).

    ``X`` is cut into ``bins`` equal-count bins (default ``sqrt(n)`` capped
    to [2, 50]; a discrete ``X`` with few values uses one bin per value).
    ``eta^2`` is the between-bin share of the sum of squares; the
    correction ``eta^2 - (M - 1) (1 - eta^2) / (n - M)`` (as adjusted R^2,
    M bins) removes the share that M bins explain by chance, so an input
    with no effect scores about 0. Estimates the first-order Sobol' index
    (Plischke 2010, doi:10.1016/j.ress.2009.11.005).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = x.size
    bins = _default_bins(n) if bins is None else bins
    codes = _bin_codes(x, bins)
    return float(_eta_squared(codes[None, :], y[None, :])[0])


def _default_bins(n: int) -> int:
    return int(min(50, max(2, round(np.sqrt(n)))))


def _eta_squared(codes: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Adjusted eta^2 of each row of ``y`` (r, n) grouped by the same row of ``codes`` (r, n)."""
    r, n = y.shape
    m = int(codes.max()) + 1
    flat = (codes + m * np.arange(r)[:, None]).ravel()
    counts = np.bincount(flat, minlength=m * r).reshape(r, m).astype(float)
    sums = np.bincount(flat, weights=y.ravel(), minlength=m * r).reshape(r, m)
    groups = (counts > 0).sum(axis=1)
    mean = y.mean(axis=1)
    total = ((y - mean[:, None]) ** 2).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        between = np.where(counts > 0, sums**2 / np.where(counts > 0, counts, 1.0), 0.0).sum(axis=1) - n * mean**2
        eta = np.where(total > 0, between / total, 0.0)
        adjusted = np.where(n > groups, eta - (groups - 1) * (1 - eta) / np.maximum(n - groups, 1), eta)
    return np.clip(adjusted, -1.0, 1.0)


#: Columns of :func:`rank_inputs`' table.
RANKING_COLUMNS = [
    "output",
    "input",
    "correlation_ratio",
    "correlation_ratio_low",
    "correlation_ratio_high",
    "spearman",
    "spearman_low",
    "spearman_high",
    "rank",
]


def rank_inputs(
    inputs: pd.DataFrame,
    outputs: pd.DataFrame,
    *,
    rng: np.random.Generator,
    bins: int | None = None,
    n_resamples: int = 200,
    confidence_level: float = 0.95,
) -> pd.DataFrame:
    """Rank the inputs of a plain Monte Carlo sample by how much each drives each output.

    ``inputs`` and ``outputs`` have one row per replication (numeric or
    boolean columns). For every (output, input): the bias-corrected
    correlation ratio (:func:`correlation_ratio`, an estimate of the
    first-order Sobol' index: the share of the output's variance the input
    explains alone, non-monotone effects included) and Spearman's rank
    correlation (its sign gives the direction), each with a 95% interval
    from ``n_resamples`` random half-samples drawn without replacement from
    ``rng`` (the percentiles of the half-sample estimates). Half-sampling
    (McCarthy 1969, *Pseudo-replication: half samples*, Rev. Int. Stat. Inst.
    37:239-264, doi:10.2307/1402116) suits eta^2 where the ordinary bootstrap
    does not: a resample with replacement repeats rows, which fall in the
    same bin and inflate eta^2; a half-sample has distinct rows, and for
    smooth statistics the spread of estimates from halves (``m = n/2``, so
    the finite-population factor ``(n - m)/m`` is 1) matches the sampling
    spread of the full-sample estimate. ``rank`` orders the inputs of an output by correlation ratio.
    Inputs that never vary are left out.
    """
    if len(inputs) != len(outputs):
        raise ValueError(f"inputs and outputs must have the same rows, got {len(inputs)} and {len(outputs)}")
    n = len(inputs)
    if n < 10:
        raise UsageError(f"a ranking needs at least 10 replications, got {n}")
    bins = _default_bins(n) if bins is None else bins
    alpha = (1 - confidence_level) / 2
    # random halves without replacement (see the docstring)
    resample = np.sort(rng.random((n_resamples, n)).argsort(axis=1)[:, : n // 2], axis=1)
    X = {c: inputs[c].to_numpy(dtype=float) for c in inputs.columns if inputs[c].nunique(dropna=False) > 1}
    Y = {c: outputs[c].to_numpy(dtype=float) for c in outputs.columns}
    # Spearman's rho is Pearson's r of ranks; a half-sample reuses the full sample's ranks and bins.
    ranks_x = {c: stats.rankdata(x) for c, x in X.items()}
    codes = {c: _bin_codes(x, bins) for c, x in X.items()}
    rows = []
    for out_name, y in Y.items():
        y_boot = y[resample]
        ranks_y = stats.rankdata(y)
        ranks_y_boot = ranks_y[resample]
        for in_name in X:
            eta = _eta_squared(codes[in_name][None, :], y[None, :])[0]
            eta_boot = _eta_squared(codes[in_name][resample], y_boot)
            rho = _pearson(ranks_x[in_name][None, :], ranks_y[None, :])[0]
            rho_boot = _pearson(ranks_x[in_name][resample], ranks_y_boot)
            finite = rho_boot[np.isfinite(rho_boot)]
            rows.append({
                "output": out_name,
                "input": in_name,
                "correlation_ratio": eta,
                "correlation_ratio_low": np.quantile(eta_boot, alpha),
                "correlation_ratio_high": np.quantile(eta_boot, 1 - alpha),
                "spearman": rho,
                "spearman_low": np.quantile(finite, alpha) if finite.size else np.nan,
                "spearman_high": np.quantile(finite, 1 - alpha) if finite.size else np.nan,
            })
    table = pd.DataFrame(rows, columns=RANKING_COLUMNS[:-1])
    table["rank"] = (
        table.groupby("output", sort=False)["correlation_ratio"].rank(method="first", ascending=False).astype("int64")
    )
    order = list(Y)
    return table.sort_values(["output", "rank"], kind="stable", key=_keep_order(order)).reset_index(drop=True)


def _pearson(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise Pearson correlation of (r, n) arrays; NaN where a row is constant."""
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (a * b).sum(axis=1) / np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))


# --- scenarios ---------------------------------------------------------------------------------


def sobol_factors(scenario: Scenario) -> dict[str, list[int]]:
    """The factors of a scenario's Sobol' analysis: name -> unit columns.

    One factor per uncertain parameter (a Dirichlet salience is one factor
    over its columns), one per event whose occurrence is uncertain
    (``events.NAME.occurs``, when its probability is a distribution or lies
    strictly between 0 and 1), and :data:`NOISE_FACTOR` for the belief noise
    and breakdown draws together.
    """
    columns = unit_columns(scenario)
    index = {name: j for j, name in enumerate(columns)}
    factors: dict[str, list[int]] = {}
    for path, dist in uncertain_parameters(scenario).items():
        if isinstance(dist, Dirichlet):
            factors[path] = [index[f"{path}.{issue}"] for issue in dist.alpha]
        else:
            factors[path] = [index[path]]
    for name, event in scenario.events.items():
        probability = event.probability
        if not isinstance(probability, (int, float)) or 0.0 < float(probability) < 1.0:
            factors[f"events.{name}.occurs"] = [index[f"events.{name}.occurs"]]
    noise = [index[c] for c in noise_columns(scenario)]
    if noise:
        factors[NOISE_FACTOR] = noise
    return factors


def output_names(scenario: Scenario) -> list[str]:
    """Every output :func:`scenario_outputs` can compute, default ones first.

    ``result.agreement`` and ``outcome.NAME`` (0/1) are the defaults; also
    ``result.breakdown``, ``result.impasse``, ``ISSUE.value`` (the final
    level's value on [0, 1]), ``ISSUE.amount`` (when the issue has amounts),
    ``agreement.round`` (the round the talks ended) and ``utility.ACTOR``.
    """
    return [*default_outputs(scenario), "result.breakdown", "result.impasse",
            *[f"{i}.value" for i in scenario.issue_names],
            *[f"{i}.amount" for i, issue in scenario.issues.items() if issue.amounts is not None],
            "agreement.round", *[f"utility.{a}" for a in scenario.actor_names]]


def default_outputs(scenario: Scenario) -> list[str]:
    """The outputs analysed unless others are asked for: agreement and every named outcome."""
    return ["result.agreement", *[f"outcome.{name}" for name in scenario.outcomes]]


def check_outputs(scenario: Scenario, outputs: Sequence[str] | None, *, option: str = "outputs") -> list[str]:
    """``outputs`` checked against :func:`output_names` (default: agreement and the named outcomes)."""
    if outputs is None or len(outputs) == 0:
        return default_outputs(scenario)
    known = output_names(scenario)
    chosen = []
    for name in outputs:
        if name in known:
            chosen.append(name)
        elif f"outcome.{name}" in known:
            chosen.append(f"outcome.{name}")
        else:
            raise UsageError(f"{option}: {name!r} is not an output of scenario {scenario.name!r}; "
                             f"expected one of {', '.join(known)}")
    return list(dict.fromkeys(chosen))


def output_label(scenario: Scenario, name: str) -> str:
    """A human label of an output: a named outcome's label, ``Agreement``, ``Tartus naval base (level value)``..."""
    if name.startswith("outcome."):
        key = name.removeprefix("outcome.")
        outcome = scenario.outcomes.get(key)
        return (outcome.label if outcome is not None and outcome.label else None) or key
    if name.startswith("result."):
        return name.removeprefix("result.").capitalize()
    if name.startswith("utility."):
        return f"Utility of {scenario.display(name.removeprefix('utility.'))}"
    if name == "agreement.round":
        return "Round the talks ended"
    issue, _, what = name.rpartition(".")
    if issue in scenario.issues:
        unit = scenario.issues[issue].unit
        return f"{scenario.display(issue)} ({'level value' if what == 'value' else unit or 'amount'})"
    return name


def scenario_outputs(scenario: Scenario, table: pd.DataFrame, outputs: Sequence[str] | None = None) -> pd.DataFrame:
    """Numeric outputs (one column each, float) of a table of :func:`basesim.model.play` rows.

    ``outputs`` are names from :func:`output_names` (default: agreement and
    every named outcome). A run's table works too (it has the same columns).
    """
    outputs = check_outputs(scenario, outputs)
    flags = None
    columns: dict[str, np.ndarray] = {}
    for name in outputs:
        if name.startswith("result."):
            columns[name] = (table["result"] == name.removeprefix("result.")).to_numpy(dtype=float)
        elif name.startswith("outcome."):
            if name in table.columns:
                columns[name] = table[name].to_numpy(dtype=float)
            else:
                flags = named_outcomes(scenario, table) if flags is None else flags
                columns[name] = flags[name].to_numpy(dtype=float)
        elif name.startswith("utility."):
            columns[name] = table[f"utility_{name.removeprefix('utility.')}"].to_numpy(dtype=float)
        elif name == "agreement.round":
            columns[name] = table["round"].to_numpy(dtype=float)
        elif name.endswith(".value"):
            issue = name.removesuffix(".value")
            columns[name] = scenario.issues[issue].values[table[f"{issue}_level"].to_numpy()]
        elif name.endswith(".amount"):
            columns[name] = table[f"{name.removesuffix('.amount')}_amount"].to_numpy(dtype=float)
    return pd.DataFrame(columns, index=table.index)


def input_names(scenario: Scenario) -> list[str]:
    """The sampled inputs a run's table holds, by dotted path (as :attr:`Draws.inputs`)."""
    probe = transform(scenario, np.full((1, len(unit_columns(scenario))), 0.5))
    return list(probe.inputs)


def _resolve_seed(scenario: Scenario, seed: int | None) -> tuple[int, str]:
    from basesim.montecarlo.runner import resolve_seed

    return resolve_seed(scenario, seed)


def sobol_sensitivity(
    scenario: Scenario | str | Path,
    *,
    n: int = 1024,
    seed: int | None = None,
    outputs: Sequence[str] | None = None,
    protocol: str | None = None,
    confidence_level: float = 0.95,
    n_resamples: int = 999,
) -> SobolIndices:
    """Sobol' first and total indices of a scenario's outputs for its uncertain inputs.

    The factors are :func:`sobol_factors` (every distribution, every
    uncertain event, and the in-run randomness as one group); the model is
    played ``n (k + 2)`` times (``n`` a power of 2, ``k`` factors) through
    :func:`sobol_analysis`, on points that :func:`basesim.scenario.sampling.transform`
    turns into draws. ``seed`` defaults to ``monte_carlo.seed`` (else drawn
    and recorded in ``provenance``). See the module docstring for how the
    in-run randomness is treated.
    """
    from basesim import model
    from basesim.montecarlo.runner import check_protocol, check_seed

    seed = check_seed(seed)
    protocol = check_protocol(protocol)
    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    chosen = check_outputs(base, outputs)
    factors = sobol_factors(base)
    if not any(name != NOISE_FACTOR for name in factors):
        raise UsageError(f"scenario {base.name!r} has no uncertain input (no distribution and no uncertain event); "
                         "there is nothing to rank")
    seed, seed_source = _resolve_seed(base, seed)
    dimensions = len(unit_columns(base))
    batch = model.batch_size(base)

    def evaluate(unit: np.ndarray) -> pd.DataFrame:
        parts = []
        for start in range(0, unit.shape[0], batch):
            rows = unit[start:start + batch]
            draws = transform(base, rows, replicate=start + np.arange(rows.shape[0]))
            parts.append(scenario_outputs(base, model.play(draws, protocol=protocol), chosen))
        return pd.concat(parts, ignore_index=True)

    result = sobol_analysis(evaluate, factors, dimensions=dimensions, n=n, rng=np.random.default_rng(seed),
                            confidence_level=confidence_level, n_resamples=n_resamples)
    result.provenance = {
        "method": "sobol",
        "scenario": base.name,
        "scenario_hash": scenario_hash(base),
        "seed": seed,
        "seed_source": seed_source,
        "n": n,
        "evaluations": result.evaluations,
        "protocol": protocol or base.protocol.name,
        "factors": {name: [unit_columns(base)[j] for j in cols] for name, cols in factors.items()},
    }
    return result


def input_ranking(
    result: Any,
    *,
    outputs: Sequence[str] | None = None,
    rng: np.random.Generator,
    n_resamples: int = 200,
    confidence_level: float = 0.95,
) -> pd.DataFrame:
    """:func:`rank_inputs` on a run's table (a :class:`~basesim.montecarlo.results.RunResult`).

    The inputs are the sampled inputs the table records (:func:`input_names`);
    the outputs are as for :func:`scenario_outputs`. No model is run.
    """
    if result.table is None:
        raise UsageError("ranking: the run kept only its summary (summary_only=True); "
                         "a ranking needs the per-replication table")
    scenario = result.scenario
    chosen = check_outputs(scenario, outputs)
    names = [c for c in input_names(scenario) if c in result.table.columns]
    if not names:
        raise UsageError(f"scenario {scenario.name!r} has no uncertain input; there is nothing to rank")
    return rank_inputs(result.table[names], scenario_outputs(scenario, result.table, chosen), rng=rng,
                       n_resamples=n_resamples, confidence_level=confidence_level)
