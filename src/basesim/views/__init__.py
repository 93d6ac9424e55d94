"""The views layer: figures and pages made from results (never re-running a model to draw, but for the live page).

Holds the plot data (estimate tables), the matplotlib figures, the sweep and
sensitivity figures, the self-contained HTML report and the live what-if
page (``basesim app``: :mod:`~basesim.views.whatif`, :mod:`~basesim.views.live_compute`,
:mod:`~basesim.views.live`, on Solara, the ``app`` extra). Only this layer
imports matplotlib (and Solara).

May import: :mod:`basesim.scenario`, :mod:`basesim.model`, :mod:`basesim.montecarlo`,
:mod:`basesim.analysis`.
"""
