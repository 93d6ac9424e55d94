"""The model layer: the negotiation itself, as a Mesa model over a batch of parallel worlds.

Holds the outcome space, the batch state, the agents, the Mesa model
(:func:`play`, :func:`trace`), the protocols (one theory each) and the plain
one-world reference that checks them.

May import: :mod:`basesim.scenario` (and :mod:`basesim.errors`).
"""

import warnings

with warnings.catch_warnings():
    # Mesa imports tqdm.auto, which warns in Jupyter when ipywidgets is missing; basesim never uses
    # Mesa's progress bars, so a notebook's first run should not print that warning.
    warnings.filterwarnings("ignore", message="IProgress not found")
    import mesa  # noqa: F401

from basesim.model.negotiation import (
    NegotiationModel,
    batch_size,
    horizon_dates,
    outcome_space,
    play,
    round_dates,
    trace,
    world_utilities,
)

__all__ = ["NegotiationModel", "batch_size", "play", "trace", "round_dates", "horizon_dates", "world_utilities", "outcome_space"]
