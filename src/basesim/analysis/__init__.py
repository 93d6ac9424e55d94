"""The analysis layer: questions asked across many runs.

Holds parameter sweeps (designs, common random numbers, the resumable cache)
and sensitivity analysis (Sobol indices, the cheap input ranking), and the
forecasting workbench: observations files, conditioning on them, forecasts
and prior-against-posterior inputs, scores, pools and the simulation-based
calibration check (observations, world_states, conditioning, forecasts,
posterior, scoring, ensembles, track_record, sbc).

May import: :mod:`basesim.scenario`, :mod:`basesim.model`, :mod:`basesim.montecarlo`.
"""
