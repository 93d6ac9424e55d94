"""``basesim forecast`` and ``basesim score``: what they print, what they write, and their errors (exit 2)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from basesim.cli import main

ROOT = Path(__file__).resolve().parents[1]
BASELINE = str(ROOT / "scenarios" / "baseline.yaml")
FEB2025 = str(ROOT / "scenarios" / "observations" / "feb2025.yaml")
QUICK = ["--ess", "200", "--max-runs", "2500", "--workers", "1", "--no-progress"]

RESOLVED = """
    as_of: 2025-02-15
    observations:
      going: {date: 2025-02-15, state: talking}
      later: {date: 2025-06-01, state: talking}
    questions:
      khmeimim: {date: 2026-01-01, issue: khmeimim, at_least: logistics only, resolution: true,
                 forecasts: {market: 0.6}}
      tartus: {date: 2026-01-01, issue: tartus, at_least: reduced lease, resolution: false}
      deal: {date: 2025-10-01, state: agreement, resolution: false, forecasts: {market: 0.3}}
      broken: {date: 2025-07-01, state: breakdown, resolution: false}
      open: {date: 2026-01-01, state: talking}
"""


def _file(tmp_path: Path, text: str, name: str = "observed.yaml") -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return str(path)


def test_forecast_prints_the_conditioning_and_writes_its_folder(tmp_path, capsys):
    out = tmp_path / "fc"
    code = main(["forecast", BASELINE, "--observed", FEB2025, "--out", str(out), *QUICK])
    printed = capsys.readouterr().out
    assert code == 0
    assert "conditioned on 3 observation(s) as of 2025-02-15" in printed
    assert "worlds consistent with the observations" in printed and "effective sample size" in printed
    assert "Forecast after 2025-02-15" in printed and "What the observations taught" in printed
    assert {p.name for p in out.iterdir()} == {"forecast.csv", "inputs.csv", "observations.csv",
                                               "posterior-alternating_offers.parquet", "forecast.json", "figures"}
    assert [p.name for p in (out / "figures").iterdir()] == ["posterior-alternating_offers.png"]
    forecast = pd.read_csv(out / "forecast.csv")
    assert set(forecast["kind"]) == {"state", "level", "outcome", "question"}
    assert ((forecast["low"] <= forecast["estimate"] + 1e-12) & (forecast["estimate"] <= forecast["high"] + 1e-12)).all()
    record = json.loads((out / "forecast.json").read_text())
    assert record["as_of"] == "2025-02-15" and record["protocols"]["alternating_offers"]["reached"]
    posterior = pd.read_parquet(out / "posterior-alternating_offers.parquet")
    assert (posterior["weight"] == 1).all() and len(posterior) == record["protocols"]["alternating_offers"]["kept"]


def test_forecast_as_of_an_earlier_date_ignores_later_observations(tmp_path, capsys):
    path = _file(tmp_path, RESOLVED)
    code = main(["forecast", BASELINE, "--observed", path, "--as-of", "2025-03-01", "--out", str(tmp_path / "a"),
                 "--no-figures", "--json", *QUICK])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["observations"] == ["going"] and data["ignored"] == ["later"]
    asked = {row["name"] for row in data["forecast"] if row["kind"] == "question"}
    assert asked == {"khmeimim", "tartus", "deal", "broken", "open"}


def test_forecast_under_every_protocol_pools_them(tmp_path, capsys):
    path = _file(tmp_path, "observations:\n  start: {date: 2025-02-01, not_state: breakdown}\n")
    out = tmp_path / "all"
    code = main(["forecast", BASELINE, "--observed", path, "--protocol", "alternating_offers,nash",
                 "--out", str(out), *QUICK])
    printed = capsys.readouterr().out
    assert code == 0
    assert "Pooled: a linear pool of the protocols with equal weights" in printed
    pooled = pd.read_csv(out / "pooled.csv")
    assert ((pooled["lowest"] <= pooled["probability"] + 1e-12) & (pooled["probability"] <= pooled["highest"] + 1e-12)).all()
    assert (out / "figures" / "ensemble.png").exists()


def test_score_scores_the_resolved_questions_and_writes_weights(tmp_path, capsys):
    path = _file(tmp_path, RESOLVED)
    out = tmp_path / "score"
    code = main(["score", BASELINE, "--observed", path, "--protocol", "alternating_offers,equilibrium",
                 "--out", str(out), *QUICK, "--max-runs", "600"])  # the equilibrium is the slow one
    captured = capsys.readouterr()
    assert code == 0
    assert "Scoring 4 resolved question(s) resolving after 2025-02-15" in captured.out
    assert "only 4 question(s): the intervals are wide" in captured.err
    scores = pd.read_csv(out / "scores.csv").set_index("forecaster")
    assert set(scores.index) == {"alternating_offers", "equilibrium", "50%", "base rate", "market",
                                 "pooled (equal)", "pooled (scores)"}
    assert scores.loc["50%", "brier"] == 0.25 and scores.loc["market", "questions"] == 2
    weights = pd.read_csv(out / "weights.csv")
    assert weights["weight"].sum() == pytest.approx(1.0)
    assert {p.name for p in (out / "figures").iterdir()} == {"reliability.png", "forecasts.png"}

    # the weights pool a later forecast
    again = main(["forecast", BASELINE, "--observed", path, "--protocol", "alternating_offers,equilibrium",
                  "--weights", str(out / "weights.csv"), "--out", str(tmp_path / "weighted"), "--no-figures", *QUICK,
                  "--max-runs", "600"])
    assert again == 0
    assert f"weights from {out / 'weights.csv'}" in capsys.readouterr().out


@pytest.mark.parametrize(("arguments", "message"), [
    (["--as-of", "2026-05-01", "--set", "protocol.rounds=12"],
     "error: --as-of: 2026-05-01 is outside the horizon of baseline (2025-02-01 to 2026-02-01)"),
    (["--as-of", "15 Feb"], "error: --as-of: must be a date written YYYY-MM-DD, got '15 Feb'"),
    (["--protocol", "nah"], "error: --protocol: 'nah' is not a protocol; expected one of alternating_offers"),
    (["--ess", "0"], "error: --ess: must be a number >= 1, got 0"),
    (["--weights", "nowhere.csv"], "error: --weights: expected 'equal' or a CSV file of forecaster,weight"),
])
def test_bad_options_exit_2_before_any_world_is_played(tmp_path, capsys, arguments, message):
    code = main(["forecast", BASELINE, "--observed", FEB2025, "--out", str(tmp_path / "x"), *arguments])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_a_bad_observations_file_exits_2_with_its_lines(tmp_path, capsys):
    path = _file(tmp_path, """
        observations:
          a: {date: 2025-03-01, state: talking, issue: tartos, equals: full lease}
          b: {date: 2027-03-01, state: talking}
    """)
    code = main(["forecast", BASELINE, "--observed", path, *QUICK])
    err = capsys.readouterr().err
    assert code == 2
    assert f"error: {path}:2: observations.a.issue: unknown issue 'tartos'" in err
    assert f"error: {path}:3: observations.b.date: 2027-03-01 is outside the scenario's horizon" in err


def test_impossible_observations_exit_2(tmp_path, capsys):
    path = _file(tmp_path, """
        observations:
          never: {date: 2025-03-01, state: talking, issue: tartus, equals: full lease}
    """)
    code = main(["forecast", BASELINE, "--observed", path, *QUICK, "--max-runs", "300"])
    assert code == 2
    assert f"error: {path}:2: observations.never: holds in none of the 300 worlds played" in capsys.readouterr().err


def test_score_needs_resolved_questions_after_the_as_of_date(tmp_path, capsys):
    code = main(["score", BASELINE, "--observed", FEB2025, *QUICK])
    assert code == 2
    assert "no resolved question resolves after the as-of date 2025-02-15" in capsys.readouterr().err


def test_score_compares_scenarios_by_name(tmp_path, capsys):
    path = _file(tmp_path, RESOLVED)
    turkey = str(ROOT / "scenarios" / "turkey_presses.yaml")
    code = main(["score", BASELINE, turkey, "--observed", path, "--out", str(tmp_path / "s"), "--no-figures",
                 "--json", *QUICK])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["forecasters"] == ["baseline", "turkey_presses"]
    assert {row["forecaster"] for row in data["scores"]} >= {"baseline", "turkey_presses", "pooled (equal)"}
    assert sum(data["weights"].values()) == pytest.approx(1.0)
