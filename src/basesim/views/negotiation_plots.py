"""Figures of one negotiation: the utility plane with the offers, targets over time, the settlement."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from basesim.errors import UsageError
from basesim.scenario.schema import Scenario
from basesim.views import plot_data as pdata
from basesim.views.style import (
    INK,
    MUTED,
    RESULT_COLORS,
    actor_colors,
    axes_or_new,
    color_ticks,
    date_axis,
    set_titles,
    text_color,
    tidy,
)

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
    ax = axes_or_new(ax, (6.0, 5.5))
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
    tidy(ax, grid="")
    set_titles(ax, title or "The negotiation in the utility plane",
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
    elif status in ("breakdown", "talking"):
        ax.plot([x[-1]], [y[-1]], "X", markersize=11, color=RESULT_COLORS[status], markeredgecolor="white",
                zorder=6, label=f"last offer ({status})", gid=f"{status}-point")


def plot_targets(trace: pd.DataFrame, *, scenario: Scenario, title: str | None = None,
                 ax: Axes | None = None) -> Axes:
    """The principals' targets over the rounds, and what each offer was worth to each of them.

    Lines: each principal's target utility ``tau_a(t)`` (docs/model.md, alternating
    offers), dashed: its reservation utility (events may move it); filled
    dots: the worth of its own offers, hollow dots: the worth of the other
    side's offers. Events are the dotted verticals; the end is marked.
    """
    ax = axes_or_new(ax, (6.5, 3.8))
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
        date_axis(ax)
    else:
        ax.set_xlabel("round", color=INK)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    tidy(ax, grid="y")
    set_titles(ax, title or "Targets and offers, round by round", pdata.scenario_title(scenario))
    return ax


def plot_settlement(trace: pd.DataFrame, *, scenario: Scenario, title: str | None = None,
                    ax: Axes | None = None) -> Axes:
    """What the end of one negotiation is worth to each principal, against its reservation utility.

    For one-shot protocols (equilibrium, Nash) whose trace has a single
    round: a bar per principal (its utility of the outcome) and a black tick
    at its reservation utility; the gap is the principal's gain from the deal.
    """
    ax = axes_or_new(ax, (6.0, 3.5))
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
    tidy(ax, grid="x")
    color_ticks(ax.get_yticklabels(), [colors[p] for p in principals])
    status = str(last.get("status", "")) if len(trace) else ""
    when = f" \u00b7 {pd.Timestamp(last['date']):%d %b %Y}" if "date" in last and not pd.isna(last["date"]) else ""
    set_titles(ax, title or f"What the {status or 'outcome'} is worth to each side",
            pdata.scenario_title(scenario) + when)
    return ax
