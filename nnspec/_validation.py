"""Argument checks shared by the public functions (internal).

Each check raises an `ArgumentError` (a ``ValueError``) whose
message names the argument, what was expected and what came.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable

import numpy as np

from .errors import ArgumentError, ShapeError

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def describe(value) -> str:
    """Short description of a value for error messages."""
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def inexact_array(value, name: str, *, allow_complex: bool = True) -> np.ndarray:
    """Return ``value`` as a floating (or complex) array without copying when possible.

    Python numbers and nested lists become float64; an ndarray keeps its dtype, and one
    with an integer, boolean or object dtype is refused, since silently converting it
    hides a mistake (integer weights, a mask passed as data, ...).
    """
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        array = np.asarray(value)
        kinds = "fc" if allow_complex else "f"
        if array.dtype.kind not in kinds:
            wanted = "a floating dtype (float32 or float64)"
            raise ArgumentError(
                f"{name} has dtype {array.dtype}; expected {wanted}. "
                f"Convert it first, e.g. {name}.astype(np.float64)."
            )
        return array
    if isinstance(value, bool):
        raise ArgumentError(f"{name} must be a number or array of numbers, got bool {value!r}")
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise ArgumentError(f"{name} must be numeric, got {describe(value)}") from error
    if array.dtype.kind in "iu":
        return array.astype(np.float64)
    if array.dtype.kind == "f" or (allow_complex and array.dtype.kind == "c"):
        return array
    if array.dtype.kind == "c":
        raise ArgumentError(f"{name} must be real, got {describe(value)} (dtype {array.dtype})")
    raise ArgumentError(f"{name} must be numeric, got {describe(value)} (dtype {array.dtype})")


def finite_array(value, name: str, *, allow_complex: bool = False) -> np.ndarray:
    """Like `inexact_array`, and refuse NaN or infinite entries."""
    array = inexact_array(value, name, allow_complex=allow_complex)
    if not np.all(np.isfinite(array)):
        bad = np.argwhere(~np.isfinite(array))
        first = tuple(int(i) for i in bad[0]) if array.ndim else ()
        raise ArgumentError(
            f"{name} must be finite, but {len(bad)} entr{'y is' if len(bad) == 1 else 'ies are'} "
            f"NaN or infinite (first at index {first}: {array[first]})"
        )
    return array


def float_dtype(dtype, name: str = "dtype") -> np.dtype:
    """Return ``dtype`` as float32 or float64, or raise."""
    try:
        resolved = np.dtype(dtype)
    except TypeError as error:
        raise ArgumentError(f"{name} must be float32 or float64, got {dtype!r}") from error
    if resolved not in FLOAT_DTYPES:
        raise ArgumentError(f"{name} must be float32 or float64, got {resolved}")
    return resolved


def positive_int(value, name: str) -> int:
    """Return ``value`` as an int >= 1, or raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ArgumentError(f"{name} must be a positive integer, got {describe(value)}")
    if value < 1:
        raise ArgumentError(f"{name} must be a positive integer, got {value}")
    return int(value)


def positive_float(value, name: str) -> float:
    """Return ``value`` as a finite float > 0, or raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ArgumentError(f"{name} must be a finite number > 0, got {describe(value)}")
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ArgumentError(f"{name} must be a finite number > 0, got {value}")
    return value


def nonnegative_float(value, name: str) -> float:
    """Return ``value`` as a finite float >= 0, or raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ArgumentError(f"{name} must be a finite number >= 0, got {describe(value)}")
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise ArgumentError(f"{name} must be a finite number >= 0, got {value}")
    return value


def shape_tuple(shape, name: str = "shape") -> tuple[int, ...]:
    """Return ``shape`` as a tuple of positive ints, or raise."""
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, Iterable):
        raise ArgumentError(f"{name} must be a tuple of positive integers, got {describe(shape)}")
    dims = tuple(shape)
    for axis, size in enumerate(dims):
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
            raise ShapeError(
                f"{name} must contain positive integers, got {size!r} at position {axis} of {dims}"
            )
    return tuple(int(size) for size in dims)


def same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise `ShapeError` unless ``a`` and ``b`` have the same shape."""
    if a.shape != b.shape:
        raise ShapeError(f"{name_a} has shape {a.shape} but {name_b} has shape {b.shape}")


def as_generator(rng, name: str = "rng") -> np.random.Generator:
    """Return a Generator from a Generator or a non-negative int seed (never unseeded)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool) and rng >= 0:
        return np.random.default_rng(int(rng))
    raise ArgumentError(
        f"{name} must be a numpy.random.Generator or a non-negative int seed, got {describe(rng)}"
    )


def lookup(registry: dict, name, kind: str):
    """Return ``registry[name]`` or raise an error that lists the valid names."""
    if isinstance(name, str) and name in registry:
        return registry[name]
    valid = ", ".join(sorted(registry))
    raise ArgumentError(f"unknown {kind} {name!r}; valid names are: {valid}")


def gradient_pair(pair, parameters, name: str, where: str, avoid=()) -> tuple[np.ndarray, np.ndarray]:
    """``pair`` as ``(dW, db)`` if it can receive the gradients of ``parameters = (W, b)``.

    Each array must have its parameter's shape (else `ShapeError`) and dtype, be writeable,
    and share no memory with ``parameters`` or ``avoid`` (else `ArgumentError`).
    """
    if not isinstance(pair, (list, tuple)) or len(pair) != 2:
        raise ArgumentError(f"{name} must be a pair (dW, db) of arrays, got {describe(pair)}")
    for index, (array, target, what) in enumerate(zip(pair, parameters, "Wb")):
        label = f"{name}[{index}]"
        if not isinstance(array, np.ndarray):
            raise ArgumentError(f"{label} must be an array, got {describe(array)}")
        if array.shape != target.shape:
            raise ShapeError(f"{label} has shape {array.shape} but {where}'s {what} has shape {target.shape}")
        if array.dtype != target.dtype:
            raise ArgumentError(
                f"{label} has dtype {array.dtype} but {where}'s {what} has dtype {target.dtype}"
            )
        if not array.flags.writeable:
            raise ArgumentError(f"{label} must be a writeable array")
        if any(np.may_share_memory(array, p) for p in (*parameters, *avoid)):
            raise ArgumentError(f"{label} shares memory with a parameter; gradients need arrays of their own")
    return pair[0], pair[1]


def gradient_pairs(out, parameters: list) -> list:
    """``out`` as one checked `gradient_pair` per layer of ``parameters = [(W, b), ...]``."""
    if not isinstance(out, (list, tuple)):
        raise ArgumentError(f"out must be a list of (dW, db) pairs like backward's, got {describe(out)}")
    if len(out) != len(parameters):
        raise ShapeError(f"out must hold one (dW, db) pair per layer ({len(parameters)}), got {len(out)}")
    every = [array for pair in parameters for array in pair]
    for i, (pair, own) in enumerate(zip(out, parameters)):
        gradient_pair(pair, own, f"out[{i}]", f"layer {i}", every)
    return out
