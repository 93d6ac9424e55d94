"""Parameter sweeps: run a scenario at every point of a design, tidy tables out.

A *design* is a DataFrame with one row per design point (index ``point``)
and one column per swept parameter, named by its dotted path
(``actors.turkey.leverage.syria``). Three ways to make one:

- :func:`grid`: the full factorial product of given values;
- :func:`latin_hypercube`: ``n`` points over ranges, one in each of ``n``
  equal slices of every range (McKay, Beckman and Conover 1979,
  doi:10.1080/00401706.1979.10489755; ``scipy.stats.qmc.LatinHypercube``);
- :func:`sobol_sample`: ``n`` points of a scrambled Sobol' sequence over
  ranges (``scipy.stats.qmc.Sobol``), for the most even coverage.

:func:`sweep` runs :func:`basesim.run` once per point with the point's
values as overrides and returns a :class:`SweepResult`: one row per point
with every summary statistic and its interval (:attr:`SweepResult.table`),
the same in long form (:attr:`SweepResult.summary`), the replications
(:meth:`SweepResult.replications`) and an xarray Dataset with the swept
parameters as dimensions (:meth:`SweepResult.to_xarray`).

Common random numbers
---------------------
By default every point is run with the same seed, so every point plays the
same replications (the same unit-hypercube rows, hence the same belief
noise, breakdown draws and draws of the parameters not swept): a difference
between two points is the effect of the parameters, not sampling noise
(common random numbers; Law, *Simulation Modeling and Analysis*, 5th ed.,
sec. 11.2). ``common_random_numbers=False`` gives every point its own
stream instead: point ``k`` uses child ``k`` of ``SeedSequence(seed)``.
Rows line up across points only when every point draws the same columns,
which holds when every swept parameter is a fixed value at every point (a
parameter that is a distribution in the scenario and fixed in the sweep
leaves the draws of all points alike, but unlike those of the scenario).
"""

from __future__ import annotations

import concurrent.futures as cf
import itertools
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import qmc

from basesim._version import __version__
from basesim.analysis.sweep_cache import SweepCache, point_key
from basesim.errors import BasesimError, UsageError
from basesim.montecarlo.runner import process_pool
from basesim.montecarlo.summary import Summary
from basesim.scenario.loader import load_scenario, scenario_hash, with_overrides
from basesim.scenario.schema import Scenario

__all__ = [
    "SweepResult",
    "grid",
    "latin_hypercube",
    "point_seeds",
    "sobol_sample",
    "statistic_name",
    "sweep",
]

#: Columns of :attr:`SweepResult.summary` after the parameter columns.
LONG_COLUMNS = ["seed", "statistic", "kind", "name", "value", "estimate", "low", "high", "count", "runs", "label"]


# --- designs -------------------------------------------------------------------------------


def _check_parameters(parameters: Mapping[str, Any], *, what: str) -> None:
    if not isinstance(parameters, Mapping) or not parameters:
        raise UsageError(f"{what}: give a mapping from dotted parameter paths to {what.split(':')[0]} values, "
                         f"e.g. {{'actors.turkey.leverage.syria': [0, 0.2, 0.4]}}; got {parameters!r}")
    for path in parameters:
        if not isinstance(path, str) or not path or " " in path:
            raise UsageError(f"{what}: {path!r} is not a dotted parameter path such as actors.turkey.leverage.syria")


def _design(columns: dict[str, Sequence[Any]]) -> pd.DataFrame:
    design = pd.DataFrame(columns)
    design.index = pd.RangeIndex(len(design), name="point")
    return design


def grid(parameters: Mapping[str, Sequence[Any]]) -> pd.DataFrame:
    """The full grid: every combination of the given values, the last path varying fastest.

    ``grid({"a": [0, 1], "b": [10, 20, 30]})`` has 6 points. Values may be
    numbers, level labels or any value an override accepts.
    """
    _check_parameters(parameters, what="grid")
    values = {}
    for path, options in parameters.items():
        if isinstance(options, (str, bytes)) or not isinstance(options, (Sequence, np.ndarray, pd.Index, pd.Series)):
            options = [options]
        options = [_plain_value(v) for v in options]
        if not options:
            raise UsageError(f"grid: {path}: give at least one value")
        values[path] = options
    rows = list(itertools.product(*values.values()))
    return _design({path: [row[j] for row in rows] for j, path in enumerate(values)})


def _plain_value(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _ranges(ranges: Mapping[str, Sequence[float]], what: str) -> tuple[np.ndarray, np.ndarray, list[bool]]:
    _check_parameters(ranges, what=what)
    lows, highs, integer = [], [], []
    for path, bounds in ranges.items():
        try:
            low, high = bounds
            low_f, high_f = float(low), float(high)
        except (TypeError, ValueError):
            raise UsageError(f"{what}: {path}: give a range as (low, high), got {bounds!r}") from None
        if not low_f < high_f:
            raise UsageError(f"{what}: {path}: low must be below high, got ({low!r}, {high!r})")
        lows.append(low_f)
        highs.append(high_f)
        integer.append(_is_int(low) and _is_int(high))
    return np.asarray(lows), np.asarray(highs), integer


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _scaled(unit: np.ndarray, ranges: Mapping[str, Any], what: str) -> pd.DataFrame:
    lows, highs, integer = _ranges(ranges, what)
    columns = {}
    for j, path in enumerate(ranges):
        if integer[j]:
            # whole numbers low..high, each with an equal share of [0, 1)
            values = np.floor(lows[j] + unit[:, j] * (highs[j] - lows[j] + 1)).astype(np.int64)
            columns[path] = np.minimum(values, int(highs[j])).tolist()
        else:
            columns[path] = (lows[j] + unit[:, j] * (highs[j] - lows[j])).tolist()
    return _design(columns)


def latin_hypercube(ranges: Mapping[str, Sequence[float]], n: int, *, rng: np.random.Generator) -> pd.DataFrame:
    """``n`` Latin hypercube points over ``{path: (low, high)}`` (``scipy.stats.qmc.LatinHypercube``).

    A range given by two integers yields whole numbers from low to high inclusive.
    """
    if not _is_int(n) or n < 1:
        raise UsageError(f"latin_hypercube: n must be a whole number >= 1, got {n!r}")
    _ranges(ranges, "latin_hypercube")
    unit = qmc.LatinHypercube(d=len(ranges), seed=rng).random(n)
    return _scaled(unit, ranges, "latin_hypercube")


def sobol_sample(ranges: Mapping[str, Sequence[float]], n: int, *, rng: np.random.Generator) -> pd.DataFrame:
    """``n`` scrambled Sobol' points over ``{path: (low, high)}`` (``scipy.stats.qmc.Sobol``).

    ``n`` must be a power of 2 (the balance property of Sobol' points). A
    range given by two integers yields whole numbers from low to high inclusive.
    """
    if not _is_int(n) or n < 1 or n & (n - 1):
        raise UsageError(f"sobol_sample: n must be a power of 2 (e.g. 16, 64, 256), got {n!r}")
    _ranges(ranges, "sobol_sample")
    unit = qmc.Sobol(d=len(ranges), scramble=True, seed=rng).random(n)
    return _scaled(unit, ranges, "sobol_sample")


# --- seeds ----------------------------------------------------------------------------------


def point_seeds(seed: int, points: int, *, common_random_numbers: bool = True) -> list[int]:
    """The seed of every design point.

    With common random numbers every point gets ``seed`` itself. Without,
    point ``k`` gets a 64-bit seed from child ``k`` of
    ``SeedSequence(seed)`` (``spawn``): independent streams, and the same
    point keeps its seed if the design grows.
    """
    if common_random_numbers:
        return [int(seed)] * points
    children = np.random.SeedSequence(int(seed)).spawn(points)
    return [int(child.generate_state(1, dtype=np.uint64)[0]) for child in children]


# --- statistics ------------------------------------------------------------------------------


def statistic_name(kind: str, name: str, value: str) -> str:
    """The column name of a summary statistic in a sweep's wide table.

    ``result``/``result``/``agreement`` -> ``result.agreement``;
    ``outcome``/``russia_keeps_tartus``/``true`` -> ``outcome.russia_keeps_tartus``;
    ``level``/``tartus``/``full lease`` -> ``level.tartus.full lease``;
    ``quantile``/``compensation.amount``/``p50`` -> ``quantile.compensation.amount.p50``.
    """
    if kind == "result":
        return f"result.{value}"
    if kind == "outcome":
        return f"outcome.{name}"
    return f"{kind}.{name}.{value}"


def _long_rows(summary: Summary, point: int, values: Mapping[str, Any], seed: int) -> pd.DataFrame:
    table = summary.table.copy()
    table.insert(0, "statistic", [statistic_name(k, n, v) for k, n, v in
                                  zip(table["kind"], table["name"], table["value"])])
    table.insert(0, "seed", seed)
    for path, value in reversed(list(values.items())):
        table.insert(0, path, [value] * len(table))
    table.insert(0, "point", point)
    return table


# --- the result ------------------------------------------------------------------------------


@dataclass
class SweepResult:
    """The results of a sweep, for tables, arrays and figures.

    - ``design``: the design (index ``point``, one column per parameter);
    - ``summary``: long and tidy, one row per (point, statistic): ``point``,
      the parameters, ``seed``, ``statistic`` (see :func:`statistic_name`),
      then the summary columns ``kind``, ``name``, ``value``, ``estimate``,
      ``low``, ``high``, ``count``, ``runs``, ``label``;
    - :attr:`table`: wide, one row per point: ``point``, the parameters,
      ``seed``, ``runs``, then per statistic its estimate (column named by the
      statistic) and ``STATISTIC_low`` / ``STATISTIC_high``;
    - :meth:`replications`: every replication of every point (when kept);
    - :meth:`to_xarray`: the statistics as arrays over the swept parameters;
    - ``provenance``: seed, common random numbers or not, runs, the scenario's hash.
    """

    scenario: Scenario
    design: pd.DataFrame
    summary: pd.DataFrame
    provenance: dict[str, Any]
    computed: list[int] = field(default_factory=list)
    _replications: pd.DataFrame | None = field(default=None, repr=False)

    def __repr__(self) -> str:  # one line; see analysis.display
        from basesim.analysis.display import sweep_repr

        return sweep_repr(self)

    def _repr_html_(self) -> str:  # notebooks
        from basesim.analysis.display import sweep_html

        return sweep_html(self)

    @property
    def parameters(self) -> list[str]:
        """The swept parameters' dotted paths."""
        return list(self.design.columns)

    @property
    def statistics(self) -> list[str]:
        """Every statistic, in the order of the summary table."""
        return list(dict.fromkeys(self.summary["statistic"]))

    @property
    def table(self) -> pd.DataFrame:
        """One row per design point: parameters, seed, runs, each statistic with its interval."""
        stats_order = self.statistics
        long = self.summary
        wide = long.pivot(index="point", columns="statistic", values=["estimate", "low", "high"])
        columns: dict[str, Any] = {}
        for stat in stats_order:
            columns[stat] = wide[("estimate", stat)]
            columns[f"{stat}_low"] = wide[("low", stat)]
            columns[f"{stat}_high"] = wide[("high", stat)]
        statistics = pd.DataFrame(columns, index=wide.index)
        first = long.drop_duplicates("point").set_index("point")
        head = self.design.copy()
        head["seed"] = first["seed"].reindex(head.index)
        head["runs"] = first["runs"].reindex(head.index)
        table = pd.concat([head, statistics.reindex(head.index)], axis=1)
        return table.reset_index()

    def label(self, statistic: str) -> str:
        """A human label of a statistic (``Russia keeps Tartus``, ``Agreement``, ``Tartus naval base: full lease``)."""
        rows = self.summary.loc[self.summary["statistic"] == statistic, "label"]
        if rows.empty:
            raise UsageError(f"statistic: {statistic!r} is not a statistic of this sweep; expected one of "
                             f"{', '.join(self.statistics)}")
        label = str(rows.iloc[0])
        return label[:1].upper() + label[1:] if statistic.startswith("result.") else label

    def replications(self) -> pd.DataFrame:
        """Every replication of every point: ``point``, the parameters, then the run's table.

        Raises :class:`~basesim.errors.UsageError` unless the sweep kept them
        (``sweep(..., keep_replications=True)``).
        """
        if self._replications is None:
            raise UsageError("replications: this sweep kept only summaries; "
                             "run it with keep_replications=True to keep every replication")
        return self._replications

    def is_grid(self) -> bool:
        """True when the design is the full product of each parameter's distinct values."""
        design = self.design
        try:
            distinct = [design[c].nunique() for c in design.columns]
            duplicated = design.duplicated().any()
        except TypeError:  # unhashable values (e.g. a distribution as a value)
            return False
        return not duplicated and int(np.prod(distinct)) == len(design)

    def to_xarray(self) -> Any:
        """An ``xarray.Dataset``: variables ``estimate``, ``low``, ``high``, ``count``.

        Every parameter coordinate carries its human label as ``long_name``
        (``Turkey's leverage over Syria``; xarray's plots show it) and its
        dotted path as ``path``; the ``label`` coordinate names each statistic.

        For a grid, the dimensions are the swept parameters and ``statistic``;
        for any other design, ``point`` and ``statistic``, with the parameters
        as coordinates along ``point``.
        """
        long = self.summary
        variables = ["estimate", "low", "high", "count"]
        if self.is_grid():
            indexed = long.set_index([*self.parameters, "statistic"])[variables]
            dataset = indexed.to_xarray()
        else:
            dataset = long.set_index(["point", "statistic"])[variables].to_xarray()
            dataset = dataset.assign_coords({p: ("point", self.design[p].to_numpy()) for p in self.parameters})
        dataset = dataset.reindex(statistic=self.statistics)
        labels = long.drop_duplicates("statistic").set_index("statistic")["label"]
        dataset = dataset.assign_coords(label=("statistic", labels.reindex(dataset["statistic"].values).to_numpy()))
        dataset.attrs.update({k: str(v) for k, v in self.provenance.items() if k in ("seed", "runs", "scenario_hash",
                                                                                   "common_random_numbers")})
        from basesim.analysis.labels import input_label

        for parameter in self.parameters:  # human names, which xarray's plots use for their axes
            dataset[parameter].attrs.update(long_name=input_label(self.scenario, parameter), path=parameter)
        dataset["statistic"].attrs.update(long_name="statistic")
        return dataset

    def save(self, folder: str | Path) -> dict[str, Path]:
        """Write ``sweep.csv`` (wide), ``sweep_long.csv``, ``scenario.resolved.yaml`` (the base scenario,
        for reports) and, if kept, ``replications.parquet`` into ``folder``; return the paths by name."""
        from basesim.montecarlo.results import atomic_write, check_writable
        from basesim.scenario.loader import dump_scenario

        folder = check_writable(folder)
        folder.mkdir(parents=True, exist_ok=True)
        written = {"table": folder / "sweep.csv", "summary": folder / "sweep_long.csv"}
        with atomic_write(written["table"]) as f:
            self.table.to_csv(f, index=False)
        with atomic_write(written["summary"]) as f:
            self.summary.to_csv(f, index=False)
        written["scenario"] = folder / "scenario.resolved.yaml"
        with atomic_write(written["scenario"]) as f:
            f.write(dump_scenario(self.scenario))
        if self._replications is not None:
            written["replications"] = folder / "replications.parquet"
            with atomic_write(written["replications"], binary=True) as f:
                self._replications.to_parquet(f, index=False)
        return written


# --- running a sweep --------------------------------------------------------------------------


def _as_design(design: Any) -> pd.DataFrame:
    if isinstance(design, pd.DataFrame):
        if design.empty or not len(design.columns):
            raise UsageError("design: the design has no points or no parameters")
        frame = design.reset_index(drop=True)
        frame.index = pd.RangeIndex(len(frame), name="point")
        return frame
    if isinstance(design, Mapping):
        return grid(design)
    raise UsageError(f"design: give a mapping {{path: [values]}} (a grid) or a design DataFrame, got {type(design).__name__}")


def _point_values(design: pd.DataFrame, point: int) -> dict[str, Any]:
    return {path: _plain_value(design.at[point, path]) for path in design.columns}


def _describe(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in values.items())


#: Called after every finished point as ``progress(points_done, points_total)``.
Progress = Callable[[int, int], None]


def sweep(
    scenario: Scenario | str | Path,
    design: Mapping[str, Sequence[Any]] | pd.DataFrame,
    *,
    runs: int | None = None,
    seed: int | None = None,
    common_random_numbers: bool = True,
    protocol: str | None = None,
    keep_replications: bool = False,
    cache: str | Path | None = None,
    workers: int | None = None,
    executor: cf.Executor | None = None,
    progress: Progress | None = None,
) -> SweepResult:
    """Run ``scenario`` at every point of ``design``; return a :class:`SweepResult`.

    ``design`` is ``{path: [values]}`` for a full :func:`grid`, or a design
    DataFrame (:func:`grid`, :func:`latin_hypercube`, :func:`sobol_sample`).
    Each point is ``basesim.run(scenario, overrides=point, runs=runs,
    seed=point_seed, protocol=protocol)``.

    - ``runs``: replications per point (default ``monte_carlo.runs``);
      ``seed``: default ``monte_carlo.seed``, else drawn and recorded in
      ``provenance``;
    - ``common_random_numbers``: every point uses ``seed`` (default), or
      its own stream (:func:`point_seeds`);
    - ``keep_replications``: keep every replication for :meth:`SweepResult.replications`;
    - ``cache``: a folder where finished points are kept
      (:class:`~basesim.analysis.sweep_cache.SweepCache`); a sweep run again with the
      same cache recomputes no finished point;
    - ``workers`` / ``executor``: as for :func:`basesim.run` (one process
      pool serves every point; a dask ``client.get_executor()`` works);
    - ``progress``: called as ``progress(points_done, points_total)``.

    Every point's scenario is checked before anything runs.
    """
    from basesim.montecarlo.runner import (
        check_positive,
        check_protocol,
        check_seed,
        resolve_seed,
        run,
    )

    runs = check_positive(runs, option="runs")
    seed = check_seed(seed)
    protocol = check_protocol(protocol)
    workers = check_positive(workers, option="workers")
    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    frame = _as_design(design)
    runs = runs or base.monte_carlo.runs
    seed, seed_source = resolve_seed(base, seed)
    seeds = point_seeds(seed, len(frame), common_random_numbers=common_random_numbers)

    # check every point before running any
    point_scenarios: list[Scenario] = []
    for point in frame.index:
        values = _point_values(frame, point)
        try:
            point_scenarios.append(with_overrides(base, values))
        except BasesimError as exc:
            raise type(exc)(*_with_point(exc, point, values)) from exc

    store = SweepCache(cache) if cache is not None else None
    base_hash = scenario_hash(base)

    workers = workers or os.cpu_count() or 1
    own_pool = executor is None and workers > 1
    pool = process_pool(workers) if own_pool else executor

    long_parts: list[pd.DataFrame] = []
    replication_parts: list[pd.DataFrame] = []
    computed: list[int] = []
    try:
        for done, point in enumerate(frame.index):
            values = _point_values(frame, point)
            key = point_key(scenario_hash=base_hash, point=values, seed=seeds[point], runs=runs,
                            protocol=protocol, version=__version__)
            cached = store.get(key, scenario=point_scenarios[point], replications=keep_replications) if store else None
            if cached is not None:
                summary, table = cached.summary, cached.replications
            else:
                result = run(base, overrides=values, runs=runs, seed=seeds[point], protocol=protocol,
                             workers=1 if pool is None else workers, executor=pool,
                             summary_only=not keep_replications)
                summary, table = result.summary, result.table
                computed.append(int(point))
                if store is not None:
                    store.put(key, point=values, seed=seeds[point], runs=runs, summary=summary,
                              replications=table if keep_replications else None)
            long_parts.append(_long_rows(summary, int(point), values, seeds[point]))
            if keep_replications and table is not None:
                replication_parts.append(_with_design_columns(table, int(point), values))
            if progress is not None:
                progress(done + 1, len(frame))
    finally:
        if own_pool:
            pool.shutdown(wait=True, cancel_futures=True)

    long = pd.concat(long_parts, ignore_index=True)
    provenance = {
        "scenario": base.name,
        "scenario_hash": base_hash,
        "seed": seed,
        "seed_source": seed_source,
        "common_random_numbers": bool(common_random_numbers),
        "runs": int(runs),
        "protocol": protocol or base.protocol.name,
        "points": len(frame),
        "parameters": list(frame.columns),
        "computed": len(computed),
        "from_cache": len(frame) - len(computed),
        "cache": None if cache is None else str(cache),
        "version": __version__,
    }
    return SweepResult(
        scenario=base,
        design=frame,
        summary=long,
        provenance=provenance,
        computed=computed,
        _replications=pd.concat(replication_parts, ignore_index=True) if replication_parts else None,
    )


def _with_point(exc: BasesimError, point: int, values: Mapping[str, Any]) -> tuple[Any, ...]:
    """Constructor arguments of ``exc`` with the sweep point named in front."""
    from basesim.errors import Problem, ScenarioError

    where = f"sweep point {point} ({_describe(values)})"
    if isinstance(exc, ScenarioError):
        return ([Problem(p.path, p.message, where if p.file in (None, "--set") else f"{where}: {p.file}", p.line)
                 for p in exc.problems],)
    return (f"{where}: {exc}",)


def _with_design_columns(table: pd.DataFrame, point: int, values: Mapping[str, Any]) -> pd.DataFrame:
    front = pd.DataFrame({"point": np.full(len(table), point, dtype=np.int64)})
    for path, value in values.items():
        # a swept path that is also a sampled input is already a column of the table
        if path not in table.columns:
            front[path] = [value] * len(table)
    return pd.concat([front, table.reset_index(drop=True)], axis=1)
