"""Reference computations for the tests, independent of the code under test."""

from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp


def high_precision(expr, symbol, points, digits=50):
    """Evaluate a SymPy expression of one symbol at ``points`` with mpmath at ``digits``."""
    function = sp.lambdify(symbol, expr, "mpmath")
    with mpmath.workdps(digits):
        return np.array([float(function(mpmath.mpf(float(p)))) for p in np.ravel(points)])


def central_difference(f, x, h=1e-6):
    """Central differences of a scalar function of an array, one entry at a time."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = h * max(1.0, abs(x[index]))
        original = x[index]
        x[index] = original + step
        up = f(x)
        x[index] = original - step
        down = f(x)
        x[index] = original
        grad[index] = (up - down) / (2 * step)
    return grad


def relative_error(a, b, floor=1e-300):
    """Elementwise |a - b| / max(|a|, |b|, floor)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), floor)
