"""Flat memory in long runs (basesim.montecarlo.memory): the worker hooks are in place and change nothing.

How flat the memory stays is measured by experiments/benchmark.py (section
``memory``: the process tree's peak every 10^6 runs of a 10^7-run summary-only
run), not here.
"""

from __future__ import annotations

import gc
import sys

import numpy as np
import pytest

from basesim.montecarlo import memory, runner


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="malloc_trim is glibc's")
def test_freed_memory_is_handed_back_on_linux_at_most_every_few_seconds(monkeypatch):
    monkeypatch.setattr(memory, "_last_trim", [-float("inf")])
    assert memory.release_freed_memory() is True
    assert memory.release_freed_memory() is False  # again within TRIM_EVERY seconds
    memory._last_trim[0] -= memory.TRIM_EVERY
    assert memory.release_freed_memory() is True


def test_workers_freeze_what_they_inherit():
    pool = runner.process_pool(1)
    try:
        assert pool.submit(gc.get_freeze_count).result(timeout=120) > 0
    finally:
        pool.shutdown(wait=True)


def test_a_task_gives_the_same_counts_with_or_without_handing_memory_back(monkeypatch):
    from conftest import SCENARIOS
    from basesim.scenario.loader import load_scenario

    scenario = load_scenario(SCENARIOS / "minimal.yaml")
    task = runner._Task(scenario, 7, 64, ((0, 64), (1, 50)), scenario.protocol.name, True)
    with_trim = runner._play_task(task)
    monkeypatch.setattr(runner, "release_freed_memory", lambda: False)
    without = runner._play_task(task)
    for a, b in zip(with_trim, without):
        np.testing.assert_array_equal(a.counts.result, b.counts.result)
        assert a.counts.runs == b.counts.runs
