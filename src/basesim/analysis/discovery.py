"""Scenario discovery: which combinations of inputs lead to an outcome (PRIM boxes).

The Patient Rule Induction Method (Friedman and Fisher 1999, *Bump hunting
in high-dimensional data*, Statistics and Computing 9:123-143,
doi:10.1023/A:1008894516817), used for scenario discovery as Bryant and
Lempert (2010, *Thinking inside the box*, Technological Forecasting and
Social Change 77(1):34-49, doi:10.1016/j.techfore.2009.08.002) and the EMA
Workbench do: among the runs of a Monte Carlo sample, find a box (a range
for a few inputs, a set of values for a yes/no input) inside which the
outcome of interest is much more common than overall. A box is judged by

- **coverage**: the share of all the runs where the outcome holds that fall
  inside the box (how much of the story it tells);
- **density**: the share of the runs inside the box where the outcome holds
  (how sure the story is);
- **mass**: the share of all runs inside the box; and the number of
  restricted inputs (how simple it is to say).

PRIM peels thin slices off the box (``peel_alpha`` of the runs at a time)
while density rises, tracing a trajectory from full coverage and low density
to low coverage and high density; :func:`discover` keeps the densest box on
the trajectory whose coverage is still at least ``min_coverage``. The
quasi-p-value of each restriction (the EMA Workbench's binomial test) says
whether it matters.

The algorithm is the ``prim`` package (Project Platypus, a standalone port
of the EMA Workbench's PRIM; GPL-3.0-or-later), chosen over the EMA
Workbench itself because the Workbench brings scikit-learn, statsmodels,
seaborn, SALib and platypus-opt (about 600 MB) for this one algorithm.
``prim`` imports matplotlib's pyplot when it loads, so it is imported only
when :func:`discover` runs. Its licence (GPL-3.0-or-later) differs from
basesim's (MIT), so it is an optional extra (``basesim[discovery]``, also in
``basesim[test]``): without it, :func:`discover` says how to install it and
reports leave their discovery section out.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from basesim.analysis.labels import input_label
from basesim.errors import UsageError
from basesim.scenario.schema import Scenario

__all__ = ["Box", "Discovery", "discover", "discover_inputs"]


@dataclass(frozen=True)
class Box:
    """One PRIM box: its restrictions and how well it describes the outcome.

    ``limits`` has one row per restricted input: ``input`` (dotted path),
    ``label``, ``kind`` (``range`` or ``values``), ``low`` / ``high`` (a
    range's bounds, inclusive), ``values`` (the allowed values of a yes/no or
    few-valued input), ``qp`` (the restriction's quasi-p-value), ``full_low``
    / ``full_high`` (the input's range over all runs).
    """

    coverage: float
    density: float
    mass: float
    runs: int
    cases: int
    limits: pd.DataFrame

    @property
    def restricted(self) -> int:
        return len(self.limits)

    def describe(self) -> list[str]:
        """The restrictions in words, one per input: ``Turkey's leverage over Syria from 0.05 to 0.12``."""
        lines = []
        for row in self.limits.itertuples():
            if row.kind == "values":
                lines.append(f"{row.label}: {row.values}")
            else:
                lines.append(f"{row.label} from {_num(row.low)} to {_num(row.high)} "
                             f"(all runs: {_num(row.full_low)} to {_num(row.full_high)})")
        return lines


@dataclass
class Discovery:
    """The result of :func:`discover`: the boxes found, the peeling trajectory of the first, and the setting."""

    output: str
    label: str
    runs: int
    cases: int
    boxes: list[Box]
    trajectory: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def base_density(self) -> float:
        """The share of all runs where the outcome holds (what a box's density is compared with)."""
        return self.cases / self.runs if self.runs else float("nan")

    def table(self) -> pd.DataFrame:
        """Every box's restrictions stacked: ``box`` (from 1), coverage, density, mass, then the limits."""
        parts = [box.limits.assign(box=k + 1, coverage=box.coverage, density=box.density, mass=box.mass)
                 for k, box in enumerate(self.boxes)]
        if not parts:
            return pd.DataFrame(columns=["box", "coverage", "density", "mass", "input", "label", "kind", "low",
                                         "high", "values", "qp", "full_low", "full_high"])
        frame = pd.concat(parts, ignore_index=True)
        first = ["box", "coverage", "density", "mass"]
        return frame[first + [c for c in frame.columns if c not in first]]


def _num(x: float) -> str:
    return f"{x:.3g}"


def discover_inputs(result: Any) -> pd.DataFrame:
    """The inputs PRIM searches over: the sampled inputs of a run's table that vary (yes/no ones as 0/1 integers,
    which PRIM peels as discrete values; its categorical peeling does not run on pandas 3)."""
    from basesim.analysis.sensitivity import input_names

    table = getattr(result, "table", None)
    if table is None:
        raise UsageError("discover: the run kept only its summary (--summary-only); "
                         "scenario discovery needs the per-replication table")
    names = [c for c in input_names(result.scenario) if c in table.columns and table[c].nunique(dropna=False) > 1]
    if not names:
        raise UsageError(f"discover: scenario {result.scenario.name!r} has no uncertain input to search over")
    frame = table[names].copy()
    for name in names:
        if frame[name].dtype == bool or set(pd.unique(frame[name])) <= {0, 1, 0.0, 1.0, True, False}:
            frame[name] = frame[name].astype(np.int64)
        else:
            frame[name] = frame[name].astype(float)
    return frame


def _limits(scenario: Scenario, inputs: pd.DataFrame, box: Any) -> pd.DataFrame:
    raw = box.limits  # index: restricted inputs; columns min, max, qp values
    rows = []
    for name in raw.index:
        column = inputs[str(name)]
        row = {"input": str(name), "label": input_label(scenario, str(name)), "qp": float(raw.loc[name, "qp values"]),
               "full_low": float(column.min()), "full_high": float(column.max())}
        if set(pd.unique(column)) <= {0, 1}:  # a yes/no input: the value the box keeps
            low, high = float(raw.loc[name, "min"]), float(raw.loc[name, "max"])
            kept = [v for v in (0.0, 1.0) if low <= v <= high]
            row.update(kind="values", low=low, high=high, values=" or ".join("yes" if v else "no" for v in kept))
        else:
            row.update(kind="range", low=float(raw.loc[name, "min"]), high=float(raw.loc[name, "max"]), values="")
        rows.append(row)
    columns = ["input", "label", "kind", "low", "high", "values", "qp", "full_low", "full_high"]
    return pd.DataFrame(rows, columns=columns)


def _simplify(box: Any, *, max_restricted: int, significance: float) -> None:
    """Drop a box's restrictions one at a time: those not significant, then the least significant past the cap."""
    while True:
        limits = box.limits
        if limits.empty:
            return
        worst = limits["qp values"].idxmax()
        if float(limits.loc[worst, "qp values"]) <= significance and len(limits) <= max_restricted:
            return
        box.drop_restriction(str(worst))


def discover(result: Any, *, output: str | None = None, min_coverage: float = 0.5, boxes: int = 1,
             peel_alpha: float = 0.05, paste_alpha: float = 0.05, mass_min: float = 0.05,
             inputs: Sequence[str] | None = None, max_inputs: int | None = 8, max_restricted: int = 4,
             significance: float = 0.05) -> Discovery:
    """PRIM boxes for one outcome of a run (a :class:`~basesim.montecarlo.results.RunResult` with its table).

    ``output`` is a yes/no output of :func:`basesim.analysis.sensitivity.output_names`
    (``outcome.NAME``, a bare named outcome, or ``result.agreement``...;
    default: the first named outcome, else agreement). ``min_coverage``
    chooses each box on its peeling trajectory (the densest with at least
    that coverage); ``boxes`` is how many boxes to find in turn (each among
    the runs the earlier boxes leave out); ``peel_alpha``, ``paste_alpha``
    and ``mass_min`` are PRIM's settings (as in the EMA Workbench);
    ``inputs`` limits the search to some inputs (dotted paths); without it
    the search screens the inputs first and keeps the ``max_inputs`` with the
    largest tornado swings for this outcome (:mod:`basesim.analysis.tornado`;
    ``None`` keeps them all). A chosen box then loses, one at a time, its
    restrictions whose quasi-p-value is above ``significance`` and, past
    ``max_restricted``, its least significant ones, so it stays a story a
    reader can follow (Bryant and Lempert 2010, sec. 3). Boxes that restrict
    nothing are not reported. No model is run.
    """
    from basesim.analysis.sensitivity import check_outputs, output_label, scenario_outputs

    scenario = result.scenario
    if not 0.0 < min_coverage <= 1.0:
        raise UsageError(f"discover: min_coverage must be in (0, 1], got {min_coverage}")
    if not isinstance(boxes, int) or boxes < 1:
        raise UsageError(f"discover: boxes must be a whole number >= 1, got {boxes!r}")
    for name, value in (("peel_alpha", peel_alpha), ("paste_alpha", paste_alpha), ("mass_min", mass_min)):
        if not 0.0 < value < 1.0:
            raise UsageError(f"discover: {name} must be in (0, 1), got {value}")
    default = [f"outcome.{next(iter(scenario.outcomes))}"] if scenario.outcomes else ["result.agreement"]
    chosen = check_outputs(scenario, [output] if output else default, option="--output")[0]
    frame = discover_inputs(result)
    if inputs is not None:
        unknown = [name for name in inputs if name not in frame.columns]
        if unknown:
            raise UsageError(f"discover: {unknown[0]!r} is not an uncertain input of the run; expected one of "
                             f"{', '.join(frame.columns)}")
        frame = frame[list(inputs)]
    y = scenario_outputs(scenario, result.table, [chosen])[chosen].to_numpy(dtype=float)
    if not np.isin(y, (0.0, 1.0)).all():
        raise UsageError(f"discover: {chosen!r} is not a yes/no outcome; give a named outcome or a result "
                         "(e.g. result.agreement)")
    cases = int(y.sum())
    label = output_label(scenario, chosen)
    settings = {"min_coverage": min_coverage, "peel_alpha": peel_alpha, "paste_alpha": paste_alpha,
                "mass_min": mass_min, "boxes": boxes}
    if cases == 0 or cases == len(y):
        raise UsageError(f"discover: {label!r} holds in {'none' if cases == 0 else 'all'} of the {len(y):,} runs; "
                         "there is nothing to tell apart")
    if inputs is None and max_inputs is not None and frame.shape[1] > max_inputs:
        from basesim.analysis.tornado import tornado_table

        swings = tornado_table(frame, pd.DataFrame({chosen: y}, index=frame.index))
        frame = frame[list(swings.sort_values("rank")["input"].head(max_inputs))]
    settings["inputs"] = list(frame.columns)
    try:
        import prim  # noqa: PLC0415 (imports pyplot: only when discovery runs)
    except ImportError:
        raise UsageError("scenario discovery needs the optional 'prim' package (GPL-3.0-or-later, so it is kept "
                         "out of basesim's MIT core): python3 -m pip install 'basesim[discovery]'") from None

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        finder = prim.Prim(frame.reset_index(drop=True), y, threshold=0.5, threshold_type=">",
                           peel_alpha=peel_alpha, paste_alpha=paste_alpha, mass_min=mass_min)
        found: list[Box] = []
        trajectory = pd.DataFrame()
        for k in range(boxes):
            try:
                box = finder.find_box()
            except prim.PrimError:
                break
            if box is None:
                break
            steps = box.peeling_trajectory.reset_index(drop=True)
            eligible = steps[steps["coverage"] >= min_coverage]
            pick = int(eligible["density"].idxmax()) if not eligible.empty else int(steps["coverage"].idxmax())
            box.select(pick)
            _simplify(box, max_restricted=max_restricted, significance=significance)
            if k == 0:
                trajectory = steps.rename(columns={"res dim": "restricted"}).assign(step=np.arange(len(steps)))
                trajectory["chosen"] = trajectory["step"] == pick
            stats = box.stats
            if box.limits.empty:
                continue
            found.append(Box(coverage=float(stats["coverage"]), density=float(stats["density"]),
                             mass=float(stats["mass"]), runs=int(round(float(stats["mass"]) * len(y))),
                             cases=int(round(float(stats["coverage"]) * cases)),
                             limits=_limits(scenario, frame, box)))
    return Discovery(output=chosen, label=label, runs=len(y), cases=cases, boxes=found, trajectory=trajectory,
                     settings=settings)
