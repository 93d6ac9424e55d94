"""The what-if behind the live page (no browser): inputs, sliders, the --set box, the derived file, the numbers.

The browser itself is tested in ``test_live_page.py``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from basesim.errors import OutputError, ScenarioError
from basesim.montecarlo.runner import run
from basesim.scenario.loader import load_scenario, with_overrides
from basesim.scenario.sampling import uncertain_parameters
from basesim.views import whatif

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
LEVERAGE = "actors.turkey.leverage.syria"


@pytest.fixture(scope="module")
def baseline():
    return load_scenario(BASELINE)


@pytest.fixture(scope="module")
def inputs(baseline):
    return {item.path: item for item in whatif.scenario_inputs(baseline)}


def test_every_uncertain_parameter_and_event_chance_is_an_input(baseline, inputs):
    expected = set(uncertain_parameters(baseline)) | {f"events.{name}.probability" for name in baseline.events}
    assert set(inputs) == expected
    leverage = inputs[LEVERAGE]
    assert leverage.label == "Turkey's leverage over Syria"
    assert leverage.value == {"dist": "uniform", "low": 0.05, "high": 0.3}
    assert leverage.source == baseline.source_of(LEVERAGE) and leverage.source
    assert leverage.allowed == (0.0, 1.0, False, False)
    assert inputs["actors.syria.deadline"].allowed[2:] == (True, True)  # deadline > 0, open ends
    # read from the schema's own range validators (the ranges its messages name)
    assert inputs["actors.syria.patience"].allowed == (0.0, 1.0, True, False)                  # in (0, 1]
    assert inputs["protocol.breakdown_risk"].allowed == (0.0, 1.0, False, True)                # in [0, 1)
    assert inputs["actors.syria.ideal_point.tartus"].allowed == (0.0, 1.0, False, False)       # in [0, 1]
    assert inputs["events.sanctions_relief.month"].allowed == (0.0, math.inf, False, True)     # >= 0
    assert inputs["breakdown.alternatives.expelled.probability"].allowed == (0.0, 1.0, False, False)


def test_sliders_show_the_scenario_value_exactly_and_stay_in_range(inputs):
    for item in inputs.values():
        limits = whatif.slider_limits(item)
        ends = whatif.span(item.value)
        if limits is None:
            assert isinstance(item.value, dict) and item.value["dist"] == "dirichlet"
            continue
        low, high, step = limits
        lo, hi, lo_open, hi_open = item.allowed
        assert (lo < low if lo_open else lo <= low) and (high < hi if hi_open else high <= hi), item.path
        assert low <= ends[0] <= ends[1] <= high, item.path
        # first shown, the slider does not move the value: both ends lie on the slider's grid
        for end in ends:
            assert abs(end / step - round(end / step)) < 1e-6, (item.path, end, step)
        if isinstance(item.value, dict) and item.value["dist"] in ("uniform", "triangular"):
            assert whatif.with_span(item.value, *ends, step=step) == item.value, item.path


def test_moving_a_range_keeps_the_shape_of_the_distribution():
    triangular = {"dist": "triangular", "low": 0.2, "mode": 0.5, "high": 1.0}
    moved = whatif.with_span(triangular, 0.4, 1.2, step=0.1)
    assert moved == {"dist": "triangular", "low": 0.4, "mode": 0.7, "high": 1.2}  # the mode keeps its place
    assert whatif.with_span(0.35, 0.35, 0.35, step=0.01) == 0.35
    assert whatif.with_span(0.35, 0.2, 0.5, step=0.01) == {"dist": "uniform", "low": 0.2, "high": 0.5}
    assert whatif.with_span({"dist": "integers", "low": 2, "high": 5}, 3, 9, step=1.0) == \
        {"dist": "integers", "low": 3, "high": 9}
    normal = whatif.with_span({"dist": "normal", "mean": 1.0, "sd": 0.5}, 1.0, 4.0, step=0.1)
    assert normal == {"dist": "normal", "mean": 2.5, "sd": 0.75}  # the range mean +- 2 sd, moved and stretched
    weights = whatif.with_alpha({"dist": "dirichlet", "alpha": {"a": 3.0, "b": 2.0}}, "b", 6.2)
    assert weights == {"dist": "dirichlet", "alpha": {"a": 3.0, "b": 6.0}}


def _cli_error(tmp_path: Path, override: str, capsys) -> str:
    from basesim.cli import main

    code = main(["run", str(BASELINE), "--runs", "10", "--set", override, "--out", str(tmp_path / "never")])
    assert code == 2 and not (tmp_path / "never").exists()
    message = capsys.readouterr().err.strip()
    assert message.startswith(f"error: --set: {LEVERAGE}") and "\n" not in message
    return message


@pytest.mark.parametrize("text", ["1.5", "{dist: uniform, low: 0.2}", "lots", "{dist: uniform, low: 0.3, high: 0.1}"])
def test_a_bad_value_in_a_box_gets_the_command_lines_message(baseline, tmp_path, capsys, text):
    with pytest.raises(ScenarioError) as caught:
        whatif.check(baseline, {LEVERAGE: whatif.parse_value(LEVERAGE, text)})
    assert whatif.cli_message(caught.value) == _cli_error(tmp_path, f"{LEVERAGE}={text}", capsys)


def test_an_empty_box_is_refused_with_what_to_give():
    with pytest.raises(ScenarioError, match=r"give a value \(a number or a distribution\)"):
        whatif.parse_value(LEVERAGE, "")


def test_the_changes_are_the_inputs_that_differ_and_the_protocol(baseline, inputs):
    values = {path: item.value for path, item in inputs.items()}
    assert whatif.changed(list(inputs.values()), values, protocol="alternating_offers", scenario=baseline) == {}
    values[LEVERAGE] = {"dist": "uniform", "low": 0.3, "high": 0.5}
    assert whatif.changed(list(inputs.values()), values, protocol="nash", scenario=baseline) == {
        LEVERAGE: {"dist": "uniform", "low": 0.3, "high": 0.5}, "protocol.name": "nash"}


def test_the_saved_file_extends_the_original_and_plays_the_same_worlds(baseline, tmp_path):
    overrides = {LEVERAGE: {"dist": "uniform", "low": 0.3, "high": 0.5},
                 "actors.russia.salience": {"dist": "dirichlet",
                                            "alpha": {"extradition": 4.0, "compensation": 3.0, "tartus": 8.0,
                                                      "khmeimim": 3.5}},
                 "events.turkish_defence_pact.probability": 0.7,
                 "protocol.name": "equilibrium"}
    target = tmp_path / "what-if.yaml"
    text = whatif.whatif_text(BASELINE, target, overrides, scenario=baseline, runs=600, seed=11,
                              protocol="equilibrium")
    whatif.write_whatif(target, text)
    data = yaml.safe_load(target.read_text())
    assert (tmp_path / data["extends"]).resolve() == BASELINE.resolve()  # relative to the new file
    assert data["monte_carlo"] == {"runs": 600, "seed": 11}
    assert target.read_text().startswith(whatif.MARKER)
    saved = load_scenario(target)
    expected = with_overrides(baseline, overrides)
    assert saved.protocol.name == "equilibrium"
    for path in overrides:
        if path != "protocol.name":
            assert whatif.changed(whatif.scenario_inputs(saved), {path: overrides[path]}) == {}, path
    ours = run(saved, workers=1)
    theirs = run(expected, runs=600, seed=11, workers=1)
    assert ours.summary.counts == theirs.summary.counts


def test_writing_refuses_what_it_must_not_replace(tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_text("name: not a what-if\n")
    with pytest.raises(OutputError, match="exists and was not written by basesim app"):
        whatif.write_whatif(mine, whatif.MARKER + "\n")
    assert mine.read_text() == "name: not a what-if\n"
    with pytest.raises(OutputError, match=r"must end in \.yaml or \.yml"):
        whatif.write_whatif(tmp_path / "x.txt", "x")
    with pytest.raises(OutputError, match="does not exist"):
        whatif.write_whatif(tmp_path / "nowhere" / "x.yaml", "x")
    again = tmp_path / "again.yaml"
    whatif.write_whatif(again, whatif.MARKER + " one\n")
    whatif.write_whatif(again, whatif.MARKER + " two\n")  # its own file is replaced
    assert again.read_text() == whatif.MARKER + " two\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again.yaml", "mine.yaml"]  # no temporary left


def test_the_pages_numbers_are_the_runs_numbers_and_their_paired_change(baseline):
    from basesim.views.live_compute import numbers, play

    reference = play(baseline, runs=800, seed=3)
    same = numbers(play(baseline, runs=800, seed=3), reference)
    assert (same["change"] == 0).all() and (same["change_low"] <= 0).all() and (same["change_high"] >= 0).all()
    moved = with_overrides(baseline, {LEVERAGE: {"dist": "uniform", "low": 0.5, "high": 0.8}})
    result = play(moved, runs=800, seed=3)
    rows = numbers(result, reference).set_index(["kind", "name"])
    table = result.summary.table
    agreement = table[(table["kind"] == "result") & (table["value"] == "agreement")].iloc[0]
    assert rows.loc[("result", "agreement"), "count"] == agreement["count"]
    before = reference.summary.table
    was = before[(before["kind"] == "result") & (before["value"] == "agreement")].iloc[0]["estimate"]
    assert rows.loc[("result", "agreement"), "change"] == pytest.approx(agreement["estimate"] - was)
    assert (rows["change_low"] <= rows["change"]).all() and (rows["change"] <= rows["change_high"]).all()
    assert not math.isclose(float(rows.loc[("result", "agreement"), "change"]), 0.0)


def test_a_superseded_run_stops_between_batches(baseline):
    from basesim.views.live_compute import Superseded, play

    asked = []

    def should_stop() -> bool:
        asked.append(1)
        return len(asked) > 2  # stale after the first batch

    with pytest.raises(Superseded):
        play(baseline, runs=50_000, seed=1, should_stop=should_stop)
    assert len(asked) == 3


def test_figures_are_drawn_in_the_pages_order_and_are_pngs(baseline):
    from basesim.views.live_compute import FIGURES, play, render_figures

    result = play(baseline, runs=300, seed=2)
    drawn = list(render_figures(result))
    assert [name for name, _, _ in drawn] == list(FIGURES)
    assert all(png[:8] == b"\x89PNG\r\n\x1a\n" for _, png, _ in drawn)
    assert np.all(np.diff([seconds for _, _, seconds in drawn]) >= 0)
