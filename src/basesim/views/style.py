"""The look shared by every figure: colours (results, actors, variants), formatters and small Axes helpers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import to_hex, to_rgb
from matplotlib.ticker import PercentFormatter
from matplotlib.transforms import offset_copy

from basesim.scenario.schema import Scenario
from basesim.views import plot_data as pdata

#: One colour per result category, in every figure.
RESULT_COLORS: dict[str, str] = {"agreement": "#2f9e44", "breakdown": "#e8590c", "talking": "#868e96"}
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

PERCENT = PercentFormatter(xmax=1.0, decimals=0)
# violinplot's 'vert' became 'orientation' in matplotlib 3.10
HORIZONTAL = {"orientation": "horizontal"} if tuple(int(p) for p in matplotlib.__version__.split(".")[:2]) >= (3, 10) \
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


def axes_or_new(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """The given Axes, or a new one (through pyplot, so that notebooks show it)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt  # only for interactive use; the CLI passes its own Axes

    _, new = plt.subplots(figsize=figsize, layout="constrained")
    return new


def tidy(ax: Axes, *, grid: str = "y") -> None:
    """Light frame: no top/right spines, a faint grid behind the data on ``grid``."""
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#adb5bd")
    ax.tick_params(colors=INK, labelsize=9)
    ax.set_axisbelow(True)
    if grid:
        ax.grid(True, axis=grid, color="#e9ecef", linewidth=0.8)


def color_ticks(labels: Sequence[Any], colors: Sequence[str]) -> None:
    """Actor names in their colours, bold (after :func:`tidy`, which sets tick colours)."""
    for label, color in zip(labels, colors):
        label.set_color(text_color(color))
        label.set_fontweight("bold")


def set_titles(ax: Axes, what: str, subtitle: str) -> None:
    """A bold title saying what the figure shows, and a grey line naming the scenario and runs."""
    ax.set_title(what, loc="left", fontsize=11, fontweight="bold", color=INK, pad=18)
    transform = offset_copy(ax.transAxes, fig=ax.figure, y=5, units="points")
    ax.text(0, 1, subtitle, transform=transform, ha="left", va="bottom", fontsize=8.5, color=MUTED)


def run_subtitle(src: pdata.Source, extra: str = "") -> str:
    line = pdata.scenario_title(src.scenario, src.runs)
    return f"{line} \u00b7 {extra}" if extra else line


def percent(value: float) -> str:
    if np.isnan(value):
        return "\u2013"
    if 0 < value < 0.01:
        return "<1%"
    if 0.99 < value < 1:
        return ">99%"
    return f"{value:.0%}"


def error_bars(frame: pd.DataFrame) -> np.ndarray:
    """Asymmetric error-bar lengths (2, n) from ``estimate``, ``low``, ``high``."""
    estimate = frame["estimate"].to_numpy(float)
    return np.vstack([np.clip(estimate - frame["low"].to_numpy(float), 0, None),
                      np.clip(frame["high"].to_numpy(float) - estimate, 0, None)])


WHISKERS = "whiskers: 95% intervals"
BANDS = "bands: 95% intervals"
ERRBAR = {"ecolor": "#343a40", "elinewidth": 1.0, "capsize": 2.5, "capthick": 1.0}


def level_ticks(ax: Axes, labels: Sequence[str], *, no_deal: int | None, axis: str = "x") -> None:
    """Level labels as ticks (thinned when there are many), the status quo's level marked."""
    shown = list(labels)
    if no_deal is not None:
        shown[no_deal] = f"{shown[no_deal]}\n(status quo)"
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


def no_deal_index(scenario: Scenario, issue: str) -> int | None:
    """The level that holds without an agreement: the status quo's (older scenarios: the no-deal level)."""
    ref = (getattr(scenario, "status_quo", None) or scenario.no_deal or {}).get(issue)
    return None if ref is None else scenario.issues[issue].level_index(ref)


def date_axis(ax: Axes) -> None:
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    formatter = mdates.ConciseDateFormatter(locator, show_offset=False)
    formatter.zero_formats = ["", "%Y", "%b\n%Y", "%d %b", "%H:%M", "%H:%M"]  # January shows its year
    ax.xaxis.set_major_formatter(formatter)


