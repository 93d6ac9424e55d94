"""The views layer: figures and pages made from results (never re-running a model to draw).

Holds the plot data (estimate tables), the matplotlib figures, the sweep and
sensitivity figures and the self-contained HTML report. Only this layer
imports matplotlib.

May import: :mod:`basesim.scenario`, :mod:`basesim.model`, :mod:`basesim.montecarlo`,
:mod:`basesim.analysis`.
"""
