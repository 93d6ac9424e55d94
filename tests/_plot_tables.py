"""Small synthetic results matching docs/contracts.md exactly, for the plot and report tests.

Not a model: levels, rounds and utilities are drawn at random, but every
column, dtype and category is the contract's, and the named outcomes are
evaluated from the levels as the runner would.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd

from basesim import load_scenario
from basesim.views.plot_data import round_dates
from basesim.scenario.schema import RESULTS, Scenario
from basesim.montecarlo.summary import named_outcomes

ROOT = Path(__file__).resolve().parents[1]


def baseline() -> Scenario:
    return load_scenario(ROOT / "scenarios" / "baseline.yaml")


def minimal() -> Scenario:
    return load_scenario(ROOT / "scenarios" / "minimal.yaml")


def outcome_table(scenario: Scenario, runs: int, *, seed: int = 0,
                  chances: tuple[float, float, float] = (0.6, 0.25, 0.15)) -> pd.DataFrame:
    """A table with the columns of ``RunResult.table`` (contract), ``runs`` rows."""
    rng = np.random.default_rng(seed)
    T = scenario.protocol.rounds
    result = rng.choice(len(RESULTS), size=runs, p=chances)
    rounds = np.where(result == 2, T - 1, rng.integers(0, T, size=runs))
    dates = round_dates(scenario)[rounds]
    deal = result == 0
    principals = scenario.principals
    table = pd.DataFrame({"replicate": np.arange(runs, dtype=np.int64)})
    table["actors.syria.outside_option"] = rng.uniform(-0.15, 0, runs)
    table["protocol.breakdown_risk"] = rng.uniform(0.01, 0.05, runs)
    table["result"] = pd.Categorical.from_codes(result, categories=list(RESULTS))
    table["round"] = rounds.astype(np.int64)
    table["date"] = np.asarray(dates, dtype="datetime64[ns]")
    proposer = np.where(deal, rng.integers(0, len(principals), runs), -1)
    table["proposer"] = pd.Categorical.from_codes(proposer, categories=principals)
    for name, issue in scenario.issues.items():
        labels = issue.labels
        no_deal = issue.level_index(scenario.status_quo_levels[name])
        level = np.where(deal, rng.integers(0, len(labels), runs), no_deal).astype(np.int64)
        table[name] = pd.Categorical.from_codes(level, categories=labels, ordered=True)
        table[f"{name}_level"] = level
        if issue.amounts is not None:
            table[f"{name}_amount"] = issue.amounts[level]
    for actor in scenario.actor_names:
        reservation = rng.uniform(0.1, 0.3, runs)
        table[f"utility_{actor}"] = np.where(deal, rng.uniform(0.3, 0.95, runs), reservation)
    for column, holds in named_outcomes(scenario, table).items():
        table[column] = holds
    return table


def utility_plane(scenario: Scenario) -> pd.DataFrame:
    """Every outcome of the scenario with linear utilities for the principals (like world_utilities)."""
    issues = scenario.issue_names
    grids = [range(len(scenario.issues[i].labels)) for i in issues]
    rows = np.array(list(itertools.product(*grids)))
    values = np.column_stack([scenario.issues[i].values[rows[:, k]] for k, i in enumerate(issues)])
    plane = pd.DataFrame({i: [scenario.issues[i].labels[j] for j in rows[:, k]] for k, i in enumerate(issues)})
    for p, principal in enumerate(scenario.principals):
        ideal = np.full(len(issues), 1.0 if p == 0 else 0.0)
        weights = np.linspace(1, 2, len(issues)) if p == 0 else np.linspace(2, 1, len(issues))
        weights = weights / weights.sum()
        plane[f"utility_{principal}"] = (weights * (1 - np.abs(values - ideal))).sum(axis=1)
        plane[f"reservation_{principal}"] = 0.3 if p == 0 else 0.25
    return plane


def trace(scenario: Scenario, *, status: str = "agreement", rounds: int = 8) -> pd.DataFrame:
    """A trace of one world: alternating proposers conceding towards each other."""
    principals = scenario.principals
    dates = round_dates(scenario)[:rounds]
    rows = []
    for t in range(rounds):
        proposer = principals[t % 2]
        share = 0.9 - 0.05 * t if t % 2 == 0 else 0.15 + 0.05 * t
        row = {"round": t, "date": dates[t], "proposer": proposer}
        for name, issue in scenario.issues.items():
            k = int(round(share * (len(issue.labels) - 1)))
            row[name] = issue.labels[k]
        row[f"utility_{principals[0]}"] = share
        row[f"utility_{principals[1]}"] = 1 - share
        for p, principal in enumerate(principals):
            row[f"target_{principal}"] = 1 - 0.06 * t
            if principal != proposer:
                row[f"accepted_by_{principal}"] = t == rounds - 1 and status == "agreement"
        row["events"] = "sanctions_relief" if t == 3 and "sanctions_relief" in scenario.events else ""
        row["status"] = status if t == rounds - 1 else "continue"
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame["date"] = frame["date"].astype("datetime64[ns]")
    return frame
