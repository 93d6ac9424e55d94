"""``extends``: a scenario file built on another, merged key by key, each path keeping the line of the file that wrote it."""

from __future__ import annotations

import copy
from pathlib import Path

from basesim.errors import Problem, ScenarioError
from basesim.scenario.checks import allowed_keys, show_value
from basesim.scenario.distributions import DISTRIBUTIONS
from basesim.scenario.yaml_source import Source, read_yaml

__all__ = ["MAX_EXTENDS_DEPTH", "resolve_extends"]

#: Most files in a chain of ``extends`` (the file itself included).
MAX_EXTENDS_DEPTH = 16


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
                if "source" in into[key] and "source" not in value and ("dist" in into[key] or "value" in value):
                    del into[key]["source"]  # a tuned number no longer comes from the base's source
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
    """Read ``path`` and, recursively, the scenarios it extends (``seen``: the chain so far).

    A chain holds at most :data:`MAX_EXTENDS_DEPTH` files; a cycle, a missing
    file, a folder or an unreadable file is reported at the ``extends`` line
    that names it.
    """
    path = Path(path)
    source = read_yaml(path)
    parent = source.data.pop("extends", None)
    if parent is None:
        return source
    file, line = source.lines["extends"]

    def fail(message: str) -> ScenarioError:
        return ScenarioError([Problem("extends", message, file, line)])

    if not isinstance(parent, str) or not parent.strip():
        raise fail(f"must be a file name, got {parent!r}")
    chain = seen + (path.resolve(),)
    try:
        parent_path = path.parent / parent
        resolved = parent_path.resolve()
        exists, is_folder = parent_path.exists(), parent_path.is_dir()
    except (OSError, ValueError) as exc:  # a NUL byte, a name too long, ...
        raise fail(f"{show_value(parent)} cannot be a file name: {getattr(exc, 'strerror', None) or exc}") from None
    if resolved in chain:
        loop = chain[chain.index(resolved):] + (resolved,)
        cycle = " -> ".join(p.name for p in loop)
        raise fail(f"{parent!r} makes a cycle of extends: {cycle}")
    if len(chain) >= MAX_EXTENDS_DEPTH:
        raise fail(f"{parent!r} would make a chain of more than {MAX_EXTENDS_DEPTH} files "
                   f"({chain[0].name} -> ... -> {chain[-1].name} -> {parent_path.name}); "
                   f"extends may be at most {MAX_EXTENDS_DEPTH} files deep")
    if not exists:
        raise fail(f"no such file {parent!r} (looked in {path.parent})")
    if is_folder:
        raise fail(f"{parent!r} is a folder, not a scenario file")
    try:
        base = resolve_extends(parent_path, chain)
    except ScenarioError as exc:
        # a problem of the base file as a whole (unreadable, too big) is located at this extends line
        problems = [Problem("extends", f"{parent!r} cannot be used: {p.message}", file, line)
                    if p.file == str(parent_path) and p.line is None and not p.path else p for p in exc.problems]
        raise ScenarioError(problems) from None
    merged = _merge(base, source)
    if "name" not in source.data:
        merged.data.pop("name", None)
    return merged
