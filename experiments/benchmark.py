"""How fast basesim is, how much memory it takes, and where the time goes (issues 7 and 14).

Six measurements, each a section of the results file, and a headline that
sets them against issue 14's targets and says by how much each is missed:

- ``throughput``: replications per second and peak memory of
  ``basesim.run(scenario, runs=, protocol=, workers=, summary_only=)`` for the
  baseline under each protocol, at 10^4, 10^5 and 10^6 runs, on 1 and 2
  workers. Every configuration runs in a fresh Python process; its peak
  memory is the kernel's peak resident set of that process and of its
  largest worker (``getrusage``), and the peak of the summed proportional
  set size (PSS, shared pages split between the processes that share them)
  of the whole process tree, sampled every 50 ms.
- ``reference``: the same draws played by the vectorised model (one batch)
  and by :mod:`basesim.model.reference`, one Mesa model per replication as a plain
  Mesa user would write it; both on one core, model only (no sampling), and
  the rows are checked equal. The ratio is the headline figure.
- ``scaling``: cost per replication as the outcome space (issues, levels per
  issue), the rounds and the actors (influencers, principals) grow, one
  worker, each axis varied alone (experiments/benchmark_scenarios.py).
- ``profile``: stage timings of the baseline under alternating offers, and a
  cProfile summary of the same run.
- ``sampling``: CPU microseconds per replication of drawing the baseline's
  inputs (``sampling.sample``), through scipy.stats' quantile functions and
  through basesim's (``scenario.quantiles``), same draws, same process, and
  how far the two sets of draws differ.
- ``memory``: one long summary-only run (10^7 runs on the most workers), the
  peak memory of the process tree in every tenth of it (every 10^6 runs),
  and the trend: flat memory means no growth with the number of runs.

``--engine NAME`` passes ``engine=NAME`` to ``basesim.run`` and
``model.play`` once they take one (the compiled kernel of issue 14); every
row records the engine it measured.

Run from the repository root::

    python experiments/benchmark.py            # the full run (~10 min on 2 cores, half of it the 10^7-run memory section)
    python experiments/benchmark.py --quick    # a smoke run, tiny sizes, writes to a temp folder
    python experiments/benchmark.py --headline # rerun only the headline figures, kept with the rest

Results go to ``experiments/benchmark_results.json`` and ``.md``. A run that
measures only some sections or configurations replaces those rows and keeps
the others, each row stamped with when it was measured and the machine's
load average, so figures taken on a busy machine say so.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import inspect
import json
import math
import os
import platform
import pstats
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from benchmark_report import render  # noqa: E402

import basesim  # noqa: E402
from basesim.scenario.loader import load_scenario  # noqa: E402
from basesim.model.negotiation import NegotiationModel, batch_size, outcome_space, outcome_table, play  # noqa: E402
from basesim.montecarlo.provenance import now, versions  # noqa: E402
from basesim.model.reference import batch_row, play_one  # noqa: E402
from basesim.montecarlo.runner import batch_draws  # noqa: E402
from basesim.scenario.schema import PROTOCOLS  # noqa: E402
from basesim.montecarlo.summary import Counts, named_outcomes  # noqa: E402

SECTIONS = ("throughput", "reference", "scaling", "profile", "sampling", "memory")
DEFAULT_SCENARIO = REPO / "scenarios" / "baseline.yaml"
MILLION = 1_000_000

#: Scaling axes and their values (full run; the quick run takes the first two of each).
AXES = {
    "issues": [1, 2, 3, 4, 5, 6],
    "levels": [2, 3, 4, 6, 8, 11],
    "rounds": [12, 24, 48, 96, 192],
    "rounds_no_breakdown": [12, 24, 48, 96, 192],
    "influencers": [0, 1, 2, 4, 8],
    "principals": [2, 3, 4, 6],
}


# --- the machine -------------------------------------------------------------------------------


def load_average() -> float:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:  # pragma: no cover - not on every platform
        return math.nan


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = None
    try:
        import psutil

        memory = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory_gb": memory, "platform": platform.platform(),
            "versions": {**versions(), **_optional_versions()}, "commit": _git_commit()}


def _optional_versions() -> dict[str, str]:
    """Versions of optional accelerators (numba, for the compiled kernel), where installed."""
    from importlib import metadata

    found = {}
    for name in ("numba", "llvmlite"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return found


def default_engine() -> str | None:
    """The engine ``basesim.run`` plays batches on when given none (``runner.ENGINE``), None before engines."""
    from basesim.montecarlo import runner

    return getattr(runner, "ENGINE", None)


def reference_engines(engine: str | None) -> list[str | None]:
    """The engines the reference section compares with the Mesa model: the one asked for, else every one
    ``model.play`` has (the vectorised batch and the compiled kernel), else its only one."""
    if engine is not None:
        return [engine]
    if "engine" not in inspect.signature(play).parameters:
        return [None]
    from basesim.model import negotiation

    return list(getattr(negotiation, "ENGINES", [None]))


def engine_options(engine: str | None, function: Any = None) -> dict[str, Any]:
    """``{"engine": engine}`` for calls to ``basesim.run`` (or ``function``), ``{}`` for the default.

    The compiled kernel (issue 14, item 1) will add an ``engine`` option; until then asking for one is
    an error, so a figure is never credited to an engine that did not run."""
    if engine is None:
        return {}
    function = function or basesim.run
    if "engine" not in inspect.signature(function).parameters:
        raise SystemExit(f"--engine: {function.__module__}.{function.__name__} takes no engine option yet "
                         "(the compiled kernel of issue 14 adds it); leave --engine out")
    return {"engine": engine}


def _git_commit() -> str | None:
    """The commit measured, with ``+changes`` when src/ has uncommitted edits."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "src"], cwd=REPO, timeout=10).returncode
        return (head + ("+changes" if dirty else "")) or None
    except (OSError, subprocess.SubprocessError):
        return None


def stamp() -> dict[str, Any]:
    """When a row was measured, on which commit, and how busy the machine was."""
    return {"measured_at": now(), "commit": _git_commit(), "load_before": load_average()}


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


# --- throughput: one fresh process per configuration -----------------------------------------------


def measure_in_child(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one configuration in this (fresh) process; what the parent records."""
    scenario = load_scenario(spec["scenario"])
    every = spec.get("progress_every")
    reported = [0]

    def progress(done: int, total: int) -> None:  # lines the parent reads to know where the run is
        if done - reported[0] >= every or done == total:
            reported[0] = done
            print(f"progress {done}", flush=True)

    cpu0 = cpu_seconds(resource.RUSAGE_SELF) + cpu_seconds(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = basesim.run(scenario, runs=spec["runs"], seed=spec["seed"], protocol=spec["protocol"],
                         workers=spec["workers"], summary_only=spec["summary_only"],
                         progress=progress if every else None, **engine_options(spec.get("engine")))
    wall = time.perf_counter() - started
    cpu = cpu_seconds(resource.RUSAGE_SELF) + cpu_seconds(resource.RUSAGE_CHILDREN) - cpu0
    counts = result.summary.counts
    # ru_maxrss is in kilobytes on Linux, bytes on macOS
    unit = 1 if sys.platform == "darwin" else 1024
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "max_rss_main_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit / 2**20,
        "max_rss_largest_worker_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * unit / 2**20,
        "agreement": int(counts.result[0]),
        "runs_done": int(counts.runs),
        "batch_size": int(result.provenance.get("batch_size", 0)),
    }


def _tree_memory(process: Any) -> tuple[float, float]:
    """(summed RSS, summed PSS) of a process and its descendants, in MB."""
    import psutil

    rss = pss = 0.0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.Error:
        return rss, pss
    for member in members:
        try:
            info = member.memory_full_info()
            rss += info.rss
            pss += getattr(info, "pss", info.rss)
        except psutil.Error:
            continue
    return rss / 2**20, pss / 2**20


def measure(spec: dict[str, Any], *, poll: float = 0.05, window: int | None = None) -> dict[str, Any]:
    """Run ``spec`` in a fresh process, sampling the memory of its process tree.

    With ``window``, also the tree's peak in every ``window`` runs (``row["windows"]``): the child
    reports its progress on stdout as it goes."""
    if window:
        spec = {**spec, "progress_every": max(1, window // 8)}
    command = [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)]
    row = {**spec, "scenario": Path(spec["scenario"]).name, **stamp()}
    row.pop("progress_every", None)
    peak_rss = peak_pss = 0.0
    windows: dict[int, dict[str, float]] = {}
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil comes with dask.distributed
        psutil = None
    lines: list[str] = []
    done = [0]

    def read(stream) -> None:
        for line in stream:
            if line.startswith("progress "):
                done[0] = int(line.split()[1])
            else:
                lines.append(line)

    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO) as child:
        reader = threading.Thread(target=read, args=(child.stdout,), daemon=True)
        reader.start()
        handle = psutil.Process(child.pid) if psutil else None
        while child.poll() is None:
            if handle is not None:
                rss, pss = _tree_memory(handle)
                peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
                if window:
                    key = min(done[0] // window, max(0, math.ceil(spec["runs"] / window) - 1))
                    slot = windows.setdefault(key, {"peak_pss_mb": 0.0, "peak_rss_mb": 0.0})
                    slot["peak_pss_mb"] = max(slot["peak_pss_mb"], pss)
                    slot["peak_rss_mb"] = max(slot["peak_rss_mb"], rss)
            time.sleep(poll)
        err = child.stderr.read()
        reader.join(timeout=10)
    if child.returncode != 0:
        raise RuntimeError(f"benchmark child failed ({child.returncode}) for {spec}:\n{err[-4000:]}")
    measured = json.loads("".join(lines).strip().splitlines()[-1])
    row.update(measured)
    if window:
        row["window"] = window
        row["windows"] = [{"runs_to": min((k + 1) * window, spec["runs"]), **windows[k]} for k in sorted(windows)]
    row["load_after"] = load_average()
    row["replications_per_s"] = spec["runs"] / measured["wall_s"]
    row["replications_per_cpu_s"] = spec["runs"] / measured["cpu_s"] if measured["cpu_s"] > 0 else math.nan
    row["cores_busy"] = measured["cpu_s"] / measured["wall_s"]
    row["peak_tree_rss_mb"] = peak_rss or None
    row["peak_tree_pss_mb"] = peak_pss or None
    row["peak_memory_mb"] = max(peak_pss, measured["max_rss_main_mb"])
    return row


def throughput_configs(args: argparse.Namespace) -> list[dict[str, Any]]:
    configs = []
    for runs in args.sizes:
        for protocol in args.protocols:
            for workers in args.workers:
                if runs >= MILLION and args.million == "target" and not (
                        protocol == "alternating_offers" and workers == max(args.workers)):
                    continue
                configs.append({"scenario": str(args.scenario), "protocol": protocol, "runs": runs,
                                "workers": workers, "summary_only": runs >= MILLION, "seed": args.seed,
                                "engine": args.engine or default_engine()})
    return configs


def run_throughput(args: argparse.Namespace, say) -> list[dict[str, Any]]:
    rows = []
    for spec in throughput_configs(args):
        say(f"throughput: {spec['protocol']} runs={spec['runs']:,} workers={spec['workers']} "
            f"summary_only={spec['summary_only']}")
        repeats = [measure(spec) for _ in range(args.repeat_runs)]
        repeats.sort(key=lambda r: r["replications_per_s"])
        row = repeats[(len(repeats) - 1) // 2]  # the median (the lower one of an even count)
        row["repeat_rates"] = [r["replications_per_s"] for r in repeats]
        row["peak_memory_mb"] = max(r["peak_memory_mb"] for r in repeats)
        say(f"  {row['replications_per_s']:,.0f} replications/s"
            + (f" (median of {', '.join(f'{r:,.0f}' for r in row['repeat_rates'])})" if len(repeats) > 1 else "")
            + f", peak {row['peak_memory_mb']:,.0f} MB (load {row['load_before']} -> {row['load_after']})")
        rows.append(row)
    return rows


# --- reference: one Mesa model per replication, on the same draws -----------------------------------


def _timed(function, *args, **kwargs) -> tuple[Any, float, float]:
    cpu = time.process_time()
    wall = time.perf_counter()
    value = function(*args, **kwargs)
    return value, time.perf_counter() - wall, time.process_time() - cpu


def run_reference(args: argparse.Namespace, say) -> list[dict[str, Any]]:
    """Vectorised batch vs one Mesa model per replication, same draws, one core, model only."""
    scenario = load_scenario(args.scenario)
    B = batch_size(scenario)
    worlds = min(B, args.vector_worlds)
    draws = batch_draws(scenario, seed=args.seed, index=0, size=worlds, batch_size=B)
    rows = []
    for protocol, engine_name in [(p, e) for p in args.reference_protocols for e in reference_engines(args.engine)]:
        say(f"reference: {protocol}, {engine_name or 'vectorised'} {worlds} worlds x {args.repeats}, "
            f"reference {args.reference_worlds} worlds")
        row = {"protocol": protocol, "scenario": Path(args.scenario).name, "engine": engine_name, **stamp()}
        engine = engine_options(engine_name, play)
        play(draws.take(np.arange(min(16, worlds))), protocol=protocol, **engine)  # warm caches (and compile)
        vector_wall, vector_cpu = [], []
        for _ in range(args.repeats):
            table, wall, cpu = _timed(play, draws, protocol=protocol, **engine)
            vector_wall.append(wall)
            vector_cpu.append(cpu)
        n_ref = min(args.reference_worlds, worlds)
        play_one(draws, 0, protocol=protocol)  # warm caches
        rows_ref, ref_wall, ref_cpu = _timed(lambda: [play_one(draws, k, protocol=protocol) for k in range(n_ref)])
        same = sum(batch_row(table, k, scenario) == rows_ref[k] for k in range(n_ref))
        row.update({
            "vectorised_worlds": worlds,
            "vectorised_wall_s": float(np.median(vector_wall)),
            "vectorised_cpu_s": float(np.median(vector_cpu)),
            "reference_worlds": n_ref,
            "reference_wall_s": ref_wall,
            "reference_cpu_s": ref_cpu,
            "rows_identical": int(same),
        })
        row["vectorised_per_s"] = worlds / row["vectorised_wall_s"]
        row["reference_per_s"] = n_ref / ref_wall
        row["ratio"] = row["vectorised_per_s"] / row["reference_per_s"]
        row["ratio_cpu"] = (worlds / row["vectorised_cpu_s"]) / (n_ref / ref_cpu)
        row["load_after"] = load_average()
        say(f"  vectorised {row['vectorised_per_s']:,.0f}/s, reference {row['reference_per_s']:,.1f}/s, "
            f"ratio {row['ratio']:,.0f}x (CPU time {row['ratio_cpu']:,.0f}x); "
            f"{same}/{n_ref} rows identical")
        rows.append(row)
    return rows


# --- scaling ------------------------------------------------------------------------------------------


def mean_rounds(counts: Counts) -> float:
    """Mean number of rounds played (end round + 1) over the replications counted."""
    per_round = counts.rounds.sum(axis=0)
    return float((per_round * np.arange(1, per_round.size + 1)).sum() / max(counts.runs, 1))


def scaling_point(scenario, axis: str, value: int, protocol: str, *, seed: int, budget: float,
                  fixed_runs: int | None, engine_name: str | None = None) -> dict[str, Any]:
    from benchmark_scenarios import variant

    if axis == "rounds_no_breakdown":
        from basesim.scenario.loader import with_overrides

        variant_scenario = with_overrides(variant(scenario, "rounds", value), {"protocol.breakdown_risk": 0.0})
    else:
        variant_scenario = variant(scenario, axis, value)
    B = batch_size(variant_scenario)
    engine = engine_options(engine_name)
    row = {"axis": axis, "value": value, "protocol": protocol, "engine": engine_name,
           "issues": len(variant_scenario.issues), "outcomes": outcome_space(variant_scenario).size,
           "principals": len(variant_scenario.principals), "influencers": len(variant_scenario.influencers),
           "rounds": variant_scenario.protocol.rounds, "batch_size": B, **stamp()}
    if fixed_runs is not None:
        runs = fixed_runs
    else:
        # a probe of one batch (which also warms caches), then whole batches filling the budget, at least two
        probe = min(B, 1024)
        _, wall, cpu = _timed(basesim.run, variant_scenario, runs=probe, seed=seed, protocol=protocol, workers=1,
                              summary_only=True, **engine)
        runs = B * max(2, math.ceil(budget * probe / max(cpu, 1e-3) / B))
    result, wall, cpu = _timed(basesim.run, variant_scenario, runs=runs, seed=seed, protocol=protocol,
                               workers=1, summary_only=True, **engine)
    rounds_played = mean_rounds(result.summary.counts)
    row.update({
        "runs": runs, "wall_s": wall, "cpu_s": cpu,
        "us_per_replication": 1e6 * wall / runs,
        "us_per_replication_cpu": 1e6 * cpu / runs,
        "mean_rounds_played": rounds_played,
        "ns_per_replication_outcome": 1e9 * wall / runs / row["outcomes"],
        "us_per_round_played": 1e6 * wall / runs / rounds_played,
        "load_after": load_average(),
    })
    return row


def run_scaling(args: argparse.Namespace, say) -> list[dict[str, Any]]:
    scenario = load_scenario(args.scenario)
    rows = []
    for axis, values in args.axes.items():
        for protocol in args.scaling_protocols:
            for value in values:
                row = scaling_point(scenario, axis, value, protocol, seed=args.seed, budget=args.budget,
                                    fixed_runs=args.scaling_runs, engine_name=args.engine or default_engine())
                say(f"scaling: {axis}={value} {protocol}: K={row['outcomes']}, {row['runs']} runs, "
                    f"{row['us_per_replication']:,.1f} us/replication, {row['mean_rounds_played']:.1f} rounds")
                rows.append(row)
    return rows


# --- profile -------------------------------------------------------------------------------------------

#: Profile groups: label -> (file suffix, function name, use cumulative time).
GROUPS = {
    "sampling (sampling.sample)": ("basesim/scenario/sampling.py", "sample", True),
    "  of which Dirichlet gamma quantiles (quantiles.gamma)": ("basesim/scenario/quantiles.py", "gamma", True),
    "utilities and beliefs at the start (BatchState.__init__)": ("basesim/model/state.py", "__init__", True),
    "events, re-deriving changed worlds (BatchState.apply_events)": ("basesim/model/state.py", "apply_events", True),
    "proposals (Principal.propose)": ("basesim/model/agents.py", "propose", True),
    "responses (Principal.accepts)": ("basesim/model/agents.py", "accepts", True),
    "ending worlds (NegotiationModel.conclude)": ("basesim/model/negotiation.py", "conclude", True),
    "  of which dropping finished rows (BatchState.keep)": ("basesim/model/state.py", "keep", True),
    "outcome table (model.outcome_table)": ("basesim/model/negotiation.py", "outcome_table", True),
    "counting (Counts.from_table)": ("basesim/montecarlo/summary.py", "from_table", True),
    "kernel: sums over the outcome space (outer_sum, self time)": ("basesim/model/outcome_space.py", "outer_sum", False),
    "kernel: influence mixing (mix_influence, self time)": ("basesim/model/outcome_space.py", "mix_influence", False),
    "kernel: believed scores (BatchState._believed_score)": ("basesim/model/state.py", "_believed_score", True),
}


def stage_timings(scenario, *, protocol: str, seed: int, batches: int) -> dict[str, Any]:
    """CPU time of each stage of a replication (per replication), without a profiler."""
    B = batch_size(scenario)
    totals = {"sampling": 0.0, "state and beliefs (model start)": 0.0, "rounds (model.run)": 0.0,
              "outcome table": 0.0, "named outcomes and counts": 0.0}
    size = B
    for index in range(batches + 1):
        draws, _, t_sample = _timed(batch_draws, scenario, seed=seed, index=index, size=size, batch_size=B)
        model, _, t_init = _timed(NegotiationModel, draws, protocol=protocol)
        _, _, t_run = _timed(model.run)
        table, _, t_table = _timed(outcome_table, model, draws)
        _, _, t_count = _timed(lambda: Counts.from_table(scenario, table, named_outcomes(scenario, table)))
        if index == 0:
            continue  # warm-up
        for key, value in zip(totals, (t_sample, t_init, t_run, t_table, t_count)):
            totals[key] += value
    total = sum(totals.values())
    return {"batch_size": B, "batches": batches,
            "stages": [{"stage": key, "us_per_replication": 1e6 * value / (batches * B),
                        "share": value / total} for key, value in totals.items()],
            "us_per_replication": 1e6 * total / (batches * B)}


def run_profile(args: argparse.Namespace, say) -> dict[str, Any]:
    scenario = load_scenario(args.scenario)
    protocol = "alternating_offers"
    say(f"profile: stage timings over {args.profile_batches} batches")
    out = {"protocol": protocol, "scenario": Path(args.scenario).name, **stamp()}
    out["stage_timings"] = stage_timings(scenario, protocol=protocol, seed=args.seed, batches=args.profile_batches)
    B = batch_size(scenario)
    fixed = []
    for _ in range(3):
        _, _, cpu = _timed(basesim.run, scenario, runs=1, seed=args.seed, protocol=protocol, workers=1,
                           summary_only=True)
        fixed.append(cpu)
    out["fixed_cost_s"] = float(np.median(fixed))
    runs = args.profile_batches * B
    say(f"profile: cProfile of basesim.run(runs={runs:,}, workers=1)")
    basesim.run(scenario, runs=min(runs, B), seed=args.seed, protocol=protocol, workers=1, summary_only=True)
    # CPU time, not wall time: other processes on the machine would otherwise land on whatever was running
    profiler = cProfile.Profile(time.process_time)
    started = time.perf_counter()
    profiler.enable()
    basesim.run(scenario, runs=runs, seed=args.seed, protocol=protocol, workers=1, summary_only=True)
    profiler.disable()
    wall = time.perf_counter() - started
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    entries = stats.stats  # (file, line, name) -> (cc, nc, tt, ct, callers)
    groups = []
    for label, (suffix, name, cumulative) in GROUPS.items():
        seconds = sum(ct if cumulative else tt for (file, _, fn), (_, _, tt, ct, _) in entries.items()
                      if fn == name and file.replace(os.sep, "/").endswith(suffix))
        groups.append({"part": label, "seconds": seconds, "share": seconds / total})
    top = sorted(entries.items(), key=lambda item: item[1][2], reverse=True)[:args.profile_top]
    out.update({
        "runs": runs, "profiled_wall_s": wall, "profiled_total_s": total,
        "groups": groups,
        "top_self_time": [{"function": f"{_short(file)}:{line}({fn})", "calls": nc, "self_s": tt, "cumulative_s": ct,
                           "share": tt / total} for (file, line, fn), (_, nc, tt, ct, _) in top],
        "load_after": load_average(),
    })
    return out


def _short(file: str) -> str:
    file = file.replace(os.sep, "/")
    for marker in ("site-packages/", "src/"):
        if marker in file:
            return file.split(marker, 1)[1]
    return file


# --- sampling: scipy.stats' quantile functions against basesim's -----------------------------------------


@contextlib.contextmanager
def scipy_quantiles():
    """Every distribution's ``ppf`` through scipy.stats (its ``scipy_ppf``), as before issue 14."""
    from basesim.scenario import distributions

    saved = {kind: kind.__dict__.get("ppf") for kind in distributions.DISTRIBUTIONS.values()}
    for kind in saved:
        kind.ppf = kind.scipy_ppf
    try:
        yield
    finally:
        for kind, ppf in saved.items():
            if ppf is None:
                del kind.ppf
            else:
                kind.ppf = ppf


def _draw_arrays(draws) -> dict[str, np.ndarray]:
    out = {f: getattr(draws, f) for f in draws.__dataclass_fields__ if isinstance(getattr(draws, f), np.ndarray)}
    out.update({f"inputs.{k}": v for k, v in draws.inputs.items()})
    out.update({f"event_values.{k}": v for k, v in draws.event_values.items()})
    return out


def run_sampling(args: argparse.Namespace, say) -> dict[str, Any]:
    """CPU time of ``sampling.sample`` per replication, through each route; how far their draws differ."""
    scenario = load_scenario(args.scenario)
    B = batch_size(scenario)
    say(f"sampling: {args.sampling_batches} batches of {B:,} worlds through scipy.stats and through basesim's "
        "quantile functions")
    out = {"scenario": Path(args.scenario).name, "batch_size": B, "batches": args.sampling_batches, **stamp()}

    def per_replication() -> float:
        batch_draws(scenario, seed=args.seed, index=0, size=B, batch_size=B)  # warm caches and tables
        cpu = time.process_time()
        for index in range(1, args.sampling_batches + 1):
            batch_draws(scenario, seed=args.seed, index=index, size=B, batch_size=B)
        return 1e6 * (time.process_time() - cpu) / (args.sampling_batches * B)

    timings: dict[str, list[float]] = {"basesim": [], "scipy": []}
    for _ in range(args.repeats):  # interleaved, so both see the same load
        timings["basesim"].append(per_replication())
        with scipy_quantiles():
            timings["scipy"].append(per_replication())
    out["us_per_replication"] = {route: float(np.median(values)) for route, values in timings.items()}
    out["speedup"] = out["us_per_replication"]["scipy"] / out["us_per_replication"]["basesim"]

    fast = _draw_arrays(batch_draws(scenario, seed=args.seed, index=0, size=B, batch_size=B))
    with scipy_quantiles():
        slow = _draw_arrays(batch_draws(scenario, seed=args.seed, index=0, size=B, batch_size=B))
    differing, worst = [], 0.0
    for key in slow:
        a, b = np.asarray(slow[key], float), np.asarray(fast[key], float)
        if not np.array_equal(a, b):
            differing.append(key)
            worst = max(worst, float(np.max(np.abs(a - b) / np.maximum(np.abs(a), np.finfo(float).tiny))))
    out.update({"arrays": len(slow), "arrays_bit_identical": len(slow) - len(differing),
                "arrays_differing": differing, "max_relative_difference": worst, "load_after": load_average()})
    say(f"  {out['us_per_replication']['scipy']:.2f} -> {out['us_per_replication']['basesim']:.2f} CPU us per "
        f"replication ({out['speedup']:.1f}x); {out['arrays_bit_identical']}/{out['arrays']} arrays bit for bit, "
        f"the rest within {worst:.1e}")
    return out


# --- memory: the process tree's peak through a long summary-only run ----------------------------------------


def run_memory(args: argparse.Namespace, say) -> list[dict[str, Any]]:
    workers = max(args.workers)
    spec = {"scenario": str(args.scenario), "protocol": "alternating_offers", "runs": args.memory_runs,
            "workers": workers, "summary_only": True, "seed": args.seed, "engine": args.engine or default_engine()}
    window = max(1, args.memory_runs // args.memory_windows)
    say(f"memory: alternating_offers runs={args.memory_runs:,} workers={workers} summary_only=True, "
        f"the tree's peak every {window:,} runs")
    row = measure(spec, window=window)
    row["replications_per_s"] = spec["runs"] / row["wall_s"]
    peaks = [w["peak_pss_mb"] for w in row["windows"]]
    # the trend leaves out the first window (the pool starting, caches filling) and the last (shutting down)
    body = peaks[1:-1]
    row["trend_mb_per_million"] = (float(np.polyfit(np.arange(len(body)) * window / MILLION, body, 1)[0])
                                   if len(body) >= 3 else math.nan)  # fewer windows say nothing about a trend
    row["growth_mb"] = float(max(body) - body[0]) if body else math.nan
    say(f"  peak {row['peak_memory_mb']:,.0f} MB; per window " + ", ".join(f"{p:,.0f}" for p in peaks)
        + f" MB; trend {row['trend_mb_per_million']:+.1f} MB per 10^6 runs (first and last window left out); "
        f"{row['replications_per_s']:,.0f} replications/s (load {row['load_before']} -> {row['load_after']})")
    return [row]


# --- results: merge with an earlier file, write JSON and Markdown ----------------------------------------

KEYS = {
    "throughput": ("protocol", "runs", "workers", "summary_only", "engine"),
    "reference": ("protocol", "engine"),
    "scaling": ("axis", "value", "protocol", "engine"),
    "memory": ("protocol", "runs", "workers", "engine"),
}


def merge(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """``new`` over ``old``: rows with the same key are replaced, the others kept."""
    merged = dict(old)
    for section, value in new.items():
        if section in KEYS and isinstance(old.get(section), list):
            key = KEYS[section]
            fresh = {tuple(row.get(k) for k in key) for row in value}
            merged[section] = [row for row in old[section] if tuple(row.get(k) for k in key) not in fresh] + value
        else:
            merged[section] = value
    return merged


def write_results(results: dict[str, Any], output: Path) -> tuple[Path, Path]:
    output.mkdir(parents=True, exist_ok=True)
    json_path = output / "benchmark_results.json"
    md_path = output / "benchmark_results.md"
    json_path.write_text(json.dumps(results, indent=1, default=_plain) + "\n", encoding="utf-8")
    md_path.write_text(render(results), encoding="utf-8")
    return json_path, md_path


def _plain(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    raise TypeError(f"not JSON serialisable: {value!r}")


# --- command line -----------------------------------------------------------------------------------------


def _ints(text: str) -> list[int]:
    return [int(float(part)) for part in text.split(",") if part.strip()]


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke run (writes to a temp folder "
                        "unless --output is given)")
    parser.add_argument("--headline", action="store_true",
                        help="only the headline: alternating offers at 10^6 runs on the most workers, and the "
                        "reference ratio; merged into the existing results")
    parser.add_argument("--sections", type=_names, default=list(SECTIONS),
                        help=f"comma-separated sections to measure (default all: {','.join(SECTIONS)})")
    parser.add_argument("--output", type=Path, default=None, help="folder for benchmark_results.json/.md "
                        "(default experiments/, or a temp folder with --quick)")
    parser.add_argument("--fresh", action="store_true", help="do not merge with an existing results file")
    parser.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO)
    parser.add_argument("--seed", type=int, default=20250128)
    parser.add_argument("--protocols", type=_names, default=list(PROTOCOLS))
    parser.add_argument("--sizes", type=_ints, default=None, help="runs per configuration (default 1e4,1e5,1e6)")
    parser.add_argument("--workers", type=_ints, default=[1, 2])
    parser.add_argument("--million", choices=["target", "all"], default="target",
                        help="at 10^6 runs, measure only the target (alternating offers, most workers) or all")
    parser.add_argument("--repeat-runs", type=int, default=None, help="fresh processes per throughput "
                        "configuration, the median kept (default 1; 3 with --headline)")
    parser.add_argument("--reference-worlds", type=int, default=None, help="worlds played by the reference "
                        "(default 300)")
    parser.add_argument("--axes", type=_names, default=list(AXES), help="scaling axes")
    parser.add_argument("--budget", type=float, default=None, help="seconds per scaling point (default 1.5)")
    parser.add_argument("--profile-batches", type=int, default=None, help="batches profiled (default 8)")
    parser.add_argument("--sampling-batches", type=int, default=None, help="batches drawn per timing in the "
                        "sampling section (default 20)")
    parser.add_argument("--memory-runs", type=int, default=None, help="runs of the memory section "
                        "(default 10^7)")
    parser.add_argument("--memory-windows", type=int, default=10, help="windows the memory section reports a "
                        "peak for (default 10: every 10^6 of 10^7 runs)")
    parser.add_argument("--engine", default=None, help="engine= passed to basesim.run and model.play, once they "
                        "take one (the compiled kernel of issue 14); default basesim's own")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    for name in args.protocols:
        if name not in PROTOCOLS:
            parser.error(f"--protocols: {name!r} is not a protocol; expected one of {', '.join(PROTOCOLS)}")
    unknown = [s for s in args.sections if s not in SECTIONS]
    if unknown:
        parser.error(f"--sections: unknown {', '.join(unknown)}; expected some of {', '.join(SECTIONS)}")
    if args.engine is not None and "engine" not in inspect.signature(basesim.run).parameters:
        parser.error("--engine: basesim.run takes no engine option yet (the compiled kernel of issue 14 adds it); "
                     "leave --engine out")
    bad_axes = [a for a in args.axes if a not in AXES]
    if bad_axes:
        parser.error(f"--axes: unknown {', '.join(bad_axes)}; expected some of {', '.join(AXES)}")

    quick = args.quick
    args.sizes = args.sizes or ([300] if quick else [10_000, 100_000, MILLION])
    args.reference_worlds = args.reference_worlds or (4 if quick else 300)
    args.vector_worlds = 64 if quick else 1 << 30
    args.repeats = 1 if quick else 3
    args.budget = args.budget or (0.05 if quick else 1.5)
    args.scaling_runs = 32 if quick else None
    args.profile_batches = args.profile_batches or (1 if quick else 8)
    args.sampling_batches = args.sampling_batches or (1 if quick else 20)
    args.memory_runs = args.memory_runs or (2_000 if quick else 10 * MILLION)
    args.memory_windows = max(1, args.memory_windows)
    args.profile_top = 12 if quick else 20
    args.axes = {axis: AXES[axis][:2] if quick else AXES[axis] for axis in args.axes}
    args.reference_protocols = list(args.protocols)
    args.scaling_protocols = list(args.protocols)
    if args.headline:
        args.sections = ["throughput", "reference"]
        args.sizes = [max(args.sizes)]
        args.protocols = args.reference_protocols = ["alternating_offers"]
        args.workers = [max(args.workers)]
        args.repeat_runs = args.repeat_runs or 3
    args.repeat_runs = max(1, args.repeat_runs or 1)
    if args.output is None:
        args.output = Path(tempfile.gettempdir()) / "basesim-benchmark-quick" if quick else HERE
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        print(json.dumps(measure_in_child(json.loads(args.child))))
        return 0

    def say(message: str) -> None:
        print(message, flush=True)

    started = time.perf_counter()
    new: dict[str, Any] = {}
    if "throughput" in args.sections:
        new["throughput"] = run_throughput(args, say)
    if "reference" in args.sections:
        new["reference"] = run_reference(args, say)
    if "scaling" in args.sections:
        new["scaling"] = run_scaling(args, say)
    if "profile" in args.sections:
        new["profile"] = run_profile(args, say)
    if "sampling" in args.sections:
        new["sampling"] = run_sampling(args, say)
    if "memory" in args.sections:
        new["memory"] = run_memory(args, say)

    json_path = args.output / "benchmark_results.json"
    old: dict[str, Any] = {}
    if json_path.exists() and not args.fresh:
        old = json.loads(json_path.read_text(encoding="utf-8"))
        if old.get("meta", {}).get("quick") != args.quick:
            old = {}
    meta = {"quick": args.quick, "machine": machine(), "updated": now(),
            "command": "python experiments/benchmark.py " + " ".join(sys.argv[1:] if argv is None else argv),
            "last_run_s": time.perf_counter() - started, "load_at_end": load_average()}
    results = merge(old, new)
    results["meta"] = {**old.get("meta", {}), **meta}
    history = list(old.get("meta", {}).get("history", []))
    history.append({"at": meta["updated"], "command": meta["command"], "sections": sorted(new),
                    "seconds": round(meta["last_run_s"], 1)})
    results["meta"]["history"] = history[-20:]
    paths = write_results(results, args.output)
    say(f"wrote {paths[0]} and {paths[1]} in {meta['last_run_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
