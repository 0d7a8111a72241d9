r"""The numbers behind the cross-entropies (internal; the API is `nnspec.losses`).

Clipping probabilities to $[\epsilon, 1-\epsilon]$, the stable forms from logits
(softplus and logsumexp), and the checks that probability inputs lie in $[0, 1]$ and
(categorical) sum to 1 per row. `nnspec.losses` binds these to its `Loss` classes, which add
the argument checks, the reductions' documentation and the SymPy definitions.
"""

from __future__ import annotations

import numpy as np

from .activations import sigmoid, softmax, softplus
from .errors import ArgumentError, ShapeError

__all__ = [
    "EPSILON",
    "binary_grad",
    "binary_grad_logits",
    "binary_value",
    "binary_value_logits",
    "categorical_grad",
    "categorical_grad_logits",
    "categorical_value",
    "categorical_value_grad_logits",
    "categorical_value_logits",
    "check_rows",
    "in_unit_interval",
]

#: The clip of probabilities per dtype (Keras's 1e-7 for float32; 1e-12 for float64).
EPSILON = {np.dtype(np.float32): 1e-7, np.dtype(np.float64): 1e-12}


def _epsilon(dtype) -> float:
    return EPSILON.get(np.dtype(dtype), EPSILON[np.dtype(np.float64)])


def _clip_probabilities(p: np.ndarray, eps: float) -> np.ndarray:
    """``p`` clipped to [eps, 1 - eps]; complex ``p`` (complex step) is compared by its real part
    and passes unchanged where the clip is inactive, so the imaginary part survives."""
    if p.dtype.kind != "c":
        return np.clip(p, eps, 1 - eps)
    return np.where((p.real >= eps) & (p.real <= 1 - eps), p, np.clip(p.real, eps, 1 - eps))


def _last_axis_max(a: np.ndarray) -> np.ndarray:
    """``a.max(axis=-1, keepdims=True)`` for real ``a``; the reduction runs across rows.

    numpy reduces a short last axis row by row, which for a (256, 10) batch costs several
    times more than reducing the transposed copy down its first axis (one vectorized pass).
    """
    rows = a.reshape(-1, a.shape[-1])
    return np.maximum.reduce(np.ascontiguousarray(rows.T), axis=0).reshape(*a.shape[:-1], 1)


def _last_axis_sum(a: np.ndarray) -> np.ndarray:
    """``a.sum(axis=-1, keepdims=True)`` as a matrix-vector product with ones (BLAS)."""
    return np.matmul(a, np.ones(a.shape[-1], a.dtype))[..., None]


def _batch(array: np.ndarray) -> int:
    """Rows of a categorical batch: 1 for a single row of shape (k,)."""
    return 1 if array.ndim == 1 else array.size // array.shape[-1]


def in_unit_interval(array: np.ndarray, name: str, what: str) -> None:
    """Raise `ArgumentError` naming the first entry of ``array`` outside [0, 1]."""
    real = array.real
    if np.any((real < 0) | (real > 1)):
        index = tuple(int(i) for i in np.argwhere((real < 0) | (real > 1))[0])
        raise ArgumentError(f"{name} must hold {what} in [0, 1], got {real[index]} at index {index}")


def check_rows(array: np.ndarray, name: str, what: str) -> None:
    """Categorical rows: a class axis, entries in [0, 1], each row summing to 1."""
    if array.ndim == 0:
        raise ShapeError(f"{name} must have a class axis (shape (k,) or (batch, k)), got a scalar")
    in_unit_interval(array, name, what)
    sums = np.sum(array.real, axis=-1)
    tolerance = 1e-4 if array.dtype == np.float32 else 1e-6
    wrong = np.abs(sums - 1) > tolerance
    if np.any(wrong):
        row = tuple(int(i) for i in np.argwhere(np.atleast_1d(wrong))[0])
        raise ArgumentError(
            f"each row of {name} must sum to 1 ({what}); row {row} sums to {np.atleast_1d(sums)[row]:.8g}"
        )


def binary_value(y, p):
    r"""$-\frac1n\sum_i y_i\log q_i + (1-y_i)\log(1-q_i)$, $q$ the clipped $p$."""
    q = _clip_probabilities(p, _epsilon(p.dtype))
    return -np.sum(y * np.log(q) + (1 - y) * np.log1p(-q)) / p.size


def binary_grad(y, p):
    r"""$(q - y) / (q(1-q)\,n)$ where the clip is inactive, 0 where it is."""
    eps = _epsilon(p.dtype)
    inside = (p.real >= eps) & (p.real <= 1 - eps)
    q = _clip_probabilities(p, eps)
    return np.where(inside, (q - y) / (q * (1 - q)), 0) / p.size


def binary_value_logits(y, z):
    r"""$\frac1n\sum_i \operatorname{softplus}(z_i) - z_i y_i$."""
    return np.sum(softplus(z) - z * y) / z.size


def binary_grad_logits(y, z):
    r"""$(\sigma(z) - y)/n$."""
    return (sigmoid(z) - y) / z.size


def categorical_value(y, p):
    r"""$-\frac1B\sum_b\sum_i y_{bi}\log q_{bi}$, $q$ the clipped $p$."""
    return -np.sum(y * np.log(_clip_probabilities(p, _epsilon(p.dtype)))) / _batch(p)


def categorical_grad(y, p):
    r"""$-y/(q B)$ where the clip is inactive, 0 where it is."""
    eps = _epsilon(p.dtype)
    inside = (p.real >= eps) & (p.real <= 1 - eps)
    return np.where(inside, -y / _clip_probabilities(p, eps), 0) / _batch(p)


def categorical_value_logits(y, z):
    r"""$\frac1B\sum_b \operatorname{logsumexp}(z_b)\sum_i y_{bi} - \sum_i y_{bi} z_{bi}$."""
    shift = np.max(z.real, axis=-1, keepdims=True)
    logsumexp = shift + np.log(np.sum(np.exp(z - shift), axis=-1, keepdims=True))
    weighted = np.sum(logsumexp * np.sum(y, axis=-1, keepdims=True)) - np.sum(y * z)
    return weighted / _batch(z)


def categorical_grad_logits(y, z):
    r"""$(\operatorname{softmax}(z)\sum_i y_i - y)/B$."""
    return (softmax(z) * np.sum(y, axis=-1, keepdims=True) - y) / _batch(z)


def categorical_value_grad_logits(y, z):
    """Both of the above from one exponential: softmax(z) = e / sum(e), logsumexp(z) = m + log(sum(e)).

    Written to keep a single (batch, k) temporary alive at a time.
    """
    shift = _last_axis_max(z.real)
    exps = np.exp(np.subtract(z, shift))
    total = _last_axis_sum(exps)
    mass = _last_axis_sum(y)
    batch = _batch(z)
    value = (np.vdot(shift + np.log(total), mass) - np.vdot(y, z)) / batch
    exps *= mass / total
    exps -= y
    exps /= batch
    return value, exps
