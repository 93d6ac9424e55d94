"""The resolved scenario out again: YAML text and the hash that identifies what was run."""

from __future__ import annotations

import hashlib
import json

import yaml

from basesim.scenario.schema import Scenario

__all__ = ["dump_scenario", "scenario_hash"]


class _CompactDumper(yaml.SafeDumper):
    """Block style for the structure, flow style (``{dist: uniform, low: 0, high: 1}``) for leaves."""


def _represent_mapping(dumper: yaml.SafeDumper, data: dict) -> yaml.Node:
    leaf = all(not isinstance(v, (dict, list)) for v in data.values())
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=leaf and len(data) <= 6)


def _represent_list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    leaf = all(not isinstance(v, (dict, list)) for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=leaf)


def _represent_text(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    if "\n" in data.strip("\n"):
        style = "|"
    elif len(data) > 80 and data == data.strip(" ") and "  " not in data:
        style = ">"
    else:
        style = None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_CompactDumper.add_representer(str, _represent_text)
_CompactDumper.add_representer(dict, _represent_mapping)
_CompactDumper.add_representer(list, _represent_list)


def dump_scenario(scenario: Scenario) -> str:
    """The resolved scenario as YAML text (``load -> dump -> load`` is the identity)."""
    return yaml.dump(scenario.to_data(), Dumper=_CompactDumper, sort_keys=False, allow_unicode=True, width=100)


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the resolved scenario's canonical JSON: the identity of what was run."""
    canonical = json.dumps(scenario.to_data(), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
