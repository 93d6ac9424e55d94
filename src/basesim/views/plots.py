"""Pictures of a run: outcome distributions, one negotiation, comparisons.

The only module that imports matplotlib. Every ``plot_*`` function takes data
(the outcome table of a run, a trace, a utility plane) and the scenario, draws
on the ``ax`` it is given (or on a new one) and returns that Axes; it never
shows a figure and never changes ``matplotlib.rcParams``. The estimates come
from :mod:`basesim.views.plot_data`, so a figure and the report's tables agree.

Colours are fixed across every figure: one per result category
(:data:`RESULT_COLORS`), one per actor (the scenario's ``color``, else the
Okabe-Ito palette in scenario order, see :func:`actor_colors`).

The ``*_figure`` functions and :func:`standard_figures` build whole figures
with :class:`matplotlib.figure.Figure` directly (no pyplot, no display, no
global figure registry), which is what the CLI and the report use.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import to_hex, to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, MaxNLocator, PercentFormatter
from matplotlib.transforms import offset_copy

from basesim.views import plot_data as pdata
from basesim.errors import OutputError, UsageError
from basesim.scenario.schema import RESULTS, Scenario

__all__ = [
    "RESULT_COLORS",
    "GIVEN_COLORS",
    "FIGURE_KINDS",
    "FORMATS",
    "Negotiation",
    "actor_colors",
    "text_color",
    "plot_results",
    "plot_outcomes",
    "plot_issue_levels",
    "plot_amounts",
    "plot_deal_timing",
    "plot_utilities",
    "plot_utility_plane",
    "plot_targets",
    "plot_settlement",
    "plot_comparison",
    "negotiation_figure",
    "comparison_figure",
    "standard_figures",
    "figure_bytes",
    "save_figure",
]

#: One colour per result category, in every figure.
RESULT_COLORS: dict[str, str] = {"agreement": "#2f9e44", "breakdown": "#e8590c", "impasse": "#868e96"}
#: Colours of "all runs" and "given a deal" (the agreement colour).
GIVEN_COLORS: dict[str, str] = {pdata.GIVEN_ALL: "#5c6b7a", pdata.GIVEN_AGREEMENT: RESULT_COLORS["agreement"]}
#: Actors without a ``color`` take these in scenario order (Okabe & Ito 2008, colour-blind safe).
ACTOR_PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#8C6D31", "#000000")
#: Variants (scenarios, protocols) of a comparison take these in order.
VARIANT_PALETTE = ("#3b5bdb", "#f59f00", "#ae3ec9", "#1098ad", "#5c940d", "#d6336c", "#495057", "#a0522d")
#: Named outcomes (not an actor nor a category): one neutral colour.
OUTCOME_COLOR = "#3b5b92"
INK = "#212529"
MUTED = "#6c757d"

#: File formats a figure can be written in.
FORMATS = ("png", "svg", "pdf")

_PERCENT = PercentFormatter(xmax=1.0, decimals=0)
# violinplot's 'vert' became 'orientation' in matplotlib 3.10
_HORIZONTAL = {"orientation": "horizontal"} if tuple(int(p) for p in matplotlib.__version__.split(".")[:2]) >= (3, 10) \
    else {"vert": False}

#: What the ``plot_*`` functions of a run take: a RunResult, a Summary, an outcome table or Counts.
Results = pdata.Results


def actor_colors(scenario: Scenario) -> dict[str, str]:
    """Colour of every actor: its ``color`` in the scenario, else the next free palette colour."""
    taken = {a.color.lower() for a in scenario.actors.values() if a.color}
    free = [c for c in ACTOR_PALETTE if c.lower() not in taken]
    colors = {}
    for name, actor in scenario.actors.items():
        if actor.color:
            colors[name] = actor.color
        else:
            colors[name] = free.pop(0) if free else ACTOR_PALETTE[len(colors) % len(ACTOR_PALETTE)]
    return colors


def text_color(color: str) -> str:
    """An actor's colour made dark enough to read as text on white (light colours darkened).

    Relative luminance as in WCAG 2.1 (sRGB); colours above 0.25 (contrast
    below about 3.5:1 on white) are mixed with black until they reach it, so
    yellow reads as ochre.
    """
    rgb = np.asarray(to_rgb(color))

    def luminance(c: np.ndarray) -> float:
        linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
        return float(linear @ np.array([0.2126, 0.7152, 0.0722]))

    while luminance(rgb) > 0.25:
        rgb = rgb * 0.9
    return to_hex(rgb)


# --- helpers ----------------------------------------------------------------------------


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """The given Axes, or a new one (through pyplot, so that notebooks show it)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt  # only for interactive use; the CLI passes its own Axes

    _, new = plt.subplots(figsize=figsize, layout="constrained")
    return new


def _tidy(ax: Axes, *, grid: str = "y") -> None:
    """Light frame: no top/right spines, a faint grid behind the data on ``grid``."""
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#adb5bd")
    ax.tick_params(colors=INK, labelsize=9)
    ax.set_axisbelow(True)
    if grid:
        ax.grid(True, axis=grid, color="#e9ecef", linewidth=0.8)


def _color_ticks(labels: Sequence[Any], colors: Sequence[str]) -> None:
    """Actor names in their colours, bold (after :func:`_tidy`, which sets tick colours)."""
    for label, color in zip(labels, colors):
        label.set_color(text_color(color))
        label.set_fontweight("bold")


def _titles(ax: Axes, what: str, subtitle: str) -> None:
    """A bold title saying what the figure shows, and a grey line naming the scenario and runs."""
    ax.set_title(what, loc="left", fontsize=11, fontweight="bold", color=INK, pad=18)
    transform = offset_copy(ax.transAxes, fig=ax.figure, y=5, units="points")
    ax.text(0, 1, subtitle, transform=transform, ha="left", va="bottom", fontsize=8.5, color=MUTED)


def _subtitle(src: pdata.Source, extra: str = "") -> str:
    line = pdata.scenario_title(src.scenario, src.runs)
    return f"{line} \u00b7 {extra}" if extra else line


def _pct(value: float) -> str:
    if np.isnan(value):
        return "\u2013"
    if 0 < value < 0.01:
        return "<1%"
    if 0.99 < value < 1:
        return ">99%"
    return f"{value:.0%}"


def _error(frame: pd.DataFrame) -> np.ndarray:
    """Asymmetric error-bar lengths (2, n) from ``estimate``, ``low``, ``high``."""
    estimate = frame["estimate"].to_numpy(float)
    return np.vstack([np.clip(estimate - frame["low"].to_numpy(float), 0, None),
                      np.clip(frame["high"].to_numpy(float) - estimate, 0, None)])


_WHISKERS = "whiskers: 95% intervals"
_BANDS = "bands: 95% intervals"
_ERRBAR = {"ecolor": "#343a40", "elinewidth": 1.0, "capsize": 2.5, "capthick": 1.0}


def _level_ticks(ax: Axes, labels: Sequence[str], *, no_deal: int | None, axis: str = "x") -> None:
    """Level labels as ticks (thinned when there are many), the no-deal level marked."""
    shown = list(labels)
    if no_deal is not None:
        shown[no_deal] = f"{shown[no_deal]}\n(no deal)"
    positions = np.arange(len(labels))
    if len(labels) > 14:
        step = next(n for n in (2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000) if len(labels) / n <= 11)
        keep = sorted(set(range(0, len(labels), step)) | ({no_deal} if no_deal is not None else set()))
        positions = positions[keep]
        shown = [shown[k] for k in keep]
    longest = max(len(line) for s in shown for line in s.split("\n"))
    room = ax.get_position().width * ax.figure.get_figwidth() / max(len(shown), 1)  # inches per tick
    rotate = longest * 0.06 > room * 0.9  # ~0.06 in per character at 9 pt
    if axis == "x":
        ax.set_xticks(positions, shown, rotation=30 if rotate else 0, ha="right" if rotate else "center")
    else:
        ax.set_yticks(positions, shown)


def _no_deal_index(scenario: Scenario, issue: str) -> int | None:
    ref = scenario.no_deal.get(issue)
    return None if ref is None else scenario.issues[issue].level_index(ref)


# --- 1. outcome distributions -----------------------------------------------------------


def plot_results(data: Results, *, scenario: Scenario | None = None, ax: Axes | None = None) -> Axes:
    """How the talks end: the chance of agreement, breakdown and impasse, with Wilson intervals.

    ``data``: a RunResult, a Summary, or an outcome table with ``scenario=``
    (see :func:`basesim.views.plot_data.source`); the same for every ``plot_*`` of a run.
    """
    src = pdata.source(data, scenario)
    ax = _axes(ax, (5.5, 3.8))
    frame = pdata.result_probabilities(src)
    x = np.arange(len(frame))
    colors = [RESULT_COLORS[r] for r in frame["result"]]
    ax.bar(x, frame["estimate"], width=0.6, color=colors, yerr=_error(frame), error_kw=_ERRBAR,
           label="chance", gid="result-bars")
    for xi, (_, row) in zip(x, frame.iterrows()):
        ax.annotate(_pct(row["estimate"]), (xi, row["high"]), xytext=(0, 3), textcoords="offset points",
                    ha="center", va="bottom", fontsize=10, fontweight="bold", color=INK)
    ax.set_xticks(x, [r.capitalize() for r in frame["result"]])
    ax.set_ylim(0, min(1.0, max(0.25, float(frame["high"].max()) * 1.2)))
    ax.yaxis.set_major_formatter(_PERCENT)
    ax.set_ylabel("chance", color=INK)
    _tidy(ax)
    _titles(ax, "How the talks end", _subtitle(src, _WHISKERS))
    return ax


def plot_outcomes(data: Results, *, scenario: Scenario | None = None, ax: Axes | None = None) -> Axes:
    """The scenario's named outcomes: the chance of each, with Wilson intervals (horizontal bars)."""
    src = pdata.source(data, scenario)
    frame = pdata.outcome_probabilities(src)
    ax = _axes(ax, (6.5, 0.9 + 0.42 * max(len(frame), 1)))
    y = np.arange(len(frame))
    ax.barh(y, frame["estimate"], height=0.6, color=OUTCOME_COLOR, xerr=_error(frame), error_kw=_ERRBAR,
            gid="outcome-bars")
    for yi, (_, row) in zip(y, frame.iterrows()):
        ax.annotate(_pct(row["estimate"]), (row["high"], yi), xytext=(4, 0), textcoords="offset points",
                    ha="left", va="center", fontsize=9, fontweight="bold", color=INK)
    ax.set_yticks(y, list(frame["label"]))
    ax.invert_yaxis()
    ax.set_xlim(0, 1.08)
    ax.xaxis.set_major_formatter(_PERCENT)
    ax.set_xlabel("chance", color=INK)
    _tidy(ax, grid="x")
    if frame.empty:
        ax.text(0.5, 0.5, "the scenario names no outcomes", transform=ax.transAxes, ha="center", color=MUTED)
    _titles(ax, "Named outcomes", _subtitle(src, _WHISKERS))
    return ax


def plot_issue_levels(data: Results, *, issue: str, scenario: Scenario | None = None,
                      ax: Axes | None = None) -> Axes:
    """One issue's distribution over its levels: over all runs (the no-deal level included) and given a deal."""
    src = pdata.source(data, scenario)
    scenario = src.scenario
    frame = pdata.level_probabilities(src, issue=issue)
    labels = scenario.issues[issue].labels
    ax = _axes(ax, (max(5.0, 0.55 * len(labels) + 2.5), 3.8))
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
                   yerr=_error(part.fillna(0)), error_kw=_ERRBAR, label=f"{given} ({runs:,})",
                   gid=f"levels-{given}")
            if len(labels) <= 8:
                for xi, value, high in zip(x, part["estimate"], part["high"]):
                    if not np.isnan(value) and value >= 0.005:
                        ax.annotate(_pct(value), (xi, high), xytext=(0, 2), textcoords="offset points",
                                    ha="center", va="bottom", fontsize=7.5, color=INK)
        top = float(np.nanmax(frame["high"].to_numpy(float), initial=0.0))
    _level_ticks(ax, labels, no_deal=_no_deal_index(scenario, issue))
    ax.set_ylim(0, min(1.0, max(top, 0.05) * 1.3 + 0.03))
    ax.yaxis.set_major_formatter(_PERCENT)
    ax.set_ylabel("chance", color=INK)
    ax.legend(frameon=False, fontsize=8, loc="best", handlelength=1.2)
    _tidy(ax)
    _titles(ax, scenario.display(issue), _subtitle(src, "" if many else _WHISKERS))
    return ax


def plot_amounts(data: Results, *, issue: str, scenario: Scenario | None = None, ax: Axes | None = None) -> Axes:
    """The chance that an amount (e.g. compensation) is at least each value, over all runs and given a deal."""
    src = pdata.source(data, scenario)
    scenario = src.scenario
    frame = pdata.amount_exceedance(src, issue=issue)
    ax = _axes(ax, (6.0, 3.8))
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
    ax.yaxis.set_major_formatter(_PERCENT)
    ax.set_ylabel("chance of at least this amount", color=INK)
    ax.set_xlabel(f"{scenario.display(issue)}" + (f" ({unit})" if unit else ""), color=INK)
    ax.legend(frameon=False, fontsize=8, loc="upper right")
    _tidy(ax, grid="both")
    _titles(ax, f"{scenario.display(issue)}: how much?", _subtitle(src, _BANDS))
    return ax


def _date_axis(ax: Axes) -> None:
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    formatter = mdates.ConciseDateFormatter(locator, show_offset=False)
    formatter.zero_formats = ["", "%Y", "%b\n%Y", "%d %b", "%H:%M", "%H:%M"]  # January shows its year
    ax.xaxis.set_major_formatter(formatter)


def plot_deal_timing(data: Results, *, scenario: Scenario | None = None, ax: Axes | None = None) -> Axes:
    """The cumulative chance of a deal (and of a breakdown) by calendar date, to the deadline."""
    src = pdata.source(data, scenario)
    scenario = src.scenario
    frame = pdata.deal_by_date(src)
    ax = _axes(ax, (6.5, 3.8))
    for name in ("agreement", "breakdown"):
        part = frame[frame["result"] == name]
        color = RESULT_COLORS[name]
        label = "deal" if name == "agreement" else "breakdown"
        ax.step(part["date"], part["estimate"], where="post", color=color, linewidth=2,
                label=f"{label} by this date", gid=f"timing-{name}")
        ax.fill_between(part["date"], part["low"], part["high"], step="post", color=color, alpha=0.18,
                        linewidth=0)
        final = part.iloc[-1]
        ax.annotate(_pct(final["estimate"]), (final["date"], final["estimate"]), xytext=(6, 0),
                    textcoords="offset points", va="center", fontsize=9, fontweight="bold", color=color)
    deadline = frame["date"].max()
    impasse = pdata.result_probabilities(src).set_index("result").loc["impasse", "estimate"]
    ax.axvline(deadline, color=MUTED, linestyle="--", linewidth=1, gid="deadline",
               label=f"deadline: impasse {_pct(impasse)}")
    top = float(np.nanmax(frame["high"].to_numpy(float), initial=0.0))
    ax.set_ylim(0, min(1.08, max(0.2, top * 1.2 + 0.05)))  # above 100% only to keep a sure deal off the frame
    ax.yaxis.set_major_locator(FixedLocator([t for t in np.linspace(0, 1, 11) if t <= ax.get_ylim()[1]])
                               if top > 0.5 else MaxNLocator(6))
    ax.yaxis.set_major_formatter(_PERCENT)
    ax.set_ylabel("chance", color=INK)
    _date_axis(ax)
    ax.set_xlim(frame["date"].min() - pd.Timedelta(days=3), deadline + (deadline - frame["date"].min()) * 0.08)
    ax.legend(frameon=False, fontsize=8, loc="best")
    _tidy(ax, grid="both")
    _titles(ax, "When the talks end",
            _subtitle(src, f"{scenario.protocol.rounds} rounds of {scenario.protocol.round_length}"))
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
    ax = _axes(ax, (6.5, 1.2 + 0.7 * len(actors)))
    colors = actor_colors(scenario)
    deal = table["result"].astype(str).to_numpy() == "agreement"
    for y, actor in enumerate(actors):
        values = table[f"utility_{actor}"].to_numpy(float)
        values = values[np.isfinite(values)]
        if values.size == 0:
            continue
        if values.size > 1 and np.ptp(values) > 1e-9:
            body = ax.violinplot(values, positions=[y], widths=0.8, showextrema=False, **_HORIZONTAL)
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
    _tidy(ax, grid="x")
    _color_ticks(ax.get_yticklabels(), [colors[a] for a in actors])
    _titles(ax, "What each actor gets", _subtitle(src))
    return ax


# --- 2. one negotiation -----------------------------------------------------------------


Negotiation = pdata.Negotiation


def _offers(trace: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Rounds in which something was offered (every issue column filled)."""
    issues = [i for i in scenario.issue_names if i in trace.columns]
    if not issues:
        return trace.iloc[0:0]
    return trace[trace[issues].notna().all(axis=1)]


def plot_utility_plane(plane: pd.DataFrame, *, scenario: Scenario, trace: pd.DataFrame | None = None,
                       principals: Sequence[str] | None = None, power: Mapping[str, float] | None = None,
                       title: str | None = None, ax: Axes | None = None) -> Axes:
    """The utility plane of two principals and, given a trace, the negotiation dance.

    Every outcome is a grey point at (utility to the first principal, utility
    to the second); the Pareto frontier is the dark line, the Nash bargaining
    point the star (power-weighted when ``power`` is given), the reservation
    utilities the dashed lines in each principal's colour. The offers of a
    trace are joined in round order, coloured by proposer (as Genius and NegMAS
    draw them), and an agreement is ringed.
    """
    first, second = pdata.pick_principals(scenario, principals)
    columns = [f"utility_{first}", f"utility_{second}", f"reservation_{first}", f"reservation_{second}"]
    missing = [c for c in columns if c not in plane.columns]
    if missing:
        raise UsageError(f"utility plane: no column {', '.join(missing)}; expected the columns of "
                         "basesim.model.world_utilities (utility_P and reservation_P per principal)")
    ax = _axes(ax, (6.0, 5.5))
    colors = actor_colors(scenario)
    u1 = plane[f"utility_{first}"].to_numpy(float)
    u2 = plane[f"utility_{second}"].to_numpy(float)
    r1 = float(plane[f"reservation_{first}"].iloc[0])
    r2 = float(plane[f"reservation_{second}"].iloc[0])
    rational = (u1 >= r1) & (u2 >= r2)
    ax.scatter(u1[~rational], u2[~rational], s=7, color="#ced4da", linewidths=0, label="other outcomes",
               gid="plane-outcomes")
    ax.scatter(u1[rational], u2[rational], s=9, color="#868e96", linewidths=0,
               label="outcomes both prefer to no deal", gid="plane-rational")
    frontier = pdata.pareto_frontier(u1, u2)
    ax.plot(u1[frontier], u2[frontier], "-", color="#495057", linewidth=2.4, alpha=0.35, solid_capstyle="round",
            zorder=2, label="Pareto frontier", gid="pareto-frontier")
    weights = (1.0, 1.0) if power is None else (float(power.get(first, 1.0)), float(power.get(second, 1.0)))
    nash = pdata.nash_point(u1, u2, (r1, r2), power=weights)
    if nash is not None:
        ax.plot([u1[nash]], [u2[nash]], marker="*", markersize=15, color="#fcc419", markeredgecolor=INK,
                linestyle="", zorder=5, label="Nash bargaining point", gid="nash-point")
    ax.axvline(r1, color=colors[first], linestyle="--", linewidth=1.2, gid=f"reservation-{first}")
    ax.axhline(r2, color=colors[second], linestyle="--", linewidth=1.2, gid=f"reservation-{second}")
    ax.annotate(f"{scenario.display(first)}'s\nreservation", (r1, 1.0), xycoords=("data", "axes fraction"),
                xytext=(3, -3), textcoords="offset points", fontsize=7.5, color=text_color(colors[first]), va="top")
    ax.annotate(f"{scenario.display(second)}'s reservation", (1.0, r2), xycoords=("axes fraction", "data"),
                xytext=(-3, 3), textcoords="offset points", fontsize=7.5, color=text_color(colors[second]), ha="right")
    if trace is not None:
        _draw_dance(ax, trace, scenario, first, second, colors)
    ax.set_xlabel(f"utility to {scenario.display(first)}", color=text_color(colors[first]), fontweight="bold")
    ax.set_ylabel(f"utility to {scenario.display(second)}", color=text_color(colors[second]), fontweight="bold")
    low = min(-0.02, float(np.nanmin(np.concatenate([u1, u2, [r1, r2]]))) - 0.03)
    high = max(1.02, float(np.nanmax(np.concatenate([u1, u2]))) + 0.03)
    ax.set_xlim(low, high)
    ax.set_ylim(low, high)
    ax.set_aspect("equal", adjustable="box")
    ax.legend(frameon=False, fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2)
    _tidy(ax, grid="")
    _titles(ax, title or "The negotiation in the utility plane",
            pdata.scenario_title(scenario) + f" \u00b7 {len(plane):,} outcomes"
            + (" \u00b7 numbers: round" if trace is not None else ""))
    return ax


def _proposers(frame: pd.DataFrame) -> np.ndarray:
    """The proposer of each row as strings, '' where there is none (Nash: no proposer)."""
    if "proposer" not in frame:
        return np.full(len(frame), "", dtype=object)
    return np.asarray([("" if pd.isna(p) else str(p)) for p in frame["proposer"]], dtype=object)


def _draw_dance(ax: Axes, trace: pd.DataFrame, scenario: Scenario, first: str, second: str,
                colors: Mapping[str, str]) -> None:
    """Each proposer's offers joined in round order (its own line), numbered by round; the end marked."""
    offers = _offers(trace, scenario)
    needed = [f"utility_{first}", f"utility_{second}"]
    if offers.empty or any(c not in offers.columns for c in needed):
        return
    x = offers[f"utility_{first}"].to_numpy(float)
    y = offers[f"utility_{second}"].to_numpy(float)
    proposers = _proposers(offers)
    for name in dict.fromkeys(proposers):
        mask = proposers == name
        label = f"offers by {scenario.display(name)}" if name else "the protocol's solution"
        ax.plot(x[mask], y[mask], "-o", color=colors.get(name, MUTED), linewidth=1.3, markersize=6,
                markeredgecolor="white", markeredgewidth=0.7, zorder=4, label=label,
                gid=f"offers-{name or 'solution'}")
    rounds = offers["round"].to_numpy() if "round" in offers else np.arange(len(x))
    at_point: dict[tuple[float, float], list[int]] = {}  # repeated offers share one label "0, 2"
    for xi, yi, r in zip(x, y, rounds):
        at_point.setdefault((round(float(xi), 6), round(float(yi), 6)), []).append(int(r))
    for (xi, yi), numbers in at_point.items():
        text = ", ".join(map(str, numbers)) if len(numbers) <= 4 else f"{numbers[0]}\u2013{numbers[-1]}"
        ax.annotate(text, (xi, yi), xytext=(5, 3), textcoords="offset points", fontsize=6.5, color=INK, zorder=6)
    status = str(trace["status"].iloc[-1]) if "status" in trace and len(trace) else ""
    if status == "agreement":
        ax.plot([x[-1]], [y[-1]], "o", markersize=15, markerfacecolor="none",
                markeredgecolor=RESULT_COLORS["agreement"], markeredgewidth=2.2, zorder=6, label="agreement",
                gid="agreement-point")
    elif status in ("breakdown", "impasse"):
        ax.plot([x[-1]], [y[-1]], "X", markersize=11, color=RESULT_COLORS[status], markeredgecolor="white",
                zorder=6, label=f"last offer ({status})", gid=f"{status}-point")


def plot_targets(trace: pd.DataFrame, *, scenario: Scenario, title: str | None = None,
                 ax: Axes | None = None) -> Axes:
    """The principals' targets over the rounds, and what each offer was worth to each of them.

    Lines: each principal's target utility ``tau_a(t)`` (BRIEF.md, alternating
    offers), dashed: its reservation utility (events may move it); filled
    dots: the worth of its own offers, hollow dots: the worth of the other
    side's offers. Events are the dotted verticals; the end is marked.
    """
    ax = _axes(ax, (6.5, 3.8))
    colors = actor_colors(scenario)
    dates = pd.to_datetime(trace["date"]) if "date" in trace else None
    x = dates if dates is not None else trace["round"]
    proposer = _proposers(trace)
    offered = trace.index.isin(_offers(trace, scenario).index)
    for name in scenario.principals:
        color = colors[name]
        if f"target_{name}" in trace:
            ax.plot(x, trace[f"target_{name}"], "-", color=color, linewidth=2,
                    label=f"{scenario.display(name)}'s target", gid=f"target-{name}")
        if f"reservation_{name}" in trace:
            ax.step(x, trace[f"reservation_{name}"], "--", where="post", color=color, linewidth=1,
                    label=f"{scenario.display(name)}'s reservation", gid=f"reservation-{name}")
        if f"utility_{name}" in trace:
            worth = trace[f"utility_{name}"].to_numpy(float)
            own = offered & (proposer == name)
            other = offered & (proposer != name)
            ax.plot(np.asarray(x)[own], worth[own], "o", color=color, markersize=5, linestyle="",
                    gid=f"own-offers-{name}")
            ax.plot(np.asarray(x)[other], worth[other], "o", markerfacecolor="white", markeredgecolor=color,
                    markersize=5, linestyle="", gid=f"received-offers-{name}")
    if "events" in trace:
        for xi, events in zip(x, trace["events"].fillna("").astype(str)):
            if events.strip():
                ax.axvline(xi, color=MUTED, linestyle=":", linewidth=1)
                names = [scenario.events[e].label or e if e in scenario.events else e
                         for e in (s.strip() for s in events.split(",")) if e]
                ax.annotate(", ".join(names), (xi, 0.0), xycoords=("data", "axes fraction"), rotation=90,
                            xytext=(3, 3), textcoords="offset points", fontsize=7, color=MUTED, va="bottom")
    if "status" in trace and len(trace):
        status = str(trace["status"].iloc[-1])
        if status in RESULT_COLORS:
            ax.axvline(np.asarray(x)[-1], color=RESULT_COLORS[status], linewidth=2, alpha=0.6)
            ax.annotate(status, (np.asarray(x)[-1], 1.0), xycoords=("data", "axes fraction"), xytext=(-4, -2),
                        textcoords="offset points", ha="right", va="top", fontsize=9, fontweight="bold",
                        color=RESULT_COLORS[status])
    handles, _ = ax.get_legend_handles_labels()
    handles += [
        Line2D([], [], marker="o", color=MUTED, linestyle="", label="worth of own offer"),
        Line2D([], [], marker="o", markerfacecolor="white", markeredgecolor=MUTED,
                                linestyle="", label="worth of other's offer"),
    ]
    ax.legend(handles=handles, frameon=False, fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.1),
              ncol=2)
    ax.set_ylim(min(0.0, float(np.nanmin(trace[[c for c in trace if c.startswith(("target_", "utility_"))]]
                                       .to_numpy(float), initial=0.0))) - 0.02, 1.05)
    ax.set_ylabel("utility", color=INK)
    if dates is not None:
        _date_axis(ax)
    else:
        ax.set_xlabel("round", color=INK)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    _tidy(ax, grid="y")
    _titles(ax, title or "Targets and offers, round by round", pdata.scenario_title(scenario))
    return ax


def plot_settlement(trace: pd.DataFrame, *, scenario: Scenario, title: str | None = None,
                    ax: Axes | None = None) -> Axes:
    """What the end of one negotiation is worth to each principal, against its reservation utility.

    For one-shot protocols (equilibrium, Nash) whose trace has a single
    round: a bar per principal (its utility of the outcome) and a black tick
    at its reservation utility; the gap is the principal's gain from the deal.
    """
    ax = _axes(ax, (6.0, 3.5))
    colors = actor_colors(scenario)
    principals = [p for p in scenario.principals if f"utility_{p}" in trace]
    last = trace.iloc[-1] if len(trace) else pd.Series(dtype=object)
    y = np.arange(len(principals))
    worth = [float(last.get(f"utility_{p}", np.nan)) for p in principals]
    ax.barh(y, worth, height=0.5, color=[colors[p] for p in principals], gid="settlement-bars")
    for yi, p, value in zip(y, principals, worth):
        reservation = last.get(f"reservation_{p}", np.nan)
        if not pd.isna(reservation):
            ax.plot([reservation, reservation], [yi - 0.32, yi + 0.32], color=INK, linewidth=2.5,
                    gid=f"settlement-reservation-{p}")
            ax.annotate(f"reservation {reservation:.2f}", (reservation, yi - 0.32), xytext=(0, 2),
                        textcoords="offset points", ha="center", va="bottom", fontsize=7.5, color=INK)
        if not np.isnan(value):
            ax.annotate(f"{value:.2f}", (value, yi), xytext=(4, 0), textcoords="offset points", va="center",
                        fontsize=9, fontweight="bold", color=text_color(colors[p]))
    ax.set_yticks(y, [scenario.display(p) for p in principals])
    ax.set_ylim(len(principals) - 0.4, -0.7)  # first principal on top, room for the labels
    ax.set_xlim(min(0.0, np.nanmin(worth + [0.0])) - 0.02, 1.08)
    ax.set_xlabel("utility of the outcome (1 = the principal's ideal)", color=INK)
    _tidy(ax, grid="x")
    _color_ticks(ax.get_yticklabels(), [colors[p] for p in principals])
    status = str(last.get("status", "")) if len(trace) else ""
    when = f" \u00b7 {pd.Timestamp(last['date']):%d %b %Y}" if "date" in last and not pd.isna(last["date"]) else ""
    _titles(ax, title or f"What the {status or 'outcome'} is worth to each side",
            pdata.scenario_title(scenario) + when)
    return ax


# --- 3. comparisons ---------------------------------------------------------------------


def _sources(runs: Mapping[str, Results], scenarios: Mapping[str, Scenario] | Scenario | None) -> dict[str, pdata.Source]:
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
    sources = _sources(runs, scenarios)
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
            no_deal = _no_deal_index(first, issue) if issue in first.no_deal else None
            label_of = {first.issues[issue].labels[no_deal]: f"{first.issues[issue].labels[no_deal]}\n(no deal)"} \
                if no_deal is not None else {}
        group_labels = [label_of.get(g, g) for g in groups]
        members, member_key = variants, "variant"
        member_colors = {v: VARIANT_PALETTE[k % len(VARIANT_PALETTE)] for k, v in enumerate(variants)}
        member_labels = {v: f"{v} ({counts[v]:,} runs)" for v in variants}
    horizontal = kind == "outcome"
    size = (7.0, 1.0 + 0.3 * len(groups) * len(members)) if horizontal else \
        (max(5.5, 0.35 * len(groups) * len(members) + 2.0), 4.0)
    ax = _axes(ax, size)
    width = 0.8 / len(members)
    index = frame.set_index([group_key, member_key])
    for m, member in enumerate(members):
        present = [(g, member) for g in groups if (g, member) in index.index]
        if not present:
            continue
        positions = np.array([groups.index(g) for g, _ in present]) + (m - (len(members) - 1) / 2) * width
        part = index.loc[present].reset_index()
        if horizontal:
            ax.barh(positions, part["estimate"], width * 0.92, color=member_colors[member], xerr=_error(part),
                    error_kw=_ERRBAR, label=member_labels[member], gid=f"compare-{member}")
        else:
            ax.bar(positions, part["estimate"], width * 0.92, color=member_colors[member], yerr=_error(part),
                   error_kw=_ERRBAR, label=member_labels[member], gid=f"compare-{member}")
        if len(groups) * len(members) <= 24:
            for pos, value, high in zip(positions, part["estimate"], part["high"]):
                if horizontal:
                    ax.annotate(_pct(value), (high, pos), xytext=(3, 0), textcoords="offset points",
                                va="center", fontsize=7.5, color=INK)
                else:
                    ax.annotate(_pct(value), (pos, high), xytext=(0, 2), textcoords="offset points",
                                ha="center", va="bottom", fontsize=7.5, color=INK)
    (ax.xaxis if horizontal else ax.yaxis).set_major_formatter(_PERCENT)
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
    _tidy(ax, grid="x" if horizontal else "y")
    first = sources[variants[0]].scenario
    what = {"result": "How the talks end", "outcome": "Named outcomes",
            "level": f"{first.display(issue) if issue else ''} (all runs)"}[kind]
    names = list(dict.fromkeys(pdata.scenario_title(src.scenario) for src in sources.values()))
    subtitle = names[0] if len(names) == 1 else f"{len(variants)} scenarios"
    if len(set(counts.values())) == 1:
        subtitle += f" \u00b7 {counts[variants[0]]:,} runs each"
    _titles(ax, f"{what}: compared", f"{subtitle} \u00b7 {_WHISKERS}")
    return ax


# --- whole figures ----------------------------------------------------------------------


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), layout="constrained", dpi=100)


def results_figure(data: Results, *, scenario: Scenario | None = None) -> Figure:
    figure = _figure(5.5, 3.8)
    plot_results(data, scenario=scenario, ax=figure.add_subplot())
    return figure


def outcomes_figure(data: Results, *, scenario: Scenario | None = None) -> Figure:
    src = pdata.source(data, scenario)
    figure = _figure(7.0, 1.4 + 0.42 * max(len(src.scenario.outcomes), 1))
    plot_outcomes(src, ax=figure.add_subplot())
    return figure


def _panels(count: int, width: float = 6.0, height: float = 3.9) -> tuple[Figure, int, int]:
    columns = 1 if count == 1 else 2
    rows = int(np.ceil(count / columns))
    return _figure(width * columns, height * rows), rows, columns


def levels_figure(data: Results, *, scenario: Scenario | None = None) -> Figure:
    """One panel per issue: its distribution over levels, all runs and given a deal."""
    src = pdata.source(data, scenario)
    issues = src.scenario.issue_names
    figure, rows, columns = _panels(len(issues))
    for k, issue in enumerate(issues):
        plot_issue_levels(src, issue=issue, ax=figure.add_subplot(rows, columns, k + 1))
    return figure


def amounts_figure(data: Results, *, scenario: Scenario | None = None) -> Figure:
    """One panel per issue with amounts (money)."""
    src = pdata.source(data, scenario)
    issues = [i for i in src.scenario.issue_names if src.scenario.issues[i].amounts is not None]
    if not issues:
        raise UsageError(f"scenario {src.scenario.name!r} has no issue with amounts; nothing to draw for 'amounts'")
    figure, rows, columns = _panels(len(issues))
    for k, issue in enumerate(issues):
        plot_amounts(src, issue=issue, ax=figure.add_subplot(rows, columns, k + 1))
    return figure


def timing_figure(data: Results, *, scenario: Scenario | None = None) -> Figure:
    figure = _figure(6.5, 3.8)
    plot_deal_timing(data, scenario=scenario, ax=figure.add_subplot())
    return figure


def utilities_figure(data: Results, *, scenario: Scenario | None = None) -> Figure:
    src = pdata.source(data, scenario)
    figure = _figure(7.0, 1.8 + 0.75 * len(src.scenario.actors))
    plot_utilities(src, ax=figure.add_subplot())
    return figure


def negotiation_figure(negotiation: Negotiation, *, scenario: Scenario,
                       principals: Sequence[str] | None = None) -> Figure:
    """One negotiation: the utility plane with the dance (left), targets and offers by round (right)."""
    figure = _figure(12.5, 5.8)
    left, right = figure.subplots(1, 2, gridspec_kw={"width_ratios": [1.0, 1.15]})
    trace = negotiation.trace
    status = str(trace["status"].iloc[-1]) if "status" in trace and len(trace) else ""
    plot_utility_plane(negotiation.plane, scenario=scenario, trace=trace, principals=principals,
                       power=negotiation.power, ax=left,
                       title=f"One negotiation (run {negotiation.replicate}){': ' + status if status else ''}")
    if len(trace) > 1:
        plot_targets(trace, scenario=scenario, ax=right)
    else:
        plot_settlement(trace, scenario=scenario, ax=right)
    return figure


def comparison_figure(runs: Mapping[str, Results], *, scenarios: Mapping[str, Scenario] | Scenario | None = None,
                      kind: str = "result", issue: str | None = None) -> Figure:
    """A whole figure of :func:`plot_comparison`."""
    sources = _sources(runs, scenarios)
    members = len(sources)
    if kind == "outcome":
        count = len({n for src in sources.values() for n in src.scenario.outcomes})
        size = (7.5, 1.8 + 0.2 * max(count, 1) * (members + 0.6))
    elif kind == "level" and issue is not None:
        first = next(iter(sources.values())).scenario
        levels = len(first.issues[issue].labels) if issue in first.issues else 4
        size = (max(6.5, 0.3 * levels * members + 2.5), 4.4)
    else:
        size = (max(6.0, 1.3 * members + 2.5), 4.4)
    figure = _figure(*size)
    plot_comparison(sources, kind=kind, issue=issue, ax=figure.add_subplot())
    return figure


#: Figure kinds of ``basesim plot --kind`` and the report, with what they show.
FIGURE_KINDS: dict[str, str] = {
    "results": "how the talks end: agreement, breakdown, impasse",
    "outcomes": "the scenario's named outcomes",
    "levels": "each issue's distribution over its levels",
    "amounts": "money amounts: the chance of at least each amount",
    "timing": "the chance of a deal by calendar date",
    "utilities": "each actor's utility of the result",
    "negotiation": "one negotiation: the utility plane, the offers and the targets",
}

_BUILDERS: dict[str, Callable[..., Figure]] = {
    "results": results_figure,
    "outcomes": outcomes_figure,
    "levels": levels_figure,
    "amounts": amounts_figure,
    "timing": timing_figure,
    "utilities": utilities_figure,
}


def available_kinds(data: Results, *, scenario: Scenario | None = None, negotiation: bool = False) -> list[str]:
    """The figure kinds that can be drawn for these results (no 'amounts' without amounts, ...).

    ``negotiation``: whether one negotiation (a trace) is at hand for the 'negotiation' kind.
    """
    src = pdata.source(data, scenario)
    scenario = src.scenario
    kinds = []
    for kind in FIGURE_KINDS:
        if kind == "outcomes" and not scenario.outcomes:
            continue
        if kind == "amounts" and all(i.amounts is None for i in scenario.issues.values()):
            continue
        if kind == "utilities" and src.table is None:
            continue
        if kind == "negotiation" and (not negotiation or len(scenario.principals) < 2):
            continue
        kinds.append(kind)
    return kinds


def check_kinds(kinds: Sequence[str]) -> list[str]:
    """Validate figure kind names; raise a UsageError naming the allowed ones."""
    from basesim.scenario.checks import did_you_mean

    for kind in kinds:
        if kind not in FIGURE_KINDS:
            raise UsageError(f"--kind: {kind!r} is not a figure kind{did_you_mean(kind, FIGURE_KINDS)}; "
                             f"expected one of {', '.join(FIGURE_KINDS)}")
    return list(dict.fromkeys(kinds))


def standard_figures(data: Results, *, scenario: Scenario | None = None, negotiation: Negotiation | None = None,
                     kinds: Sequence[str] | None = None) -> dict[str, Figure]:
    """The standard figures of a run, by kind (see :data:`FIGURE_KINDS`).

    ``kinds=None`` draws every kind that applies (:func:`available_kinds`);
    the ``negotiation`` kind needs a :class:`Negotiation`.
    """
    src = pdata.source(data, scenario)
    chosen = available_kinds(src, negotiation=negotiation is not None) if kinds is None else check_kinds(kinds)
    figures: dict[str, Figure] = {}
    for kind in chosen:
        if kind == "negotiation":
            if negotiation is None:
                raise UsageError("the 'negotiation' figure needs the trace of one run; none was given")
            figures[kind] = negotiation_figure(negotiation, scenario=src.scenario)
        else:
            figures[kind] = _BUILDERS[kind](src)
    return figures


def figure_bytes(figure: Figure, *, format: str = "png", dpi: int = 150) -> bytes:
    """The figure encoded as PNG, SVG or PDF bytes (fonts embedded, metadata without dates)."""
    if format not in FORMATS:
        raise UsageError(f"--format: {format!r} is not a figure format; expected one of {', '.join(FORMATS)}")
    buffer = io.BytesIO()
    metadata = {"png": {"Software": "basesim"}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}[format]
    figure.savefig(buffer, format=format, dpi=dpi, metadata=metadata, facecolor="white")
    return buffer.getvalue()


def save_figure(figure: Figure, path: str | Path, *, format: str | None = None, dpi: int = 150) -> Path:
    """Write a figure to ``path`` (format from ``format`` or the suffix); return the path."""
    path = Path(path)
    format = format or path.suffix.lstrip(".").lower()
    data = figure_bytes(figure, format=format, dpi=dpi)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write the figure ({exc.strerror or exc})") from exc
    return path


def write_figures(result: Results, folder: str | Path, *, format: str = "png", kinds: Sequence[str] | None = None,
                  replicate: int | None = None, dpi: int = 150) -> list[Path]:
    """Draw a run's standard figures into ``folder`` as ``KIND.FORMAT``; return the paths written.

    ``result`` is a RunResult (or anything :func:`basesim.views.plot_data.source`
    takes). The 'negotiation' figure replays one world (``replicate``, by
    default a typical deal) from the run's seed when the run carries its
    provenance; nothing else re-runs the model.
    """
    if format not in FORMATS:
        raise UsageError(f"--format: {format!r} is not a figure format; expected one of {', '.join(FORMATS)}")
    src = pdata.source(result)
    wanted = None if kinds is None else check_kinds(kinds)
    can_replay = getattr(result, "provenance", None) is not None and len(src.scenario.principals) >= 2
    negotiation = None
    if can_replay and (wanted is None or "negotiation" in wanted):
        negotiation = pdata.one_negotiation(result, replicate=replicate)
    figures = standard_figures(src, negotiation=negotiation, kinds=wanted)
    return [save_figure(figure, Path(folder) / f"{kind}.{format}", dpi=dpi) for kind, figure in figures.items()]

