"""The compiled per-world kernel: a batch of worlds played one world at a time (numba).

What runs where
---------------
- :mod:`basesim.model.negotiation` (Mesa: agents, model, ``step``) plays a
  batch of worlds *in parallel*, one numpy array per parameter over the
  worlds: the vectorised batch. It is the oracle of this kernel, the engine
  of :func:`basesim.model.trace` and of every interactive view.
- :mod:`basesim.model.reference` plays ONE world as a plain Mesa model: the
  oracle of the batch.
- This module plays the same worlds one after another in compiled code, each
  world's state (utilities of every outcome, believed scores, the plan of the
  equilibrium) in a few kilobytes that stay in cache. ``basesim.model.play(draws,
  engine="kernel")`` uses it and gives the batch's table, bit for bit.

Equations are the batch's (docs/model.md; the protocols' modules cite the
sources). Every floating-point operation is the batch's, in the batch's
order:

- utilities: per issue ``salience * g(|v - p|)``, influence mixed as in
  :func:`~basesim.model.outcome_space.mix_influence` (actors in scenario
  order), summed over issues left to right as
  :func:`~basesim.model.outcome_space.outer_sum` does;
- sums that numpy reduces along a contiguous last axis (over breakdown
  alternatives, over issues when normalising saliences) use numpy's pairwise
  summation (:func:`_pairwise_sum`); sums along another axis (leverage over
  actors, Nash's objective over principals, responders' utilities) add one
  term after the other from 0.0, as numpy does there;
- ``exp``, ``log``, ``log1p``, ``expm1`` and ``power`` are numpy's own inner
  loops, called through their addresses (:mod:`basesim.model.numpy_loops`):
  numpy's SIMD versions differ from the C library's in the last bit for a
  few percent of arguments, and the batch calls numpy. ``x ** 2``, ``x **
  0.5`` and ``x ** -1`` with a scalar exponent are ``x * x``, ``sqrt(x)`` and
  ``1 / x``, as numpy computes them;
- believed scores are rounded once to float32 (``float32(1 + score)``), as in
  :class:`~basesim.model.state.BatchState`.

Only signs of zero may differ (``max(0.0, -0.0)``), and no result depends on
one: zeros are compared, never divided by. The tests (tests/test_kernel.py)
check kernel == batch on random scenarios under every protocol.

Compilation
-----------
Every function is ``@njit(cache=True)``: the first run on a machine compiles
the kernel of a protocol (some 10-40 s of CPU) and writes it to numba's cache
(``__pycache__`` beside this file, or ``NUMBA_CACHE_DIR``); later runs load it
in well under a second. :func:`warm` loads (or compiles) it before worker
processes fork, so they share it. Constants of the batch (tolerances, the
convergence bound) are passed at run time, never frozen into the cache.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass
from typing import Any

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from basesim.errors import UsageError
from basesim.model import agents
from basesim.model.numpy_loops import LoopsUnavailable, loop_addresses
from basesim.model.outcome_space import CONCAVE as _CONCAVE, CONVEX as _CONVEX, LINEAR as _LINEAR, POINTS as _POINTS
from basesim.model.outcome_space import OutcomeSpace
from basesim.model.protocols import equilibrium, get_protocol
from basesim.model.state import PARAMETERS, state_levels
from basesim.scenario.sampling import FIELD_BOUNDS, SCALAR_FIELDS, Draws, parameter_slot
from basesim.scenario.schema import RESULTS

__all__ = ["PROTOCOLS", "KernelRun", "available", "compile_all", "plays", "run", "warm"]

#: The protocols the kernel plays (others fall back to the vectorised batch).
PROTOCOLS = ("alternating_offers", "equilibrium", "nash")

_JIT = dict(cache=True, error_model="numpy", nogil=True)

# indices into the loop addresses (numpy_loops.FUNCTIONS)
_EXP, _LOG, _LOG1P, _EXPM1, _POWER = 0, 1, 2, 3, 4
# the scalar fields, rows of the (8, A) per-world scalars (sampling.SCALAR_FIELDS)
_POWER_F, _OUTSIDE, _CONCESSION, _PATIENCE, _NOISE, _DELAY, _DEADLINE, _LEARNING = range(8)
assert SCALAR_FIELDS == ("power", "outside_option", "concession", "patience", "belief_noise", "delay_cost",
                         "deadline", "learning_time")
# event targets: 0 ideal_point (a, i), 1 salience (a, i), 2 leverage (b, a), 3 + field (a,), 11 breakdown_risk
_IDEAL, _SALIENCE, _LEVERAGE, _SCALAR, _RISK = 0, 1, 2, 3, 11
_SET, _ADD = 0, 1
# the kernel's result codes; run() maps them to RESULTS' order
_AGREEMENT, _BREAKDOWN, _TALKING = 0, 1, 2
_RESULT_CODES = np.array([RESULTS.index(name) for name in ("agreement", "breakdown", "talking")], np.int8)
# utility curves (outcome_space)
LINEAR, CONCAVE, CONVEX, POINTS = 0, 1, 2, 3
assert (LINEAR, CONCAVE, CONVEX, POINTS) == (_LINEAR, _CONCAVE, _CONVEX, _POINTS)
# rows of the flows (4, P): talking s, walk-out b, never agreeing V, reservation r
_S, _B, _V, _R = 0, 1, 2, 3
# the constants array: tolerance of offers (agents), of the equilibrium, convergence, hull, solve rounds
_TOL_OFFER, _TOL_EQ, _CONVERGED, _HULL_TOL, _SOLVE_ROUNDS = range(5)

#: The scenario's constants, in the kernel's layout.
Space = namedtuple("Space", "values shape curve curvature fixed")
Rules = namedtuple("Rules", "principals first months rounds status_quo breakdown constants loops principals_order")
Events = namedtuple("Events", "round fires op_event op_kind op_attr op_i op_j op_low op_high values")
Worlds = namedtuple("Worlds", "ideal salience leverage scalars risk weight ideal_z salience_z draw")
Outputs = namedtuple("Outputs", "result end_round agreement proposer cause ideal salience leverage scalars risk")


# --- numpy's inner loops, called from compiled code ----------------------------------------------------------


def _loop_type():
    i8p = ir.IntType(8).as_pointer()
    i64p = ir.IntType(64).as_pointer()
    return ir.FunctionType(ir.VoidType(), [i8p.as_pointer(), i64p, i64p, i8p])


def _call_loop(builder, address, pointers, count):
    """Call numpy's loop at ``address`` on contiguous float64 buffers ``pointers`` (inputs, then the output)."""
    i8p, i64 = ir.IntType(8).as_pointer(), ir.IntType(64)
    args = cgutils.alloca_once(builder, i8p, size=len(pointers))
    steps = cgutils.alloca_once(builder, i64, size=len(pointers))
    for k, pointer in enumerate(pointers):
        builder.store(builder.bitcast(pointer, i8p), builder.gep(args, [ir.Constant(i64, k)]))
        builder.store(ir.Constant(i64, 8), builder.gep(steps, [ir.Constant(i64, k)]))
    dims = cgutils.alloca_once(builder, i64)
    builder.store(count, dims)
    function = builder.inttoptr(address, _loop_type().as_pointer())
    builder.call(function, [args, dims, steps, ir.Constant(i8p, None)])


def _is_vector(ty) -> bool:
    return isinstance(ty, types.Array) and ty.dtype == types.float64 and ty.ndim == 1 and ty.layout == "C"


@intrinsic
def _loop1(typingctx, address, source, target, count):
    """``target[:count] = f(source[:count])`` with numpy's loop of a unary f."""
    if not (_is_vector(source) and _is_vector(target)):
        return None
    signature = types.void(types.uint64, source, target, types.int64)

    def codegen(context, builder, sig, args):
        pointers = [context.make_array(sig.args[k])(context, builder, args[k]).data for k in (1, 2)]
        _call_loop(builder, args[0], pointers, args[3])
        return context.get_dummy_value()

    return signature, codegen


@intrinsic
def _loop2(typingctx, address, first, second, target, count):
    """``target[:count] = f(first[:count], second[:count])`` with numpy's loop of a binary f."""
    if not (_is_vector(first) and _is_vector(second) and _is_vector(target)):
        return None
    signature = types.void(types.uint64, first, second, target, types.int64)

    def codegen(context, builder, sig, args):
        pointers = [context.make_array(sig.args[k])(context, builder, args[k]).data for k in (1, 2, 3)]
        _call_loop(builder, args[0], pointers, args[4])
        return context.get_dummy_value()

    return signature, codegen


@intrinsic
def _scalar1(typingctx, address, x):
    """f(x) for one float64, with numpy's loop of a unary f."""
    signature = types.float64(types.uint64, types.float64)

    def codegen(context, builder, sig, args):
        double = ir.DoubleType()
        source = cgutils.alloca_once(builder, double)
        target = cgutils.alloca_once(builder, double)
        builder.store(args[1], source)
        _call_loop(builder, args[0], [source, target], ir.Constant(ir.IntType(64), 1))
        return builder.load(target)

    return signature, codegen


@intrinsic
def _scalar2(typingctx, address, x, y):
    """f(x, y) for float64 arguments, with numpy's loop of a binary f."""
    signature = types.float64(types.uint64, types.float64, types.float64)

    def codegen(context, builder, sig, args):
        double = ir.DoubleType()
        first = cgutils.alloca_once(builder, double)
        second = cgutils.alloca_once(builder, double)
        target = cgutils.alloca_once(builder, double)
        builder.store(args[1], first)
        builder.store(args[2], second)
        _call_loop(builder, args[0], [first, second, target], ir.Constant(ir.IntType(64), 1))
        return builder.load(target)

    return signature, codegen


@njit(**_JIT)
def _power_by_scalar(loops, x, exponent):
    """``x ** exponent`` for an array ``x`` and a Python float exponent, as numpy computes it (fast paths)."""
    if exponent == 2.0:
        return x * x
    if exponent == 0.5:
        return np.sqrt(x)
    if exponent == -1.0:
        return 1.0 / x
    if exponent == 1.0:
        return x
    if exponent == 0.0:
        return 1.0
    return _scalar2(loops[_POWER], x, exponent)


# --- sums, as numpy orders them ----------------------------------------------------------------------------


@njit(**_JIT)
def _pairwise_block(x, start, count):
    """numpy's pairwise summation of at most 128 terms: sequential below 8, else 8 accumulators."""
    if count < 8:
        total = 0.0
        for k in range(start, start + count):
            total += x[k]
        return total
    r0, r1, r2, r3 = x[start], x[start + 1], x[start + 2], x[start + 3]
    r4, r5, r6, r7 = x[start + 4], x[start + 5], x[start + 6], x[start + 7]
    k = 8
    while k < count - count % 8:
        j = start + k
        r0 += x[j]
        r1 += x[j + 1]
        r2 += x[j + 2]
        r3 += x[j + 3]
        r4 += x[j + 4]
        r5 += x[j + 5]
        r6 += x[j + 6]
        r7 += x[j + 7]
        k += 8
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while k < count:
        total += x[start + k]
        k += 1
    return total


@njit(**_JIT)
def _pairwise_sum(x, start, count):
    """numpy's pairwise summation of ``x[start:start + count]`` (a reduction along a contiguous axis).

    Above 128 terms numpy sums both halves (the first a multiple of 8 long)
    and adds them; done here with explicit stacks (numba's cache does not
    keep recursive functions).
    """
    if count <= 128:
        return _pairwise_block(x, start, count)
    starts = np.empty(192, np.int64)
    counts = np.empty(192, np.int64)
    combine = np.empty(192, np.bool_)
    values = np.empty(64)
    top, held = 0, 0
    starts[0], counts[0], combine[0] = start, count, False
    top = 1
    while top > 0:
        top -= 1
        s, c = starts[top], counts[top]
        if combine[top]:
            held -= 1
            values[held - 1] = values[held - 1] + values[held]
        elif c <= 128:
            values[held] = _pairwise_block(x, s, c)
            held += 1
        else:
            half = c // 2
            half -= half % 8
            starts[top], counts[top], combine[top] = s, c, True
            starts[top + 1], counts[top + 1], combine[top + 1] = s + half, c - half, False
            starts[top + 2], counts[top + 2], combine[top + 2] = s, half, False
            top += 3
    return values[0]


@njit(**_JIT)
def _row_sum(x, start, count):
    """``x[start:start + count].sum()`` as numpy's ``sum(axis=-1)``: 0.0 plus the pairwise sum."""
    return 0.0 + _pairwise_sum(x, start, count)


# --- utilities of one world ----------------------------------------------------------------------------------
#
# Helpers take plain arrays, borrowed (see _borrow) by the batch functions at the bottom: numba counts
# references to every array it passes, and a tuple of 40 arrays passed to a helper costs more than the helper.


@intrinsic
def _borrow(typingctx, array):
    """A view of ``array`` without its reference count (meminfo NULL): passing it to helpers costs nothing.

    Only for arrays that outlive every use of the view (the batch's inputs, outputs and workspace).
    """
    if not isinstance(array, types.Array):
        return None

    def codegen(context, builder, sig, args):
        source = context.make_array(sig.args[0])(context, builder, args[0])
        view = context.make_array(sig.return_type)(context, builder)
        context.populate_array(view, data=source.data, shape=source.shape, strides=source.strides,
                               itemsize=source.itemsize, meminfo=None)
        return view._getvalue()

    return array(array), codegen


@njit(**_JIT)
def _level_terms(expm1, values, shape, curve, curvature, fixed, ideal, salience, out, argument, result):
    """Per-level utility terms ``salience[a, i] * g(|v_il - ideal[a, i]|)``, ``out`` (A, I, M).

    As :func:`~basesim.model.outcome_space.level_terms`: ``g = 1 - d``;
    concave ``1 - expm1(k d) / expm1(k)``; convex ``1 - expm1(-k d) / expm1(-k)``;
    points: the interpolated utility of the level. ``curvature`` (3, I, A):
    ``k``, ``expm1(k)`` and ``expm1(-k)``.
    """
    actors, issues = ideal.shape
    count = 0
    for a in range(actors):
        for i in range(issues):
            code = curve[i, a]
            if code == CONCAVE or code == CONVEX:
                k = curvature[0, i, a]
                for level in range(shape[i]):
                    distance = abs(values[i, level] - ideal[a, i])
                    argument[count] = k * distance if code == CONCAVE else (-k) * distance
                    count += 1
    if count > 0:
        _loop1(expm1, argument, result, count)
    count = 0
    for a in range(actors):
        for i in range(issues):
            code = curve[i, a]
            weight = salience[a, i]
            for level in range(shape[i]):
                if code == LINEAR:
                    g = 1.0 - abs(values[i, level] - ideal[a, i])
                elif code == CONCAVE:
                    g = 1.0 - result[count] / curvature[1, i, a]
                    count += 1
                elif code == CONVEX:
                    g = 1.0 - result[count] / curvature[2, i, a]
                    count += 1
                else:
                    g = fixed[i, a, level]
                out[a, i, level] = weight * g


@njit(**_JIT)
def _mix(terms, leverage, principals, shape, out):
    """Effective terms of the principals, ``out`` (P, I, M): ``(1 - L_a) t_a + sum_b l_ba t_b`` (b in order)."""
    actors = leverage.shape[0]
    for slot in range(principals.size):
        a = principals[slot]
        total = 0.0
        for b in range(actors):
            total += leverage[b, a]
        own = 1.0 - total
        for i in range(shape.size):
            for level in range(shape[i]):
                acc = own * terms[a, i, level]
                for b in range(actors):
                    if b != a:
                        acc = acc + leverage[b, a] * terms[b, i, level]
                out[slot, i, level] = acc


@njit(**_JIT)
def _outer_sum(effective, slot, shape, out, spare):
    """``out[k] = ((t_0[l_0] + t_1[l_1]) + t_2[l_2]) + ...`` over the outcome space (C order), as outer_sum.

    Built issue by issue between ``out`` and ``spare`` (K each), ending in ``out``.
    """
    issues = shape.size
    source, target = (out, spare) if (issues - 1) % 2 == 0 else (spare, out)
    size = shape[0]
    for level in range(size):
        source[level] = effective[slot, 0, level]
    for i in range(1, issues):
        m = shape[i]
        for level in range(m):
            term = effective[slot, i, level]
            for j in range(size):
                target[j * m + level] = source[j] + term
        size *= m
        source, target = target, source


@njit(**_JIT)
def _state_values(effective, status_quo, breakdown, out):
    """Effective utility of the status quo (``out[:, 0]``) and of every breakdown alternative (``out[:, 1 + b]``).

    ``0.0 + t_0[l_0] + t_1[l_1] + ...`` as levels_utility; ``status_quo`` (P, I), ``breakdown`` (P, B, I).
    """
    principals, issues = status_quo.shape
    for p in range(principals):
        total = 0.0
        for i in range(issues):
            total = total + effective[p, i, status_quo[p, i]]
        out[p, 0] = total
        for b in range(breakdown.shape[1]):
            total = 0.0
            for i in range(issues):
                total = total + effective[p, i, breakdown[p, b, i]]
            out[p, 1 + b] = total


@njit(**_JIT)
def _derive(expm1, values, shape, curve, curvature, fixed, principals, status_quo, breakdown, ideal, salience,
            leverage, terms, effective, utility, favourite, state_utility, argument, result):
    """Utilities of every outcome (P, K) and state utilities of one world (BatchState.derive).

    ``favourite`` (each principal's first best outcome) is marked unknown (-1): :func:`_favourite` finds it when needed.
    """
    _level_terms(expm1, values, shape, curve, curvature, fixed, ideal, salience, terms, argument, result)
    _mix(terms, leverage, principals, shape, effective)
    for p in range(principals.size):
        _outer_sum(effective, p, shape, utility[p], result)
        favourite[p] = -1
    _state_values(effective, status_quo, breakdown, state_utility)


@njit(**_JIT)
def _favourite(row):
    """The first outcome of largest utility (np.argmax)."""
    best = 0
    for k in range(1, row.size):
        if row[k] > row[best]:
            best = k
    return best


@njit(**_JIT)
def _values(loops, principals, months, scalars, risk, weight, state_utility, flows, buffer):
    """The values of not agreeing of one world (BatchState.values) -> ``flows`` (4, P), and the per-round hazard.

    Rows of ``flows``: talking ``s``, walk-out ``b``, never agreeing ``V``, reservation ``max(V, b)``.
    """
    lam = -_scalar1(loops[_LOG1P], -risk)
    alternatives = weight.size
    for p in range(principals.size):
        a = principals[p]
        talking = state_utility[p, 0] - scalars[_DELAY, a]
        for b in range(alternatives):
            buffer[b] = state_utility[p, 1 + b] * weight[b]
        walkout = _row_sum(buffer, 0, alternatives) + scalars[_OUTSIDE, a]
        rho = -_scalar1(loops[_LOG], scalars[_PATIENCE, a])
        value = (rho * talking + lam * walkout) / (rho + lam)  # state.disagreement_value, exact in special cases
        if not rho > 0:
            value = walkout
        if not (lam > 0 and talking != walkout):
            value = talking
        flows[_S, p] = talking
        flows[_B, p] = walkout
        flows[_V, p] = value
        flows[_R, p] = value if value >= walkout else walkout
    return -_scalar1(loops[_EXPM1], months * _scalar1(loops[_LOG1P], -risk))


@njit(**_JIT)
def _believed_effective(exp, expm1, values, shape, curve, curvature, fixed, principals, p, scale, ideal, salience,
                        leverage, ideal_z, salience_z, believed_ideal, believed_salience, believed_terms, seen,
                        argument, result):
    """Every principal's effective terms as principal ``p`` believes them with noise ``scale`` -> ``seen`` (P, I, M).

    As :func:`~basesim.model.outcome_space.believed_terms`: ideal points
    ``clip(p + s z, 0, 1)``, saliences ``w exp(s z')`` renormalised (unchanged
    without noise), then influence mixed.
    """
    actors, issues = ideal.shape
    for a in range(actors):
        for i in range(issues):
            value = ideal[a, i] + scale * ideal_z[p, a, i]
            believed_ideal[a, i] = min(max(value, 0.0), 1.0)
            argument[a * issues + i] = scale * salience_z[p, a, i]
    _loop1(exp, argument, result, actors * issues)
    for a in range(actors):
        for i in range(issues):
            argument[i] = salience[a, i] * result[a * issues + i]
        if scale > 0:
            total = _row_sum(argument, 0, issues)
            for i in range(issues):
                believed_salience[a, i] = argument[i] / total
        else:
            for i in range(issues):
                believed_salience[a, i] = salience[a, i]
    _level_terms(expm1, values, shape, curve, curvature, fixed, believed_ideal, believed_salience, believed_terms,
                 argument, result)
    _mix(believed_terms, leverage, principals, shape, seen)


@njit(**_JIT)
def _believed_score(seen, p, shape, score, other, buffer, believed_score):
    """Proposer ``p``'s ranking: ``float32(1 + min over the other principals q of their believed utility)``."""
    count = believed_score.shape[1]
    first = True
    for q in range(seen.shape[0]):
        if q == p:
            continue
        if first:
            _outer_sum(seen, q, shape, score, other)
            first = False
        else:
            _outer_sum(seen, q, shape, other, buffer)
            for k in range(count):
                if not score[k] <= other[k]:
                    score[k] = other[k]
    for k in range(count):
        believed_score[p, k] = np.float32(score[k] + 1.0)


# --- alternating offers --------------------------------------------------------------------------------------


@njit(**_JIT)
def _fractions(power, principals, months, rounds, scalars, start, fraction, argument, other, result):
    """``min(t Delta / D, 1) ** (1 / beta)`` of every principal for rounds ``start`` .. T-1 (Principal.target)."""
    remaining = rounds - start
    for p in range(principals.size):
        a = principals[p]
        exponent = 1.0 / scalars[_CONCESSION, a]
        for j in range(remaining):
            elapsed = ((start + j) * months) / scalars[_DEADLINE, a]
            argument[j] = elapsed if elapsed <= 1.0 else 1.0
            other[j] = exponent
        _loop2(power, argument, other, result, remaining)
        for j in range(remaining):
            fraction[p, start + j] = result[j]


@njit(**_JIT)
def _apply_events(w, t, event_round, event_fires, op_event, op_kind, op_attr, op_i, op_j, op_low, op_high,
                  event_values, ideal, salience, leverage, scalars, risk):
    """Apply the events of round ``t`` in world ``w`` (BatchState.apply_events).

    Returns (any event fired, a preference changed, the breakdown risk now).
    """
    fired = False
    preferences = False
    touched_salience = False
    touched_leverage = False
    actors, issues = ideal.shape
    for e in range(event_round.shape[1]):
        if not (event_fires[w, e] and event_round[w, e] == t):
            continue
        fired = True
        for o in range(op_event.size):
            if op_event[o] != e:
                continue
            attribute, i, j = op_attr[o], op_i[o], op_j[o]
            if attribute == _IDEAL:
                current = ideal[i, j]
            elif attribute == _SALIENCE:
                current = salience[i, j]
            elif attribute == _LEVERAGE:
                current = leverage[i, j]
            elif attribute == _RISK:
                current = risk
            else:
                current = scalars[attribute - _SCALAR, i]
            value = event_values[w, o]
            new = value if op_kind[o] == _SET else current + value
            new = min(max(new, op_low[o]), op_high[o])
            if attribute == _IDEAL:
                ideal[i, j] = new
                preferences = True
            elif attribute == _SALIENCE:
                salience[i, j] = new
                preferences = touched_salience = True
            elif attribute == _LEVERAGE:
                leverage[i, j] = new
                preferences = touched_leverage = True
            elif attribute == _RISK:
                risk = new
            else:
                scalars[attribute - _SCALAR, i] = new
                if attribute - _SCALAR == _NOISE:
                    preferences = True
        if touched_salience:  # normalise_salience, only where an event of this round changed one
            for a in range(actors):
                total = _row_sum(salience[a], 0, issues)
                for i in range(issues):
                    salience[a, i] = salience[a, i] / total if total > 0 else 1.0 / issues
        if touched_leverage:
            for a in range(actors):
                total = 0.0
                for b in range(actors):
                    total += leverage[b, a]
                scale = total if total >= 1.0 else 1.0
                for b in range(actors):
                    leverage[b, a] = leverage[b, a] / scale
    return fired, preferences, risk


@njit(**_JIT)
def _propose(utility, ranks, threshold):
    """Among the outcomes worth at least ``threshold``, the first of highest rank; -1 if none (Principal.propose).

    ``ranks`` are the bits of the float32 believed scores as int32: scores are
    at least 1, so their bits order as they do (and a masked-out 0 never wins).
    """
    best = np.int32(0)
    for k in range(utility.size):
        rank = ranks[k] if utility[k] >= threshold else np.int32(0)
        best = rank if rank > best else best
    if best == 0:
        return -1
    for k in range(utility.size):
        if ranks[k] == best and utility[k] >= threshold:
            return k
    return -1


@njit(**_JIT)
def _play_alternating(space, rules, events, worlds, out, work):
    loops = _borrow(rules.loops)
    exp, expm1, power = loops[_EXP], loops[_EXPM1], loops[_POWER]
    values, shape, curve = _borrow(space.values), _borrow(space.shape), _borrow(space.curve)
    curvature, fixed = _borrow(space.curvature), _borrow(space.fixed)
    principals, status_quo, breakdown = _borrow(rules.principals), _borrow(rules.status_quo), _borrow(rules.breakdown)
    months, rounds, first = rules.months, rules.rounds, rules.first
    tolerance = rules.constants[_TOL_OFFER]
    event_round, event_fires = _borrow(events.round), _borrow(events.fires)
    op_event, op_kind, op_attr = _borrow(events.op_event), _borrow(events.op_kind), _borrow(events.op_attr)
    op_i, op_j, op_low, op_high = _borrow(events.op_i), _borrow(events.op_j), _borrow(events.op_low), _borrow(events.op_high)
    event_values = _borrow(events.values)
    ideal_in, salience_in, leverage_in = _borrow(worlds.ideal), _borrow(worlds.salience), _borrow(worlds.leverage)
    scalars_in, risk_in, weight_in = _borrow(worlds.scalars), _borrow(worlds.risk), _borrow(worlds.weight)
    ideal_z, salience_z, draw = _borrow(worlds.ideal_z), _borrow(worlds.salience_z), _borrow(worlds.draw)
    result, end_round, agreement, proposer, cause_out = (_borrow(out.result), _borrow(out.end_round),
                                                         _borrow(out.agreement), _borrow(out.proposer), _borrow(out.cause))
    ideal_out, salience_out, leverage_out = _borrow(out.ideal), _borrow(out.salience), _borrow(out.leverage)
    scalars_out, risk_out = _borrow(out.scalars), _borrow(out.risk)
    terms, effective, utility = _borrow(work.terms), _borrow(work.effective), _borrow(work.utility)
    favourite, state_utility, flows = _borrow(work.favourite), _borrow(work.state_utility), _borrow(work.flows)
    argument, result_buffer, other, score = (_borrow(work.argument), _borrow(work.result), _borrow(work.other),
                                             _borrow(work.score))
    believed_ideal, believed_salience = _borrow(work.believed_ideal), _borrow(work.believed_salience)
    believed_terms, seen = _borrow(work.believed_terms), _borrow(work.seen)
    believed_score, believed, fraction = _borrow(work.believed_score), _borrow(work.believed), _borrow(work.fraction)
    ranks = believed_score.view(np.int32)
    count = principals.size
    has_events = event_round.shape[1] > 0
    for w in range(ideal_in.shape[0]):
        ideal, salience, leverage, scalars = ideal_out[w], salience_out[w], leverage_out[w], scalars_out[w]
        ideal[:] = ideal_in[w]
        salience[:] = salience_in[w]
        leverage[:] = leverage_in[w]
        scalars[:] = scalars_in[w]
        risk = risk_in[w]
        weight = weight_in[w]
        _derive(expm1, values, shape, curve, curvature, fixed, principals, status_quo, breakdown, ideal, salience,
                leverage, terms, effective, utility, favourite, state_utility, argument, result_buffer)
        hazard = _values(loops, principals, months, scalars, risk, weight, state_utility, flows, result_buffer)
        _fractions(power, principals, months, rounds, scalars, 0, fraction, argument, other, result_buffer)
        believed[:] = False
        for t in range(rounds):
            if has_events:
                fired, preferences, risk = _apply_events(w, t, event_round, event_fires, op_event, op_kind, op_attr,
                                                         op_i, op_j, op_low, op_high, event_values, ideal, salience,
                                                         leverage, scalars, risk)
                if fired:
                    if preferences:
                        _derive(expm1, values, shape, curve, curvature, fixed, principals, status_quo, breakdown,
                                ideal, salience, leverage, terms, effective, utility, favourite, state_utility,
                                argument, result_buffer)
                        believed[:] = False
                    hazard = _values(loops, principals, months, scalars, risk, weight, state_utility, flows,
                                     result_buffer)
                    _fractions(power, principals, months, rounds, scalars, t, fraction, argument, other,
                               result_buffer)
            p = (first + t) % count
            if not believed[p]:
                _believed_effective(exp, expm1, values, shape, curve, curvature, fixed, principals, p,
                                    scalars[_NOISE, principals[p]], ideal, salience, leverage, ideal_z[w],
                                    salience_z[w], believed_ideal, believed_salience, believed_terms, seen, argument,
                                    result_buffer)
                _believed_score(seen, p, shape, score, other, result_buffer, believed_score)
                believed[p] = True
            # targets: max(r + (1 - r)(1 - fraction), r) (Principal.target)
            r = flows[_R, p]
            threshold = r + (1.0 - r) * (1.0 - fraction[p, t])
            threshold = threshold if threshold >= r else r
            offer = _propose(utility[p], ranks[p], threshold)
            if offer < 0:  # nothing reaches its target: its own best outcome
                if favourite[p] < 0:
                    favourite[p] = _favourite(utility[p])
                offer = favourite[p]
            accepted = utility[p, offer] >= r - tolerance
            for q in range(count):
                if q != p and accepted:
                    r = flows[_R, q]
                    target = r + (1.0 - r) * (1.0 - fraction[q, t])
                    target = target if target >= r else r
                    accepted = utility[q, offer] >= target - tolerance
            if accepted:
                result[w] = _AGREEMENT
                end_round[w] = t
                agreement[w] = offer
                proposer[w] = p
                break
            cause = -1  # the first principal whose deadline has passed and for whom a breakdown beats talking
            late = t * months
            for q in range(count):
                if late >= scalars[_DEADLINE, principals[q]] and flows[_B, q] > flows[_V, q]:
                    cause = q
                    break
            if cause >= 0 or draw[w, t] < hazard:
                result[w] = _BREAKDOWN
                end_round[w] = t
                cause_out[w] = cause
                break
        risk_out[w] = risk


# --- equilibrium ---------------------------------------------------------------------------------------------


@njit(**_JIT)
def _frontier(first, second, bar0, bar1, hull_outcome, hull_x, hull_y):
    """The Pareto frontier of the outcomes both principals accept (equilibrium.pareto_frontier) -> its size.

    ``first``, ``second`` (K,): the two principals' utilities. The batch sorts
    the acceptable outcomes by falling U_1 (ties: falling U_0, then the lowest
    index) and keeps a point when its U_0 beats every point before it; that
    is, it keeps the points no earlier point matches in U_0. The same set is
    built here as a staircase, outcome by outcome in index order (an earlier
    index comes first among equal utilities): a new point is dropped when its
    predecessor in that order has at least its U_0, and it drops the points
    after it with at most its U_0. Fills ``hull_outcome``, ``hull_x`` (U_0)
    and ``hull_y`` (U_1) in the batch's order.
    """
    size = 0
    for k in range(first.size):
        x, y = first[k], second[k]
        if not (x >= bar0 and y >= bar1):
            continue
        low, high = 0, size  # how many kept points come before k
        while low < high:
            middle = (low + high) // 2
            if hull_y[middle] > y or (hull_y[middle] == y and hull_x[middle] >= x):
                low = middle + 1
            else:
                high = middle
        position = low
        if position > 0 and hull_x[position - 1] >= x:
            continue
        beaten = 0
        while position + beaten < size and hull_x[position + beaten] <= x:
            beaten += 1
        if beaten == 0:
            for j in range(size, position, -1):
                hull_x[j], hull_y[j], hull_outcome[j] = hull_x[j - 1], hull_y[j - 1], hull_outcome[j - 1]
            size += 1
        elif beaten > 1:
            for j in range(position + 1, size - beaten + 1):
                hull_x[j], hull_y[j], hull_outcome[j] = (hull_x[j + beaten - 1], hull_y[j + beaten - 1],
                                                         hull_outcome[j + beaten - 1])
            size -= beaten - 1
        hull_x[position], hull_y[position], hull_outcome[position] = x, y, k
    return size


@njit(**_JIT)
def _concave_hull(size, hull_tolerance, keep, drop, after, hull_outcome, x, y):
    """Drop frontier points below the chord of their kept neighbours, all at once per pass (equilibrium.concave_hull)."""
    for j in range(size):
        keep[j] = True
    while True:
        following = size
        for j in range(size - 1, -1, -1):
            after[j] = following
            if keep[j]:
                following = j
        dropped = False
        before = -1
        for j in range(size):
            drop[j] = False
            if keep[j] and before >= 0 and after[j] < size:
                i, k = before, after[j]
                cross = (y[j] - y[i]) * (x[k] - x[i]) - (x[j] - x[i]) * (y[k] - y[i])
                if cross < -hull_tolerance:
                    drop[j] = True
                    dropped = True
            if keep[j]:
                before = j
        if not dropped:
            break
        for j in range(size):
            if drop[j]:
                keep[j] = False
    kept = 0
    for j in range(size):
        if keep[j]:
            hull_outcome[kept] = hull_outcome[j]
            x[kept] = x[j]
            y[kept] = y[j]
            kept += 1
    return kept


@njit(**_JIT)
def _good_enough(size, bar, q, hint, hull_x, hull_y):
    """How many hull points are worth at least ``bar`` to responder ``q``: a prefix (q = 1) or a suffix (q = 0).

    The hull is strictly monotone (U_0 rising, U_1 falling). Returns the count
    and the boundary position (the hint for the next call: thresholds move
    little between cycles, so the boundary is checked there first).
    """
    if q == 1:  # the first position with U_1 below the bar
        if (hint == 0 or hull_y[hint - 1] >= bar) and (hint == size or not hull_y[hint] >= bar):
            return hint, hint
        low, high = 0, size
        while low < high:
            middle = (low + high) // 2
            if hull_y[middle] >= bar:
                low = middle + 1
            else:
                high = middle
        return low, low
    # the first position with U_0 at least the bar
    if (hint == 0 or not hull_x[hint - 1] >= bar) and (hint == size or hull_x[hint] >= bar):
        return size - hint, hint
    low, high = 0, size
    while low < high:
        middle = (low + high) // 2
        if hull_x[middle] >= bar:
            high = middle
        else:
            low = middle + 1
    return size - low, low


@njit(**_JIT)
def _lottery_round(size, mine_threshold, need, p, tolerance, hint, hull_outcome, hull_x, hull_y):
    """Two principals: the proposer's best lottery of neighbouring hull points giving the responder its threshold.

    ``mine_threshold``, ``need``: the proposer's and the responder's
    thresholds. Returns (high, low, chance of high, agree, proposer's value,
    responder's value, hint) as equilibrium._lottery_round.
    """
    q = 1 - p
    enough, hint = _good_enough(size, need - tolerance, q, hint, hull_x, hull_y)
    if enough == 0:  # nothing the responder accepts: no offer (its terms are never used)
        return 0, 0, 1.0, False, 0.0, 0.0, hint
    mine = hull_x if p == 0 else hull_y
    theirs = hull_x if q == 0 else hull_y
    above = enough - 1 if q == 1 else size - enough
    below = above + 1 if q == 1 else above - 1
    has_below = 0 <= below < size
    if not has_below:
        below = above
    q_above, q_below = theirs[above], theirs[below]
    gap = q_above - q_below
    share = (need - q_below) / gap if (has_below and gap > 0) else 1.0
    share = min(max(share, 0.0), 1.0)
    best = share * mine[above] + (1.0 - share) * mine[below]
    their_value = share * q_above + (1.0 - share) * q_below
    return (hull_outcome[above], hull_outcome[below], share, best >= mine_threshold - tolerance, best, their_value,
            hint)


@njit(**_JIT)
def _solve_two(order, constants, first, second, talking, walkout, discount, hazard, plan_offer, plan_chance,
               plan_agree, plan_threshold, plan_continuation, hull_outcome, hull_x, hull_y, keep, drop, after):
    """:func:`_solve` for two principals, the iteration in registers: ``first``, ``second`` (K,) their utilities."""
    tolerance = constants[_TOL_EQ]
    s0, s1 = talking[0], talking[1]
    b0, b1 = walkout[0], walkout[1]
    d0, d1 = discount[0], discount[1]
    denominator = 1.0 - d0 * (1.0 - hazard)
    v0 = ((1.0 - d0) * s0 + d0 * hazard * b0) / denominator if denominator > 0 else s0
    denominator = 1.0 - d1 * (1.0 - hazard)
    v1 = ((1.0 - d1) * s1 + d1 * hazard * b1) / denominator if denominator > 0 else s1
    bar0 = (b0 if b0 >= v0 else v0) - tolerance
    bar1 = (b1 if b1 >= v1 else v1) - tolerance
    size = _frontier(first, second, bar0, bar1, hull_outcome, hull_x, hull_y)
    size = _concave_hull(size, constants[_HULL_TOL], keep, drop, after, hull_outcome, hull_x, hull_y)
    talk0, talk1 = (1.0 - d0) * s0, (1.0 - d1) * s1  # the continuation's terms that do not change
    stay, risk0, risk1 = 1.0 - hazard, hazard * b0, hazard * b1
    converged = constants[_CONVERGED]
    p1, p0 = order[1], order[0]
    hint1, hint0 = 0, size
    high1 = low1 = high0 = low0 = 0
    chance1 = chance0 = 1.0
    agree1 = agree0 = False
    t10 = t11 = c10 = c11 = t00 = t01 = c00 = c01 = 0.0
    for _ in range(max(int(constants[_SOLVE_ROUNDS]) // 2, 1)):
        before0, before1 = v0, v1
        # position 1 (the second proposer of the cycle), then position 0, as the batch goes backward
        c10 = talk0 + d0 * (stay * v0 + risk0)
        c11 = talk1 + d1 * (stay * v1 + risk1)
        t10 = b0 if b0 >= c10 else c10
        t11 = b1 if b1 >= c11 else c11
        if p1 == 0:
            high1, low1, chance1, agree1, mine, theirs, hint1 = _lottery_round(size, t10, t11, 0, tolerance, hint1,
                                                                               hull_outcome, hull_x, hull_y)
            cur0, cur1 = (mine, theirs) if agree1 else (c10, c11)
        else:
            high1, low1, chance1, agree1, mine, theirs, hint1 = _lottery_round(size, t11, t10, 1, tolerance, hint1,
                                                                               hull_outcome, hull_x, hull_y)
            cur0, cur1 = (theirs, mine) if agree1 else (c10, c11)
        c00 = talk0 + d0 * (stay * cur0 + risk0)
        c01 = talk1 + d1 * (stay * cur1 + risk1)
        t00 = b0 if b0 >= c00 else c00
        t01 = b1 if b1 >= c01 else c01
        if p0 == 0:
            high0, low0, chance0, agree0, mine, theirs, hint0 = _lottery_round(size, t00, t01, 0, tolerance, hint0,
                                                                               hull_outcome, hull_x, hull_y)
            v0, v1 = (mine, theirs) if agree0 else (c00, c01)
        else:
            high0, low0, chance0, agree0, mine, theirs, hint0 = _lottery_round(size, t01, t00, 1, tolerance, hint0,
                                                                               hull_outcome, hull_x, hull_y)
            v0, v1 = (theirs, mine) if agree0 else (c00, c01)
        gap0, gap1 = abs(v0 - before0), abs(v1 - before1)
        change = gap0 if gap0 >= gap1 else gap1
        if not change > converged:
            break
    plan_offer[0, 0], plan_offer[0, 1], plan_chance[0], plan_agree[0] = high0, low0, chance0, agree0
    plan_offer[1, 0], plan_offer[1, 1], plan_chance[1], plan_agree[1] = high1, low1, chance1, agree1
    plan_threshold[0, 0], plan_threshold[0, 1], plan_continuation[0, 0], plan_continuation[0, 1] = t00, t01, c00, c01
    plan_threshold[1, 0], plan_threshold[1, 1], plan_continuation[1, 0], plan_continuation[1, 1] = t10, t11, c10, c11


@njit(**_JIT)
def _pure_round(utility, threshold, p, tolerance, feasible):
    """Three or more principals: the proposer's best outcome every responder accepts (equilibrium._pure_round).

    Returns (offer, agree).
    """
    principals, count = utility.shape
    best = -np.inf
    for k in range(count):
        ok = True
        for q in range(principals):
            if q != p and not utility[q, k] >= threshold[q] - tolerance:
                ok = False
                break
        feasible[k] = ok
        if ok and utility[p, k] > best:
            best = utility[p, k]
    if best == -np.inf:
        return 0, False
    offer = -1
    top = -np.inf
    for k in range(count):
        if feasible[k] and utility[p, k] == best:
            total = 0.0
            for q in range(principals):
                if q != p:
                    total += utility[q, k]
            if offer < 0 or total > top:
                top = total
                offer = k
    return offer, best >= threshold[p] - tolerance


@njit(**_JIT)
def _solve(order, constants, utility, talking, walkout, discount, hazard, plan_offer, plan_chance, plan_agree,
           plan_threshold, plan_continuation, vectors, hull_outcome, hull_x, hull_y, keep, drop, after, feasible):
    """Backward induction to the stationary equilibrium of one world's game (equilibrium.solve).

    ``utility`` (P, K), ``talking``, ``walkout``, ``discount`` (P,), ``hazard``
    per round. Fills the plan per proposing position: ``plan_offer`` (P, 2)
    high and low outcome, ``plan_chance``, ``plan_agree`` (P,),
    ``plan_threshold`` and ``plan_continuation`` (P, P). Two principals play
    lotteries on the concave hull (:func:`_solve_two`), more play pure offers.
    """
    principals = talking.size
    if principals == 2:
        _solve_two(order, constants, utility[0], utility[1], talking, walkout, discount, hazard, plan_offer,
                   plan_chance, plan_agree, plan_threshold, plan_continuation, hull_outcome, hull_x, hull_y, keep,
                   drop, after)
        return
    tolerance = constants[_TOL_EQ]
    cycle = principals
    value, current, before = vectors[0], vectors[1], vectors[2]
    threshold, continuation = vectors[3], vectors[4]
    for a in range(principals):
        d = discount[a]
        denominator = 1.0 - d * (1.0 - hazard)
        never = ((1.0 - d) * talking[a] + d * hazard * walkout[a]) / denominator
        value[a] = never if denominator > 0 else talking[a]
    converged = constants[_CONVERGED]
    for _ in range(max(int(constants[_SOLVE_ROUNDS]) // cycle, 1)):
        for a in range(principals):
            before[a] = value[a]
            current[a] = value[a]
        for position in range(cycle - 1, -1, -1):
            p = order[position]
            for a in range(principals):
                d = discount[a]
                c = (1.0 - d) * talking[a] + d * ((1.0 - hazard) * current[a] + hazard * walkout[a])
                continuation[a] = c
                threshold[a] = walkout[a] if walkout[a] >= c else c
            offer, agree = _pure_round(utility, threshold, p, tolerance, feasible)
            for a in range(principals):
                current[a] = utility[a, offer] if agree else continuation[a]
            plan_offer[position, 0] = offer
            plan_offer[position, 1] = offer
            plan_chance[position] = 1.0
            plan_agree[position] = agree
            for a in range(principals):
                plan_threshold[position, a] = threshold[a]
                plan_continuation[position, a] = continuation[a]
        change = 0.0
        for a in range(principals):
            value[a] = current[a]
            gap = abs(value[a] - before[a])
            if gap > change:
                change = gap
        if not change > converged:
            break


@njit(**_JIT)
def _believed_game(principals, p, status_quo, breakdown, scalars, weight, shape, seen, utility, flows,
                   game_utility, game_flows, state_utility, buffer):
    """The game proposer ``p`` believes it is in (equilibrium.believed_game), from ``seen``: the others'
    utilities (P, K) and talking and walk-out values as it believes them, its own true ones."""
    _state_values(seen, status_quo, breakdown, state_utility)
    alternatives = weight.size
    for q in range(principals.size):
        if q == p:
            game_utility[q, :] = utility[q]
            game_flows[_S, q] = flows[_S, q]
            game_flows[_B, q] = flows[_B, q]
            continue
        a_q = principals[q]
        _outer_sum(seen, q, shape, game_utility[q], buffer)
        game_flows[_S, q] = state_utility[q, 0] - scalars[_DELAY, a_q]
        for b in range(alternatives):
            buffer[b] = state_utility[q, 1 + b] * weight[b]
        game_flows[_B, q] = _row_sum(buffer, 0, alternatives) + scalars[_OUTSIDE, a_q]


@njit(**_JIT)
def _play_equilibrium(space, rules, events, worlds, out, work):
    loops = _borrow(rules.loops)
    exp, expm1 = loops[_EXP], loops[_EXPM1]
    values, shape, curve = _borrow(space.values), _borrow(space.shape), _borrow(space.curve)
    curvature, fixed = _borrow(space.curvature), _borrow(space.fixed)
    principals, status_quo, breakdown = _borrow(rules.principals), _borrow(rules.status_quo), _borrow(rules.breakdown)
    order, constants = _borrow(rules.principals_order), _borrow(rules.constants)
    months, rounds = rules.months, rules.rounds
    tolerance = constants[_TOL_EQ]
    ideal_in, salience_in, leverage_in = _borrow(worlds.ideal), _borrow(worlds.salience), _borrow(worlds.leverage)
    scalars_in, risk_in, weight_in = _borrow(worlds.scalars), _borrow(worlds.risk), _borrow(worlds.weight)
    ideal_z, salience_z, draw = _borrow(worlds.ideal_z), _borrow(worlds.salience_z), _borrow(worlds.draw)
    result, end_round, agreement, proposer, cause_out = (_borrow(out.result), _borrow(out.end_round),
                                                         _borrow(out.agreement), _borrow(out.proposer), _borrow(out.cause))
    terms, effective, utility = _borrow(work.terms), _borrow(work.effective), _borrow(work.utility)
    favourite, state_utility, flows = _borrow(work.favourite), _borrow(work.state_utility), _borrow(work.flows)
    argument, result_buffer = _borrow(work.argument), _borrow(work.result)
    believed_ideal, believed_salience = _borrow(work.believed_ideal), _borrow(work.believed_salience)
    believed_terms, seen = _borrow(work.believed_terms), _borrow(work.seen)
    discount, vectors = _borrow(work.discount), _borrow(work.vectors)
    hull_outcome, hull_x, hull_y = _borrow(work.hull_outcome), _borrow(work.hull_x), _borrow(work.hull_y)
    keep, drop, after, feasible = _borrow(work.keep), _borrow(work.drop), _borrow(work.after), _borrow(work.feasible)
    game_utility, game_flows, game_state = _borrow(work.game_utility), _borrow(work.game_flows), _borrow(work.game_state)
    truth_offer, truth_chance, truth_agree = _borrow(work.truth_offer), _borrow(work.truth_chance), _borrow(work.truth_agree)
    truth_threshold, truth_continuation = _borrow(work.truth_threshold), _borrow(work.truth_continuation)
    plan_offer, plan_chance, plan_agree = _borrow(work.plan_offer), _borrow(work.plan_chance), _borrow(work.plan_agree)
    plan_threshold, plan_continuation = _borrow(work.plan_threshold), _borrow(work.plan_continuation)
    count = principals.size
    for w in range(ideal_in.shape[0]):
        ideal, salience, leverage, scalars = ideal_in[w], salience_in[w], leverage_in[w], scalars_in[w]
        weight = weight_in[w]
        _derive(expm1, values, shape, curve, curvature, fixed, principals, status_quo, breakdown, ideal, salience,
                leverage, terms, effective, utility, favourite, state_utility, argument, result_buffer)
        hazard = _values(loops, principals, months, scalars, risk_in[w], weight, state_utility, flows, result_buffer)
        for a in range(count):
            discount[a] = _power_by_scalar(loops, scalars[_PATIENCE, principals[a]], months)
        _solve(order, constants, utility, flows[_S], flows[_B], discount, hazard, truth_offer, truth_chance,
               truth_agree, truth_threshold, truth_continuation, vectors, hull_outcome, hull_x, hull_y, keep, drop,
               after, feasible)
        for t in range(rounds):
            position = t % count
            p = order[position]
            high, low = truth_offer[position, 0], truth_offer[position, 1]
            chance, agree = truth_chance[position], truth_agree[position]
            noise = scalars[_NOISE, principals[p]]
            if noise > 0:  # the proposer plays the game it believes it is in, its noise shrinking with time
                scale = noise * _scalar1(exp, -(t * months) / scalars[_LEARNING, principals[p]])
                _believed_effective(exp, expm1, values, shape, curve, curvature, fixed, principals, p, scale, ideal,
                                    salience, leverage, ideal_z[w], salience_z[w], believed_ideal, believed_salience,
                                    believed_terms, seen, argument, result_buffer)
                _believed_game(principals, p, status_quo, breakdown, scalars, weight, shape, seen, utility, flows,
                               game_utility, game_flows, game_state, result_buffer)
                _solve(order, constants, game_utility, game_flows[_S], game_flows[_B], discount, hazard, plan_offer,
                       plan_chance, plan_agree, plan_threshold, plan_continuation, vectors, hull_outcome, hull_x,
                       hull_y, keep, drop, after, feasible)
                high, low = plan_offer[position, 0], plan_offer[position, 1]
                chance, agree = plan_chance[position], plan_agree[position]
            u = draw[w, t]
            offer = high if u < chance else low
            accepted = agree
            for q in range(count):
                if q != p and accepted:
                    worth = chance * utility[q, high] + (1.0 - chance) * utility[q, low]
                    accepted = worth >= truth_threshold[position, q] - tolerance
            if accepted:
                result[w] = _AGREEMENT
                end_round[w] = t
                agreement[w] = offer
                proposer[w] = p
                break
            cause = -1
            for q in range(count):
                if flows[_B, q] > truth_continuation[position, q] + tolerance:
                    cause = q
                    break
            if cause >= 0 or u < hazard:
                result[w] = _BREAKDOWN
                end_round[w] = t
                cause_out[w] = cause
                break


# --- nash ------------------------------------------------------------------------------------------------------


@njit(**_JIT)
def _play_nash(space, rules, events, worlds, out, work):
    loops = _borrow(rules.loops)
    log, expm1 = loops[_LOG], loops[_EXPM1]
    values, shape, curve = _borrow(space.values), _borrow(space.shape), _borrow(space.curve)
    curvature, fixed = _borrow(space.curvature), _borrow(space.fixed)
    principals, status_quo, breakdown = _borrow(rules.principals), _borrow(rules.status_quo), _borrow(rules.breakdown)
    months = rules.months
    ideal_in, salience_in, leverage_in = _borrow(worlds.ideal), _borrow(worlds.salience), _borrow(worlds.leverage)
    scalars_in, risk_in, weight_in = _borrow(worlds.scalars), _borrow(worlds.risk), _borrow(worlds.weight)
    result, end_round, agreement, proposer, cause_out = (_borrow(out.result), _borrow(out.end_round),
                                                         _borrow(out.agreement), _borrow(out.proposer), _borrow(out.cause))
    terms, effective, utility = _borrow(work.terms), _borrow(work.effective), _borrow(work.utility)
    favourite, state_utility, flows = _borrow(work.favourite), _borrow(work.state_utility), _borrow(work.flows)
    argument, result_buffer, score = _borrow(work.argument), _borrow(work.result), _borrow(work.score)
    positive, logs = _borrow(work.feasible), _borrow(work.game_utility)
    count = utility.shape[1]
    for w in range(ideal_in.shape[0]):
        scalars = scalars_in[w]
        _derive(expm1, values, shape, curve, curvature, fixed, principals, status_quo, breakdown, ideal_in[w],
                salience_in[w], leverage_in[w], terms, effective, utility, favourite, state_utility, argument,
                result_buffer)
        _values(loops, principals, months, scalars, risk_in[w], weight_in[w], state_utility, flows, result_buffer)
        # the asymmetric Nash point: max sum_a power_a log(U_a - r_a) over outcomes with every gain > 0 (nash_solution)
        for k in range(count):
            positive[k] = True
        for p in range(principals.size):
            r = flows[_R, p]
            row = utility[p]
            for k in range(count):
                gain = row[k] - r
                if not gain > 0:
                    positive[k] = False
                score[k] = gain if gain > 0 else 1.0
            _loop1(log, score, logs[p], count)
        offer = 0
        exists = False
        best = -np.inf
        for k in range(count):
            if not positive[k]:
                continue
            objective = 0.0
            for p in range(principals.size):
                objective += scalars[_POWER_F, principals[p]] * logs[p, k]
            if not exists or objective > best:
                best = objective
                offer = k
                exists = True
        if exists:
            result[w] = _AGREEMENT
            end_round[w] = 0
            agreement[w] = offer
            proposer[w] = -1
            continue
        for p in range(principals.size):  # no deal: the first principal for whom a breakdown beats talking walks out
            if flows[_B, p] > flows[_V, p]:
                result[w] = _BREAKDOWN
                end_round[w] = 0
                cause_out[w] = p
                break


# --- packing a batch -----------------------------------------------------------------------------------------

Work = namedtuple("Work", [
    "terms", "effective", "utility", "favourite", "state_utility", "flows", "argument", "result", "other", "score",
    "believed_ideal", "believed_salience", "believed_terms", "seen", "believed_score", "believed", "fraction",
    "discount", "vectors", "hull_outcome", "hull_x", "hull_y", "keep", "drop", "after",
    "feasible", "game_utility", "game_flows", "game_state", "truth_offer", "truth_chance", "truth_agree",
    "truth_threshold", "truth_continuation", "plan_offer", "plan_chance", "plan_agree", "plan_threshold",
    "plan_continuation",
])


def _work(actors: int, principals: int, issues: int, levels: int, outcomes: int, alternatives: int,
          rounds: int) -> Work:
    """The workspace of one world, reused by every world of a batch (a few kB for the baseline)."""
    flat = max(actors * issues * levels, actors * issues, outcomes, rounds, alternatives, issues, 1)
    P, K = principals, outcomes

    def plan():
        return (np.zeros((P, 2), np.int64), np.ones(P), np.zeros(P, np.bool_), np.zeros((P, P)), np.zeros((P, P)))

    return Work(
        np.zeros((actors, issues, levels)), np.zeros((P, issues, levels)), np.zeros((P, K)), np.zeros(P, np.int64),
        np.zeros((P, 1 + alternatives)), np.zeros((4, P)), np.zeros(flat), np.zeros(flat), np.zeros(flat),
        np.zeros(flat), np.zeros((actors, issues)), np.zeros((actors, issues)), np.zeros((actors, issues, levels)),
        np.zeros((P, issues, levels)), np.zeros((P, K), np.float32), np.zeros(P, np.bool_),
        np.zeros((P, max(rounds, 1))), np.zeros(P), np.zeros((5, P)), np.zeros(K + 1, np.int64),
        np.zeros(K + 1), np.zeros(K + 1), np.zeros(K, np.bool_), np.zeros(K, np.bool_),
        np.zeros(K, np.int64), np.zeros(K, np.bool_), np.zeros((P, K)), np.zeros((4, P)),
        np.zeros((P, 1 + alternatives)), *plan(), *plan(),
    )


@dataclass(frozen=True)
class _Scenario:
    """What the kernel needs of a scenario, packed once per scenario object."""

    space: Space
    rules: Rules
    op_keys: tuple[tuple[str, str], ...]
    op_arrays: tuple[np.ndarray, ...]
    sizes: tuple[int, ...]
    outcome_space: OutcomeSpace


def _space_arrays(space: OutcomeSpace, actors: int) -> Space:
    issues = len(space.shape)
    width = max(space.shape)
    values = np.zeros((issues, width))
    curve = np.zeros((issues, actors), np.int64)
    curvature = np.ones((issues, actors))
    fixed = np.zeros((issues, actors, width))
    for i, issue_values in enumerate(space.values):
        values[i, :issue_values.size] = issue_values
        curves = space.curves[i] if space.curves else None
        if curves is not None:
            curve[i] = curves.code
            curvature[i] = curves.curvature
            fixed[i, :, :issue_values.size] = curves.fixed
    # k, and expm1(k), expm1(-k) as curve_value computes them (np.expm1 of the (A, 1) curvatures)
    numbers = np.stack([curvature, np.expm1(curvature[:, :, None])[:, :, 0], np.expm1(-curvature[:, :, None])[:, :, 0]])
    return Space(values, np.array(space.shape, np.int64), curve, numbers, fixed)


def _event_ops(scenario) -> tuple[tuple[tuple[str, str], ...], tuple[np.ndarray, ...]]:
    """One row per (event, set/add, path) in the batch's order; the value column is keyed by (event, path)."""
    keys, rows = [], []
    attributes = {"ideal_point": _IDEAL, "salience": _SALIENCE, "leverage": _LEVERAGE, "breakdown_risk": _RISK}
    for e, (name, event) in enumerate(scenario.events.items()):
        for kind_code, kind in ((_SET, "set"), (_ADD, "add")):
            for path in getattr(event, kind):
                attribute, index = parameter_slot(scenario, path)
                code = attributes.get(attribute, _SCALAR + SCALAR_FIELDS.index(attribute) if attribute in SCALAR_FIELDS
                                      else None)
                low, high = FIELD_BOUNDS[attribute]
                index = tuple(index) + (0,) * (2 - len(index))
                keys.append((name, path))
                rows.append((e, kind_code, code, index[0], index[1], low, high))
    columns = list(zip(*rows)) if rows else [()] * 7
    dtypes = (np.int64,) * 5 + (np.float64,) * 2
    return tuple(keys), tuple(np.array(c, dtype=d) for c, d in zip(columns, dtypes))


def _constants() -> np.ndarray:
    return np.array([agents.TOLERANCE, equilibrium.TOLERANCE, equilibrium.CONVERGED, equilibrium.HULL_TOLERANCE,
                     float(equilibrium.SOLVE_ROUNDS)])


#: Packed scenarios by id, with the scenario itself held so that its id is not reused while cached.
_PACKED: dict[int, tuple[Any, _Scenario]] = {}


def _packed(scenario) -> _Scenario:
    """The kernel's view of ``scenario``, packed once per scenario object (the last few kept)."""
    held = _PACKED.get(id(scenario))
    if held is not None and held[0] is scenario:
        return held[1]
    packed = _pack(scenario)
    if len(_PACKED) >= 16:
        _PACKED.pop(next(iter(_PACKED)))
    _PACKED[id(scenario)] = (scenario, packed)
    return packed


def _pack(scenario) -> _Scenario:
    space = OutcomeSpace.of(scenario)
    actors = len(scenario.actors)
    principals = np.array([scenario.actor_names.index(p) for p in scenario.principals], np.int64)
    first = scenario.principals.index(scenario.protocol.first_proposer or scenario.principals[0])
    status_quo, breakdown = state_levels(scenario)
    count = principals.size
    order = np.array([(first + t) % count for t in range(count)], np.int64)
    rules = Rules(principals, int(first), float(scenario.months_per_round), int(scenario.protocol.rounds),
                   status_quo, breakdown, _constants(), loop_addresses(), order)
    keys, arrays = _event_ops(scenario)
    sizes = (actors, count, len(space.shape), max(space.shape), space.size, breakdown.shape[1],
             int(scenario.protocol.rounds))
    return _Scenario(_space_arrays(space, actors), rules, keys, arrays, sizes, space)


def _c(array, dtype=None) -> np.ndarray:
    return np.ascontiguousarray(array, dtype=dtype)


@dataclass
class _Seat:
    """A principal as outcome_table reads it."""

    name: str
    index: int
    slot: int


@dataclass
class KernelRun:
    """A batch played by the kernel: the arrays of :class:`~basesim.model.negotiation.NegotiationModel` after ``run``.

    ``result``, ``end_round``, ``agreement``, ``proposer_slot``, ``cause`` (n,)
    and ``final`` (the parameters in force when each world's talks ended), so
    :func:`~basesim.model.negotiation.outcome_table` builds the same rows.
    """

    scenario: Any
    space: OutcomeSpace
    protocol: Any
    principals: list[_Seat]
    result: np.ndarray
    end_round: np.ndarray
    agreement: np.ndarray
    proposer_slot: np.ndarray
    cause: np.ndarray
    final: dict[str, np.ndarray]


_PLAYERS = {"alternating_offers": _play_alternating, "equilibrium": _play_equilibrium, "nash": _play_nash}


def available() -> bool:
    """Whether the kernel can run here (numpy's loops were found; see :mod:`basesim.model.numpy_loops`)."""
    try:
        loop_addresses()
    except LoopsUnavailable:
        return False
    return True


def plays(draws: Draws, protocol: str | None = None) -> bool:
    """Whether the kernel plays ``protocol`` (default: the scenario's); a UsageError for an unknown protocol."""
    name = protocol or draws.scenario.protocol.name
    get_protocol(name)
    return name in PROTOCOLS


def run(draws: Draws, *, protocol: str | None = None) -> KernelRun:
    """Play every world of ``draws`` with the kernel: the arrays :func:`~basesim.model.negotiation.outcome_table` reads."""
    scenario = draws.scenario
    name = protocol or scenario.protocol.name
    protocol_object = get_protocol(name)  # a UsageError for an unknown name
    if name not in PROTOCOLS:
        raise UsageError(f"protocol: {name!r} has no compiled kernel; expected one of {', '.join(PROTOCOLS)} "
                         "(play it with engine='batch')")
    packed = _packed(scenario)
    n = draws.n
    actors, principals, issues, levels, outcomes, alternatives, rounds = packed.sizes
    events = Events(_c(draws.event_round, np.int64), _c(draws.event_fires, np.bool_), *packed.op_arrays,
                    _c(np.stack([draws.event_values[key] for key in packed.op_keys], axis=1) if packed.op_keys
                       else np.zeros((n, 0))))
    scalars = np.stack([getattr(draws, field) for field in SCALAR_FIELDS], axis=1)  # (n, 8, A)
    worlds = Worlds(_c(draws.ideal_point, np.float64), _c(draws.salience, np.float64), _c(draws.leverage, np.float64),
                    _c(scalars, np.float64), _c(draws.breakdown_risk, np.float64), _c(draws.breakdown_weight, np.float64),
                    _c(draws.belief_ideal_z, np.float64), _c(draws.belief_salience_z, np.float64),
                    _c(draws.breakdown_u, np.float64).reshape(n, rounds))
    changes = name == "alternating_offers"  # only alternating offers applies events
    out = Outputs(np.full(n, _TALKING, np.int8), np.full(n, -1, np.int64), np.full(n, -1, np.int64),
                  np.full(n, -1, np.int64), np.full(n, -1, np.int64),
                  np.empty_like(worlds.ideal) if changes else worlds.ideal,
                  np.empty_like(worlds.salience) if changes else worlds.salience,
                  np.empty_like(worlds.leverage) if changes else worlds.leverage,
                  np.empty_like(worlds.scalars) if changes else worlds.scalars,
                  np.empty_like(worlds.risk) if changes else worlds.risk)
    work = _work(actors, principals, issues, levels, outcomes, alternatives, rounds)
    _PLAYERS[name](packed.space, packed.rules, events, worlds, out, work)
    final = {key: getattr(draws, key) for key in PARAMETERS}
    if changes:
        final.update(ideal_point=out.ideal, salience=out.salience, leverage=out.leverage, breakdown_risk=out.risk)
        final.update({field: out.scalars[:, f] for f, field in enumerate(SCALAR_FIELDS)})
    seats = [_Seat(p, scenario.actor_names.index(p), slot) for slot, p in enumerate(scenario.principals)]
    return KernelRun(scenario, packed.outcome_space, protocol_object, seats, _RESULT_CODES[out.result], out.end_round,
                     out.agreement, out.proposer, out.cause, final)


def warm(scenario, protocol: str | None = None) -> None:
    """Load (or, the first time on a machine, compile) the kernel of ``protocol`` by playing one world.

    Called before worker processes fork, so that they share the compiled code.
    """
    from basesim.scenario.sampling import transform, unit_columns

    name = protocol or scenario.protocol.name
    if name in PROTOCOLS and available():
        run(transform(scenario, np.full((1, len(unit_columns(scenario))), 0.5)), protocol=name)


def compile_all() -> None:
    """Compile (or load) the kernel of every protocol it plays, on a two-principal pie (any scenario serves:
    the compiled code depends on the arrays' types only)."""
    from basesim.scenario.loader import scenario_from_data

    pie = scenario_from_data({
        "name": "pie", "issues": {"share": {"range": {"min": 0, "max": 1, "steps": 3}}}, "no_deal": {"share": 0},
        "actors": {"a": {"role": "principal", "ideal_point": {"share": 1.0}, "salience": {"share": 1.0}},
                   "b": {"role": "principal", "ideal_point": {"share": 0.0}, "salience": {"share": 1.0}}},
    })
    for name in PROTOCOLS:
        warm(pie, name)
