"""Signals to a real ``basesim run``: Ctrl-C (SIGINT) and SIGTERM during the runs and during the save, and
SIGKILL of the parent. Workers always end with their parent, and a results folder is complete or absent."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from basesim.cli import main
from basesim.montecarlo.output import deferred_signals

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

#: Long enough (two workers) to be interrupted while it runs.
LONG = ["--runs", "30000000", "--summary-only", "--workers", "2", "--no-figures", "--no-progress"]

#: Python run in the child before the CLI: with BASESIM_SLOW_SAVE=NAME, writing that file of the results folder
#: says so on stderr and then waits, so that a signal arrives while the folder is being written.
PRELUDE = """
import os, sys, time
slow = os.environ.get("BASESIM_SLOW_SAVE")
if slow:
    from basesim.montecarlo import results
    real_write = results._write
    def write(path, writer, *, binary=False):
        if path.name == slow:
            print("SAVING " + path.name, file=sys.stderr, flush=True)
            time.sleep(60)
        real_write(path, writer, binary=binary)
    results._write = write
from basesim.cli import main
sys.argv = ["basesim", *sys.argv[1:]]
sys.exit(main(sys.argv[1:]))
"""


@pytest.fixture
def folder(tmp_path):
    from test_bad_input_corpus import PIE

    (tmp_path / "pie.yaml").write_text(PIE)
    return tmp_path


def start(folder: Path, *arguments: str, slow_save: str | None = None) -> subprocess.Popen:
    env = {**os.environ, "COLUMNS": "200"}
    if slow_save:
        env["BASESIM_SLOW_SAVE"] = slow_save
    return subprocess.Popen([sys.executable, "-c", PRELUDE, "run", "pie.yaml", *arguments], cwd=folder, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def workers_of(process: subprocess.Popen, count: int = 2, timeout: float = 60) -> list[int]:
    """The pids of the run's worker processes, once they are all there."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        children = psutil.Process(process.pid).children(recursive=True)
        if len(children) >= count:
            return [c.pid for c in children]
        time.sleep(0.1)
    pytest.fail("the run never started its workers")


def alive(pids: list[int]) -> list[int]:
    living = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                living.append(pid)
        except psutil.NoSuchProcess:
            pass
    return living


def wait_until_gone(pids: list[int], timeout: float = 20) -> list[int]:
    deadline = time.monotonic() + timeout
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive(pids)


def wait_for_line(process: subprocess.Popen, text: str, timeout: float = 120) -> None:
    """Read stderr until a line holds ``text`` (the child flushes it before it waits)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if text in line:
            return
        if not line and process.poll() is not None:
            pytest.fail(f"the run ended before {text!r}: {process.communicate()}")
    pytest.fail(f"no {text!r} within {timeout} s")


def finish(process: subprocess.Popen, timeout: float = 60) -> tuple[int, str]:
    _, err = process.communicate(timeout=timeout)
    return process.returncode, err


def entries(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


@pytest.mark.parametrize(("number", "code", "says"), [
    (signal.SIGINT, 130, "interrupted; nothing half-written was left on disk"),
    (signal.SIGTERM, 143, "terminated (SIGTERM); nothing half-written was left on disk"),
])
def test_a_signal_during_the_runs_stops_the_workers_and_writes_nothing(folder, number, code, says):
    run = start(folder, *LONG, "--out", "out")
    workers = workers_of(run)
    time.sleep(1.0)  # the batches are under way
    run.send_signal(number)  # to the main process only, as `kill` does (Ctrl-C in a terminal reaches all)
    returned, err = finish(run)
    assert returned == code, err
    assert says in err and "Traceback" not in err
    assert wait_until_gone(workers) == []
    assert entries(folder) == {"pie.yaml"}  # no folder, no temporary sibling, no lock file


@pytest.mark.parametrize(("number", "code", "slow"), [
    (signal.SIGINT, 130, "runs.parquet"),  # the first file
    (signal.SIGINT, 130, "scenario.resolved.yaml"),  # the scenario's write-out
    (signal.SIGTERM, 143, "provenance.json"),  # the last file
])
def test_a_signal_while_the_folder_is_written_leaves_no_folder(folder, number, code, slow):
    run = start(folder, "--runs", "300", "--workers", "1", "--no-figures", "--out", "out", slow_save=slow)
    wait_for_line(run, f"SAVING {slow}")
    run.send_signal(number)
    returned, err = finish(run)
    assert returned == code, err
    assert "nothing half-written was left on disk" in err and "Traceback" not in err
    assert entries(folder) == {"pie.yaml"}


def test_a_signal_while_an_old_folder_is_replaced_keeps_the_old_one(folder):
    assert main(["run", str(folder / "pie.yaml"), "--runs", "40", "--workers", "1", "--no-figures", "--quiet",
                 "--out", str(folder / "out")]) == 0
    old = {name: (folder / "out" / name).read_bytes() for name in entries(folder / "out")}
    run = start(folder, "--runs", "300", "--workers", "1", "--no-figures", "--out", "out",
                slow_save="scenario.resolved.yaml")
    wait_for_line(run, "SAVING scenario.resolved.yaml")
    run.send_signal(signal.SIGINT)
    returned, err = finish(run)
    assert returned == 130, err
    assert entries(folder) == {"pie.yaml", "out"}
    assert {name: (folder / "out" / name).read_bytes() for name in entries(folder / "out")} == old
    assert json.loads(old["provenance.json"])["runs"] == 40


def test_workers_die_when_their_parent_is_killed(folder):
    """SIGKILL cannot be caught: the kernel ends the workers (PR_SET_PDEATHSIG), on Linux."""
    if not sys.platform.startswith("linux"):
        pytest.skip("PR_SET_PDEATHSIG is Linux's")
    run = start(folder, *LONG, "--out", "out")
    workers = workers_of(run)
    run.kill()
    run.communicate(timeout=60)
    assert wait_until_gone(workers) == []
    assert "out" not in entries(folder)


def test_signals_are_held_back_while_the_folder_is_renamed_into_place():
    delivered = []
    with pytest.raises(KeyboardInterrupt):
        with deferred_signals():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
            delivered.append("the block ran to its end")
    assert delivered == ["the block ran to its end"]
