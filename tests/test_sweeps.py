"""Sweeps: designs, common random numbers, agreement with plain runs, resume."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import basesim
import basesim.montecarlo.runner
from basesim import ScenarioError, UsageError, load_scenario
from basesim.analysis.sweep_cache import SweepCache
from basesim.analysis.sweeps import grid, latin_hypercube, point_seeds, sobol_sample, statistic_name, sweep

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"
LEVERAGE = "actors.turkey.leverage.syria"
RUNS = 200


@pytest.fixture(scope="module")
def baseline():
    return load_scenario(BASELINE)


# --- designs ---------------------------------------------------------------------------------


def test_grid_is_the_full_product_last_path_fastest():
    design = grid({"a": [0, 1], "b": ["x", "y", "z"]})
    assert design.index.name == "point"
    assert list(design.index) == list(range(6))
    assert design.to_dict("list") == {"a": [0, 0, 0, 1, 1, 1], "b": ["x", "y", "z", "x", "y", "z"]}


def test_grid_accepts_numpy_values_and_single_values():
    design = grid({"a": np.linspace(0, 1, 3), "b": 5})
    assert design["a"].tolist() == [0.0, 0.5, 1.0]
    assert design["b"].tolist() == [5, 5, 5]
    assert all(type(v) is float for v in design["a"])


def test_latin_hypercube_puts_one_point_in_every_slice_of_every_range():
    n = 8
    design = latin_hypercube({"a": (0.0, 1.0), "b": (10.0, 30.0)}, n, rng=np.random.default_rng(3))
    assert len(design) == n
    for path, (low, high) in {"a": (0.0, 1.0), "b": (10.0, 30.0)}.items():
        slices = np.floor((design[path].to_numpy() - low) / (high - low) * n).astype(int)
        assert sorted(slices) == list(range(n))
    again = latin_hypercube({"a": (0.0, 1.0), "b": (10.0, 30.0)}, n, rng=np.random.default_rng(3))
    pd.testing.assert_frame_equal(design, again)


def test_integer_ranges_give_whole_numbers_within_bounds():
    design = latin_hypercube({"protocol.rounds": (6, 24)}, 32, rng=np.random.default_rng(0))
    values = design["protocol.rounds"]
    assert all(isinstance(v, int) for v in values)
    assert values.min() >= 6 and values.max() <= 24


def test_sobol_sample_needs_a_power_of_two():
    design = sobol_sample({"a": (0.0, 1.0)}, 16, rng=np.random.default_rng(1))
    assert len(design) == 16 and design["a"].between(0, 1).all()
    with pytest.raises(UsageError, match=r"sobol_sample: n must be a power of 2 \(e.g. 16, 64, 256\), got 10"):
        sobol_sample({"a": (0.0, 1.0)}, 10, rng=np.random.default_rng(1))


def test_design_errors_say_what_is_allowed():
    with pytest.raises(UsageError, match=r"latin_hypercube: a: low must be below high, got \(1, 0\)"):
        latin_hypercube({"a": (1, 0)}, 4, rng=np.random.default_rng(0))
    with pytest.raises(UsageError, match=r"latin_hypercube: a: give a range as \(low, high\), got 3"):
        latin_hypercube({"a": 3}, 4, rng=np.random.default_rng(0))
    with pytest.raises(UsageError, match=r"grid: b: give at least one value"):
        grid({"b": []})


def test_point_seeds_common_and_independent():
    assert point_seeds(42, 3) == [42, 42, 42]
    independent = point_seeds(42, 4, common_random_numbers=False)
    assert len(set(independent)) == 4
    assert independent == point_seeds(42, 4, common_random_numbers=False)
    # a longer design keeps the seeds of its first points
    assert point_seeds(42, 6, common_random_numbers=False)[:4] == independent


def test_statistic_names():
    assert statistic_name("result", "result", "agreement") == "result.agreement"
    assert statistic_name("outcome", "russia_keeps_tartus", "true") == "outcome.russia_keeps_tartus"
    assert statistic_name("level", "tartus", "full lease") == "level.tartus.full lease"
    assert statistic_name("quantile", "compensation.amount", "p50") == "quantile.compensation.amount.p50"


# --- a sweep point is a plain run -----------------------------------------------------------------


@pytest.fixture(scope="module")
def leverage_sweep(baseline):
    return sweep(baseline, {LEVERAGE: [0.0, 0.3]}, runs=RUNS, seed=7, workers=1, keep_replications=True)


def test_a_sweep_point_equals_a_plain_run_with_that_override_and_seed(baseline, leverage_sweep):
    plain = basesim.run(BASELINE, overrides={LEVERAGE: 0.3}, runs=RUNS, seed=7, workers=1)
    point = leverage_sweep.summary[leverage_sweep.summary["point"] == 1]
    columns = ["kind", "name", "value", "estimate", "low", "high", "count", "runs"]
    pd.testing.assert_frame_equal(point[columns].reset_index(drop=True), plain.summary.table[columns])
    replications = leverage_sweep.replications()
    rows = replications[replications["point"] == 1].drop(columns=["point", LEVERAGE]).reset_index(drop=True)
    pd.testing.assert_frame_equal(rows, plain.table)


def test_the_wide_table_has_one_row_per_point_with_intervals(leverage_sweep):
    table = leverage_sweep.table
    assert list(table["point"]) == [0, 1]
    assert list(table[LEVERAGE]) == [0.0, 0.3]
    assert (table["seed"] == 7).all() and (table["runs"] == RUNS).all()
    for stat in leverage_sweep.statistics:
        assert {stat, f"{stat}_low", f"{stat}_high"} <= set(table.columns)
    p = table["outcome.russia_keeps_tartus"]
    assert ((table["outcome.russia_keeps_tartus_low"] <= p) & (p <= table["outcome.russia_keeps_tartus_high"])).all()
    assert leverage_sweep.provenance["common_random_numbers"] is True
    assert leverage_sweep.provenance["seed"] == 7


def test_turkish_leverage_lowers_the_odds_of_a_russian_tartus(leverage_sweep):
    # the direction the model must show: Turkey pulls Syria away from a Russian presence
    p = leverage_sweep.table.set_index(LEVERAGE)["outcome.russia_keeps_tartus"]
    assert p[0.3] < p[0.0]


def test_replications_need_keep_replications(baseline):
    result = sweep(baseline, {LEVERAGE: [0.1]}, runs=50, seed=1, workers=1)
    with pytest.raises(UsageError, match=r"run it with keep_replications=True"):
        result.replications()


# --- common random numbers ------------------------------------------------------------------------


def _estimates(result) -> pd.DataFrame:
    return result.summary.pivot(index="statistic", columns="point", values="estimate")


def test_with_crn_an_ignored_parameter_gives_identical_results_at_every_point(baseline):
    # the colour of an actor is never read by the model
    result = sweep(baseline, {"actors.turkey.color": ["#000000", "#ffffff", "#e9c46a"]}, runs=RUNS, seed=3, workers=1)
    estimates = _estimates(result)
    for point in (1, 2):
        pd.testing.assert_series_equal(estimates[point], estimates[0], check_names=False)


def test_with_crn_an_influencers_salience_is_ignored_when_its_leverage_is_zero(baseline):
    # (the Turkish defence pact would raise the leverage mid-talks: it must not happen)
    no_pact = basesim.with_overrides(baseline, {"events.turkish_defence_pact.probability": 0.0})
    result = sweep(no_pact, {LEVERAGE: [0.0], "actors.turkey.salience.tartus": [0.1, 0.4, 0.9]},
                   runs=RUNS, seed=3, workers=1)
    estimates = _estimates(result)
    assert len(result.table) == 3
    for point in (1, 2):
        pd.testing.assert_series_equal(estimates[point], estimates[0], check_names=False)


def test_independent_streams_differ_and_each_point_is_a_run_with_its_own_seed(baseline):
    colours = ["#000000", "#ffffff"]
    result = sweep(baseline, {"actors.turkey.color": colours}, runs=RUNS, seed=3, workers=1,
                   common_random_numbers=False)
    estimates = _estimates(result)
    assert not estimates[0].equals(estimates[1])
    seeds = point_seeds(3, 2, common_random_numbers=False)
    assert result.table["seed"].tolist() == seeds
    plain = basesim.run(baseline, overrides={"actors.turkey.color": colours[1]}, runs=RUNS, seed=seeds[1], workers=1)
    np.testing.assert_array_equal(estimates[1].loc[result.statistics].to_numpy(), plain.summary.table["estimate"])


def test_a_process_pool_gives_the_same_sweep(baseline, leverage_sweep):
    pooled = sweep(baseline, {LEVERAGE: [0.0, 0.3]}, runs=RUNS, seed=7, workers=2)
    pd.testing.assert_frame_equal(pooled.table, leverage_sweep.table)


# --- tables and arrays ----------------------------------------------------------------------------


def test_to_xarray_of_a_grid_has_the_swept_parameters_as_dimensions(baseline):
    result = sweep(baseline, {LEVERAGE: [0.0, 0.2], "actors.syria.outside_option": [-0.1, 0.0, 0.1]},
                   runs=50, seed=2, workers=1)
    data = result.to_xarray()
    assert data["estimate"].dims == (LEVERAGE, "actors.syria.outside_option", "statistic")
    assert data.sizes == {LEVERAGE: 2, "actors.syria.outside_option": 3, "statistic": len(result.statistics)}
    assert list(data["statistic"].values) == result.statistics
    table = result.table.set_index([LEVERAGE, "actors.syria.outside_option"])
    for (lev, outside), row in table.iterrows():
        cell = data.sel({LEVERAGE: lev, "actors.syria.outside_option": outside, "statistic": "result.agreement"})
        assert float(cell["estimate"]) == row["result.agreement"]
        assert float(cell["low"]) == row["result.agreement_low"]


def test_to_xarray_of_other_designs_runs_along_points(baseline):
    design = latin_hypercube({LEVERAGE: (0.0, 0.5), "actors.syria.outside_option": (-0.1, 0.1)}, 3,
                             rng=np.random.default_rng(0))
    result = sweep(baseline, design, runs=30, seed=2, workers=1)
    assert not result.is_grid()
    data = result.to_xarray()
    assert data["estimate"].dims == ("point", "statistic")
    assert "point" in data.dims and LEVERAGE in data.coords
    np.testing.assert_allclose(data[LEVERAGE].values, design[LEVERAGE].to_numpy())


def test_save_writes_the_tables(tmp_path, leverage_sweep):
    written = leverage_sweep.save(tmp_path / "out")
    assert sorted(p.name for p in written.values()) == ["replications.parquet", "scenario.resolved.yaml", "sweep.csv", "sweep_long.csv"]
    back = pd.read_csv(written["table"])
    assert len(back) == 2 and back["outcome.russia_keeps_tartus"].tolist() == \
        leverage_sweep.table["outcome.russia_keeps_tartus"].tolist()


# --- errors -----------------------------------------------------------------------------------------


def test_a_bad_point_is_reported_before_anything_runs(baseline, monkeypatch):
    calls = []
    monkeypatch.setattr(basesim.montecarlo.runner, "run", lambda *a, **k: calls.append(1))
    with pytest.raises(ScenarioError, match=r"sweep point 1 \(actors.turkey.leverage.syria=1.5\): "
                                            r"actors.turkey.leverage.syria: must be in \[0, 1\], got 1.5"):
        sweep(baseline, {LEVERAGE: [0.2, 1.5]}, runs=10, seed=1, workers=1)
    assert calls == []


def test_an_unknown_path_is_reported_with_a_suggestion(baseline):
    with pytest.raises(ScenarioError, match=r"sweep point 0 .*unknown key 'leverag'"):
        sweep(baseline, {"actors.turkey.leverag.syria": [0.2]}, runs=10, seed=1, workers=1)


def test_bad_options_are_usage_errors(baseline):
    with pytest.raises(UsageError, match=r"runs: must be"):
        sweep(baseline, {LEVERAGE: [0.2]}, runs=0, seed=1)
    with pytest.raises(UsageError, match=r"design: give a mapping"):
        sweep(baseline, [0.1, 0.2], runs=10, seed=1)


# --- resume -----------------------------------------------------------------------------------------


class _Counter:
    """Wraps basesim.montecarlo.runner.run: counts calls, and raises KeyboardInterrupt on call ``fail_at``."""

    def __init__(self, real, fail_at=None):
        self.real, self.fail_at, self.calls = real, fail_at, []

    def __call__(self, *args, **kwargs):
        if self.fail_at is not None and len(self.calls) + 1 == self.fail_at:
            raise KeyboardInterrupt
        self.calls.append(kwargs.get("overrides"))
        return self.real(*args, **kwargs)


def test_resume_after_an_interruption_recomputes_nothing_finished(baseline, tmp_path, monkeypatch):
    design = {LEVERAGE: [0.0, 0.1, 0.2, 0.3, 0.4]}
    real = basesim.montecarlo.runner.run
    interrupted = _Counter(real, fail_at=3)
    monkeypatch.setattr(basesim.montecarlo.runner, "run", interrupted)
    with pytest.raises(KeyboardInterrupt):
        sweep(baseline, design, runs=50, seed=11, workers=1, cache=tmp_path, keep_replications=True)
    assert len(interrupted.calls) == 2
    assert len(SweepCache(tmp_path)) == 2

    resumed = _Counter(real)
    monkeypatch.setattr(basesim.montecarlo.runner, "run", resumed)
    result = sweep(baseline, design, runs=50, seed=11, workers=1, cache=tmp_path, keep_replications=True)
    assert resumed.calls == [{LEVERAGE: 0.2}, {LEVERAGE: 0.3}, {LEVERAGE: 0.4}]
    assert result.computed == [2, 3, 4]
    assert result.provenance["from_cache"] == 2

    again = _Counter(real)
    monkeypatch.setattr(basesim.montecarlo.runner, "run", again)
    cached = sweep(baseline, design, runs=50, seed=11, workers=1, cache=tmp_path, keep_replications=True)
    assert again.calls == [] and cached.computed == []

    monkeypatch.setattr(basesim.montecarlo.runner, "run", real)
    fresh = sweep(baseline, design, runs=50, seed=11, workers=1, keep_replications=True)
    pd.testing.assert_frame_equal(result.table, fresh.table)
    pd.testing.assert_frame_equal(cached.table, fresh.table)
    pd.testing.assert_frame_equal(cached.replications(), fresh.replications())


def test_the_cache_key_holds_seed_runs_and_point(baseline, tmp_path, monkeypatch):
    sweep(baseline, {LEVERAGE: [0.0, 0.1]}, runs=20, seed=1, workers=1, cache=tmp_path)
    counter = _Counter(basesim.montecarlo.runner.run)
    monkeypatch.setattr(basesim.montecarlo.runner, "run", counter)
    sweep(baseline, {LEVERAGE: [0.0, 0.1]}, runs=20, seed=2, workers=1, cache=tmp_path)  # new seed
    sweep(baseline, {LEVERAGE: [0.0, 0.1]}, runs=30, seed=1, workers=1, cache=tmp_path)  # new runs
    sweep(baseline, {LEVERAGE: [0.1, 0.2]}, runs=20, seed=1, workers=1, cache=tmp_path)  # one new point
    assert len(counter.calls) == 2 + 2 + 1
    # a summary-only point is recomputed when the replications are asked for
    sweep(baseline, {LEVERAGE: [0.0]}, runs=20, seed=1, workers=1, cache=tmp_path, keep_replications=True)
    assert len(counter.calls) == 6
