"""The analysis layer: questions asked across many runs.

Holds parameter sweeps (designs, common random numbers, the resumable cache)
and sensitivity analysis (Sobol indices, the cheap input ranking).

May import: :mod:`basesim.scenario`, :mod:`basesim.model`, :mod:`basesim.montecarlo`.
"""
