"""What agents and protocols may use of the model: a structural type, so they need not import it.

:class:`~basesim.model.negotiation.NegotiationModel` satisfies :class:`Talks`;
agents and protocols are written against this surface only, which keeps the
model layer free of import cycles (the model imports them, never the reverse).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, Sequence

import numpy as np

if TYPE_CHECKING:  # names for annotations only; these modules import nothing from the model
    from basesim.model.state import BatchState


class Talks(Protocol):
    """One batch of worlds negotiating: its state, clock, principals and how worlds end."""

    state: "BatchState"
    round: int
    rounds: int
    months_per_round: float
    recording: bool
    principals: Sequence[Any]

    def proposer(self, round_: int) -> Any: ...

    def hazard(self) -> np.ndarray: ...

    def conclude(self, mask: np.ndarray, result: str, **options: Any) -> None: ...

    def record_offer(self, *args: Any) -> None: ...

    def record_solution(self, t: int, outcome: np.ndarray, exists: np.ndarray) -> None: ...
