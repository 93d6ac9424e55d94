"""A cheap ranking of inputs from a plain Monte Carlo sample: correlation ratios and Spearman correlations.

The correlation ratio (Pearson 1905) from quantile bins is a given-data estimate of the first-order index
(Plischke 2010, Reliab. Eng. Syst. Saf. 95:354-360, doi:10.1016/j.ress.2009.11.005), corrected for binning bias.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from basesim.analysis.sobol import output_order
from basesim.errors import UsageError


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
    return table.sort_values(["output", "rank"], kind="stable", key=output_order(order)).reset_index(drop=True)


def _pearson(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise Pearson correlation of (r, n) arrays; NaN where a row is constant."""
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (a * b).sum(axis=1) / np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
