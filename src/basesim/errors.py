"""One error hierarchy for everything a user can get wrong.

The CLI turns any :class:`BasesimError` into one clear message and exit
code 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


class BasesimError(Exception):
    """Base class of every error caused by user input."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario, located by file, line and dotted path.

    ``str(problem)`` gives ``FILE:LINE: dotted.path: message``.
    """

    path: str
    message: str
    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = f"{self.file}:{self.line}: " if self.line is not None else f"{self.file}: "
        what = f"{self.path}: " if self.path else ""
        return f"{where}{what}{self.message}"


class ScenarioError(BasesimError):
    """A scenario file (or an override) is invalid; holds every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class UsageError(BasesimError):
    """A bad option or argument (command line or Python API)."""


class OutputError(BasesimError):
    """Results cannot be written or read where asked."""
