r"""Activation functions: each keeps its value, its derivative and its SymPy definition together.

Every elementwise activation is an `Activation` object ``f`` with

* ``f(z)`` -- the value, same shape and dtype as ``z`` (float32 stays float32);
* ``f.grad(z)`` -- the elementwise derivative $f'(z)$;
* ``f.expr(x)`` -- the SymPy expression of the symbol ``x`` that defines it.

The numeric forms are chosen so that no finite float32 or float64 input overflows or
warns under ``np.errstate(all="raise")``; NaN in gives NaN out. Conventions at kinks:
``relu.grad(0) == 0`` and ``leaky_relu.grad(0) == 0.01`` (the left derivative), which is
also what their SymPy ``Piecewise`` definitions give.

Examples
--------
>>> import nnspec as ns
>>> float(ns.sigmoid(0.0)), float(ns.sigmoid.grad(0.0))
(0.5, 0.25)
>>> float(ns.softplus(1000.0))
1000.0
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from ._validation import inexact_array, lookup
from .errors import ArgumentError, ShapeError

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "Softmax",
    "activation",
    "elu",
    "erf",
    "erfc",
    "gelu",
    "identity",
    "leaky_relu",
    "relu",
    "sigmoid",
    "softmax",
    "softplus",
    "tanh",
]

_erf_object = np.frompyfunc(math.erf, 1, 1)
_erfc_object = np.frompyfunc(math.erfc, 1, 1)


def _elementwise(function, z):
    array = np.asarray(z)
    result = np.asarray(function(array.astype(np.float64)), dtype=np.float64)
    return result.astype(array.dtype) if array.dtype.kind == "f" else result


def erf(z):
    """Elementwise error function (exact to double precision; ``math.erf`` per element)."""
    return _elementwise(_erf_object, z)


def erfc(z):
    """Elementwise complementary error function ``1 - erf(z)``, accurate in both tails."""
    return _elementwise(_erfc_object, z)


def _minus_abs(z: np.ndarray) -> np.ndarray:
    """``-|z|`` for real ``z``; for complex ``z`` the analytic branch chosen by the real part."""
    return np.where(z.real >= 0, -z, z)


def _propagate_nan(z: np.ndarray, result: np.ndarray) -> np.ndarray:
    """Put NaN wherever ``z`` is NaN (for derivatives that are constant on each piece)."""
    return np.where(np.isnan(z), z, result)


class Activation:
    """An elementwise activation: value, derivative and SymPy definition side by side.

    Subclasses implement ``_value(z)``, ``_grad(z)`` and ``_expr(x)`` on a validated
    floating (or, when ``complex_safe``, complex) array.

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
    """

    name = "activation"
    formula = ""
    smooth = True
    complex_safe = True
    elementwise = True

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

    #: Optional in-place form ``(z, out) -> out`` that allocates nothing (used in training).
    _value_into = None
    #: Optional ``(z, out, grad_out) -> out`` filling f(z) and f'(z) in one go (used by Dense).
    _value_and_grad_into = None

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

    def expr(self, x=None):
        """SymPy expression of ``f`` applied to ``x`` (a SymPy expression; default symbol ``x``)."""
        if x is None:
            x = sp.Symbol("x", real=True)
        if not isinstance(x, sp.Basic):
            raise ArgumentError(f"x must be a SymPy expression, got {type(x).__name__}")
        return self._expr(x)

    def __repr__(self) -> str:
        return f"nnspec.{self.name}"


class Identity(Activation):
    r"""$f(z) = z$, $f'(z) = 1$."""

    name, formula = "identity", "z"

    def _value(self, z):
        return z.copy()

    def _grad(self, z):
        return _propagate_nan(z, np.ones_like(z))

    def _value_into(self, z, out):
        np.copyto(out, z)
        return out

    def vjp(self, z, upstream, value=None, *, out=None):
        return upstream

    def _expr(self, x):
        return x


class Sigmoid(Activation):
    r"""$\sigma(z) = 1/(1 + e^{-z})$, $\sigma'(z) = \sigma(z)(1 - \sigma(z))$.

    Computed from $e = e^{-|z|} \in (0, 1]$: $1/(1+e)$ for $z \ge 0$ and
    $e/(1+e)$ otherwise, so no exponential overflows; the derivative is
    $e/(1+e)^2$, which keeps full relative precision in both tails.
    """

    name, formula = "sigmoid", r"\sigma(z) = \frac{1}{1 + e^{-z}}"

    def _value(self, z):
        e = np.exp(_minus_abs(z))
        return np.where(z.real >= 0, 1 / (1 + e), e / (1 + e))

    def _grad(self, z):
        e = np.exp(_minus_abs(z))
        return e / ((1 + e) * (1 + e))

    def _expr(self, x):
        return 1 / (1 + sp.exp(-x))


class Tanh(Activation):
    r"""$\tanh z$, with $\tanh'(z) = 1 - \tanh^2 z = 4e/(1+e)^2$, $e = e^{-2|z|}$.

    The second form keeps full relative precision where $1 - \tanh^2 z$ cancels.
    """

    name, formula = "tanh", r"\tanh z = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}"

    def _value(self, z):
        return np.tanh(z)

    def _value_into(self, z, out):
        return np.tanh(z, out=out)

    def _grad(self, z):
        e = np.exp(2 * _minus_abs(z))
        return 4 * e / ((1 + e) * (1 + e))

    def _expr(self, x):
        return sp.tanh(x)


class ReLU(Activation):
    r"""$\max(z, 0)$; derivative 1 for $z > 0$, 0 otherwise (``grad(0) == 0``)."""

    name, formula = "relu", r"\operatorname{relu}(z) = \max(z, 0)"
    smooth, complex_safe = False, False

    def _value(self, z):
        return np.maximum(z, 0)

    def _value_into(self, z, out):
        return np.maximum(z, 0, out=out)

    def _grad(self, z):
        return np.sign(np.maximum(z, 0))

    def vjp(self, z, upstream, value=None, *, out=None):
        # sign(relu(z)) is relu's derivative (1 or 0, NaN for NaN), computed without a temporary
        mask = np.sign(self(z) if value is None else value, out=out)
        return np.multiply(mask, upstream, out=mask)

    @staticmethod
    def _value_and_grad_into(z, out, grad_out):
        """Dense layers' fast path: ``grad_out = (z > 0)`` and ``out = z * grad_out``.

        Two cheap passes instead of ``maximum`` and, later, ``sign``. A NaN in ``z`` still gives
        NaN in ``out`` (NaN * 0), so it reaches the network's output, where the training step
        and the losses refuse it; its derivative entry is 0 here.
        """
        np.greater(z, 0, out=grad_out)
        return np.multiply(z, grad_out, out=out)

    def _expr(self, x):
        return sp.Piecewise((x, x > 0), (0, True))


class LeakyReLU(Activation):
    r"""$z$ for $z > 0$, else $0.01 z$; derivative 1 or 0.01 (``grad(0) == 0.01``)."""

    name, formula = "leaky_relu", r"\operatorname{leaky}(z) = \max(z, 0.01 z)"
    smooth, complex_safe = False, False
    slope = 0.01

    def _value(self, z):
        return np.where(z > 0, z, self.slope * z)

    def _grad(self, z):
        return self.slope + (1 - self.slope) * np.sign(np.maximum(z, 0))

    def _expr(self, x):
        return sp.Piecewise((x, x > 0), (sp.Rational(1, 100) * x, True))


class ELU(Activation):
    r"""$z$ for $z > 0$, else $\alpha(e^{z} - 1)$ with $\alpha = 1$.

    The derivative is 1 for $z > 0$ and $\alpha e^{z}$ otherwise; with
    $\alpha = 1$ both sides give 1 at 0, so ELU is continuously differentiable.
    """

    name, formula = (
        "elu",
        r"\operatorname{elu}(z) = \begin{cases} z & z > 0 \\ e^{z} - 1 & z \le 0 \end{cases}",
    )
    alpha = 1.0

    def _value(self, z):
        negative = np.where(z.real > 0, 0, z)
        return np.where(z.real > 0, z, self.alpha * np.expm1(negative))

    def _grad(self, z):
        negative = np.where(z.real > 0, 0, z)
        return np.where(z.real > 0, 1, self.alpha * np.exp(negative))

    def _expr(self, x):
        return sp.Piecewise((x, x > 0), (sp.exp(x) - 1, True))


class Softplus(Activation):
    r"""$\log(1 + e^{z}) = \max(z, 0) + \log(1 + e^{-|z|})$; derivative $\sigma(z)$."""

    name, formula = "softplus", r"\operatorname{softplus}(z) = \log\left(1 + e^{z}\right)"

    def _value(self, z):
        positive_part = np.where(z.real > 0, z, 0)
        return positive_part + np.log1p(np.exp(_minus_abs(z)))

    def _grad(self, z):
        return sigmoid._value(z)

    def _expr(self, x):
        return sp.log(1 + sp.exp(x))


class GELU(Activation):
    r"""Exact GELU: $z\,\Phi(z) = \tfrac{z}{2}\left(1 + \operatorname{erf}(z/\sqrt{2})\right)$.

    Computed as $\tfrac{z}{2}\operatorname{erfc}(-z/\sqrt 2)$, accurate in both tails.
    The derivative is $\Phi(z) + z\,\varphi(z)$ with $\varphi$ the standard
    normal density (Hendrycks & Gimpel 2016).
    """

    name, formula = (
        "gelu",
        r"\operatorname{gelu}(z) = z\,\Phi(z) = \frac{z}{2}\left(1 + \operatorname{erf}\frac{z}{\sqrt 2}\right)",
    )
    complex_safe = False

    def _value(self, z):
        cdf = 0.5 * erfc(-z / math.sqrt(2))
        finite = np.isfinite(z)
        return np.where(finite, np.where(finite, z, 0) * cdf, np.maximum(z, 0))

    def _grad(self, z):
        cdf = 0.5 * erfc(-z / math.sqrt(2))
        clipped = np.clip(z, -40, 40)
        density = np.exp(-0.5 * clipped * clipped) / math.sqrt(2 * math.pi)
        return cdf + clipped * density

    def _expr(self, x):
        return x / 2 * (1 + sp.erf(x / sp.sqrt(2)))


class Softmax(Activation):
    r"""Softmax along ``axis``: $s_i = e^{z_i - m} / \sum_j e^{z_j - m}$, $m = \max_j z_j$.

    Subtracting the row maximum changes nothing mathematically and keeps every
    exponential in $(0, 1]$. Not elementwise: use `jacobian` or `vjp`.
    """

    name, formula = "softmax", r"\operatorname{softmax}(z)_i = \frac{e^{z_i}}{\sum_j e^{z_j}}"
    elementwise = False

    def __call__(self, z, axis=-1, *, out=None):
        """Softmax of ``z`` along ``axis``; same shape and dtype, entries in [0, 1] summing to 1."""
        array = self._check(z)
        if array.ndim == 0:
            raise ShapeError("z must have at least one axis for softmax, got a scalar")
        shift = np.max(array.real, axis=axis, keepdims=True)
        if np.isneginf(shift).any():
            raise ArgumentError("z has a row that is entirely -inf, where softmax is undefined")
        infinite_row = np.isposinf(shift)
        safe = np.where(infinite_row, 0, array)
        with np.errstate(under="ignore"):
            exps = np.exp(safe - np.where(infinite_row, 0, shift))
        if infinite_row.any():
            # The limit puts equal mass on the +inf entries of the row and none elsewhere.
            exps = np.where(infinite_row, np.isposinf(array.real).astype(array.dtype), exps)
        result = exps / np.sum(exps, axis=axis, keepdims=True)
        if out is None:
            return result
        np.copyto(out, result)
        return out

    def grad(self, z, *, out=None):
        raise ArgumentError("softmax is not elementwise: use softmax.jacobian(z) or softmax.vjp(z, upstream)")

    def jacobian(self, z):
        r"""Jacobian $J_{ij} = s_i(\delta_{ij} - s_j)$ of the last axis.

        Parameters
        ----------
        z : array, shape (k,) or (batch, k)

        Returns
        -------
        array, shape (k, k) or (batch, k, k)
        """
        s = self(z)
        if s.ndim not in (1, 2):
            raise ShapeError(f"z must have shape (k,) or (batch, k), got {s.shape}")
        diagonal = s[..., :, None] * np.eye(s.shape[-1], dtype=s.dtype)
        return diagonal - s[..., :, None] * s[..., None, :]

    def vjp(self, z, upstream, value=None, *, out=None):
        r"""dL/dz from dL/ds along the last axis: $s \odot (g - \langle g, s\rangle)$."""
        s = self(z) if value is None else value
        return np.multiply(s, upstream - np.sum(upstream * s, axis=-1, keepdims=True), out=out)

    def expr(self, xs=None):
        """List of SymPy expressions ``[exp(x_i) / sum_j exp(x_j)]`` (default symbols x0, x1, x2)."""
        if xs is None:
            xs = sp.symbols("x0:3", real=True)
        xs = list(xs)
        if not xs or not all(isinstance(x, sp.Basic) for x in xs):
            raise ArgumentError("xs must be a non-empty sequence of SymPy expressions")
        total = sum(sp.exp(x) for x in xs)
        return [sp.exp(x) / total for x in xs]


identity = Identity()
sigmoid = Sigmoid()
tanh = Tanh()
relu = ReLU()
leaky_relu = LeakyReLU()
elu = ELU()
softplus = Softplus()
gelu = GELU()
softmax = Softmax()

ACTIVATIONS = {f.name: f for f in (identity, sigmoid, tanh, relu, leaky_relu, elu, softplus, gelu, softmax)}


def activation(name) -> Activation:
    """Return the activation called ``name`` (an `Activation` is returned as is).

    Raises
    ------
    ArgumentError
        For an unknown name; the message lists the valid names.
    """
    if isinstance(name, Activation):
        return name
    return lookup(ACTIVATIONS, name, "activation")
