r"""Fused updates through the BLAS that numpy itself uses.

An SGD step subtracts a gradient that is itself a matrix product, $W \leftarrow W - X^\top
\delta$. With numpy alone that is two passes: ``matmul`` writes $X^\top\delta$ into a buffer,
then ``W -= buffer`` reads it back on a single core. BLAS's ``gemm`` computes
$C \leftarrow \alpha\,\mathrm{op}(A)\,\mathrm{op}(B) + \beta C$ in one multithreaded call, so
with $\alpha = -1$, $\beta = 1$ the update is part of the product. The same call with
$k = 1$ adds a bias to every row of a layer's output on BLAS's threads.

The library is found through public interfaces only:

1. `threadpoolctl.threadpool_info` lists the BLAS libraries this process has loaded, with
   their file paths (the maintained API scikit-learn and SciPy use to control BLAS threads);
2. of those, the one numpy uses is the OpenBLAS whose file belongs to the installed numpy
   distribution (`importlib.metadata.files`): the library numpy's wheels bundle on Linux,
   macOS and Windows. Another copy (SciPy's wheels bundle their own, with a second thread
   pool) is never used;
3. its ``cblas_?gemm`` symbols carry the affixes OpenBLAS builds may add (``scipy_`` and
   ``64_`` in the scipy-openblas builds numpy ships); ``openblas_get_config`` says whether it
   takes 64-bit integers (``USE64BITINT``);
4. one small product is checked against ``np.matmul`` before the library is used.

The library is opened with ``RTLD_NOLOAD`` where the platform has it: only because the process
has already loaded it, so no second copy with a second thread pool is ever loaded (on Windows,
loading a DLL that is loaded returns the same one).

Where nothing qualifies (threadpoolctl missing, numpy built against MKL, Accelerate or a
system BLAS, a library without the symbols), for arrays it does not handle (not
float32/float64, not C-contiguous, read-only, overlapping) and for small ones (below
`FUSE_FROM` elements, where the call costs more than it saves), the functions fall back to
numpy: the same result up to rounding order. ``NNSPEC_BLAS=numpy`` forces the fallback.

A call's `ctypes` arguments (pointers and sizes) are prepared once per combination of array
objects and reused while those objects live (weak references: the cache keeps nothing
alive) and keep their shape, strides, dtype and writeability, and while the scale is the same,
which brings a call's cost from about 5 us to under 1 us. `fused_calls` counts the calls that
ran in BLAS, so a test can tell the fused path from the fallback; `library` names the file.
"""

from __future__ import annotations

import ctypes
import itertools
import os
import warnings
import weakref
from functools import cache
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import numpy as np

__all__ = [
    "FUSE_FROM",
    "add_to_rows",
    "available",
    "fused_calls",
    "library",
    "numpy_blas_libraries",
    "subtract_transposed_product",
]

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


def numpy_blas_libraries() -> list[str]:
    """Paths of the loaded OpenBLAS libraries that ship in numpy's own distribution.

    A file belongs to numpy when the distribution's ``RECORD`` (the list of installed files
    every wheel install writes) names it. Empty where threadpoolctl is not installed, numpy was
    not installed from a wheel (a source tree, conda) or its BLAS is not a bundled OpenBLAS.
    """
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    try:
        record = distribution("numpy").read_text("RECORD") or ""
        root = Path(distribution("numpy").locate_file("")).resolve()
    except PackageNotFoundError:
        return []
    listed = "\n" + record.replace("\r\n", "\n")
    found = []
    with warnings.catch_warnings():  # e.g. its note on two OpenMP runtimes: discovery stays silent
        warnings.simplefilter("ignore")
        loaded = threadpool_info()
    for entry in loaded:
        if entry.get("user_api") != "blas" or "openblas" not in str(entry.get("internal_api")):
            continue
        path = Path(entry["filepath"]).resolve()
        if path.is_relative_to(root) and f"\n{path.relative_to(root).as_posix()}," in listed:
            found.append(str(path))
    return found


def _open(path: str):
    """The already loaded library at ``path`` (never a second copy), or None."""
    no_load = getattr(os, "RTLD_NOLOAD", None)
    try:
        if no_load is None:  # Windows: loading a loaded DLL returns that same module
            return ctypes.CDLL(path)
        return ctypes.CDLL(path, mode=no_load | getattr(os, "RTLD_LAZY", 1))
    except OSError:
        return None


def _gemms(library) -> dict | None:
    """``{dtype: cblas_?gemm}`` and the integer type of ``library``, if it has them."""
    for prefix, suffix in itertools.product(("", "scipy_"), ("", "64_", "_64")):
        config = getattr(library, f"{prefix}openblas_get_config{suffix}", None)
        gemms = {
            dtype: getattr(library, f"{prefix}cblas_{letter}gemm{suffix}", None)
            for dtype, (letter, _) in _SCALARS.items()
        }
        if config is None or None in gemms.values():
            continue
        config.restype = ctypes.c_char_p
        integer = ctypes.c_int64 if b"USE64BITINT" in (config() or b"") else ctypes.c_int32
        for gemm in gemms.values():
            gemm.restype = None  # arguments are passed as prepared ctypes objects
        return {"gemm": gemms, "integer": integer}
    return None


@cache
def _routines() -> dict | None:
    """numpy's OpenBLAS ``{"gemm": {dtype: cblas_?gemm}, "integer": ..., "path": ...}``, or None."""
    if os.environ.get("NNSPEC_BLAS", "").lower() == "numpy":
        return None
    for path in numpy_blas_libraries():
        library = _open(path)
        routines = _gemms(library) if library is not None else None
        if routines is not None and _agrees(routines):
            return {**routines, "path": path}
    return None


def _agrees(routines: dict) -> bool:
    """One small update through ``routines`` equals numpy's (a wrong binding does not pass)."""
    for dtype in _SCALARS:
        C = np.arange(6, dtype=dtype).reshape(2, 3)
        A, B = np.arange(8, dtype=dtype).reshape(4, 2), np.arange(12, dtype=dtype).reshape(4, 3) - 5
        expected = C - 0.5 * (A.T @ B)
        gemm, args = _arguments(routines, _transposed_product_layout(C, A, B, 0.5))
        gemm(*args)
        if not np.array_equal(C, expected):
            return False
    return True


def library() -> str | None:
    """The file of the BLAS the fused updates call, or None (the numpy fallback)."""
    routines = _routines()
    return None if routines is None else routines["path"]


def available() -> bool:
    """True when the updates run in numpy's OpenBLAS (False: the numpy fallback)."""
    return _routines() is not None


def _qualifies(target: np.ndarray, operands: tuple[np.ndarray, ...]):
    """``cblas_?gemm`` for ``target``'s dtype if every array qualifies, else None."""
    routines = _routines()
    if routines is None or not target.flags.writeable:
        return None
    gemm = routines["gemm"].get(target.dtype)
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
    if _qualifies(arrays[0], arrays[1:]) is None:
        return None
    if len(_prepared) >= _PREPARED_LIMIT:
        _prepared.clear()
    call = _arguments(_routines(), layout(*arrays, scale))
    _prepared[key] = (tuple(weakref.ref(array) for array in arrays), layouts, call)
    return call


def _arguments(routines: dict, layout: tuple):
    """``(gemm, ctypes arguments)`` for ``layout`` = (trans_a, trans_b, m, n, k, alpha, a, lda,
    b, ldb, beta, c, ldc), arrays in the pointer slots, all of c's dtype."""
    trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc = layout
    scalar, integer, pointer = _SCALARS[c.dtype][1], routines["integer"], ctypes.c_void_p
    args = (ctypes.c_int(_ROW_MAJOR), ctypes.c_int(trans_a), ctypes.c_int(trans_b))
    args += (integer(m), integer(n), integer(k), scalar(alpha), pointer(a.ctypes.data), integer(lda))
    args += (pointer(b.ctypes.data), integer(ldb), scalar(beta), pointer(c.ctypes.data), integer(ldc))
    return routines["gemm"][c.dtype], args


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


# Discovery runs once, when the numeric side is imported, rather than inside the first
# training step: its cost (about 30 ms: threadpoolctl's import and one listing of the loaded
# libraries) and the memory it keeps are paid before any step is timed or traced.
_routines()
