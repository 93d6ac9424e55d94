"""Reading scenarios: safe YAML with line numbers, ``extends``, ``--set`` overrides.

Every problem is reported at once as ``FILE:LINE: dotted.path: message``
(:class:`~basesim.errors.ScenarioError`). The line of a path is the line
where its key was written, in whichever file (base or derived) wrote it;
overrides are reported as coming from ``--set``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from basesim.checks import check_scenario, did_you_mean
from basesim.distributions import UNION_TAGS
from basesim.errors import Problem, ScenarioError
from basesim.schema import Scenario

__all__ = ["load_scenario", "scenario_from_data", "apply_overrides", "parse_override", "scenario_hash", "dump_scenario"]

OVERRIDE = "--set"


@dataclass
class _Source:
    """Raw scenario data and where each dotted path was written."""

    data: dict[str, Any]
    lines: dict[str, tuple[str, int | None]] = field(default_factory=dict)
    file: str = "<data>"

    def where(self, path: str) -> tuple[str, int | None]:
        """(file, line) of the nearest written ancestor of ``path``."""
        parts = path.split(".") if path else []
        while parts:
            key = ".".join(parts)
            if key in self.lines:
                return self.lines[key]
            parts.pop()
        return self.lines.get("", (self.file, None))


# --- YAML with line numbers --------------------------------------------------------


def _walk(node: yaml.Node, prefix: str, file: str, lines: dict, problems: list[Problem]) -> Any:
    """Build Python data from a composed YAML node, recording each path's line (1-based)."""
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(_scalar(key_node)) if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            path = f"{prefix}.{key}" if prefix else key
            if key in out:
                problems.append(
                    Problem(path, f"duplicate key {key!r} (first written at line {lines[path][1]})", file,
                            key_node.start_mark.line + 1)
                )
            lines[path] = (file, key_node.start_mark.line + 1)
            out[key] = _walk(value_node, path, file, lines, problems)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            path = f"{prefix}.{index}" if prefix else str(index)
            lines[path] = (file, item.start_mark.line + 1)
            items.append(_walk(item, path, file, lines, problems))
        return items
    return _scalar(node)


def _scalar(node: yaml.ScalarNode) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def _read_yaml(path: Path) -> _Source:
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([Problem("", "no such file", file)]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem("", f"cannot read the file: {exc}", file)]) from exc
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        raise ScenarioError([Problem("", f"YAML syntax error: {what}", file, line)]) from None
    if root is None:
        raise ScenarioError([Problem("", "the file is empty; a scenario needs issues, actors and no_deal", file, 1)])
    if not isinstance(root, yaml.MappingNode):
        raise ScenarioError(
            [Problem("", "a scenario must be a mapping of keys (issues, actors, ...)", file, root.start_mark.line + 1)]
        )
    lines: dict[str, tuple[str, int | None]] = {"": (file, 1)}
    problems: list[Problem] = []
    try:
        data = _walk(root, "", file, lines, problems)
    except yaml.constructor.ConstructorError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise ScenarioError([Problem("", f"YAML error: {exc.problem}", file, line)]) from None
    if problems:
        raise ScenarioError(problems)
    return _Source(data, lines, file)


# --- extends -------------------------------------------------------------------------


def _merge(base: _Source, child: _Source) -> _Source:
    """Child over base, recursively for mappings; ``null`` in the child deletes a key."""
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
            if isinstance(value, dict) and isinstance(into.get(key), dict):
                lines[path] = child.lines.get(path, lines.get(path))
                merge(into[key], value, path)
            else:
                into[key] = copy.deepcopy(value)
                for stale in [p for p in lines if p == path or p.startswith(path + ".")]:
                    del lines[stale]
                lines.update({p: w for p, w in child.lines.items() if p == path or p.startswith(path + ".")})

    merge(data, child.data, "")
    lines[""] = child.lines.get("", (child.file, 1))
    return _Source(data, lines, child.file)


def _resolve(path: Path, seen: tuple[Path, ...] = ()) -> _Source:
    path = Path(path)
    source = _read_yaml(path)
    parent = source.data.pop("extends", None)
    if parent is None:
        return source
    file, line = source.lines["extends"]
    if not isinstance(parent, str):
        raise ScenarioError([Problem("extends", f"must be a file name, got {parent!r}", file, line)])
    parent_path = (path.parent / parent).resolve()
    if parent_path in seen or parent_path == path.resolve():
        raise ScenarioError([Problem("extends", f"{parent!r} extends itself (a cycle)", file, line)])
    if not parent_path.exists():
        raise ScenarioError([Problem("extends", f"no such file {parent!r} (looked in {path.parent})", file, line)])
    base = _resolve(parent_path, seen + (path.resolve(),))
    merged = _merge(base, source)
    if "name" not in source.data:
        merged.data.pop("name", None)
    return merged


# --- overrides -------------------------------------------------------------------------


def parse_override(text: str) -> tuple[str, Any]:
    """``'actors.turkey.leverage.syria=0.4'`` -> ``('actors.turkey.leverage.syria', 0.4)``.

    The value is read as YAML, so ``0.4``, ``true``, ``[1, 2]`` and
    ``{dist: uniform, low: 0, high: 1}`` all work.
    """
    path, sep, value = str(text).partition("=")
    path = path.strip()
    if not sep or not path:
        raise ScenarioError([Problem("", f"bad override {text!r}; expected PATH=VALUE, e.g. actors.turkey.leverage.syria=0.4", OVERRIDE)])
    try:
        parsed = yaml.safe_load(value) if value.strip() else None
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(path, f"cannot read the value {value!r} as YAML: {exc}", OVERRIDE)]) from None
    return path, parsed


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
            if not isinstance(child, (dict, list)):
                child = {}
                node[key] = child
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


# --- validation and messages ----------------------------------------------------------


def _data_path(loc: tuple, data: Any) -> tuple[list[str], Any]:
    """Turn a pydantic error location into the YAML path, dropping union tags."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(node, dict) and str(item) in node:
            parts.append(str(item))
            node = node[str(item)]
        elif isinstance(node, list) and isinstance(item, int) and 0 <= item < len(node):
            parts.append(str(item))
            node = node[item]
        elif isinstance(item, str) and (item in UNION_TAGS or item in ("label", "per_issue") or "[" in item):
            continue
        else:
            parts.append(str(item))
            node = None
    return parts, node


def _model_at(parts: list[str]) -> type[BaseModel] | None:
    """The pydantic model whose keys are allowed at ``parts`` (best effort, for 'did you mean')."""
    annotation: Any = Scenario
    for part in parts:
        model = _first_model(annotation)
        if model is not None:
            field_info = next(
                (f for n, f in model.model_fields.items() if part in (n, f.alias)), None
            )
            if field_info is None:
                return None
            annotation = field_info.annotation
            continue
        origin = typing.get_origin(annotation)
        args = [a for a in typing.get_args(annotation)]
        if origin in (dict, list) and args:
            annotation = args[-1]
        else:
            return None
    return _first_model(annotation)


def _first_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) is typing.Annotated:
        return _first_model(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, getattr(__import__("types"), "UnionType")):
        models = [m for a in typing.get_args(annotation) if (m := _first_model(a)) is not None]
        return models[0] if len(models) == 1 else None
    return None


def _allowed_keys(model: type[BaseModel]) -> list[str]:
    return [f.alias or n for n, f in model.model_fields.items()]


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _problems_from_validation(exc: ValidationError, source: _Source) -> list[Problem]:
    problems = []
    for error in exc.errors(include_url=False):
        parts, _ = _data_path(tuple(error["loc"]), source.data)
        kind = error["type"]
        message = error["msg"]
        if kind.startswith("value_error"):
            message = message.removeprefix("Value error, ")
        if kind == "extra_forbidden":
            key = parts[-1]
            parent = parts[:-1]
            model = _model_at(parent)
            allowed = _allowed_keys(model) if model is not None else []
            hint = did_you_mean(key, allowed)
            message = f"unknown key {key!r}{hint}" + (f"; allowed keys are {', '.join(allowed)}" if allowed and not hint else "")
            path = ".".join(parent)
            file, line = source.where(".".join(parts))
        elif kind == "missing":
            path = ".".join(parts[:-1])
            message = f"missing required key {parts[-1]!r}"
            file, line = source.where(path)
        else:
            path = ".".join(parts)
            if kind.startswith("value_error") or kind in ("param", "ideal_point", "salience", "distribution"):
                if kind in ("param", "ideal_point", "salience", "distribution"):
                    message = f"{message} (got {_show(error['input'])})"
            else:
                message = f"{message[0].lower()}{message[1:]} (got {_show(error['input'])})"
            file, line = source.where(path)
        problems.append(Problem(path, message, file, line))
    return _dedupe(problems)


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen, out = set(), []
    for p in problems:
        if (p.path, p.message) not in seen:
            seen.add((p.path, p.message))
            out.append(p)
    return out


def _validate(source: _Source, overridden: list[str] = ()) -> Scenario:
    for path in overridden:
        source.lines[path] = (OVERRIDE, None)
        for stale in [p for p in source.lines if p.startswith(path + ".")]:
            source.lines[stale] = (OVERRIDE, None)
    try:
        scenario = Scenario.model_validate(source.data)
    except ValidationError as exc:
        raise ScenarioError(_problems_from_validation(exc, source)) from None
    cross = check_scenario(scenario)
    if cross:
        raise ScenarioError([Problem(path, msg, *source.where(path)) for path, msg in cross])
    return scenario


def load_scenario(path: str | Path, overrides: dict[str, Any] | list[str] | None = None) -> Scenario:
    """Read, merge (``extends``), override and validate a scenario file.

    ``overrides`` maps dotted paths to values (``{"actors.turkey.leverage.syria": 0.4}``)
    or is a list of ``PATH=VALUE`` strings as on the command line. Raises
    :class:`~basesim.errors.ScenarioError` listing every problem found.
    """
    source = _resolve(Path(path))
    source.data.setdefault("name", Path(path).stem)
    data, overridden = apply_overrides(source.data, overrides)
    return _validate(_Source(data, dict(source.lines), source.file), overridden)


def scenario_from_data(data: dict[str, Any], overrides: dict[str, Any] | list[str] | None = None,
                       *, origin: str = "<data>") -> Scenario:
    """Validate a scenario given as plain data (e.g. ``yaml.safe_load`` output or ``to_data()``)."""
    if isinstance(data, Scenario):
        data = data.to_data()
    data = copy.deepcopy(dict(data))
    data.pop("extends", None)
    data, overridden = apply_overrides(data, overrides)
    return _validate(_Source(data, {"": (origin, None)}, origin), overridden)


def with_overrides(scenario: Scenario, overrides: dict[str, Any] | list[str] | None) -> Scenario:
    """A new scenario: ``scenario`` with dotted-path overrides, validated again."""
    if not overrides:
        return scenario
    return scenario_from_data(scenario.to_data(), overrides, origin=scenario.name or "<scenario>")


def dump_scenario(scenario: Scenario) -> str:
    """The resolved scenario as YAML text (``load -> dump -> load`` is the identity)."""
    return yaml.safe_dump(scenario.to_data(), sort_keys=False, allow_unicode=True, width=100)


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the resolved scenario's canonical JSON: the identity of what was run."""
    canonical = json.dumps(scenario.to_data(), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
