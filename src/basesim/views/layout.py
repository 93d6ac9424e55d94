"""Figure-level layout helpers: legends that constrained layout makes room for.

A legend anchored below an Axes (``bbox_to_anchor=(0.5, -0.1)``) is placed in
axes fractions; when constrained layout then resizes the Axes (a fixed aspect,
a long tick label elsewhere) the legend moves and can fall off the figure.
Figure legends with an ``"outside ..."`` location are laid out with the Axes
(matplotlib >= 3.7), so they never do.
"""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = ["legends_below"]


def legends_below(figure: Figure, *, axes: Sequence[Axes] | None = None, fontsize: float = 7.5,
                  ncol: int | None = None) -> list:
    """Move the legends of ``axes`` (default: every Axes with one) to figure legends below the plots.

    With one legend it is centred; with two, the first goes to the lower left
    and the second to the lower right (one under each panel of a two-panel
    figure). Each keeps its number of columns unless ``ncol`` is given.
    Returns the new figure legends.
    """
    chosen = [ax for ax in (axes if axes is not None else figure.axes) if ax.get_legend() is not None]
    places = {1: ["outside lower center"], 2: ["outside lower left", "outside lower right"]}.get(
        len(chosen), ["outside lower center"] * len(chosen))
    made = []
    for ax, place in zip(chosen, places):
        legend = ax.get_legend()
        handles = list(legend.legend_handles)
        labels = [text.get_text() for text in legend.get_texts()]
        columns = ncol if ncol is not None else legend._ncols
        legend.remove()
        made.append(figure.legend(handles, labels, loc=place, ncol=columns, frameon=False, fontsize=fontsize))
    return made
