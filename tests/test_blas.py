"""Fused updates in numpy's own BLAS: the same results as numpy, and a safe fallback."""

import ctypes
import gc
import os
import sys
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import numpy as np
import pytest

import nnspec as ns
from nnspec import _blas
from nnspec.training import TrainStep

DTYPES = [np.float32, np.float64]


def _arrays(dtype, m=160, n=128, k=48, seed=0):
    rng = np.random.default_rng(seed)
    C = rng.normal(size=(m, n)).astype(dtype)
    A = rng.normal(size=(k, m)).astype(dtype)
    B = rng.normal(size=(k, n)).astype(dtype)
    return C, A, B


def _tolerance(dtype):
    return {"rtol": 1e-5, "atol": 1e-4} if dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-12}


@pytest.fixture
def numpy_only(monkeypatch):
    """Force the numpy fallback, as NNSPEC_BLAS=numpy does at import time."""
    monkeypatch.setenv("NNSPEC_BLAS", "numpy")
    _blas._routines.cache_clear()
    yield
    monkeypatch.delenv("NNSPEC_BLAS")
    _blas._routines.cache_clear()


@pytest.fixture
def fused():
    """The fused path must be available here, and must actually run in the test (a counter)."""
    if not _blas.available():
        pytest.skip("this numpy build bundles no OpenBLAS (not a PyPI wheel); the fallback runs")
    before = _blas.fused_calls()
    yield
    assert _blas.fused_calls() > before, "the BLAS path never ran"


def _bundled_openblas() -> list:
    """The OpenBLAS files the installed numpy distribution lists (its wheels bundle one)."""
    try:
        files = distribution("numpy").files or []
    except PackageNotFoundError:
        return []
    return [file for file in files if "openblas" in file.name and file.suffix in (".so", ".dylib", ".dll")]


@pytest.fixture
def rediscover(monkeypatch):
    """Discovery runs again in the test, and once more after it (the cache holds the first answer)."""
    _blas._routines.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    _blas._routines.cache_clear()


def test_numpys_bundled_openblas_is_found_when_numpy_ships_it():
    bundled = _bundled_openblas()
    if not bundled:
        pytest.skip("this numpy build bundles no OpenBLAS (not a PyPI wheel); the fallback runs")
    assert _blas.available()
    assert Path(_blas.library()) in {Path(file.locate()).resolve() for file in bundled}


def test_scipys_own_openblas_is_never_chosen(rediscover):
    """SciPy's wheels load a second OpenBLAS with its own thread pool: numpy's is the one used."""
    import scipy.linalg  # noqa: F401  (loads SciPy's BLAS into the process)
    from threadpoolctl import threadpool_info

    loaded = [entry["filepath"] for entry in threadpool_info() if entry["user_api"] == "blas"]
    found = _blas.numpy_blas_libraries()
    assert len(found) <= 1 and set(found) <= {str(Path(path).resolve()) for path in loaded}
    if _bundled_openblas():
        assert found and "scipy.libs" not in found[0] and _blas.library() == found[0]


@pytest.mark.parametrize("how", ["discovery finds nothing", "threadpoolctl is missing"])
def test_no_usable_blas_falls_back_to_numpy(how, rediscover):
    if how == "discovery finds nothing":
        rediscover.setattr(_blas, "numpy_blas_libraries", lambda: [])
    else:
        rediscover.setitem(sys.modules, "threadpoolctl", None)  # import threadpoolctl raises ImportError
        assert _blas.numpy_blas_libraries() == []
    assert not _blas.available() and _blas.library() is None
    C, A, B = _arrays(np.float64)
    expected, before = C - 0.1 * (A.T @ B), _blas.fused_calls()
    _blas.subtract_transposed_product(C, A, B, scratch=np.empty_like(C), scale=0.1)
    np.testing.assert_allclose(C, expected, rtol=1e-12, atol=1e-12)
    assert _blas.fused_calls() == before  # numpy did it


def test_a_library_without_the_gemm_symbols_is_not_used(rediscover):
    import _ctypes  # a loaded library that neither has nor links a BLAS

    if not getattr(_ctypes, "__file__", None):
        pytest.skip("_ctypes is built into this Python")
    rediscover.setattr(_blas, "numpy_blas_libraries", lambda: [_ctypes.__file__])
    _blas._routines.cache_clear()
    assert not _blas.available()


def test_a_library_numpy_has_not_loaded_is_never_opened(rediscover, tmp_path):
    """RTLD_NOLOAD: a copy that is not the loaded file is not loaded as a second BLAS."""
    if not _blas.available() or not hasattr(os, "RTLD_NOLOAD"):
        pytest.skip("no fused BLAS here, or a platform without RTLD_NOLOAD")
    original = Path(_blas.library())
    stale = tmp_path / original.name.replace("openblas", "openblas_stale_")
    stale.write_bytes(original.read_bytes())  # a valid library, but not the one numpy loaded
    rediscover.setattr(_blas, "numpy_blas_libraries", lambda: [str(stale)])
    _blas._routines.cache_clear()  # available() above asked once already
    assert not _blas.available()


def test_a_binding_that_computes_something_else_is_rejected():
    """The check before use: a gemm that leaves C alone (a wrong binding) does not pass."""
    do_nothing = {dtype: (lambda *args: None) for dtype in map(np.dtype, DTYPES)}
    assert not _blas._agrees({"gemm": do_nothing, "integer": ctypes.c_int64})


@pytest.mark.parametrize("scale", [1.0, 0.05])
@pytest.mark.parametrize("dtype", DTYPES)
def test_subtract_transposed_product_is_c_minus_a_transpose_b(dtype, scale, fused):
    C, A, B = _arrays(dtype)
    expected = C - scale * (A.T @ B)
    _blas.subtract_transposed_product(C, A, B, scratch=np.empty_like(C), scale=scale)
    np.testing.assert_allclose(C, expected, **_tolerance(dtype))


def test_a_prepared_call_is_not_reused_after_the_dtype_changes_in_place(fused):
    """``A.dtype = np.int64`` keeps the item size and the pointers: the cached dgemm must not run."""
    C, A, B = _arrays(np.float64)
    _blas.subtract_transposed_product(C, A, B, scratch=np.empty_like(C))
    calls = _blas.fused_calls()
    A.dtype = np.int64  # same bytes, now integers
    expected = C - A.T @ B
    _blas.subtract_transposed_product(C, A, B, scratch=np.empty_like(C))
    assert _blas.fused_calls() == calls  # refused by BLAS: mixed dtypes go to numpy
    np.testing.assert_allclose(C, expected, rtol=1e-12)


def test_a_prepared_call_follows_a_new_scale(fused):
    C, A, B = _arrays(np.float64)
    expected = C - 0.5 * (A.T @ B) - 0.25 * (A.T @ B)
    _blas.subtract_transposed_product(C, A, B, scratch=np.empty_like(C), scale=0.5)
    _blas.subtract_transposed_product(C, A, B, scratch=np.empty_like(C), scale=0.25)
    np.testing.assert_allclose(C, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
def test_add_to_rows_adds_the_vector_to_every_row(dtype, fused):
    C, _, _ = _arrays(dtype)
    b = np.arange(C.shape[1], dtype=dtype)
    expected = C + b
    _blas.add_to_rows(C, b, np.ones(C.shape[0], dtype))
    np.testing.assert_allclose(C, expected, **_tolerance(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_the_fallback_gives_the_same_result(dtype, numpy_only):
    assert not _blas.available()
    C, A, B = _arrays(dtype)
    expected = C - 0.1 * (A.T @ B)
    calls = _blas.fused_calls()
    _blas.subtract_transposed_product(C, A, B, scratch=np.empty_like(C), scale=0.1)
    assert _blas.fused_calls() == calls
    np.testing.assert_allclose(C, expected, **_tolerance(dtype))


@pytest.mark.parametrize(
    "case",
    ["small", "strided operand", "overlapping", "float16", "complex", "mixed dtypes"],
)
def test_arrays_blas_does_not_take_fall_back_to_numpy(case):
    C, A, B = _arrays(np.float64)
    if case == "small":
        C, A, B = C[:8, :8].copy(), A[:, :8].copy(), B[:, :8].copy()
    elif case == "strided operand":
        A = np.asfortranarray(A)
    elif case == "overlapping":  # C - C[:k].T @ B would be wrong if C changed under the product
        C = np.random.default_rng(1).normal(size=(160, 160))
        A, B = C[:48], np.random.default_rng(2).normal(size=(48, 160))
    elif case == "float16":
        C, A, B = (array.astype(np.float16) for array in (C, A, B))
    elif case == "complex":
        C = C + 1j
    else:
        A = A.astype(np.float32)
    expected = C - A.T @ B
    calls = _blas.fused_calls()
    _blas.subtract_transposed_product(C, A, B, scratch=np.empty_like(C))
    assert _blas.fused_calls() == calls  # numpy did it
    tolerance = {"rtol": 5e-2, "atol": 5e-1} if C.dtype == np.float16 else {"rtol": 1e-6}
    np.testing.assert_allclose(C, expected, **tolerance)


def test_a_read_only_target_is_refused_not_written():
    C, A, B = _arrays(np.float64)
    C.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        _blas.subtract_transposed_product(C, A, B, scratch=np.empty_like(C))


def test_prepared_calls_follow_the_array_objects_not_their_ids(fused):
    """A prepared call is reused only for the same live objects, never for a recycled id."""
    for seed in range(5):
        C, A, B = _arrays(np.float64, seed=seed)
        expected = C - A.T @ B
        _blas.subtract_transposed_product(C, A, B, scratch=np.empty_like(C))
        np.testing.assert_allclose(C, expected, rtol=1e-12, atol=1e-12)
        del C, A, B
        gc.collect()
    C, A, B = _arrays(np.float64)
    _blas.subtract_transposed_product(C, A, B, scratch=np.empty_like(C))
    C.shape = (128, 160)  # the same objects, now inconsistent: refused, not run with the old sizes
    with pytest.raises(ValueError):
        _blas.subtract_transposed_product(C, A, B, scratch=np.empty_like(C))


def test_the_cache_keeps_no_array_alive():
    import weakref

    C, A, B = _arrays(np.float64)
    _blas.subtract_transposed_product(C, A, B, scratch=np.empty_like(C))
    reference = weakref.ref(A)
    del A
    gc.collect()
    assert reference() is None


@pytest.mark.parametrize("dtype", DTYPES)
def test_training_steps_agree_with_and_without_blas(dtype, monkeypatch):
    if not _blas.available():
        pytest.skip("this numpy build does not bundle scipy-openblas64")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 150)).astype(dtype)
    Y = np.eye(10, dtype=dtype)[rng.integers(0, 10, 200)]
    models = []
    for forced in (False, True):
        if forced:
            monkeypatch.setenv("NNSPEC_BLAS", "numpy")
        _blas._routines.cache_clear()
        model = ns.MLP((150, 128, 128, 10), activation="relu", init="he_normal", seed=3, dtype=dtype)
        step = TrainStep(model, "cce", 0.05, from_logits=True)
        calls = _blas.fused_calls()
        for _ in range(3):
            step(X, Y)
        assert (_blas.fused_calls() > calls) is not forced  # each run took the path it tests
        models.append(model)
    monkeypatch.delenv("NNSPEC_BLAS")
    _blas._routines.cache_clear()
    for (W, b), (W0, b0) in zip(*(model.parameters() for model in models)):
        np.testing.assert_allclose(W, W0, **_tolerance(dtype))
        np.testing.assert_allclose(b, b0, **_tolerance(dtype))


def test_a_target_made_read_only_after_a_call_is_not_written_by_the_prepared_call():
    C, A, B = _arrays(np.float64)
    _blas.subtract_transposed_product(C, A, B, scratch=np.empty_like(C))
    C.flags.writeable = False
    before = C.copy()
    with pytest.raises(ValueError, match="read-only"):
        _blas.subtract_transposed_product(C, A, B, scratch=np.empty_like(C))
    np.testing.assert_array_equal(C, before)
