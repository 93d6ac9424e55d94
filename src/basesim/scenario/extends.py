"""``extends``: a scenario file built on another, merged key by key, each path keeping the line of the file that wrote it."""

from __future__ import annotations

import copy
from pathlib import Path

from basesim.errors import Problem, ScenarioError
from basesim.scenario.checks import allowed_keys
from basesim.scenario.distributions import DISTRIBUTIONS
from basesim.scenario.yaml_source import Source, read_yaml

__all__ = ["resolve_extends"]


def _mergeable(base: dict, overlay: dict) -> bool:
    """Whether ``overlay`` refines ``base`` key by key (else it replaces it whole).

    A distribution is replaced whole when the overlay names its own ``dist``
    (a uniform's ``low`` must not leak into a beta); an overlay without
    ``dist`` refines the base distribution only if it gives that
    distribution's parameters (``patience: {high: 0.99}``); otherwise (say, a
    per-issue salience over a Dirichlet) it replaces it.
    """
    if "dist" in overlay:
        return False
    if "dist" in base:
        model = DISTRIBUTIONS.get(base["dist"]) if isinstance(base["dist"], str) else None
        return model is not None and set(overlay) <= set(allowed_keys(model))
    return True


def _merge(base: Source, child: Source) -> Source:
    """Child over base, recursively for mappings; ``null`` in the child deletes a key.

    Distributions are replaced whole unless the child only tunes their parameters
    (:func:`_mergeable`).
    """
    data = copy.deepcopy(base.data)
    lines = dict(base.lines)

    def merge(into: dict, overlay: dict, prefix: str) -> None:
        for key, value in overlay.items():
            path = f"{prefix}.{key}" if prefix else key
            if value is None:
                into.pop(key, None)
                for stale in [p for p in lines if p == path or p.startswith(path + ".")]:
                    del lines[stale]
                continue
            if isinstance(value, dict) and isinstance(into.get(key), dict) and _mergeable(into[key], value):
                lines[path] = child.lines.get(path, lines.get(path))
                merge(into[key], value, path)
            else:
                into[key] = copy.deepcopy(value)
                for stale in [p for p in lines if p == path or p.startswith(path + ".")]:
                    del lines[stale]
                lines.update({p: w for p, w in child.lines.items() if p == path or p.startswith(path + ".")})

    merge(data, child.data, "")
    lines[""] = child.lines.get("", (child.file, 1))
    return Source(data, lines, child.file)


def resolve_extends(path: Path, seen: tuple[Path, ...] = ()) -> Source:
    """Read ``path`` and, recursively, the scenarios it extends (``seen``: the chain so far)."""
    path = Path(path)
    source = read_yaml(path)
    parent = source.data.pop("extends", None)
    if parent is None:
        return source
    file, line = source.lines["extends"]
    if not isinstance(parent, str):
        raise ScenarioError([Problem("extends", f"must be a file name, got {parent!r}", file, line)])
    parent_path = path.parent / parent
    chain = seen + (path.resolve(),)
    if parent_path.resolve() in chain:
        loop = chain[chain.index(parent_path.resolve()):] + (parent_path.resolve(),)
        cycle = " -> ".join(p.name for p in loop)
        raise ScenarioError([Problem("extends", f"{parent!r} makes a cycle of extends: {cycle}", file, line)])
    if not parent_path.exists():
        raise ScenarioError([Problem("extends", f"no such file {parent!r} (looked in {path.parent})", file, line)])
    base = resolve_extends(parent_path, chain)
    merged = _merge(base, source)
    if "name" not in source.data:
        merged.data.pop("name", None)
    return merged
