"""Parameters of the parameterized activations: defaults, validation, exact values (internal).

Both sides of an activation read its parameters from here: the numeric one
(`nnspec.activations`, numpy) and the symbolic one (`nnspec.expressions.sympy_activations`,
SymPy). This module imports neither, so each side can load without the other.

A parameter is stored as a float (what the numeric side computes with); the symbolic side
uses `exact`, the shortest decimal that rounds to that float, so ``slope=0.2`` is $1/5$
in SymPy and ``0.2`` in numpy.
"""

from __future__ import annotations

import math
import numbers
from fractions import Fraction

from .errors import ArgumentError

__all__ = ["ELU_ALPHA", "LEAKY_RELU_SLOPE", "alpha", "exact", "slope"]

#: Default negative-side slope of leaky ReLU (Maas et al. 2013; PyTorch's default).
LEAKY_RELU_SLOPE = 0.01
#: Default scale of ELU's negative side, which makes ELU continuously differentiable.
ELU_ALPHA = 1.0


def _real(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ArgumentError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ArgumentError(f"{name} must be finite, got {number!r}")
    return number


def slope(value) -> float:
    """Leaky ReLU's negative-side slope as a float: any finite real number."""
    return _real(value, "slope")


def alpha(value) -> float:
    """ELU's negative-side scale as a float: a finite number > 0."""
    number = _real(value, "alpha")
    if number <= 0:
        raise ArgumentError(f"alpha must be > 0, got {number!r}")
    return number


def exact(value: float) -> Fraction:
    """The shortest decimal that rounds to ``value``, as an exact fraction (0.01 -> 1/100)."""
    return Fraction(repr(float(value)))
