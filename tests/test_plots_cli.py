"""`basesim plot`, `basesim report`, `basesim compare`: files written, and every error path (exit 2)."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET

import pandas as pd
import pytest

import _plot_tables as T
import basesim
from basesim import cli
from basesim.cli import main
from basesim.views.plots import FIGURE_KINDS

BASELINE = T.ROOT / "scenarios" / "baseline.yaml"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A saved run of the baseline scenario (no figures yet)."""
    folder = tmp_path_factory.mktemp("run") / "baseline"
    basesim.run(BASELINE, runs=200, workers=1).save(folder)
    return folder


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    monkeypatch.setattr(cli.console, "width", 200)
    monkeypatch.setattr(cli.err_console, "width", 200)


def test_plot_writes_every_figure_kind(saved, capsys):
    assert main(["plot", str(saved)]) == 0
    out = capsys.readouterr().out
    folder = saved / "figures"
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{k}.png" for k in FIGURE_KINDS)
    for path in folder.iterdir():
        assert path.read_bytes()[:8] == PNG
    assert f"Wrote 7 figures to {folder}/: results.png, outcomes.png" in out


def test_plot_kinds_and_formats(saved, tmp_path, capsys):
    assert main(["plot", str(saved), "--kind", "results,timing", "--kind", "negotiation", "--format", "svg",
                 "--out", str(tmp_path / "svg"), "--replicate", "7"]) == 0
    files = sorted(p.name for p in (tmp_path / "svg").iterdir())
    assert files == ["negotiation.svg", "results.svg", "timing.svg"]
    svg = (tmp_path / "svg" / "negotiation.svg").read_text()
    assert ET.fromstring(svg).tag.endswith("svg") and "One negotiation (run 7)" in svg
    assert main(["plot", str(saved), "--kind", "amounts", "--format", "pdf", "--out", str(tmp_path / "pdf")]) == 0
    assert (tmp_path / "pdf" / "amounts.pdf").read_bytes()[:5] == b"%PDF-"


def test_report_command(saved, tmp_path, capsys):
    path = tmp_path / "page.html"
    assert main(["report", str(saved), "--out", str(path)]) == 0
    assert f"Report written to {path}" in capsys.readouterr().out
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.count("<figure ") >= len(FIGURE_KINDS)  # and the analyses


@pytest.mark.parametrize("argv, message", [
    (["plot", "{missing}"], "is not a results folder (no such folder)"),
    (["plot", "{empty}"], "is not a complete results folder: missing summary.json"),
    (["plot", "{saved}", "--kind", "level"],
     "--kind: 'level' is not a figure kind (did you mean 'levels'?); expected one of results, outcomes, levels"),
    (["plot", "{saved}", "--format", "jpg"], "--format: 'jpg' is not a figure format; expected one of png, svg, pdf"),
    (["plot", "{saved}", "--replicate", "200"], "--replicate: the run has 200 replicates (0 to 199), got 200"),
    (["report", "{missing}"], "is not a results folder (no such folder)"),
    (["report", "{empty}"], "is not a complete results folder"),
    (["report", "{saved}", "--out", "{empty}"], "is a folder; give the HTML file to write"),
    (["compare", str(BASELINE)], "compare: give at least two scenario files"),
    (["compare", str(BASELINE), "{missing}"], "no-such-folder"),
    (["compare", str(BASELINE), str(BASELINE), "--runs", "0"], "--runs"),
    (["compare", str(BASELINE), str(BASELINE), "--figure-format", "gif"], "--figure-format: 'gif' is not a figure format"),
    (["compare", str(BASELINE), str(BASELINE), "--protocol", "nashh"], "--protocol"),
])
def test_error_paths_exit_2_with_one_clear_message(argv, message, saved, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    paths = {"missing": str(tmp_path / "no-such-folder"), "empty": str(empty), "saved": str(saved)}
    argv = [a.format(**paths) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert "Traceback" not in err
    assert list(empty.iterdir()) == []  # nothing half-written


def test_compare_runs_each_scenario_and_draws_them_side_by_side(tmp_path, capsys):
    other = T.ROOT / "scenarios" / "turkey_presses.yaml"
    out = tmp_path / "cmp"
    assert main(["compare", str(BASELINE), str(other), "--runs", "60", "--workers", "1", "--no-figures",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    names = {p.name for p in out.iterdir()}
    assert {"baseline", "turkey_presses", "compare-results.png", "compare-outcomes.png", "compare-tartus.png",
            "comparison.csv"} <= names
    assert (out / "compare-results.png").read_bytes()[:8] == PNG
    assert not (out / "baseline" / "figures").exists()  # --no-figures: only the comparison is drawn
    csv = pd.read_csv(out / "comparison.csv")
    assert set(csv["variant"]) == {"baseline", "turkey_presses"}
    one = basesim.load_results(out / "baseline")
    agreement = csv[(csv["variant"] == "baseline") & (csv["name"] == "agreement")]["estimate"].item()
    assert agreement == pytest.approx(one.summary.probability("result", "result", "agreement"))
    for text in ("Compared", "baseline", "turkey_presses", "agreement", "Russia keeps Tartus"):
        assert text in printed


def test_plot_as_a_real_subprocess(saved, tmp_path):
    done = subprocess.run([sys.executable, "-m", "basesim", "plot", str(saved), "--kind", "results",
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "results.png").read_bytes()[:8] == PNG


def test_run_leaves_the_standard_figures(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", str(BASELINE), "--runs", "80", "--workers", "1", "--no-progress", "--out", str(out)]) == 0
    assert f"Figures written to {out / 'figures'}/ (7)" in capsys.readouterr().out
    assert sorted(p.stem for p in (out / "figures").iterdir()) == sorted(FIGURE_KINDS)
    assert main(["run", str(BASELINE), "--runs", "80", "--workers", "1", "--no-figures",
                 "--out", str(tmp_path / "bare")]) == 0
    assert not (tmp_path / "bare" / "figures").exists()


def test_run_protocol_all_runs_each_protocol_and_compares(tmp_path, capsys):
    out = tmp_path / "all"
    assert main(["run", str(BASELINE), "--protocol", "all", "--runs", "40", "--workers", "1", "--no-progress",
                 "--no-figures", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    for protocol in ("alternating_offers", "equilibrium", "nash", "expected_utility"):
        saved = basesim.load_results(out / protocol)
        assert saved.provenance["protocol"] == protocol and saved.runs == 40
    assert (out / "compare-results.png").read_bytes()[:8] == PNG
    csv = pd.read_csv(out / "comparison.csv")
    assert list(dict.fromkeys(csv["variant"])) == ["alternating offers", "equilibrium", "nash", "expected utility"]
    assert "the protocols compared" in printed
