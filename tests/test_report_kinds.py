"""Every kind of result folder turns into one self-contained page with its sections, its figures and no local path.

The folders are made by the real commands, in-process (``main(argv)``): a run,
``run --protocol all``, ``compare``, a one- and a two-parameter ``sweep``, and
``sensitivity`` by both methods. Runs are small: the pages' structure is
tested, not the numbers (test_report.py and the analysis tests do those).
"""

from __future__ import annotations

import base64
import os
import re
import sys
from pathlib import Path

import pytest

import _plot_tables as T
from _html_page import Page, parse_page
from basesim.analysis.folders import folder_kind, load_comparison, load_sensitivity, load_sweep
from basesim.cli import main
from basesim.errors import OutputError
from basesim.views import report

BASELINE = T.ROOT / "scenarios" / "baseline.yaml"
TURKEY = T.ROOT / "scenarios" / "turkey_presses.yaml"


def _run(argv: list[str]) -> None:
    assert main([*argv, "--quiet"]) == 0, argv


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("kinds")
    made = {kind: root / kind for kind in ("run", "protocols", "compare", "sweep", "sweep2", "sobol", "ranking")}
    _run(["run", str(BASELINE), "--runs", "600", "--workers", "1", "--no-progress", "--no-figures",
          "--out", str(made["run"])])
    _run(["run", str(BASELINE), "--protocol", "all", "--runs", "150", "--workers", "1", "--no-progress",
          "--no-figures", "--out", str(made["protocols"])])
    _run(["compare", str(BASELINE), str(TURKEY), "--runs", "200", "--workers", "1", "--no-figures",
          "--out", str(made["compare"])])
    _run(["sweep", str(BASELINE), "--param", "actors.turkey.leverage.syria=0:0.4:3", "--runs", "120",
          "--workers", "1", "--no-progress", "--out", str(made["sweep"])])
    _run(["sweep", str(BASELINE), "--param", "actors.turkey.leverage.syria=0,0.4",
          "--param", "actors.syria.outside_option=-0.1,0.1", "--runs", "80", "--workers", "1", "--no-progress",
          "--out", str(made["sweep2"])])
    _run(["sensitivity", str(BASELINE), "--runs", "16", "--output", "russia_keeps_tartus", "--out", str(made["sobol"])])
    _run(["sensitivity", str(BASELINE), "--method", "ranking", "--runs", "300", "--output", "russia_keeps_tartus",
          "--out", str(made["ranking"])])
    return made


@pytest.fixture(scope="module")
def pages(folders) -> dict[str, tuple[str, Page, Path]]:
    out = {}
    for name, folder in folders.items():
        kind, path = report.write_folder_report(folder)
        text = path.read_text(encoding="utf-8")
        out[name] = (kind, text, parse_page(text), path)
    return out


EXPECTED = {
    "run": ("run", ["Summary", "The scenario in words", "Figures", "What moves each outcome", "The most likely deals",
                    "When each outcome happens", "Summary tables", "Provenance"],
            ["figure-results", "figure-timing", "figure-tornado", "figure-packages", "figure-discovery-1"]),
    "protocols": ("protocols", ["Summary", "Model uncertainty: the same questions under each theory",
                                "Differences from alternating offers", "Figures", "The scenario in words",
                                "Provenance"],
                  ["figure-differences", "figure-compare-results", "figure-compare-outcomes", "figure-compare-timing",
                   "figure-compare-tartus"]),
    "compare": ("compare", ["Summary", "The same questions in each scenario",
                            "Differences from Syria-Russia base talks, February 2025", "Figures",
                            "The scenarios in words", "Provenance"],
                ["figure-differences", "figure-compare-results", "figure-compare-timing"]),
    "sweep": ("sweep", ["Summary", "Response curves", "Every point", "The base scenario in words", "Provenance"],
              ["figure-sweep-result.agreement", "figure-sweep-outcome.russia_keeps_tartus"]),
    "sweep2": ("sweep", ["Summary", "Response curves", "Every point", "The base scenario in words", "Provenance"],
               ["figure-sweep-result.agreement"]),
    "sobol": ("sensitivity", ["Summary", "What drives each outcome", "Tables", "The scenario in words", "Provenance"],
              ["figure-sensitivity", "figure-tornado"]),
    "ranking": ("sensitivity", ["Summary", "What drives each outcome", "Tables", "The scenario in words",
                                "Provenance"], ["figure-sensitivity", "figure-tornado"]),
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_each_kind_has_its_sections_and_figures(pages, name):
    kind, text, page, _ = pages[name]
    expected_kind, sections, figures = EXPECTED[name]
    assert kind == expected_kind
    headings = page.headings
    positions = [headings.index(section) for section in sections]  # every section, in this order
    assert positions == sorted(positions), headings
    for figure in figures:
        assert figure in page.figures, (figure, page.figures)
    images = [attrs for tag, attrs in page.tags if tag == "img"]
    assert len(images) == len(page.figures) >= len(figures)
    for attrs in images:
        prefix = "data:image/png;base64,"
        assert attrs["src"].startswith(prefix)
        assert base64.b64decode(attrs["src"][len(prefix):])[:8] == b"\x89PNG\r\n\x1a\n"
    for tag, attrs in page.tags:  # self-contained: nothing from the network
        assert tag not in ("script", "link", "iframe")
        assert not re.match(r"(https?:)?//", attrs.get("src") or attrs.get("href") or "")


def _words(text: str) -> str:
    """The page without its embedded images (base64 may spell anything)."""
    return re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", text)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_no_local_path_or_user_name_by_default(pages, folders, name):
    _, text, _, _ = pages[name]
    words = _words(text)
    assert str(folders[name]) not in words and str(folders[name].parent) not in words
    assert sys.executable not in words and str(Path(sys.executable).parent) not in words
    assert str(Path.home()) not in words and str(T.ROOT) not in words
    user = os.environ.get("USER") or os.environ.get("LOGNAME")
    if user and len(user) > 3:
        assert not re.search(rf"\b{re.escape(user)}\b", words)
    assert "python_executable" not in words and "argv" not in words
    assert "--full-provenance" in words  # the page says how to see the rest


def test_full_provenance_shows_the_paths(folders, tmp_path):
    kind, path = report.write_folder_report(folders["run"], out=tmp_path / "full.html", full_provenance=True)
    words = _words(path.read_text(encoding="utf-8"))
    assert kind == "run"
    assert "python_executable" in words and sys.executable in words
    assert str(folders["run"]) in words  # the command line as typed


def test_the_run_page_keeps_versions_seed_and_hash(pages, folders):
    _, text, _, _ = pages["run"]
    provenance = __import__("json").loads((folders["run"] / "provenance.json").read_text())
    assert provenance["scenario_hash"] in text and str(provenance["seed"]) in text
    assert f"numpy {provenance['versions']['numpy']}" in text
    assert "basesim run baseline.yaml --runs 600" in text  # the command, paths cut to their names


def test_protocols_page_compares_every_protocol_side_by_side(pages, folders):
    _, text, _, _ = pages["protocols"]
    comparison = load_comparison(folders["protocols"])
    assert comparison.kind == "protocols" and comparison.reference == "alternating offers"
    for variant in comparison.results:
        assert f"{variant} (150 runs)" in text
    assert "paired intervals" in text


def test_compare_page_names_scenarios_by_title(pages, folders):
    _, text, _, _ = pages["compare"]
    comparison = load_comparison(folders["compare"])
    assert comparison.kind == "compare" and list(comparison.results) == ["baseline", "turkey_presses"]
    for result in comparison.results.values():
        assert result.scenario.title in text


def test_sweep_and_sensitivity_folders_read_back(folders):
    sweep = load_sweep(folders["sweep"])
    assert sweep.parameters == ["actors.turkey.leverage.syria"] and len(sweep.design) == 3
    assert "result.agreement" in sweep.statistics
    analysis = load_sensitivity(folders["sobol"])
    assert analysis.method == "sobol" and analysis.outputs == ["outcome.russia_keeps_tartus"]
    assert analysis.tornado is not None and set(analysis.tornado["output"]) == {"outcome.russia_keeps_tartus"}
    assert load_sensitivity(folders["ranking"]).method == "ranking"


def test_report_command_on_every_kind(folders, capsys):
    for name in ("protocols", "sweep", "ranking"):
        assert main(["report", str(folders[name])]) == 0
        out = capsys.readouterr().out
        assert f"Report written to {folders[name] / 'report.html'}" in out


def test_commands_print_the_exact_report_command(tmp_path, capsys):
    out = tmp_path / "my run"
    assert main(["run", str(BASELINE), "--runs", "50", "--workers", "1", "--no-progress", "--no-figures",
                 "--out", str(out)]) == 0
    assert f"basesim report '{out}'" in capsys.readouterr().out  # quoted for the shell: the folder has a space
    both = tmp_path / "both"
    assert main(["compare", str(BASELINE), str(TURKEY), "--runs", "40", "--workers", "1", "--no-figures",
                 "--out", str(both)]) == 0
    assert f"basesim report {both}" in capsys.readouterr().out


def test_a_folder_of_no_kind_is_one_clear_error(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("")
    with pytest.raises(OutputError, match="is not a complete results folder of any kind"):
        folder_kind(tmp_path)
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "sweep_long.csv" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_replicate_is_only_for_a_run(folders, capsys):
    assert main(["report", str(folders["sweep"]), "--replicate", "1"]) == 2
    assert "--replicate: only a run's page shows one negotiation" in capsys.readouterr().err


def test_public_provenance_shortens_paths():
    shown = report.public_provenance({"command": "basesim run /home/ana/work/x.yaml --out /tmp/ana/out",
                                      "python_executable": "/home/ana/.venv/bin/python", "seed": 3,
                                      "execution": {"executor": "dask", "cache": "/tmp/c"}})
    assert shown == {"command": "basesim run x.yaml --out out", "seed": 3, "execution": {"executor": "dask"}}
    assert report.public_provenance({"python_executable": "/p"}, full=True) == {"python_executable": "/p"}
