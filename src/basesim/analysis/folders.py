"""Reading back every kind of result folder basesim writes, for reports.

| kind | written by | what marks it |
|---|---|---|
| ``run`` | ``basesim run`` | ``provenance.json``, ``summary.json``, ``scenario.resolved.yaml`` |
| ``protocols`` | ``basesim run FILE --protocol all`` | ``comparison.csv`` and one run folder per protocol, one scenario |
| ``compare`` | ``basesim compare`` | ``comparison.csv`` and one run folder per scenario |
| ``sweep`` | ``basesim sweep`` | ``sweep_long.csv`` and ``provenance.json`` |
| ``sensitivity`` | ``basesim sensitivity`` | ``sensitivity.csv`` and ``provenance.json`` |

Sweep and sensitivity folders name their scenario in
``scenario.resolved.yaml`` (written since reports cover them); an older
folder without it is read with the scenario file given as ``scenario=``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from basesim.errors import OutputError
from basesim.scenario.schema import Scenario

__all__ = ["FOLDER_KINDS", "Comparison", "SensitivityFolder", "folder_kind", "load_comparison", "load_sensitivity",
           "load_sweep"]

#: The kinds of result folder and what each holds.
FOLDER_KINDS = {
    "run": "one Monte Carlo run (basesim run)",
    "protocols": "one scenario under every protocol (basesim run --protocol all)",
    "compare": "several scenarios side by side (basesim compare)",
    "sweep": "a parameter sweep (basesim sweep)",
    "sensitivity": "a sensitivity analysis (basesim sensitivity)",
}
_RUN_FILES = ("provenance.json", "summary.json", "scenario.resolved.yaml")


def _is_run(folder: Path) -> bool:
    return all((folder / name).exists() for name in _RUN_FILES)


def _variant_folders(folder: Path) -> list[tuple[str, Path]]:
    """(variant, subfolder) in the order of ``comparison.csv`` (the order the variants were given)."""
    subfolders = {p.name: p for p in sorted(folder.iterdir()) if p.is_dir() and _is_run(p)}
    order: list[str] = []
    csv = folder / "comparison.csv"
    if csv.exists():
        try:
            order = list(dict.fromkeys(pd.read_csv(csv)["variant"].astype(str)))
        except (KeyError, ValueError, pd.errors.ParserError):
            order = []
    chosen: list[tuple[str, Path]] = []
    for variant in order:
        for candidate in (variant, variant.replace(" ", "_")):
            if candidate in subfolders and all(candidate != p.name for _, p in chosen):
                chosen.append((variant, subfolders[candidate]))
                break
    for name, path in subfolders.items():  # folders the table does not list, in name order
        if all(path != p for _, p in chosen):
            chosen.append((name, path))
    return chosen


def folder_kind(folder: str | Path) -> str:
    """The kind of a result folder (a key of :data:`FOLDER_KINDS`); raise OutputError if it is none of them."""
    folder = Path(folder)
    if not folder.is_dir():
        raise OutputError(f"{str(folder)!r} is not a results folder (no such folder)")
    if _is_run(folder):
        return "run"
    if (folder / "sweep_long.csv").exists() and (folder / "provenance.json").exists():
        return "sweep"
    if (folder / "sensitivity.csv").exists() and (folder / "provenance.json").exists():
        return "sensitivity"
    variants = _variant_folders(folder)
    if (folder / "comparison.csv").exists() and len(variants) >= 2:
        hashes, protocols = set(), set()
        for _, path in variants:
            provenance = json.loads((path / "provenance.json").read_text(encoding="utf-8"))
            hashes.add(provenance.get("scenario_hash"))
            protocols.add(provenance.get("protocol"))
        return "protocols" if len(hashes) == 1 and len(protocols) == len(variants) else "compare"
    raise OutputError(
        f"{str(folder)!r} is not a complete results folder of any kind: expected the folder of basesim run (provenance.json, "
        "summary.json, scenario.resolved.yaml), of run --protocol all or compare (comparison.csv and one run "
        "folder per variant), of sweep (sweep_long.csv) or of sensitivity (sensitivity.csv)")


@dataclass
class Comparison:
    """Several runs side by side: ``results`` (variant -> RunResult, in the order given) and ``kind``
    (``protocols``: one scenario under each protocol; ``compare``: several scenarios)."""

    kind: str
    results: dict[str, Any]
    folder: Path

    @property
    def reference(self) -> str:
        """The variant the others are compared with: the first."""
        return next(iter(self.results))


def load_comparison(folder: str | Path) -> Comparison:
    """Read the folder of ``basesim compare`` or ``basesim run FILE --protocol all``."""
    from basesim.montecarlo.results import load_results

    folder = Path(folder)
    kind = folder_kind(folder)
    if kind not in ("protocols", "compare"):
        raise OutputError(f"{str(folder)!r} is a {kind} folder, not a comparison (compare or run --protocol all)")
    return Comparison(kind=kind, results={variant: load_results(path) for variant, path in _variant_folders(folder)},
                      folder=folder)


def _scenario(folder: Path, scenario: Scenario | str | Path | None, what: str) -> Scenario:
    from basesim.scenario.loader import load_scenario

    if isinstance(scenario, Scenario):
        return scenario
    if scenario is not None:
        return load_scenario(scenario)
    path = folder / "scenario.resolved.yaml"
    if not path.exists():
        raise OutputError(f"{str(folder)!r}: this {what} folder has no scenario.resolved.yaml (it was written by an "
                          f"older basesim); run the {what} again, or give the scenario file")
    return load_scenario(path)


def _json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise OutputError(f"{str(path)!r}: cannot read it ({exc})") from exc


def load_sweep(folder: str | Path, *, scenario: Scenario | str | Path | None = None) -> Any:
    """A :class:`~basesim.analysis.sweeps.SweepResult` read back from the folder of ``basesim sweep``."""
    from basesim.analysis.sweeps import SweepResult

    folder = Path(folder)
    provenance = _json(folder / "provenance.json")
    base = _scenario(folder, scenario, "sweep")
    long = pd.read_csv(folder / "sweep_long.csv", keep_default_na=True)
    parameters = list(provenance.get("parameters") or [])
    if not parameters:
        raise OutputError(f"{str(folder)!r}: provenance.json names no swept parameter")
    design = long.drop_duplicates("point").set_index("point")[parameters].sort_index()
    design.index.name = "point"
    return SweepResult(scenario=base, design=design, summary=long, provenance=provenance)


@dataclass
class SensitivityFolder:
    """A sensitivity analysis read back: its table (Sobol' indices or a ranking), provenance and scenario,
    and the tornado table when the folder has one."""

    scenario: Scenario
    table: pd.DataFrame
    provenance: dict[str, Any]
    tornado: pd.DataFrame | None = None
    folder: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def method(self) -> str:
        return "sobol" if "factor" in self.table.columns else "ranking"

    @property
    def outputs(self) -> list[str]:
        return list(dict.fromkeys(self.table["output"]))


def load_sensitivity(folder: str | Path, *, scenario: Scenario | str | Path | None = None) -> SensitivityFolder:
    """The folder of ``basesim sensitivity`` read back (``tornado.csv`` too when present)."""
    folder = Path(folder)
    provenance = _json(folder / "provenance.json")
    table = pd.read_csv(folder / "sensitivity.csv")
    tornado = pd.read_csv(folder / "tornado.csv") if (folder / "tornado.csv").exists() else None
    return SensitivityFolder(scenario=_scenario(folder, scenario, "sensitivity"), table=table,
                             provenance=provenance, tornado=tornado, folder=folder)
