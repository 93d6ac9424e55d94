"""The briefing figures and the analyses behind them: known answers, Axes with the expected artists and labels.

Tornado chart, deal packages and clusters, differences with paired intervals,
overlaid timing, PRIM scenario discovery, human labels, and legends that stay
inside their figures.
"""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import _plot_tables as T
import basesim
from basesim.analysis.differences import newcombe_paired, newcombe_unpaired, scenario_differences
from basesim.analysis.discovery import discover
from basesim.analysis.labels import input_label, variant_labels
from basesim.analysis.packages import cluster_issues, deal_clusters, deal_packages
from basesim.analysis.tornado import run_tornado, tornado_table
from basesim.errors import UsageError
from basesim.views import plot_data as pdata
from basesim.views import plots
from basesim.views.comparison_plots import differences_figure, plot_differences, plot_timing_comparison
from basesim.views.discovery_plots import discovery_figure, plot_box_limits, plot_tradeoff
from basesim.views.packages import packages_figure, plot_deal_clusters, plot_deal_packages
from basesim.views.sweep_plots import sensitivity_figure, sweep_figure
from basesim.views.tornado import plot_tornado, tornado_figure

BASELINE = T.ROOT / "scenarios" / "baseline.yaml"


@pytest.fixture(scope="module")
def scenario():
    return basesim.load_scenario(BASELINE)


@pytest.fixture(scope="module")
def result(scenario):
    return basesim.run(scenario, runs=800, workers=1)


@pytest.fixture(scope="module")
def pair(scenario):
    turkey = basesim.load_scenario(T.ROOT / "scenarios" / "turkey_presses.yaml")
    return {"baseline": basesim.run(scenario, runs=400, workers=1, seed=5),
            "turkey_presses": basesim.run(turkey, runs=400, workers=1, seed=5)}


def _axes() -> "matplotlib.axes.Axes":
    return Figure(figsize=(7, 5), layout="constrained").add_subplot()


# --- labels ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path, words", [
    ("actors.turkey.leverage.syria", "Turkey's leverage over Syria (al-Sharaa government)"),
    ("actors.russia.salience.tartus", "Russia's weight on Tartus naval base"),
    ("actors.russia.salience", "Russia's issue weights"),
    ("actors.syria.outside_option", "Syria (al-Sharaa government)'s outside option"),
    ("events.sanctions_relief.occurs", "Western sanctions relief happens"),
    ("protocol.breakdown_risk", "Breakdown risk"),
    ("in-run randomness", "In-run randomness (belief noise, breakdown draws)"),
    ("something.else", "something.else"),
])
def test_input_label(scenario, path, words):
    assert input_label(scenario, path) == words


def test_short_labels_and_variant_names(scenario):
    assert input_label(scenario, "actors.turkey.leverage.syria", short=True) == "Turkey's leverage over Syria"
    turkey = basesim.load_scenario(T.ROOT / "scenarios" / "turkey_presses.yaml")
    assert variant_labels({"baseline": scenario, "turkey_presses": turkey}) == {
        "baseline": scenario.title, "turkey_presses": turkey.title}
    assert variant_labels({"alternating_offers": scenario, "nash": scenario}) == {
        "alternating_offers": "alternating offers", "nash": "nash"}


# --- tornado ------------------------------------------------------------------------------------


def test_tornado_known_answer():
    rng = np.random.default_rng(3)
    x = rng.random(5000)
    inputs = pd.DataFrame({"x": x, "noise": rng.random(5000), "flag": rng.random(5000) < 0.3})
    outputs = pd.DataFrame({"y": (x > 0.5).astype(float)})
    table = tornado_table(inputs, outputs)
    top = table.iloc[0]
    assert top["input"] == "x" and top["rank"] == 1
    assert top["low_estimate"] == 0.0 and top["high_estimate"] == 1.0 and top["swing"] == 1.0
    assert top["low_runs"] == top["high_runs"] == 1000  # the lowest and highest fifths
    assert top["low_low"] == 0.0 and 0.0 < top["low_high"] < 0.005  # Wilson, not a zero-width interval
    for name in ("noise", "flag"):
        row = table.set_index("input").loc[name]
        assert abs(row["swing"]) < 0.06 and row["low_low"] <= row["overall"] <= row["low_high"] + 0.03
    flag = table.set_index("input").loc["flag"]
    assert (flag["low_value"], flag["high_value"]) == (0.0, 1.0)  # a yes/no input: no against yes


def test_tornado_of_a_run_and_its_figure(result, scenario):
    table = run_tornado(result)
    outputs = ["result.agreement", *[f"outcome.{n}" for n in scenario.outcomes]]
    assert list(dict.fromkeys(table["output"])) == outputs
    assert table.groupby("output")["rank"].min().eq(1).all()
    assert (table["low_low"] <= table["low_estimate"]).all() and (table["high_estimate"] <= table["high_high"]).all()
    ax = plot_tornado(table, output="outcome.russia_keeps_tartus", top=5, ax=_axes(), label="Russia keeps Tartus")
    low = [p for p in ax.patches if p.get_gid() == "tornado-low"]
    high = [p for p in ax.patches if p.get_gid() == "tornado-high"]
    assert len(low) == len(high) == 5
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    first = table[table["output"] == "outcome.russia_keeps_tartus"].iloc[0]
    assert ticks[0].startswith(first["label"].split(" ")[0]) and "actors." not in " ".join(ticks)
    assert "percentage points" in ax.get_xlabel()
    assert ax.get_title(loc="left") == "What moves \u201cRussia keeps Tartus\u201d"
    # the bars' sides are the direction: a positive swing has its high bar right of zero
    assert (high[0].get_width() > 0) == (first["swing"] > 0)
    figure = tornado_figure(table, outputs=outputs[:3])
    assert len(figure.axes) == 3 and len(figure.legends) == 1


def test_tornado_needs_the_table(result):
    summary_only = basesim.RunResult(scenario=result.scenario, table=None, summary=result.summary,
                                     provenance=result.provenance)
    with pytest.raises(UsageError, match="needs the per-replication table"):
        run_tornado(summary_only)


# --- deal packages ----------------------------------------------------------------------------


def test_packages_known_answer(scenario, result):
    table = result.table.copy()
    deal = table["result"].astype(str) == "agreement"
    for issue in scenario.issue_names:  # two packages only, 3:1
        level = np.where(np.arange(len(table)) % 4 == 0, 0, len(scenario.issues[issue].labels) - 1)
        table.loc[deal, f"{issue}_level"] = level[deal.to_numpy()]
        table.loc[deal, issue] = np.asarray(scenario.issues[issue].labels)[level[deal.to_numpy()]]
    fake = SimpleNamespace(scenario=scenario, table=table)
    packages = deal_packages(fake, top=None)
    deals = int(deal.sum())
    assert len(packages) == 2 and packages["count"].sum() == deals
    assert packages["share"].iloc[0] == pytest.approx(packages["count"].iloc[0] / deals)
    assert packages["package"].iloc[0] == " \u00b7 ".join(scenario.issues[i].labels[-1] for i in scenario.issue_names)
    assert (packages["low"] < packages["estimate"]).all() and (packages["estimate"] < packages["high"]).all()
    clusters = deal_clusters(fake)
    assert cluster_issues(scenario) == ["tartus", "khmeimim"]  # the two bases: no money, most levels
    assert list(clusters.columns[:2]) == ["tartus", "khmeimim"] and len(clusters) == 16
    assert clusters["count"].sum() == deals and clusters["share"].sum() == pytest.approx(1.0)
    assert clusters["packages"].sum() == 2


def test_packages_figure(result):
    packages = deal_packages(result, top=6)
    ax = plot_deal_packages(packages, ax=_axes())
    assert len([p for p in ax.patches if p.get_gid() == "packages"]) == 6
    assert " \u00b7 " in ax.get_yticklabels()[0].get_text()
    assert ax.get_title(loc="left") == "The most likely deal packages"
    heat = plot_deal_clusters(deal_clusters(result), labels=["Tartus", "Khmeimim"], ax=_axes())
    assert len(heat.images) == 1 and heat.get_xlabel() == "Tartus" and heat.get_ylabel() == "Khmeimim"
    assert len(heat.texts) == 16  # every cell written in
    figure = packages_figure(result)
    assert len(figure.axes) == 3  # packages, clusters and the colour bar


# --- differences with paired intervals -------------------------------------------------------


def test_newcombe_unpaired_known_answer():
    # Newcombe (1998), Statistics in Medicine 17:873-890, Table II, example (a): 56/70 - 48/80, method 10
    difference, low, high = newcombe_unpaired(56, 70, 48, 80)
    assert difference == pytest.approx(0.2)
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)


def test_newcombe_paired_is_narrower_when_pairs_agree():
    # 1,000 pairs, the event in 400 of the first and 350 of the second, almost always together
    together = newcombe_paired(340, 60, 10, 590)
    apart = newcombe_unpaired(400, 1000, 350, 1000)
    assert together[0] == pytest.approx(apart[0]) == pytest.approx(0.05)
    assert together[1] > apart[1] and together[2] < apart[2]
    assert together[1] < 0.05 < together[2]
    same = newcombe_paired(300, 0, 0, 700)  # identical runs: no difference
    assert same[0] == 0.0 and same[1] <= 0.0 <= same[2] and same[2] - same[1] < 0.01


def test_scenario_differences_are_paired_with_a_shared_seed(pair):
    table = scenario_differences(pair)
    assert set(table["variant"]) == {"turkey_presses"} and table["paired"].all()
    row = table.set_index("name").loc["russia_keeps_tartus"]
    assert row["difference"] == pytest.approx(row["estimate"] - row["reference_estimate"])
    assert row["low"] < row["difference"] < row["high"] and row["difference"] < 0
    apart = newcombe_unpaired(int(row["estimate"] * 400), 400, int(round(row["reference_estimate"] * 400)), 400)
    assert row["high"] - row["low"] < apart[2] - apart[1]  # pairing narrows the interval
    other = dict(pair)
    other["turkey_presses"] = basesim.run(pair["turkey_presses"].scenario, runs=400, workers=1, seed=6)
    assert not scenario_differences(other)["paired"].any()  # another seed: unpaired


def test_differences_and_timing_figures(pair):
    ax = plot_differences(scenario_differences(pair), scenarios={k: r.scenario for k, r in pair.items()}, ax=_axes())
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == ["Turkey presses harder against the\nRussian bases"]  # the title, not the file name
    assert "percentage points" in ax.get_xlabel() and "Syria-Russia base talks" in ax.get_xlabel()
    assert "paired" in ax.texts[-1].get_text()
    timing = plot_timing_comparison(pair, ax=_axes())
    gids = {line.get_gid() for line in timing.get_lines()}
    assert {"timing-baseline-agreement", "timing-turkey_presses-agreement"} <= gids
    legend = [t.get_text() for t in timing.get_legend().get_texts()]
    assert pair["baseline"].scenario.title in legend[0]


def _inside(figure: Figure) -> None:
    figure.canvas.draw()
    box = figure.bbox
    for legend in figure.legends:
        extent = legend.get_window_extent()
        assert extent.x0 >= box.x0 - 1 and extent.x1 <= box.x1 + 1 and extent.y0 >= box.y0 - 1, extent


def test_legends_stay_inside_the_comparison_and_negotiation_figures(pair, result):
    for kind in ("result", "outcome"):
        figure = plots.comparison_figure(pair, kind=kind)
        assert len(figure.legends) == 1
        _inside(figure)
    _inside(differences_figure(pair))
    nash = basesim.run(result.scenario, runs=50, workers=1, protocol="nash")
    figure = plots.negotiation_figure(pdata.one_negotiation(nash), scenario=nash.scenario)
    assert figure.legends
    _inside(figure)


# --- scenario discovery ------------------------------------------------------------------------


def test_discovery_known_answer(scenario, result):
    rng = np.random.default_rng(7)
    table = pd.concat([result.table] * 5, ignore_index=True)  # the run's columns; the inputs are made up below
    n = len(table)
    outside = rng.uniform(-0.15, 0.0, n)
    risk = rng.uniform(0.01, 0.05, n)
    table["actors.syria.outside_option"] = outside
    table["protocol.breakdown_risk"] = risk
    table["actors.syria.patience"] = rng.uniform(0.9, 0.98, n)  # irrelevant
    table["outcome.russia_keeps_tartus"] = (outside > -0.05) & (risk < 0.03)
    found = discover(SimpleNamespace(scenario=scenario, table=table), output="russia_keeps_tartus", min_coverage=0.8)
    box = found.boxes[0]
    limits = box.limits.set_index("input")
    assert set(limits.index) == {"actors.syria.outside_option", "protocol.breakdown_risk"}
    assert limits.loc["actors.syria.outside_option", "low"] == pytest.approx(-0.05, abs=0.01)
    assert limits.loc["protocol.breakdown_risk", "high"] == pytest.approx(0.03, abs=0.003)
    assert box.coverage >= 0.8 and box.density > 0.9 > found.base_density
    assert limits.loc["protocol.breakdown_risk", "label"] == "Breakdown risk"


def test_discovery_of_a_run_and_its_figures(result):
    found = discover(result, output="assad_extradited")
    assert found.label == "Assad extradited" and found.cases == int(result.table["outcome.assad_extradited"].sum())
    box = found.boxes[0]
    assert box.coverage >= 0.5 and box.density > found.base_density
    assert 1 <= box.restricted <= 4 and (box.limits["qp"] <= 0.05).all()
    assert ((box.limits["low"] >= box.limits["full_low"] - 1e-12) | (box.limits["kind"] == "values")).all()
    ax = plot_box_limits(found, ax=_axes())
    assert len([p for p in ax.patches if p.get_gid() == "box-range"]) == box.restricted
    assert "Assad extradited" in ax.get_title(loc="left")
    assert "actors." not in " ".join(t.get_text() for t in ax.get_yticklabels())
    trade = plot_tradeoff(found, ax=_axes())
    assert trade.get_xlabel() == "coverage" and trade.get_ylabel() == "density"
    assert len(discovery_figure(found).axes) == 3
    with pytest.raises(UsageError, match="not a yes/no outcome"):
        discover(result, output="compensation.amount")


# --- sensitivity and sweep figures with human labels ------------------------------------------------


def test_sensitivity_figure_names_inputs_and_shows_direction(scenario):
    indices = basesim.sobol_sensitivity(scenario, n=16, outputs=["russia_keeps_tartus"])
    from basesim.analysis.tornado import sobol_tornado

    tornado = sobol_tornado(indices, scenario)
    figure = sensitivity_figure(indices.table, scenario=scenario, tornado=tornado, top=6)
    ticks = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert len(ticks) == 6 and not any(t.startswith("actors.") for t in ticks)
    assert any(t.endswith(("\u2191", "\u2193")) for t in ticks)
    assert figure.get_size_inches()[1] < 4.0  # one compact panel


def test_sweep_figure_and_xarray_use_labels(scenario):
    grid = basesim.sweep(scenario, {"actors.turkey.leverage.syria": [0.0, 0.4]}, runs=60, seed=1, workers=1)
    ax = sweep_figure(grid).axes[0]
    assert ax.get_xlabel() == "Turkey's leverage over Syria (al-Sharaa government)"
    dataset = grid.to_xarray()
    assert dataset["actors.turkey.leverage.syria"].attrs["long_name"] == ax.get_xlabel()
