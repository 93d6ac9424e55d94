"""Where each number of a scenario comes from: ``source:`` beside any number or distribution.

A fixed number may be written ``{value: 0.3, source: "SIPRI 2024"}`` and a
distribution may carry ``source:`` among its parameters. Before validation,
:func:`collect_sources` replaces every ``{value, source}`` pair by its value
and gathers all sources into the scenario's ``sources`` mapping (dotted path
-> text), which ``show``, reports and the resolved scenario carry. A
scenario may also give ``sources:`` directly.
"""

from __future__ import annotations

from typing import Any

__all__ = ["collect_sources"]


def collect_sources(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with ``{value, source}`` pairs turned into plain values and a complete ``sources`` mapping."""
    found: dict[str, str] = {}

    def walk(node: Any, path: str) -> Any:
        if isinstance(node, dict):
            if set(node) == {"value", "source"} and isinstance(node["source"], str):
                found[path] = node["source"]
                return node["value"]
            if "dist" in node and isinstance(node.get("source"), str):
                found[path] = node["source"]
            return {key: walk(value, f"{path}.{key}" if path else str(key)) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item, f"{path}.{i}") for i, item in enumerate(node)]
        return node

    given = data.get("sources")
    out = {key: walk(value, key) if key != "sources" else value for key, value in data.items()}
    if found or given:
        merged = dict(given) if isinstance(given, dict) else {}
        merged.update(found)
        out["sources"] = merged if isinstance(given, dict) or given is None else given
    return out
