r"""Fused updates through the BLAS that numpy itself uses.

An SGD step subtracts a gradient that is itself a matrix product, $W \leftarrow W - X^\top
\delta$. With numpy alone that is two passes: ``matmul`` writes $X^\top\delta$ into a buffer,
then ``W -= buffer`` reads it back on a single core. BLAS's ``gemm`` computes
$C \leftarrow \alpha\,\mathrm{op}(A)\,\mathrm{op}(B) + \beta C$ in one multithreaded call, so
with $\alpha = -1$, $\beta = 1$ the update is part of the product. The same call with
$k = 1$ adds a bias to every row of a layer's output on BLAS's threads.

numpy's wheels on PyPI bundle OpenBLAS as ``scipy-openblas64`` (64-bit integers, symbols
``scipy_cblas_*64_``). This module opens that same library — already loaded by numpy, so its
thread pool is the one ``np.matmul`` uses — and calls ``cblas_?gemm`` through `ctypes`.

The library is opened with ``RTLD_NOLOAD``: only if this process has already loaded it, which
numpy's import does. A stale ``numpy.libs`` folder next to another numpy build (MKL, a system
OpenBLAS) is therefore never loaded as a second BLAS with a second thread pool; nor is one on a
platform without ``RTLD_NOLOAD`` (Windows), where the fallback runs.

Where the library is absent (another numpy build), for arrays it does not handle (not
float32/float64, not C-contiguous, read-only, overlapping) and for small ones (below
`FUSE_FROM` elements, where the call costs more than it saves), the functions fall back to
numpy: the same result up to rounding order. ``NNSPEC_BLAS=numpy`` forces the fallback.

A call's `ctypes` arguments (pointers and sizes) are prepared once per combination of array
objects and reused while those objects live (weak references: the cache keeps nothing
alive) and keep their shape, strides, dtype and writeability, and while the scale is the same,
which brings a call's cost from about 5 us to under 1 us. `fused_calls` counts the calls that
ran in BLAS, so a test can tell the fused path from the fallback.
"""

from __future__ import annotations

import ctypes
import os
import weakref
from functools import cache
from pathlib import Path

import numpy as np

__all__ = ["FUSE_FROM", "add_to_rows", "available", "fused_calls", "subtract_transposed_product"]

#: Fuse only from this many elements of the updated array: below about 128 x 128 a plain
#: numpy pass is as cheap as the call (measured in float32 and float64).
FUSE_FROM = 16384

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
_SCALARS = {np.dtype(np.float32): ("s", ctypes.c_float), np.dtype(np.float64): ("d", ctypes.c_double)}
_PREPARED_LIMIT = 64
_prepared: dict = {}
_calls = [0]


def fused_calls() -> int:
    """How many updates have run in BLAS (not in the numpy fallback) in this process."""
    return _calls[0]


def _candidate_libraries() -> list[Path]:
    """numpy's bundled OpenBLAS: ``numpy.libs/`` (Linux, Windows) or ``numpy/.dylibs/`` (macOS)."""
    package = Path(np.__file__).resolve().parent
    found = []
    for folder in (package.parent / "numpy.libs", package / ".dylibs"):
        if folder.is_dir():
            found += sorted(folder.glob("*scipy_openblas64_*"))
    return [path for path in found if path.suffix in (".so", ".dylib", ".dll")]


@cache
def _routines() -> dict | None:
    """``{dtype: cblas_?gemm}`` from numpy's OpenBLAS, or None where it cannot be used."""
    if os.environ.get("NNSPEC_BLAS", "").lower() == "numpy":
        return None
    no_load = getattr(os, "RTLD_NOLOAD", None)
    if no_load is None:
        return None
    for path in _candidate_libraries():
        try:  # succeeds only for a library already loaded (by numpy): never a second copy
            library = ctypes.CDLL(str(path), mode=no_load | getattr(os, "RTLD_LAZY", 1))
        except OSError:
            continue
        routines = {}
        for dtype, (prefix, _) in _SCALARS.items():
            gemm = getattr(library, f"scipy_cblas_{prefix}gemm64_", None)
            if gemm is None:
                break
            gemm.restype = None  # arguments are passed as prepared ctypes objects
            routines[dtype] = gemm
        else:
            return routines
    return None


def available() -> bool:
    """True when the updates run in numpy's OpenBLAS (False: the numpy fallback)."""
    return _routines() is not None


def _qualifies(target: np.ndarray, operands: tuple[np.ndarray, ...]):
    """``cblas_?gemm`` for ``target``'s dtype if every array qualifies, else None."""
    routines = _routines()
    if routines is None or not target.flags.writeable:
        return None
    gemm = routines.get(target.dtype)
    if gemm is None:
        return None
    for array in (target, *operands):
        if array.dtype != target.dtype or not array.flags.c_contiguous:
            return None
    if any(np.may_share_memory(target, operand) for operand in operands):
        return None
    return gemm


def _prepared_call(kind: str, arrays: tuple[np.ndarray, ...], layout, scale: float = 1.0):
    """The cached ``(gemm, args)`` for these array objects, or None to use numpy.

    The cache entry is valid while the objects live and keep their shape, strides and dtype
    (all three can change in place: ``a.shape = ...``, ``a.dtype = ...``), the target stays
    writeable and ``scale`` is the same. ``layout(*arrays, scale)`` returns ``(trans_a,
    trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)`` with arrays in the pointer
    slots; it is called once per combination.
    """
    key = (kind, *map(id, arrays))
    layouts = (scale, *((array.shape, array.strides, array.dtype) for array in arrays))
    entry = _prepared.get(key)
    if entry is not None:
        references, prepared_layouts, call = entry
        same_objects = all(ref() is array for ref, array in zip(references, arrays))
        if same_objects and prepared_layouts == layouts and arrays[0].flags.writeable:
            return call
    gemm = _qualifies(arrays[0], arrays[1:])
    if gemm is None:
        return None
    scalar = _SCALARS[arrays[0].dtype][1]
    trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc = layout(*arrays, scale)
    integer, pointer = ctypes.c_int64, ctypes.c_void_p
    args = (ctypes.c_int(_ROW_MAJOR), ctypes.c_int(trans_a), ctypes.c_int(trans_b))
    args += (integer(m), integer(n), integer(k), scalar(alpha), pointer(a.ctypes.data), integer(lda))
    args += (pointer(b.ctypes.data), integer(ldb), scalar(beta), pointer(c.ctypes.data), integer(ldc))
    if len(_prepared) >= _PREPARED_LIMIT:
        _prepared.clear()
    call = (gemm, args)
    _prepared[key] = (tuple(weakref.ref(array) for array in arrays), layouts, call)
    return call


def _transposed_product_layout(C, A, B, scale):
    (m, n), k = C.shape, A.shape[0]
    return _TRANS, _NO_TRANS, m, n, k, -scale, A, m, B, n, 1.0, C, n


def subtract_transposed_product(C, A, B, scratch, scale: float = 1.0) -> None:
    r"""$C \leftarrow C - s\,A^\top B$ in place ($s$ = ``scale``).

    Parameters
    ----------
    C : array, shape (m, n)
        Updated in place (e.g. a kernel ``W``).
    A : array, shape (k, m)
        E.g. the layer's input ``X``, batch first.
    B : array, shape (k, n)
        E.g. the layer's delta.
    scratch : array, shape (m, n)
        Used only by the numpy fallback, for $A^\top B$.
    scale : float
        $s$, e.g. the learning rate (default 1).
    """
    agree = (
        C.size >= FUSE_FROM
        and C.ndim == A.ndim == B.ndim == 2
        and A.shape[1] == C.shape[0]
        and B.shape == (A.shape[0], C.shape[1])
    )
    call = _prepared_call("C-=sA'B", (C, A, B), _transposed_product_layout, scale) if agree else None
    if call is None:
        product = np.matmul(A.T, B, out=scratch)
        if scale != 1.0:
            product *= scale
        C -= product
    else:
        call[0](*call[1])
        _calls[0] += 1


def _rows_layout(C, b, ones, scale):
    m, n = C.shape
    return _NO_TRANS, _NO_TRANS, m, n, 1, 1.0, ones, 1, b, n, 1.0, C, n


def add_to_rows(C: np.ndarray, b: np.ndarray, ones: np.ndarray) -> None:
    r"""$C \leftarrow C + \mathbf 1 b^\top$ (add ``b`` to every row) in place.

    A bias add right after the product $XW$ that made ``C``: as a rank-1 ``gemm``
    ($k = 1$) it runs on BLAS's threads rather than as a single-core numpy pass.

    Parameters
    ----------
    C : array, shape (m, n)
    b : array, shape (n,)
    ones : array, shape (m,)
        All ones, in ``C``'s dtype.
    """
    agree = C.size >= FUSE_FROM and C.ndim == 2 and b.shape == (C.shape[1],) and ones.shape == (C.shape[0],)
    call = _prepared_call("C+=1b'", (C, b, ones), _rows_layout) if agree else None
    if call is None:
        C += b
    else:
        call[0](*call[1])
        _calls[0] += 1
