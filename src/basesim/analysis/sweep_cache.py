"""Finished sweep points kept on disk, so an interrupted sweep resumes where it stopped.

A cache is a folder; each finished design point is one JSON file
``points/KEY.json`` (the point, its seed, its run count and the counts its
summary is computed from) and, when the per-replication table was kept,
``points/KEY.parquet``. ``KEY`` is the SHA-256 of the base scenario's hash
(:func:`basesim.scenario.loader.scenario_hash`), the point's parameter values, the
seed, the number of runs, the protocol and the basesim version: change any
of them and the point is computed afresh; change nothing and it is never
computed twice.

Files are written atomically (a temporary file renamed into place), the
table before the JSON: a point counts as finished only once its JSON
exists, so an interruption at any moment leaves the cache consistent.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from basesim.errors import OutputError
from basesim.montecarlo.summary import Summary
from basesim.scenario.schema import Scenario

__all__ = ["CachedPoint", "SweepCache", "point_key"]

#: Bump when the layout of a cached point changes; old entries are then ignored.
CACHE_FORMAT = 1


def _plain(value: Any) -> Any:
    """JSON-ready, canonical form of a parameter value (numpy scalars to Python)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    return value


def point_key(
    *, scenario_hash: str, point: Mapping[str, Any], seed: int, runs: int, protocol: str | None, version: str
) -> str:
    """The identity of one design point's run: SHA-256 hex of its canonical JSON."""
    identity = {
        "format": CACHE_FORMAT,
        "scenario": scenario_hash,
        "point": {str(k): _plain(v) for k, v in sorted(point.items())},
        "seed": int(seed),
        "runs": int(runs),
        "protocol": protocol,
        "version": version,
    }
    text = json.dumps(identity, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class CachedPoint:
    """A finished point read back: its summary and, if kept, its replications."""

    key: str
    point: dict[str, Any]
    seed: int
    runs: int
    summary: Summary
    replications: pd.DataFrame | None


@contextlib.contextmanager
def _atomic(path: Path, *, binary: bool) -> Iterator[IO[Any]]:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8"})) as f:
            yield f
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


class SweepCache:
    """The finished points of sweeps, in ``folder/points``.

    One cache may hold the points of many sweeps (of different scenarios,
    seeds or designs): the key tells them apart.
    """

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        if self.folder.exists() and not self.folder.is_dir():
            raise OutputError(f"cache: {str(self.folder)!r} is a file, not a folder; give a folder for the sweep cache")
        self.points = self.folder / "points"
        try:
            self.points.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cache: cannot create the folder {str(self.points)!r}: {exc.strerror or exc}") from exc

    def __len__(self) -> int:
        return sum(1 for _ in self.points.glob("*.json"))

    def __contains__(self, key: str) -> bool:
        return (self.points / f"{key}.json").exists()

    def get(self, key: str, *, scenario: Scenario, replications: bool = False) -> CachedPoint | None:
        """The finished point ``key``, or None if it is missing (or lacks the
        replications asked for, or cannot be read: it is then recomputed)."""
        meta_path = self.points / f"{key}.json"
        table_path = self.points / f"{key}.parquet"
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return None
        if meta.get("format") != CACHE_FORMAT:
            return None
        table = None
        if replications:
            if not meta.get("replications"):
                return None
            try:
                table = pd.read_parquet(table_path)
            except (OSError, ValueError):
                return None
        return CachedPoint(
            key=key,
            point=meta["point"],
            seed=int(meta["seed"]),
            runs=int(meta["runs"]),
            summary=Summary.from_dict(meta["summary"], scenario),
            replications=table,
        )

    def put(
        self,
        key: str,
        *,
        point: Mapping[str, Any],
        seed: int,
        runs: int,
        summary: Summary,
        replications: pd.DataFrame | None = None,
    ) -> None:
        """Record a finished point (the table first, then the JSON that marks it finished)."""
        try:
            if replications is not None:
                with _atomic(self.points / f"{key}.parquet", binary=True) as f:
                    replications.to_parquet(f, index=False)
            meta = {
                "format": CACHE_FORMAT,
                "point": {str(k): _plain(v) for k, v in point.items()},
                "seed": int(seed),
                "runs": int(runs),
                "replications": replications is not None,
                "summary": summary.to_dict(),
            }
            with _atomic(self.points / f"{key}.json", binary=False) as f:
                f.write(json.dumps(meta, default=str))
        except OSError as exc:
            raise OutputError(f"cache: cannot write to {str(self.points)!r}: {exc.strerror or exc}") from exc
