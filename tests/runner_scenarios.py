"""Small scenarios for the runner, summary and `basesim run` tests (not a test module)."""

from __future__ import annotations

import textwrap

import yaml

from basesim.scenario.loader import scenario_from_data

#: Two principals, one influencer, an event, every kind of named outcome; fast to play.
TALKS = textwrap.dedent(
    """
    name: talks
    title: Small talks
    issues:
      money: {label: Money paid, unit: $bn, range: {min: 0, max: 10, steps: 6}}
      base: {label: The base, levels: [withdrawal, logistics only, full lease]}
    no_deal: {money: 0, base: withdrawal}
    actors:
      south:
        role: principal
        ideal_point: {money: 1.0, base: {dist: uniform, low: 0.0, high: 0.6}}
        salience: {dist: dirichlet, alpha: {money: 3, base: 2}}
        outside_option: {dist: uniform, low: -0.2, high: 0.1}
        concession: {dist: triangular, low: 0.3, mode: 0.7, high: 1.5}
        belief_noise: 0.1
      north:
        role: principal
        ideal_point: {money: 0.0, base: full lease}
        salience: {money: 1, base: {dist: uniform, low: 1, high: 3}}
        outside_option: {dist: uniform, low: 0.0, high: 0.2}
        concession: 0.6
      east:
        role: influencer
        ideal_point: {money: 1.0, base: withdrawal}
        salience: {money: 0.2, base: 0.8}
        leverage: {south: {dist: uniform, low: 0.0, high: 0.3}}
    protocol:
      rounds: 8
      round_length: 1 month
      start_date: 2025-02-01
      breakdown_risk: {dist: uniform, low: 0.01, high: 0.08}
    events:
      relief:
        round: {dist: integers, low: 2, high: 6}
        probability: 0.5
        add: {actors.south.outside_option: 0.1}
    outcomes:
      keeps_base: {label: North keeps the base, issue: base, at_least: logistics only}
      full_lease: {issue: base, equals: full lease}
      little_money: {issue: money, at_most: 4 $bn}
      deal_early: {label: Deal by June, result: agreement, by: 2025-06-30}
      ended_by_may: {by: 2025-05-31}
    monte_carlo: {runs: 1000, seed: 11}
    """
)

#: No agreement is possible (each side's reservation utility is 1 and their ideals are opposite),
#: so the talks break down with probability 1 - (1 - risk)^rounds (breakdown is drawn every round).
DEADLOCK = textwrap.dedent(
    """
    name: deadlock
    issues:
      share: {range: {min: 0, max: 10, steps: 11}}
    no_deal: {share: 0}
    actors:
      a: {role: principal, ideal_point: {share: 1.0}, salience: {share: 1.0}, outside_option: 1.0}
      b: {role: principal, ideal_point: {share: 0.0}, salience: {share: 1.0}}
    protocol: {rounds: 10, breakdown_risk: 0.05}
    outcomes:
      broke_down: {result: breakdown}
    monte_carlo: {runs: 1000, seed: 7}
    """
)
DEADLOCK_BREAKDOWN = 1 - (1 - 0.05) ** 10


def load(text: str):
    return scenario_from_data(yaml.safe_load(text))


def write(folder, text: str, name: str = "talks.yaml"):
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path
