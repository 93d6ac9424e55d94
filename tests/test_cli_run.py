"""`basesim run` and `basesim trace`: output, results folder, replay, and every error path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import basesim
from basesim.montecarlo import results
from basesim import cli
from basesim.cli import main
from basesim.errors import ScenarioError
from basesim.scenario.loader import load_scenario
from basesim.cli import common as commands_common
from basesim.cli import run as run_command
from runner_scenarios import TALKS, write

FILES = {"runs.parquet", "summary.json", "summary.csv", "scenario.resolved.yaml", "provenance.json"}


@pytest.fixture
def scenario_file(tmp_path, monkeypatch):
    """A small scenario file in an otherwise empty working folder; a wide console."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli.console, "width", 160)
    return write(tmp_path, TALKS)


def _entries(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def _results_files(folder: Path) -> set[str]:
    """The files of a results folder (figures, drawn by the plots layer, aside)."""
    return {p.name for p in folder.iterdir()} - {"figures"}


def test_run_prints_the_summary_and_writes_the_results_folder(scenario_file, tmp_path, capsys):
    code = main(["run", str(scenario_file), "--runs", "300", "--seed", "5", "--out", "out", "--workers", "1"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    out = tmp_path / "out"
    assert _results_files(out) == FILES
    assert "Small talks: 300 runs, protocol alternating_offers, seed 5" in captured.out
    for text in ("agreement", "breakdown", "talking", "North keeps the base", "Deal by June", "Quantiles",
                 "Money paid ($bn)", "Results written to out/"):
        assert text in captured.out
    saved = basesim.load_results(out)
    direct = basesim.run(scenario_file, runs=300, seed=5, workers=1)
    assert_frame_equal(saved.table, direct.table)
    assert saved.summary.counts == direct.summary.counts
    assert saved.scenario == direct.scenario
    p = saved.provenance
    assert p["command"] == f"basesim run {scenario_file} --runs 300 --seed 5 --out out --workers 1"
    assert p["seed"] == 5 and p["runs"] == 300 and p["scenario_hash"] == basesim.scenario_hash(direct.scenario)
    csv = pd.read_csv(out / "summary.csv")
    assert list(csv.columns) == list(direct.summary.table.columns)
    assert csv["count"].tolist() == direct.summary.table["count"].tolist()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["runs"] == 300 and summary["counts"]["result"] == direct.summary.counts.result.tolist()
    # the printed agreement probability is the summary's
    agreement = direct.summary.probability("result", "result", "agreement")
    assert f"{100 * agreement:.1f}%" in captured.out


def test_summary_only_writes_no_table(scenario_file, tmp_path, capsys):
    assert main(["run", str(scenario_file), "--runs", "200", "--out", "out", "--summary-only", "--workers", "1"]) == 0
    out = tmp_path / "out"
    assert _results_files(out) == FILES - {"runs.parquet"}
    saved = basesim.load_results(out)
    assert saved.table is None and saved.runs == 200
    assert saved.summary.counts == basesim.run(scenario_file, runs=200, workers=1).summary.counts


def test_default_folder_is_results_scenario_timestamp(scenario_file, tmp_path, capsys):
    assert main(["run", str(scenario_file), "--runs", "50", "--workers", "1", "--no-progress"]) == 0
    (folder,) = (tmp_path / "results").iterdir()
    assert folder.name.startswith("talks-") and len(folder.name) == len("talks-20250128-120000")
    assert _results_files(folder) == FILES


def test_set_and_protocol_are_applied(scenario_file, tmp_path, capsys):
    code = main(["run", str(scenario_file), "--runs", "100", "--out", "out", "--workers", "1",
                 "--set", "protocol.breakdown_risk=0", "--set", "actors.north.concession=2", "--protocol", "nash"])
    assert code == 0
    saved = basesim.load_results(tmp_path / "out")
    assert saved.scenario.protocol.breakdown_risk == 0 and saved.scenario.actors["north"].concession == 2
    assert saved.provenance["protocol"] == "nash"
    assert "--set protocol.breakdown_risk=0 --set actors.north.concession=2 --protocol nash" in \
        saved.provenance["command"]


def test_precision_says_how_many_runs_it_took(scenario_file, tmp_path, capsys):
    assert main(["run", str(scenario_file), "--precision", "0.05", "--out", "out", "--workers", "1"]) == 0
    saved = basesim.load_results(tmp_path / "out")
    record = saved.provenance["precision"]
    assert record["reached"] and saved.runs == record["runs"]
    assert f"Every probability is within ±0.05 (95%) after {saved.runs:,} runs." in capsys.readouterr().out


def test_precision_cap_is_reported(scenario_file, tmp_path, capsys):
    assert main(["run", str(scenario_file), "--precision", "0.001", "--max-runs", "300", "--out", "out",
                 "--workers", "1"]) == 0
    assert "Stopped at the cap of 300 runs" in capsys.readouterr().out


# --- trace ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [0, 123, 299])
def test_trace_matches_row_k_of_the_run(scenario_file, tmp_path, capsys, k):
    assert main(["run", str(scenario_file), "--runs", "300", "--seed", "8", "--out", "out", "--workers", "1"]) == 0
    row = basesim.load_results(tmp_path / "out").table.iloc[k]
    capsys.readouterr()
    assert main(["trace", str(scenario_file), "--replicate", str(k), "--seed", "8"]) == 0
    from_file = capsys.readouterr().out
    assert f"replicate {k} (batch 0, row {k}), seed 8" in from_file
    if row["result"] == "talking":
        ended = "Still talking at the end of the forecast (round 7, 2025-09-01)."
    else:
        ended = f"Ended in {row['result']} at round {row['round']} ({row['date'].date()})."
    assert ended in from_file
    # the results folder knows its seed and protocol
    assert main(["trace", "out", "--replicate", str(k)]) == 0
    assert ended in capsys.readouterr().out


def test_trace_uses_the_scenarios_seed(scenario_file, capsys):
    assert main(["trace", str(scenario_file), "--replicate", "4"]) == 0
    assert "seed 11" in capsys.readouterr().out


# --- interruption and atomic writes ----------------------------------------------------------------


def test_ctrl_c_during_the_run_writes_nothing_and_says_so(scenario_file, tmp_path, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(run_command, "run_scenario", interrupted)
    before = _entries(tmp_path)
    assert main(["run", str(scenario_file), "--runs", "100", "--out", "out"]) == 130
    assert "interrupted; nothing half-written was left on disk" in capsys.readouterr().err
    assert _entries(tmp_path) == before


def test_ctrl_c_while_writing_leaves_no_folder(scenario_file, tmp_path, capsys, monkeypatch):
    real_write = results._write
    written = []

    def write_then_interrupt(path, writer, *, binary=False):
        if len(written) == 2:
            with results.atomic_write(path, binary=binary) as f:
                f.write(b"half" if binary else "half")
                raise KeyboardInterrupt
        real_write(path, writer, binary=binary)
        written.append(path.name)

    monkeypatch.setattr(results, "_write", write_then_interrupt)
    before = _entries(tmp_path)
    assert main(["run", str(scenario_file), "--runs", "100", "--out", "out", "--workers", "1"]) == 130
    assert "interrupted; nothing half-written was left on disk" in capsys.readouterr().err
    # the folder is written whole or not at all: two files were done, yet no folder (and no temporary one) is left
    assert written == ["runs.parquet", "summary.json"]
    assert _entries(tmp_path) == before


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path):
    target = tmp_path / "summary.json"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with results.atomic_write(target) as f:
            f.write("new, but")
            raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]


# --- bad input: one message, exit code 2, nothing written --------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--set", "actors.nobody.power=2"],
         "--set: actors.nobody.power: unknown actor 'nobody'; expected one of south, north, east"),
        (["--set", "protocol.breakdown_risk=2"], "--set: protocol.breakdown_risk: must be in [0, 1), got 2"),
        (["--set", "nonsense"],
         "--set: bad override 'nonsense'; expected PATH=VALUE, e.g. actors.turkey.leverage.syria=0.4"),
        (["--protocol", "alternate"],
         "--protocol: 'alternate' is not a protocol; expected one of alternating_offers, equilibrium, nash, expected_utility"),
        (["--runs", "0"], "--runs: must be a positive whole number, got 0"),
        (["--runs", "-3"], "--runs: must be a positive whole number, got -3"),
        (["--workers", "0"], "--workers: must be a positive whole number, got 0"),
        (["--seed", "-1"], "--seed: must be a whole number >= 0, got -1"),
        (["--precision", "0.9"], "--precision: must be a half-width between 0 and 0.5 (e.g. 0.01), got 0.9"),
        (["--runs", "10", "--precision", "0.01"],
         "--runs: give --runs or --precision, not both (--max-runs caps a --precision run)"),
        (["--max-runs", "10"], "--max-runs: only applies with --precision; give --runs for a fixed number of runs"),
        (["--out", "talks.yaml"], "--out: cannot write results to 'talks.yaml': it is a file, not a folder"),
        (["--out", "talks.yaml/deeper"],
         "--out: cannot create the folder 'talks.yaml/deeper': 'talks.yaml' is a file, not a folder"),
        (["--scheduler", "nowhere"],
         "--scheduler: cannot connect to a dask scheduler at 'nowhere': missing port number in address 'nowhere'; "
         "expected 'local' or an address like tcp://HOST:8786 of a running dask scheduler"),
    ],
)
def test_bad_input_gives_one_message_and_exit_code_2(scenario_file, tmp_path, capsys, arguments, message):
    before = _entries(tmp_path)
    code = main(["run", "talks.yaml", *arguments])  # every check comes before any world is played
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err == f"error: {message}\n"
    assert captured.out == ""
    assert _entries(tmp_path) == before


def test_unreachable_scheduler_is_a_clear_error(scenario_file, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(commands_common, "SCHEDULER_TIMEOUT", "0.5s")
    before = _entries(tmp_path)
    assert main(["run", "talks.yaml", "--runs", "5", "--scheduler", "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --scheduler: cannot connect to a dask scheduler at 'tcp://127.0.0.1:9': ")
    assert _entries(tmp_path) == before


def test_missing_scenario_file(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["run", "missing.yaml", "--runs", "5"]) == 2
    assert capsys.readouterr().err == "error: missing.yaml: no such file\n"
    assert list(tmp_path.iterdir()) == []


def test_read_only_folder_is_refused_before_running(scenario_file, tmp_path, capsys):
    import tempfile

    try:  # /sys is read-only even for root in most containers and hosts
        with tempfile.TemporaryFile(dir="/sys"):
            pytest.skip("/sys is writable here")
    except OSError:
        pass
    assert main(["run", "talks.yaml", "--runs", "5", "--out", "/sys/basesim-results"]) == 2
    assert capsys.readouterr().err.startswith("error: --out: cannot write results to '/sys/basesim-results': ")
    assert not os.path.exists("/sys/basesim-results")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--replicate", "-1"], "--replicate: must be a whole number >= 0, got -1"),
        (["--replicate", "3", "--protocol", "haggle"],
         "--protocol: 'haggle' is not a protocol; expected one of alternating_offers, equilibrium, nash, expected_utility"),
    ],
)
def test_trace_bad_input(scenario_file, capsys, arguments, message):
    assert main(["trace", "talks.yaml", *arguments]) == 2
    assert capsys.readouterr().err == f"error: {message}\n"


@pytest.mark.parametrize("command", ["run", "trace"])
@pytest.mark.parametrize("override", ["actors.north.power=-1", "actors.nobody.power=2", "protocol.rounds=abc"])
def test_bad_set_gives_the_loaders_message(scenario_file, tmp_path, capsys, command, override):
    """The message is the loader's own (tested with the loader), printed once, exit code 2."""
    with pytest.raises(ScenarioError) as expected:
        load_scenario("talks.yaml", [override])
    assert str(expected.value).startswith(f"--set: {override.split('=')[0]}: ")
    before = _entries(tmp_path)
    extra = ["--replicate", "3"] if command == "trace" else []
    assert main([command, "talks.yaml", "--set", override, *extra]) == 2
    assert capsys.readouterr().err == f"error: {expected.value}\n"
    assert _entries(tmp_path) == before


def test_trace_without_a_seed(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, TALKS.replace("monte_carlo: {runs: 1000, seed: 11}", ""), "unseeded.yaml")
    assert main(["trace", "unseeded.yaml", "--replicate", "3"]) == 2
    assert capsys.readouterr().err.startswith("error: --seed: the scenario has no monte_carlo.seed; give the run's seed")


def test_trace_beyond_the_saved_runs(scenario_file, tmp_path, capsys):
    assert main(["run", "talks.yaml", "--runs", "20", "--out", "out", "--workers", "1", "--summary-only"]) == 0
    capsys.readouterr()
    assert main(["trace", "out", "--replicate", "20"]) == 2
    assert capsys.readouterr().err == "error: --replicate: the run has 20 replicates (0 to 19), got 20\n"


# --- real processes ------------------------------------------------------------------------------------


def test_run_as_a_real_subprocess_with_a_process_pool(scenario_file, tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "basesim", "run", "talks.yaml", "--runs", "400", "--workers", "2", "--out", "out",
         "--seed", "3"],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    assert "Small talks: 400 runs" in completed.stdout
    saved = basesim.load_results(tmp_path / "out")
    assert_frame_equal(saved.table, basesim.run(scenario_file, runs=400, seed=3, workers=1).table)
    assert saved.provenance["execution"]["executor"] == "concurrent.futures.ProcessPoolExecutor"
    assert saved.provenance["argv"][1:] == ["run", "talks.yaml", "--runs", "400", "--workers", "2", "--out", "out",
                                            "--seed", "3"]
    failed = subprocess.run([sys.executable, "-m", "basesim", "run", "talks.yaml", "--runs", "0"],
                            capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert failed.returncode == 2
    assert failed.stderr == "error: --runs: must be a positive whole number, got 0\n"


def test_scheduler_local_starts_a_dask_cluster(scenario_file, tmp_path, capsys):
    pytest.importorskip("distributed")
    code = main(["run", "talks.yaml", "--runs", "200", "--seed", "3", "--scheduler", "local", "--workers", "1",
                 "--out", "out", "--no-progress"])
    assert code == 0, capsys.readouterr().err
    saved = basesim.load_results(tmp_path / "out")
    assert saved.provenance["execution"]["executor"] == "distributed.cfexecutor.ClientExecutor"
    assert_frame_equal(saved.table, basesim.run(scenario_file, runs=200, seed=3, workers=1).table)
