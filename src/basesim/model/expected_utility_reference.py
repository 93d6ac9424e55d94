"""A plain, obvious expected-utility model of ONE world: the oracle for the batch kernel.

Written straight from the equations in :mod:`basesim.model.expected_utility`
(Scholz, Calbert and Smith 2011, "SCS"; Bueno de Mesquita 1994), with Python
floats and loops over actors, pairs and rounds, sharing no code with the
kernel. The tests require both to give the same numbers bit for bit, so
sums run in actor order, every expression is written in the kernel's order,
and powers are numpy's scalar ``power`` (on this hardware numpy's vectorised
``power`` differs from C's ``pow``, which Python's ``**`` uses, in the last
bit; numpy's scalar and array ``power`` agree).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["WorldPath", "play_world"]


@dataclass
class WorldPath:
    """One world's path: lists over rounds (``positions[t]`` after ``t`` rounds)."""

    positions: list[list[float]]
    mean: list[float]
    winner: list[float]
    winner_index: list[int]
    risk: list[list[float]]
    moves: list[list[int]]
    challenger: list[list[int]]
    spread: list[float]
    status_quo_support: list[float] | None
    agreed_round: int
    settled_round: int
    position_range: float


def power(base: float, exponent: float) -> float:
    return float(np.power(np.float64(base), np.float64(exponent)))


def vote(weight: float, scale: float, voter: float, a: float, b: float) -> float:
    """Voter's vote for ``a`` over ``b``: ``(w / Delta)(|x - b| - |x - a|)``."""
    return (weight / scale) * (abs(voter - b) - abs(voter - a))


def votes_between(
    x: list[float], weight: list[float], scale: float, a: float, b: float
) -> tuple[float, float, float]:
    """(net, supporters, total) of the votes for ``a`` over ``b``, voters in actor order."""
    net = 0.0
    support = 0.0
    total = 0.0
    for k in range(len(x)):
        v = vote(weight[k], scale, x[k], a, b)
        net = net + v
        support = support + (v if v > 0 else 0.0)
        total = total + abs(v)
    return net, support, total


def pairwise_winner(
    x: list[float], weight: list[float], scale: float, quo: float | None
) -> tuple[float, int]:
    """The candidate (status quo first, then the actors) whose worst pairwise margin is best."""
    candidates = ([quo] if quo is not None else []) + list(x)
    best, best_margin = 0, None
    for a, ya in enumerate(candidates):
        margin = min(votes_between(x, weight, scale, ya, yb)[0] for yb in candidates)
        if best_margin is None or margin > best_margin:
            best, best_margin = a, margin
    offset = 1 if quo is not None else 0
    return candidates[best], best - offset


def utility(base: float, r: float | None) -> float:
    """``2 - 4 base^r``; no power is taken for the first pass (``r = 1``)."""
    return 2.0 - 4.0 * (base if r is None else power(base, r))


def expected_utility(
    i: int,
    j: int,
    x: list[float],
    s: list[float],
    p: float,
    mu: float,
    scale: float,
    r: float | None,
    q: float,
    t: float,
) -> float:
    """``E_ij``, i challenging j (SCS eqs. 15-19, 24, 25a)."""
    d = abs(x[i] - x[j]) / scale
    e = (abs(x[i] - mu) + abs(x[i] - x[j])) / scale
    us = utility(0.5 - 0.5 * d, r)
    uf = utility(0.5 + 0.5 * d, r)
    usq = 2.0 - 4.0 * (0.5 if r is None else power(0.5, r))
    value = s[j] * (p * us + (1.0 - p) * uf) + (1.0 - s[j]) * us
    value = value - q * usq
    if q < 1.0:  # the no-challenge term, left out where its weight is an exact 0
        if t == 1.0:
            drift = t * utility(0.5 - 0.25 * e, r)
        elif t == 0.0:
            drift = (1.0 - t) * utility(0.5 + 0.25 * e, r)
        else:
            drift = t * utility(0.5 - 0.25 * e, r) + (1.0 - t) * utility(
                0.5 + 0.25 * e, r
            )
        value = value - (1.0 - q) * drift
    return value


def play_world(
    position: list[float],
    salience: list[float],
    capability: list[float],
    *,
    rounds: int,
    status_quo: float | None = None,
    no_change_probability: float = 1.0,
    improvement_probability: float = 1.0,
    probability: str = "net",
    position_range: float | None = None,
    tolerance: float = 0.01,
) -> WorldPath:
    """The model for one world, the options as in :func:`basesim.model.expected_utility.play_issue`."""
    n = len(position)
    x = [float(v) for v in position]
    s = [float(v) for v in salience]
    w = [float(c) * float(v) for c, v in zip(capability, salience)]
    q, t_ = float(no_change_probability), float(improvement_probability)
    spread0 = max(x) - min(x)
    scale = (
        float(position_range)
        if position_range is not None
        else (spread0 if spread0 > 0 else 1.0)
    )
    quo = None if status_quo is None else float(status_quo)

    positions, winners, winner_index = [list(x)], [], []
    risks, moves, challengers = [], [], []
    for rnd in range(rounds + 1):
        mu, who = pairwise_winner(x, w, scale, quo)
        winners.append(mu)
        winner_index.append(who)
        if rnd == rounds:
            break
        # probability that i prevails over j (SCS eq. 30)
        p = [[0.0] * n for _ in range(n)]
        for i in range(n):
            for j in range(n):
                if i != j and x[i] != x[j]:
                    net, support, total = votes_between(x, w, scale, x[i], x[j])
                    top = (net if net > 0 else 0.0) if probability == "net" else support
                    p[i][j] = top / total if total > 0 else 0.0
        # first pass with r = 1, risk exponents (SCS eqs. 32-33)
        first = [
            [
                expected_utility(i, j, x, s, p[i][j], mu, scale, None, q, t_)
                for j in range(n)
            ]
            for i in range(n)
        ]
        exposure = []
        for i in range(n):
            total = 0.0
            for j in range(n):
                if j != i:
                    total = total + first[j][i]
            exposure.append(total)
        high, low = max(exposure), min(exposure)
        r = []
        for i in range(n):
            big_r = (
                (2.0 * exposure[i] - high - low) / (high - low)
                if high - low > 0
                else 0.0
            )
            r.append((1.0 - big_r / 3.0) / (1.0 + big_r / 3.0))
        risks.append(r)
        # second pass, then each target yields to the smallest forced move (SCS section 6)
        eu = [
            [
                expected_utility(i, j, x, s, p[i][j], mu, scale, r[i], q, t_)
                for j in range(n)
            ]
            for i in range(n)
        ]
        new, kinds, whom = list(x), [0] * n, [-1] * n
        for i in range(n):
            best = None
            for j in range(n):
                if j == i or x[j] == x[i]:
                    continue
                mine, theirs = eu[i][j], eu[j][i]
                if theirs > mine > 0:
                    kind, target = 1, x[j]  # lost confrontation
                elif mine < 0 < theirs and theirs > -mine:
                    kind, target = (
                        2,
                        x[i] + (x[j] - x[i]) * abs(mine / theirs),
                    )  # compromise
                elif mine < 0 < theirs:
                    kind, target = 3, x[j]  # capitulation
                else:
                    continue
                if best is None or abs(target - x[i]) < best:
                    best = abs(target - x[i])
                    new[i], kinds[i], whom[i] = target, kind, j
        moves.append(kinds)
        challengers.append(whom)
        x = new
        positions.append(list(x))

    means, spreads = [], []
    for xs in positions:
        total, weights = 0.0, 0.0
        for k in range(n):
            total = total + w[k] * xs[k]
            weights = weights + w[k]
        means.append(total / weights)
        spreads.append((max(xs) - min(xs)) / scale)
    support_sq = None
    if quo is not None:
        support_sq = []
        for xs, m in zip(positions, means):
            total, weights = 0.0, 0.0
            for k in range(n):
                total = total + w[k] * (abs(xs[k] - quo) - abs(xs[k] - m)) / scale
                weights = weights + w[k]
            support_sq.append(total / weights)
    steps = [
        max(abs(b - a) for a, b in zip(before, after))
        for before, after in zip(positions, positions[1:])
    ]
    return WorldPath(
        positions=positions,
        mean=means,
        winner=winners,
        winner_index=winner_index,
        risk=risks,
        moves=moves,
        challenger=challengers,
        spread=spreads,
        status_quo_support=support_sq,
        agreed_round=first_lasting([v <= tolerance for v in spreads]),
        settled_round=first_lasting([v <= tolerance * scale for v in steps]),
        position_range=scale,
    )


def first_lasting(holds: list[bool]) -> int:
    """The first index from which ``holds`` is true to the end; -1 if the last is false (or none)."""
    first = -1
    for index in range(len(holds) - 1, -1, -1):
        if not holds[index]:
            break
        first = index
    return first
