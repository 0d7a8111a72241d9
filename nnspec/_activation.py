r"""The `Activation` base class shared by the elementwise activations and softmax (internal).

Public as `nnspec.activations.Activation`.
"""

from __future__ import annotations

import numpy as np

from ._validation import inexact_array
from .errors import ArgumentError

__all__ = ["Activation", "minus_abs", "propagate_nan"]


def minus_abs(z: np.ndarray) -> np.ndarray:
    """``-|z|`` for real ``z``; for complex ``z`` the analytic branch chosen by the real part."""
    return np.where(z.real >= 0, -z, z)


def propagate_nan(z: np.ndarray, result: np.ndarray) -> np.ndarray:
    """Put NaN wherever ``z`` is NaN (for derivatives that are constant on each piece)."""
    return np.where(np.isnan(z), z, result)


class Activation:
    r"""An elementwise activation: value, derivative and SymPy definition side by side.

    Subclasses implement ``_value(z)`` and ``_grad(z)`` on a validated floating (or, when
    ``complex_safe``, complex) array. nnspec's own activations take their SymPy definition
    from `nnspec._sympy_activations` by ``name`` and ``parameters``; a subclass written
    elsewhere overrides ``_expr(x)`` instead.

    Attributes
    ----------
    name : str
        Registry name, e.g. ``"tanh"``.
    formula : str
        LaTeX of $f(z)$.
    smooth : bool
        True when $f'$ is continuous (finite differences then converge at O(h^2)).
    complex_safe : bool
        True when ``f`` is analytic, so complex-step differentiation is valid.
    parameters : dict
        ``{name: float}`` of its parameters (leaky ReLU's ``slope``, ELU's ``alpha``).

    Examples
    --------
    >>> class Square(ns.Activation):
    ...     name, formula = "square", "z^2"
    ...     def _value(self, z):
    ...         return z * z
    ...     def _grad(self, z):
    ...         return 2 * z
    ...     def _expr(self, x):
    ...         return x**2
    >>> import sympy as sp
    >>> square, x = Square(), sp.Symbol("x", real=True)
    >>> float(square(3.0)), float(square.grad(3.0)), sp.diff(square.expr(x), x) - 2 * x == 0
    (9.0, 6.0, True)
    """

    name = "activation"
    formula = ""
    smooth = True
    complex_safe = True
    elementwise = True

    #: Optional in-place form ``(z, out) -> out`` that allocates nothing (used in training).
    _value_into = None
    #: Optional ``(z, out, grad_out) -> out`` filling f(z) and f'(z) in one go (used by Dense).
    _value_and_grad_into = None

    def _check(self, z) -> np.ndarray:
        array = inexact_array(z, "z")
        if array.dtype.kind == "c" and not self.complex_safe:
            raise ArgumentError(
                f"{self.name} is not complex-analytic, so z must be real; got dtype {array.dtype}. "
                "Complex-step checks need smooth activations (tanh, sigmoid, softplus, identity)."
            )
        return array

    def __call__(self, z, *, out=None):
        """Value $f(z)$, elementwise; shape and dtype of ``z`` (written into ``out`` if given)."""
        array = self._check(z)
        if out is not None and self._value_into is not None:
            return self._value_into(array, out)
        return self._evaluate(self._value, array, out)

    def grad(self, z, *, out=None):
        """Derivative $f'(z)$, elementwise; shape and dtype of ``z``."""
        return self._evaluate(self._grad, self._check(z), out)

    @staticmethod
    def _evaluate(compute, array, out):
        """``compute(array)`` in the dtype of ``array`` (underflow to 0 is not an error)."""
        with np.errstate(under="ignore"):
            result = np.asarray(compute(array), dtype=array.dtype)
        if out is None:
            return result
        np.copyto(out, result)
        return out

    def vjp(self, z, upstream, value=None, *, out=None):
        """Backpropagate ``upstream`` (dL/df) through f at ``z``: dL/dz = upstream * f'(z).

        ``value`` may pass f(z) when it is already known; ``out`` may receive the result.
        """
        return np.multiply(upstream, self.grad(z), out=out)

    @property
    def parameters(self) -> dict:
        """``{name: value}`` of the activation's parameters (empty for most)."""
        return {}

    def expr(self, x=None):
        """SymPy expression of ``f`` applied to ``x`` (a SymPy expression; default symbol ``x``).

        SymPy is imported here, on first use, so numeric use of nnspec never loads it.
        """
        import sympy as sp

        if x is None:
            x = sp.Symbol("x", real=True)
        if not isinstance(x, sp.Basic):
            raise ArgumentError(f"x must be a SymPy expression, got {type(x).__name__}")
        return self._expr(x)

    def _expr(self, x):
        """nnspec's SymPy definition of the activation called ``name``, with its parameters."""
        from ._sympy_activations import expression

        return expression(self.name, x, **self.parameters)

    def __repr__(self) -> str:
        return f"nnspec.{self.name}"
