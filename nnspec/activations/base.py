r"""The `Activation` base class shared by the elementwise activations and softmax (internal).

Public as `nnspec.activations.Activation`.
"""

from __future__ import annotations

import numpy as np

from .._validation import inexact_array
from ..errors import ArgumentError

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
    from `nnspec.expressions.sympy_activations` by ``name`` and ``parameters``; a subclass written
    elsewhere overrides ``_expr(x)`` instead.

    Layers use two unchecked fast paths, `value_into` and `value_and_grad_into`, which a
    subclass may override to avoid temporaries (``fused = True`` says the second one is
    worth calling: a layer then keeps $f'(Z)$ from its forward pass).

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

    #: True when `value_and_grad_into` is cheaper than `value_into` now and `grad` later.
    fused = False

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
        if out is not None:
            return self.value_into(array, out)
        return self._evaluate(self._value, array, out)

    def value_into(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        """$f(z)$ written into ``out``, which is returned; no input checks.

        The caller guarantees that ``z`` is a floating ndarray (complex only when
        ``complex_safe``) and ``out`` an array of its shape. Overridden to allocate
        nothing where numpy allows (``np.tanh(z, out=out)``).
        """
        return self._evaluate(self._value, z, out)

    def value_and_grad_into(self, z: np.ndarray, out: np.ndarray, grad_out: np.ndarray) -> np.ndarray:
        """$f(z)$ into ``out`` and $f'(z)$ into ``grad_out``; returns ``out``; no input checks.

        The caller guarantees what `value_into` needs, with ``grad_out`` of the same shape
        and dtype; ``out`` may be ``z`` itself (overwritten). Where ``z`` is NaN, ``out`` is
        NaN and ``grad_out`` unspecified. Activations with ``fused = True`` compute both in
        one pass (ReLU, GELU); this default computes $f'$ first, then $f$.

        Examples
        --------
        >>> z = np.array([-1.0, 2.0])
        >>> value, grad = np.empty(2), np.empty(2)
        >>> ns.relu.value_and_grad_into(z, value, grad) is value, value.tolist() == [0, 2], grad.tolist()
        (True, True, [0.0, 1.0])
        """
        self._evaluate(self._grad, z, grad_out)
        return self.value_into(z, out)

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
        from ..expressions.sympy_activations import expression

        return expression(self.name, x, **self.parameters)

    def __repr__(self) -> str:
        if type(self).__module__.startswith("nnspec."):
            return f"nnspec.{self.name}"
        return f"<{type(self).__qualname__} activation {self.name!r}>"  # a user's subclass
