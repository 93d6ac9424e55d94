"""`basesim validate`, `basesim show` and `basesim schema`, in-process and once as a subprocess."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import jsonschema
import pytest
import yaml

from basesim.cli import main
from basesim.scenario.loader import load_scenario
from conftest import SCENARIOS

MINIMAL = SCENARIOS / "minimal.yaml"
SHIPPED = sorted(SCENARIOS.glob("*.yaml"))


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# --- validate --------------------------------------------------------------------------------------


def test_validate_prints_ok_and_a_summary(capsys):
    assert run(capsys, "validate", MINIMAL) == (
        0,
        f"OK {MINIMAL}: 1 issue (101 outcomes), 2 principals, 0 influencers, 0 events, 0 uncertain parameters\n",
        "",
    )


def test_validate_every_shipped_scenario(capsys):
    code, out, err = run(capsys, "validate", *SHIPPED)
    assert (code, err) == (0, "")
    assert [line.split(":")[0] for line in out.splitlines()] == [f"OK {p}" for p in SHIPPED]


def test_validate_reports_every_invalid_file_and_exits_2(capsys, scenario_variant):
    bad, (line,) = scenario_variant("minimal.yaml", (r"^  a:", r"patience: 0.9", "patience: 1.7"))
    code, out, err = run(capsys, "validate", bad, MINIMAL, SCENARIOS / "nowhere.yaml")
    assert code == 2
    assert out.startswith(f"OK {MINIMAL}: ")
    assert err.splitlines() == [
        f"error: {bad}:{line}: actors.a.patience: must be in (0, 1], got 1.7",
        f"error: {SCENARIOS / 'nowhere.yaml'}: no such file",
        "2 of 3 files invalid",
    ]


def test_validate_needs_a_file(capsys):
    code, _, err = run(capsys, "validate")
    assert code == 2
    assert "Missing argument 'FILE...'" in err


# --- show --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_show_prints_the_resolved_scenario_as_yaml(capsys, path):
    code, out, err = run(capsys, "show", path)
    assert (code, err) == (0, "")
    assert out.startswith(f"# {path.stem}: resolved from {path}\n")
    from basesim.scenario.loader import scenario_from_data

    assert scenario_from_data(yaml.safe_load(out)) == load_scenario(path)
    assert "extends" not in yaml.safe_load(out)


def test_show_applies_overrides(capsys):
    sets = ["actors.turkey.leverage.syria=0.4", "protocol.name=nash"]
    code, out, _ = run(capsys, "show", SCENARIOS / "baseline.yaml", "--set", sets[0], "--set", sets[1])
    assert code == 0
    assert out.splitlines()[1] == f"# with --set {sets[0]} --set {sets[1]}"
    shown = yaml.safe_load(out)
    assert shown["actors"]["turkey"]["leverage"] == {"syria": 0.4}
    assert shown["protocol"]["name"] == "nash"


def test_show_reports_a_bad_override_without_a_traceback(capsys):
    code, out, err = run(capsys, "show", MINIMAL, "--set", "actors.c.patience=0.5")
    assert (code, out) == (2, "")
    assert err == "error: --set: actors.c.patience: unknown actor 'c'; expected one of a, b\n"


def test_show_reports_every_problem_on_its_own_line(capsys, scenario_variant):
    bad, lines = scenario_variant(
        "minimal.yaml", (r"^  a:", r"patience: 0.9", "patience: 1.7"), (r"^  b:", r"patience: 0.9", "patience: -1")
    )
    code, _, err = run(capsys, "show", bad)
    assert code == 2
    assert err.splitlines() == [
        f"error: {bad}:{lines[0]}: actors.a.patience: must be in (0, 1], got 1.7",
        f"error: {bad}:{lines[1]}: actors.b.patience: must be in (0, 1], got -1",
    ]


def test_messages_with_brackets_survive_the_console(capsys, scenario_variant):
    # rich would read "[low, high]" as markup; the CLI must print it as written
    bad, (line,) = scenario_variant("minimal.yaml", (r"^  a:", r"patience: 0.9",
                                                     "patience: {dist: normal, mean: 2, sd: 1, low: 0, high: 1}"))
    code, _, err = run(capsys, "validate", bad)
    assert code == 2
    assert err == (f"error: {bad}:{line}: actors.a.patience: mean must lie in [low, high] "
                   "(got mean=2.0, low=0.0, high=1.0)\n")


def test_show_summary_tables(capsys):
    code, out, _ = run(capsys, "show", SCENARIOS / "turkey_presses.yaml", "--summary")
    assert code == 0
    for text in ("Issues", "Actors", "Protocol, events, outcomes, Monte Carlo", "Tartus naval base",
                 "influencer", "alternating_offers", "outcome russia_keeps_tartus", "10000 runs, seed 20250128"):
        assert text in out, text
    assert "uniform(0.25," in out  # Turkey's leverage in this alternative


# --- schema --------------------------------------------------------------------------------------------


def plain(data):
    """YAML data as an editor's YAML extension sees it (dates are strings)."""
    return json.loads(json.dumps(data, default=lambda v: v.isoformat() if isinstance(v, dt.date) else str(v)))


@pytest.fixture(scope="module")
def schema():
    from basesim.scenario.json_schema import scenario_json_schema

    return scenario_json_schema()


def test_schema_prints_json_schema(capsys, schema):
    code, out, err = run(capsys, "schema")
    assert (code, err) == (0, "")
    printed = json.loads(out)
    assert printed == schema
    assert printed["$schema"] == "http://json-schema.org/draft-07/schema#"  # what editors' YAML extensions read
    assert {"Scenario", "ScenarioPatch", "Actor", "ActorPatch", "Uniform"} <= set(printed["definitions"])
    jsonschema.Draft7Validator.check_schema(printed)
    assert printed["definitions"]["Actor"]["properties"]["patience"]["description"].startswith("Discount factor")


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_scenario_satisfies_the_schema(schema, path):
    jsonschema.Draft7Validator(schema).validate(plain(yaml.safe_load(path.read_text())))


def test_the_schema_catches_typos_in_full_and_derived_scenarios(schema):
    validator = jsonschema.Draft7Validator(schema)
    full = plain(yaml.safe_load((SCENARIOS / "baseline.yaml").read_text()))
    full["actors"]["syria"]["salence"] = full["actors"]["syria"].pop("salience")
    assert not validator.is_valid(full)
    derived = {"extends": "baseline.yaml", "actors": {"turkey": {"leverag": {"syria": 0.4}}}}
    assert not validator.is_valid(derived)
    assert validator.is_valid({"extends": "baseline.yaml", "actors": {"turkey": {"leverage": {"syria": 0.4}}}})
    assert not validator.is_valid({"title": "no issues, no actors, no extends"})
    # a distribution needs its 'dist' in a full scenario, but a patch may tune one parameter
    full = plain(yaml.safe_load((SCENARIOS / "baseline.yaml").read_text()))
    full["actors"]["russia"]["patience"] = {"low": 0.9, "high": 0.98}
    assert not validator.is_valid(full)
    assert validator.is_valid({"extends": "baseline.yaml", "actors": {"russia": {"patience": {"high": 0.995}}}})
    assert validator.is_valid({"extends": "baseline.yaml", "protocol": {"first_proposer": None}})


def test_schema_out_writes_the_file_atomically(capsys, tmp_path, schema):
    target = tmp_path / "scenario.schema.json"
    target.write_text("old")
    code, out, err = run(capsys, "schema", "--out", target)
    assert (code, out, err) == (0, "", f"wrote {target}\n")
    assert json.loads(target.read_text()) == schema
    assert [p.name for p in tmp_path.iterdir()] == ["scenario.schema.json"]  # no temporary file left


def test_schema_out_into_a_missing_folder(capsys, tmp_path):
    target = tmp_path / "nowhere" / "s.json"
    code, out, err = run(capsys, "schema", "--out", target)
    assert (code, out) == (2, "")
    assert err == f"error: {target}: cannot write: the folder {target.parent} does not exist\n"


# --- the real thing ----------------------------------------------------------------------------------


def test_python_m_basesim_validate_names_line_14_and_exits_2(scenario_variant):
    bad, (line,) = scenario_variant("minimal.yaml", (r"^  a:", r"^    salience:", "    salence:"))
    assert line == 14
    done = subprocess.run(
        [sys.executable, "-m", "basesim", "validate", str(bad)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == f"error: {bad}:14: actors.a: unknown key 'salence' (did you mean 'salience'?)\n"
    assert "Traceback" not in done.stderr


def test_help_lists_the_scenario_commands(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for command in ("validate", "show", "schema"):
        assert command in out
