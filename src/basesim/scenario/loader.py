"""Reading scenarios: a file or plain data, merged (``extends``), overridden (``--set``) and validated.

Every problem is reported at once as ``FILE:LINE: dotted.path: message``
(:class:`~basesim.errors.ScenarioError`). The line of a path is the line
where its key was written, in whichever file (base or derived) wrote it;
overrides are reported as coming from ``--set``.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from basesim.scenario.dump import dump_scenario, scenario_hash
from basesim.scenario.extends import resolve_extends
from basesim.scenario.messages import validate
from basesim.scenario.overrides import apply_overrides, parse_override
from basesim.scenario.schema import Scenario
from basesim.scenario.sources import collect_sources
from basesim.scenario.yaml_source import Source

__all__ = ["load_scenario", "scenario_from_data", "apply_overrides", "parse_override", "scenario_hash", "dump_scenario"]


def load_scenario(path: str | Path, overrides: dict[str, Any] | list[str] | None = None) -> Scenario:
    """Read, merge (``extends``), override and validate a scenario file.

    ``overrides`` maps dotted paths to values (``{"actors.turkey.leverage.syria": 0.4}``)
    or is a list of ``PATH=VALUE`` strings as on the command line. Raises
    :class:`~basesim.errors.ScenarioError` listing every problem found.
    """
    source = resolve_extends(Path(path))
    source.data.setdefault("name", Path(path).stem)
    data, overridden = _overridden(source.data, overrides)
    return validate(Source(data, dict(source.lines), source.file), overridden)


def scenario_from_data(data: dict[str, Any], overrides: dict[str, Any] | list[str] | None = None,
                       *, origin: str = "<data>") -> Scenario:
    """Validate a scenario given as plain data (e.g. ``yaml.safe_load`` output or ``to_data()``)."""
    if isinstance(data, Scenario):
        data = data.to_data()
    data = copy.deepcopy(dict(data))
    data.pop("extends", None)
    data, overridden = _overridden(data, overrides)
    return validate(Source(data, {"": (origin, None)}, origin), overridden)


def _overridden(data: dict[str, Any], overrides: dict[str, Any] | list[str] | None) -> tuple[dict[str, Any], list[str]]:
    """Sources gathered (``{value, source}`` -> value), then overrides applied; an overridden number loses its source."""
    data, overridden = apply_overrides(collect_sources(data), overrides)
    sources = data.get("sources")
    if isinstance(sources, dict) and overridden:
        data["sources"] = {path: text for path, text in sources.items()
                           if not any(path == o or path.startswith(o + ".") for o in overridden)}
    return data, overridden


def with_overrides(scenario: Scenario, overrides: dict[str, Any] | list[str] | None) -> Scenario:
    """A new scenario: ``scenario`` with dotted-path overrides, validated again."""
    if not overrides:
        return scenario
    return scenario_from_data(scenario.to_data(), overrides, origin=scenario.name or "<scenario>")


