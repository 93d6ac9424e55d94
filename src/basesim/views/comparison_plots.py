"""One question across scenarios or protocols: results and named outcomes side by side, the differences
from the first in points with paired intervals, and the timing curves overlaid.

Variants are named in legends by their scenarios' titles (or, for one
scenario under several protocols, by the protocol): see
:func:`basesim.analysis.labels.variant_labels`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from basesim.analysis.labels import variant_labels
from basesim.errors import UsageError
from basesim.scenario.schema import RESULTS, Scenario
from basesim.views import plot_data as pdata
from basesim.views.style import (
    BANDS,
    ERRBAR,
    MUTED,
    INK,
    PERCENT,
    RESULT_COLORS,
    VARIANT_PALETTE,
    WHISKERS,
    Results,
    axes_or_new,
    error_bars,
    percent,
    date_axis,
    set_titles,
    tidy,
)

__all__ = ["comparison_sources", "differences_figure", "plot_comparison", "plot_differences",
           "plot_timing_comparison", "timing_comparison_figure", "variant_colors", "variant_names"]


def comparison_sources(runs: Mapping[str, Results], scenarios: Mapping[str, Scenario] | Scenario | None) -> dict[str, pdata.Source]:
    if not runs:
        raise UsageError("a comparison needs at least one run")
    if isinstance(scenarios, Scenario):
        scenarios = {variant: scenarios for variant in runs}
    return {variant: pdata.source(data, (scenarios or {}).get(variant)) for variant, data in runs.items()}


def variant_names(sources: Mapping[str, pdata.Source], *, width: int = 34) -> dict[str, str]:
    """Legend names of the variants: scenario titles (wrapped to ``width``), or the variants' own names
    when they share one scenario (protocols)."""
    names = variant_labels({v: src.scenario for v, src in sources.items()})
    return {v: "\n".join(textwrap.wrap(name, width)) or v for v, name in names.items()}


def variant_colors(variants: list[str]) -> dict[str, str]:
    """One colour per variant, in order (:data:`~basesim.views.style.VARIANT_PALETTE`)."""
    return {v: VARIANT_PALETTE[k % len(VARIANT_PALETTE)] for k, v in enumerate(variants)}


def plot_comparison(runs: Mapping[str, Results], *, scenarios: Mapping[str, Scenario] | Scenario | None = None,
                    kind: str = "result", issue: str | None = None, ax: Axes | None = None) -> Axes:
    """Several runs (scenarios or protocols) side by side: grouped bars with Wilson intervals.

    ``runs`` maps a variant's name (shown as is) to its results (RunResult,
    Summary, or an outcome table with its scenario in ``scenarios``).
    ``kind="result"``: one group per variant, bars in the result colours;
    ``"outcome"``: one group per named outcome, one bar per variant;
    ``"level"``: one group per level of ``issue`` (over all runs), one bar per variant.
    """
    sources = comparison_sources(runs, scenarios)
    variants = list(sources)
    frame = pdata.comparison_table(sources, kind=kind, issue=issue)
    counts = {v: src.runs for v, src in sources.items()}
    shown = variant_names(sources, width=22 if kind == "result" else 34)
    if kind == "result":
        groups, members, member_key, group_key = variants, list(RESULTS), "result", "variant"
        member_colors = dict(RESULT_COLORS)
        group_labels = [f"{shown[v]}\n({counts[v]:,} runs)" for v in variants]
        member_labels = {r: r.capitalize() for r in RESULTS}
    else:
        group_key = "outcome" if kind == "outcome" else "level"
        groups = list(dict.fromkeys(frame[group_key]))
        label_of = dict(zip(frame["outcome"], frame["label"])) if kind == "outcome" else {}
        if kind == "level":
            first = sources[variants[0]].scenario
            reference = getattr(first, "status_quo", None) or first.no_deal or {}
            mark = "status quo" if getattr(first, "status_quo", None) else "no deal"
            no_deal = first.issues[issue].level_index(reference[issue]) if issue in reference else None
            label_of = {first.issues[issue].labels[no_deal]: f"{first.issues[issue].labels[no_deal]}\n({mark})"} \
                if no_deal is not None else {}
        group_labels = [label_of.get(g, g) for g in groups]
        members, member_key = variants, "variant"
        member_colors = variant_colors(variants)
        same = len(set(counts.values())) == 1
        member_labels = {v: shown[v] if same else f"{shown[v]} ({counts[v]:,} runs)" for v in variants}
    horizontal = kind == "outcome"
    size = (7.0, 1.0 + 0.3 * len(groups) * len(members)) if horizontal else \
        (max(5.5, 0.35 * len(groups) * len(members) + 2.0), 4.0)
    ax = axes_or_new(ax, size)
    width = 0.8 / len(members)
    index = frame.set_index([group_key, member_key])
    for m, member in enumerate(members):
        present = [(g, member) for g in groups if (g, member) in index.index]
        if not present:
            continue
        positions = np.array([groups.index(g) for g, _ in present]) + (m - (len(members) - 1) / 2) * width
        part = index.loc[present].reset_index()
        if horizontal:
            ax.barh(positions, part["estimate"], width * 0.92, color=member_colors[member], xerr=error_bars(part),
                    error_kw=ERRBAR, label=member_labels[member], gid=f"compare-{member}")
        else:
            ax.bar(positions, part["estimate"], width * 0.92, color=member_colors[member], yerr=error_bars(part),
                   error_kw=ERRBAR, label=member_labels[member], gid=f"compare-{member}")
        if len(groups) * len(members) <= 24:
            for pos, value, high in zip(positions, part["estimate"], part["high"]):
                if horizontal:
                    ax.annotate(percent(value), (high, pos), xytext=(3, 0), textcoords="offset points",
                                va="center", fontsize=7.5, color=INK)
                else:
                    ax.annotate(percent(value), (pos, high), xytext=(0, 2), textcoords="offset points",
                                ha="center", va="bottom", fontsize=7.5, color=INK)
    (ax.xaxis if horizontal else ax.yaxis).set_major_formatter(PERCENT)
    top = max(0.1, min(1.0, float(np.nanmax(frame["high"].to_numpy(float), initial=0.0)) * 1.15 + 0.03))
    if horizontal:
        ax.set_yticks(np.arange(len(groups)), group_labels)
        ax.invert_yaxis()
        ax.set_xlim(0, top + 0.08)
        ax.set_xlabel("chance", color=INK)
    else:
        ax.set_xticks(np.arange(len(groups)), group_labels)
        ax.set_ylim(0, top)
        ax.set_ylabel("chance", color=INK)
    # long names (scenario titles) one per line, so that the legend never runs off the figure's sides;
    # whole figures move it below the plots where constrained layout makes room (views.layout.legends_below)
    wide = sum(len(str(label)) for label in member_labels.values()) > 70
    ax.legend(frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12 if horizontal else -0.16),
              ncol=1 if wide else min(len(members), 3))
    tidy(ax, grid="x" if horizontal else "y")
    first = sources[variants[0]].scenario
    what = {"result": "How the talks end", "outcome": "Named outcomes",
            "level": f"{first.display(issue) if issue else ''} (all runs)"}[kind]
    names = list(dict.fromkeys(pdata.scenario_title(src.scenario) for src in sources.values()))
    subtitle = names[0] if len(names) == 1 else f"{len(variants)} scenarios"
    if len(set(counts.values())) == 1:
        subtitle += f" \u00b7 {counts[variants[0]]:,} runs each"
    set_titles(ax, f"{what}: compared", f"{subtitle} \u00b7 {WHISKERS}")
    return ax


def plot_differences(differences: pd.DataFrame, *, scenarios: Mapping[str, Scenario] | None = None,
                     kind: str | None = None, ax: Axes | None = None, title: str | None = None,
                     subtitle: str | None = None) -> Axes:
    """Each variant's difference from the reference in points, with 95% intervals (paired where possible).

    ``differences`` is :func:`basesim.analysis.differences.scenario_differences`'
    table; ``kind`` keeps only ``result`` or ``outcome`` rows; ``scenarios``
    (variant -> Scenario) names the variants by their titles. One row per
    question, one dot with whiskers per variant, the zero line marked.
    """
    needed = ["variant", "reference", "kind", "label", "difference", "low", "high", "paired"]
    missing = [c for c in needed if c not in differences.columns]
    if missing:
        raise UsageError(f"plot_differences: the table has no column {missing[0]!r}; give the table of "
                         "basesim.analysis.differences.scenario_differences")
    frame = differences if kind is None else differences[differences["kind"] == kind]
    if frame.empty:
        raise UsageError("plot_differences: no difference to draw")
    variants = list(dict.fromkeys(frame["variant"]))
    reference = str(frame["reference"].iloc[0])
    questions = list(dict.fromkeys(frame["label"]))
    names = variant_labels({v: s for v, s in (scenarios or {}).items()}) if scenarios else {}
    ax = axes_or_new(ax, (7.0, 1.4 + 0.45 * len(questions)))
    colors = variant_colors([reference, *variants])
    offsets = (np.arange(len(variants)) - (len(variants) - 1) / 2) * min(0.22, 0.7 / max(len(variants), 1))
    for k, variant in enumerate(variants):
        part = frame[frame["variant"] == variant].set_index("label").reindex(questions)
        y = np.arange(len(questions)) + offsets[k]
        value = 100 * part["difference"].to_numpy(float)
        error = np.vstack([np.clip(value - 100 * part["low"].to_numpy(float), 0, None),
                           np.clip(100 * part["high"].to_numpy(float) - value, 0, None)])
        name = "\n".join(textwrap.wrap(names.get(variant, variant), 40))
        ax.errorbar(value, y, xerr=error, fmt="o", color=colors[variant], ecolor=colors[variant], elinewidth=1.6,
                    capsize=3, markersize=5, label=name, gid=f"difference-{variant}")
        for xv, yv, high in zip(value, y, 100 * part["high"].to_numpy(float)):
            if np.isfinite(xv):
                ax.annotate(f"{xv:+.0f}", (high, yv), xytext=(4, 0), textcoords="offset points", va="center",
                            fontsize=7.5, color=INK)
    ax.axvline(0, color=INK, linewidth=1.0)
    ax.set_yticks(np.arange(len(questions)), ["\n".join(textwrap.wrap(str(q), 30)) for q in questions], fontsize=8.5)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:+.0f}" if v else "0"))
    low = float(np.nanmin(100 * frame["low"].to_numpy(float), initial=0.0))
    high = float(np.nanmax(100 * frame["high"].to_numpy(float), initial=0.0))
    pad = max(2.0, 0.12 * (high - low))
    ax.set_xlim(min(low, 0) - pad, max(high, 0) + pad)
    shown_reference = names.get(reference, reference)
    ax.set_xlabel(f"difference from {shown_reference}, percentage points", fontsize=9, color=INK)
    tidy(ax, grid="x")
    ax.legend(frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=1)
    paired = bool(frame["paired"].all())
    note = ("whiskers: paired 95% intervals (same seed, run by run)" if paired
            else "whiskers: 95% intervals" + ("" if not frame["paired"].any() else " (paired where the runs match)"))
    set_titles(ax, title if title is not None else f"Compared with {shown_reference}",
               subtitle if subtitle is not None else note)
    return ax


def plot_timing_comparison(runs: Mapping[str, Results], *, scenarios: Mapping[str, Scenario] | Scenario | None = None,
                           ax: Axes | None = None, breakdown: bool = True) -> Axes:
    """The cumulative chance of a deal by date of every variant on one Axes (bands: 95% intervals);
    with ``breakdown``, the chance of a breakdown by date as thin dashed lines in the same colours."""
    sources = comparison_sources(runs, scenarios)
    variants = list(sources)
    names = variant_names(sources, width=40)
    colors = variant_colors(variants)
    ax = axes_or_new(ax, (7.0, 4.0))
    top = 0.0
    first_date, last_date = None, None
    for variant, src in sources.items():
        frame = pdata.deal_by_date(src)
        for result, style in (("agreement", "-"), ("breakdown", "--")):
            if result == "breakdown" and not breakdown:
                continue
            part = frame[frame["result"] == result]
            if part.empty:
                continue
            color = colors[variant]
            label = names[variant] if result == "agreement" else None
            ax.step(part["date"], part["estimate"], where="post", color=color, linewidth=2 if style == "-" else 1.1,
                    linestyle=style, label=label, gid=f"timing-{variant}-{result}")
            if result == "agreement":
                ax.fill_between(part["date"], part["low"], part["high"], step="post", color=color, alpha=0.14,
                                linewidth=0)
                final = part.iloc[-1]
                ax.annotate(percent(final["estimate"]), (final["date"], final["estimate"]), xytext=(6, 0),
                            textcoords="offset points", va="center", fontsize=8.5, fontweight="bold", color=color)
            top = max(top, float(np.nanmax(part["high"].to_numpy(float), initial=0.0)))
            first_date = part["date"].min() if first_date is None else min(first_date, part["date"].min())
            last_date = part["date"].max() if last_date is None else max(last_date, part["date"].max())
    if breakdown:
        ax.plot([], [], color=MUTED, linestyle="--", linewidth=1.1, label="dashed: breakdown by this date")
    ax.set_ylim(0, min(1.05, max(0.2, top * 1.15 + 0.03)))
    ax.yaxis.set_major_formatter(PERCENT)
    ax.set_ylabel("chance of a deal by this date", color=INK, fontsize=9)
    date_axis(ax)
    if first_date is not None:
        ax.set_xlim(first_date - pd.Timedelta(days=3), last_date + (last_date - first_date) * 0.1)
    tidy(ax, grid="both")
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    counts = {src.runs for src in sources.values()}
    runs_text = f"{counts.pop():,} runs each" if len(counts) == 1 else "runs differ"
    set_titles(ax, "When the talks end: compared", f"{len(variants)} variants \u00b7 {runs_text} \u00b7 {BANDS}")
    return ax


def differences_figure(results: Mapping[str, Results], *, kind: str | None = None) -> Figure:
    """A whole figure of :func:`plot_differences` for RunResults (the first is the reference)."""
    from basesim.analysis.differences import scenario_differences
    from basesim.views.layout import legends_below

    differences = scenario_differences(results)
    if kind is not None:
        differences = differences[differences["kind"] == kind]
    questions = differences["label"].nunique()
    figure = Figure(figsize=(7.5, 1.9 + 0.5 * questions), layout="constrained", dpi=100)
    plot_differences(differences, scenarios={v: r.scenario for v, r in results.items()}, ax=figure.add_subplot())
    legends_below(figure)
    return figure


def timing_comparison_figure(results: Mapping[str, Results], *,
                             scenarios: Mapping[str, Scenario] | Scenario | None = None) -> Figure:
    """A whole figure of :func:`plot_timing_comparison`."""
    figure = Figure(figsize=(7.5, 4.4), layout="constrained", dpi=100)
    plot_timing_comparison(results, scenarios=scenarios, ax=figure.add_subplot())
    return figure
