"""Differences between scenarios (or protocols) in points, with paired intervals.

``basesim compare`` runs every scenario with the same seed, so replication
``k`` of each scenario draws from the same random stream (common random
numbers): where the scenarios sample the same inputs, run ``k`` of one and
run ``k`` of the other differ only by what the scenarios change. The
difference of two probabilities is then estimated from the pairs, and its
interval is Newcombe's hybrid score interval for paired proportions
(Newcombe 1998, *Improved confidence intervals for the difference between
binomial proportions based on paired data*, Statistics in Medicine
17:2635-2650, method 10), which uses the correlation between the pairs: it
is much narrower than the unpaired interval when the pairs agree, and
reduces to it (Newcombe 1998, Statistics in Medicine 17:873-890, method 10)
when they are independent. Runs without their per-replication tables, or of
different sizes, are compared unpaired.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from basesim.errors import UsageError
from basesim.montecarlo.summary import wilson_interval

__all__ = ["DIFFERENCE_COLUMNS", "newcombe_paired", "newcombe_unpaired", "scenario_differences"]

#: Columns of :func:`scenario_differences`.
DIFFERENCE_COLUMNS = ["variant", "reference", "kind", "name", "label", "estimate", "reference_estimate",
                      "difference", "low", "high", "paired", "runs"]


def _wilson(count: float, n: float) -> tuple[float, float]:
    low, high = wilson_interval(np.array([int(count)]), np.array([int(n)]))
    return float(low[0]), float(high[0])


def newcombe_paired(both: int, first_only: int, second_only: int, neither: int) -> tuple[float, float, float]:
    """Difference ``p1 - p2`` of two paired proportions and its 95% interval (Newcombe 1998, method 10).

    The four counts are of pairs where the event holds in both, only in the
    first, only in the second, and in neither. ``p1 = (both + first_only) / n``,
    ``p2 = (both + second_only) / n``; with Wilson intervals ``[l1, u1]``,
    ``[l2, u2]`` and the phi coefficient ``phi`` of the 2x2 table (0 when a
    margin is empty), the limits are ``d - sqrt((p1-l1)^2 - 2 phi (p1-l1)(u2-p2) + (u2-p2)^2)``
    and ``d + sqrt((u1-p1)^2 - 2 phi (u1-p1)(p2-l2) + (p2-l2)^2)``.
    """
    a, b, c, d = (float(v) for v in (both, first_only, second_only, neither))
    n = a + b + c + d
    if n == 0:
        return np.nan, np.nan, np.nan
    p1, p2 = (a + b) / n, (a + c) / n
    l1, u1 = _wilson(a + b, n)
    l2, u2 = _wilson(a + c, n)
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    phi = (a * d - b * c) / np.sqrt(margins) if margins > 0 else 0.0
    if a * d - b * c > 0:  # Newcombe's correction: use max(ad - bc - n/2, 0) for a positive phi
        phi = max(a * d - b * c - n / 2, 0.0) / np.sqrt(margins) if margins > 0 else 0.0
    diff = p1 - p2
    lower = np.sqrt(max((p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2, 0.0))
    upper = np.sqrt(max((u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2, 0.0))
    return diff, max(diff - lower, -1.0), min(diff + upper, 1.0)


def newcombe_unpaired(count1: int, n1: int, count2: int, n2: int) -> tuple[float, float, float]:
    """Difference of two independent proportions and its 95% hybrid score interval (Newcombe 1998, method 10)."""
    if n1 == 0 or n2 == 0:
        return np.nan, np.nan, np.nan
    p1, p2 = count1 / n1, count2 / n2
    l1, u1 = _wilson(count1, n1)
    l2, u2 = _wilson(count2, n2)
    diff = p1 - p2
    return diff, diff - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), diff + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def _events(result: Any) -> dict[tuple[str, str], tuple[str, np.ndarray | None, int]]:
    """(kind, name) -> (label, per-run 0/1 array or None, count) for results and named outcomes."""
    from basesim.scenario.schema import RESULTS

    scenario, table, summary = result.scenario, result.table, result.summary
    counts = summary.counts
    found: dict[tuple[str, str], tuple[str, np.ndarray | None, int]] = {}
    for k, name in enumerate(RESULTS):
        flags = None if table is None else (table["result"].astype(str).to_numpy() == name)
        found[("result", name)] = (name, flags, int(counts.result[k]))
    for k, name in enumerate(scenario.outcomes):
        label = scenario.outcomes[name].label or name.replace("_", " ")
        column = f"outcome.{name}"
        flags = None if table is None or column not in table else table[column].to_numpy(dtype=bool)
        found[("outcome", name)] = (label, flags, int(counts.outcomes[k]))
    return found


def scenario_differences(results: Mapping[str, Any], *, reference: str | None = None) -> pd.DataFrame:
    """Every variant's difference from the reference (default: the first) in each result and named outcome.

    ``results`` maps variant names to RunResults. One row per (variant,
    question) for every variant but the reference, over the questions both
    have: ``estimate`` and ``reference_estimate`` (probabilities),
    ``difference`` = estimate - reference_estimate with its 95% interval
    [``low``, ``high``], ``paired`` (True when the interval is Newcombe's
    paired one: both tables at hand, the same number of runs and the same
    seed) and ``runs``. See the module docstring.
    """
    if len(results) < 2:
        raise UsageError("differences: give at least two runs to compare")
    names = list(results)
    reference = names[0] if reference is None else reference
    if reference not in results:
        raise UsageError(f"differences: the reference {reference!r} is not one of {', '.join(names)}")
    base = results[reference]
    base_events = _events(base)
    base_seed = (getattr(base, "provenance", None) or {}).get("seed")
    rows = []
    for variant in names:
        if variant == reference:
            continue
        other = results[variant]
        seed = (getattr(other, "provenance", None) or {}).get("seed")
        for key, (label, flags, count) in _events(other).items():
            if key not in base_events:
                continue
            _, base_flags, base_count = base_events[key]
            paired = (flags is not None and base_flags is not None and len(flags) == len(base_flags)
                      and seed is not None and seed == base_seed)
            if paired:
                both = int(np.sum(flags & base_flags))
                diff, low, high = newcombe_paired(both, int(np.sum(flags & ~base_flags)),
                                                  int(np.sum(~flags & base_flags)), int(np.sum(~flags & ~base_flags)))
            else:
                diff, low, high = newcombe_unpaired(count, other.runs, base_count, base.runs)
            rows.append({"variant": variant, "reference": reference, "kind": key[0], "name": key[1], "label": label,
                         "estimate": count / other.runs, "reference_estimate": base_count / base.runs,
                         "difference": diff, "low": low, "high": high, "paired": bool(paired), "runs": other.runs})
    return pd.DataFrame(rows, columns=DIFFERENCE_COLUMNS)
