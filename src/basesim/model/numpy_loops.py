"""The addresses of numpy's own float64 inner loops, for compiled code that must round as numpy does.

numpy evaluates ``exp``, ``log``, ``log1p``, ``expm1`` and ``power`` with its
own SIMD code where the CPU allows it (on x86-64 with AVX-512: numpy's
AVX512F ``exp``/``log`` and Intel's SVML for the others), and with the C
library elsewhere. The two differ in the last bit for a few percent of
arguments (measured on this project's 2-core Xeon: 0.3-10% of uniform
arguments, depending on the function). The vectorised batch calls numpy, so a
compiled kernel that must give the batch's rows bit for bit
(:mod:`basesim.model.kernel`) calls the very loops numpy calls, through the
addresses read here, instead of the C library that numba would use.

A ufunc keeps its inner loops in the public C structure ``PyUFuncObject``
(numpy/ufuncobject.h): ``functions`` (one loop per type signature) and
``types`` (``nargs`` type numbers per loop). Those are read with ctypes; the
reader checks the structure's name, argument count and loop count against
the ufunc's own attributes first, and :func:`loop_addresses` raises
:class:`LoopsUnavailable` rather than guess when they do not match (another
numpy ABI). The loops' signature is numpy's generic
``void loop(char **args, npy_intp const *dimensions, npy_intp const *steps, void *data)``.
"""

from __future__ import annotations

import ctypes
from functools import lru_cache

import numpy as np

__all__ = ["FUNCTIONS", "LoopsUnavailable", "loop_address", "loop_addresses"]

#: The functions the kernel takes from numpy, in the order of :func:`loop_addresses`.
FUNCTIONS = ("exp", "log", "log1p", "expm1", "power")

# Byte offsets of the fields read from PyUFuncObject on a 64-bit CPython (PyObject_HEAD is 16 bytes).
_NIN, _NOUT, _NARGS, _FUNCTIONS, _NTYPES, _NAME, _TYPES = 16, 20, 24, 32, 48, 56, 64


class LoopsUnavailable(RuntimeError):
    """numpy's inner loops could not be located safely (an unexpected numpy ABI or platform)."""


def _read(address: int, ctype):
    return ctype.from_address(address).value


def loop_address(ufunc: np.ufunc) -> int:
    """Address of ``ufunc``'s inner loop for float64 arguments and results (all ``d``)."""
    if ctypes.sizeof(ctypes.c_void_p) != 8:
        raise LoopsUnavailable("numpy loops: only 64-bit platforms are supported")
    base = id(ufunc)
    nin, nout, nargs = _read(base + _NIN, ctypes.c_int), _read(base + _NOUT, ctypes.c_int), _read(base + _NARGS, ctypes.c_int)
    name_address = _read(base + _NAME, ctypes.c_void_p)
    name = ctypes.c_char_p(name_address).value if name_address else None
    ntypes = _read(base + _NTYPES, ctypes.c_int)
    if (nin, nout, nargs) != (ufunc.nin, ufunc.nout, ufunc.nargs) or name != ufunc.__name__.encode() \
            or ntypes != ufunc.ntypes:
        raise LoopsUnavailable(f"numpy loops: the PyUFuncObject layout of numpy {np.__version__} is not the "
                               f"expected one (read {name!r}, {nin}/{nout}/{nargs} args, {ntypes} loops)")
    codes = (ctypes.c_char * (nargs * ntypes)).from_address(_read(base + _TYPES, ctypes.c_void_p)).raw
    double = np.dtype(np.float64).num
    for k in range(ntypes):
        if all(code == double for code in codes[k * nargs:(k + 1) * nargs]):
            functions = _read(base + _FUNCTIONS, ctypes.c_void_p)
            address = _read(functions + 8 * k, ctypes.c_void_p)
            if not address:
                break
            return int(address)
    raise LoopsUnavailable(f"numpy loops: {ufunc.__name__} has no float64 loop")


@lru_cache(maxsize=1)
def loop_addresses() -> np.ndarray:
    """(5,) uint64: the float64 loops of :data:`FUNCTIONS`, for :mod:`basesim.model.kernel`."""
    return np.array([loop_address(getattr(np, name)) for name in FUNCTIONS], dtype=np.uint64)
