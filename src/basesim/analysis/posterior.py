"""What the observations taught about the scenario's uncertain inputs: prior against posterior.

For every uncertain input (a distribution of the scenario, or whether an
event fires) the prior is the unconditioned worlds' values, the posterior the
kept worlds' values weighted by their likelihood. :func:`input_shift` gives
for each the mean and the central 90% interval of both, a 95% Monte Carlo
interval for the posterior mean (its standard error at the effective sample
size), the shift of the mean in prior standard deviations, and how much the
spread narrowed.

Weighted quantiles invert the weighted empirical distribution function
(Hyndman and Fan 1996, definition 1, with weights).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from basesim.analysis.conditioning import Posterior
from basesim.scenario.sampling import parameter_columns
from basesim.scenario.schema import Scenario

__all__ = ["SHIFT_COLUMNS", "input_columns", "input_label", "input_shift", "weighted_quantile"]

#: Central interval of the prior and posterior distributions in :func:`input_shift`.
INTERVAL = 0.90
#: A shift smaller than this many prior standard deviations is "about the same".
NOTABLE_SHIFT = 0.1

SHIFT_COLUMNS = ["input", "label", "discrete", "prior_mean", "prior_low", "prior_high", "posterior_mean",
                 "posterior_low", "posterior_high", "mean_low", "mean_high", "shift", "sd_ratio", "direction"]


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float | Sequence[float]) -> np.ndarray:
    """Quantiles of a weighted sample: the smallest value whose weighted CDF reaches ``q``."""
    values = np.asarray(values, dtype=float)
    weights = np.asarray(weights, dtype=float)
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    cumulative /= cumulative[-1]
    q = np.atleast_1d(np.asarray(q, dtype=float))
    index = np.searchsorted(cumulative, q - 1e-12, side="left")
    return values[order][np.clip(index, 0, len(values) - 1)]


def input_columns(scenario: Scenario, table: pd.DataFrame) -> list[str]:
    """The uncertain inputs recorded in an outcome table: distributions, then events' occurrence."""
    wanted = parameter_columns(scenario) + [f"events.{name}.occurs" for name in scenario.events]
    return [c for c in wanted if c in table.columns]


def input_label(scenario: Scenario, path: str) -> str:
    """``actors.syria.outside_option`` -> ``Syria (al-Sharaa government): outside option``."""
    parts = path.split(".")
    if parts[0] == "actors" and len(parts) >= 3 and parts[1] in scenario.actors:
        what = parts[2].replace("_", " ")
        rest = parts[3:]
        if rest and rest[0] in scenario.issues:
            what += f" ({scenario.display(rest[0])})"
        elif rest and rest[0] in scenario.actors:
            what += f" over {scenario.display(rest[0])}"
        return f"{scenario.display(parts[1])}: {what}"
    if parts[0] == "events" and len(parts) >= 3 and parts[1] in scenario.events:
        event = scenario.events[parts[1]]
        name = event.label or parts[1]
        if parts[2] == "occurs":
            return f"{name}: happens"
        return f"{name}: {' '.join(parts[2:]).replace('_', ' ')}"
    if path == "protocol.breakdown_risk":
        return "breakdown risk (per month)"
    if parts[:2] == ["breakdown", "alternatives"] and len(parts) == 4:
        alternatives = getattr(scenario, "breakdown_alternatives", {}) or {}
        found = alternatives.get(parts[2])
        name = (getattr(found, "label", None) or parts[2]) if found is not None else parts[2]
        return f"after a breakdown: {name} ({parts[3]})"
    return path


def input_shift(posterior: Posterior, *, inputs: Sequence[str] | None = None,
                interval: float = INTERVAL) -> pd.DataFrame:
    """Prior against posterior for every uncertain input (or ``inputs``), most moved first.

    Columns: ``input`` (dotted path), ``label``, ``discrete``, ``prior_mean``,
    ``prior_low``/``prior_high`` and ``posterior_low``/``posterior_high``
    (central ``interval`` of each distribution), ``posterior_mean``,
    ``mean_low``/``mean_high`` (95% Monte Carlo interval of the posterior
    mean: +- 1.96 sd / sqrt(ESS)), ``shift`` (posterior minus prior mean, in
    prior standard deviations), ``sd_ratio`` (posterior over prior standard
    deviation) and ``direction``: ``lower`` or ``higher`` when the shift is at
    least 0.1 prior sd and the mean's interval excludes the prior mean, else
    ``about the same``.
    """
    scenario = posterior.scenario
    inputs = input_columns(scenario, posterior.table) if inputs is None else list(inputs)
    weights = posterior.weights
    tail = (1 - interval) / 2
    z = stats.norm.ppf(0.975)
    rows = []
    for path in inputs:
        prior = posterior.prior[path].to_numpy(float)
        post = posterior.table[path].to_numpy(float)
        prior_mean, prior_sd = float(prior.mean()), float(prior.std())
        post_mean = float(np.average(post, weights=weights))
        post_sd = float(np.sqrt(np.average((post - post_mean) ** 2, weights=weights)))
        half = z * post_sd / np.sqrt(max(posterior.ess, 1.0))
        prior_se = prior_sd / np.sqrt(len(prior))
        shift = (post_mean - prior_mean) / prior_sd if prior_sd > 0 else 0.0
        clear = abs(post_mean - prior_mean) > z * np.hypot(post_sd / np.sqrt(max(posterior.ess, 1.0)), prior_se)
        direction = "about the same"
        if clear and abs(shift) >= NOTABLE_SHIFT:
            direction = "lower" if shift < 0 else "higher"
        p_low, p_high = np.quantile(prior, [tail, 1 - tail], method="inverted_cdf")
        q_low, q_high = weighted_quantile(post, weights, [tail, 1 - tail])
        rows.append(dict(zip(SHIFT_COLUMNS, (
            path, input_label(scenario, path), bool(np.unique(prior).size <= 12 or path.endswith(".occurs")),
            prior_mean, float(p_low), float(p_high), post_mean, float(q_low), float(q_high),
            post_mean - half, post_mean + half, shift, post_sd / prior_sd if prior_sd > 0 else np.nan, direction))))
    frame = pd.DataFrame(rows, columns=SHIFT_COLUMNS)
    order = np.argsort(-frame["shift"].abs().to_numpy(), kind="stable")
    return frame.iloc[order].reset_index(drop=True)
