"""Dotted-path overrides (``--set PATH=VALUE``), applied to raw scenario data before validation."""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel

from basesim.errors import Problem, ScenarioError
from basesim.scenario.checks import did_you_mean, show_value
from basesim.scenario.yaml_source import YamlProblem, parse_yaml_value

__all__ = ["OVERRIDE", "apply_overrides", "parse_override"]

OVERRIDE = "--set"


def parse_override(text: str) -> tuple[str, Any]:
    """``'actors.turkey.leverage.syria=0.4'`` -> ``('actors.turkey.leverage.syria', 0.4)``.

    The value is read as YAML, so ``0.4``, ``true``, ``[1, 2]`` and
    ``{dist: uniform, low: 0, high: 1}`` all work (within the limits of
    :mod:`basesim.scenario.yaml_source`: nesting, aliases).
    """
    path, sep, value = str(text).partition("=")
    path = path.strip()
    if not sep or not path:
        raise ScenarioError([Problem("", f"bad override {text!r}; expected PATH=VALUE, e.g. actors.turkey.leverage.syria=0.4", OVERRIDE)])
    try:
        parsed = parse_yaml_value(value) if value.strip() else None
    except YamlProblem as exc:
        reason = exc.reason
        shown = repr(value) if len(value) <= 60 else repr(value[:57] + "...")
        raise ScenarioError(
            [Problem(path, f"cannot read the value {shown} as YAML: {reason}", OVERRIDE)]
        ) from None
    return path, parsed


#: Top-level mappings whose keys are names the user chose, and what those names are.
_NAMED = {"actors": "actor", "issues": "issue", "events": "event", "outcomes": "outcome"}


def _set_path(data: dict, path: str, value: Any) -> None:
    """Set ``data[a][b][c] = value`` for ``path='a.b.c'``; integer parts index lists.

    Keys that themselves contain dots (event targets such as
    ``events.x.set.actors.syria.outside_option``) are matched greedily: an
    existing key with dots wins over descending.
    """
    parts = path.split(".")
    node: Any = data
    i = 0
    while i < len(parts) - 1:
        # an existing dotted key (e.g. event targets) that spans the rest
        rest = ".".join(parts[i:])
        if isinstance(node, dict) and rest in node:
            break
        key = parts[i]
        if isinstance(node, list):
            try:
                node = node[int(key)]
            except (ValueError, IndexError):
                raise ScenarioError([Problem(path, f"{key!r} is not an index of this list (it has {len(node)} items)", OVERRIDE)]) from None
        elif isinstance(node, dict):
            if key in ("set", "add") and path.split(".")[0] == "events":
                node = node.setdefault(key, {})
                i += 1
                break
            child = node.get(key)
            if child is None:
                collection = parts[0] if i == 1 else None
                if collection in _NAMED:
                    known = list(node)
                    raise ScenarioError([Problem(
                        path,
                        f"unknown {_NAMED[collection]} {key!r}{did_you_mean(key, known)}; "
                        f"expected one of {', '.join(known) or '(none yet)'}",
                        OVERRIDE,
                    )])
                child = {}
                node[key] = child
            elif not isinstance(child, (dict, list)):
                where = ".".join(parts[: i + 1])
                raise ScenarioError([Problem(
                    path, f"cannot set inside {where!r}, which is a value ({show_value(child)}), not a mapping",
                    OVERRIDE,
                )])
            node = child
        else:
            raise ScenarioError([Problem(path, f"cannot set inside {'.'.join(parts[:i])!r}, which is not a mapping", OVERRIDE)])
        i += 1
    last = ".".join(parts[i:])
    if isinstance(node, list):
        try:
            node[int(last)] = value
        except (ValueError, IndexError):
            raise ScenarioError([Problem(path, f"{last!r} is not an index of this list", OVERRIDE)]) from None
    elif value is None:
        node.pop(last, None)
    else:
        node[last] = value


def apply_overrides(source_data: dict, overrides: dict[str, Any] | list[str] | None) -> tuple[dict, list[str]]:
    """A copy of ``source_data`` with overrides applied, and the overridden paths."""
    data = copy.deepcopy(source_data)
    if not overrides:
        return data, []
    items = overrides.items() if isinstance(overrides, dict) else (parse_override(o) for o in overrides)
    paths = []
    for path, value in items:
        if isinstance(value, BaseModel):
            value = value.model_dump(mode="json", by_alias=True, exclude_none=True)
        _set_path(data, path, value)
        paths.append(path)
    return data, paths
