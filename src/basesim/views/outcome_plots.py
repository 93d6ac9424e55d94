"""Figures of a run's outcome distributions: results, named outcomes, issue levels, amounts, timing, utilities."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator

from basesim.scenario.schema import Scenario
from basesim.views import plot_data as pdata
from basesim.views.style import (
    BANDS,
    ERRBAR,
    GIVEN_COLORS,
    HORIZONTAL,
    INK,
    MUTED,
    OUTCOME_COLOR,
    PERCENT,
    RESULT_COLORS,
    WHISKERS,
    Results,
    actor_colors,
    axes_or_new,
    color_ticks,
    date_axis,
    error_bars,
    level_ticks,
    no_deal_index,
    percent,
    run_subtitle,
    set_titles,
    tidy,
)


def plot_results(data: Results, *, scenario: Scenario | None = None, ax: Axes | None = None) -> Axes:
    """The state at the end of the horizon: the chance of agreement, breakdown and still talking, with Wilson intervals.

    ``data``: a RunResult, a Summary, or an outcome table with ``scenario=``
    (see :func:`basesim.views.plot_data.source`); the same for every ``plot_*`` of a run.
    """
    src = pdata.source(data, scenario)
    ax = axes_or_new(ax, (5.5, 3.8))
    frame = pdata.result_probabilities(src)
    x = np.arange(len(frame))
    colors = [RESULT_COLORS[r] for r in frame["result"]]
    ax.bar(x, frame["estimate"], width=0.6, color=colors, yerr=error_bars(frame), error_kw=ERRBAR,
           label="chance", gid="result-bars")
    for xi, (_, row) in zip(x, frame.iterrows()):
        ax.annotate(percent(row["estimate"]), (xi, row["high"]), xytext=(0, 3), textcoords="offset points",
                    ha="center", va="bottom", fontsize=10, fontweight="bold", color=INK)
    ax.set_xticks(x, [{"talking": "Still talking"}.get(r, r.capitalize()) for r in frame["result"]])
    ax.set_ylim(0, min(1.0, max(0.25, float(frame["high"].max()) * 1.2)))
    ax.yaxis.set_major_formatter(PERCENT)
    ax.set_ylabel("chance", color=INK)
    tidy(ax)
    set_titles(ax, "Where the talks stand at the end of the forecast", run_subtitle(src, WHISKERS))
    return ax


def plot_outcomes(data: Results, *, scenario: Scenario | None = None, ax: Axes | None = None) -> Axes:
    """The scenario's named outcomes: the chance of each, with Wilson intervals (horizontal bars)."""
    src = pdata.source(data, scenario)
    frame = pdata.outcome_probabilities(src)
    ax = axes_or_new(ax, (6.5, 0.9 + 0.42 * max(len(frame), 1)))
    y = np.arange(len(frame))
    ax.barh(y, frame["estimate"], height=0.6, color=OUTCOME_COLOR, xerr=error_bars(frame), error_kw=ERRBAR,
            gid="outcome-bars")
    for yi, (_, row) in zip(y, frame.iterrows()):
        ax.annotate(percent(row["estimate"]), (row["high"], yi), xytext=(4, 0), textcoords="offset points",
                    ha="left", va="center", fontsize=9, fontweight="bold", color=INK)
    ax.set_yticks(y, list(frame["label"]))
    ax.invert_yaxis()
    ax.set_xlim(0, 1.08)
    ax.xaxis.set_major_formatter(PERCENT)
    ax.set_xlabel("chance", color=INK)
    tidy(ax, grid="x")
    if frame.empty:
        ax.text(0.5, 0.5, "the scenario names no outcomes", transform=ax.transAxes, ha="center", color=MUTED)
    set_titles(ax, "Named outcomes", run_subtitle(src, WHISKERS))
    return ax


def plot_issue_levels(data: Results, *, issue: str, scenario: Scenario | None = None,
                      ax: Axes | None = None) -> Axes:
    """One issue's distribution over its levels: over all runs (the no-deal level included) and given a deal."""
    src = pdata.source(data, scenario)
    scenario = src.scenario
    frame = pdata.level_probabilities(src, issue=issue)
    labels = scenario.issues[issue].labels
    ax = axes_or_new(ax, (max(5.0, 0.55 * len(labels) + 2.5), 3.8))
    many = len(labels) > 14
    if many:  # a fine grid: grey bars for all runs, the distribution given a deal as a green step line
        for given in (pdata.GIVEN_ALL, pdata.GIVEN_AGREEMENT):
            part = frame[frame["given"] == given]
            runs = int(part["runs"].iloc[0])
            x = np.arange(len(part))
            if given == pdata.GIVEN_ALL:
                ax.bar(x, part["estimate"].fillna(0), width=0.9, color=GIVEN_COLORS[given], alpha=0.7,
                       linewidth=0, label=f"{given} ({runs:,})", gid=f"levels-{given}")
            elif runs:
                ax.step(x, part["estimate"], where="mid", color=GIVEN_COLORS[given], linewidth=1.6,
                        label=f"{given} ({runs:,})", gid=f"levels-{given}")
        top = float(np.nanmax(frame["estimate"].to_numpy(float), initial=0.0))
    else:
        width = 0.4
        for offset, given in ((-width / 2, pdata.GIVEN_ALL), (width / 2, pdata.GIVEN_AGREEMENT)):
            part = frame[frame["given"] == given]
            runs = int(part["runs"].iloc[0])
            x = np.arange(len(part)) + offset
            ax.bar(x, part["estimate"].fillna(0), width=width, color=GIVEN_COLORS[given],
                   yerr=error_bars(part.fillna(0)), error_kw=ERRBAR, label=f"{given} ({runs:,})",
                   gid=f"levels-{given}")
            if len(labels) <= 8:
                for xi, value, high in zip(x, part["estimate"], part["high"]):
                    if not np.isnan(value) and value >= 0.005:
                        ax.annotate(percent(value), (xi, high), xytext=(0, 2), textcoords="offset points",
                                    ha="center", va="bottom", fontsize=7.5, color=INK)
        top = float(np.nanmax(frame["high"].to_numpy(float), initial=0.0))
    level_ticks(ax, labels, no_deal=no_deal_index(scenario, issue))
    ax.set_ylim(0, min(1.0, max(top, 0.05) * 1.3 + 0.03))
    ax.yaxis.set_major_formatter(PERCENT)
    ax.set_ylabel("chance", color=INK)
    ax.legend(frameon=False, fontsize=8, loc="best", handlelength=1.2)
    tidy(ax)
    set_titles(ax, scenario.display(issue), run_subtitle(src, "" if many else WHISKERS))
    return ax


def plot_amounts(data: Results, *, issue: str, scenario: Scenario | None = None, ax: Axes | None = None) -> Axes:
    """The chance that an amount (e.g. compensation) is at least each value, over all runs and given a deal."""
    src = pdata.source(data, scenario)
    scenario = src.scenario
    frame = pdata.amount_exceedance(src, issue=issue)
    ax = axes_or_new(ax, (6.0, 3.8))
    unit = scenario.issues[issue].unit
    for given in (pdata.GIVEN_ALL, pdata.GIVEN_AGREEMENT):
        part = frame[frame["given"] == given]
        runs = int(part["runs"].iloc[0])
        if runs == 0:
            continue
        color = GIVEN_COLORS[given]
        # P(amount >= x) is left-continuous: on (a_{k-1}, a_k] it equals P(amount >= a_k)
        ax.step(part["amount"], part["estimate"], where="pre", color=color, linewidth=2,
                label=f"{given} ({runs:,})", gid=f"amounts-{given}")
        ax.fill_between(part["amount"], part["low"], part["high"], step="pre", color=color, alpha=0.18,
                        linewidth=0)
        ax.plot(part["amount"], part["estimate"], "o", color=color, markersize=3.5)
    ax.set_ylim(0, 1.04)
    ax.yaxis.set_major_formatter(PERCENT)
    ax.set_ylabel("chance of at least this amount", color=INK)
    ax.set_xlabel(f"{scenario.display(issue)}" + (f" ({unit})" if unit else ""), color=INK)
    ax.legend(frameon=False, fontsize=8, loc="upper right")
    tidy(ax, grid="both")
    set_titles(ax, f"{scenario.display(issue)}: how much?", run_subtitle(src, BANDS))
    return ax


def plot_deal_timing(data: Results, *, scenario: Scenario | None = None, ax: Axes | None = None) -> Axes:
    """The three states over calendar time: still talking, agreed, broken off, with 95% bands.

    The horizon is where the forecast stops looking, not a deadline: worlds
    still talking there have not settled. A one-shot benchmark (Nash) has no
    timing; the figure says so instead of drawing flat lines.
    """
    src = pdata.source(data, scenario)
    scenario = src.scenario
    ax = axes_or_new(ax, (6.5, 3.8))
    if src.one_shot:
        shares = pdata.result_probabilities(src).set_index("result")["estimate"]
        ax.text(0.5, 0.55, f"{src.played}: a one-shot benchmark without a timing",
                transform=ax.transAxes, ha="center", va="center", fontsize=11, color=INK, gid="timing-one-shot")
        ax.text(0.5, 0.4, ", ".join(f"{state} {percent(shares[state])}" for state in ("agreement", "breakdown", "talking")),
                transform=ax.transAxes, ha="center", va="center", fontsize=9, color=MUTED)
        ax.set_xticks([])
        ax.set_yticks([])
        tidy(ax, grid="")
        set_titles(ax, "When the talks end", run_subtitle(src, "states at once, not over time"))
        return ax
    frame = pdata.states_over_time(src)
    for name, label in (("talking", "still talking (status quo)"), ("agreement", "agreed"), ("breakdown", "broken off")):
        part = frame[frame["state"] == name]
        color = RESULT_COLORS[name]
        ax.step(part["date"], part["estimate"], where="post", color=color, linewidth=2, label=label,
                gid=f"timing-{name}")
        ax.fill_between(part["date"], part["low"], part["high"], step="post", color=color, alpha=0.18, linewidth=0)
        final = part.iloc[-1]
        ax.annotate(percent(final["estimate"]), (final["date"], final["estimate"]), xytext=(6, 0),
                    textcoords="offset points", va="center", fontsize=9, fontweight="bold", color=color)
    horizon = frame["date"].max()
    ax.axvline(horizon, color=MUTED, linestyle=":", linewidth=1, gid="horizon", label="end of the forecast")
    ax.set_ylim(0, 1.04)
    ax.yaxis.set_major_locator(FixedLocator(list(np.linspace(0, 1, 6))))
    ax.yaxis.set_major_formatter(PERCENT)
    ax.set_ylabel("chance", color=INK)
    date_axis(ax)
    ax.set_xlim(frame["date"].min() - pd.Timedelta(days=3), horizon + (horizon - frame["date"].min()) * 0.1)
    ax.legend(frameon=False, fontsize=8, loc="best")
    tidy(ax, grid="both")
    set_titles(ax, "The state of the talks over time",
               run_subtitle(src, f"as of each date; {BANDS}"))
    return ax


def plot_utilities(data: Results, *, scenario: Scenario | None = None, ax: Axes | None = None) -> Axes:
    """Each actor's utility of the result: distributions over all runs, the median given a deal marked.

    Needs the per-run table (not a summary-only run).
    """
    src = pdata.source(data, scenario)
    scenario = src.scenario
    pdata.utility_quantiles(src)  # checks there is a table with the utility columns
    table = src.table
    actors = scenario.actor_names
    ax = axes_or_new(ax, (6.5, 1.2 + 0.7 * len(actors)))
    colors = actor_colors(scenario)
    deal = table["result"].astype(str).to_numpy() == "agreement"
    for y, actor in enumerate(actors):
        values = table[f"utility_{actor}"].to_numpy(float)
        values = values[np.isfinite(values)]
        if values.size == 0:
            continue
        if values.size > 1 and np.ptp(values) > 1e-9:
            body = ax.violinplot(values, positions=[y], widths=0.8, showextrema=False, **HORIZONTAL)
            for patch in body["bodies"]:
                patch.set_facecolor(colors[actor])
                patch.set_edgecolor(colors[actor])
                patch.set_alpha(0.45)
                patch.set_gid(f"utility-{actor}")
        q25, q50, q75 = np.quantile(values, [0.25, 0.5, 0.75])
        ax.hlines(y, q25, q75, color=colors[actor], linewidth=5, gid=f"utility-iqr-{actor}")
        ax.plot([q50], [y], "o", color="white", markeredgecolor=INK, markersize=6, zorder=3)
        if deal.any():
            given = np.median(table.loc[deal, f"utility_{actor}"].to_numpy(float))
            ax.plot([given], [y - 0.22], "v", color=RESULT_COLORS["agreement"], markersize=7, zorder=4,
                    gid=f"utility-deal-median-{actor}")
    ax.set_yticks(np.arange(len(actors)),
                  [f"{scenario.display(a)}" + ("" if scenario.actors[a].is_principal else "\n(influencer)")
                   for a in actors])
    ax.invert_yaxis()
    ax.set_xlim(min(-0.02, float(np.nanmin(table[[f"utility_{a}" for a in actors]].to_numpy(float))) - 0.02),
                1.02)
    ax.set_xlabel("utility of the result (1 = the actor's ideal outcome)", color=INK)
    handles = [
        Line2D([], [], color=MUTED, linewidth=5, label="middle half of runs"),
        Line2D([], [], marker="o", color="white", markeredgecolor=INK, linestyle="",
                                label="median"),
        Line2D([], [], marker="v", color=RESULT_COLORS["agreement"], linestyle="",
                                label="median given a deal"),
    ]
    ax.legend(handles=handles, frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14),
              ncol=3)
    tidy(ax, grid="x")
    color_ticks(ax.get_yticklabels(), [colors[a] for a in actors])
    set_titles(ax, "What each actor gets", run_subtitle(src))
    return ax
