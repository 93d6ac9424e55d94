"""Sensitivity analysis: Sobol' indices against published values, grouped factors, the ranking."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import basesim
from basesim import UsageError, load_scenario
from basesim.analysis.ranking import correlation_ratio, rank_inputs
from basesim.analysis.sensitivity import (
    NOISE_FACTOR,
    input_ranking,
    scenario_outputs,
    sobol_factors,
    sobol_sensitivity,
)
from basesim.analysis.sobol import ishigami, saltelli_2010, sobol_analysis, sobol_design
from basesim.scenario.sampling import noise_columns, unit_columns

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
MINIMAL = ROOT / "scenarios" / "minimal.yaml"

#: Ishigami (a = 7, b = 0.1): first and total indices (Ishigami and Homma 1990; Saltelli et al. 2010).
ISHIGAMI_FIRST = {"x1": 0.3139, "x2": 0.4424, "x3": 0.0}
ISHIGAMI_TOTAL = {"x1": 0.5576, "x2": 0.4424, "x3": 0.2437}


@pytest.fixture(scope="module")
def ishigami_indices():
    return sobol_analysis(ishigami, {"x1": [0], "x2": [1], "x3": [2]}, dimensions=3, n=2048,
                          rng=np.random.default_rng(20250128))


def test_ishigami_indices_match_the_published_values(ishigami_indices):
    table = ishigami_indices.table.set_index("factor")
    for factor, expected in ISHIGAMI_FIRST.items():
        assert table.at[factor, "first_order"] == pytest.approx(expected, abs=0.03)
        assert table.at[factor, "first_order_low"] <= expected <= table.at[factor, "first_order_high"]
    for factor, expected in ISHIGAMI_TOTAL.items():
        assert table.at[factor, "total_order"] == pytest.approx(expected, abs=0.03)
        assert table.at[factor, "total_order_low"] <= expected <= table.at[factor, "total_order_high"]
    assert table.sort_values("rank").index.tolist() == ["x1", "x2", "x3"]  # ranked by total index


def test_the_estimates_are_scipys(ishigami_indices):
    design = sobol_design({"x1": [0], "x2": [1], "x3": [2]}, dimensions=3, n=256, rng=np.random.default_rng(5))
    matrices = design.split(ishigami(design.points()).to_numpy())
    ours = stats.sobol_indices(func=matrices, n=256, method=saltelli_2010)
    theirs = stats.sobol_indices(func=matrices, n=256)  # scipy's default estimator
    np.testing.assert_allclose(ours.first_order, theirs.first_order, rtol=1e-12)
    np.testing.assert_allclose(ours.total_order, theirs.total_order, rtol=1e-12)


def test_the_same_seed_gives_the_same_indices_and_intervals():
    def run(seed):
        return sobol_analysis(ishigami, {"x1": [0], "x2": [1], "x3": [2]}, dimensions=3, n=64,
                              rng=np.random.default_rng(seed), n_resamples=99).table

    pd.testing.assert_frame_equal(run(1), run(1))
    assert not run(1).equals(run(2))


def test_rebootstrapping_needs_no_model_runs(ishigami_indices):
    wider = ishigami_indices.bootstrap(confidence_level=0.99, n_resamples=199, rng=np.random.default_rng(0))
    assert (wider["first_order"] == ishigami_indices.table["first_order"]).all()
    assert (wider["total_order_high"] - wider["total_order_low"] > 0).all()


def test_a_group_of_columns_is_one_factor():
    # y = x0 + x1 + x2 with equal variances: the group {x0, x1} explains 2/3
    def additive(unit):
        return pd.DataFrame({"y": unit.sum(axis=1)})

    result = sobol_analysis(additive, {"pair": [0, 1], "single": [2]}, dimensions=3, n=1024,
                            rng=np.random.default_rng(3))
    table = result.table.set_index("factor")
    assert table.at["pair", "first_order"] == pytest.approx(2 / 3, abs=0.03)
    assert table.at["single", "total_order"] == pytest.approx(1 / 3, abs=0.03)


def test_an_ignored_factor_scores_exactly_zero_with_a_zero_interval():
    result = sobol_analysis(lambda u: pd.DataFrame({"y": np.sin(6 * u[:, 0]), "z": u[:, 0] > 0.5}),
                            {"used": [0], "ignored": [1]}, dimensions=2, n=128,
                            rng=np.random.default_rng(0), n_resamples=99)
    ignored = result.table[result.table["factor"] == "ignored"]
    assert list(ignored["output"]) == ["y", "z"]
    for column in ("first_order", "first_order_low", "first_order_high", "total_order", "total_order_low",
                   "total_order_high"):
        assert (ignored[column] == 0).all()


def test_sobol_needs_a_power_of_two():
    with pytest.raises(UsageError, match=r"base sample size must be a power of 2 \(e.g. 64, 256, 1024\), got 100"):
        sobol_analysis(ishigami, {"x1": [0]}, dimensions=3, n=100, rng=np.random.default_rng(0))


# --- the cheap ranking ----------------------------------------------------------------------------


def test_correlation_ratio_sees_non_monotone_effects_that_rank_correlation_misses():
    rng = np.random.default_rng(0)
    x = rng.random(4000)
    assert correlation_ratio(x, x) == pytest.approx(1.0, abs=0.01)
    assert abs(correlation_ratio(x, rng.random(4000))) < 0.01  # bias-corrected: about 0 for no effect
    bowl = (x - 0.5) ** 2
    assert correlation_ratio(x, bowl) > 0.95
    assert abs(stats.spearmanr(x, bowl).statistic) < 0.05


def test_correlation_ratio_of_a_discrete_input_uses_one_bin_per_value():
    x = np.repeat([0.0, 1.0], 500)
    y = np.where(x > 0, 1.0, 0.0) + np.tile([0.0, 2.0], 500)
    # between-group variance 0.25 of total 0.25 + 1
    assert correlation_ratio(x, y) == pytest.approx(0.2, abs=0.01)


def test_rank_inputs_recovers_the_ishigami_first_order_indices():
    rng = np.random.default_rng(2)
    unit = rng.random((8000, 4))
    table = rank_inputs(pd.DataFrame(unit, columns=["x1", "x2", "x3", "unused"]), ishigami(unit[:, :3]),
                        rng=np.random.default_rng(0), n_resamples=100)
    by_input = table.set_index("input")
    assert by_input.sort_values("rank").index[:2].tolist() == ["x2", "x1"]
    for name, expected in ISHIGAMI_FIRST.items():
        assert by_input.at[name, "correlation_ratio"] == pytest.approx(expected, abs=0.03)
        assert by_input.at[name, "correlation_ratio_low"] <= expected + 0.01
        assert expected - 0.01 <= by_input.at[name, "correlation_ratio_high"]
    assert by_input.at["x1", "spearman"] > 0.3 and abs(by_input.at["x2", "spearman"]) < 0.05


# --- scenarios -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def baseline():
    return load_scenario(BASELINE)


def test_the_factors_of_the_baseline(baseline):
    factors = sobol_factors(baseline)
    columns = unit_columns(baseline)
    assert [columns[j] for j in factors["actors.syria.salience"]] == [
        f"actors.syria.salience.{issue}" for issue in ("extradition", "compensation", "tartus", "khmeimim")]
    assert [columns[j] for j in factors[NOISE_FACTOR]] == noise_columns(baseline)
    assert "events.sanctions_relief.occurs" in factors and "events.turkish_defence_pact.occurs" in factors
    assert "actors.turkey.leverage.syria" in factors
    owned = sorted(j for cols in factors.values() for j in cols)
    assert owned == list(range(len(columns)))  # every column belongs to exactly one factor


def test_an_event_that_surely_happens_is_not_a_factor(baseline):
    sure = basesim.with_overrides(baseline, {"events.sanctions_relief.probability": 1.0})
    assert "events.sanctions_relief.occurs" not in sobol_factors(sure)


@pytest.fixture(scope="module")
def baseline_indices(baseline):
    return sobol_sensitivity(baseline, n=64, seed=5, n_resamples=99)


def test_baseline_sobol_table_covers_every_output_and_factor(baseline, baseline_indices):
    table = baseline_indices.table
    outputs = ["result.agreement", *[f"outcome.{name}" for name in baseline.outcomes]]
    assert baseline_indices.outputs == outputs
    assert len(table) == len(outputs) * len(sobol_factors(baseline))
    assert baseline_indices.provenance["seed"] == 5
    assert baseline_indices.provenance["evaluations"] == 64 * (len(sobol_factors(baseline)) + 2)
    assert (table["first_order_low"] <= table["first_order"] + 1e-12).all()
    assert (table["total_order"] <= table["total_order_high"] + 1e-12).all()


def test_parameters_the_protocol_ignores_score_zero(baseline_indices):
    # alternating offers never reads the Nash bargaining power
    power = baseline_indices.table[baseline_indices.table["factor"] == "actors.russia.power"]
    assert (power["first_order"] == 0).all() and (power["total_order"] == 0).all()


def test_baseline_sobol_is_reproducible(baseline, baseline_indices):
    again = sobol_sensitivity(baseline, n=64, seed=5, n_resamples=99)
    pd.testing.assert_frame_equal(again.table, baseline_indices.table)


def test_scenario_outputs_from_a_run_table(baseline):
    result = basesim.run(baseline, runs=100, seed=1, workers=1)
    outputs = scenario_outputs(baseline, result.table, ["result.agreement", "russia_keeps_tartus",
                                                        "compensation.amount", "tartus.value", "utility.syria"])
    assert list(outputs.columns) == ["result.agreement", "outcome.russia_keeps_tartus", "compensation.amount",
                                     "tartus.value", "utility.syria"]
    assert outputs["result.agreement"].mean() == pytest.approx(result.summary.probability("result", "result",
                                                                                           "agreement"))
    assert set(outputs["tartus.value"]) <= set(baseline.issues["tartus"].values)


def test_input_ranking_of_a_run(baseline):
    result = basesim.run(baseline, runs=400, seed=1, workers=1)
    table = input_ranking(result, outputs=["russia_keeps_tartus"], rng=np.random.default_rng(0), n_resamples=50)
    assert set(table["output"]) == {"outcome.russia_keeps_tartus"}
    assert "actors.turkey.leverage.syria" in set(table["input"])
    assert sorted(table["rank"]) == list(range(1, len(table) + 1))
    assert table["correlation_ratio"].is_monotonic_decreasing


def test_sensitivity_errors_say_what_is_allowed(baseline):
    with pytest.raises(UsageError, match=r"outputs: 'tartus_kept' is not an output of scenario 'baseline'; "
                                         r"expected one of result.agreement, outcome.russia_keeps_tartus"):
        sobol_sensitivity(baseline, n=64, seed=1, outputs=["tartus_kept"])
    with pytest.raises(UsageError, match=r"scenario 'minimal' has no uncertain input"):
        sobol_sensitivity(MINIMAL, n=64, seed=1)
    summary_only = basesim.run(baseline, runs=20, seed=1, workers=1, summary_only=True)
    with pytest.raises(UsageError, match=r"a ranking needs the per-replication table"):
        input_ranking(summary_only, rng=np.random.default_rng(0))
