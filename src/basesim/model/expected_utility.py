"""The expected-utility model of political forecasting on one issue, for a batch of worlds.

Bueno de Mesquita's group decision model ("Political forecasting: an expected
utility method", in Bueno de Mesquita and Stokman (eds.), *European Community
Decision Making*, Yale UP 1994, ch. 4; "The war trap revisited", APSR 79(1),
1985, for the risk exponents), as made explicit by Scholz, Calbert and Smith
(2011), "Unravelling Bueno De Mesquita's group decision model", Journal of
Theoretical Politics 23(4), 510-531, doi:10.1177/0951629811418142 (below
"SCS"; equation numbers are theirs, as the public replications quote them:
D. Masad's BDM_DecisionModel_Replication, J. McKibben's
bdm-scholz-expected-utility-model and decisionmechanics/eum). The KTAB
toolkit (KAPSARC) belongs to the same family, but its spatial model is a
different one (probabilistic Condorcet elections), so nothing here follows it.

Every actor ``i`` of a world has a position ``x_i`` on the issue's scale, a
salience ``s_i`` in [0, 1] and a capability ``c_i >= 0``. ``Delta`` is the
range of the scale (by default the spread of the initial positions, as in SCS
and every replication). One round ``t``:

1. votes (SCS section 3.2, eq. 30 numerator; BDM 1994 with linear utility):
   actor ``k``'s vote for ``a`` over ``b`` is
   ``v_k(a, b) = (c_k s_k / Delta) (|x_k - y_b| - |x_k - y_a|)``. The pairwise
   vote ``V(a, b) = sum_k v_k(a, b)`` compares every two candidate positions
   (the actors' positions, and the status quo if one is given); the
   **pairwise-vote (Condorcet) winner** ``mu`` is the candidate whose smallest
   margin ``min_b V(a, b)`` is largest (the first such, in candidate order).
   ``V(a, b) = F(b) - F(a)`` with ``F(y) = sum_k c_k s_k |x_k - y| / Delta``,
   so the votes are transitive and this candidate beats or ties every other
   one: it is the capability x salience weighted median among the candidates.
2. probability that ``i`` prevails over ``j`` (SCS eq. 30):
   ``P_ij = max(V(i, j), 0) / sum_k |v_k(i, j)|`` (``probability="net"``, the
   default), or ``sum_k max(v_k(i, j), 0) / sum_k |v_k(i, j)|``
   (``"supporters"``); ``P_ij = 0`` when ``x_i = x_j``. See "Conventions".
3. utilities of ``i`` against ``j`` with risk exponent ``r_i`` (SCS eqs. 15,
   16, 18, 19, 24), ``d = |x_i - x_j| / Delta``, ``e = (|x_i - mu| + |x_i - x_j|) / Delta``:
   ``Us = 2 - 4 (0.5 - 0.5 d)^r`` (i succeeds), ``Uf = 2 - 4 (0.5 + 0.5 d)^r``
   (fails), ``Ub = 2 - 4 (0.5 - 0.25 e)^r`` (no challenge, things get better),
   ``Uw = 2 - 4 (0.5 + 0.25 e)^r`` (worse), ``Usq = 2 - 4 (0.5)^r``.
4. expected utility of ``i`` challenging ``j`` (SCS eq. 25a):
   ``E_ij = s_j (P_ij Us + (1 - P_ij) Uf) + (1 - s_j) Us - Q Usq - (1 - Q)(T Ub + (1 - T) Uw)``,
   ``Q`` the probability that nothing changes without a challenge and ``T``
   the probability that a change is for the better (options
   ``no_change_probability`` and ``improvement_probability``).
5. risk exponents (SCS eqs. 32-33; BDM 1985): with every ``r = 1`` compute
   ``E``, then ``i``'s exposure ``S_i = sum_{j != i} E_ji``,
   ``R_i = (2 S_i - max_k S_k - min_k S_k) / (max_k S_k - min_k S_k)`` and
   ``r_i = (1 - R_i / 3) / (1 + R_i / 3)``, in [0.5, 2] (``r_i = 1`` when all
   ``S`` are equal). Then ``E`` again with these ``r``.
6. moves (SCS section 6): for a target ``i`` and a challenger ``j`` at another
   position, with ``E_ij`` (``i``'s own calculus, ``r_i``, ``s_j``) and
   ``E_ji`` (``j``'s own, ``r_j``, ``s_i``):
   ``E_ji > E_ij > 0``: ``i`` loses a confrontation and moves to ``x_j``;
   ``E_ij < 0 < E_ji`` and ``-E_ij < E_ji``: ``i`` compromises, to
   ``x_i + (x_j - x_i) |E_ij / E_ji|``; ``E_ij < 0 < E_ji`` and
   ``-E_ij >= E_ji``: ``i`` capitulates, to ``x_j``. Of the moves forced on
   it, ``i`` makes the smallest (the first challenger, in actor order, on a
   tie); all actors move at once. Every move goes to a point between two
   current positions, so the spread of positions never grows.

Convergence: ``spread`` is ``(max_i x_i - min_i x_i) / Delta``;
``agreed_round`` is the first round whose positions lie within
``tolerance`` (spread <= tolerance; it then stays so), ``settled_round`` the
first round after which no actor moves by more than ``tolerance * Delta``
within the horizon (-1 if the last round still moved one, or no round was
played). Position ``t`` holds after ``t`` rounds.

Conventions where the replications disagree (docs/expected_utility.md):

- ``P``: SCS print eq. 30 as a sum "over k if arg > 0". Read as a sum over
  the supporters of ``i`` (decisionmechanics/eum) it gives the first-pass
  risk exponents NL 1.117, BE 1.004, ... for the European Community example;
  read as the positive part of the net vote (Masad) it gives NL 1.127, BE
  0.781, LU 0.500, DE 1.127, FR 1.078, IT 1.078, UK 2.000, IE 0.525, DK
  1.472, GR 1.140, the figures the replications report. ``"net"`` is the
  default.
- ``E_ji`` in the move rule is ``j``'s own expected utility (``r_j``) with
  the target's salience ``s_i`` (Masad; eum keeps ``s_j`` as printed in SCS,
  a typo; McKibben evaluates both with ``r_i``).
- among forced moves the smallest wins, as SCS's text has it (as McKibben
  quotes it; eum and, per McKibben, SCS's own code rank confrontation over
  compromise over capitulation first; Masad takes the challenger with the
  largest ``E_ji``).
- ``mu`` (only used when ``Q < 1``) is the pairwise-vote winner of the
  current positions (Masad uses it in one pass and the weighted mean in the
  other).

Floating point: sums over actors run left to right in actor order (a loop
over actors, never over worlds), and every expression is written as in
:mod:`basesim.model.expected_utility_reference`, which therefore matches this
kernel bit for bit (powers there are numpy's scalar ``power``, which agrees
with numpy's array ``power``; Python's ``**``, C's ``pow``, differs from both
in the last bit on AVX-512 hardware).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from basesim.errors import UsageError

__all__ = [
    "DEFAULT_TOLERANCE",
    "MOVES",
    "PROBABILITY_RULES",
    "ExpectedUtilityPath",
    "pairwise_votes",
    "pairwise_winner",
    "play_issue",
    "weighted_mean",
]

#: How the probability of prevailing is read from SCS eq. 30 (see the module docstring).
PROBABILITY_RULES = ("net", "supporters")

#: Codes of ``ExpectedUtilityPath.moves``: what an actor did in a round.
MOVES = ("none", "lost confrontation", "compromise", "capitulation")
NO_MOVE, CONFRONTATION, COMPROMISE, CAPITULATION = range(4)

#: Worlds played together: a block's (worlds, actors, actors) arrays stay in the CPU cache.
BLOCK = 512

#: Positions within 1% of the scale's range count as agreed.
DEFAULT_TOLERANCE = 0.01


@dataclass(frozen=True)
class ExpectedUtilityPath:
    """The model's path on one issue for ``n`` worlds, ``A`` actors, ``R`` rounds.

    - ``positions`` (n, R+1, A): ``positions[:, t]`` after ``t`` rounds (``t = 0``: the input);
    - ``mean`` (n, R+1): capability x salience weighted mean position,
      ``sum_i c_i s_i x_i / sum_i c_i s_i`` (the BDM forecast);
    - ``winner`` (n, R+1): the pairwise-vote (Condorcet) winner among the
      positions and the status quo (its position; ``winner_index`` (n, R+1)
      says whose: actor index, or -1 for the status quo);
    - ``risk`` (n, R, A): the risk exponents ``r_i`` of round ``t``;
    - ``moves`` (n, R, A) int8: a :data:`MOVES` code per actor and round;
      ``challenger`` (n, R, A): the actor whose challenge it yielded to, -1 if none;
    - ``spread`` (n, R+1): ``(max x - min x) / position_range``;
    - ``status_quo_support`` (n, R+1) or None: the weighted vote of the
      current positions for the mean over the status quo,
      ``sum_k c_k s_k (|x_k - q| - |x_k - mean|) / (Delta sum_k c_k s_k)``, in
      [-1, 1] (positive: the forecast beats the status quo);
    - ``agreed_round`` (n,): first ``t`` with ``spread <= tolerance``, -1 if none;
    - ``settled_round`` (n,): first ``t`` after which no actor moves more than
      ``tolerance * position_range`` in any round up to the horizon (a round ``t``
      moves positions ``t`` to ``t + 1``), -1 if the last round still did or ``R = 0``;
    - ``position_range`` (n,): ``Delta``.
    """

    positions: np.ndarray
    mean: np.ndarray
    winner: np.ndarray
    winner_index: np.ndarray
    risk: np.ndarray
    moves: np.ndarray
    challenger: np.ndarray
    spread: np.ndarray
    status_quo_support: np.ndarray | None
    agreed_round: np.ndarray
    settled_round: np.ndarray
    position_range: np.ndarray
    tolerance: float

    @property
    def converged(self) -> np.ndarray:
        """(n,) bool: the positions agreed (within the tolerance) by the horizon."""
        return self.agreed_round >= 0


def weighted_mean(position: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``sum_i w_i x_i / sum_i w_i`` over the last axis, summed in actor order.

    ``position`` and ``weight`` (..., A) -> (...). With ``w = c s`` this is
    the BDM forecast (Bueno de Mesquita 1994; SCS section 3.2 report it next
    to the median).
    """
    total = np.zeros(position.shape[:-1])
    weights = np.zeros(position.shape[:-1])
    for k in range(position.shape[-1]):
        total = total + weight[..., k] * position[..., k]
        weights = weights + weight[..., k]
    return total / weights


def pairwise_votes(
    voter: np.ndarray,
    weight: np.ndarray,
    candidate: np.ndarray,
    position_range: np.ndarray,
    *,
    support: bool = False,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """The votes between every two candidates, summed over the voters in actor order.

    ``voter``, ``weight`` (n, A), ``candidate`` (n, C), ``position_range`` (n,) ->
    ``(net, support, total)``, each (n, C, C), indexed ``[a, b]``:
    ``net = sum_k v_k(a, b)``, ``support = sum_k max(v_k(a, b), 0)`` (None
    unless asked for), ``total = sum_k |v_k(a, b)|`` with
    ``v_k(a, b) = (w_k / Delta) (|x_k - y_b| - |x_k - y_a|)`` (SCS section 3.2, eq. 30).
    """
    n, count = candidate.shape
    net = np.zeros((n, count, count))
    positive = np.zeros((n, count, count)) if support else None
    total = np.zeros((n, count, count))
    vote = np.empty((n, count, count))
    scaled = weight / position_range[:, None]  # w_k / Delta
    for k in range(voter.shape[1]):
        distance = np.abs(voter[:, k, None] - candidate)  # (n, C): |x_k - y_c|
        np.subtract(distance[:, None, :], distance[:, :, None], out=vote)
        vote *= scaled[:, k, None, None]
        net += vote
        if positive is not None:
            positive += np.where(vote > 0, vote, 0.0)
        np.abs(vote, out=vote)
        total += vote
    return net, positive, total


def pairwise_winner(net: np.ndarray) -> np.ndarray:
    """Index (n,) of the candidate whose smallest pairwise margin ``min_b net[a, b]`` is largest.

    The first such candidate; with transitive votes (always, here) it beats or
    ties every other candidate: the Condorcet winner.
    """
    return np.argmax(net.min(axis=2), axis=1)


def _utilities(
    distance: np.ndarray,
    from_median: np.ndarray,
    risk: np.ndarray | None,
    needs: tuple[bool, bool],
) -> tuple[np.ndarray, ...]:
    """``Us, Uf, Ub, Uw`` (n, A, A) and ``Usq`` (n, A, 1) of SCS eqs. 15, 16, 18, 19, 24.

    ``distance`` (n, A, A) ``|x_i - x_j| / Delta``; ``from_median`` (n, A, A)
    ``(|x_i - mu| + |x_i - x_j|) / Delta``; ``risk`` (n, A) the exponent
    ``r_i``, None for ``r = 1`` (then no power is taken: ``b ** 1 = b``).
    ``needs`` says whether ``Ub`` and ``Uw`` enter (their weights ``(1 - Q) T``
    and ``(1 - Q)(1 - T)`` are not 0); a term that does not is 0.
    """

    def utility(base: np.ndarray) -> np.ndarray:
        return 2.0 - 4.0 * (base if risk is None else np.power(base, risk[:, :, None]))

    success = utility(0.5 - 0.5 * distance)
    failure = utility(0.5 + 0.5 * distance)
    better = utility(0.5 - 0.25 * from_median) if needs[0] else None
    worse = utility(0.5 + 0.25 * from_median) if needs[1] else None
    status_quo = 2.0 - 4.0 * (0.5 if risk is None else np.power(0.5, risk[:, :, None]))
    return success, failure, better, worse, status_quo


def _expected_utility(
    probability: np.ndarray,
    resolve: np.ndarray,
    utilities: tuple[np.ndarray, ...],
    no_change: float,
    improvement: float,
) -> np.ndarray:
    """``E_ij`` (n, A, A) of SCS eq. 25a; ``resolve`` (n, 1, A) is the target's salience ``s_j``.

    The no-challenge term ``(1 - Q)(T Ub + (1 - T) Uw)`` is left out where its
    weight is 0 (``Q = 1``), and so is either of its parts (``T = 1`` or 0):
    subtracting or adding an exact 0 changes nothing.
    """
    success, failure, better, worse, status_quo = utilities
    value = (
        resolve * (probability * success + (1.0 - probability) * failure)
        + (1.0 - resolve) * success
    )
    value = value - no_change * status_quo
    if no_change < 1.0:
        if improvement == 1.0:
            drift = improvement * better
        elif improvement == 0.0:
            drift = (1.0 - improvement) * worse
        else:
            drift = improvement * better + (1.0 - improvement) * worse
        value = value - (1.0 - no_change) * drift
    return value


def _risk_exponents(expected: np.ndarray) -> np.ndarray:
    """``r_i`` (n, A) from the first pass ``E`` (n, A, A) (SCS eqs. 32-33)."""
    n, count, _ = expected.shape
    exposure = np.zeros((n, count))
    for j in range(count):
        others = np.arange(count) != j
        exposure = exposure + np.where(
            others, expected[:, j, :], 0.0
        )  # adds E_ji to every i != j
    high = exposure.max(axis=1, keepdims=True)
    low = exposure.min(axis=1, keepdims=True)
    width = high - low
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(width > 0, (2.0 * exposure - high - low) / width, 0.0)
    return (1.0 - relative / 3.0) / (1.0 + relative / 3.0)


def _check(
    name: str,
    array: np.ndarray,
    shape: tuple[int, ...],
    low: float | None,
    high: float | None,
) -> None:
    if array.shape != shape:
        raise UsageError(
            f"expected utility: {name} has shape {array.shape}; it must have shape {shape} (worlds, actors)"
        )
    bad = ~np.isfinite(array)
    if low is not None:
        bad |= array < low
    if high is not None:
        bad |= array > high
    if bad.any():
        world, actor = (int(v) for v in np.argwhere(bad)[0])
        bounds = [f"at least {low:g}"] if low is not None else []
        bounds += [f"at most {high:g}"] if high is not None else []
        allowed = " ".join(["a finite number", " and ".join(bounds)]).strip()
        raise UsageError(
            f"expected utility: {name} of world {world}, actor {actor} is {float(array[world, actor])!r}; "
            f"it must be {allowed}"
        )


def _check_options(
    rounds: int,
    no_change: float,
    improvement: float,
    probability: str,
    tolerance: float,
) -> None:
    if (
        isinstance(rounds, bool)
        or not isinstance(rounds, (int, np.integer))
        or rounds < 0
    ):
        raise UsageError(
            f"expected utility: rounds is {rounds!r}; it must be a whole number, 0 or more"
        )
    for name, value in (
        ("no_change_probability", no_change),
        ("improvement_probability", improvement),
    ):
        if not 0.0 <= value <= 1.0:
            raise UsageError(
                f"expected utility: {name} is {value!r}; it must lie in [0, 1]"
            )
    if probability not in PROBABILITY_RULES:
        raise UsageError(
            f"expected utility: probability is {probability!r}; allowed: {', '.join(PROBABILITY_RULES)}"
        )
    if not 0.0 <= tolerance < 1.0:
        raise UsageError(
            f"expected utility: tolerance is {tolerance!r}; it must lie in [0, 1)"
        )


def play_issue(
    position: np.ndarray,
    salience: np.ndarray,
    capability: np.ndarray,
    *,
    rounds: int,
    status_quo: np.ndarray | float | None = None,
    no_change_probability: float = 1.0,
    improvement_probability: float = 1.0,
    probability: str = "net",
    position_range: np.ndarray | float | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
) -> ExpectedUtilityPath:
    """Play the expected-utility model on one issue for every world of a batch at once.

    ``position`` (n, A) on the issue's scale, ``salience`` (n, A) in [0, 1],
    ``capability`` (n, A) >= 0 with ``sum_i c_i s_i > 0`` in every world;
    ``status_quo`` (n,) or a number: a candidate in the pairwise vote (first
    in order, so it wins ties) and the reference of ``status_quo_support``;
    ``no_change_probability`` is SCS's ``Q``, ``improvement_probability``
    their ``T``; ``probability`` one of :data:`PROBABILITY_RULES`;
    ``position_range`` (n,) or a number: ``Delta``, by default the spread of
    the initial positions (it must cover them; an issue on which all agree
    gets ``Delta = 1``). Equations: the module docstring.
    """
    x = np.asarray(position, dtype=float)
    if x.ndim != 2 or x.shape[1] < 1:
        raise UsageError(
            f"expected utility: position has shape {x.shape}; it must be (worlds, actors)"
        )
    n, count = x.shape
    s = np.asarray(salience, dtype=float)
    c = np.asarray(capability, dtype=float)
    _check("position", x, (n, count), None, None)
    _check("salience", s, (n, count), 0.0, 1.0)
    _check("capability", c, (n, count), 0.0, None)
    _check_options(
        rounds, no_change_probability, improvement_probability, probability, tolerance
    )
    weight = c * s
    if not (weight.sum(axis=1) > 0).all():
        world = int(np.flatnonzero(~(weight.sum(axis=1) > 0))[0])
        raise UsageError(
            f"expected utility: world {world} has no actor with both capability and salience above 0"
        )
    spread0 = x.max(axis=1) - x.min(axis=1)
    if position_range is None:
        scale = np.where(spread0 > 0, spread0, 1.0)
    else:
        scale = np.broadcast_to(np.asarray(position_range, dtype=float), (n,)).copy()
        if not (np.isfinite(scale) & (scale > 0)).all() or (scale < spread0).any():
            raise UsageError(
                f"expected utility: position_range must be positive and cover the initial positions "
                f"(largest spread {spread0.max()!r}); got {np.asarray(position_range)!r}"
            )
    quo = (
        None
        if status_quo is None
        else np.broadcast_to(np.asarray(status_quo, dtype=float), (n,)).copy()
    )
    if quo is not None and not np.isfinite(quo).all():
        raise UsageError(
            "expected utility: status_quo has a value that is not a finite number"
        )

    options = (rounds, no_change_probability, improvement_probability, probability)
    blocks = [
        _play_block(
            x[i : i + BLOCK],
            s[i : i + BLOCK],
            weight[i : i + BLOCK],
            None if quo is None else quo[i : i + BLOCK],
            scale[i : i + BLOCK],
            options,
        )
        for i in range(0, n, BLOCK)
    ]
    positions, winner, winner_index, risk, moves, challenger = (
        np.concatenate([b[f] for b in blocks]) for f in range(6)
    )
    mean = weighted_mean(positions, weight[:, None, :])
    spread = (positions.max(axis=2) - positions.min(axis=2)) / scale[:, None]
    support_sq = None
    if quo is not None:
        support_sq = _status_quo_support(positions, weight, quo, mean, scale)
    step = np.abs(np.diff(positions, axis=1)).max(
        axis=2, initial=0.0
    )  # (n, R): the largest move of round t
    return ExpectedUtilityPath(
        positions=positions,
        mean=mean,
        winner=winner,
        winner_index=winner_index,
        risk=risk,
        moves=moves,
        challenger=challenger,
        spread=spread,
        status_quo_support=support_sq,
        agreed_round=_first_lasting(spread <= tolerance),
        settled_round=_first_lasting(step <= tolerance * scale[:, None]),
        position_range=scale,
        tolerance=float(tolerance),
    )


def _play_block(
    x: np.ndarray,
    s: np.ndarray,
    weight: np.ndarray,
    quo: np.ndarray | None,
    scale: np.ndarray,
    options: tuple[int, float, float, str],
) -> tuple[np.ndarray, ...]:
    """The rounds for a block of worlds (module docstring, steps 1-6).

    -> ``positions`` (n, R+1, A), ``winner`` and ``winner_index`` (n, R+1),
    ``risk``, ``moves`` and ``challenger`` (n, R, A).
    """
    rounds, no_change_probability, improvement_probability, probability = options
    n, count = x.shape
    positions = np.empty((n, rounds + 1, count))
    positions[:, 0] = x
    risk = np.empty((n, rounds, count))
    moves = np.zeros((n, rounds, count), dtype=np.int8)
    challenger = np.full((n, rounds, count), -1, dtype=np.int64)
    winner = np.empty((n, rounds + 1))
    winner_index = np.empty((n, rounds + 1), dtype=np.int64)
    others = ~np.eye(count, dtype=bool)
    offset = 0 if quo is None else 1
    resolve = s[:, None, :]
    drifts = no_change_probability < 1.0
    needs = (
        drifts and improvement_probability > 0.0,
        drifts and improvement_probability < 1.0,
    )

    for t in range(rounds + 1):
        candidate = x if quo is None else np.concatenate([quo[:, None], x], axis=1)
        net, support, total = pairwise_votes(
            x, weight, candidate, scale, support=probability == "supporters"
        )
        best = pairwise_winner(net)
        median = np.take_along_axis(candidate, best[:, None], axis=1)[:, 0]
        winner[:, t] = median
        winner_index[:, t] = best - offset
        if t == rounds:
            break
        net, total = net[:, offset:, offset:], total[:, offset:, offset:]
        gap = np.abs(x[:, :, None] - x[:, None, :])  # |x_i - x_j|
        distinct = gap > 0
        numerator = (
            np.where(net > 0, net, 0.0)
            if support is None
            else support[:, offset:, offset:]
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            p = np.where(distinct & (total > 0), numerator / total, 0.0)
        distance = gap / scale[:, None, None]
        from_median = (np.abs(x - median[:, None])[:, :, None] + gap) / scale[
            :, None, None
        ]
        first = _utilities(distance, from_median, None, needs)
        expected = _expected_utility(
            p, resolve, first, no_change_probability, improvement_probability
        )
        r = _risk_exponents(expected)
        risk[:, t] = r
        second = _utilities(distance, from_median, r, needs)
        expected = _expected_utility(
            p, resolve, second, no_change_probability, improvement_probability
        )
        new, moves[:, t], challenger[:, t] = _moves(x, expected, distinct & others)
        x = new
        positions[:, t + 1] = x

    return positions, winner, winner_index, risk, moves, challenger


def _moves(
    x: np.ndarray, expected: np.ndarray, contest: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """New positions (n, A), move codes and challengers (SCS section 6; module docstring, step 6).

    ``expected[:, i, j]`` is ``E_ij``; ``contest`` (n, A, A) marks the pairs at different positions.
    """
    own = expected  # E_ij: the target i's calculus against challenger j
    theirs = np.swapaxes(expected, 1, 2)  # E_ji: challenger j's calculus against i
    target = x[:, :, None]
    rival = x[:, None, :]
    confrontation = contest & (theirs > own) & (own > 0)
    yielding = contest & (own < 0) & (theirs > 0)
    compromise = yielding & (theirs > -own)
    capitulation = yielding & ~compromise
    with np.errstate(divide="ignore", invalid="ignore"):
        partial = target + (rival - target) * np.abs(own / theirs)
    proposal = np.where(compromise, partial, rival)
    forced = confrontation | compromise | capitulation
    shift = np.where(forced, np.abs(proposal - target), np.inf)
    pick = np.argmin(shift, axis=2)  # the smallest move; the first challenger on a tie
    moved = np.isfinite(np.take_along_axis(shift, pick[:, :, None], axis=2)[:, :, 0])
    chosen = np.take_along_axis(proposal, pick[:, :, None], axis=2)[:, :, 0]
    code = np.select(
        [confrontation, compromise, capitulation],
        [CONFRONTATION, COMPROMISE, CAPITULATION],
        NO_MOVE,
    ).astype(np.int8)
    code = np.where(
        moved, np.take_along_axis(code, pick[:, :, None], axis=2)[:, :, 0], NO_MOVE
    ).astype(np.int8)
    return np.where(moved, chosen, x), code, np.where(moved, pick, -1)


def _status_quo_support(
    positions: np.ndarray,
    weight: np.ndarray,
    quo: np.ndarray,
    mean: np.ndarray,
    scale: np.ndarray,
) -> np.ndarray:
    """(n, R+1): ``sum_k w_k (|x_k - q| - |x_k - mean|) / Delta / sum_k w_k``, summed in actor order."""
    vote = np.zeros(mean.shape)
    weights = np.zeros(mean.shape)
    for k in range(positions.shape[2]):
        x_k = positions[:, :, k]
        vote = (
            vote
            + weight[:, k, None]
            * (np.abs(x_k - quo[:, None]) - np.abs(x_k - mean))
            / scale[:, None]
        )
        weights = weights + weight[:, k, None]
    return vote / weights


def _first_lasting(holds: np.ndarray) -> np.ndarray:
    """(n,) first index ``t`` of the last axis from which ``holds`` stays true to the end, -1 if the end is false.

    An empty last axis (no rounds played) gives -1: nothing is known to have settled.
    """
    if holds.shape[1] == 0:
        return np.full(holds.shape[0], -1, dtype=np.int64)
    lasting = np.flip(np.logical_and.accumulate(np.flip(holds, axis=1), axis=1), axis=1)
    first = np.argmax(lasting, axis=1)
    return np.where(lasting[:, -1], first, -1).astype(np.int64)
