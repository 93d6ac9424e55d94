"""The protocol interface the model drives, one round at a time."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

if TYPE_CHECKING:
    from basesim.model.talks import Talks


class Protocol:
    """How one round of talks is played in every active world of a batch.

    ``start`` runs once before round 0 (e.g. to solve a game); ``step`` plays
    round ``model.round`` and ends worlds through ``model.conclude``.
    """

    name: ClassVar[str]
    #: whether the protocol needs the principals' noisy beliefs
    uses_beliefs: ClassVar[bool] = False
    #: a benchmark without a timing: played in round 0 only (the rest of the horizon keeps its state)
    one_shot: ClassVar[bool] = False

    def start(self, model: Talks) -> None:
        """Prepare before round 0."""

    def step(self, model: Talks) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def outcome_columns(self, model: Talks) -> dict[str, np.ndarray]:
        """Columns of the protocol's own for the outcome table, (worlds of the batch,) each; none by default."""
        return {}
