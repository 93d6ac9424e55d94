"""How far each uncertain input moves each outcome: the tornado table, from runs already made.

For every (output, input) pair the runs are split by the input's sampled
value: the *low* group holds the runs whose value is at or below the input's
``share`` quantile (by default the lowest fifth), the *high* group those at or
above its ``1 - share`` quantile. The output's mean in each group (for a
yes/no outcome, its probability, with a Wilson 95% interval) against its mean
over all runs says how much knowing that the input is low or high would move
the answer, and in which direction. This is the "one input at a time from a
Monte Carlo sample" reading of a tornado diagram (Howard 1988, *Decision
analysis: practice and promise*, Management Science 34(6):679-695,
doi:10.1287/mnsc.34.6.679; Eschenbach 1992, *Spiderplots versus tornado
diagrams for sensitivity analysis*, Interfaces 22(6):40-46,
doi:10.1287/inte.22.6.40): no model is run again, and the other inputs keep
their own uncertainty within each group, so the swing is the effect of
learning the input, not of setting it with everything else fixed.

Inputs with few distinct values (an event that happens or not) are split at
their lowest and highest values. The swing is in the output's units
(probabilities for yes/no outcomes; the figures show percentage points).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from basesim.analysis.labels import input_labels
from basesim.errors import UsageError
from basesim.montecarlo.summary import wilson_interval
from basesim.scenario.schema import Scenario

__all__ = ["TORNADO_COLUMNS", "run_tornado", "sobol_tornado", "tornado_table"]

#: Columns of :func:`tornado_table`.
TORNADO_COLUMNS = [
    "output", "input", "label", "low_value", "high_value", "low_runs", "high_runs",
    "low_estimate", "low_low", "low_high", "high_estimate", "high_low", "high_high",
    "overall", "swing", "rank",
]


def _groups(x: np.ndarray, share: float) -> tuple[np.ndarray, np.ndarray, float, float] | None:
    """Masks of the low and high groups of ``x`` and the values that bound them; None if ``x`` is constant."""
    finite = np.isfinite(x)
    if not finite.any():
        return None
    lowest, highest = float(np.min(x[finite])), float(np.max(x[finite]))
    if lowest == highest:
        return None
    cut_low, cut_high = np.quantile(x[finite], [share, 1.0 - share])
    if cut_low >= cut_high:  # few distinct values: the lowest against the highest
        cut_low, cut_high = lowest, highest
    return finite & (x <= cut_low), finite & (x >= cut_high), float(cut_low), float(cut_high)


def _mean_interval(y: np.ndarray, binary: bool) -> tuple[float, float, float]:
    n = y.size
    if n == 0:
        return np.nan, np.nan, np.nan
    if binary:
        count = int(np.round(y.sum()))
        low, high = wilson_interval(np.array([count]), np.array([n]))
        return count / n, float(low[0]), float(high[0])
    mean = float(y.mean())
    half = 1.959963984540054 * float(y.std(ddof=1)) / np.sqrt(n) if n > 1 else np.nan
    return mean, mean - half, mean + half


def tornado_table(inputs: pd.DataFrame, outputs: pd.DataFrame, *, scenario: Scenario | None = None,
                  share: float = 0.2) -> pd.DataFrame:
    """The tornado table of a Monte Carlo sample: one row per (output, input).

    ``inputs`` and ``outputs`` have one row per replication (numeric or
    boolean columns; see :func:`run_tornado` for a run). Columns
    (:data:`TORNADO_COLUMNS`): ``low_value`` / ``high_value`` bound the groups
    (low: input <= low_value; high: input >= high_value), ``low_runs`` /
    ``high_runs`` their sizes, ``low_estimate`` [``low_low``, ``low_high``] and
    ``high_estimate`` [...] the output's mean in each group with a 95%
    interval (Wilson for a 0/1 output), ``overall`` its mean over all runs,
    ``swing = high_estimate - low_estimate`` (its sign is the direction), and
    ``rank`` (1 = largest ``|swing|`` for that output). ``label`` is the
    input's human label when ``scenario`` is given, else its name. Inputs
    that never vary are left out.
    """
    if not 0.0 < share < 0.5:
        raise UsageError(f"tornado: share must be in (0, 0.5), got {share}")
    if len(inputs) != len(outputs):
        raise ValueError(f"inputs and outputs must have the same rows, got {len(inputs)} and {len(outputs)}")
    names = [str(c) for c in inputs.columns]
    labels = input_labels(scenario, names, short=True) if scenario is not None else {n: n for n in names}
    rows = []
    for output in outputs.columns:
        y = outputs[output].to_numpy(dtype=float)
        binary = bool(np.isin(y[np.isfinite(y)], (0.0, 1.0)).all())
        overall = float(np.nanmean(y)) if y.size else np.nan
        for name in names:
            split = _groups(inputs[name].to_numpy(dtype=float), share)
            if split is None:
                continue
            low, high, low_value, high_value = split
            low_est, low_lo, low_hi = _mean_interval(y[low], binary)
            high_est, high_lo, high_hi = _mean_interval(y[high], binary)
            rows.append({
                "output": str(output), "input": name, "label": labels[name],
                "low_value": low_value, "high_value": high_value,
                "low_runs": int(low.sum()), "high_runs": int(high.sum()),
                "low_estimate": low_est, "low_low": low_lo, "low_high": low_hi,
                "high_estimate": high_est, "high_low": high_lo, "high_high": high_hi,
                "overall": overall, "swing": high_est - low_est,
            })
    table = pd.DataFrame(rows, columns=TORNADO_COLUMNS[:-1])
    if table.empty:
        return table.assign(rank=pd.Series(dtype="int64"))
    order = {str(o): k for k, o in enumerate(outputs.columns)}
    table["_size"] = table["swing"].abs()
    table = table.sort_values(["output", "_size"], ascending=[True, False], kind="stable",
                              key=lambda c: c.map(order) if c.name == "output" else c)
    table["rank"] = table.groupby("output", sort=False).cumcount().astype("int64") + 1
    return table.drop(columns="_size").reset_index(drop=True)


def run_tornado(result: Any, *, outputs: Sequence[str] | None = None, share: float = 0.2) -> pd.DataFrame:
    """:func:`tornado_table` of a run (a :class:`~basesim.montecarlo.results.RunResult` with its table).

    The inputs are the sampled inputs the run's table records; the outputs are
    names of :func:`basesim.analysis.sensitivity.output_names` (default:
    agreement and every named outcome). No model is run.
    """
    from basesim.analysis.sensitivity import check_outputs, input_names, scenario_outputs

    if getattr(result, "table", None) is None:
        raise UsageError("tornado: the run kept only its summary (--summary-only); "
                         "a tornado chart needs the per-replication table")
    scenario = result.scenario
    chosen = check_outputs(scenario, outputs)
    names = [c for c in input_names(scenario) if c in result.table.columns]
    if not names:
        raise UsageError(f"tornado: scenario {scenario.name!r} has no uncertain input")
    return tornado_table(result.table[names], scenario_outputs(scenario, result.table, chosen),
                         scenario=scenario, share=share)


def sobol_tornado(indices: Any, scenario: Scenario, *, share: float = 0.2) -> pd.DataFrame:
    """:func:`tornado_table` of a Sobol' analysis' own sample: its ``A`` and ``B`` rows (``2 n`` runs).

    Those rows are a (quasi-)random sample of every input, evaluated already
    (:attr:`basesim.analysis.sobol.SobolIndices.design`), so the tornado costs
    no model run. The inputs are those the scenario samples, as a run's table has them.
    """
    from basesim.scenario.sampling import transform

    design = getattr(indices, "design", None)
    if design is None or getattr(indices, "means", None) is None:
        raise UsageError("tornado: this Sobol' result does not keep its design; run the analysis again")
    unit = np.concatenate([design.A, design.B], axis=0)
    draws = transform(scenario, unit, replicate=np.arange(unit.shape[0]))
    inputs = pd.DataFrame({name: np.asarray(values, dtype=float) for name, values in draws.inputs.items()})
    outputs = np.concatenate([indices.f_A, indices.f_B], axis=1).T + np.asarray(indices.means)[None, :]
    frame = pd.DataFrame(np.round(outputs, 12), columns=indices.outputs)
    return tornado_table(inputs, frame, scenario=scenario, share=share)
