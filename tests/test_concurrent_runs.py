"""Concurrent runs and existing folders: one writer per folder, folders whole or absent, never someone else's.

Real processes race for the same ``--out``; many processes save different
results to one folder at once; a lock or a temporary folder left by a killed
process blocks nothing; a folder basesim did not write is replaced only with
``--force``.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import basesim
from basesim.cli import main
from basesim.errors import OutputError
from basesim.montecarlo.output import (
    check_output,
    claim_output,
    lock_path,
    release_claims,
    written_by_basesim,
)
from basesim.montecarlo.results import load_results, save_results

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="fcntl locks")

#: Run in the child before the CLI: with BASESIM_SAVE_GATE=PATH, the save waits for that file to appear before it
#: writes provenance.json (the folder is then half-way through being written, in its temporary sibling).
PRELUDE = """
import os, sys, time
gate = os.environ.get("BASESIM_SAVE_GATE")
if gate:
    from basesim.montecarlo import results
    real_write = results._write
    def write(path, writer, *, binary=False):
        if path.name == "provenance.json":
            print("SAVING", file=sys.stderr, flush=True)
            while not os.path.exists(gate):
                time.sleep(0.05)
        real_write(path, writer, binary=binary)
    results._write = write
from basesim.cli import main
sys.argv = ["basesim", *sys.argv[1:]]
sys.exit(main(sys.argv[1:]))
"""


@pytest.fixture
def folder(tmp_path, monkeypatch):
    from test_bad_input_corpus import PIE

    monkeypatch.chdir(tmp_path)
    (tmp_path / "pie.yaml").write_text(PIE)
    return tmp_path


def start(folder: Path, *arguments: str, gate: Path | None = None) -> subprocess.Popen:
    env = {**os.environ, "COLUMNS": "200"} | ({"BASESIM_SAVE_GATE": str(gate)} if gate else {})
    return subprocess.Popen([sys.executable, "-c", PRELUDE, *arguments], cwd=folder, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def consistent(out: Path) -> int:
    """The runs every file of a results folder agrees on (they all come from one run)."""
    saved = load_results(out)
    provenance = json.loads((out / "provenance.json").read_text())
    summary = pd.read_csv(out / "summary.csv")
    assert provenance["runs"] == saved.summary.runs == int(summary["runs"].max())
    if saved.table is not None:
        assert len(saved.table) == saved.runs
    return saved.runs


def test_a_second_run_on_a_folder_being_written_is_refused_and_the_first_is_whole(folder):
    gate = folder / "go"
    first = start(folder, "run", "pie.yaml", "--runs", "300", "--workers", "1", "--no-figures", "--out", "out",
                  gate=gate)
    assert first.stderr.readline().strip() == "SAVING"
    assert not (folder / "out").exists()  # being written in a temporary sibling, renamed into place last
    assert [p.name for p in folder.glob(".out.new-*")]
    second = subprocess.run([sys.executable, "-m", "basesim", "run", "pie.yaml", "--runs", "50", "--workers", "1",
                             "--no-figures", "--out", "out"], cwd=folder, capture_output=True, text=True,
                            timeout=120)
    assert second.returncode == 2
    assert second.stderr == (f"error: --out: 'out' is being written by another basesim command (process "
                             f"{first.pid}); wait for it to finish, or give another folder\n")
    gate.touch()
    _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert consistent(folder / "out") == 300
    assert sorted(p.name for p in folder.iterdir()) == ["go", "out", "pie.yaml"]  # no lock, no temporary folder
    # once the first is done, the same command replaces the folder whole
    assert main(["run", "pie.yaml", "--runs", "50", "--workers", "1", "--no-figures", "--quiet", "--out", "out"]) == 0
    assert consistent(folder / "out") == 50


def _save_many(args: tuple[str, int, int]) -> tuple[int, int]:
    """In a child process: save the result of seed ``seed`` to ``out`` ``times`` times; (saved, refused)."""
    scenario_file, seed, times = args
    result = basesim.run(scenario_file, runs=30 + seed, seed=seed, workers=1)
    saved = refused = 0
    for _ in range(times):
        try:
            result.save("out")
            saved += 1
        except OutputError as error:
            assert "is being written by another basesim command" in str(error)
            refused += 1
        time.sleep(0.05)  # so that the processes' saves interleave
    return saved, refused


def test_processes_saving_to_one_folder_at_once_never_mix_their_files(folder):
    context = multiprocessing.get_context("fork")
    with context.Pool(4) as pool:
        counts = pool.map(_save_many, [("pie.yaml", seed, 15) for seed in range(4)])
    assert sum(saved for saved, _ in counts) >= 1 and sum(saved + refused for saved, refused in counts) == 60
    runs = consistent(folder / "out")
    seed = runs - 30
    expected = basesim.run("pie.yaml", runs=runs, seed=seed, workers=1)
    pd.testing.assert_frame_equal(load_results(folder / "out").table, expected.table)
    assert sorted(p.name for p in folder.iterdir()) == ["out", "pie.yaml"]  # no lock, no temporary folder left
    expected.save("out")  # and the lock is free again


def test_a_lock_left_by_a_killed_process_blocks_nothing(folder):
    code = ("import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); "
            "fcntl.flock(fd, fcntl.LOCK_EX); os.write(fd, b'12345'); print('held', flush=True); time.sleep(120)")
    holder = subprocess.Popen([sys.executable, "-c", code, str(lock_path(folder / "out"))], stdout=subprocess.PIPE,
                              text=True)
    assert holder.stdout.readline().strip() == "held"
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert lock_path(folder / "out").exists()  # the file stays; its lock went with the process
    assert main(["run", "pie.yaml", "--runs", "20", "--workers", "1", "--no-figures", "--quiet", "--out", "out"]) == 0
    assert not lock_path(folder / "out").exists()
    assert consistent(folder / "out") == 20


def test_the_temporary_folder_of_a_killed_save_is_cleared_by_the_next(folder):
    leftover = folder / ".out.new-k1lled"
    leftover.mkdir()
    (leftover / "runs.parquet").write_bytes(b"half")
    assert main(["run", "pie.yaml", "--runs", "20", "--workers", "1", "--no-figures", "--quiet", "--out", "out"]) == 0
    assert sorted(p.name for p in folder.iterdir()) == ["out", "pie.yaml"]


def test_default_folders_of_runs_started_together_differ(folder):
    from basesim.cli.options import default_folder

    first = default_folder("pie")
    claim_output(first)
    try:
        second = default_folder("pie")
    finally:
        release_claims()
    assert second != first and second.name.startswith(first.name)
    assert not first.exists() and not (folder / "results").exists()  # claiming creates nothing that stays


# --- whose folder -----------------------------------------------------------------------------------------------


def test_which_folders_basesim_wrote(folder):
    assert main(["run", "pie.yaml", "--runs", "20", "--workers", "1", "--quiet", "--out", "run"]) == 0
    assert written_by_basesim(folder / "run")
    assert written_by_basesim(folder / "run" / "figures")
    (folder / "empty").mkdir()
    assert written_by_basesim(folder / "empty")
    (folder / "comparison").mkdir()
    (folder / "run").rename(folder / "comparison" / "pie")
    (folder / "comparison" / "comparison.csv").write_text("kind,name\n")
    assert written_by_basesim(folder / "comparison")
    (folder / "sweep" / "cache" / "points").mkdir(parents=True)  # a sweep interrupted before its first table
    assert written_by_basesim(folder / "sweep")
    (folder / "mine").mkdir()
    (folder / "mine" / "summary.csv").write_text("my numbers\n")
    assert not written_by_basesim(folder / "mine")
    (folder / "hidden").mkdir()
    (folder / "hidden" / ".notes").write_text("x")
    assert not written_by_basesim(folder / "hidden")
    (folder / "project").mkdir()
    (folder / "comparison").rename(folder / "project" / "results")
    (folder / "project" / "notes.txt").write_text("mine")
    assert not written_by_basesim(folder / "project")  # a folder that holds results is not itself basesim's


def test_force_replaces_a_folder_basesim_did_not_write_whole(folder, capsys):
    (folder / "mine").mkdir()
    (folder / "mine" / "summary.csv").write_text("my numbers\n")
    (folder / "mine" / "notes.txt").write_text("mine too\n")
    assert main(["run", "pie.yaml", "--runs", "20", "--workers", "1", "--no-figures", "--quiet", "--out", "mine"]) == 2
    assert (folder / "mine" / "summary.csv").read_text() == "my numbers\n"
    capsys.readouterr()
    assert main(["run", "pie.yaml", "--runs", "20", "--workers", "1", "--no-figures", "--quiet", "--out", "mine",
                 "--force"]) == 0
    assert not (folder / "mine" / "notes.txt").exists()
    assert consistent(folder / "mine") == 20


def test_force_never_replaces_the_current_folder_or_home(folder):
    for target in (folder, folder.parent, Path.home()):
        with pytest.raises(OutputError, match="is the current folder, one that holds it, or the home folder"):
            check_output(target, force=True)


def test_the_api_refuses_a_folder_it_did_not_write_unless_force(folder):
    result = basesim.run("pie.yaml", runs=20, seed=1, workers=1)
    (folder / "mine").mkdir()
    (folder / "mine" / "data.csv").write_text("1,2\n")
    with pytest.raises(OutputError, match=r"folder: 'mine' already holds files that basesim did not write \(data.csv\);"
                                          r" give a new folder, or force=True to replace it"):
        result.save("mine")
    assert save_results(result, "mine", force=True) == Path("mine")
    assert sorted(p.name for p in (folder / "mine").iterdir()) == sorted(
        ["provenance.json", "runs.parquet", "scenario.resolved.yaml", "summary.csv", "summary.json"])


def test_sweep_resumes_in_its_own_folder(folder, capsys):
    arguments = ["sweep", "pie.yaml", "--param", "actors.a.power=1,2", "--runs", "20", "--out", "sweep",
                 "--no-progress", "--quiet"]
    assert main(arguments) == 0
    assert main(arguments) == 0  # the folder is basesim's: resumed, not refused
    assert "--force" not in capsys.readouterr().err
