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
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from basesim.scenario.checks import check_scenario, did_you_mean
from basesim.scenario.distributions import DISTRIBUTIONS, UNION_TAGS
from basesim.errors import Problem, ScenarioError
from basesim.scenario.schema import Scenario

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
    try:
        return _scalar(node)
    except ValueError as exc:  # e.g. 2025-02-31 is read as a date and fails
        problems.append(Problem(prefix, f"{node.value!r} cannot be read: {exc}", file, node.start_mark.line + 1))
        return node.value


def _scalar(node: yaml.ScalarNode) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


#: Plain-language hints for PyYAML's commonest complaints.
_SYNTAX_HINTS = {
    r"'\t'": "YAML indents with spaces, not tabs",
    "expected <block end>": "check this line's indentation, or an unclosed quote above it",
    "mapping values are not allowed here": "a ':' inside an unquoted value, or a key indented wrongly",
    "could not find expected ':'": "a key without ':' or an unclosed quote",
}


def _syntax_problem(exc: yaml.MarkedYAMLError, file: str) -> Problem:
    """A YAML syntax error at the line where the parser got stuck, with the context's line."""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else None
    what = str(exc.problem or exc.context or "cannot parse")
    notes = [hint for clue, hint in _SYNTAX_HINTS.items() if clue in what][:1]
    if exc.context and exc.problem and "next token" not in str(exc.context):
        context = str(exc.context).removeprefix("while ")
        context_line = exc.context_mark.line + 1 if exc.context_mark is not None else None
        where = f" at line {context_line}" if context_line is not None and context_line != line else ""
        notes.append(f"{context}{where}")
    if notes:
        what += f" ({'; '.join(notes)})"
    return Problem("", f"YAML syntax error: {what}", file, line)


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
        raise ScenarioError([_syntax_problem(exc, file)]) from None
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
        return model is not None and set(overlay) <= set(_allowed_keys(model))
    return True


def _merge(base: _Source, child: _Source) -> _Source:
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
    return _Source(data, lines, child.file)


def _resolve(path: Path, seen: tuple[Path, ...] = ()) -> _Source:
    """Read ``path`` and, recursively, the scenarios it extends (``seen``: the chain so far)."""
    path = Path(path)
    source = _read_yaml(path)
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
    base = _resolve(parent_path, chain)
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
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[-1]
        raise ScenarioError(
            [Problem(path, f"cannot read the value {value!r} as YAML: {reason}", OVERRIDE)]
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


# --- validation and messages ----------------------------------------------------------


#: Names pydantic puts in error locations for the branches of a union; not part of the YAML path.
_BRANCH_TAGS = UNION_TAGS | {"label", "value", "level", "per_issue"}


def _data_path(loc: tuple, data: Any, *, keep_last: bool = False) -> tuple[list[str], Any]:
    """Turn a pydantic error location into the YAML path, dropping union branch tags.

    With ``keep_last`` the final item is a key (missing or unknown) and is kept as is.
    Returns the path and the data at its last existing part.
    """
    parts: list[str] = []
    node = data
    items = loc[:-1] if keep_last else loc
    for item in items:
        if isinstance(node, dict) and str(item) in node:
            parts.append(str(item))
            node = node[str(item)]
        elif isinstance(node, list) and isinstance(item, int) and 0 <= item < len(node):
            parts.append(str(item))
            node = node[item]
        elif isinstance(item, str) and (item in _BRANCH_TAGS or "[" in item or item[:1].isupper()):
            continue  # a union branch ('uniform', 'label', 'function-after[...]', 'Level')
        else:
            parts.append(str(item))
            node = None
    if keep_last and loc:
        parts.append(str(loc[-1]))
    return parts, node


def _model_at(parts: list[str], data: Any = None) -> type[BaseModel] | None:
    """The pydantic model whose keys are allowed at ``parts`` (best effort, for 'did you mean').

    ``data`` (the mapping at ``parts``) picks the distribution class from its ``dist`` tag.
    """
    if isinstance(data, dict) and isinstance(data.get("dist"), str) and data["dist"] in DISTRIBUTIONS:
        return DISTRIBUTIONS[data["dist"]]
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
        annotation = _strip_optional(annotation)
        origin = typing.get_origin(annotation)
        args = [a for a in typing.get_args(annotation)]
        if origin in (dict, list) and args:
            annotation = args[-1]
        else:
            return None
    return _first_model(annotation)


def _strip_optional(annotation: Any) -> Any:
    """``X | None`` -> ``X``."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _first_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) is typing.Annotated:
        return _first_model(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        models = [m for a in typing.get_args(annotation) if (m := _first_model(a)) is not None]
        return models[0] if len(models) == 1 else None
    return None


def _allowed_keys(model: type[BaseModel]) -> list[str]:
    return [f.alias or n for n, f in model.model_fields.items()]


def _node_at(data: Any, parts: list[str]) -> Any:
    node = data
    for part in parts:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def show_value(value: Any) -> str:
    """A value as the user wrote it in YAML: ``'high'``, ``1.7``, ``true``, ``[0.15]``, ``{dist: x}``."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, str):
        text = repr(value)
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (dict, list)):
        text = yaml.safe_dump(value, default_flow_style=True, width=10_000, sort_keys=False).strip()
        text = text.removesuffix("...").strip()
    elif isinstance(value, float):
        text = f"{value:g}" if abs(value) < 1e15 else repr(value)
    else:
        text = str(value)
    return text if len(text) <= 70 else text[:67] + "..."


_DIST_NAMES = ", ".join(d for d in DISTRIBUTIONS if d != "dirichlet")

#: Plain-language messages for pydantic's error types: (message, hint) templates.
_MESSAGES: dict[str, str] = {
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "string_type": "must be text",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "dict_type": "must be a mapping (KEY: VALUE lines or {KEY: VALUE, ...})",
    "model_type": "must be a mapping (KEY: VALUE lines or {KEY: VALUE, ...})",
    "model_attributes_type": "must be a mapping (KEY: VALUE lines or {KEY: VALUE, ...})",
    "list_type": "must be a list ([A, B, ...] or '- A' lines)",
    "date_type": "must be a date written YYYY-MM-DD",
    "date_parsing": "must be a date written YYYY-MM-DD",
    "date_from_datetime_parsing": "must be a date written YYYY-MM-DD",
    "date_from_datetime_inexact": "must be a date written YYYY-MM-DD",
    "finite_number": "must be a finite number",
}

_COMPARE = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}

#: Hints for the custom errors of the scenario's tagged unions.
_UNION_HINTS = {
    "param": f"a distribution is a mapping with 'dist' one of {_DIST_NAMES}",
    "distribution": f"a mapping with 'dist' one of {_DIST_NAMES}",
    "ideal_point": f"a distribution is a mapping with 'dist' one of {_DIST_NAMES}",
}


def _union_message(kind: str, message: str, value: Any) -> str:
    """Message for a value no branch of a tagged union accepts (a bad ``dist``, a list, ...)."""
    if kind in _UNION_HINTS and isinstance(value, dict):
        tag = value.get("dist")
        if tag is None:
            return f"{message}, got {show_value(value)}; a distribution needs 'dist' (one of {_DIST_NAMES})"
        return f"unknown distribution {show_value(tag)}{did_you_mean(str(tag), DISTRIBUTIONS)}; expected one of {_DIST_NAMES}"
    text = f"{message}, got {show_value(value)}"
    if isinstance(value, str) and _is_number(value):
        return f"{text} ({_number_as_text(value)})"
    return text + (f" ({_UNION_HINTS[kind]})" if kind in _UNION_HINTS else "")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _number_as_text(text: str) -> str:
    """Why YAML read a number as text: quotes, or an exponent YAML 1.1 does not know (``1e3``, ``2.5e4``)."""
    match = re.fullmatch(r"\s*([-+]?(?:\d+\.?\d*|\.\d+))[eE]([-+]?)(\d+)\s*", text)
    if match:
        mantissa, sign, exponent = match.groups()
        mantissa = mantissa if "." in mantissa else mantissa + ".0"
        return f"YAML reads {text.strip()} as text; write {float(text):g} or {mantissa}e{sign or '+'}{exponent}"
    return "text, because it is quoted; write numbers without quotes"


def _message(error: dict, value: Any) -> str:
    """One plain sentence for a pydantic error: 'must be ..., got VALUE'."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    if kind in ("param", "distribution", "ideal_point", "salience", "level_ref", "level_item"):
        return _union_message(kind, error["msg"], value)
    if kind in _COMPARE:
        bound = next(iter(ctx.values()))
        return f"must be {_COMPARE[kind]} {show_value(bound)}, got {show_value(value)}"
    if kind == "literal_error":
        allowed = [a.strip(" '") for a in str(ctx.get("expected", "")).replace(" or ", ", ").split(",")]
        return f"must be one of {', '.join(allowed)}, got {show_value(value)}{did_you_mean(str(value), allowed)}"
    if kind == "too_short":
        least = ctx.get("min_length")
        what = "entry" if isinstance(value, dict) else "item"
        if not value:
            return f"must not be empty (give at least {least} {what}{'s' if least != 1 else ''})"
        return f"must have at least {least} {what}s, got {ctx.get('actual_length')}"
    if kind == "too_long":
        return f"must have at most {ctx.get('max_length')} items, got {ctx.get('actual_length')}"
    if kind in _MESSAGES:
        text = f"{_MESSAGES[kind]}, got {show_value(value)}"
        if kind.startswith(("int", "float")) and isinstance(value, str) and _is_number(value):
            text += f" ({_number_as_text(value)})"
        return text
    message = str(error["msg"])
    return f"{message[0].lower()}{message[1:]}, got {show_value(value)}"


def _problems_from_validation(exc: ValidationError, source: _Source) -> list[Problem]:
    problems = []
    suggested: set[str] = set()  # paths of missing keys an unknown key's "did you mean" already names
    for error in exc.errors(include_url=False):
        kind = error["type"]
        loc = tuple(error["loc"])
        if kind in ("extra_forbidden", "missing"):
            parts, _ = _data_path(loc, source.data, keep_last=True)
        else:
            parts, _ = _data_path(loc, source.data)
        if kind == "extra_forbidden":
            key, parent = parts[-1], parts[:-1]
            model = _model_at(parent, _node_at(source.data, parent))
            allowed = _allowed_keys(model) if model is not None else []
            hint = did_you_mean(key, allowed)
            if hint:
                suggested.add(".".join(parent + [hint.split("'")[1]]))
            message = f"unknown key {key!r}{hint}" + (
                f"; allowed keys are {', '.join(allowed)}" if allowed and not hint else ""
            )
            path = ".".join(parent)
            file, line = source.where(".".join(parts))
        elif kind == "missing":
            path = ".".join(parts[:-1])
            message = f"missing required key {parts[-1]!r}"
            file, line = source.where(path)
        else:
            path = ".".join(parts)
            message = _message(error, error.get("input"))
            file, line = source.where(path)
        problems.append((kind, ".".join(parts), Problem(path, message, file, line)))
    kept = [p for kind, full, p in problems if not (kind == "missing" and full in suggested)]
    return _dedupe(kept)


def _sorted(problems: list[Problem], first: str | None = None) -> list[Problem]:
    """Problems in reading order: the file ``first`` (the one loaded), then the others by name; then line."""
    return sorted(problems, key=lambda p: (p.file != first, str(p.file), p.line if p.line is not None else -1))


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen, out = set(), []
    for p in problems:
        if (p.path, p.message) not in seen:
            seen.add((p.path, p.message))
            out.append(p)
    return out


#: Placeholder values that let cross-reference checks run past a bad entry of these mappings.
_PLACEHOLDERS = {"ideal_point": 0.0, "leverage": 0.0, "salience": 1.0}


def _repair(exc: ValidationError, data: dict, lines: dict) -> list[str] | None:
    """Patch ``data`` in place so that the errors of ``exc`` go away; the patched paths.

    Unknown keys are renamed to their "did you mean" (or dropped), bad optional
    settings are dropped (their defaults apply), bad entries of ideal points,
    saliences and leverage get a neutral placeholder. None when an error
    cannot be patched this way (a missing required key, a bad issue, ...).
    """
    patched: list[str] = []
    errors = sorted(exc.errors(include_url=False), key=lambda e: e["type"] != "extra_forbidden")
    missing = []
    for error in errors:
        kind, loc = error["type"], tuple(error["loc"])
        if kind == "missing":
            missing.append(_data_path(loc, data, keep_last=True)[0])
            continue
        parts, _ = _data_path(loc, data, keep_last=kind == "extra_forbidden")
        if kind != "extra_forbidden":
            # an error inside a distribution belongs to the parameter as a whole
            for end in range(len(parts) - 1, 0, -1):
                node = _node_at(data, parts[:end])
                if isinstance(node, dict) and "dist" in node:
                    parts = parts[:end]
                    break
        if not parts:
            return None
        parent, key = parts[:-1], parts[-1]
        container = _node_at(data, parent)
        if not isinstance(container, dict) or key not in container:
            continue  # already patched by an earlier error
        path = ".".join(parts)
        if kind == "extra_forbidden":
            model = _model_at(parent, container)
            hint = did_you_mean(key, _allowed_keys(model)) if model is not None else ""
            value = container.pop(key)
            if hint and (new := hint.split("'")[1]) not in container:
                container[new] = value
                new_path = ".".join(parent + [new])
                for old in [p for p in lines if p == path or p.startswith(path + ".")]:
                    lines[new_path + old[len(path):]] = lines[old]
                patched.append(new_path)
            patched.append(path)
            continue
        model = _model_at(parent, container)
        suggestion = ""
        if kind == "literal_error":
            allowed = [a.strip(" '") for a in str((error.get("ctx") or {}).get("expected", "")).replace(" or ", ", ").split(",")]
            suggestion = did_you_mean(str(container[key]), allowed)
        if suggestion:
            container[key] = suggestion.split("'")[1]
        elif model is not None and key in model.model_fields and not model.model_fields[key].is_required():
            del container[key]
        elif len(parent) >= 3 and parent[0] == "actors" and parent[-1] in _PLACEHOLDERS:
            container[key] = _PLACEHOLDERS[parent[-1]]
        elif parent[:1] == ["actors"] and len(parent) == 2 and key == "salience" and isinstance(container.get("ideal_point"), dict):
            container[key] = {issue: 1.0 for issue in container["ideal_point"]}
        else:
            return None
        patched.append(path)
    for parts in missing:
        if _node_at(data, parts) is None:
            return None
    return patched


def _cross_problems_despite(exc: ValidationError, source: _Source) -> list[Problem]:
    """Cross-reference problems found after patching the structural errors away (best effort).

    So that one run of ``basesim validate`` also reports, say, an unknown
    issue next to a misspelt key. Problems at or under a patched path are left out.
    """
    data, lines = copy.deepcopy(source.data), dict(source.lines)
    patched: list[str] = []
    for _ in range(4):
        more = _repair(exc, data, lines)
        if more is None:
            return []
        patched += more
        try:
            scenario = Scenario.model_validate(data)
        except ValidationError as again:
            exc = again
            continue
        located = _Source(data, lines, source.file)
        return [
            Problem(path, message, *located.where(path))
            for path, message in check_scenario(scenario)
            if not any(path == p or path.startswith(p + ".") for p in patched)
        ]
    return []


def _validate(source: _Source, overridden: list[str] = ()) -> Scenario:
    for path in overridden:
        source.lines[path] = (OVERRIDE, None)
        for stale in [p for p in source.lines if p.startswith(path + ".")]:
            source.lines[stale] = (OVERRIDE, None)
        parts = path.split(".")
        for end in range(len(parts) - 1, 0, -1):  # keys the override created
            prefix = ".".join(parts[:end])
            if prefix in source.lines:
                break
            source.lines[prefix] = (OVERRIDE, None)
    try:
        scenario = Scenario.model_validate(source.data)
    except ValidationError as exc:
        problems = _problems_from_validation(exc, source)
        found = _dedupe(problems + _cross_problems_despite(exc, source))
        raise ScenarioError(_sorted(found, source.file)) from None
    cross = check_scenario(scenario)
    if cross:
        raise ScenarioError(_sorted([Problem(path, msg, *source.where(path)) for path, msg in cross], source.file))
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
