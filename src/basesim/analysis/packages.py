"""Which deals the talks reach: agreed packages (one level of every issue) and clusters of them.

A *package* is one outcome: a level of every issue. The agreed packages of a
run are counted from its per-replication table; each gets its chance over
all runs and its share of the deals, with Wilson 95% intervals. When deals
spread over many packages (the baseline's agreements fall on about 190 of
288, none above 2.5%), no single package is "the likely deal"; grouping
them by the levels of two issues (*clusters*: e.g. what happens to each base)
shows where the deals concentrate.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from basesim.errors import UsageError
from basesim.montecarlo.summary import wilson_interval
from basesim.scenario.schema import Scenario

__all__ = ["cluster_issues", "deal_clusters", "deal_packages"]

_SEPARATOR = " \u00b7 "


def _table(result: Any) -> tuple[Scenario, pd.DataFrame]:
    table = getattr(result, "table", None)
    if table is None:
        raise UsageError("deal packages: the run kept only its summary (--summary-only); "
                         "counting packages needs the per-replication table")
    return result.scenario, table


def _estimates(count: np.ndarray, runs: int) -> dict[str, np.ndarray]:
    count = np.asarray(count, dtype=np.int64)
    total = np.full(count.shape, runs, dtype=np.int64)
    low, high = wilson_interval(count, total)
    return {"estimate": count / max(runs, 1), "low": low, "high": high}


def deal_packages(result: Any, *, top: int | None = 10) -> pd.DataFrame:
    """The agreed packages of a run, most frequent first (``top`` of them; ``None`` for all).

    Columns: ``package`` (the levels joined by `` · `` in issue order), one
    column per issue (its level label), ``count``, ``runs`` (all runs), the
    chance over all runs ``estimate`` [``low``, ``high``], ``deals`` (runs
    ending in agreement) and the share of deals ``share`` [``share_low``,
    ``share_high``], Wilson 95% intervals; ``rank`` from 1.
    """
    scenario, table = _table(result)
    issues = scenario.issue_names
    deals = table[table["result"].astype(str) == "agreement"]
    runs, n_deals = len(table), len(deals)
    columns = ["package", *issues, "count", "runs", "estimate", "low", "high", "deals", "share", "share_low",
               "share_high", "rank"]
    if n_deals == 0:
        return pd.DataFrame(columns=columns)
    levels = deals[[f"{i}_level" for i in issues]].to_numpy()
    unique, counts = np.unique(levels, axis=0, return_counts=True)
    order = np.lexsort((*unique.T[::-1], -counts))  # most frequent first, then by levels
    unique, counts = unique[order], counts[order]
    if top is not None:
        unique, counts = unique[:top], counts[:top]
    frame = pd.DataFrame({issue: [scenario.issues[issue].labels[int(k)] for k in unique[:, j]]
                          for j, issue in enumerate(issues)})
    frame.insert(0, "package", frame[issues].astype(str).agg(_SEPARATOR.join, axis=1))
    frame["count"] = counts
    frame["runs"] = runs
    for key, value in _estimates(counts, runs).items():
        frame[key] = value
    frame["deals"] = n_deals
    share = _estimates(counts, n_deals)
    frame["share"], frame["share_low"], frame["share_high"] = share["estimate"], share["low"], share["high"]
    frame["rank"] = np.arange(1, len(frame) + 1)
    return frame[columns]


def cluster_issues(scenario: Scenario) -> list[str]:
    """The two issues deals are clustered by unless told: issues without money amounts first, then those
    with the most levels, in scenario order (the baseline's two bases); one issue if there is only one."""
    names = scenario.issue_names
    ranked = sorted(names, key=lambda i: (scenario.issues[i].amounts is not None, -len(scenario.issues[i].labels),
                                          names.index(i)))
    return ranked[:2]


def deal_clusters(result: Any, *, by: Sequence[str] | None = None) -> pd.DataFrame:
    """Deals grouped by the levels of one or two issues (``by``, default :func:`cluster_issues`).

    One row per combination of levels (every combination, also those never
    agreed): a column per issue of ``by`` (level label, in level order),
    ``count`` of deals there, ``packages`` (distinct agreed packages in the
    cluster), the chance over all runs ``estimate`` [``low``, ``high``] and
    the share of deals ``share`` [``share_low``, ``share_high``].
    """
    scenario, table = _table(result)
    by = list(by) if by is not None else cluster_issues(scenario)
    if not 1 <= len(by) <= 2:
        raise UsageError(f"deal clusters: give one or two issues to cluster by, got {len(by)}")
    for issue in by:
        if issue not in scenario.issues:
            raise UsageError(f"deal clusters: {issue!r} is not an issue of scenario {scenario.name!r}; "
                             f"expected one of {', '.join(scenario.issue_names)}")
    deals = table[table["result"].astype(str) == "agreement"]
    runs, n_deals = len(table), len(deals)
    shape = [len(scenario.issues[i].labels) for i in by]
    index = np.ravel_multi_index([deals[f"{i}_level"].to_numpy(dtype=np.int64) for i in by], shape) \
        if n_deals else np.zeros(0, dtype=np.int64)
    counts = np.bincount(index, minlength=int(np.prod(shape)))
    all_levels = deals[[f"{i}_level" for i in scenario.issue_names]].to_numpy()
    packages = np.zeros(counts.size, dtype=np.int64)
    if n_deals:
        distinct = np.unique(np.column_stack([index, all_levels]), axis=0)
        packages = np.bincount(distinct[:, 0], minlength=counts.size)
    grid = np.array(np.unravel_index(np.arange(counts.size), shape)).T
    frame = pd.DataFrame({issue: pd.Categorical([scenario.issues[issue].labels[k] for k in grid[:, j]],
                                                categories=scenario.issues[issue].labels, ordered=True)
                          for j, issue in enumerate(by)})
    frame["count"] = counts
    frame["packages"] = packages
    frame["runs"] = runs
    for key, value in _estimates(counts, runs).items():
        frame[key] = value
    frame["deals"] = n_deals
    share = _estimates(counts, max(n_deals, 1))
    frame["share"], frame["share_low"], frame["share_high"] = share["estimate"], share["low"], share["high"]
    if n_deals == 0:
        frame[["share", "share_low", "share_high"]] = np.nan
    return frame
