"""The Monte Carlo runner: seeding, determinism across workers and executors, replay, precision."""

from __future__ import annotations

import concurrent.futures as cf
import math
import threading

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import basesim
from basesim import model
from basesim.montecarlo import runner
from basesim.errors import ScenarioError, UsageError
from basesim.montecarlo.runner import BatchOutput, batch_draws, batch_rng, replay, replicate_draws
from basesim.scenario.sampling import sample, unit_columns
from basesim.montecarlo.summary import Counts, Summary, named_outcomes, wilson_interval
from runner_scenarios import DEADLOCK, DEADLOCK_BREAKDOWN, TALKS, load

BATCH = 64


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of 64 worlds, so a few hundred runs span several batches and a partial one."""
    monkeypatch.setattr(model, "batch_size", lambda scenario: BATCH)
    return BATCH


@pytest.fixture(scope="module")
def talks():
    return load(TALKS)


# --- seeding ----------------------------------------------------------------------------------


def test_batch_generator_is_the_spawned_child():
    children = np.random.SeedSequence(1234).spawn(5)
    for j, child in enumerate(children):
        expected = np.random.default_rng(child).random(8)
        np.testing.assert_array_equal(batch_rng(1234, j).random(8), expected)


def test_a_short_batch_is_the_start_of_a_full_one(talks):
    full = batch_draws(talks, seed=3, index=2, size=BATCH, batch_size=BATCH)
    short = batch_draws(talks, seed=3, index=2, size=10, batch_size=BATCH)
    np.testing.assert_array_equal(short.replicate, np.arange(2 * BATCH, 2 * BATCH + 10))
    for name in ("ideal_point", "salience", "breakdown_u", "event_round", "belief_ideal_z"):
        np.testing.assert_array_equal(getattr(short, name), getattr(full, name)[:10])


def test_replicate_draws_are_row_k_of_its_batch(talks, small_batches):
    k = 3 * BATCH + 17
    alone = replicate_draws(talks, k, seed=9)
    batch = sample(talks, BATCH, batch_rng(9, 3), first_replicate=3 * BATCH)
    assert alone.replicate.tolist() == [k]
    np.testing.assert_array_equal(alone.ideal_point, batch.ideal_point[[17]])
    np.testing.assert_array_equal(alone.breakdown_u, batch.breakdown_u[[17]])


# --- determinism ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reference(talks):
    """The TALKS table of 300 runs (batches of 64: four full and one of 44), in-process."""
    mp = pytest.MonkeyPatch()
    mp.setattr(model, "batch_size", lambda scenario: BATCH)
    try:
        yield basesim.run(talks, runs=300, seed=42, workers=1)
    finally:
        mp.undo()


def test_table_layout(reference, talks):
    table = reference.table
    assert len(table) == 300
    assert table["replicate"].tolist() == list(range(300))
    inputs = list(batch_draws(talks, seed=42, index=0, size=1, batch_size=BATCH).inputs)
    play_columns = [c for c in model.play(batch_draws(talks, seed=42, index=0, size=2, batch_size=BATCH)).columns
                    if c != "replicate"]
    outcomes = [f"outcome.{name}" for name in talks.outcomes]
    assert list(table.columns) == ["replicate", *inputs, *play_columns, *outcomes]
    assert table["result"].dtype == "category"
    assert all(table[c].dtype == bool for c in outcomes)


def test_two_workers_give_the_same_table(reference, talks, small_batches):
    pooled = basesim.run(talks, runs=300, seed=42, workers=2)
    assert_frame_equal(pooled.table, reference.table)
    assert pooled.summary.counts == reference.summary.counts


def test_any_executor_gives_the_same_table(reference, talks, small_batches):
    with cf.ThreadPoolExecutor(max_workers=3) as executor:
        threaded = basesim.run(talks, runs=300, seed=42, executor=executor)
    assert_frame_equal(threaded.table, reference.table)


def test_dask_local_cluster_gives_the_same_table(reference, talks, small_batches):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        result = basesim.run(talks, runs=300, seed=42, executor=client.get_executor())
    assert_frame_equal(result.table, reference.table)
    assert result.provenance["execution"]["executor"] == "distributed.cfexecutor.ClientExecutor"


def test_same_seed_same_table_other_seed_other_table(reference, talks, small_batches):
    again = basesim.run(talks, runs=300, seed=42, workers=1)
    assert_frame_equal(again.table, reference.table)
    other = basesim.run(talks, runs=300, seed=43, workers=1)
    assert not other.table["actors.south.outside_option"].equals(reference.table["actors.south.outside_option"])


def test_fewer_runs_are_the_first_rows_of_more_runs(reference, talks, small_batches):
    fewer = basesim.run(talks, runs=100, seed=42, workers=1)
    assert_frame_equal(fewer.table, reference.table.iloc[:100])


def test_summary_only_keeps_the_same_counts(reference, talks, small_batches):
    compact = basesim.run(talks, runs=300, seed=42, workers=2, summary_only=True)
    assert compact.table is None
    assert compact.summary.counts == reference.summary.counts
    assert_frame_equal(compact.summary.table, Summary.from_table(talks, reference.table).table)


def test_seed_defaults_to_the_scenarios(reference, talks, small_batches):
    result = basesim.run(talks, runs=50, workers=1)
    assert result.provenance["seed"] == talks.monte_carlo.seed == 11
    assert result.provenance["seed_source"] == "scenario"
    assert reference.provenance["seed_source"] == "argument"


def test_a_drawn_seed_is_recorded_and_repeats_the_run(talks, small_batches):
    unseeded = load(TALKS.replace("monte_carlo: {runs: 1000, seed: 11}", "monte_carlo: {runs: 100}"))
    first = basesim.run(unseeded, workers=1)
    assert first.provenance["seed_source"] == "drawn"
    assert first.seed > 2**64  # SeedSequence entropy is 128 bits
    second = basesim.run(unseeded, seed=first.seed, workers=1)
    assert_frame_equal(second.table, first.table)


def test_runs_default_to_the_scenarios(small_batches):
    result = basesim.run(load(DEADLOCK), workers=1, summary_only=True)
    assert result.runs == 1000


# --- replay ----------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [0, 17, BATCH - 1, BATCH, 3 * BATCH + 5, 299])
def test_replay_of_replicate_k_matches_row_k(reference, talks, small_batches, k):
    row = reference.table.iloc[k]
    alone = model.play(replicate_draws(talks, k, seed=42))
    assert alone["replicate"].tolist() == [k]
    assert_frame_equal(alone.drop(columns="replicate").reset_index(drop=True),
                       reference.table.loc[[k], alone.columns.drop("replicate")].reset_index(drop=True))
    rounds = replay(talks, k, seed=42)
    last = rounds.iloc[-1]
    assert last["status"] == row["result"]
    assert last["round"] == (row["round"] if row["result"] != "talking" else talks.protocol.rounds - 1)
    if row["result"] == "agreement":
        for issue in talks.issue_names:
            assert last[issue] == row[issue]


def test_replay_matches_the_real_batch_size():
    scenario = basesim.load_scenario("scenarios/baseline.yaml")
    B = model.batch_size(scenario)
    runs = B + 200  # one full batch, one partial
    result = basesim.run(scenario, runs=runs, workers=2)
    for k in (5, B - 1, B, runs - 1):
        alone = model.play(replicate_draws(scenario, k, seed=result.seed))
        columns = alone.columns.drop("replicate")
        assert_frame_equal(alone[columns].reset_index(drop=True),
                           result.table.loc[[k], columns].reset_index(drop=True))
        rounds = replay(scenario, k)
        assert rounds.iloc[-1]["status"] == result.table.loc[k, "result"]
        assert rounds.iloc[-1]["round"] == result.table.loc[k, "round"]


def test_replay_needs_a_seed(small_batches):
    unseeded = load(DEADLOCK.replace("monte_carlo: {runs: 1000, seed: 7}", "monte_carlo: {runs: 10}"))
    with pytest.raises(UsageError, match=r"^seed: replaying a replicate needs the run's seed"):
        replay(unseeded, 3)
    assert not replay(unseeded, 3, seed=1).empty


def test_replay_rejects_a_negative_replicate(talks):
    with pytest.raises(UsageError, match=r"^replicate: must be a whole number >= 0, got -1$"):
        replay(talks, -1)


# --- a known probability ----------------------------------------------------------------------------


def test_breakdown_probability_of_a_deadlock(small_batches):
    """No agreement is possible, so P(breakdown) = 1 - (1 - 0.05)^10, and the intervals cover it."""
    scenario = load(DEADLOCK)
    batches = 250
    result = basesim.run(scenario, runs=batches * BATCH, seed=2024, workers=2)
    table = result.table
    assert (table["result"] != "agreement").all()
    p = DEADLOCK_BREAKDOWN
    summary = result.summary
    row = summary.table.query("kind == 'result' and value == 'breakdown'").iloc[0]
    assert row["low"] <= p <= row["high"]
    assert summary.probability("outcome", "broke_down") == row["estimate"]
    # every batch is an independent binomial sample: its 95% interval should cover p about 95% of the time
    per_batch = (table["result"] == "breakdown").groupby(table["replicate"] // BATCH).sum().to_numpy()
    low, high = wilson_interval(per_batch, BATCH)
    covered = np.mean((low <= p) & (p <= high))
    assert covered == pytest.approx(0.95, abs=3 * math.sqrt(0.95 * 0.05 / batches))
    # the round of breakdown is geometric: P(round = t | breakdown) = 0.05 * 0.95^t / p
    rounds = table.loc[table["result"] == "breakdown", "round"]
    assert rounds.mean() == pytest.approx(
        sum(t * 0.05 * 0.95**t for t in range(10)) / p, rel=0.05)


# --- precision ---------------------------------------------------------------------------------------


def test_precision_adds_batches_until_every_interval_is_narrow(talks, small_batches):
    result = basesim.run(talks, precision=0.05, seed=1, workers=2)
    record = result.provenance["precision"]
    assert record["reached"] and record["max_half_width"] < 0.05
    assert result.runs % BATCH == 0 and record["runs"] == result.runs
    assert result.summary.max_half_width() < 0.05
    # it stopped at the first batch that got there
    shorter = basesim.run(talks, runs=result.runs - BATCH, seed=1, workers=1, summary_only=True)
    assert shorter.summary.max_half_width() >= 0.05
    # and the number of runs does not depend on the workers
    alone = basesim.run(talks, precision=0.05, seed=1, workers=1)
    assert alone.runs == result.runs
    assert_frame_equal(alone.table, result.table)


def test_precision_stops_at_max_runs(talks, small_batches):
    result = basesim.run(talks, precision=0.001, max_runs=200, seed=1, workers=1, summary_only=True)
    record = result.provenance["precision"]
    assert result.runs == 200 and not record["reached"] and record["max_half_width"] > 0.001


# --- execution details ----------------------------------------------------------------------------------


class CountingExecutor(cf.ThreadPoolExecutor):
    """A thread pool that records how many tasks were ever outstanding at once."""

    def __init__(self):
        super().__init__(max_workers=2)
        self.outstanding = 0
        self.most = 0
        self.lock = threading.Lock()

    def submit(self, fn, /, *args, **kwargs):
        with self.lock:
            self.outstanding += 1
            self.most = max(self.most, self.outstanding)
        return super().submit(fn, *args, **kwargs)


def test_only_a_bounded_number_of_tasks_is_in_flight(talks, small_batches, monkeypatch):
    executor = CountingExecutor()
    handed = []

    def on_progress(done, total):
        handed.append(done)
        executor.outstanding = executor.outstanding - 1  # one task (of one batch) handed on

    monkeypatch.setattr(runner, "TASK_WORLDS", 1)  # one batch per task
    monkeypatch.setattr(runner, "_parallelism", lambda executor, workers: 2)
    with executor:
        result = basesim.run(talks, runs=40 * BATCH, seed=1, executor=executor, summary_only=True,
                             progress=on_progress)
    assert result.runs == 40 * BATCH
    assert handed == [BATCH * (i + 1) for i in range(40)]  # progress after every batch, in order
    assert executor.most <= runner.TASKS_PER_WORKER * 2


def test_progress_reports_every_batch(talks, small_batches):
    seen = []
    basesim.run(talks, runs=150, seed=1, workers=1, summary_only=True, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(64, 150), (128, 150), (150, 150)]


def test_an_interrupted_run_stops_the_pool(talks, small_batches):
    def interrupt(done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        basesim.run(talks, runs=20 * BATCH, seed=1, workers=2, progress=interrupt)


def test_a_model_error_in_a_worker_reaches_the_caller(talks, small_batches, monkeypatch):
    def broken(draws, *, protocol=None, engine=None):
        raise ZeroDivisionError("model bug")

    monkeypatch.setattr(model, "play", broken)
    with cf.ThreadPoolExecutor(2) as executor, pytest.raises(ZeroDivisionError, match="model bug"):
        basesim.run(talks, runs=300, seed=1, executor=executor)


def test_protocol_option_is_used_and_recorded(talks, small_batches):
    result = basesim.run(talks, runs=100, seed=1, workers=1, protocol="nash")
    assert result.provenance["protocol"] == "nash"
    direct = model.play(batch_draws(talks, seed=1, index=0, size=BATCH, batch_size=BATCH), protocol="nash")
    assert result.table["result"].iloc[:BATCH].tolist() == direct["result"].tolist()


def test_overrides_are_applied(small_batches):
    result = basesim.run(load(DEADLOCK), runs=200, workers=1, overrides={"protocol.breakdown_risk": 0.0})
    assert (result.table["result"] == "talking").all()


def test_a_path_is_loaded_with_overrides(tmp_path, small_batches):
    path = tmp_path / "deadlock.yaml"
    path.write_text(DEADLOCK)
    result = basesim.run(path, runs=64, workers=1, overrides=["protocol.breakdown_risk=0.0"])
    assert result.scenario.protocol.breakdown_risk == 0.0
    assert result.provenance["command"].startswith("basesim.run(")


# --- provenance ------------------------------------------------------------------------------------------


def test_provenance_records_what_reproduces_the_run(reference, talks):
    p = reference.provenance
    for package in ("python", "basesim", "numpy", "scipy", "mesa", "pandas"):
        assert p["versions"][package]
    assert p["scenario_hash"] == basesim.scenario_hash(talks)
    assert basesim.scenario_from_data(p["scenario"]) == talks
    assert p["seed"] == 42 and p["runs"] == 300 and p["batch_size"] == BATCH
    assert p["protocol"] == "alternating_offers"
    assert "runs=300" in p["command"] and "seed=42" in p["command"]
    assert p["started"] <= p["finished"]
    assert p["execution"] == {"executor": "in-process", "workers": 1}


# --- bad input ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"runs": 0}, "runs: must be a positive whole number, got 0"),
        ({"runs": -5}, "runs: must be a positive whole number, got -5"),
        ({"runs": 2.5}, "runs: must be a positive whole number, got 2.5"),
        ({"workers": 0}, "workers: must be a positive whole number, got 0"),
        ({"seed": -1}, "seed: must be a whole number >= 0, got -1"),
        ({"protocol": "alternate"},
         "protocol: 'alternate' is not a protocol; expected one of alternating_offers, equilibrium, nash, expected_utility"),
        ({"precision": 0.7}, "precision: must be a half-width between 0 and 0.5 (e.g. 0.01), got 0.7"),
        ({"precision": 0.01, "runs": 10},
         "runs: give runs or precision, not both (with precision, max_runs caps the number of runs)"),
    ],
)
def test_bad_options_raise_one_clear_usage_error(talks, options, message):
    with pytest.raises(UsageError) as error:
        basesim.run(talks, **options)
    assert str(error.value) == message


def test_bad_override_raises_a_scenario_error(talks):
    with pytest.raises(ScenarioError, match=r"actors\.nobody"):
        basesim.run(talks, runs=10, overrides={"actors.nobody.power": 2})


def test_execute_hands_batches_on_in_order_whatever_finishes_first(monkeypatch):
    """Later tasks finishing first are held back until the earlier ones are handed on."""
    finish_order = [3, 1, 0, 2, 4]
    events = {i: threading.Event() for i in finish_order}

    def play(task):
        index = task.batches[0][0]
        position = finish_order.index(index)
        if position:
            events[finish_order[position - 1]].wait(5)
        events[index].set()
        return [BatchOutput(index, None, None)]

    monkeypatch.setattr(runner, "_play_task", play)
    tasks = (runner._Task(None, 0, 1, ((i, 1),), "nash", True) for i in range(5))
    handed = []
    with cf.ThreadPoolExecutor(5) as executor:
        runner._execute(tasks, executor=executor, in_flight=5, on_batch=lambda out: handed.append(out.index))
    assert handed == [0, 1, 2, 3, 4]


def test_counts_of_a_batch_match_its_table(talks):
    draws = batch_draws(talks, seed=4, index=0, size=200, batch_size=200)
    output = runner.play_batch(talks, draws, protocol="alternating_offers", summary_only=False)
    assert output.counts == Counts.from_table(talks, output.table)
    flags = named_outcomes(talks, output.table)
    assert_frame_equal(flags, output.table[flags.columns])
    assert unit_columns(talks)  # the scenario samples something
    assert isinstance(output.table, pd.DataFrame)


def test_played_batches_leave_no_model_behind(talks):
    """Memory must not grow with the number of batches a worker plays (mesa issue #3179)."""
    import gc

    gc.collect()
    before = {id(o) for o in gc.get_objects() if isinstance(o, model.NegotiationModel)}  # other tests' traces
    for index in range(3):
        draws = batch_draws(talks, seed=4, index=index, size=50, batch_size=50)
        runner.play_batch(talks, draws, protocol="alternating_offers", summary_only=True)
    gc.collect()
    assert not [o for o in gc.get_objects() if isinstance(o, model.NegotiationModel) and id(o) not in before]
