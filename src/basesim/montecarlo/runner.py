"""Monte Carlo runs: seeded batches of parallel worlds, played on any executor.

A run of ``runs`` replications is cut into batches of the fixed size
``B = basesim.model.batch_size(scenario)``, a function of the scenario only.
Batch ``j`` holds replicates ``j*B ... j*B + n_j - 1`` and draws its inputs from
its own generator::

    rng_j = numpy.random.default_rng(SeedSequence(seed, spawn_key=(j,)))
    draws_j = sample(scenario, n_j, rng_j, first_replicate=j * B)

which is child ``j`` of ``SeedSequence(seed).spawn(...)``, made directly so
batch ``j`` can be recreated alone. Because ``sample`` fills row by row, the
last, shorter batch equals the first rows of a full one, and replicate ``k``
is row ``k % B`` of batch ``k // B``: it can be replayed alone
(:func:`replay`). Batches are independent tasks; their outputs are put back in
batch order, so the same seed gives the same table whatever the number of
workers or the executor (msprime's and SPEC 7's rules for reproducible
parallel random numbers).

With ``summary_only`` a task returns only additive counts
(:class:`~basesim.montecarlo.summary.Counts`), and at most a few tasks are in flight, so
memory stays flat however many runs are asked for.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import math
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from basesim.errors import UsageError
from basesim.scenario.loader import load_scenario, with_overrides
from basesim.montecarlo.memory import release_freed_memory, worker_started
from basesim.montecarlo.provenance import collect_provenance, describe_call, now
from basesim.montecarlo.results import RunResult
from basesim.scenario.sampling import Draws, sample
from basesim.scenario.schema import PROTOCOLS, Scenario
from basesim.montecarlo.summary import Counts, Summary, max_half_width, named_outcomes

__all__ = [
    "DEFAULT_MAX_RUNS",
    "MAX_RUNS",
    "MAX_TABLE_RUNS",
    "check_runs",
    "batch_draws",
    "batch_rng",
    "check_protocol",
    "replay",
    "replicate_draws",
    "resolve_seed",
    "run",
]

#: Most runs a ``precision`` run may take.
DEFAULT_MAX_RUNS = 1_000_000

#: Most runs of one call (``--runs``, ``--max-runs``): 10^9 is hours of work, and more never ends in practice.
MAX_RUNS = 1_000_000_000
#: Most runs that keep their table (one row of a few hundred bytes each); beyond it, ``summary_only``.
MAX_TABLE_RUNS = 10_000_000

#: Aim for tasks of at least this many worlds (batches are grouped below it).
TASK_WORLDS = 2048

#: Tasks in flight per worker: enough to keep workers busy, few enough to bound memory.
TASKS_PER_WORKER = 2

#: How batches are played (``basesim.model.play``'s engine): ``kernel``, the compiled per-world kernel
#: (basesim.model.kernel), which gives the vectorised batch's rows bit for bit (tests/test_kernel.py), or
#: ``batch``, the vectorised Mesa model. Where the kernel cannot run, the batch plays.
ENGINE = "kernel"

Progress = Callable[[int, int], None]


# --- checking options ----------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def check_protocol(protocol: str | None, *, option: str = "protocol") -> str | None:
    """``protocol`` if it names a protocol (or is None), else a :class:`UsageError`."""
    if protocol is None or protocol in PROTOCOLS:
        return protocol
    return _fail(f"{option}: {protocol!r} is not a protocol; expected one of {', '.join(PROTOCOLS)}")


def check_positive(value: Any, *, option: str, what: str = "a positive whole number") -> int | None:
    """``value`` as an int if it is a whole number >= 1 (or None), else a :class:`UsageError`."""
    if value is None:
        return None
    if not _is_int(value) or value < 1:
        _fail(f"{option}: must be {what}, got {value!r}")
    return int(value)


def check_runs(runs: Any, *, option: str, summary_only: bool = False, summary_option: str = "--summary-only") -> int | None:
    """``runs`` if it is a count of runs basesim can play (or None): at most :data:`MAX_RUNS`, and at most
    :data:`MAX_TABLE_RUNS` when every run keeps a row of the table."""
    runs = check_positive(runs, option=option)
    if runs is None:
        return None
    if runs > MAX_RUNS:
        _fail(f"{option}: at most {MAX_RUNS:,} runs, got {runs:,}")
    if runs > MAX_TABLE_RUNS and not summary_only:
        _fail(f"{option}: {runs:,} runs would keep a table of {runs:,} rows in memory; at most {MAX_TABLE_RUNS:,} "
              f"keep their table (add {summary_option} to keep only the summary, up to {MAX_RUNS:,} runs)")
    return runs


def check_replicate(replicate: Any, *, option: str = "replicate") -> int:
    if not _is_int(replicate) or replicate < 0:
        _fail(f"{option}: must be a whole number >= 0, got {replicate!r}")
    return int(replicate)


def check_seed(seed: Any, *, option: str = "seed") -> int | None:
    if seed is None:
        return None
    if not _is_int(seed) or seed < 0:
        _fail(f"{option}: must be a whole number >= 0, got {seed!r}")
    return int(seed)


def check_precision(precision: Any, *, option: str = "precision") -> float | None:
    if precision is None:
        return None
    if isinstance(precision, bool) or not isinstance(precision, (int, float)) or not 0 < precision < 0.5:
        _fail(f"{option}: must be a half-width between 0 and 0.5 (e.g. 0.01), got {precision!r}")
    return float(precision)


def _fail(message: str) -> Any:
    raise UsageError(message)


def resolve_seed(scenario: Scenario, seed: int | None = None) -> tuple[int, str]:
    """The seed entropy of a run and where it came from.

    ``seed`` (argument) wins over ``monte_carlo.seed`` (scenario); with
    neither, fresh entropy is drawn from the operating system
    (``SeedSequence().entropy``) and must be recorded to repeat the run.
    """
    if seed is not None:
        return int(seed), "argument"
    if scenario.monte_carlo.seed is not None:
        return int(scenario.monte_carlo.seed), "scenario"
    return int(np.random.SeedSequence().entropy), "drawn"


# --- batches ---------------------------------------------------------------------------------


def batch_rng(seed: int, index: int) -> np.random.Generator:
    """The generator of batch ``index``: child ``index`` of ``SeedSequence(seed)``."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index,)))


def batch_draws(scenario: Scenario, *, seed: int, index: int, size: int, batch_size: int) -> Draws:
    """The draws of the first ``size`` worlds of batch ``index`` (replicates from ``index * batch_size``)."""
    return sample(scenario, size, batch_rng(seed, index), first_replicate=index * batch_size)


def replicate_draws(scenario: Scenario, replicate: int, *, seed: int) -> Draws:
    """The draws of replicate ``replicate`` alone, as in a run with ``seed`` (one world)."""
    from basesim import model

    B = model.batch_size(scenario)
    index, row = divmod(int(replicate), B)
    return batch_draws(scenario, seed=seed, index=index, size=row + 1, batch_size=B).take(np.array([row]))


def replay(scenario: Scenario, replicate: int, *, seed: int | None = None, protocol: str | None = None) -> pd.DataFrame:
    """Play replicate ``replicate`` of a run alone and return its rounds.

    ``seed`` defaults to the scenario's ``monte_carlo.seed``; the result is
    :func:`basesim.model.trace` of that world, and its last round matches
    row ``replicate`` of the run's table.
    """
    from basesim import model

    check_protocol(protocol)
    check_replicate(replicate)
    seed = check_seed(seed)
    if seed is None:
        seed = scenario.monte_carlo.seed
    if seed is None:
        _fail("seed: replaying a replicate needs the run's seed; the scenario has no monte_carlo.seed, "
              "so give it (it is recorded in the run's provenance.json)")
    return model.trace(replicate_draws(scenario, int(replicate), seed=seed), world=0, protocol=protocol)


@dataclass(frozen=True)
class BatchOutput:
    """What one batch sends back: its counts, and its table unless summary-only."""

    index: int
    counts: Counts
    table: pd.DataFrame | None


@dataclass(frozen=True)
class _Task:
    """Consecutive batches played by one worker call."""

    scenario: Scenario
    seed: int
    batch_size: int
    batches: tuple[tuple[int, int], ...]  # (index, size)
    protocol: str
    summary_only: bool
    engine: str = "batch"


def batch_table(draws: Draws, played: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """``replicate``, the sampled inputs, the ``play`` columns, the named outcomes."""
    played = played.reset_index(drop=True)
    inputs = pd.DataFrame(draws.inputs)
    return pd.concat([played[["replicate"]], inputs, played.drop(columns="replicate"),
                      outcomes.reset_index(drop=True)], axis=1)


def play_batch(scenario: Scenario, draws: Draws, *, protocol: str, summary_only: bool, index: int = 0,
               engine: str = "batch") -> BatchOutput:
    """Play one batch of worlds and count (and, unless summary-only, tabulate) them."""
    from basesim import model

    played = model.play(draws, protocol=protocol, engine=engine)
    if not np.array_equal(played["replicate"].to_numpy(), draws.replicate):
        raise RuntimeError("model.play returned rows out of the order of draws.replicate")
    outcomes = named_outcomes(scenario, played)
    counts = Counts.from_table(scenario, played, outcomes)
    table = None if summary_only else batch_table(draws, played, outcomes)
    return BatchOutput(index, counts, table)


def _play_task(task: _Task) -> list[BatchOutput]:
    outputs = [
        play_batch(
            task.scenario,
            batch_draws(task.scenario, seed=task.seed, index=index, size=size, batch_size=task.batch_size),
            protocol=task.protocol,
            summary_only=task.summary_only,
            index=index,
            engine=task.engine,
        )
        for index, size in task.batches
    ]
    release_freed_memory()  # memory stays flat over millions of runs (basesim.montecarlo.memory)
    return outputs


def _batches(runs: int, batch_size: int) -> Iterator[tuple[int, int]]:
    for index in range(math.ceil(runs / batch_size)):
        yield index, min(batch_size, runs - index * batch_size)


def _tasks(batches: Iterator[tuple[int, int]], group: int, make: Callable[[tuple], _Task]) -> Iterator[_Task]:
    chunk: list[tuple[int, int]] = []
    for batch in batches:
        chunk.append(batch)
        if len(chunk) == group:
            yield make(tuple(chunk))
            chunk = []
    if chunk:
        yield make(tuple(chunk))


# --- executing -------------------------------------------------------------------------------


def _ignore_sigint() -> None:  # pragma: no cover - runs in worker processes
    # Ctrl-C is the parent's to handle: it cancels the run and shuts the pool down.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    worker_started()  # inherited pages stay shared (basesim.montecarlo.memory)
    # A fork inherits the parent's SIGTERM handler (the CLI's); a worker simply ends on SIGTERM.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent()


def _die_with_parent() -> None:  # pragma: no cover - runs in worker processes
    """On Linux, ask the kernel to send SIGTERM to this worker when its parent dies (prctl PR_SET_PDEATHSIG),
    so that no worker outlives a parent that was killed."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request was in place
        os._exit(1)


def _stop_workers(pool: cf.ProcessPoolExecutor) -> None:
    """Terminate the pool's worker processes at once (an interrupted run does not wait for their tasks)."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(Exception):
            process.terminate()


def _parallelism(executor: cf.Executor | None, workers: int) -> int:
    client = getattr(executor, "_client", None)  # a dask.distributed ClientExecutor
    if client is not None:
        try:
            return max(1, sum(client.nthreads().values()))
        except Exception:  # noqa: BLE001 - only a sizing hint
            return workers
    return workers


def _execute(tasks: Iterator[_Task], *, executor: cf.Executor | None, in_flight: int,
             on_batch: Callable[[BatchOutput], bool]) -> None:
    """Play ``tasks``; hand every batch to ``on_batch`` in batch order; stop when it returns True.

    At most ``in_flight`` tasks are submitted or waiting to be handed on at
    any time. Without an executor the tasks run in this process.
    """
    if executor is None:
        for task in tasks:
            for output in _play_task(task):
                if on_batch(output):
                    return
        return
    pending: dict[cf.Future, int] = {}
    ready: dict[int, list[BatchOutput]] = {}
    submitted = handed = 0
    exhausted = False
    try:
        while True:
            while not exhausted and len(pending) + len(ready) < in_flight:
                task = next(tasks, None)
                if task is None:
                    exhausted = True
                    break
                pending[executor.submit(_play_task, task)] = submitted
                submitted += 1
            if handed in ready:
                for output in ready.pop(handed):
                    if on_batch(output):
                        return
                handed += 1
                continue
            if not pending:
                return
            done, _ = cf.wait(list(pending), return_when=cf.FIRST_COMPLETED)
            for future in done:
                ready[pending.pop(future)] = future.result()
    finally:
        for future in pending:
            future.cancel()


def process_pool(workers: int) -> cf.ProcessPoolExecutor:
    """A pool of ``workers`` processes, forked where the platform allows.

    Importing mesa sets the global start method to ``spawn``, which would
    re-run an unguarded ``__main__`` (a plain script calling ``basesim.run``)
    in every worker; forking needs no ``if __name__ == "__main__"`` guard and
    starts faster. Workers only run numpy code, so forking is safe here.
    """
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    return cf.ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_ignore_sigint)


# --- the entry point ---------------------------------------------------------------------------


def run(
    scenario_or_path: Scenario | str | Path,
    *,
    runs: int | None = None,
    seed: int | None = None,
    protocol: str | None = None,
    overrides: dict[str, Any] | list[str] | None = None,
    workers: int | None = None,
    executor: cf.Executor | None = None,
    precision: float | None = None,
    max_runs: int | None = None,
    summary_only: bool = False,
    progress: Progress | None = None,
    engine: str | None = None,
) -> RunResult:
    """Run a scenario's Monte Carlo and return its table, summary and provenance.

    - ``runs``: replications (default ``monte_carlo.runs``); ``seed``: seed
      entropy (default ``monte_carlo.seed``, else drawn and recorded);
      ``protocol``: one of alternating_offers, equilibrium, nash (default the
      scenario's); ``overrides``: dotted-path values as for ``--set``.
    - ``workers``: processes of the local pool (default ``os.cpu_count()``;
      1 plays in this process); ``executor``: any
      ``concurrent.futures.Executor`` instead, e.g. a dask client's
      ``client.get_executor()``. Neither changes the results.
    - ``precision``: instead of a fixed ``runs``, add batches until every
      probability's Wilson 95% half-width is below it, up to ``max_runs``
      (default 1,000,000); ``provenance["precision"]`` says how it went.
    - ``summary_only``: keep only the counts (``table`` is None), so memory
      does not grow with ``runs``.
    - ``progress``: called as ``progress(runs_done, runs_total)`` after each batch.
    - ``engine``: how batches are played, ``kernel`` (the compiled per-world
      kernel, the default :data:`ENGINE`) or ``batch`` (the vectorised Mesa
      model); both give the same table.
    """
    call = describe_call("basesim.run", scenario_or_path, dict(
        runs=runs, seed=seed, protocol=protocol, overrides=overrides, workers=workers,
        executor=None if executor is None else type(executor).__name__, precision=precision,
        max_runs=max_runs, summary_only=summary_only, engine=engine))
    runs = check_positive(runs, option="runs")
    seed = check_seed(seed)
    protocol = check_protocol(protocol)
    if engine is not None and engine not in ("batch", "kernel"):  # basesim.model.negotiation.ENGINES
        _fail(f"engine: {engine!r} is not an engine; expected one of batch, kernel")
    workers = check_positive(workers, option="workers")
    precision = check_precision(precision)
    max_runs = check_positive(max_runs, option="max_runs")
    if runs is not None and precision is not None:
        _fail("runs: give runs or precision, not both (with precision, max_runs caps the number of runs)")
    if isinstance(scenario_or_path, Scenario):
        scenario = with_overrides(scenario_or_path, overrides)
    else:
        scenario = load_scenario(scenario_or_path, overrides)

    from basesim import model

    protocol = protocol or scenario.protocol.name
    seed, seed_source = resolve_seed(scenario, seed)
    B = int(model.batch_size(scenario))
    if precision is not None:
        total = check_runs(max_runs or DEFAULT_MAX_RUNS, option="max_runs", summary_only=summary_only,
                           summary_option="summary_only=True")
    else:
        total = check_runs(runs or scenario.monte_carlo.runs, option="runs", summary_only=summary_only,
                           summary_option="summary_only=True")
    workers = workers or os.cpu_count() or 1

    own_pool = executor is None and workers > 1
    engine = _engine(scenario, protocol, engine or ENGINE)  # before the pool forks: workers share the kernel
    pool = process_pool(workers) if own_pool else executor
    parallel = _parallelism(pool, workers) if pool is not None else 1
    batches = math.ceil(total / B)
    group = 1 if precision is not None else max(1, min(math.ceil(TASK_WORLDS / B), batches // (4 * parallel) or 1))
    tasks = _tasks(_batches(total, B), group,
                   lambda chunk: _Task(scenario, seed, B, chunk, protocol, summary_only, engine))

    counts = Counts.empty(scenario)
    tables: list[pd.DataFrame] = []
    state = {"half_width": math.nan, "reached": False}

    def on_batch(output: BatchOutput) -> bool:
        nonlocal counts
        counts = counts + output.counts
        if output.table is not None:
            tables.append(output.table)
        if progress is not None:
            progress(counts.runs, total)
        if precision is not None:
            state["half_width"] = max_half_width(counts)
            state["reached"] = state["half_width"] < precision
            return state["reached"]
        return False

    started = now()
    try:
        _execute(tasks, executor=pool, in_flight=TASKS_PER_WORKER * parallel, on_batch=on_batch)
    except BaseException:
        if own_pool:  # Ctrl-C, SIGTERM, an error: stop the workers now rather than after their tasks
            _stop_workers(pool)
        raise
    finally:
        if own_pool:
            pool.shutdown(wait=True, cancel_futures=True)
    finished = now()

    table = None
    if not summary_only:
        table = pd.concat(tables, ignore_index=True) if len(tables) > 1 else tables[0]
    precision_record = None
    if precision is not None:
        precision_record = {
            "target_half_width": precision,
            "max_runs": total,
            "reached": bool(state["reached"]),
            "max_half_width": float(state["half_width"]),
            "runs": counts.runs,
        }
    provenance = collect_provenance(
        scenario,
        seed=seed,
        seed_source=seed_source,
        runs=counts.runs,
        protocol=protocol,
        batch_size=B,
        command=call,
        started=started,
        finished=finished,
        execution=_describe_execution(executor, workers, own_pool),
        precision=precision_record,
    )
    return RunResult(scenario=scenario, table=table, summary=Summary(scenario, counts), provenance=provenance)


def _engine(scenario: Scenario, protocol: str, engine: str) -> str:
    """``engine``, or ``batch`` where the kernel cannot run; the kernel is loaded (compiled the first time) here."""
    if engine != "kernel":
        return engine
    from basesim.model import kernel

    if not kernel.available():
        return "batch"
    kernel.warm(scenario, protocol)
    return "kernel"


def _describe_execution(executor: cf.Executor | None, workers: int, own_pool: bool) -> dict[str, Any]:
    if executor is not None:
        client = getattr(executor, "_client", None)
        scheduler = getattr(getattr(client, "scheduler", None), "address", None)
        return {"executor": f"{type(executor).__module__}.{type(executor).__name__}",
                **({"scheduler": scheduler} if scheduler else {})}
    if own_pool:
        return {"executor": "concurrent.futures.ProcessPoolExecutor", "workers": workers}
    return {"executor": "in-process", "workers": 1}
