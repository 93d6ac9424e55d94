"""The ``expected_utility`` protocol: the EC example's published invariants through the protocol and the
CLI, the three states, calendar time, forecasts as of any date, and batch == a plain per-world reference.

The reference below plays every world alone, round by round, with the kernel's plain oracle
:func:`basesim.model.expected_utility_reference.play_world` (one round per call, so it also
checks that the protocol's segments of rounds change nothing), applies events and the
breakdown draws with Python loops, and must give the batch's outcome table bit for bit.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from basesim import cli
from basesim.cli import main
from basesim.model import play, trace
from basesim.model.expected_utility import play_issue
from basesim.model.expected_utility_forecast import forecast_path, summarise_forecasts
from basesim.model.expected_utility_reference import play_world
from basesim.model.protocols import expected_utility as protocol_module
from basesim.model.protocols.expected_utility import eu_salience, in_units, participants
from basesim.scenario.loader import load_scenario, scenario_from_data
from basesim.scenario.sampling import FIELD_BOUNDS, sample
from basesim.scenario.schema import PROTOCOLS
from conftest import SCENARIOS

EC = SCENARIOS / "ec_example.yaml"
PROTOCOL = "expected_utility"

# Scholz, Calbert and Smith (2011), Table 1: capability, position (0-10), salience
EC_TABLE = {
    "netherlands": (0.08, 4, 0.8), "belgium": (0.08, 7, 0.4), "luxembourg": (0.03, 4, 0.2),
    "germany": (0.16, 4, 0.8), "france": (0.16, 10, 0.6), "italy": (0.16, 10, 0.6), "uk": (0.16, 10, 0.9),
    "ireland": (0.05, 7, 0.1), "denmark": (0.05, 4, 1.0), "greece": (0.08, 7, 0.7),
}
# first-pass risk exponents with Q = T = 1, as the replications report them
EC_RISK = {"netherlands": 1.127, "belgium": 0.781, "luxembourg": 0.500, "germany": 1.127, "france": 1.078,
           "italy": 1.078, "uk": 2.000, "ireland": 0.525, "denmark": 1.472, "greece": 1.140}


def ec_draws(n: int = 3):
    scenario = load_scenario(EC)
    return scenario, sample(scenario, n, np.random.default_rng(0))


# --- the European Community example ----------------------------------------------------------


def test_the_ec_scenario_gives_the_model_the_published_inputs():
    scenario, draws = ec_draws(1)
    issue = scenario.issue_names.index("emission_standards")
    taking = participants(scenario)[issue]
    assert [scenario.actor_names[a] for a in taking] == list(EC_TABLE)
    salience = eu_salience(draws.salience)[0, taking, issue]
    position = 10 * draws.ideal_point[0, taking, issue]
    capability = draws.power[0, taking]
    for a, (c, x, s) in enumerate(EC_TABLE.values()):
        assert capability[a] == c
        assert position[a] == pytest.approx(x, abs=1e-12)
        assert salience[a] == pytest.approx(s, abs=1e-12)
    # with these inputs the kernel's first pass gives the published risk exponents
    first = play_issue(draws.ideal_point[:, taking, issue], salience[None], capability[None], rounds=1)
    assert first.risk[0, 0] == pytest.approx(list(EC_RISK.values()), abs=5e-4)


def test_the_protocol_reproduces_the_ec_invariants():
    scenario, draws = ec_draws()
    table = play(draws, protocol=PROTOCOL)
    issue = scenario.issues["emission_standards"]
    start_mean = in_units(issue, table["emission_standards_eu_mean_start"].to_numpy())
    start_winner = in_units(issue, table["emission_standards_eu_winner_start"].to_numpy())
    assert start_mean == pytest.approx(7.390, abs=5e-4)  # capability alone would give 7.475
    assert start_winner == pytest.approx(7.0, abs=1e-12)
    # after the ten rounds: this implementation's path (docs/expected_utility.md), not a published figure
    end_mean = in_units(issue, table["emission_standards_eu_mean"].to_numpy())
    assert end_mean == pytest.approx(7.248, abs=5e-4)
    assert in_units(issue, table["emission_standards_eu_winner"].to_numpy()) == pytest.approx(7.0, abs=1e-12)
    # the camps at 4 and 10 never move: no agreement, the status quo holds while talking
    assert (table["result"] == "talking").all()
    assert (table["emission_standards"] == "0").all()
    assert (table["other_business_eu_mean"] == 0).all()


def test_the_ec_forecast_path_is_the_kernel_path_in_calendar_time():
    scenario, draws = ec_draws(1)
    path = forecast_path(draws)
    ec = path[path["issue"] == "emission_standards"]
    means = [7.309, 7.278, 7.263, 7.256, 7.252, 7.251, 7.250, 7.249, 7.249, 7.248, 7.248]  # after 1..10 rounds
    assert 10 * ec["mean"].to_numpy() == pytest.approx(means, abs=5e-4)
    assert ec["rounds_played"].tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10]
    assert list(ec["date"]) == list(pd.DatetimeIndex(pd.date_range("2025-02-01", periods=11, freq="MS")))
    assert set(ec["winner_level"]) == {"7"} and set(ec["winner_actor"]) <= {"belgium", "ireland", "greece"}
    assert (ec["state"] == "talking").all()
    as_of = forecast_path(draws, as_of="2025-04-15")
    assert as_of["date"].unique().tolist() == [pd.Timestamp("2025-04-01")]
    assert 10 * as_of.loc[as_of["issue"] == "emission_standards", "mean"].iloc[0] == pytest.approx(7.263, abs=5e-4)


def test_basesim_run_prints_the_ec_invariants(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cli.console, "width", 120)
    code = main(["run", str(EC), "--protocol", PROTOCOL, "--runs", "20", "--out", str(tmp_path / "out"),
                 "--no-figures", "--workers", "1"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Expected-utility forecasts" in captured.out
    line = next(text for text in captured.out.splitlines() if "  weighted mean" in text)
    assert "7.390" in line and "7.248" in line
    line = next(text for text in captured.out.splitlines() if "  pairwise winner" in text)
    assert line.replace("│", " ").split()[-2:] == ["7", "7"]
    code = main(["run", str(EC), "--protocol", PROTOCOL, "--runs", "20", "--out", str(tmp_path / "json"),
                 "--no-figures", "--workers", "1", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    records = json.loads(captured.out)["expected_utility"]
    found = {(r["issue"], r["forecast"], r["when"]): r for r in records}
    assert found[("emission_standards", "weighted mean", "inputs")]["median"] == pytest.approx(7.390, abs=5e-4)
    assert found[("emission_standards", "pairwise winner", "inputs")]["median"] == pytest.approx(7.0)
    assert found[("emission_standards", "pairwise winner", "inputs")]["level"] == "7"


def test_the_forecasts_need_an_expected_utility_table():
    from basesim.errors import UsageError

    scenario, draws = ec_draws(2)
    table = play(draws, protocol="nash")
    with pytest.raises(UsageError, match="no column 'emission_standards_eu_mean_start'.*--protocol expected_utility"):
        summarise_forecasts(table, scenario)


def test_every_protocol_run_and_the_comparison_include_it(tmp_path, monkeypatch, capsys):
    assert PROTOCOL in PROTOCOLS
    monkeypatch.setattr(cli.console, "width", 160)
    code = main(["run", str(EC), "--protocol", "all", "--runs", "20", "--out", str(tmp_path / "all"),
                 "--no-figures", "--workers", "1", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    data = json.loads(captured.out)
    assert set(data["protocols"]) == set(PROTOCOLS)
    assert "expected_utility" in data["protocols"][PROTOCOL]
    comparison = pd.read_csv(tmp_path / "all" / "comparison.csv")
    assert set(comparison["variant"]) == {name.replace("_", " ") for name in PROTOCOLS}
    talking = comparison[(comparison["variant"] == "expected utility") & (comparison["name"] == "talking")]
    assert talking["estimate"].tolist() == [1.0]  # the 4 and 10 camps never meet


# --- states and calendar time ---------------------------------------------------------------------

# "other" holds the rest of each actor's agenda: with it, big's salience on "line" is 1, the others' 0.5
TALKS = {
    "name": "talks",
    "issues": {"line": {"levels": ["a", "b", "c", "d", "e"]}, "other": {"levels": ["x", "y"]}},
    "status_quo": {"line": "a", "other": "x"},
    "actors": {
        "big": {"role": "principal", "ideal_point": {"line": 0.0, "other": "x"},
                "salience": {"line": 1.0, "other": 1.0}, "power": 5.0},
        "small": {"role": "principal", "ideal_point": {"line": 0.25, "other": "x"},
                  "salience": {"line": 0.5, "other": 1.0}, "power": 1.0},
        "outsider": {"role": "influencer", "ideal_point": {"line": 0.75, "other": "x"},
                     "salience": {"line": 0.5, "other": 1.0}, "power": 1.0},
    },
    "protocol": {"name": PROTOCOL, "rounds": 6, "round_length": "1 quarter", "start_date": "2025-01-01"},
}


def test_agreement_when_the_positions_converge_dated_by_the_round():
    scenario = scenario_from_data(TALKS)
    draws = sample(scenario, 4, np.random.default_rng(1))
    table = play(draws)
    path = play_world([0.0, 0.25, 0.75], [1.0, 0.5, 0.5], [5.0, 1.0, 1.0], rounds=6, status_quo=0.0)
    assert path.agreed_round > 0
    expected_round = path.agreed_round - 1  # the round whose moves made the positions agree
    assert (table["result"] == "agreement").all()
    assert (table["round"] == expected_round).all()
    assert (table["date"] == pd.Timestamp("2025-01-01") + pd.DateOffset(months=3 * expected_round)).all()
    mean = path.mean[path.agreed_round]
    assert (table["line_eu_mean"] == mean).all()
    level = int(np.argmin(np.abs(scenario.issues["line"].values - mean)))
    assert (table["line_level"] == level).all()
    assert table["proposer"].isna().all()
    rounds = trace(draws, world=0)
    assert rounds["status"].tolist() == ["continue"] * expected_round + ["agreement"]
    assert rounds["proposer"].isna().all() and not any(c.startswith("accepted_by_") for c in rounds)
    assert rounds["line"].iloc[-1] == scenario.issues["line"].labels[level]
    assert rounds["line_eu_mean"].iloc[-1] == mean


def test_breakdown_comes_from_the_per_month_hazard_only():
    data = {**TALKS, "actors": {**TALKS["actors"]}}
    data["actors"]["big"] = {**data["actors"]["big"], "power": 1.0}  # no one dominates: no agreement
    data["actors"]["outsider"] = {**data["actors"]["outsider"], "ideal_point": {"line": 1.0, "other": "x"}}
    data["protocol"] = {**data["protocol"], "breakdown_risk": 0.05, "rounds": 8}
    scenario = scenario_from_data(data)
    draws = sample(scenario, 400, np.random.default_rng(2))
    table = play(draws)
    assert set(table["result"]) <= {"talking", "breakdown"}
    broken = table["result"] == "breakdown"
    assert broken.any() and (table.loc[broken, "breakdown_cause"] == "hazard").all()
    hazard = 1 - (1 - 0.05) ** 3  # a quarter per round
    first = draws.breakdown_u < hazard
    expected_round = np.where(first.any(axis=1), first.argmax(axis=1), -1)
    assert (table["round"].to_numpy() == expected_round).all()


def test_an_issue_nobody_weighs_stays_at_the_status_quo():
    data = {**TALKS, "issues": {**TALKS["issues"], "third": {"levels": ["p", "q"]}},
            "status_quo": {**TALKS["status_quo"], "third": "q"}}
    scenario = scenario_from_data(data)
    draws = sample(scenario, 2, np.random.default_rng(3))
    table = play(draws)
    assert (table["result"] == "agreement").all()
    assert (table["third"] == "q").all() and table["third_eu_mean"].isna().all()


def test_segments_of_rounds_change_nothing(monkeypatch):
    scenario = load_scenario(SCENARIOS / "baseline.yaml")
    draws = sample(scenario, 64, np.random.default_rng(4))
    whole = play(draws, protocol=PROTOCOL)
    monkeypatch.setattr(protocol_module, "SEGMENT", 1)
    pd.testing.assert_frame_equal(play(draws, protocol=PROTOCOL), whole)
    alone = pd.concat([play(draws.take(np.array([k])), protocol=PROTOCOL) for k in (0, 17, 63)], ignore_index=True)
    pd.testing.assert_frame_equal(alone, whole.iloc[[0, 17, 63]].reset_index(drop=True))


def test_the_forecast_path_ends_where_the_table_does():
    scenario = load_scenario(SCENARIOS / "baseline.yaml")
    draws = sample(scenario, 50, np.random.default_rng(5))
    table = play(draws, protocol=PROTOCOL)
    path = forecast_path(draws)
    last = path.groupby(["replicate", "issue"], observed=True).tail(1).set_index(["replicate", "issue"])
    for name in scenario.issue_names:
        np.testing.assert_array_equal(last.xs(name, level="issue")["mean"].to_numpy(),
                                      table[f"{name}_eu_mean"].to_numpy())
        assert (last.xs(name, level="issue")["state"].to_numpy() == table["result"].to_numpy()).all()


# --- batch == plain per-world reference ---------------------------------------------------------


def plain_taking(scenario, issue: str) -> list[int]:
    """The actors with a salience on ``issue`` that is not a fixed 0 (written out, not the protocol's helper)."""
    out = []
    for a, actor in enumerate(scenario.actors.values()):
        weights = getattr(actor.salience, "alpha", actor.salience)
        if issue in weights and weights[issue] != 0:
            out.append(a)
    return out


def reference_world(draws, k: int) -> dict:
    """World ``k`` alone: events, one round of :func:`play_world` at a time, agreement, then the hazard."""
    scenario = draws.scenario
    actors = scenario.actor_names
    issues = list(scenario.issues.items())
    rounds = scenario.protocol.rounds
    ideal = [[float(v) for v in row] for row in draws.ideal_point[k]]
    weights = [[float(v) for v in row] for row in draws.salience[k]]
    power = [float(v) for v in draws.power[k]]
    taking = [plain_taking(scenario, name) for name, _ in issues]
    quo = [float(issue.values[issue.level_index(scenario.status_quo_levels[name])]) for name, issue in issues]
    quo_level = [issue.level_index(scenario.status_quo_levels[name]) for name, issue in issues]
    x = [[ideal[a][i] for a in taking[i]] for i in range(len(issues))]
    scale = [(max(p) - min(p)) or 1.0 if p else 1.0 for p in x]

    def salience(a: int, i: int) -> float:
        return weights[a][i] / max(weights[a])

    def forecast(i: int, rounds_: int):
        path = play_world(x[i], [salience(a, i) for a in taking[i]], [power[a] for a in taking[i]],
                          rounds=rounds_, status_quo=quo[i], position_range=scale[i])
        return path

    row: dict = {}
    last = []
    for i, (name, _) in enumerate(issues):
        start = forecast(i, 0) if taking[i] else None
        row[f"{name}_eu_mean_start"] = start.mean[0] if start else math.nan
        row[f"{name}_eu_winner_start"] = start.winner[0] if start else math.nan
        last.append((row[f"{name}_eu_mean_start"], row[f"{name}_eu_winner_start"]))
    result, end = "talking", -1
    levels = list(quo_level)
    for t in range(rounds):
        before = [list(r) for r in ideal]
        touched_salience = False
        for e, (event_name, event) in enumerate(scenario.events.items()):
            if not (draws.event_fires[k, e] and draws.event_round[k, e] == t):
                continue
            for kind in ("set", "add"):
                for target in getattr(event, kind):
                    value = float(draws.event_values[(event_name, target)][k])
                    _, actor, field, *rest = target.split(".")
                    a = actors.index(actor)
                    low, high = FIELD_BOUNDS[field]
                    if field == "power":
                        power[a] = min(max(value if kind == "set" else power[a] + value, low), high)
                    else:
                        i = scenario.issue_names.index(rest[0])
                        table = ideal if field == "ideal_point" else weights
                        table[a][i] = min(max(value if kind == "set" else table[a][i] + value, low), high)
                        touched_salience |= field == "salience"
            if touched_salience:  # renormalised after each event of the round once one changed a salience
                for a in range(len(actors)):
                    total = 0.0
                    for w in weights[a]:
                        total = total + w
                    weights[a] = [w / total for w in weights[a]]
        for i in range(len(issues)):
            for slot, a in enumerate(taking[i]):
                if ideal[a][i] != before[a][i]:
                    x[i][slot] = ideal[a][i]
            if taking[i]:
                scale[i] = max(scale[i], max(x[i]) - min(x[i]))
        agreed = True
        for i, (name, issue) in enumerate(issues):
            if not taking[i]:
                continue
            path = forecast(i, 1)
            x[i] = path.positions[1]
            last[i] = (path.mean[1], path.winner[1])
            agreed = agreed and (max(x[i]) - min(x[i])) / scale[i] <= 0.01
        if agreed:
            result, end = "agreement", t
            for i, (name, issue) in enumerate(issues):
                if taking[i]:
                    values = [float(v) for v in issue.values]
                    levels[i] = min(range(len(values)), key=lambda j: abs(values[j] - last[i][0]))
            break
        risk = np.array([draws.breakdown_risk[k]])
        hazard = -np.expm1(scenario.months_per_round * np.log1p(-risk))[0]
        if draws.breakdown_u[k, t] < hazard:
            result, end = "breakdown", t
            break
    row.update({"result": result, "round": end})
    for i, (name, _) in enumerate(issues):
        row[f"{name}_level"] = levels[i]
        row[f"{name}_eu_mean"], row[f"{name}_eu_winner"] = last[i]
    return row


@st.composite
def scenarios(draw):
    """Small random scenarios: 1-3 issues, 2-4 actors (one may be an influencer), uncertain inputs, events."""
    issue_count = draw(st.integers(1, 3))
    issues = {}
    for i in range(issue_count):
        m = draw(st.integers(2, 5))
        issues[f"i{i}"] = {"levels": [f"l{j}" for j in range(m)]}
    names = [f"a{a}" for a in range(draw(st.integers(2, 4)))]
    influencer = draw(st.booleans()) and len(names) > 2
    unit = st.floats(0.0, 1.0, allow_nan=False)
    actors = {}
    for index, name in enumerate(names):
        ideal, salience = {}, {}
        for issue in issues:
            ideal[issue] = (draw(unit) if draw(st.booleans())
                            else {"dist": "uniform", "low": 0.0, "high": 1.0})
            weight = draw(st.sampled_from([0.0, 0.2, 0.5, 1.0, "uniform"]))
            if weight == "uniform":
                salience[issue] = {"dist": "uniform", "low": 0.1, "high": 1.0}
            elif weight > 0 or draw(st.booleans()):
                salience[issue] = weight
        if not any(v != 0 for v in salience.values()):
            salience[next(iter(issues))] = 1.0
        power = draw(st.sampled_from([1.0, 0.3, 3.0, "uniform"]))
        actors[name] = {
            "role": "influencer" if influencer and index == len(names) - 1 else "principal",
            "ideal_point": ideal, "salience": salience,
            "power": {"dist": "uniform", "low": 0.1, "high": 2.0} if power == "uniform" else power,
        }
    rounds = draw(st.integers(1, 20))
    events = {}
    for e in range(draw(st.integers(0, 2))):
        actor = draw(st.sampled_from(names))
        issue = draw(st.sampled_from(list(issues)))
        kind = draw(st.sampled_from(["power", "ideal_point", "salience"]))
        if kind == "salience" and issue not in actors[actor]["salience"]:
            kind = "power"
        if kind == "power":
            change = {"set": {f"actors.{actor}.power": draw(st.sampled_from([0.2, 1.0, 4.0]))}}
        elif kind == "ideal_point":
            change = {"set": {f"actors.{actor}.ideal_point.{issue}": draw(unit)}}
        else:
            change = {"add": {f"actors.{actor}.salience.{issue}": 0.3}}
        events[f"e{e}"] = {"round": draw(st.integers(0, rounds - 1)), "probability": 0.7, **change}
    return scenario_from_data({
        "name": "random",
        "issues": issues,
        "status_quo": {issue: draw(st.sampled_from(spec["levels"])) for issue, spec in issues.items()},
        "actors": actors,
        "events": events,
        "protocol": {"name": PROTOCOL, "rounds": rounds,
                     "round_length": draw(st.sampled_from(["1 month", "2 weeks", "1 quarter"])),
                     "breakdown_risk": draw(st.sampled_from([0.0, 0.02, {"dist": "uniform", "low": 0.0,
                                                                          "high": 0.3}]))},
    })


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_batch_equals_the_plain_per_world_reference(scenario, seed):
    draws = sample(scenario, 6, np.random.default_rng(seed))
    table = play(draws, protocol=PROTOCOL)
    for k in range(draws.n):
        expected = reference_world(draws, k)
        row = table.iloc[k]
        for column, value in expected.items():
            got = row[column]
            if isinstance(value, float) and math.isnan(value):
                assert isinstance(got, float) and math.isnan(got), (k, column, got)
            else:
                assert got == value, (k, column, got, value)
