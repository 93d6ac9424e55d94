"""Theories of how the talks run, behind one interface (docs/model.md, "The theories").

- ``alternating_offers``: time-dependent concession with noisy beliefs (default);
- ``equilibrium``: subgame-perfect play of the finite-horizon alternating-offers
  game with discount factors, by backward induction;
- ``nash``: the asymmetric Nash bargaining solution;
- ``expected_utility``: Bueno de Mesquita's expected-utility model of political
  forecasting, issue by issue (Scholz, Calbert and Smith 2011).
"""

from __future__ import annotations

from basesim.errors import UsageError
from basesim.model.protocols.alternating import AlternatingOffers
from basesim.model.protocols.base import Protocol
from basesim.model.protocols.equilibrium import Equilibrium
from basesim.model.protocols.expected_utility import ExpectedUtility
from basesim.model.protocols.nash import NashBargaining
from basesim.scenario.schema import PROTOCOLS

REGISTRY: dict[str, type[Protocol]] = {
    "alternating_offers": AlternatingOffers,
    "equilibrium": Equilibrium,
    "nash": NashBargaining,
    "expected_utility": ExpectedUtility,
}
assert set(REGISTRY) == set(PROTOCOLS)


def get_protocol(name: str) -> Protocol:
    """A fresh protocol object by name."""
    try:
        return REGISTRY[name]()
    except KeyError:
        raise UsageError(f"protocol: {name!r} is not a protocol; expected one of {', '.join(REGISTRY)}") from None


__all__ = ["AlternatingOffers", "Equilibrium", "ExpectedUtility", "NashBargaining", "Protocol", "REGISTRY", "get_protocol"]
