"""Shared test fixtures: where the shipped scenarios are, and edited copies of them."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"
#: fixtures that are not shipped scenarios (e.g. the baseline in the older no_deal form)
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def scenario_variant(tmp_path):
    """Factory: a copy of a shipped scenario with some lines edited.

    ``scenario_variant("baseline.yaml", (anchor, pattern, replacement), ...)``
    (a file of ``scenarios/``, or of ``tests/data/``) copies ``scenarios/`` into
    ``tmp_path`` (so ``extends`` still resolves),
    then, for each edit, finds the first line matching the regex ``pattern``
    at or after the first line matching ``anchor`` (None: the top) and
    substitutes ``replacement`` once. Returns the written path and the
    1-based line number of every edit.
    """
    folder = tmp_path / "scenarios"
    if not folder.exists():
        shutil.copytree(SCENARIOS, folder)

    def make(source: str, *edits: tuple[str | None, str, str], name: str = "x.yaml"):
        origin = DATA / source if (DATA / source).exists() else SCENARIOS / source
        lines = origin.read_text(encoding="utf-8").split("\n")
        numbers = []
        for anchor, pattern, replacement in edits:
            start = 0 if anchor is None else next(i for i, t in enumerate(lines) if re.search(anchor, t))
            index = next(i for i in range(start, len(lines)) if re.search(pattern, lines[i]))
            lines[index] = re.sub(pattern, replacement, lines[index], count=1)
            numbers.append(index + 1)
        path = folder / name
        path.write_text("\n".join(lines), encoding="utf-8")
        return path, numbers

    return make
