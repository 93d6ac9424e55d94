"""The scenario layer: what an analyst writes, checked, and the uncertain inputs sampled from it.

Holds the schema (pydantic), the YAML loader with line numbers, ``extends`` and
``--set`` overrides, the probability distributions, cross-field checks, the
JSON Schema of scenario files and the sampling of inputs into
:class:`~basesim.scenario.sampling.Draws`.

May import: :mod:`basesim.errors` and :mod:`basesim._version` only (first layer).
"""
