"""Safe YAML with line numbers: the raw data of one file and where each dotted path was written."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from basesim.errors import Problem, ScenarioError

__all__ = ["Source", "read_yaml"]


@dataclass
class Source:
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


def read_yaml(path: Path) -> Source:
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
    return Source(data, lines, file)
