"""The result of a Monte Carlo run, and writing it to / reading it from a folder.

A results folder holds ``runs.parquet`` (the per-replication table, absent
for a summary-only run), ``summary.json`` (the counts every summary statistic
is computed from, and the summary table), ``summary.csv`` (the summary
table), ``scenario.resolved.yaml`` (the scenario exactly as run) and
``provenance.json`` (versions, seed, hash, command line, times).

Every file is written atomically: to a temporary file in the same folder,
then renamed over the target (``os.replace``), so an interrupted write leaves
the old file or none, never half a file.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pandas as pd

from basesim.errors import OutputError, ScenarioError
from basesim.scenario.loader import dump_scenario, load_scenario
from basesim.scenario.schema import Scenario
from basesim.montecarlo.summary import Summary

__all__ = ["FILES", "RunResult", "atomic_write", "check_writable", "load_results", "save_results"]

#: The files of a results folder, in the order they are written.
FILES = ("runs.parquet", "summary.json", "summary.csv", "scenario.resolved.yaml", "provenance.json")


@dataclass
class RunResult:
    """A finished run: the scenario, its table, its summary and its provenance.

    ``table`` has one row per replication: ``replicate``, the sampled inputs
    by dotted path, the columns of :func:`basesim.model.play`, then one bool
    column ``outcome.NAME`` per named outcome; it is ``None`` for a
    summary-only run. ``summary`` (:class:`~basesim.montecarlo.summary.Summary`) holds the
    counts every statistic is computed from. ``provenance`` records what is
    needed to reproduce the run (seed entropy, versions, scenario hash).
    """

    scenario: Scenario
    table: pd.DataFrame | None
    summary: Summary
    provenance: dict[str, Any]

    @property
    def runs(self) -> int:
        return self.summary.runs

    @property
    def seed(self) -> int:
        """The seed entropy the run used (pass it as ``seed=`` to repeat the run)."""
        return int(self.provenance["seed"])

    def save(self, folder: str | Path) -> Path:
        """Write the results folder (see :mod:`basesim.montecarlo.results`); return its path."""
        return save_results(self, folder)

    @property
    def inputs(self) -> pd.DataFrame | None:
        """The sampled inputs, one row per replication (EMA Workbench's *experiments*).

        Columns ``replicate`` and every uncertain input by its dotted path, as in
        :attr:`table`; None for a summary-only run.
        """
        if self.table is None:
            return None
        return self.table[["replicate", *self.table.columns[1:_first_outcome_column(self.table)]]]

    @property
    def outcomes(self) -> pd.DataFrame | None:
        """What happened, one row per replication (EMA Workbench's *outcomes*).

        Columns ``replicate``, then the model's columns (``result``, ``round``,
        ``date``, the issues' levels, the utilities) and ``outcome.NAME``, as in
        :attr:`table`; ``inputs.merge(outcomes, on="replicate")`` is the table.
        None for a summary-only run.
        """
        if self.table is None:
            return None
        return self.table[["replicate", *self.table.columns[_first_outcome_column(self.table):]]]

    def _repr_html_(self) -> str:  # notebooks; see montecarlo.display
        from basesim.montecarlo.display import run_result_html

        return run_result_html(self)

    def __repr__(self) -> str:
        table = "None" if self.table is None else f"<{len(self.table)} rows x {self.table.shape[1]} columns>"
        return (f"RunResult(scenario={self.scenario.name!r}, runs={self.runs}, seed={self.provenance.get('seed')}, "
                f"protocol={self.provenance.get('protocol')!r}, table={table})")


def _first_outcome_column(table: pd.DataFrame) -> int:
    """Where the model's columns start in a run's table: the sampled inputs come before ``result``."""
    return list(table.columns).index("result")


# --- atomic writes ----------------------------------------------------------------------


@contextlib.contextmanager
def atomic_write(path: str | Path, *, binary: bool = False) -> Iterator[IO[Any]]:
    """Open a temporary file next to ``path``; on success rename it onto ``path``.

    On any exception (including ``KeyboardInterrupt``) the temporary file is
    removed and ``path`` is left as it was.
    """
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8", "newline": ""})) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _write(path: Path, writer: Callable[[IO[Any]], None], *, binary: bool = False) -> None:
    with atomic_write(path, binary=binary) as f:
        writer(f)


def check_writable(folder: str | Path, *, option: str = "out") -> Path:
    """Make sure results can be written to ``folder`` (created later if missing).

    Checks the folder, or its nearest existing ancestor, is a writable folder
    by creating and removing a temporary file there; nothing is left behind.
    Raises :class:`~basesim.errors.OutputError` saying why not.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{option}: cannot write results to {str(folder)!r}: it is a file, not a folder")
    ancestor = folder
    while not ancestor.exists():
        if ancestor.parent == ancestor:
            break
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputError(
            f"{option}: cannot create the folder {str(folder)!r}: {str(ancestor)!r} is a file, not a folder"
        )
    try:
        with tempfile.TemporaryFile(dir=ancestor):
            pass
    except OSError as exc:
        raise OutputError(f"{option}: cannot write results to {str(folder)!r}: {exc.strerror or exc}") from exc
    return folder


# --- save / load --------------------------------------------------------------------------


def _json_text(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"


def save_results(result: RunResult, folder: str | Path) -> Path:
    """Write ``result`` to ``folder`` (created if needed), each file atomically."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the results folder {str(folder)!r}: {exc.strerror or exc}") from exc
    summary = result.summary
    writers: list[tuple[str, Callable[[IO[Any]], None], bool]] = []
    if result.table is not None:
        writers.append(("runs.parquet", lambda f: result.table.to_parquet(f, engine="pyarrow", index=False), True))
    writers += [
        ("summary.json", lambda f: f.write(_json_text(summary.to_dict())), False),
        ("summary.csv", lambda f: summary.table.to_csv(f, index=False), False),
        ("scenario.resolved.yaml", lambda f: f.write(dump_scenario(result.scenario)), False),
        ("provenance.json", lambda f: f.write(_json_text(result.provenance)), False),
    ]
    for name, writer, binary in writers:
        try:
            _write(folder / name, writer, binary=binary)
        except OSError as exc:
            raise OutputError(f"cannot write {str(folder / name)!r}: {exc.strerror or exc}") from exc
    # a summary-only run saved over an older full run must not leave the old table behind
    if result.table is None:
        with contextlib.suppress(FileNotFoundError):
            (folder / "runs.parquet").unlink()
    return folder


def load_results(folder: str | Path) -> RunResult:
    """Read a results folder written by :meth:`RunResult.save` (or ``basesim run``)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise OutputError(f"{str(folder)!r} is not a results folder (no such folder)")
    missing = [name for name in FILES[1:] if not (folder / name).exists()]
    if missing:
        raise OutputError(f"{str(folder)!r} is not a complete results folder: missing {', '.join(missing)}")
    try:
        scenario = load_scenario(folder / "scenario.resolved.yaml")
    except ScenarioError as exc:
        raise OutputError(f"{str(folder)!r}: the saved scenario no longer loads:\n{exc}") from exc
    try:
        provenance = json.loads((folder / "provenance.json").read_text(encoding="utf-8"))
        summary = Summary.from_dict(json.loads((folder / "summary.json").read_text(encoding="utf-8")), scenario)
    except (ValueError, KeyError) as exc:
        raise OutputError(f"{str(folder)!r}: cannot read the summary or provenance: {exc}") from exc
    table_path = folder / "runs.parquet"
    table = pd.read_parquet(table_path, engine="pyarrow") if table_path.exists() else None
    return RunResult(scenario=scenario, table=table, summary=summary, provenance=provenance)
