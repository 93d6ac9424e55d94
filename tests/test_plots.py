"""Plot functions: the estimates they draw, the artists and labels they make, the files they write."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from scipy import stats

import _plot_tables as T
import basesim
from basesim.views import plot_data as pdata
from basesim.views import plots
from basesim.errors import UsageError
from basesim.montecarlo.summary import Summary


@pytest.fixture(scope="module")
def scenario():
    return T.baseline()


@pytest.fixture(scope="module")
def table(scenario):
    return T.outcome_table(scenario, 400, seed=1)


@pytest.fixture(scope="module")
def real():
    """A real (small) run of the baseline scenario."""
    return basesim.run(T.ROOT / "scenarios" / "baseline.yaml", runs=300, workers=1)


def _axes():
    return Figure(layout="constrained").add_subplot()


def _by_gid(ax: Axes, gid: str) -> list:
    return [a for a in ax.findobj() if a.get_gid() == gid]


def _texts(ax: Axes) -> list[str]:
    return [t.get_text() for t in ax.findobj(matplotlib.text.Text)]


# --- estimates -------------------------------------------------------------------------


def test_result_probabilities_counts_and_wilson(table, scenario):
    frame = pdata.result_probabilities(table, scenario=scenario)
    assert frame["result"].tolist() == ["agreement", "breakdown", "talking"]
    counts = table["result"].astype(str).value_counts()
    assert frame["count"].tolist() == [counts.get(r, 0) for r in frame["result"]]
    assert frame["estimate"].sum() == pytest.approx(1.0)
    ci = stats.binomtest(int(frame["count"][0]), len(table)).proportion_ci(method="wilson")
    assert (frame["low"][0], frame["high"][0]) == pytest.approx((ci.low, ci.high))


def test_every_source_gives_the_same_estimates(real):
    from_result = pdata.level_probabilities(real, issue="tartus")
    from_summary = pdata.level_probabilities(real.summary, issue="tartus")
    from_table = pdata.level_probabilities(real.table, issue="tartus", scenario=real.scenario)
    from_counts = pdata.level_probabilities(real.summary.counts, issue="tartus", scenario=real.scenario)
    for other in (from_summary, from_table, from_counts):
        pd.testing.assert_frame_equal(from_result, other)


def test_source_errors(table, scenario):
    with pytest.raises(UsageError, match="give scenario= with a DataFrame"):
        pdata.result_probabilities(table)
    with pytest.raises(UsageError, match=r"no column 'tartus_level'"):
        pdata.source(table.drop(columns="tartus_level"), scenario)
    with pytest.raises(UsageError, match="cannot draw from a list"):
        pdata.source([1, 2], scenario)
    with pytest.raises(UsageError, match="issue 'tartous' is not in scenario 'baseline'"):
        pdata.level_probabilities(table, issue="tartous", scenario=scenario)
    with pytest.raises(UsageError, match="issue 'tartus' has no amounts"):
        pdata.amount_exceedance(table, issue="tartus", scenario=scenario)


def test_level_distributions_sum_to_one_and_condition_on_deals(table, scenario):
    frame = pdata.level_probabilities(table, issue="khmeimim", scenario=scenario)
    sums = frame.groupby("given")["estimate"].sum()
    assert sums[pdata.GIVEN_ALL] == pytest.approx(1.0)
    assert sums[pdata.GIVEN_AGREEMENT] == pytest.approx(1.0)
    deals = int((table["result"] == "agreement").sum())
    assert set(frame.loc[frame["given"] == pdata.GIVEN_AGREEMENT, "runs"]) == {deals}
    deal_rows = table[table["result"] == "agreement"]
    expected = (deal_rows["khmeimim_level"] == 2).mean()
    got = frame[(frame["given"] == pdata.GIVEN_AGREEMENT) & (frame["level_index"] == 2)]["estimate"].item()
    assert got == pytest.approx(expected)


def test_amount_exceedance_is_a_survival_function(table, scenario):
    frame = pdata.amount_exceedance(table, issue="compensation", scenario=scenario)
    for _, part in frame.groupby("given"):
        assert part["estimate"].iloc[0] == pytest.approx(1.0)
        assert np.all(np.diff(part["estimate"].to_numpy()) <= 1e-12)
    amounts = table["compensation_amount"].to_numpy()
    all_runs = frame[frame["given"] == pdata.GIVEN_ALL].set_index("amount")["estimate"]
    for value, estimate in all_runs.items():
        assert estimate == pytest.approx((amounts >= value).mean())


def test_deal_by_date_ends_at_the_chance_of_agreement(table, scenario):
    frame = pdata.deal_by_date(table, scenario=scenario)
    deals = frame[frame["result"] == "agreement"]
    assert len(deals) == scenario.protocol.rounds
    assert deals["date"].iloc[0] == pd.Timestamp(scenario.protocol.start_date)
    assert deals["date"].iloc[1] == pd.Timestamp("2025-03-01")
    assert deals["estimate"].iloc[-1] == pytest.approx((table["result"] == "agreement").mean())
    assert np.all(np.diff(deals["estimate"].to_numpy()) >= 0)
    by_round_3 = ((table["result"] == "agreement") & (table["round"] <= 3)).mean()
    assert deals["estimate"].iloc[3] == pytest.approx(by_round_3)


def test_utility_quantiles_need_the_table(real):
    frame = pdata.utility_quantiles(real)
    assert set(frame["actor"]) == {"syria", "russia", "turkey"}
    median = frame[(frame["actor"] == "russia") & (frame["given"] == pdata.GIVEN_ALL)]["q50"].item()
    assert median == pytest.approx(real.table["utility_russia"].median())
    with pytest.raises(UsageError, match="need the per-run table.*--summary-only"):
        pdata.utility_quantiles(real.summary)


def test_pareto_frontier_matches_brute_force():
    rng = np.random.default_rng(3)
    for _ in range(20):
        first = rng.integers(0, 6, 40) / 5.0  # ties included
        second = rng.integers(0, 6, 40) / 5.0
        fast = set(pdata.pareto_frontier(first, second).tolist())
        points = set(zip(first, second))
        dominated = {p for p in points if any(q[0] >= p[0] and q[1] >= p[1] and q != p for q in points)}
        frontier_points = {(first[i], second[i]) for i in fast}
        assert frontier_points == points - dominated
        assert len(fast) == len(frontier_points)  # one index per frontier point


def test_nash_point_known_answers():
    share = np.linspace(0, 1, 1001)
    # symmetric, linear, disagreement (0, 0): split the pie in half
    assert share[pdata.nash_point(share, 1 - share, (0.0, 0.0))] == pytest.approx(0.5)
    # power 2:1 maximises x^2 (1 - x): x = 2/3
    assert share[pdata.nash_point(share, 1 - share, (0.0, 0.0), power=(2.0, 1.0))] == pytest.approx(2 / 3, abs=1e-3)
    # disagreement (0.2, 0.4): maximise (x - 0.2)(0.6 - x): x = 0.4
    assert share[pdata.nash_point(share, 1 - share, (0.2, 0.4))] == pytest.approx(0.4)
    assert pdata.nash_point(share, 1 - share, (0.7, 0.7)) is None


def test_typical_replicate_is_a_deal_at_the_median_round(real):
    replicate = pdata.typical_replicate(real)
    row = real.table.set_index("replicate").loc[replicate]
    assert row["result"] == "agreement"
    rounds = np.sort(real.table.loc[real.table["result"] == "agreement", "round"].to_numpy())
    assert row["round"] == rounds[(len(rounds) - 1) // 2]
    assert pdata.typical_replicate(real.summary) == 0


def test_comparison_table_stacks_variants(table, scenario):
    other = T.outcome_table(scenario, 200, seed=5)
    frame = pdata.comparison_table({"A": table, "B": other}, scenarios={"A": scenario, "B": scenario})
    assert frame.columns[0] == "variant"
    assert frame.groupby("variant")["estimate"].sum().tolist() == pytest.approx([1.0, 1.0])
    with pytest.raises(UsageError, match="comparison kind 'levels' is unknown"):
        pdata.comparison_table({"A": table}, scenarios={"A": scenario}, kind="levels")
    with pytest.raises(UsageError, match="needs the issue"):
        pdata.comparison_table({"A": table}, scenarios={"A": scenario}, kind="level")


# --- colours -------------------------------------------------------------------------------


def test_text_colour_is_readable_on_white():
    def luminance(hex_color):
        c = np.asarray(matplotlib.colors.to_rgb(hex_color))
        linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
        return float(linear @ [0.2126, 0.7152, 0.0722])

    assert plots.text_color("#c1121f") == "#c1121f"
    for color in ("#e9c46a", "#F0E442", "#ffffff", "#2a9d8f"):
        assert luminance(plots.text_color(color)) <= 0.25
    ratio = lambda c: (1.05) / (luminance(c) + 0.05)  # WCAG contrast against white
    assert ratio(plots.text_color("#e9c46a")) >= 3.4


def test_actor_colours_from_scenario_else_fixed_palette(scenario):
    colors = plots.actor_colors(scenario)
    assert colors == {"syria": "#2a9d8f", "russia": "#c1121f", "turkey": "#e9c46a"}
    minimal = T.minimal()
    assert plots.actor_colors(minimal) == {"a": plots.ACTOR_PALETTE[0], "b": plots.ACTOR_PALETTE[1]}


# --- outcome distributions -------------------------------------------------------------


def test_plot_results(table, scenario):
    ax = plots.plot_results(table, scenario=scenario, ax=_axes())
    assert isinstance(ax, Axes)
    bars = [p for p in ax.patches]
    assert len(bars) == 3
    frame = pdata.result_probabilities(table, scenario=scenario)
    assert [b.get_height() for b in bars] == pytest.approx(frame["estimate"].tolist())
    assert [matplotlib.colors.to_hex(b.get_facecolor()) for b in bars] == list(plots.RESULT_COLORS.values())
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Agreement", "Breakdown", "Still talking"]
    assert ax.get_title(loc="left") == "Where the talks stand at the end of the forecast"
    texts = _texts(ax)
    assert any("Syria-Russia base talks, February 2025" in t and "400 runs" in t for t in texts)
    assert f"{frame['estimate'][0]:.0%}" in texts
    assert ax.yaxis.get_major_formatter()(0.5, 0) == "50%"


def test_plot_outcomes(table, scenario):
    ax = plots.plot_outcomes(table, scenario=scenario, ax=_axes())
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [o.label for o in scenario.outcomes.values()]
    assert len(ax.patches) == len(scenario.outcomes)
    assert ax.get_title(loc="left") == "Named outcomes"


def test_plot_issue_levels(table, scenario):
    ax = plots.plot_issue_levels(table, issue="tartus", scenario=scenario, ax=_axes())
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["withdrawal", "logistics only", "reduced lease\n(status quo)", "full lease"]
    assert ax.get_title(loc="left") == "Tartus naval base"
    all_runs = _by_gid(ax, f"levels-{pdata.GIVEN_ALL}")  # bars carry their gid
    deal = _by_gid(ax, f"levels-{pdata.GIVEN_AGREEMENT}")
    assert len(all_runs) == len(deal) == 4
    assert sum(p.get_height() for p in all_runs) == pytest.approx(1.0)
    assert sum(p.get_height() for p in deal) == pytest.approx(1.0)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0] == "all runs (400)"


def test_plot_issue_levels_many_levels_is_a_step_line():
    minimal = T.minimal()
    table = T.outcome_table(minimal, 100)
    ax = plots.plot_issue_levels(table, issue="share", scenario=minimal, ax=_axes())
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[0] == "0 %\n(status quo)" and "50 %" in labels and len(labels) == 11
    assert _by_gid(ax, f"levels-{pdata.GIVEN_AGREEMENT}")[0].get_drawstyle() == "steps-mid"


def test_plot_amounts(table, scenario):
    ax = plots.plot_amounts(table, issue="compensation", scenario=scenario, ax=_axes())
    line = _by_gid(ax, f"amounts-{pdata.GIVEN_ALL}")[0]
    assert line.get_ydata()[0] == pytest.approx(1.0)
    assert line.get_drawstyle() == "steps-pre"
    assert list(line.get_xdata()) == list(scenario.issues["compensation"].amounts)
    assert ax.get_xlabel() == "Compensation paid by Russia ($bn)"


def test_plot_deal_timing(table, scenario):
    """Three states over calendar time that add up to one at every date, ending at the run's states."""
    ax = plots.plot_deal_timing(table, scenario=scenario, ax=_axes())
    lines = {state: _by_gid(ax, f"timing-{state}")[0] for state in ("talking", "agreement", "breakdown")}
    for state, line in lines.items():
        assert line.get_ydata()[-1] == pytest.approx((table["result"] == state).mean())
    total = sum(np.asarray(line.get_ydata(), float) for line in lines.values())
    np.testing.assert_allclose(total, 1.0)
    assert pd.Timestamp(lines["agreement"].get_xdata()[0]) == pd.Timestamp("2025-02-01")
    assert lines["talking"].get_ydata()[0] == pytest.approx(1 - ((table["round"] == 0) & (table["result"] != "talking")).mean())
    assert "still talking (status quo)" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_plot_deal_timing_of_a_one_shot_benchmark_says_so(table, scenario):
    nash = scenario.model_copy(update={"protocol": scenario.protocol.model_copy(update={"name": "nash"})})
    ax = plots.plot_deal_timing(table, scenario=nash, ax=_axes())
    assert "one-shot benchmark" in _by_gid(ax, "timing-one-shot")[0].get_text()
    assert not _by_gid(ax, "timing-agreement")


def test_plot_utilities(real):
    ax = plots.plot_utilities(real, ax=_axes())
    labels = ax.get_yticklabels()
    assert [t.get_text() for t in labels] == ["Syria (al-Sharaa government)", "Russia", "Turkey\n(influencer)"]
    shown = [matplotlib.colors.to_hex(t.get_color()) for t in labels]
    assert shown == [plots.text_color(c) for c in ("#2a9d8f", "#c1121f", "#e9c46a")]
    assert shown[1] == "#c1121f"  # dark colours are kept as they are
    assert _by_gid(ax, "utility-russia")
    with pytest.raises(UsageError, match="per-run table"):
        plots.plot_utilities(real.summary, ax=_axes())


# --- one negotiation --------------------------------------------------------------------


def test_plot_utility_plane_with_the_dance(scenario):
    plane, trace = T.utility_plane(scenario), T.trace(scenario)
    ax = plots.plot_utility_plane(plane, trace=trace, scenario=scenario, ax=_axes())
    assert len(_by_gid(ax, "plane-outcomes")[0].get_offsets()) + len(_by_gid(ax, "plane-rational")[0].get_offsets()) \
        == len(plane)
    assert _by_gid(ax, "pareto-frontier") and _by_gid(ax, "nash-point")
    assert _by_gid(ax, "reservation-syria")[0].get_xdata()[0] == pytest.approx(0.3)
    assert _by_gid(ax, "reservation-russia")[0].get_ydata()[0] == pytest.approx(0.25)
    syria_offers = _by_gid(ax, "offers-syria")[0]
    assert list(syria_offers.get_xdata()) == pytest.approx(trace.loc[trace["proposer"] == "syria", "utility_syria"])
    assert _by_gid(ax, "agreement-point")
    assert ax.get_xlabel() == "utility to Syria (al-Sharaa government)"
    assert ax.get_ylabel() == "utility to Russia"


def test_plot_utility_plane_errors(scenario):
    plane = T.utility_plane(scenario).drop(columns="reservation_russia")
    with pytest.raises(UsageError, match="no column reservation_russia"):
        plots.plot_utility_plane(plane, scenario=scenario, ax=_axes())
    with pytest.raises(UsageError, match="'turkey' is not a principal"):
        plots.plot_utility_plane(T.utility_plane(scenario), scenario=scenario, principals=["syria", "turkey"],
                                 ax=_axes())


def test_plot_targets(scenario):
    trace = T.trace(scenario)
    ax = plots.plot_targets(trace, scenario=scenario, ax=_axes())
    assert list(_by_gid(ax, "target-syria")[0].get_ydata()) == pytest.approx(trace["target_syria"])
    assert _by_gid(ax, "target-russia")
    assert "Western sanctions relief" in _texts(ax)
    assert "agreement" in _texts(ax)


def test_real_negotiation_figure(real):
    negotiation = pdata.one_negotiation(real)
    assert negotiation.trace["status"].iloc[-1] == "agreement"
    figure = plots.negotiation_figure(negotiation, scenario=real.scenario)
    plane, targets = figure.axes[:2]
    assert plane.get_title(loc="left") == f"One negotiation (run {negotiation.replicate}): agreement"
    assert _by_gid(plane, "offers-syria") and _by_gid(targets, "target-russia")


def test_one_shot_protocol_shows_the_settlement():
    result = basesim.run(T.ROOT / "scenarios" / "baseline.yaml", runs=20, workers=1, protocol="nash")
    negotiation = pdata.one_negotiation(result)
    figure = plots.negotiation_figure(negotiation, scenario=result.scenario)
    right = figure.axes[1]
    assert right.get_title(loc="left") == "What the agreement is worth to each side"
    bars = _by_gid(right, "settlement-bars")
    assert [p.get_width() for p in bars] == pytest.approx(
        [negotiation.trace["utility_syria"].iloc[-1], negotiation.trace["utility_russia"].iloc[-1]])
    assert any(o.get_label() == "the protocol's solution" for o in figure.axes[0].get_lines())


# --- comparisons ------------------------------------------------------------------------


def test_plot_comparison_kinds(table, scenario):
    other = T.outcome_table(scenario, 200, seed=5, chances=(0.2, 0.5, 0.3))
    runs, scenarios = {"heuristic": table, "equilibrium": other}, {"heuristic": scenario, "equilibrium": scenario}
    ax = plots.plot_comparison(runs, scenarios=scenarios, kind="result", ax=_axes())
    assert [t.get_text() for t in ax.get_xticklabels()] == ["heuristic\n(400 runs)", "equilibrium\n(200 runs)"]
    agreement = _by_gid(ax, "compare-agreement")
    assert [p.get_height() for p in agreement] == pytest.approx([(table["result"] == "agreement").mean(),
                                                                         (other["result"] == "agreement").mean()])
    ax = plots.plot_comparison(runs, scenarios=scenario, kind="outcome", ax=_axes())
    assert [t.get_text() for t in ax.get_yticklabels()] == [o.label for o in scenario.outcomes.values()]
    assert len(_by_gid(ax, "compare-equilibrium")) == len(scenario.outcomes)
    ax = plots.plot_comparison(runs, scenarios=scenario, kind="level", issue="tartus", ax=_axes())
    assert ax.get_title(loc="left") == "Tartus naval base (all runs): compared"
    with pytest.raises(UsageError, match="needs at least one run"):
        plots.plot_comparison({}, kind="result", ax=_axes())


# --- whole figures and files ------------------------------------------------------------


def test_standard_figures_of_a_summary_only_run(real):
    kinds = plots.available_kinds(real.summary)
    assert "utilities" not in kinds and "negotiation" not in kinds
    figures = plots.standard_figures(real.summary)
    assert list(figures) == ["results", "outcomes", "levels", "amounts", "timing"]
    assert len(figures["levels"].axes) == 4


def test_check_kinds_names_the_allowed_ones():
    with pytest.raises(UsageError, match=r"--kind: 'level' is not a figure kind \(did you mean 'levels'\?\); "
                                         r"expected one of results, outcomes"):
        plots.check_kinds(["level"])


@pytest.mark.parametrize("fmt", plots.FORMATS)
def test_written_files_are_valid_images(tmp_path, table, scenario, fmt):
    figure = plots.results_figure(table, scenario=scenario)
    path = plots.save_figure(figure, tmp_path / f"results.{fmt}")
    data = path.read_bytes()
    if fmt == "png":
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
    elif fmt == "pdf":
        assert data[:5] == b"%PDF-"
    else:
        root = ET.fromstring(data)
        assert root.tag.endswith("svg")
        assert "Where the talks stand at the end of the forecast" in data.decode()


def test_bad_format_and_unwritable_path(tmp_path, table, scenario):
    figure = plots.results_figure(table, scenario=scenario)
    with pytest.raises(UsageError, match="--format: 'jpg' is not a figure format; expected one of png, svg, pdf"):
        plots.save_figure(figure, tmp_path / "x.jpg")
    (tmp_path / "file").write_text("")
    with pytest.raises(basesim.OutputError, match="cannot write the figure"):
        plots.save_figure(figure, tmp_path / "file" / "x.png")


def test_drawing_leaves_global_state_alone(table, scenario):
    import matplotlib.pyplot as plt

    before = dict(matplotlib.rcParams)
    open_figures = plt.get_fignums()
    negotiation = plots.Negotiation(3, T.trace(scenario), T.utility_plane(scenario))
    plots.standard_figures(table, scenario=scenario, negotiation=negotiation)
    plots.comparison_figure({"a": table, "b": table}, scenarios=scenario)
    assert dict(matplotlib.rcParams) == before
    assert plt.get_fignums() == open_figures  # whole figures never go through pyplot


def test_without_ax_a_new_axes_is_made(table, scenario):
    import matplotlib.pyplot as plt

    ax = plots.plot_results(table, scenario=scenario)
    try:
        assert isinstance(ax, Axes) and ax.figure.number in plt.get_fignums()
    finally:
        plt.close(ax.figure)


def test_summary_from_the_table_draws_the_same(real):
    summary = Summary.from_table(real.scenario, real.table)
    a = plots.plot_results(summary, ax=_axes())
    b = plots.plot_results(real, ax=_axes())
    assert [p.get_height() for p in a.patches] == [p.get_height() for p in b.patches]
