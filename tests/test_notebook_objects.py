"""basesim in a notebook (issue 16, item 5): a silent import, short reprs and HTML, progress, inputs and outcomes."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient

import basesim
from basesim.montecarlo.progress import ProgressBar
from basesim.scenario.sampling import sample
from runner_scenarios import TALKS, write

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = ROOT / "scenarios" / "minimal.yaml"


@pytest.fixture(scope="module")
def talks(tmp_path_factory):
    return basesim.load_scenario(write(tmp_path_factory.mktemp("talks"), TALKS))


@pytest.fixture(scope="module")
def result(talks):
    return basesim.run(talks, runs=120, seed=4, workers=1)


# --- a silent import --------------------------------------------------------------------------------


def test_import_basesim_writes_nothing():
    done = subprocess.run([sys.executable, "-W", "default", "-c", "import basesim"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0
    assert (done.stdout, done.stderr) == ("", "")


def test_import_basesim_loads_no_heavy_library():
    code = textwrap.dedent("""
        import sys
        import basesim
        heavy = {"scipy", "pandas", "matplotlib", "dask", "distributed", "mesa", "xarray", "pyarrow"}
        print(sorted(heavy & {name.split(".")[0] for name in sys.modules}))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_notebook_import_and_first_run_print_nothing(tmp_path):
    """In a Jupyter kernel, where tqdm (imported by Mesa) warns about missing widgets unless silenced."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("import basesim"),
        nbformat.v4.new_code_cell(f"result = basesim.run({str(MINIMAL)!r}, runs=20, workers=1)"),
        nbformat.v4.new_code_cell("result"),
    ]
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    silent, _, shown = notebook.cells
    assert silent.outputs == []
    assert notebook.cells[1].outputs == []
    data = shown.outputs[0]["data"]
    assert data["text/plain"].startswith("RunResult(scenario='minimal', runs=20")
    assert "<table>" in data["text/html"]


# --- reprs ------------------------------------------------------------------------------------------


def _short(text: str) -> None:
    assert "\n" not in text and len(text) < 300, text


def test_scenario_repr_and_html(talks):
    text = repr(talks)
    _short(text)
    assert text.startswith("Scenario('talks': Small talks, 2 issues (18 outcomes), 2 principals, 1 influencer")
    page = talks._repr_html_()
    assert "<b>Scenario</b> Small talks" in page
    for label in ("Money paid", "The base", "withdrawal, logistics only, full lease", "influencer"):
        assert label in page


def test_html_is_escaped(talks):
    odd = basesim.with_overrides(talks, {"title": "A <b>bold</b> & risky title"})
    page = odd._repr_html_()
    assert "A &lt;b&gt;bold&lt;/b&gt; &amp; risky title" in page and "<b>bold</b>" not in page


def test_run_result_and_summary(result):
    _short(repr(result))
    assert repr(result).startswith("RunResult(scenario='talks', runs=120, seed=4")
    text = repr(result.summary)
    _short(text)
    assert text.startswith("Summary('talks', 120 runs: agreement ")
    page = result._repr_html_()
    assert "<b>RunResult</b> Small talks" in page and "120 runs" in page
    table = result.summary.table
    for label in table.loc[table["kind"] == "outcome", "label"]:
        assert label in page
    assert result.summary._repr_html_().count("<tr>") == 1 + len(result.summary.table.query("kind in ['result', "
                                                                                          "'outcome']"))


def test_sweep_result(talks):
    grid = basesim.sweep(talks, {"actors.north.concession": [0.4, 0.8]}, runs=30, seed=2, workers=1)
    text = repr(grid)
    _short(text)
    assert text.startswith("SweepResult('talks', 2 points over actors.north.concession, 30 runs per point, seed 2")
    page = grid._repr_html_()
    assert "<b>SweepResult</b>" in page and page.count("<tr>") == 3  # header and one row per point


def test_sobol_indices():
    scenario = basesim.load_scenario(ROOT / "scenarios" / "minimal.yaml",
                                     ["actors.a.patience={dist: uniform, low: 0.8, high: 0.95}"])
    indices = basesim.sobol_sensitivity(scenario, n=16, seed=1, outputs=["result.agreement"], n_resamples=20)
    text = repr(indices)
    _short(text)
    assert text.startswith(f"SobolIndices(N=16, {len(indices.factors)} factor")
    page = indices._repr_html_()
    assert "<b>SobolIndices</b>" in page and "actors.a.patience" in page


# --- progress ---------------------------------------------------------------------------------------


def test_progress_bar_counts_to_the_total(talks):
    stream = io.StringIO()
    bar = ProgressBar("talks", file=stream)
    basesim.run(talks, runs=120, seed=1, workers=1, progress=bar)
    assert (bar.done, bar.total) == (120, 120)
    assert "talks" in stream.getvalue() and "120/120" in stream.getvalue()
    assert repr(bar) == "ProgressBar('talks', 120/120 runs)"


def test_progress_bar_in_a_notebook_writes_no_warning(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(
        "import basesim\n"
        f"result = basesim.run({str(MINIMAL)!r}, runs=20, workers=1, progress=basesim.ProgressBar('minimal'))")]
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = notebook.cells[0].outputs
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "Warning" not in text
    widgets = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert widgets or "20/20" in text  # a widget with ipywidgets, else tqdm's text bar


# --- inputs and outcomes ----------------------------------------------------------------------------


def test_inputs_and_outcomes_split_the_table(talks, result):
    inputs, outcomes = result.inputs, result.outcomes
    draws = sample(talks, 3, __import__("numpy").random.default_rng(0))
    assert list(inputs.columns) == ["replicate", *draws.inputs]
    assert outcomes.columns[0] == "replicate" and outcomes.columns[1] == "result"
    assert set(inputs.columns) & set(outcomes.columns) == {"replicate"}
    assert [f"outcome.{name}" for name in talks.outcomes] == [c for c in outcomes.columns if c.startswith("outcome.")]
    pd.testing.assert_frame_equal(inputs.merge(outcomes, on="replicate"), result.table)


def test_inputs_and_outcomes_survive_a_save(result, tmp_path):
    again = basesim.load_results(result.save(tmp_path / "saved"))
    pd.testing.assert_frame_equal(again.inputs, result.inputs)
    pd.testing.assert_frame_equal(again.outcomes, result.outcomes)


def test_summary_only_has_no_tables(talks):
    light = basesim.run(talks, runs=50, seed=1, workers=1, summary_only=True)
    assert light.inputs is None and light.outcomes is None
    assert "summary only" in light._repr_html_()
