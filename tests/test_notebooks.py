"""Every notebook in experiments/ runs from top to bottom, so none of them rots.

Each is executed in a fresh kernel with its own folder as the working
directory (the notebooks read ``../scenarios/...``); a failing cell fails
the test with its traceback. The notebooks on disk are not rewritten.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"
NOTEBOOKS = sorted(EXPERIMENTS.glob("*.ipynb"))


def test_there_are_analyst_notebooks():
    names = {path.stem for path in NOTEBOOKS}
    assert {"turkey_leverage_and_tartus", "which_uncertainties_matter"} <= names


def _stream_text(notebook: nbformat.NotebookNode) -> str:
    return "".join(output.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                   for output in cell.get("outputs", []) if output.get("output_type") == "stream")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path):
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    errors = [output for cell in notebook.cells if cell.cell_type == "code"
              for output in cell.get("outputs", []) if output.get("output_type") == "error"]
    assert errors == []
    images = sum("image/png" in output.get("data", {}) for cell in notebook.cells if cell.cell_type == "code"
                 for output in cell.get("outputs", []))
    assert images >= 2  # every notebook shows its figures
    text = _stream_text(notebook)
    if path.stem == "turkey_leverage_and_tartus":
        assert "the chance Russia keeps Tartus falls by" in text
    if path.stem == "which_uncertainties_matter":
        assert "Most important uncertain parameter: actors." in text
        assert "actors.russia.power" in text.split("Inputs that do not matter here:")[1]
