"""A plain script (no ``if __name__ == "__main__"`` guard) can run and sweep in parallel.

Importing mesa makes ``spawn`` the default start method, which re-runs an
unguarded script in every worker; basesim's own pools fork instead. This is
how analysts write their first script, so it is tested as a real subprocess.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "minimal.yaml"


def test_unguarded_script_runs_and_sweeps_with_two_workers(tmp_path):
    script = tmp_path / "analysis.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import basesim
            scenario = basesim.load_scenario({str(SCENARIO)!r}, ["protocol.name=nash"])
            result = basesim.run(scenario, runs=64, seed=3, workers=2)
            grid = basesim.sweep(scenario, {{"actors.a.outside_option": [0.0, 0.2]}}, runs=64, seed=3, workers=2)
            print("runs", len(result.table), "points", len(grid.table))
            """
        )
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "runs 64 points 2" in done.stdout
    assert "Traceback" not in done.stderr
