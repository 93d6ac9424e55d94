"""Pictures of a run: outcome distributions, one negotiation, comparisons.

This module gathers the figure functions of the views layer in one namespace
(``from basesim.views import plots``); they live in :mod:`~basesim.views.style`,
:mod:`~basesim.views.outcome_plots`, :mod:`~basesim.views.negotiation_plots`,
:mod:`~basesim.views.comparison_plots` and :mod:`~basesim.views.figures`. Every ``plot_*`` function takes data
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

from basesim.views.comparison_plots import (  # noqa: F401 (re-exported)
    plot_comparison,
)
from basesim.views.figures import (  # noqa: F401 (re-exported)
    FIGURE_KINDS,
    amounts_figure,
    available_kinds,
    check_kinds,
    comparison_figure,
    figure_bytes,
    levels_figure,
    negotiation_figure,
    outcomes_figure,
    results_figure,
    save_figure,
    standard_figures,
    timing_figure,
    utilities_figure,
    write_figures,
)
from basesim.views.negotiation_plots import (  # noqa: F401 (re-exported)
    Negotiation,
    plot_settlement,
    plot_targets,
    plot_utility_plane,
)
from basesim.views.outcome_plots import (  # noqa: F401 (re-exported)
    plot_amounts,
    plot_deal_timing,
    plot_issue_levels,
    plot_outcomes,
    plot_results,
    plot_utilities,
)
from basesim.views.style import (  # noqa: F401 (re-exported)
    ACTOR_PALETTE,
    FORMATS,
    GIVEN_COLORS,
    INK,
    MUTED,
    OUTCOME_COLOR,
    RESULT_COLORS,
    VARIANT_PALETTE,
    Results,
    actor_colors,
    text_color,
)

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
    "ACTOR_PALETTE",
    "VARIANT_PALETTE",
    "OUTCOME_COLOR",
    "INK",
    "MUTED",
    "Results",
    "results_figure",
    "outcomes_figure",
    "levels_figure",
    "amounts_figure",
    "timing_figure",
    "utilities_figure",
    "available_kinds",
    "check_kinds",
    "write_figures",
]
