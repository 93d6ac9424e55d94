"""``basesim run --as-of DATE``: the summary of the talks' state on a date, checked before any work."""

from __future__ import annotations

import json

import pytest

import basesim
from basesim.cli import main

BASELINE = "scenarios/baseline.yaml"


def test_run_as_of_a_date_prints_the_summary_on_that_date(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["run", BASELINE, "--runs", "400", "--seed", "3", "--workers", "1", "--no-figures",
                 "--no-progress", "--out", str(out), "--as-of", "2025-09-15", "--json"])
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["as_of"] == "2025-09-15"
    expected = basesim.load_results(out).summary.at("2025-09-15").table
    states = {row["value"]: row["estimate"] for row in printed["summary"] if row["kind"] == "result"}
    for state in ("agreement", "breakdown", "talking"):
        row = expected[(expected["kind"] == "result") & (expected["value"] == state)]
        assert states[state] == pytest.approx(float(row["estimate"].iloc[0]))
    assert states["talking"] > 0.3  # seven months in, most talks are still going on


def test_run_as_of_outside_the_forecast_is_refused_before_any_work(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["run", BASELINE, "--runs", "400", "--out", str(out), "--as-of", "2030-01-01"])
    assert code == 2
    err = capsys.readouterr().err
    assert "as of 2030-01-01: outside the forecast, which runs from 2025-02-01 to 2027-02-01" in err
    assert not out.exists()
