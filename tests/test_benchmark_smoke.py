"""experiments/benchmark.py runs on tiny sizes (--quick) and writes its results; no timing asserts."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "experiments" / "benchmark.py"


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    output = tmp_path_factory.mktemp("benchmark")
    command = [sys.executable, str(SCRIPT), "--quick", "--output", str(output),
               "--protocols", "alternating_offers", "--workers", "1,2", "--axes", "levels",
               "--reference-worlds", "2"]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return output, done.stdout


@pytest.fixture(scope="module")
def benchmark_module():
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        yield importlib.import_module("benchmark")
    finally:
        sys.path.remove(str(SCRIPT.parent))


def test_quick_run_writes_json_and_markdown(quick_run):
    output, stdout = quick_run
    results = json.loads((output / "benchmark_results.json").read_text(encoding="utf-8"))
    assert set(results) == {"meta", "throughput", "reference", "scaling", "profile", "sampling", "memory"}
    assert results["meta"]["quick"] is True
    assert "wrote" in stdout

    throughput = results["throughput"]
    assert [(r["protocol"], r["workers"]) for r in throughput] == [("alternating_offers", 1), ("alternating_offers", 2)]
    for row in throughput:
        assert row["runs_done"] == row["runs"] == 300
        assert row["replications_per_s"] > 0 and row["peak_memory_mb"] > 0
    # the number of workers never changes the results
    assert throughput[0]["agreement"] == throughput[1]["agreement"]

    # one row per engine model.play has (the vectorised batch, the compiled kernel), each row for row the Mesa model's
    assert results["reference"]
    for reference in results["reference"]:
        assert reference["reference_worlds"] == reference["rows_identical"] == 2

    levels = [(r["value"], r["outcomes"]) for r in results["scaling"]]
    assert levels == [(2, 2**4), (3, 3**4)]

    profile = results["profile"]
    assert {g["part"] for g in profile["groups"]} >= {"sampling (sampling.sample)", "proposals (Principal.propose)"}
    assert abs(sum(s["share"] for s in profile["stage_timings"]["stages"]) - 1) < 1e-9

    sampling = results["sampling"]
    assert sampling["us_per_replication"]["scipy"] > 0 and sampling["us_per_replication"]["basesim"] > 0
    # every array is the same bit for bit, or within the gamma/beta quantiles' tolerance
    assert sampling["arrays_bit_identical"] + len(sampling["arrays_differing"]) == sampling["arrays"]
    assert sampling["max_relative_difference"] < 1e-12

    (memory,) = results["memory"]
    assert memory["runs_done"] == memory["runs"] == 2_000 and memory["summary_only"] is True
    assert memory["windows"] and all(w["peak_pss_mb"] > 0 for w in memory["windows"])
    assert memory["windows"][-1]["runs_to"] == 2_000

    page = (output / "benchmark_results.md").read_text(encoding="utf-8")
    for heading in ("## Headline (issue 14 targets)", "## Replications per second and peak memory",
                    "## Vectorised batch vs one Mesa model per replication", "## How cost grows",
                    "## Where the time goes", "## Sampling: scipy.stats' quantile functions against basesim's",
                    "## Memory through a long run"):
        assert heading in page
    assert "Quick smoke run" in page


def test_a_partial_rerun_replaces_its_rows_and_keeps_the_rest(benchmark_module):
    old = {"throughput": [{"protocol": "nash", "runs": 10, "workers": 1, "summary_only": False, "rate": 1},
                          {"protocol": "nash", "runs": 10, "workers": 2, "summary_only": False, "rate": 2}],
           "profile": {"old": True}}
    new = {"throughput": [{"protocol": "nash", "runs": 10, "workers": 2, "summary_only": False, "rate": 3}]}
    merged = benchmark_module.merge(old, new)
    assert [r["rate"] for r in merged["throughput"]] == [1, 3]
    assert merged["profile"] == {"old": True}


def test_unknown_section_is_refused(benchmark_module, capsys):
    with pytest.raises(SystemExit):
        benchmark_module.parse_args(["--sections", "speed"])
    assert "--sections: unknown speed" in capsys.readouterr().err


def test_the_headline_says_by_how_much_a_target_is_missed():
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        report = importlib.import_module("benchmark_report")
    finally:
        sys.path.remove(str(SCRIPT.parent))
    assert report.shortfall(50_000, 250_000) == (False, "missed by 200,000 (80%): 5.0× short")
    assert report.shortfall(300_000, 250_000) == (True, "1.20× the target")
    assert report.shortfall(520.0, 500, higher_is_better=False, unit=" MB") == (False, "missed by 20.0 MB (4% over)")
    assert report.shortfall(float("nan"), 1.0) == (False, "not measured")


def test_the_reference_compares_every_engine_and_rows_record_the_default(benchmark_module):
    import inspect

    import basesim
    from basesim.model.negotiation import play

    if "engine" not in inspect.signature(play).parameters:
        assert benchmark_module.reference_engines(None) == [None]
        return
    from basesim.model import negotiation
    from basesim.montecarlo import runner

    assert benchmark_module.reference_engines(None) == list(negotiation.ENGINES)
    assert benchmark_module.reference_engines("batch") == ["batch"]
    assert benchmark_module.default_engine() == runner.ENGINE
    assert "engine" in inspect.signature(basesim.run).parameters
