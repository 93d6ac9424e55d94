"""The command line's conventions (issue 16, item 4): what every command has in common.

--version; shell completion; --json (one JSON document on stdout, messages on
stderr) and --quiet; tables that never break a word at 80 columns or when
piped; every option checked before any work; the same option names and
default-folder rule for run, compare, sweep and sensitivity; one example per
--help; runs exported as CSV and Excel.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console
from rich.table import Table

import basesim
from basesim import cli
from basesim.cli import main
from basesim.cli.app import app, fit_table
from runner_scenarios import TALKS, write

ROOT = Path(__file__).resolve().parents[1]
BASELINE = str(ROOT / "scenarios" / "baseline.yaml")
#: Options every model-running command takes, with the same meaning.
SHARED = {"--runs", "--seed", "--set", "--protocol", "--workers", "--scheduler", "--out", "--format",
          "--progress", "--json", "--quiet"}
RUNNING = ("run", "compare", "sweep", "sensitivity")
STAMP = r"\d{8}-\d{6}"


@pytest.fixture
def talks(tmp_path, monkeypatch):
    """The small scenario file in an otherwise empty working folder."""
    monkeypatch.chdir(tmp_path)
    return write(tmp_path, TALKS)


def _commands():
    import typer.main

    return typer.main.get_command(app).commands


def _run(talks, *extra):
    return ["run", str(talks), "--runs", "60", "--seed", "3", "--workers", "1", "--no-figures", *extra]


# --- version, completion, help ----------------------------------------------------------------------


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"basesim {basesim.__version__}\n"


def test_completion_script_and_completions():
    shown = subprocess.run([sys.executable, "-m", "basesim", "--show-completion", "bash"],
                           capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    assert "_BASESIM_COMPLETE" in shown.stdout and "complete" in shown.stdout
    env = {**os.environ, "_BASESIM_COMPLETE": "complete_bash", "COMP_WORDS": "basesim va", "COMP_CWORD": "1"}
    completed = subprocess.run([sys.executable, "-m", "basesim"], capture_output=True, text=True, env=env,
                               timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == ["validate"]


def test_the_command_line_starts_without_the_heavy_libraries():
    """``basesim --help`` and ``basesim validate`` start fast (issue 14): scipy, pandas, matplotlib, dask and
    Mesa are imported by the commands that need them, never when the command line loads."""
    code = ("import sys; from basesim.cli import main; main(['validate', sys.argv[1], '--quiet']); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'scipy', 'pandas', 'matplotlib', 'dask', "
            "'distributed', 'mesa', 'xarray', 'pyarrow', 'openpyxl'}))")
    done = subprocess.run([sys.executable, "-c", code, BASELINE], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_root_help_lists_completion_and_version(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for option in ("--version", "--install-completion", "--show-completion"):
        assert option in out


@pytest.mark.parametrize("name", sorted({"validate", "show", "schema", "run", "trace", "plot", "report", "compare",
                                         "sweep", "sensitivity"}))
def test_every_command_has_one_example_in_its_help(name, capsys):
    assert name in _commands()
    assert main([name, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.count("Example:") == 1
    example = out.split("Example:")[1].split("\n")[1].strip()
    assert example.startswith(f"basesim {name} ")


def test_every_registered_command_has_an_example():
    for name, command in _commands().items():
        assert command.epilog and "Example:" in command.epilog, name


@pytest.mark.parametrize("name", RUNNING)
def test_the_model_running_commands_share_their_options(name):
    options = {opt for param in _commands()[name].params for opt in param.opts}
    assert SHARED <= options, SHARED - options


# --- --json and --quiet -----------------------------------------------------------------------------


def test_run_json_is_one_document_on_stdout_and_messages_go_to_stderr(talks, tmp_path, capsys):
    assert main(_run(talks, "--out", "out", "--json")) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert (data["scenario"], data["runs"], data["seed"], data["folder"]) == ("talks", 60, 3, "out")
    saved = basesim.load_results(tmp_path / "out")
    expected = json.loads(saved.summary.table.to_json(orient="records"))
    assert [row["name"] for row in data["summary"]] == [row["name"] for row in expected]
    assert [row["estimate"] for row in data["summary"]] == pytest.approx([row["estimate"] for row in expected],
                                                                         nan_ok=True)
    assert "out/runs.parquet" in data["files"]
    assert "Results written to out/" in captured.err


def test_validate_json_reports_each_file(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(TALKS.replace("concession: 0.6", "concession: -1"), encoding="utf-8")
    good = write(tmp_path, TALKS)
    assert main(["validate", str(good), str(bad), "--json"]) == 2
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["invalid"] == 1
    first, second = data["files"]
    assert first["valid"] and first["principals"] == 2 and first["influencers"] == 1
    assert not second["valid"] and second["problems"][0]["path"] == "actors.north.concession"
    assert second["problems"][0]["file"] == str(bad) and isinstance(second["problems"][0]["line"], int)
    assert "error:" in captured.err  # errors still on stderr


def test_show_json_is_the_resolved_scenario(talks, capsys):
    assert main(["show", str(talks), "--set", "protocol.name=nash", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["scenario"]["protocol"]["name"] == "nash"
    assert data["hash"] == basesim.scenario_hash(basesim.load_scenario(talks, ["protocol.name=nash"]))
    assert basesim.scenario_from_data(data["scenario"]) == basesim.load_scenario(talks, ["protocol.name=nash"])


def test_trace_json_has_every_round(talks, capsys):
    assert main(["trace", str(talks), "--replicate", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["replicate"] == 2 and data["seed"] == 11
    assert data["rounds"] and {"round", "status"} <= set(data["rounds"][0])


def test_sweep_and_sensitivity_json(talks, capsys):
    assert main(["sweep", str(talks), "--param", "actors.north.concession=0.4,0.8", "--runs", "40", "--seed", "1",
                 "--workers", "1", "--out", "sw", "--json", "--statistic", "result.agreement"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["statistic"] == "result.agreement" and len(data["table"]) == 2
    assert [row["actors.north.concession"] for row in data["table"]] == [0.4, 0.8]
    assert main(["sensitivity", str(talks), "--method", "ranking", "--runs", "200", "--seed", "1", "--workers", "1",
                 "--out", "se", "--json", "--output", "result.agreement"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["method"] == "ranking" and data["outputs"] == ["result.agreement"]
    assert {row["output"] for row in data["table"]} == {"result.agreement"}


def test_compare_json(talks, tmp_path, capsys):
    other = write(tmp_path, TALKS.replace("name: talks", "name: harder").replace("concession: 0.6",
                                                                                 "concession: 0.3"), "harder.yaml")
    assert main(["compare", str(talks), str(other), "--runs", "40", "--seed", "1", "--workers", "1",
                 "--no-figures", "--out", "cmp", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data["scenarios"]) == {"talks", "harder"}
    assert {row["variant"] for row in data["comparison"]} == {"talks", "harder"}


def test_plot_and_report_json(talks, tmp_path, capsys):
    assert main(_run(talks, "--out", "out", "--quiet")) == 0
    assert main(["plot", "out", "--kind", "levels", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [Path(p).name for p in data["figures"]] == ["levels.png"]
    assert main(["report", "out", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["report"] == "out/report.html"


def test_quiet_prints_nothing_but_still_writes(talks, tmp_path, capsys):
    assert main(_run(talks, "--out", "out", "--quiet")) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert (tmp_path / "out" / "summary.json").exists()
    assert main(["validate", str(talks), "--quiet"]) == 0
    assert capsys.readouterr() == ("", "")


def test_quiet_keeps_errors(talks, capsys):
    assert main(["run", str(talks), "--runs", "0", "--quiet"]) == 2
    assert capsys.readouterr().err.startswith("error: --runs:")


def test_json_in_a_real_pipe(talks, tmp_path):
    """As a script sees it: stdout is JSON only, whatever else is said goes to stderr."""
    done = subprocess.run([sys.executable, "-m", "basesim", *_run(talks, "--out", "piped", "--json")],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["folder"] == "piped"
    assert "Results written to piped/" in done.stderr


# --- tables never break a word ----------------------------------------------------------------------


def _words_intact(text: str, cells: list[str]) -> list[str]:
    """The words of ``cells`` that do not appear whole in ``text`` (split by spaces and box characters)."""
    tokens = set(re.split(r"[\s│┃┏┓┗┛┡┩━─┳┻╇╋┼├┤└┘┌┐┬┴]+", text))
    return [word for cell in cells for word in cell.split() if word not in tokens]


def test_fit_table_keeps_every_word_whole_at_80_columns():
    table = Table(pad_edge=False)
    table.add_column("")
    names = ["baseline", "turkey_presses", "sanctions_relief", "africa_hub"]
    for name in names:
        table.add_column(f"{name}\n200 runs", justify="right")
    cells = ["Compensation of 5 $bn or more", "56.0% (49.1-62.7)"]
    table.add_row(cells[0], *[cells[1]] * 4)
    console = Console(width=80, record=True, file=open(os.devnull, "w"))
    assert fit_table(table, 80) <= 80
    console.print(table)
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert _words_intact(text, [*names, *cells]) == []


def test_a_table_too_wide_for_its_words_is_printed_wider_not_folded():
    table = Table()
    for i in range(6):
        table.add_column(f"column_with_a_long_name_{i}")
    assert fit_table(table, 80) > 80  # caller prints at that width instead of folding the names


def test_piped_output_breaks_no_word(tmp_path):
    """Piped (no terminal, no COLUMNS): rich lays out for 80 columns; every word of the tables stays whole."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    runs = subprocess.run([sys.executable, "-m", "basesim", "run", BASELINE, "--runs", "200", "--workers", "1",
                           "--no-figures", "--out", str(tmp_path / "r")], capture_output=True, text=True, env=env,
                          timeout=300)
    assert runs.returncode == 0, runs.stderr
    scenario = basesim.load_scenario(BASELINE)
    labels = [o.label for o in scenario.outcomes.values()] + [scenario.display(i) for i in scenario.issue_names]
    labels += [label for issue in scenario.issues.values() for label in issue.labels]
    labels += ["95% interval", "estimate", "Round of agreement (0 = first)"]
    assert _words_intact(runs.stdout, labels) == []
    assert max(len(line) for line in runs.stdout.splitlines() if "│" in line or "┃" in line) <= 80
    trace = subprocess.run([sys.executable, "-m", "basesim", "trace", BASELINE, "--replicate", "3"],
                           capture_output=True, text=True, env=env, timeout=300)
    assert trace.returncode == 0, trace.stderr
    assert max(len(line) for line in trace.stdout.splitlines()[1:-1]) <= 80
    rounds = json.loads(subprocess.run([sys.executable, "-m", "basesim", "trace", BASELINE, "--replicate", "3",
                                        "--json"], capture_output=True, text=True, timeout=300).stdout)["rounds"]
    offered = {str(row[issue]) for row in rounds for issue in scenario.issue_names if row.get(issue)}
    assert offered and _words_intact(trace.stdout, sorted(offered)) == []


def test_a_narrow_console_turns_the_trace_into_blocks(talks, capsys, monkeypatch):
    monkeypatch.setattr(cli.console, "width", 40)
    assert main(["trace", str(talks), "--replicate", "1"]) == 0
    out = capsys.readouterr().out
    assert "round 0" in out and "what happened" in out
    blocks = out.splitlines()[1:-1]  # between the title line and the closing message
    assert max(len(line.rstrip()) for line in blocks) <= 40


# --- options checked before any work ----------------------------------------------------------------


def test_a_bad_statistic_fails_before_the_sweep_runs(talks, tmp_path, capsys):
    code = main(["sweep", str(talks), "--param", "actors.north.concession=0.4,0.8", "--runs", "40",
                 "--statistic", "outcome.nope", "--out", "sw"])
    assert code == 2
    assert "--statistic: 'outcome.nope' is not a statistic of this sweep" in capsys.readouterr().err
    assert not (tmp_path / "sw").exists()  # no cache, no folder: nothing ran


def test_a_near_miss_statistic_gets_a_suggestion(talks, capsys):
    assert main(["sweep", str(talks), "--param", "actors.north.concession=0.4", "--statistic",
                 "result.agrement"]) == 2
    assert "(did you mean 'result.agreement'?)" in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "message"), [
    (["--format", "ods"], "--format: 'ods' is not a table format; expected csv or xlsx"),
    (["--format", "xlsx", "--runs", "2000000"], "--format: an Excel sheet holds at most 1,048,575 rows"),
    (["--format", "csv", "--summary-only"], "--format: a --summary-only run keeps no runs table to export"),
])
def test_run_export_options_fail_before_any_work(talks, tmp_path, capsys, argv, message):
    assert main(["run", str(talks), "--out", "out", *argv]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_sensitivity_and_compare_options_fail_before_any_work(talks, tmp_path, capsys):
    assert main(["sensitivity", str(talks), "--workers", "2", "--out", "se"]) == 2
    assert "--workers: the Sobol' design is played in this process" in capsys.readouterr().err
    assert main(["compare", str(talks), str(talks), "--figure-format", "gif", "--out", "cmp"]) == 2
    assert "--figure-format: 'gif' is not a figure format" in capsys.readouterr().err
    assert main(["compare", str(talks), str(talks), "--set", "actors.nobody.power=1", "--out", "cmp"]) == 2
    assert "unknown actor 'nobody'" in capsys.readouterr().err
    assert not (tmp_path / "se").exists() and not (tmp_path / "cmp").exists()


# --- default folders --------------------------------------------------------------------------------


def test_default_folders_are_timestamped_alike(talks, tmp_path):
    assert main(_run(talks, "--quiet")) == 0
    assert main(["sweep", str(talks), "--param", "actors.north.concession=0.5", "--runs", "20", "--workers", "1",
                 "--quiet"]) == 0
    assert main(["sensitivity", str(talks), "--method", "ranking", "--runs", "100", "--workers", "1",
                 "--output", "result.agreement", "--quiet"]) == 0
    assert main(["compare", str(talks), str(talks), "--runs", "20", "--workers", "1", "--no-figures",
                 "--quiet"]) == 0
    names = sorted(p.name for p in (tmp_path / "results").iterdir())
    patterns = [rf"compare-{STAMP}", rf"talks-{STAMP}", rf"talks-sensitivity-{STAMP}", rf"talks-sweep-{STAMP}"]
    assert len(names) == 4
    for pattern in patterns:
        assert sum(bool(re.fullmatch(pattern, n)) for n in names) == 1, (pattern, names)


def test_a_sweep_resumes_with_out(talks, tmp_path, capsys):
    argv = ["sweep", str(talks), "--param", "actors.north.concession=0.4,0.8", "--runs", "30", "--workers", "1",
            "--out", "sw", "--json"]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["provenance"]["computed"] == 2
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["provenance"]["from_cache"] == 2


# --- exports ----------------------------------------------------------------------------------------


def test_runs_exported_as_csv_and_excel(talks, tmp_path, capsys):
    assert main(_run(talks, "--out", "out", "--format", "csv,xlsx")) == 0
    assert "Tables exported: out/runs.csv, out/runs.xlsx" in capsys.readouterr().out
    saved = basesim.load_results(tmp_path / "out")
    csv = pd.read_csv(tmp_path / "out" / "runs.csv")
    assert list(csv.columns) == list(saved.table.columns)
    assert len(csv) == 60
    pd.testing.assert_series_equal(csv["replicate"], saved.table["replicate"], check_dtype=False)
    sheets = pd.read_excel(tmp_path / "out" / "runs.xlsx", sheet_name=None, engine="openpyxl")
    assert list(sheets) == ["runs", "summary"]
    assert list(sheets["runs"].columns) == list(saved.table.columns)
    assert len(sheets["runs"]) == 60
    assert list(sheets["runs"]["result"]) == list(saved.table["result"].astype(str))
    assert list(sheets["summary"].columns) == list(saved.summary.table.columns)


def test_sweep_exported_as_excel(talks, tmp_path, capsys):
    assert main(["sweep", str(talks), "--param", "actors.north.concession=0.4,0.8", "--runs", "20",
                 "--workers", "1", "--out", "sw", "--format", "xlsx", "--quiet"]) == 0
    sheets = pd.read_excel(tmp_path / "sw" / "sweep.xlsx", sheet_name=None, engine="openpyxl")
    assert list(sheets) == ["sweep", "long"]
    assert len(sheets["sweep"]) == 2
