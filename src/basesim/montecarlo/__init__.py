"""The Monte Carlo layer: many batches of worlds, seeded and run in parallel, and what they add up to.

Holds the runner (batches, seeds, worker pools and dask), the run result and
its results folder, the summary (counts, probabilities with intervals,
quantiles) and the provenance record.

May import: :mod:`basesim.scenario`, :mod:`basesim.model`.
"""
