"""The observations file: its format, every located error, and the contradictions found without playing a world."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from basesim import load_scenario
from basesim.analysis.observations import (
    Observation,
    horizon,
    level_range,
    load_observations,
    observations_from_data,
)
from basesim.errors import ScenarioError

ROOT = Path(__file__).resolve().parents[1]
#: The baseline with a horizon fixed here (a year of monthly rounds), whatever the shipped file says.
BASELINE = load_scenario(ROOT / "scenarios" / "baseline.yaml", overrides={
    "protocol.rounds": 12, "protocol.round_length": "1 month", "protocol.start_date": "2025-02-01"})


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "observed.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = _write(tmp_path, text)
    with pytest.raises(ScenarioError) as caught:
        load_observations(path, BASELINE)
    return [str(p).replace(str(path), "FILE") for p in caught.value.problems]


def test_the_shipped_february_file_is_valid():
    observed = load_observations(ROOT / "scenarios" / "observations" / "feb2025.yaml", BASELINE)
    assert str(observed.default_as_of(BASELINE).date()) == "2025-02-15"
    assert set(observed.observations) == {"talks_go_on", "no_agreement", "assad_not_extradited"}
    assert all(o.hard for o in observed.observations.values())
    assert observed.observations["no_agreement"].states == {"talking", "breakdown"}
    assert len(observed.questions) >= 3


def test_a_fact_reads_its_conditions():
    fact = Observation(date="2025-03-01", issue="compensation", between=["1 $bn", "5 $bn"], confidence=0.8)
    assert level_range(fact, BASELINE) == (1, 3)
    assert not fact.hard and fact.states is None
    assert Observation(date="2025-03-01", state="talking").states == {"talking"}
    assert Observation(date="2025-03-01", not_state=["agreement", "breakdown"]).states == {"talking"}
    assert Observation(date="2025-03-01", issue="tartus", at_least=0.5, at_most="full lease").describe() == (
        "tartus >= 0.5, tartus <= full lease on 2025-03-01")


def test_the_horizon_runs_from_the_start_to_rounds_times_the_round_length():
    start, end = horizon(BASELINE)
    assert (str(start.date()), str(end.date())) == ("2025-02-01", "2026-02-01")


def test_the_default_as_of_is_the_latest_observation_without_as_of():
    observed = observations_from_data({"observations": {
        "a": {"date": "2025-03-01", "state": "talking"}, "b": {"date": "2025-05-01", "state": "talking"}}}, BASELINE)
    assert str(observed.default_as_of(BASELINE).date()) == "2025-05-01"
    assert list(observed.until(observed.default_as_of(BASELINE).replace(month=4))) == ["a"]


def test_structural_mistakes_are_located(tmp_path):
    problems = _problems(tmp_path, """
        observations:
          a:
            date: 2025-02-15
            stat: talking
          b:
            date: 2025-03-01
            state: talkin
          c:
            date: 2025-03-01
          d:
            state: talking
          e:
            date: 2025-03-01
            state: talking
            confidence: 0.3
          f:
            date: 2025-03-01
            issue: tartus
          g:
            date: 2025-03-01
            event: sanctions_relief
        questions:
          q:
            date: 2025-06-01
            state: agreement
            resolution: maybe
    """)
    assert problems == [
        "FILE:4: observations.a: unknown key 'stat' (did you mean 'state'?)",
        "FILE:7: observations.b.state: must be one of talking, agreement, breakdown, got 'talkin' "
        "(did you mean 'talking'?)",
        "FILE:8: observations.c: give at least one condition: state, not_state, issue or event",
        "FILE:10: observations.d: missing required key 'date'",
        "FILE:15: observations.e.confidence: must be >= 0.5, got 0.3",
        "FILE:16: observations.f: with 'issue', give equals, at_least, at_most or between",
        "FILE:19: observations.g: 'event' and 'happened' go together: event: NAME, happened: true or false",
        "FILE:26: questions.q.resolution: must be true or false, got 'maybe'",
    ]


def test_names_levels_events_and_dates_are_checked_against_the_scenario(tmp_path):
    problems = _problems(tmp_path, """
        as_of: 2024-12-08
        observations:
          late:
            date: 2027-01-01
            state: talking
          issue:
            date: 2025-03-01
            issue: tartos
            equals: full lease
          level:
            date: 2025-03-01
            issue: tartus
            equals: ful lease
          value:
            date: 2025-03-01
            issue: tartus
            at_least: 0.4
          event:
            date: 2025-03-01
            event: sanctions
            happened: true
        questions:
          reversed:
            date: 2025-06-01
            issue: tartus
            between: [full lease, withdrawal]
    """)
    assert problems == [
        "FILE:1: as_of: 2024-12-08 is outside the scenario's horizon 2025-02-01 to 2026-02-01",
        "FILE:4: observations.late.date: 2027-01-01 is outside the scenario's horizon 2025-02-01 to 2026-02-01 "
        "(protocol.start_date + rounds x round_length)",
        "FILE:8: observations.issue.issue: unknown issue 'tartos' (did you mean 'tartus'?); expected one of "
        "extradition, compensation, tartus, khmeimim",
        "FILE:13: observations.level.equals: 'ful lease' is not a level of tartus (did you mean 'full lease'?); "
        "expected one of withdrawal, logistics only, reduced lease, full lease",
        "FILE:17: observations.value.at_least: 0.4 is not the value of a level of tartus; give a level label or "
        "one of 0, 0.333333, 0.666667, 1",
        "FILE:20: observations.event.event: unknown event 'sanctions' (did you mean 'sanctions_relief'?); "
        "expected one of sanctions_relief, turkish_defence_pact",
        "FILE:26: questions.reversed.between: the low end 'full lease' is above the high end 'withdrawal'",
    ]


def test_hard_facts_that_contradict_each_other_are_located_at_the_later_one(tmp_path):
    problems = _problems(tmp_path, """
        observations:
          agreed:
            date: 2025-05-01
            state: agreement
          talking_again:
            date: 2025-06-01
            state: talking
          relief:
            date: 2025-04-01
            event: sanctions_relief
            happened: true
          no_relief:
            date: 2025-06-01
            event: sanctions_relief
            happened: false
          tartus_full:
            date: 2025-07-01
            issue: tartus
            equals: full lease
          tartus_gone:
            date: 2025-07-01
            issue: tartus
            at_most: logistics only
          soft_doubt:
            date: 2025-08-01
            state: talking
            confidence: 0.7
    """)
    assert problems == [
        "FILE:5: observations.talking_again: contradicts observations.agreed: the talks cannot be talking on "
        "2025-06-01 after being agreed on 2025-05-01 (an agreement or a breakdown holds)",
        "FILE:12: observations.no_relief: contradicts observations.relief: sanctions_relief cannot have not "
        "happened by 2025-06-01 when it had happened by 2025-04-01",
        "FILE:20: observations.tartus_gone: contradicts observations.tartus_full: tartus cannot be in two ranges "
        "of levels that do not overlap on 2025-07-01",
    ]


def test_file_level_mistakes(tmp_path):
    empty = _write(tmp_path, "")
    with pytest.raises(ScenarioError, match=r"observed.yaml:1: the file is empty; an observations file needs"):
        load_observations(empty, BASELINE)
    with pytest.raises(ScenarioError, match=r"observed.yaml:1: an observations file must be a mapping"):
        load_observations(_write(tmp_path, "- a\n- b\n"), BASELINE)
    with pytest.raises(ScenarioError, match=r"observed.yaml:3: YAML syntax error"):
        load_observations(_write(tmp_path, "observations:\n  a: {date: 2025-03-01\n"), BASELINE)
    with pytest.raises(ScenarioError, match=r"observed.yaml:2: observations.a.date: '2025-02-30' cannot be read"):
        load_observations(_write(tmp_path, "observations:\n  a: {date: 2025-02-30, state: talking}\n"), BASELINE)
    with pytest.raises(ScenarioError, match=r"give 'observations' or 'questions'"):
        load_observations(_write(tmp_path, "as_of: 2025-03-01\n"), BASELINE)
    with pytest.raises(ScenarioError, match=r"nowhere.yaml: no such file"):
        load_observations(tmp_path / "nowhere.yaml", BASELINE)


def test_the_readme_example_is_a_valid_observations_file():
    import re

    import yaml

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Forecasting: observe, forecast, score\n", 1)[1].split("\n## ", 1)[0]
    example = yaml.safe_load(re.findall(r"```yaml\n(.*?)```", section, flags=re.S)[0])
    observed = observations_from_data(example, BASELINE)
    assert set(observed.observations) == {"talks_go_on", "no_agreement", "assad_not_extradited", "relief"}
    assert not observed.observations["relief"].hard
    assert observed.questions["khmeimim_end_2025"].forecasts == {"market": 0.7}
