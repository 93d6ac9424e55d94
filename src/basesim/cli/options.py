"""The options every model-running command shares, and the rules they follow.

``run``, ``compare``, ``sweep`` and ``sensitivity`` take the same names for the
same things (``--runs``, ``--seed``, ``--set``, ``--protocol``, ``--workers``,
``--scheduler``, ``--out``, ``--format``, ``--progress/--no-progress``,
``--json``, ``--quiet``), and name their default output folder the same way:
``results/<scenario>-<kind>-<YYYYmmdd-HHMMSS>/`` (:func:`default_folder`).
Every option is checked before any model is played.

Only typer and the standard library are imported at module level (start-up time).
"""

from __future__ import annotations

import datetime as dt
import json as json_module
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from basesim.errors import UsageError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "EXCEL_MAX_ROWS",
    "EXPORT_FORMATS",
    "ExportOption",
    "JsonOption",
    "OutOption",
    "ProgressOption",
    "ProtocolOption",
    "QuietOption",
    "RunsOption",
    "SchedulerOption",
    "SeedOption",
    "SetOption",
    "WorkersOption",
    "check_export_formats",
    "default_folder",
    "export_tables",
    "records",
]

SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="PATH=VALUE",
        help="Override a parameter by dotted path, e.g. --set actors.turkey.leverage.syria=0.4 (repeatable).",
    ),
]
RunsOption = Annotated[int | None, typer.Option("--runs", help="Replications (default: monte_carlo.runs).")]
SeedOption = Annotated[
    int | None, typer.Option("--seed", help="Seed entropy (default: monte_carlo.seed, else drawn and recorded).")
]
ProtocolOption = Annotated[
    str | None,
    typer.Option("--protocol",
                 help="alternating_offers, equilibrium, nash or expected_utility (default: the scenario's)."),
]
WorkersOption = Annotated[
    int | None, typer.Option("--workers", help="Worker processes (default: all cores; 1 runs in-process).")
]
SchedulerOption = Annotated[
    str | None,
    typer.Option("--scheduler", metavar="ADDRESS",
                 help="Run on a dask cluster: tcp://HOST:PORT of a running scheduler, or 'local'."),
]
OutOption = Annotated[
    Path | None,
    typer.Option("--out", metavar="DIR", help="Output folder (default: results/<scenario>-<timestamp>/)."),
]
ExportOption = Annotated[
    list[str] | None,
    typer.Option("--format", metavar="csv|xlsx",
                 help="Also write the tables as CSV or Excel (repeatable or comma-separated: csv,xlsx)."),
]
ProgressOption = Annotated[
    bool, typer.Option("--progress/--no-progress", help="Show a progress bar (on stderr, in a terminal).")
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print the results as one JSON document on stdout; messages go to stderr.")
]
QuietOption = Annotated[
    bool, typer.Option("--quiet", "-q", help="Print no tables, messages, warnings or progress; errors only.")
]

#: Table formats of ``--format``.
EXPORT_FORMATS = ("csv", "xlsx")
#: Rows of an Excel sheet, the header row included.
EXCEL_MAX_ROWS = 1_048_576


def default_folder(name: str | None, kind: str | None = None, *, root: Path = Path("results")) -> Path:
    """``results/<name>[-<kind>]-<YYYYmmdd-HHMMSS>``, with ``-2``, ``-3``, ... if that folder exists."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = root / "-".join(part for part in (name or "scenario", kind, stamp) if part)
    from basesim.montecarlo.output import in_use

    folder, n = base, 2
    while folder.exists() or in_use(folder):  # another command may hold it without having written it yet
        folder, n = Path(f"{base}-{n}"), n + 1
    return folder


def check_export_formats(values: Sequence[str] | None, *, rows: int | None = None) -> list[str]:
    """``--format`` values, checked: each one of csv, xlsx; ``rows`` (when known) must fit an Excel sheet."""
    names = [v.strip().lower() for value in values or [] for v in str(value).split(",") if v.strip()]
    for name in names:
        if name not in EXPORT_FORMATS:
            raise UsageError(f"--format: {name!r} is not a table format; expected csv or xlsx")
    if "xlsx" in names and rows is not None and rows + 1 > EXCEL_MAX_ROWS:
        raise UsageError(f"--format: an Excel sheet holds at most {EXCEL_MAX_ROWS - 1:,} rows, and this would "
                         f"write {rows:,}; use --format csv (or fewer --runs)")
    return list(dict.fromkeys(names))


def export_tables(tables: Mapping[str, pd.DataFrame], folder: Path, *, stem: str,
                  formats: Sequence[str]) -> list[Path]:
    """Write ``tables`` as ``FOLDER/STEM.csv`` (the first table) and/or ``FOLDER/STEM.xlsx`` (one sheet each).

    Each file is written atomically (a temporary file renamed into place).
    Columns keep the names they have in the results (``replicate``,
    ``actors.syria.outside_option``, ``outcome.NAME``, ...).
    """
    from basesim.montecarlo.results import atomic_write

    written: list[Path] = []
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if "csv" in formats:
        path = folder / f"{stem}.csv"
        with atomic_write(path) as f:
            next(iter(tables.values())).to_csv(f, index=False)
        written.append(path)
    if "xlsx" in formats:
        import pandas as pd

        path = folder / f"{stem}.xlsx"
        with atomic_write(path, binary=True) as f:
            with pd.ExcelWriter(f, engine="openpyxl") as writer:
                for sheet, table in tables.items():
                    _excel_ready(table).to_excel(writer, sheet_name=sheet[:31], index=False)
        written.append(path)
    return written


def _excel_ready(table: pd.DataFrame) -> pd.DataFrame:
    """Excel holds no timezone-aware dates and no categories: plain values instead."""
    import pandas as pd

    out = table.copy()
    for column in out.columns:
        series = out[column]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            out[column] = series.dt.tz_localize(None)
        elif isinstance(series.dtype, pd.CategoricalDtype):
            out[column] = series.astype(object)
    return out


def records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as JSON-ready records: NaN as null, dates in ISO 8601."""
    return json_module.loads(table.to_json(orient="records", date_format="iso"))
