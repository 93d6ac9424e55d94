"""Validation with one located message per mistake: pydantic errors turned into ``FILE:LINE: dotted.path: message``."""

from __future__ import annotations

import copy
import math
import re
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from basesim.errors import Problem, ScenarioError
from basesim.scenario.checks import (
    allowed_keys,
    check_scenario,
    did_you_mean,
    show_value,
)
from basesim.scenario.distributions import DISTRIBUTIONS, UNION_TAGS
from basesim.scenario.overrides import OVERRIDE
from basesim.scenario.schema import Scenario
from basesim.scenario.yaml_source import Source

__all__ = ["MAX_OUTCOMES", "allowed_bounds", "size_problems", "validate"]


#: Names pydantic puts in error locations for the branches of a union; not part of the YAML path.
_BRANCH_TAGS = UNION_TAGS | {"label", "value", "level", "per_issue", "curve_name", "curve_shape", "curve_points",
                             "breakdown_levels", "breakdown_lottery"}


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
        if tag == "dirichlet":
            return ("a dirichlet draws weights that sum to 1, so it is allowed only as a whole salience "
                    "(salience: {dist: dirichlet, alpha: {ISSUE: A, ...}}); "
                    f"for one number use one of {_DIST_NAMES}")
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


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """``Annotated[X | None, m1, m2]`` -> ``(X, [m1, m2])``."""
    metadata: list[Any] = []
    while True:
        if typing.get_origin(annotation) is typing.Annotated:
            for item in annotation.__metadata__:  # a Field(gt=0) inside Annotated keeps its bounds in .metadata
                metadata += [item, *getattr(item, "metadata", [])] if hasattr(item, "metadata") else [item]
            annotation = typing.get_args(annotation)[0]
            continue
        stripped = _strip_optional(annotation)
        if stripped is annotation:
            return annotation, metadata
        annotation = stripped


_BOUNDS = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}


def _range_of(annotation: Any, metadata: list[Any]) -> str | None:
    """The allowed range written in a field's validators: ``in (0, 1]``, ``> 0``, ``>= 0 and <= 1``."""
    for item in metadata:
        allowed = getattr(getattr(item, "func", None), "allowed", None)
        if allowed:
            return str(allowed)
    bounds = {name: getattr(item, name) for item in metadata for name in _BOUNDS
              if getattr(item, name, None) is not None}
    low = next(((n, bounds[n]) for n in ("ge", "gt") if n in bounds), None)
    high = next(((n, bounds[n]) for n in ("le", "lt") if n in bounds), None)
    if low and high:
        return (f"in {'[' if low[0] == 'ge' else '('}{show_value(low[1])}, "
                f"{show_value(high[1])}{']' if high[0] == 'le' else ')'}")
    if low or high:
        name, bound = low or high
        return f"{_BOUNDS[name]} {show_value(bound)}"
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for member in typing.get_args(annotation):
            found = _range_of(*_unwrap(member))
            if found:
                return found
    return None


def _bounds_of(annotation: Any, metadata: list[Any]) -> tuple[float, float, bool, bool] | None:
    """The allowed interval a field's range validator records: ``(low, high, low_open, high_open)``."""
    for item in metadata:
        bounds = getattr(getattr(item, "func", None), "bounds", None)
        if bounds:
            return bounds
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for member in typing.get_args(annotation):
            found = _bounds_of(*_unwrap(member))
            if found:
                return found
    return None


def allowed_bounds(path: str, data: Any) -> tuple[float, float, bool, bool] | None:
    """The interval the scenario's schema allows for the number at dotted ``path`` of scenario ``data``
    (``(low, high, low_open, high_open)``, e.g. ``(0.0, 1.0, True, False)`` for ``in (0, 1]``); None when
    its field sets no range. The same walk of the schema as the messages' ranges."""
    own, _, _ = _walk_schema(path.split("."), data, _bounds_of)
    return own


def _allowed_range(parts: list[str], data: Any) -> tuple[str | None, str | None]:
    """(range of the value at ``parts``, range of the parameter whose distribution holds it), best effort."""
    own, outer, annotation = _walk_schema(parts, data, _range_of)
    if annotation is int and own:
        own = f"whole:{own}"
    return own, outer


def _walk_schema(parts: list[str], data: Any, read: Any) -> tuple[Any, Any, Any]:
    """Follow ``parts`` through the schema's types beside ``data``: ``(read(...) of the value at parts, of the
    parameter whose distribution holds it, the value's annotation (None when the walk stopped short))``, best
    effort."""
    annotation: Any = Scenario
    node = data
    own: Any = None
    outer: Any = None
    for part in parts:
        if isinstance(node, dict) and isinstance(node.get("dist"), str) and node["dist"] in DISTRIBUTIONS:
            outer, own, annotation = own, None, DISTRIBUTIONS[node["dist"]]
        base, metadata = _unwrap(annotation)
        if typing.get_origin(base) in (typing.Union, types.UnionType) and isinstance(node, dict):
            # the member the data chose: a mapping of entries (per-issue saliences) rather than a model
            mappings = [m for m in typing.get_args(base) if typing.get_origin(_unwrap(m)[0]) is dict]
            if len(mappings) == 1 and not isinstance(node.get("dist"), str):
                base, metadata = _unwrap(mappings[0])
        model = _first_model(base)
        if model is not None:
            field_info = next((f for n, f in model.model_fields.items() if part in (n, f.alias)), None)
            if field_info is None:
                return own, outer, None
            base, more = _unwrap(field_info.annotation)
            annotation, metadata = base, list(field_info.metadata) + more
        elif typing.get_origin(base) in (dict, list) and typing.get_args(base):
            base, metadata = _unwrap(typing.get_args(base)[-1])
            annotation = base
        else:
            return own, outer, None
        own = read(annotation, metadata)
        node = node.get(part) if isinstance(node, dict) else None
    return own, outer, annotation


def _finite_message(error: dict, value: Any, data: Any) -> str:
    """``.nan`` or ``.inf`` where a number is wanted: say so, with the range the number must lie in."""
    parts, _ = _data_path(tuple(error["loc"]), data)
    own, outer = _allowed_range(parts, data)
    what = "a finite number"
    if own and own.startswith("whole:"):
        what, own = "a whole number", own.removeprefix("whole:")
    text = f"must be {what}{f' {own}' if own else ''}, got {show_value(value)}"
    if outer:
        text += f" (the distribution's values must be {outer})"
    return text


def _message(error: dict, value: Any, data: Any = None) -> str:
    """One plain sentence for a pydantic error: 'must be ..., got VALUE'."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "finite_number":
        return _finite_message(error, value, data)
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


def _problems_from_validation(exc: ValidationError, source: Source) -> list[Problem]:
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
            allowed = allowed_keys(model) if model is not None else []
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
            message = _message(error, error.get("input"), source.data)
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
            hint = did_you_mean(key, allowed_keys(model)) if model is not None else ""
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


def _cross_problems_despite(exc: ValidationError, source: Source) -> list[Problem]:
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
        located = Source(data, lines, source.file)
        return [
            Problem(path, message, *located.where(path))
            for path, message in check_scenario(scenario)
            if not any(path == p or path.startswith(p + ".") for p in patched)
        ]
    return []


def validate(source: Source, overridden: list[str] = ()) -> Scenario:
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
        raise ScenarioError(_sorted(_without_knock_ons(found), source.file)) from None
    cross = check_scenario(scenario) + size_problems(scenario)
    if cross:
        problems = [Problem(path, msg, *source.where(path)) for path, msg in cross]
        raise ScenarioError(_sorted(_without_knock_ons(problems), source.file))
    return scenario


_SUGGESTED = re.compile(r"\(did you mean '([^']+)'\?\)")


def _without_knock_ons(problems: list[Problem]) -> list[Problem]:
    """One message per mistake: a misspelt ideal-point issue also leaves that issue's salience without an
    ideal point; the misspelling's own message (with its "did you mean") says it all."""
    misspelt = set()
    for p in problems:
        parts = p.path.split(".")
        match = _SUGGESTED.search(p.message)
        if len(parts) == 4 and parts[0] == "actors" and parts[2] == "ideal_point" and match:
            misspelt.add((parts[1], match.group(1)))
    return [p for p in problems
            if not (p.message.startswith("has a salience but no ideal point for ")
                    and (p.path.split(".")[1], p.path.split(".")[-1]) in misspelt)]


#: Most outcomes (one level of every issue) a scenario may have: every world holds each principal's utility of
#: every outcome several times over (see :func:`basesim.model.batch_size`).
MAX_OUTCOMES = 100_000
#: The fewest worlds a batch plays, and the bytes a world needs per outcome and principal (model.batch_size).
_MIN_BATCH, _BYTES_PER_OUTCOME = 16, 8 * 6


def size_problems(scenario: Scenario) -> list[tuple[str, str]]:
    """An outcome space too large to play, with the memory it would need (before any work is done)."""
    shape = [len(issue.labels) for issue in scenario.issues.values()]
    size = math.prod(shape)
    if size <= MAX_OUTCOMES:
        return []
    principals = max(len(scenario.principals), 2)
    need = size * principals * _BYTES_PER_OUTCOME * _MIN_BATCH
    if len(shape) <= 8:
        levels = " x ".join(str(n) for n in shape) + " levels"
    else:
        levels = f"{len(shape)} issues of {min(shape)}" + (f" to {max(shape)}" if max(shape) > min(shape) else "") + " levels"
    return [("issues", f"the outcome space has {size:,} outcomes ({levels}), which would need about "
                       f"{_bytes(need)} of memory for one batch of {_MIN_BATCH} worlds; at most "
                       f"{MAX_OUTCOMES:,} outcomes can be played (fewer issues, or fewer levels per issue)")]


def _bytes(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB", "EB"):
        if n < 1000 or unit == "EB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1000
    return f"{n:,.1f} EB"  # pragma: no cover
