"""The result of a Monte Carlo run, and writing it to / reading it from a folder.

A results folder holds ``runs.parquet`` (the per-replication table, absent
for a summary-only run), ``summary.json`` (the counts every summary statistic
is computed from, and the summary table), ``summary.csv`` (the summary
table), ``scenario.resolved.yaml`` (the scenario exactly as run) and
``provenance.json`` (versions, seed, hash, command line, times).

The folder is written whole or not at all (:mod:`basesim.montecarlo.output`):
every file goes into a temporary sibling folder, which is renamed into place
last, so an interrupted save leaves the old folder (or none), never part of
one. A folder is locked while it is written (a second writer is refused), and
an existing folder is replaced only if basesim wrote it, unless ``force``.
Single files elsewhere are written with :func:`atomic_write` (a temporary
file renamed over the target with ``os.replace``).
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
from basesim.montecarlo.output import check_writable, staged_folder  # check_writable: re-exported
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

    def save(self, folder: str | Path, *, force: bool = False) -> Path:
        """Write the results folder whole (see :mod:`basesim.montecarlo.results`); return its path.

        An existing folder is replaced if basesim wrote it; one that holds
        anything else is refused unless ``force``.
        """
        return save_results(self, folder, force=force)

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


# --- save / load --------------------------------------------------------------------------


def _json_text(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"


def save_results(result: RunResult, folder: str | Path, *, force: bool = False, option: str = "folder",
                 force_hint: str = "force=True") -> Path:
    """Write ``result`` to ``folder`` whole: into a temporary sibling, renamed into place once complete.

    An existing folder is replaced if basesim wrote it (or with ``force``);
    ``option`` and ``force_hint`` name the argument in messages (``--out``,
    ``--force`` for the command line).
    """
    folder = Path(folder)
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
    with staged_folder(folder, option=option, force=force, force_hint=force_hint) as stage:
        for name, writer, binary in writers:
            try:
                _write(stage / name, writer, binary=binary)
            except OSError as exc:
                raise OutputError(f"cannot write {str(folder / name)!r}: {exc.strerror or exc}") from exc
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
        provenance = json.loads(_small_text(folder / "provenance.json"))
        summary = Summary.from_dict(json.loads(_small_text(folder / "summary.json")), scenario)
        if not isinstance(provenance, dict):
            raise ValueError("provenance.json does not hold a JSON object")
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        raise OutputError(f"{str(folder)!r}: cannot read the summary or provenance: {exc}") from exc
    table_path = folder / "runs.parquet"
    table = None
    if table_path.exists():
        try:
            table = pd.read_parquet(table_path, engine="pyarrow")
        except Exception as exc:  # noqa: BLE001 - pyarrow raises its own kinds for a damaged file
            raise OutputError(f"{str(table_path)!r}: cannot read the runs table: {exc}") from exc
    return RunResult(scenario=scenario, table=table, summary=summary, provenance=provenance)


#: Largest summary or provenance file read back (a real one is a few hundred kilobytes at most).
_MAX_RECORD_BYTES = 64 * 2**20


def _small_text(path: Path) -> str:
    if path.stat().st_size > _MAX_RECORD_BYTES:
        raise ValueError(f"{path.name} is larger than {_MAX_RECORD_BYTES:,} bytes")
    return path.read_text(encoding="utf-8")
