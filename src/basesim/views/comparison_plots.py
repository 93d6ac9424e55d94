"""One question across scenarios or protocols: named outcomes and results side by side."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.axes import Axes

from basesim.errors import UsageError
from basesim.scenario.schema import RESULTS, Scenario
from basesim.views import plot_data as pdata
from basesim.views.style import (
    ERRBAR,
    INK,
    PERCENT,
    RESULT_COLORS,
    VARIANT_PALETTE,
    WHISKERS,
    Results,
    axes_or_new,
    error_bars,
    no_deal_index,
    percent,
    set_titles,
    tidy,
)


def comparison_sources(runs: Mapping[str, Results], scenarios: Mapping[str, Scenario] | Scenario | None) -> dict[str, pdata.Source]:
    if not runs:
        raise UsageError("a comparison needs at least one run")
    if isinstance(scenarios, Scenario):
        scenarios = {variant: scenarios for variant in runs}
    return {variant: pdata.source(data, (scenarios or {}).get(variant)) for variant, data in runs.items()}


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
    if kind == "result":
        groups, members, member_key, group_key = variants, list(RESULTS), "result", "variant"
        member_colors = dict(RESULT_COLORS)
        group_labels = [f"{v}\n({counts[v]:,} runs)" for v in variants]
        member_labels = {r: r.capitalize() for r in RESULTS}
    else:
        group_key = "outcome" if kind == "outcome" else "level"
        groups = list(dict.fromkeys(frame[group_key]))
        label_of = dict(zip(frame["outcome"], frame["label"])) if kind == "outcome" else {}
        if kind == "level":
            first = sources[variants[0]].scenario
            no_deal = no_deal_index(first, issue) if issue in first.no_deal else None
            label_of = {first.issues[issue].labels[no_deal]: f"{first.issues[issue].labels[no_deal]}\n(no deal)"} \
                if no_deal is not None else {}
        group_labels = [label_of.get(g, g) for g in groups]
        members, member_key = variants, "variant"
        member_colors = {v: VARIANT_PALETTE[k % len(VARIANT_PALETTE)] for k, v in enumerate(variants)}
        member_labels = {v: f"{v} ({counts[v]:,} runs)" for v in variants}
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
    ax.legend(frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12 if horizontal else -0.16),
              ncol=min(len(members), 3))
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
