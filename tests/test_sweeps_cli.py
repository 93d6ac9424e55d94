"""The ``basesim sweep`` and ``basesim sensitivity`` commands, in-process and once as a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from basesim import UsageError
from basesim.cli import main
from basesim.cli.sweep import parse_param, parse_params

ROOT = Path(__file__).resolve().parents[1]
BASELINE = str(ROOT / "scenarios" / "baseline.yaml")
LEVERAGE = "actors.turkey.leverage.syria"


# --- --param ----------------------------------------------------------------------------------------


def test_a_range_gives_evenly_spaced_values():
    assert parse_param(f"{LEVERAGE}=0:0.4:5") == (LEVERAGE, [0.0, 0.1, 0.2, 0.3, 0.4])
    assert parse_param("protocol.rounds=6:24:4") == ("protocol.rounds", [6, 12, 18, 24])
    assert parse_param("protocol.rounds=6:24:1") == ("protocol.rounds", [6])


def test_a_list_is_read_as_yaml_values():
    assert parse_param(f"{LEVERAGE}=0,0.25,0.5") == (LEVERAGE, [0, 0.25, 0.5])
    assert parse_param("protocol.name=alternating_offers,nash") == ("protocol.name", ["alternating_offers", "nash"])
    assert parse_param("actors.syria.ideal_point.tartus=withdrawal, full lease") == (
        "actors.syria.ideal_point.tartus", ["withdrawal", "full lease"])
    assert parse_param("protocol.rounds=12") == ("protocol.rounds", [12])


@pytest.mark.parametrize(("text", "message"), [
    ("actors.turkey.leverage.syria", r"--param: bad value 'actors.turkey.leverage.syria'; expected PATH=START:STOP:NUM"),
    ("x=", r"--param: bad value 'x='"),
    ("x=0:1:two", r"--param x: NUM must be a whole number >= 1, got 'two'"),
    ("x=0:1:0", r"--param x: NUM must be a whole number >= 1, got '0'"),
    ("x=a:1:3", r"--param x: START and STOP must be numbers, got 'a' and '1'"),
    ("x=0:1", r"--param x: a range needs three parts START:STOP:NUM, got '0:1'"),
    ("x=1,,2", r"--param x: empty value in '1,,2'"),
])
def test_bad_params_say_what_is_expected(text, message):
    with pytest.raises(UsageError, match=message):
        parse_param(text)


def test_a_parameter_given_twice_is_an_error():
    with pytest.raises(UsageError, match=r"--param x: given twice"):
        parse_params(["x=1,2", "x=3"])


# --- basesim sweep ------------------------------------------------------------------------------------


def _sweep(out: Path, *params: str, extra: tuple[str, ...] = ()) -> int:
    argv = ["sweep", BASELINE, *[a for p in params for a in ("--param", p)], "--runs", "60", "--seed", "1",
            "--out", str(out), "--workers", "1", "--no-progress", *extra]
    return main(argv)


def test_sweep_one_parameter_writes_table_and_line_figure_and_resumes(tmp_path, capsys):
    out = tmp_path / "one"
    assert _sweep(out, f"{LEVERAGE}=0:0.4:3") == 0
    printed = capsys.readouterr().out
    assert "Russia keeps Tartus" in printed and "3 point(s) computed, 0 from the cache." in printed
    table = pd.read_csv(out / "sweep.csv")
    assert table[LEVERAGE].tolist() == [0.0, 0.2, 0.4]
    assert {"outcome.russia_keeps_tartus", "outcome.russia_keeps_tartus_low"} <= set(table.columns)
    assert (out / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "sweep_long.csv").exists() and (out / "provenance.json").exists()
    # the same command again: nothing recomputed, the same table
    assert _sweep(out, f"{LEVERAGE}=0:0.4:3") == 0
    assert "0 point(s) computed, 3 from the cache." in capsys.readouterr().out
    pd.testing.assert_frame_equal(pd.read_csv(out / "sweep.csv"), table)


def test_sweep_two_parameters_draws_a_heatmap(tmp_path, capsys):
    out = tmp_path / "two"
    assert _sweep(out, f"{LEVERAGE}=0,0.3", "actors.syria.outside_option=-0.1,0.1",
                  extra=("--statistic", "result.agreement")) == 0
    assert len(pd.read_csv(out / "sweep.csv")) == 4
    assert (out / "sweep.png").exists()
    assert "Agreement (result.agreement)" in capsys.readouterr().out


def test_sweep_of_three_parameters_writes_the_table_without_a_figure(tmp_path, capsys):
    out = tmp_path / "three"
    assert _sweep(out, f"{LEVERAGE}=0,0.3", "actors.syria.outside_option=-0.1,0.1", "protocol.rounds=12,18") == 0
    assert len(pd.read_csv(out / "sweep.csv")) == 8
    assert not (out / "sweep.png").exists()
    assert "no figure: a sweep figure shows one or two parameters, this sweep has 3" in capsys.readouterr().err


def test_sweep_user_errors_exit_2_with_one_message(tmp_path, capsys):
    assert _sweep(tmp_path / "bad", f"{LEVERAGE}=0:2:3") == 2
    err = capsys.readouterr().err
    assert "sweep point 1 " not in err  # 1 is allowed
    assert "sweep point 2 (actors.turkey.leverage.syria=2)" in err and "must be in [0, 1], got 2" in err
    assert "Traceback" not in err
    assert _sweep(tmp_path / "bad", f"{LEVERAGE}=0:1", ) == 2
    assert "a range needs three parts" in capsys.readouterr().err
    assert _sweep(tmp_path / "bad", f"{LEVERAGE}=0,0.1", extra=("--statistic", "outcome.nope")) == 2
    assert "--statistic: 'outcome.nope' is not a statistic of this sweep" in capsys.readouterr().err


# --- basesim sensitivity --------------------------------------------------------------------------------


def test_sensitivity_sobol_prints_a_ranked_table_and_writes_the_figure(tmp_path, capsys):
    out = tmp_path / "sens"
    code = main(["sensitivity", BASELINE, "--runs", "50", "--output", "russia_keeps_tartus", "--seed", "3",
                 "--out", str(out), "--top", "5"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "--runs 50 rounded up to 64" in printed
    assert "Russia keeps Tartus (outcome.russia_keeps_tartus)" in printed
    from basesim.analysis.sensitivity import sobol_factors
    from basesim.scenario.loader import load_scenario

    factors = len(sobol_factors(load_scenario(BASELINE)))  # 5 shown of every factor of the baseline
    assert f"... {factors - 5} more" in printed
    table = pd.read_csv(out / "sensitivity.csv")
    assert len(table) == factors and set(table["output"]) == {"outcome.russia_keeps_tartus"}
    assert table["rank"].tolist() == list(range(1, factors + 1))
    assert (out / "sensitivity.png").exists()


def test_sensitivity_ranking_method(tmp_path, capsys):
    out = tmp_path / "rank"
    assert main(["sensitivity", BASELINE, "--method", "ranking", "--runs", "300", "--seed", "3",
                 "--output", "result.agreement", "--out", str(out)]) == 0
    assert "Correlation ratios of a plain run, 300 runs, seed 3" in capsys.readouterr().out
    table = pd.read_csv(out / "sensitivity.csv")
    assert {"correlation_ratio", "spearman", "rank"} <= set(table.columns)


def test_sensitivity_user_errors(tmp_path, capsys):
    assert main(["sensitivity", BASELINE, "--method", "morris", "--out", str(tmp_path)]) == 2
    assert "--method: 'morris' is not a method; expected sobol or ranking" in capsys.readouterr().err
    assert main(["sensitivity", BASELINE, "--output", "tartus_kept", "--out", str(tmp_path)]) == 2
    assert "--output: 'tartus_kept' is not an output of scenario 'baseline'" in capsys.readouterr().err


def test_sweep_as_a_real_subprocess(tmp_path):
    out = tmp_path / "sub"
    done = subprocess.run(
        [sys.executable, "-m", "basesim", "sweep", BASELINE, "--param", f"{LEVERAGE}=0,0.4", "--runs", "40",
         "--seed", "2", "--out", str(out), "--workers", "1", "--no-progress"],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "2 point(s) computed" in done.stdout
    assert len(pd.read_csv(out / "sweep.csv")) == 2
