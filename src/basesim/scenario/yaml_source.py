"""Safe YAML with line numbers: the raw data of one file and where each dotted path was written.

Reading is bounded, so that no file (however hostile) can hang basesim or
exhaust its memory; each limit is refused with one located message:

- :data:`MAX_FILE_BYTES`: a scenario file may hold at most 1 MiB;
- :data:`MAX_DEPTH`: mappings and lists may nest at most 50 deep;
- :data:`MAX_ALIAS_NODES`: YAML aliases (``*name``) may copy at most 10,000
  nodes in all (a "billion laughs" file of 1.6 KB would copy 10^9), and an
  alias may not refer to a node it is inside (``&a [*a]``).

The limits are enforced while composing (a subclass of PyYAML's
``SafeLoader``), before any Python data is built. Every reader error (a
syntax error, a control character or a NUL byte, bytes that are not UTF-8)
becomes a :class:`~basesim.errors.Problem` at its line.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from basesim.errors import Problem, ScenarioError

__all__ = ["MAX_ALIAS_NODES", "MAX_DEPTH", "MAX_FILE_BYTES", "Source", "YamlProblem", "parse_yaml_value", "read_yaml"]

#: Largest scenario file read, in bytes (1 MiB; the shipped scenarios are under 20 KB).
MAX_FILE_BYTES = 1_048_576
#: Deepest nesting of mappings and lists (a scenario needs about 7).
MAX_DEPTH = 50
#: Most nodes that aliases may copy in all.
MAX_ALIAS_NODES = 10_000


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


class YamlProblem(Exception):
    """Text that cannot be read as (bounded) YAML: a message and its 1-based line, if known."""

    def __init__(self, message: str, line: int | None = None, *, reason: str | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        #: the reader's own words, without basesim's hints (for one-line values such as ``--set``)
        self.reason = reason if reason is not None else message


class _LimitExceeded(yaml.MarkedYAMLError):
    """A limit of :class:`_BoundedLoader` was reached (a plain message, not a syntax error)."""


class _Bounded:
    """Limits for a PyYAML composer: a nesting limit and a budget for alias expansion.

    Each composed node's expanded size (itself plus everything under it,
    aliases followed) is recorded when it is complete; an alias adds the size
    of the node it names to the budget. An alias to a node still being
    composed is a cycle (``&a [*a]``), which would make data of infinite size.
    """

    def _start_limits(self) -> None:
        self._depth = 0
        self._copied = 0
        self._sizes: dict[int, int] = {}

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            target = self.anchors.get(event.anchor)
            if target is not None:
                size = self._sizes.get(id(target))
                if size is None:
                    raise _LimitExceeded(None, None, f"the alias *{event.anchor} refers to a node it is inside "
                                         "(a cycle); YAML data must be finite", event.start_mark)
                self._copied += size
                if self._copied > MAX_ALIAS_NODES:
                    raise _LimitExceeded(None, None, f"aliases expand to more than {MAX_ALIAS_NODES:,} nodes "
                                         f"(at *{event.anchor}); write the values out, or use fewer aliases",
                                         event.start_mark)
            return super().compose_node(parent, index)  # type: ignore[misc]
        if self._depth >= MAX_DEPTH:
            raise _LimitExceeded(None, None, f"mappings and lists nest more than {MAX_DEPTH} deep here; "
                                 "a scenario needs far fewer levels", self.peek_event().start_mark)
        self._depth += 1
        try:
            node = super().compose_node(parent, index)  # type: ignore[misc]
        finally:
            self._depth -= 1
        if isinstance(node, yaml.SequenceNode):
            size = 1 + sum(self._sizes[id(item)] for item in node.value)
        elif isinstance(node, yaml.MappingNode):
            size = 1 + sum(self._sizes[id(k)] + self._sizes[id(v)] for k, v in node.value)
        else:
            size = 1
        self._sizes[id(node)] = size
        return node


class _BoundedLoader(_Bounded, yaml.SafeLoader):
    """PyYAML's ``SafeLoader`` (pure Python) within the limits: its error messages are the ones shown."""

    def __init__(self, stream: str):
        yaml.SafeLoader.__init__(self, stream)
        self._start_limits()


try:  # libyaml's parser (C) with PyYAML's composer, so that the limits still apply: about 6 times faster
    from yaml._yaml import CParser as _CParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _CParser = None

if _CParser is not None:
    class _FastBoundedLoader(_Bounded, yaml.composer.Composer, yaml.constructor.SafeConstructor,
                             yaml.resolver.Resolver, _CParser):
        """libyaml's events, composed and constructed by PyYAML's safe classes within the limits."""

        def __init__(self, stream: str):
            _CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            self._start_limits()


#: Plain-language hints for PyYAML's commonest complaints.
_SYNTAX_HINTS = {
    r"'\t'": "YAML indents with spaces, not tabs",
    "expected <block end>": "check this line's indentation, or an unclosed quote above it",
    "mapping values are not allowed here": "a ':' inside an unquoted value, or a key indented wrongly",
    "could not find expected ':'": "a key without ':' or an unclosed quote",
}

#: Names of the control characters most often met in files that are not text.
_CONTROL_NAMES = {0x00: "NUL", 0x07: "BEL", 0x08: "backspace", 0x0B: "vertical tab", 0x0C: "form feed",
                  0x1B: "ESC", 0x7F: "DEL", 0xFFFE: "a noncharacter", 0xFFFF: "a noncharacter"}


def _syntax_problem(exc: yaml.MarkedYAMLError) -> YamlProblem:
    """A YAML syntax error at the line where the parser got stuck, with the context's line."""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else None
    what = bare = str(exc.problem or exc.context or "cannot parse")
    notes = [hint for clue, hint in _SYNTAX_HINTS.items() if clue in what][:1]
    if exc.context and exc.problem and "next token" not in str(exc.context):
        context = str(exc.context).removeprefix("while ")
        context_line = exc.context_mark.line + 1 if exc.context_mark is not None else None
        where = f" at line {context_line}" if context_line is not None and context_line != line else ""
        notes.append(f"{context}{where}")
    if notes:
        what += f" ({'; '.join(notes)})"
    return YamlProblem(f"YAML syntax error: {what}", line, reason=bare)


def _reader_problem(exc: yaml.reader.ReaderError, text: str) -> YamlProblem:
    """A character YAML does not allow (a control character, a NUL byte), at its line and column."""
    position = max(0, min(int(exc.position), len(text)))
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
    name = _CONTROL_NAMES.get(code, "a control character")
    return YamlProblem(f"the text holds the character U+{code:04X} ({name}) at column {column}, which YAML does "
                       "not allow; remove it (a scenario file is plain UTF-8 text)", line)


def _walk(node: yaml.Node, prefix: str, file: str, lines: dict, problems: list[Problem],
          loader: yaml.SafeLoader) -> Any:
    """Build Python data from a composed YAML node, recording each path's line (1-based)."""
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(_scalar(key_node, loader)) if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            path = f"{prefix}.{key}" if prefix else key
            if key in out:
                problems.append(
                    Problem(path, f"duplicate key {key!r} (first written at line {lines[path][1]})", file,
                            key_node.start_mark.line + 1)
                )
            lines[path] = (file, key_node.start_mark.line + 1)
            out[key] = _walk(value_node, path, file, lines, problems, loader)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            path = f"{prefix}.{index}" if prefix else str(index)
            lines[path] = (file, item.start_mark.line + 1)
            items.append(_walk(item, path, file, lines, problems, loader))
        return items
    try:
        return _scalar(node, loader)
    except ValueError as exc:  # e.g. 2025-02-31 is read as a date and fails
        problems.append(Problem(prefix, f"{node.value!r} cannot be read: {exc}", file, node.start_mark.line + 1))
        return node.value


def _scalar(node: yaml.ScalarNode, loader: yaml.SafeLoader) -> Any:
    return loader.construct_object(node, deep=True)


def _compose(text: str) -> tuple[yaml.Node | None, yaml.SafeLoader]:
    """The root node of ``text`` (one YAML document), within the limits; :class:`YamlProblem` if not.

    libyaml parses when it is available; text it does not accept is parsed
    again by PyYAML, whose messages (and hints) are the ones reported.
    """
    if _CParser is not None:
        fast = _FastBoundedLoader(text)
        try:
            return fast.get_single_node(), fast
        except _LimitExceeded as exc:
            fast.dispose()
            raise YamlProblem(str(exc.problem), exc.problem_mark.line + 1 if exc.problem_mark else None) from None
        except yaml.YAMLError:
            fast.dispose()  # PyYAML below says what is wrong, in its words
    try:
        loader = _BoundedLoader(text)  # checks every character is allowed
    except yaml.reader.ReaderError as exc:
        raise _reader_problem(exc, text) from None
    try:
        return loader.get_single_node(), loader
    except _LimitExceeded as exc:
        loader.dispose()
        raise YamlProblem(str(exc.problem), exc.problem_mark.line + 1 if exc.problem_mark else None) from None
    except yaml.MarkedYAMLError as exc:
        loader.dispose()
        raise _syntax_problem(exc) from None
    except yaml.reader.ReaderError as exc:
        loader.dispose()
        raise _reader_problem(exc, text) from None
    except yaml.YAMLError as exc:  # pragma: no cover - every PyYAML error above is marked
        loader.dispose()
        raise YamlProblem(f"YAML error: {exc}") from None


def _build(root: yaml.Node, loader: yaml.SafeLoader, file: str, lines: dict, problems: list[Problem]) -> Any:
    try:
        return _walk(root, "", file, lines, problems, loader)
    except yaml.constructor.ConstructorError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise YamlProblem(f"YAML error: {exc.problem}", line) from None
    finally:
        loader.dispose()


def parse_yaml_value(text: str) -> Any:
    """One YAML value (``0.4``, ``{dist: uniform, low: 0, high: 1}``, ...) read within the same limits as files.

    Raises :class:`YamlProblem`. For ``--set PATH=VALUE`` and ``--param``.
    """
    root, loader = _compose(text)
    if root is None:
        loader.dispose()
        return None
    problems: list[Problem] = []
    value = _build(root, loader, "<value>", {}, problems)
    if problems:
        raise YamlProblem(problems[0].message)
    return value


def _read_text(path: Path, file: str) -> str:
    """The file's text: at most :data:`MAX_FILE_BYTES`, UTF-8 (a byte-order mark is dropped)."""
    try:
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            if stat.S_ISDIR(info.st_mode):
                raise IsADirectoryError
            if stat.S_ISREG(info.st_mode) and info.st_size > MAX_FILE_BYTES:
                raise ScenarioError([Problem("", _too_big(info.st_size), file)])
            raw = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError([Problem("", "no such file", file)]) from None
    except IsADirectoryError:
        raise ScenarioError([Problem("", "is a folder, not a scenario file", file)]) from None
    except (OSError, ValueError) as exc:  # permissions, a name with a NUL byte, ...
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ScenarioError([Problem("", f"cannot read the file: {reason}", file)]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError([Problem("", _too_big(None), file)])
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ScenarioError([Problem("", "the file is UTF-16 text; save it as UTF-8", file, 1)])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ScenarioError([Problem(
            "", f"the byte 0x{raw[exc.start]:02x} at column {column} is not UTF-8 text; a scenario file is "
                "plain UTF-8 text (is this a binary file?)", file, line)]) from None


def _too_big(size: int | None) -> str:
    got = f"the file is {size:,} bytes" if size is not None else "the file is larger than that"
    return (f"{got}; a scenario file may be at most {MAX_FILE_BYTES:,} bytes (1 MiB), "
            "and a real one is a few kilobytes")


def read_yaml(path: Path) -> Source:
    """Read one scenario file: its data and the line of every dotted path (:class:`ScenarioError` if it cannot)."""
    file = str(path)
    text = _read_text(Path(path), file)
    try:
        root, loader = _compose(text)
    except YamlProblem as problem:
        raise ScenarioError([Problem("", problem.message, file, problem.line)]) from None
    if root is None:
        loader.dispose()
        raise ScenarioError([Problem("", "the file is empty; a scenario needs issues, actors and no_deal",
                                     file, 1)])
    if not isinstance(root, yaml.MappingNode):
        loader.dispose()
        raise ScenarioError(
            [Problem("", "a scenario must be a mapping of keys (issues, actors, ...)", file, root.start_mark.line + 1)]
        )
    lines: dict[str, tuple[str, int | None]] = {"": (file, 1)}
    problems: list[Problem] = []
    try:
        data = _build(root, loader, file, lines, problems)
    except YamlProblem as problem:
        raise ScenarioError([Problem("", problem.message, file, problem.line)]) from None
    if problems:
        raise ScenarioError(problems)
    return Source(data, lines, file)
