"""Every kind of bad scenario input gives its exact message at the right line.

Bad files are copies of the shipped scenarios with one or a few lines edited
(the ``scenario_variant`` fixture); the expected line is the edited one.
"""

from __future__ import annotations

import pytest

from basesim.errors import ScenarioError
from basesim.scenario.loader import load_scenario, parse_override, scenario_from_data

DISTS = "uniform, normal, beta, triangular, integers, choice"
DIST_HINT = f"(a distribution is a mapping with 'dist' one of {DISTS})"
LEVELS = "withdrawal, logistics only, reduced lease, full lease"
ISSUES = "extradition, compensation, tartus, khmeimim"


def problems(path, overrides=None) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, overrides=overrides)
    assert str(caught.value) == "\n".join(str(p) for p in caught.value.problems)
    return [str(p) for p in caught.value.problems]


# (id, edits as (anchor, pattern, replacement), expected "dotted.path: message" at the edited line)
SINGLE = [
    # unknown keys, with "did you mean"
    ("unknown key", [(r"^  syria:", r"^    salience:", "    salence:")],
     "actors.syria: unknown key 'salence' (did you mean 'salience'?)"),
    ("unknown top-level key", [(None, r"^protocol:", "protocl:")],
     "unknown key 'protocl' (did you mean 'protocol'?)"),
    ("unknown distribution key", [(r"^  russia:", r"patience: \{dist: uniform, low:", "patience: {dist: uniform, lo:")],
     "actors.russia.patience: unknown key 'lo' (did you mean 'low'?)"),
    ("unknown key without a close match", [(r"^  russia:", r"^    belief_noise:", "    mood:")],
     "actors.russia: unknown key 'mood'; allowed keys are label, role, ideal_point, salience, leverage, "
     "power, no_deal, outside_option, concession, patience, belief_noise, delay_cost, deadline, learning_time, "
     "utility_curve, color"),
    # wrong types
    ("text for a number", [(r"^  russia:", r"patience: .*", "patience: high")],
     f"actors.russia.patience: must be a number or a distribution, got 'high' {DIST_HINT}"),
    ("a list for a number", [(r"^  russia:", r"belief_noise: [0-9.]+", "belief_noise: [0.1]")],
     f"actors.russia.belief_noise: must be a number or a distribution, got [0.1] {DIST_HINT}"),
    ("true for a number", [(r"^  russia:", r"belief_noise: [0-9.]+", "belief_noise: true")],
     f"actors.russia.belief_noise: must be a number or a distribution, got true {DIST_HINT}"),
    ("a quoted number", [(r"^  russia:", r"belief_noise: [0-9.]+", "belief_noise: '0.1'")],
     "actors.russia.belief_noise: must be a number or a distribution, got '0.1' "
     "(text, because it is quoted; write numbers without quotes)"),
    ("an exponent YAML reads as text", [(r"^monte_carlo:", r"runs: \d+", "runs: 1e4")],
     "monte_carlo.runs: must be a whole number, got '1e4' (YAML reads 1e4 as text; write 10000 or 1.0e+4)"),
    ("text for a whole number", [(r"^protocol:", r"rounds: \d+", "rounds: twelve")],
     "protocol.rounds: must be a whole number, got 'twelve'"),
    ("a fraction for a whole number", [(r"^protocol:", r"rounds: \d+", "rounds: 12.5")],
     "protocol.rounds: must be a whole number, got 12.5"),
    ("text for a mapping", [(None, r"^no_deal:.*", "no_deal: withdrawal")],
     "no_deal: must be a mapping (KEY: VALUE lines or {KEY: VALUE, ...}), got 'withdrawal'"),
    ("unknown role", [(r"^  russia:", r"role: principal", "role: princpal")],
     "actors.russia.role: must be one of principal, influencer, got 'princpal' (did you mean 'principal'?)"),
    ("unknown protocol", [(r"^protocol:", r"name: \w+", "name: alternate")],
     "protocol.name: 'alternate' is not a protocol; expected one of alternating_offers, equilibrium, nash, expected_utility"),
    ("bad round length", [(r"^protocol:", r"round_length: .*", "round_length: monthly")],
     "protocol.round_length: must be 'N unit' with N >= 1 and unit one of day, week, month, quarter, year "
     "(e.g. '1 month'), got 'monthly'"),
    ("impossible date", [(r"^protocol:", r"start_date: .*", "start_date: 2025-02-31")],
     "protocol.start_date: '2025-02-31' cannot be read: day is out of range for month"),
    ("a date that is not one", [(r"^outcomes:", r"by: [0-9-]+", "by: soon")],
     "outcomes.deal_by_end_2025.by: must be a date written YYYY-MM-DD, got 'soon'"),
    ("a bad ideal point", [(r"^  syria:", r"compensation: [0-9.]+", "compensation: [1]")],
     "actors.syria.ideal_point.compensation: must be a level label, a number in [0, 1] or a distribution, "
     f"got [1] {DIST_HINT}"),
    ("a bad level reference", [(None, r"^no_deal:", "no_deal: {extradition: [0], compensation: none, "
                                "tartus: withdrawal, khmeimim: withdrawal}  #")],
     "no_deal.extradition: must be a level label or a level's value in [0, 1], got [0]"),
    # values out of range
    ("out of range", [(r"^  russia:", r"patience: .*", "patience: 1.7")],
     "actors.russia.patience: must be in (0, 1], got 1.7"),
    ("negative weight", [(r"^  turkey:", r"salience: \{extradition: [0-9.]+", "salience: {extradition: -0.05")],
     "actors.turkey.salience.extradition: must be >= 0, got -0.05"),
    ("breakdown risk of 1", [(r"^protocol:", r"breakdown_risk: .*", "breakdown_risk: 1")],
     "protocol.breakdown_risk: must be in [0, 1), got 1"),
    ("ideal point above 1", [(r"^  syria:", r"compensation: [0-9.]+", "compensation: 1.5")],
     "actors.syria.ideal_point.compensation: must be in [0, 1], got 1.5"),
    ("leverage above 1", [(r"^  turkey:", r"leverage: .*", "leverage: {syria: 1.4}")],
     "actors.turkey.leverage.syria: must be in [0, 1], got 1.4"),
    ("event probability above 1", [(r"^  turkish_defence_pact:", r"probability: .*", "probability: 1.3")],
     "events.turkish_defence_pact.probability: must be in [0, 1], got 1.3"),
    ("no runs", [(r"^monte_carlo:", r"runs: \d+", "runs: 0")],
     "monte_carlo.runs: must be >= 1, got 0"),
    ("negative seed", [(r"^monte_carlo:", r"seed: \d+", "seed: -5")],
     "monte_carlo.seed: must be >= 0, got -5"),
    ("a distribution reaching out of range", [(r"^  russia:", r"patience: .*", "patience: {dist: uniform, low: 0.9, high: 1.2}")],
     "actors.russia.patience: the distribution's values must lie in (0, 1], but its support is [0.9, 1.2] "
     "(give low and high to bound it)"),
    ("an unbounded normal", [(r"^  russia:", r"belief_noise: [0-9.]+", "belief_noise: {dist: normal, mean: 0.1, sd: 0.1}")],
     "actors.russia.belief_noise: the distribution's values must lie in [0, 1], but its support is [-inf, inf] "
     "(give low and high to bound it)"),
    ("an event after the last round", [(r"^  turkish_defence_pact:", r"round: .*", "round: {dist: integers, low: 4, high: 14}")],
     "events.turkish_defence_pact.round: can reach round 14; rounds run 0..11"),
    # saliences that cannot be normalised
    ("zero saliences", [(r"^  turkey:", r"salience: .*", "salience: {extradition: 0, compensation: 0, tartus: 0, khmeimim: 0}")],
     "actors.turkey.salience: cannot be normalised: the weights are all zero; give at least one positive weight"),
    ("salience as a list", [(r"^  turkey:", r"salience: .*", "salience: [0.1, 0.2, 0.3, 0.4]")],
     "actors.turkey.salience: must be a mapping from issue to weight (numbers or distributions, normalised to "
     "sum 1) or {dist: dirichlet, alpha: {ISSUE: WEIGHT, ...}}, got [0.1, 0.2, 0.3, 0.4]"),
    # unknown names referenced
    ("unknown principal", [(r"^  turkey:", r"leverage: \{syria:", "leverage: {syra:")],
     "actors.turkey.leverage.syra: unknown principal 'syra' (did you mean 'syria'?); expected one of syria, russia"),
    ("unknown level label", [(r"^  russia:", r"tartus: full lease", "tartus: full leese")],
     f"actors.russia.ideal_point.tartus: 'full leese' is not a level of this issue (did you mean 'full lease'?); "
     f"expected one of {LEVELS}"),
    ("unknown level in an outcome", [(r"^outcomes:", r"at_least: logistics only", "at_least: logistic only")],
     "outcomes.russia_keeps_tartus.at_least: 'logistic only' is not a level of this issue (did you mean "
     f"'logistics only'?); expected one of {LEVELS}"),
    ("a value between levels", [(r"^outcomes:", r"at_least: logistics only", "at_least: 0.5")],
     "outcomes.russia_keeps_tartus.at_least: 0.5 is not the value of a level of this issue (nearest: 0.333333 "
     "('logistics only') or 0.666667 ('reduced lease')); give a level label or one of 0, 0.333333, 0.666667, 1"),
    ("unknown issue in an outcome", [(r"^outcomes:", r"issue: tartus", "issue: tartous")],
     f"outcomes.russia_keeps_tartus.issue: unknown issue 'tartous' (did you mean 'tartus'?); expected one of {ISSUES}"),
    ("unknown event target", [(r"^  sanctions_relief:", r"outside_option:", "outside_opton:")],
     "events.sanctions_relief.add.actors.syria.outside_opton: unknown parameter 'outside_opton' (did you mean "
     "'outside_option'?); expected one of power, outside_option, concession, patience, belief_noise, "
     "delay_cost, deadline, learning_time, ideal_point, salience, leverage"),
    ("influencer as first proposer", [(r"^protocol:", r"first_proposer: \w+", "first_proposer: turkey")],
     "protocol.first_proposer: 'turkey' is an influencer; the first proposer must be a principal: one of syria, russia"),
    ("no-deal level missing", [(None, r"^no_deal:", "no_deal: {extradition: shelter, compensation: none, "
                                "tartus: withdrawal}  #")],
     "no_deal: must give a level for every issue; missing khmeimim"),
    # bad distribution parameters
    ("unknown distribution", [(r"^  syria:", r"concession: \{dist: triangular", "concession: {dist: triangle")],
     f"actors.syria.concession: unknown distribution 'triangle' (did you mean 'triangular'?); expected one of {DISTS}"),
    ("a mapping without dist", [(r"^  syria:", r"concession: \{dist: triangular,", "concession: {")],
     f"actors.syria.concession: must be a number or a distribution, got {{low: 0.3, mode: 0.6, high: 1.2}}; "
     f"a distribution needs 'dist' (one of {DISTS})"),
    ("triangular mode above high", [(r"^  syria:", r"concession: .*", "concession: {dist: triangular, low: 0.3, mode: 1.6, high: 1.2}")],
     "actors.syria.concession: need low <= mode <= high and low < high (got low=0.3, mode=1.6, high=1.2)"),
    ("uniform low above high", [(r"^  syria:", r"patience: .*", "patience: {dist: uniform, low: 0.98, high: 0.9}")],
     "actors.syria.patience: low must be below high (got low=0.98, high=0.9)"),
    ("negative sd", [(r"^  russia:", r"belief_noise: [0-9.]+", "belief_noise: {dist: normal, mean: 0.1, sd: -1, low: 0, high: 1}")],
     "actors.russia.belief_noise.sd: must be > 0, got -1"),
    ("normal mean outside its bounds", [(r"^  russia:", r"belief_noise: [0-9.]+", "belief_noise: {dist: normal, mean: 2, sd: 1, low: 0, high: 1}")],
     "actors.russia.belief_noise: mean must lie in [low, high] (got mean=2.0, low=0.0, high=1.0)"),
    ("beta with a = 0", [(r"^  russia:", r"belief_noise: [0-9.]+", "belief_noise: {dist: beta, a: 0, b: 2}")],
     "actors.russia.belief_noise.a: must be > 0, got 0"),
    ("dirichlet with a negative alpha", [(r"^  syria:", r"alpha: \{extradition: \d+", "alpha: {extradition: -3")],
     "actors.syria.salience.alpha.extradition: must be > 0, got -3"),
    ("choice with too few weights", [(r"^  russia:", r"belief_noise: [0-9.]+", "belief_noise: {dist: choice, values: [0.1, 0.2], weights: [1]}")],
     "actors.russia.belief_noise: weights must have one entry per value (got 1 weights for 2 values)"),
    ("integers reversed", [(r"^  turkish_defence_pact:", r"round: .*", "round: {dist: integers, low: 9, high: 4}")],
     "events.turkish_defence_pact.round: low must not exceed high (got low=9, high=4)"),
    # issues
    ("range reversed", [(r"^  tartus:", r"levels: .*", "range: {min: 20, max: 0, steps: 4}")],
     "issues.tartus.range: min must be below max (got min=20, max=0)"),
    ("one step", [(r"^  tartus:", r"levels: .*", "range: {min: 0, max: 20, steps: 1}")],
     "issues.tartus.range.steps: must be >= 2, got 1"),
    ("one level", [(r"^  tartus:", r"levels: .*", "levels: [withdrawal]")],
     "issues.tartus.levels: must have at least 2 items, got 1"),
    ("repeated level", [(r"^  tartus:", r"levels: .*", "levels: [withdrawal, withdrawal, full lease]")],
     "issues.tartus.levels: level labels must be distinct; 'withdrawal' appears more than once"),
    ("a level entry of the wrong kind", [(r"^  tartus:", r"levels: .*", "levels: [withdrawal, [x], full lease]")],
     "issues.tartus.levels.1: must be a level label or a mapping {label: ..., value: ..., amount: ...}, got [x]"),
    ("unknown key in a level", [(r"^  compensation:", r"\{label: 2 \$bn, amount: 2,", "{label: 2 $bn, amont: 2,")],
     "issues.compensation.levels.2: unknown key 'amont' (did you mean 'amount'?)"),
    ("duplicate key", [(r"^  russia:", r"^    belief_noise: ([0-9.]+)", r"    belief_noise: \1\n    belief_noise: 0.2")],
     None),  # checked below: the duplicate is one line further down
]


@pytest.mark.parametrize("edits, expected", [pytest.param(e, m, id=i) for i, e, m in SINGLE if m])
def test_bad_input_gives_its_message_at_the_edited_line(scenario_variant, edits, expected):
    path, (line,) = scenario_variant("baseline_v1.yaml", *edits)
    assert problems(path) == [f"{path}:{line}: {expected}"]


def test_level_values_out_of_order_are_reported_at_the_levels_key(scenario_variant):
    path, (levels, _) = scenario_variant(
        "baseline_v1.yaml",
        (r"^  compensation:", r"^    levels:", "    levels:"),
        (r"^  compensation:", r"value: 0.5\}", "value: 0.2}"),
    )
    assert problems(path) == [
        f"{path}:{levels}: issues.compensation.levels: level values must increase along the list "
        "(got 0, 0.35, 0.2, 0.7, 0.85, 1)"
    ]


def test_duplicate_key(scenario_variant):
    path, (line,) = scenario_variant("baseline_v1.yaml", (r"^  russia:", r"^    belief_noise: ([0-9.]+)",
                                                       r"    belief_noise: \1\n    belief_noise: 0.2"))
    assert problems(path) == [
        f"{path}:{line + 1}: actors.russia.belief_noise: duplicate key 'belief_noise' (first written at line {line})"
    ]


def test_typo_at_line_14_of_the_minimal_scenario(scenario_variant):
    path, (line,) = scenario_variant("minimal.yaml", (r"^  a:", r"^    salience:", "    salence:"))
    assert line == 14
    assert problems(path) == [f"{path}:14: actors.a: unknown key 'salence' (did you mean 'salience'?)"]


# --- YAML syntax -------------------------------------------------------------------------


def test_unclosed_bracket(scenario_variant):
    path, (line,) = scenario_variant("baseline_v1.yaml", (r"^  syria:", r'color: "', 'color: ["'))
    assert problems(path) == [
        f"{path}:{line + 1}: YAML syntax error: expected ',' or ']', but got '<scalar>' "
        f"(parsing a flow sequence at line {line})"
    ]


def test_tab_indentation(scenario_variant):
    path, (line,) = scenario_variant("baseline_v1.yaml", (r"^  russia:", r"^    belief_noise", "\tbelief_noise"))
    assert problems(path) == [
        f"{path}:{line}: YAML syntax error: found character '\\t' that cannot start any token "
        "(YAML indents with spaces, not tabs)"
    ]


def test_bad_indentation(scenario_variant):
    path, (russia, line) = scenario_variant(
        "baseline_v1.yaml", (None, r"^  russia:", "  russia:"), (r"^  russia:", r"^    belief_noise", "      belief_noise")
    )
    # the parser names the mapping it was in: russia's, whose first key is on the line after "russia:"
    assert problems(path) == [
        f"{path}:{line}: YAML syntax error: expected <block end>, but found '<block mapping start>' "
        f"(check this line's indentation, or an unclosed quote above it; parsing a block mapping at line {russia + 1})"
    ]


def test_empty_file_and_not_a_mapping(tmp_path):
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing yet\n")
    assert problems(empty) == [f"{empty}:1: the file is empty; a scenario needs issues, actors and no_deal"]
    listed = tmp_path / "list.yaml"
    listed.write_text("- issues\n- actors\n")
    assert problems(listed) == [f"{listed}:1: a scenario must be a mapping of keys (issues, actors, ...)"]


def test_missing_file(tmp_path):
    assert problems(tmp_path / "nowhere.yaml") == [f"{tmp_path / 'nowhere.yaml'}: no such file"]


# --- missing sections ------------------------------------------------------------------------


def test_no_issues(scenario_variant):
    # Replace the issues section by an empty mapping (its entries become comments).
    path, (line,) = scenario_variant("baseline_v1.yaml", (None, r"^issues:$", "issues: {}"))
    text = path.read_text().split("\n")
    for i in range(line, len(text)):
        if text[i] and not text[i].startswith((" ", "#")):
            break
        text[i] = "#" + text[i]
    path.write_text("\n".join(text))
    assert problems(path) == [f"{path}:{line}: issues: must not be empty (give at least 1 entry)"]


def test_no_principals(scenario_variant):
    path, (line, role) = scenario_variant(
        "minimal.yaml", (None, r"^actors:", "actors:"), (r"^  b:", r"role: principal", "role: influencer")
    )
    found = problems(path)
    assert found[0] == f"{path}:{line}: actors: needs at least two principals (role: principal), got 1 (a)"
    # b's principal-only settings are reported too, each at its own line
    assert found[1:] == [
        f"{path}:{role + 3}: actors.b.outside_option: b is an influencer; only principals have outside_option",
        f"{path}:{role + 4}: actors.b.delay_cost: b is an influencer; only principals have delay_cost",
        f"{path}:{role + 5}: actors.b.patience: b is an influencer; only principals have patience",
    ]


def test_missing_required_keys(scenario_variant):
    path, (line,) = scenario_variant("baseline_v1.yaml", (r"^  turkey:", r"^    role: influencer", "    # no role"))
    assert problems(path) == [f"{path}:{line - 2}: actors.turkey: missing required key 'role'"]


def test_leverage_over_one_principal_cannot_sum_past_one(scenario_variant):
    path, (actors, _, _) = scenario_variant(
        "baseline_v1.yaml",
        (None, r"^actors:", "actors:"),
        (r"^  turkey:", r"leverage: .*", "leverage: {syria: 0.9}"),
        (r"^  turkey:", r"^    color: .*", r"\g<0>\n  israel: {role: influencer, "
         "ideal_point: {tartus: full lease}, salience: {tartus: 1}, leverage: {syria: 0.3}}"),
    )
    assert problems(path) == [
        f"{path}:{actors}: actors: the leverage over 'syria' can sum to 1.2 (turkey up to 0.9, israel up to 0.3); "
        "the total must be <= 1"
    ]


# --- every problem at once ----------------------------------------------------------------------


def test_all_problems_of_a_file_are_reported_at_once_in_line_order(scenario_variant):
    path, lines = scenario_variant(
        "baseline_v1.yaml",
        (r"^  syria:", r"tartus: \{dist", "tartos: {dist"),
        (r"^  syria:", r"^    salience:", "    salence:"),
        (r"^  syria:", r"belief_noise: [0-9.]+", "belief_noise: 1.5"),
        (r"^  russia:", r"tartus: full lease", "tartus: full leese"),
        (r"^protocol:", r"first_proposer: \w+", "first_proposer: syra"),
    )
    assert problems(path) == [
        f"{path}:{lines[0]}: actors.syria.ideal_point.tartos: unknown issue 'tartos' (did you mean 'tartus'?); "
        f"expected one of {ISSUES}",
        f"{path}:{lines[1]}: actors.syria: unknown key 'salence' (did you mean 'salience'?)",
        f"{path}:{lines[2]}: actors.syria.belief_noise: must be in [0, 1], got 1.5",
        f"{path}:{lines[3]}: actors.russia.ideal_point.tartus: 'full leese' is not a level of this issue "
        f"(did you mean 'full lease'?); expected one of {LEVELS}",
        f"{path}:{lines[4]}: protocol.first_proposer: unknown principal 'syra' (did you mean 'syria'?); "
        "expected one of syria, russia",
    ]


# --- extends ----------------------------------------------------------------------------------------


def test_extends_cycle(tmp_path):
    (tmp_path / "a.yaml").write_text("extends: b.yaml\ntitle: A\n")
    (tmp_path / "b.yaml").write_text("# B\nextends: a.yaml\n")
    assert problems(tmp_path / "a.yaml") == [
        f"{tmp_path / 'b.yaml'}:2: extends: 'a.yaml' makes a cycle of extends: a.yaml -> b.yaml -> a.yaml"
    ]
    (tmp_path / "self.yaml").write_text("extends: self.yaml\n")
    assert problems(tmp_path / "self.yaml") == [
        f"{tmp_path / 'self.yaml'}:1: extends: 'self.yaml' makes a cycle of extends: self.yaml -> self.yaml"
    ]


def test_extends_missing_file(tmp_path):
    (tmp_path / "a.yaml").write_text("title: A\nextends: nothere.yaml\n")
    assert problems(tmp_path / "a.yaml") == [
        f"{tmp_path / 'a.yaml'}:2: extends: no such file 'nothere.yaml' (looked in {tmp_path})"
    ]


def test_extends_not_a_file_name(tmp_path):
    (tmp_path / "a.yaml").write_text("extends: [baseline.yaml]\n")
    assert problems(tmp_path / "a.yaml") == [f"{tmp_path / 'a.yaml'}:1: extends: must be a file name, got ['baseline.yaml']"]


def test_problems_in_a_derived_file_point_at_the_file_that_wrote_them(scenario_variant):
    base, (base_line,) = scenario_variant("baseline.yaml", (r"^  russia:", r"tartus: full lease", "tartus: full leese"),
                                          name="baseline.yaml")
    derived, (line,) = scenario_variant("turkey_presses.yaml", (r"^  turkey:", r"low: 0.25", "low: -0.25"))
    assert problems(derived) == [
        f"{derived}:{line}: actors.turkey.leverage.syria: the distribution's values must lie in [0, 1], but its "
        "support is [-0.25, 0.5] (give low and high to bound it)",
        f"{base}:{base_line}: actors.russia.ideal_point.tartus: 'full leese' is not a level of this issue "
        f"(did you mean 'full lease'?); expected one of {LEVELS}",
    ]


# --- overrides (--set) ----------------------------------------------------------------------------


BASELINE_OVERRIDES = [
    ("actors.turky.leverage.syria=0.4",
     "--set: actors.turky.leverage.syria: unknown actor 'turky' (did you mean 'turkey'?); expected one of "
     "syria, russia, turkey"),
    ("actors.turkey.leverag.syria=0.4", "--set: actors.turkey: unknown key 'leverag' (did you mean 'leverage'?)"),
    ("actors.turkey.leverage.syria=abc",
     f"--set: actors.turkey.leverage.syria: must be a number or a distribution, got 'abc' {DIST_HINT}"),
    ("actors.turkey.leverage.syria=1.4", "--set: actors.turkey.leverage.syria: must be in [0, 1], got 1.4"),
    ("actors.turkey.leverage.syria",
     "--set: bad override 'actors.turkey.leverage.syria'; expected PATH=VALUE, e.g. actors.turkey.leverage.syria=0.4"),
    ("actors.russia.patience=[1",
     "--set: actors.russia.patience: cannot read the value '[1' as YAML: expected ',' or ']', but got '<stream end>'"),
    ("protocol.rounds.x=3",
     "--set: protocol.rounds.x: cannot set inside 'protocol.rounds', which is a value (24), not a mapping"),
    ("events.pact.round=3",
     "--set: events.pact.round: unknown event 'pact'; expected one of sanctions_relief, turkish_defence_pact"),
    ("issues.tartus.levels.9=x", "--set: issues.tartus.levels.9: '9' is not an index of this list"),
]


@pytest.mark.parametrize("override, expected", BASELINE_OVERRIDES, ids=[o for o, _ in BASELINE_OVERRIDES])
def test_bad_override(override, expected):
    from conftest import SCENARIOS

    assert problems(SCENARIOS / "baseline.yaml", [override]) == [expected]


def test_overrides_as_a_mapping_are_validated_the_same_way():
    from conftest import SCENARIOS

    assert problems(SCENARIOS / "minimal.yaml", {"actors.a.patience": 0}) == [
        "--set: actors.a.patience: must be in (0, 1], got 0"
    ]


def test_parse_override_reads_yaml_values():
    assert parse_override("actors.turkey.leverage.syria=0.4") == ("actors.turkey.leverage.syria", 0.4)
    assert parse_override("a.b={dist: uniform, low: 0, high: 1}") == ("a.b", {"dist": "uniform", "low": 0, "high": 1})
    assert parse_override("protocol.first_proposer=russia") == ("protocol.first_proposer", "russia")


def test_scenario_from_data_reports_paths_without_lines():
    with pytest.raises(ScenarioError) as caught:
        scenario_from_data({"issues": {}, "actors": {}, "no_deal": {}})
    assert [str(p) for p in caught.value.problems] == [
        "<data>: issues: must not be empty (give at least 1 entry)",
        "<data>: actors: must not be empty (give at least 1 entry)",
    ]
