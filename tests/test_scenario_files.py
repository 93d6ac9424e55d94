"""The shipped scenarios load, survive a dump, and the alternatives change only what they say."""

from __future__ import annotations

import re

import pytest
import yaml

from basesim.scenario.distributions import Dirichlet, Triangular, Uniform
from basesim.errors import ScenarioError
from basesim.scenario.loader import dump_scenario, load_scenario, scenario_from_data, scenario_hash, with_overrides
from conftest import SCENARIOS

SHIPPED = sorted(SCENARIOS.glob("*.yaml"))
ALTERNATIVES = [p for p in SHIPPED if "extends:" in p.read_text()]


def flat(data, prefix=""):
    """Nested data -> {dotted.path: leaf}."""
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            out.update(flat(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(data, list):
        out = {}
        for index, value in enumerate(data):
            out.update(flat(value, f"{prefix}.{index}"))
        return out
    return {prefix: data}


def test_the_promised_scenarios_are_shipped():
    names = {p.stem for p in SHIPPED}
    assert {"baseline", "minimal", "turkey_presses", "sanctions_relief", "africa_hub"} <= names
    assert len(ALTERNATIVES) >= 3


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_scenario_loads(path):
    scenario = load_scenario(path)
    assert scenario.name == path.stem
    assert len(scenario.principals) >= 2
    assert set(scenario.status_quo_levels) == set(scenario.issue_names)
    for alternative in scenario.breakdown_alternatives.values():
        assert set(alternative.levels) == set(scenario.issue_names)
    for actor in scenario.actors.values():
        assert set(actor.ideal_point) <= set(scenario.issue_names)


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_load_dump_load_is_the_identity(path):
    scenario = load_scenario(path)
    text = dump_scenario(scenario)
    again = scenario_from_data(yaml.safe_load(text))
    assert again == scenario
    assert scenario_hash(again) == scenario_hash(scenario)
    assert dump_scenario(again) == text


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_dump_loads_from_a_file_too(path, tmp_path):
    scenario = load_scenario(path)
    dumped = tmp_path / f"{path.stem}.yaml"
    dumped.write_text(dump_scenario(scenario))
    assert load_scenario(dumped) == scenario


# The paths each alternative may change relative to the baseline (besides name, title, description).
CHANGES = {
    "turkey_presses": ["actors.turkey.leverage.syria", "events.turkish_defence_pact"],
    "sanctions_relief": ["events.sanctions_relief"],
    "africa_hub": ["actors.russia.salience.alpha.khmeimim", "actors.russia.outside_option", "outcomes.air_base_lease"],
    "assad_restricted": ["actors.russia.ideal_point.extradition", "actors.russia.salience.alpha.extradition"],
}


@pytest.mark.parametrize("path", ALTERNATIVES, ids=[p.stem for p in ALTERNATIVES])
def test_alternatives_change_only_what_they_announce(path):
    assert path.stem in CHANGES, f"add {path.stem} to CHANGES"
    base = flat(load_scenario(SCENARIOS / "baseline.yaml").to_data())
    alternative = flat(load_scenario(path).to_data())
    changed = {k for k in base.keys() | alternative.keys() if base.get(k) != alternative.get(k)}
    changed -= {"name", "title", "description"}
    allowed = CHANGES[path.stem]
    assert changed, "an alternative must change something"

    def announced(key: str) -> bool:
        if key.startswith("sources.") or key.endswith(".source"):  # a changed number's source goes with it
            key = key.removeprefix("sources.").removesuffix(".source")
            return any(key == a or key.startswith(a + ".") or a.startswith(key + ".") for a in allowed)
        return any(key == a or key.startswith(a + ".") for a in allowed)

    assert all(announced(k) for k in changed), sorted(changed)


@pytest.mark.parametrize("path", ALTERNATIVES, ids=[p.stem for p in ALTERNATIVES])
def test_every_number_an_alternative_sets_is_commented(path):
    """Each line that sets a number has a comment on it or in the comment block just above."""
    lines = path.read_text().split("\n")
    commented_above = False
    in_description = False
    for number, line in enumerate(lines, 1):
        code = line.split("#", 1)[0]
        if line.strip().startswith("#"):
            commented_above = True
            continue
        if re.match(r"^\S", line):
            in_description = code.strip().startswith("description:")
        elif in_description:
            continue
        if re.search(r":\s.*\d", code) and "#" not in line and not commented_above:
            pytest.fail(f"{path.name}:{number}: a number without a rationale: {line.strip()}")
        if code.strip():
            commented_above = commented_above and code.strip().endswith(":")


def test_the_alternatives_move_the_parameters_the_way_their_titles_say():
    base = load_scenario(SCENARIOS / "baseline.yaml")
    turkey = load_scenario(SCENARIOS / "turkey_presses.yaml")
    relief = load_scenario(SCENARIOS / "sanctions_relief.yaml")
    africa = load_scenario(SCENARIOS / "africa_hub.yaml")

    def mean(value):
        return value.mean() if hasattr(value, "mean") else float(value)

    assert mean(turkey.actors["turkey"].leverage["syria"]) > mean(base.actors["turkey"].leverage["syria"])
    assert turkey.events["turkish_defence_pact"].probability > base.events["turkish_defence_pact"].probability
    event = relief.events["sanctions_relief"]
    assert event.probability == 1.0 and event.month == 1
    assert event.add["actors.syria.outside_option"] > base.events["sanctions_relief"].add["actors.syria.outside_option"]
    alpha, base_alpha = africa.actors["russia"].salience.alpha, base.actors["russia"].salience.alpha
    assert alpha["khmeimim"] / sum(alpha.values()) > base_alpha["khmeimim"] / sum(base_alpha.values())


# --- extends and overrides -------------------------------------------------------------------


def write(folder, name, text):
    path = folder / name
    path.write_text(text)
    return path


def test_extends_merges_mappings_and_null_deletes(tmp_path):
    write(tmp_path, "base.yaml", (SCENARIOS / "minimal.yaml").read_text())
    child = write(tmp_path, "child.yaml", "extends: base.yaml\nactors:\n  a: {patience: 0.8}\nprotocol: {rounds: null}\n")
    scenario = load_scenario(child)
    assert scenario.name == "child"  # the base's name is not inherited
    assert scenario.actors["a"].patience == 0.8
    assert scenario.actors["a"].ideal_point == {"share": 1.0}  # merged, not replaced
    assert scenario.protocol.name == "equilibrium"
    assert scenario.protocol.rounds == 12  # deleted: back to the default


def test_extends_replaces_a_distribution_whole_but_can_tune_its_parameters(tmp_path):
    write(tmp_path, "base.yaml", (SCENARIOS / "baseline.yaml").read_text())
    child = write(
        tmp_path,
        "child.yaml",
        "extends: base.yaml\nactors:\n"
        "  russia:\n    patience: {high: 0.995}\n    concession: {dist: uniform, low: 0.2, high: 0.6}\n"
        "    salience: {extradition: 1, compensation: 1, tartus: 1, khmeimim: 1}\n",
    )
    base, russia = load_scenario(tmp_path / "base.yaml").actors["russia"], load_scenario(child).actors["russia"]
    assert russia.patience == Uniform(low=base.patience.low, high=0.995)
    assert isinstance(base.concession, Triangular) and russia.concession == Uniform(low=0.2, high=0.6)
    assert isinstance(base.salience, Dirichlet) and russia.salience == {k: 1.0 for k in base.ideal_point}


def test_a_derived_scenario_can_be_extended_again(tmp_path):
    # an absolute path works as well as a relative one
    grandchild = write(tmp_path, "g.yaml", f"extends: {SCENARIOS / 'turkey_presses.yaml'}\nmonte_carlo: {{runs: 50}}\n")
    scenario = load_scenario(grandchild)
    assert scenario.monte_carlo.runs == 50
    assert scenario.actors["turkey"].leverage["syria"] == Uniform(low=0.25, high=0.5)


def test_overrides_go_through_the_same_validation_and_change_the_hash():
    base = load_scenario(SCENARIOS / "baseline.yaml")
    pressed = load_scenario(SCENARIOS / "baseline.yaml", overrides=["actors.turkey.leverage.syria=0.4"])
    assert pressed.actors["turkey"].leverage["syria"] == 0.4
    assert scenario_hash(pressed) != scenario_hash(base)
    assert with_overrides(base, {"actors.turkey.leverage.syria": 0.4}) == pressed
    assert with_overrides(base, None) is base
    dist = load_scenario(SCENARIOS / "baseline.yaml", overrides=["protocol.breakdown_risk={dist: beta, a: 1, b: 30, high: 0.5}"])
    assert dist.protocol.breakdown_risk.dist == "beta"
    with pytest.raises(ScenarioError):
        with_overrides(base, {"actors.turkey.leverage.syria": 2})


def test_an_override_can_add_an_actor():
    scenario = load_scenario(
        SCENARIOS / "baseline.yaml",
        overrides=["actors.israel={role: influencer, ideal_point: {tartus: full lease}, salience: {tartus: 1}, "
                   "leverage: {syria: 0.05}}"],
    )
    assert scenario.influencers == ["turkey", "israel"]


def test_the_format_guide_examples_are_valid(tmp_path):
    """Every YAML example of the README's scenario-format section parses; the first is a whole scenario."""
    readme = (SCENARIOS.parent / "README.md").read_text()
    guide = readme.split("\n## The scenario format\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```yaml\n(.*?)```", guide, flags=re.S)
    assert len(blocks) >= 8
    for block in blocks:
        yaml.safe_load(block)
    first = write(tmp_path, "first.yaml", blocks[0])
    assert load_scenario(first) == load_scenario(SCENARIOS / "minimal.yaml")
    # the pieces fit into the baseline
    data = yaml.safe_load((SCENARIOS / "baseline.yaml").read_text())
    pieces = {}
    for block in blocks[1:]:
        if "extends" not in (piece := yaml.safe_load(block) or {}):
            pieces.update({k: v for k, v in piece.items() if k not in pieces})
    for key in ("protocol", "events", "outcomes", "monte_carlo", "status_quo", "breakdown"):
        data[key] = pieces[key]
    data["issues"]["compensation"] = pieces["issues"]["compensation"]
    data["actors"] = {**pieces["actors"], "russia": data["actors"]["russia"]}
    scenario_from_data(data)
