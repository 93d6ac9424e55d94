"""`basesim app` on the command line: what it refuses before anything listens (the page: test_live_page.py)."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from basesim.cli import main

pytest.importorskip("solara")

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"


def test_a_missing_scenario_is_refused_before_anything_listens(tmp_path, capsys):
    assert main(["app", str(tmp_path / "nowhere.yaml"), "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "nowhere.yaml" in err and "Traceback" not in err


def test_a_port_in_use_is_refused_with_what_to_do(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        assert main(["app", str(BASELINE), "--port", str(port), "--runs", "50"]) == 2
    err = capsys.readouterr().err
    assert f"error: --port: {port} is in use on 127.0.0.1; give another port, or --port 0 for any free one" in err


@pytest.mark.parametrize("option, value, message", [
    ("--port", "70000", "--port: must be a whole number from 0 to 65535, got 70000"),
    ("--runs", "0", "--runs"),
])
def test_bad_options_get_one_message_and_exit_code_2(capsys, option, value, message):
    assert main(["app", str(BASELINE), option, value]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_without_the_app_extra_it_says_how_to_install_it(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "solara", None)  # import solara now raises ImportError, as when not installed
    assert main(["app", str(BASELINE)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == 'error: basesim app needs Solara (solara is not installed): python3 -m pip install -e ".[app]"'
