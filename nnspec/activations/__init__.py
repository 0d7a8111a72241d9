r"""Activation functions: each keeps its value, its derivative and its SymPy definition together.

Every elementwise activation is an `Activation` object ``f`` with

* ``f(z)`` -- the value, same shape and dtype as ``z`` (float32 stays float32);
* ``f.grad(z)`` -- the elementwise derivative $f'(z)$;
* ``f.expr(x)`` -- the SymPy expression of the symbol ``x`` that defines it (SymPy is
  imported on this first use; the definitions live in `nnspec.expressions.sympy_activations`).

The numeric forms are chosen so that no finite float32 or float64 input overflows or
warns under ``np.errstate(all="raise")``; NaN in gives NaN out. Conventions at kinks:
``relu.grad(0) == 0`` and ``leaky_relu.grad(0) == 0.01`` (the left derivative), which is
also what their SymPy ``Piecewise`` definitions give.

Leaky ReLU and ELU take a parameter, as in Keras and PyTorch: ``LeakyReLU(slope=0.2)``,
``ELU(alpha=0.5)``. Its one attribute gives the value, ``.grad`` and ``.expr``;
``leaky_relu`` and ``elu`` are the defaults (slope 0.01, alpha 1).

Examples
--------
>>> import nnspec as ns
>>> float(ns.sigmoid(0.0)), float(ns.sigmoid.grad(0.0))
(0.5, 0.25)
>>> float(ns.softplus(1000.0))
1000.0
>>> import sympy as sp
>>> leaky, x = ns.LeakyReLU(slope=0.2), sp.Symbol("x", real=True)
>>> float(leaky(-5.0)), float(leaky.grad(-5.0)), leaky.expr(x).subs(x, -5) == -1
(-1.0, 0.2, True)
"""

from __future__ import annotations

import numpy as np

from .._validation import lookup
from .base import Activation, minus_abs, propagate_nan
from .erf import chunks, erf, erfc, normal_cdf_and_density
from .piecewise import ELU, LeakyReLU, ReLU
from .softmax import Softmax

__all__ = [
    "ACTIVATIONS",
    "ELU",
    "Activation",
    "LeakyReLU",
    "ReLU",
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


class Identity(Activation):
    r"""Identity: $f(z) = z$, $f'(z) = 1$ (the output layer of a regression).

    Shapes: ``f(z)`` and ``f.grad(z)`` take floating ``z`` of any shape (complex too, for complex-step checks) and return
    an array of that shape and dtype; Python numbers become float64.

    Examples
    --------
    >>> ns.identity(np.array([-2.0, 3.0])).tolist(), ns.identity.grad(np.array([-2.0, 3.0])).tolist()
    ([-2.0, 3.0], [1.0, 1.0])
    """

    name, formula = "identity", "z"

    def _value(self, z):
        return z.copy()

    def _grad(self, z):
        return propagate_nan(z, np.ones_like(z))

    def value_into(self, z, out):
        np.copyto(out, z)
        return out

    def vjp(self, z, upstream, value=None, *, out=None):
        return upstream


class Sigmoid(Activation):
    r"""$\sigma(z) = 1/(1 + e^{-z})$, $\sigma'(z) = \sigma(z)(1 - \sigma(z))$.

    Computed from $e = e^{-|z|} \in (0, 1]$: $1/(1+e)$ for $z \ge 0$ and
    $e/(1+e)$ otherwise, so no exponential overflows; the derivative is
    $e/(1+e)^2$, which keeps full relative precision in both tails.

    Shapes: ``f(z)`` and ``f.grad(z)`` take floating ``z`` of any shape (complex too, for complex-step checks) and return
    an array of that shape and dtype; Python numbers become float64.

    Examples
    --------
    >>> ns.sigmoid(np.array([0.0, -1000.0])).tolist(), float(ns.sigmoid.grad(0.0))
    ([0.5, 0.0], 0.25)
    """

    name, formula = "sigmoid", r"\sigma(z) = \frac{1}{1 + e^{-z}}"

    def _value(self, z):
        e = np.exp(minus_abs(z))
        return np.where(z.real >= 0, 1 / (1 + e), e / (1 + e))

    def _grad(self, z):
        e = np.exp(minus_abs(z))
        return e / ((1 + e) * (1 + e))


class Tanh(Activation):
    r"""$\tanh z$, with $\tanh'(z) = 1 - \tanh^2 z = 4e/(1+e)^2$, $e = e^{-2|z|}$.

    The second form keeps full relative precision where $1 - \tanh^2 z$ cancels.

    Shapes: ``f(z)`` and ``f.grad(z)`` take floating ``z`` of any shape (complex too, for complex-step checks) and return
    an array of that shape and dtype; Python numbers become float64.

    Examples
    --------
    >>> float(ns.tanh(0.0)), float(ns.tanh.grad(0.0)), bool(ns.tanh.grad(20.0) > 0)
    (0.0, 1.0, True)
    """

    name, formula = "tanh", r"\tanh z = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}"

    def _value(self, z):
        return np.tanh(z)

    def value_into(self, z, out):
        return np.tanh(z, out=out)

    def _grad(self, z):
        with np.errstate(over="ignore"):  # 2|z| beyond the largest float is -inf, and e^-inf = 0
            e = np.exp(2 * minus_abs(z))
        return 4 * e / ((1 + e) * (1 + e))


class Softplus(Activation):
    r"""Softplus: $\log(1 + e^{z}) = \max(z, 0) + \log(1 + e^{-|z|})$; derivative $\sigma(z)$.

    The second form never overflows and keeps full precision for large $|z|$.

    Shapes: ``f(z)`` and ``f.grad(z)`` take floating ``z`` of any shape (complex too, for complex-step checks) and return
    an array of that shape and dtype; Python numbers become float64.

    Examples
    --------
    >>> float(ns.softplus(1000.0)), float(ns.softplus.grad(0.0))
    (1000.0, 0.5)
    """

    name, formula = "softplus", r"\operatorname{softplus}(z) = \log\left(1 + e^{z}\right)"

    def _value(self, z):
        positive_part = np.where(z.real > 0, z, 0)
        return positive_part + np.log1p(np.exp(minus_abs(z)))

    def _grad(self, z):
        # sigmoid's class is defined in this module: its unchecked value is a friend's hook
        return sigmoid._value(z)  # noqa: SLF001


class GELU(Activation):
    r"""Exact GELU: $z\,\Phi(z) = \tfrac{z}{2}\left(1 + \operatorname{erf}(z/\sqrt{2})\right)$.

    The derivative is $\Phi(z) + z\,\varphi(z)$ with $\varphi$ the standard normal density
    (Hendrycks & Gimpel 2016). $\Phi$ and $\varphi$ come from `nnspec.activations.erf`, exact to
    rounding in both tails (SciPy's ``erfcx`` with an exactly split $e^{-z^2/2}$), so
    ``gelu(-30)`` keeps full relative precision. Near $z \approx -0.75$, where $f'$ crosses 0,
    the sum $\Phi + z\varphi$ cancels and $f'$ is exact to rounding of its two terms.

    Shapes: ``f(z)`` and ``f.grad(z)`` take floating ``z`` of any shape and return
    an array of that shape and dtype; Python numbers become float64.

    Examples
    --------
    >>> float(ns.gelu(0.0)), float(ns.gelu.grad(0.0)), float(ns.gelu(-30.0))
    (0.0, 0.5, -1.472014178144456e-196)
    """

    name, formula = (
        "gelu",
        r"\operatorname{gelu}(z) = z\,\Phi(z) = \frac{z}{2}\left(1 + \operatorname{erf}\frac{z}{\sqrt 2}\right)",
    )
    complex_safe = False

    @staticmethod
    def _parts(z, value, grad):
        """f(z) into ``value`` and f'(z) into ``grad`` (either may be None), chunk by chunk.

        ``z``, ``value`` and ``grad`` are C-contiguous with one shape; ``value`` may be ``z``.
        """
        flat = z.reshape(-1)
        outs = [None if a is None else a.reshape(-1) for a in (value, grad)]
        big = np.finfo(np.float64).max
        with np.errstate(under="ignore"):
            for piece in chunks(flat.size):
                zc = flat[piece]
                cdf, density = normal_cdf_and_density(zc)
                if outs[1] is not None:
                    density *= np.clip(zc, -40, 40)
                    density += cdf
                    outs[1][piece] = density
                if outs[0] is not None:  # -inf * 0 would be NaN: the limits are 0 and +inf
                    cdf *= np.clip(zc, -big, big)
                    outs[0][piece] = np.where(np.isfinite(zc), cdf, np.maximum(zc, 0))

    def _value(self, z):
        z = z if z.flags.c_contiguous else z.copy()
        value = np.empty(z.shape, np.float64)
        self._parts(z, value, None)
        return value

    def _grad(self, z):
        z = z if z.flags.c_contiguous else z.copy()
        grad = np.empty(z.shape, np.float64)
        self._parts(z, None, grad)
        return grad

    fused = True

    def value_and_grad_into(self, z, out, grad_out):
        r"""f(z) into ``out`` (which may be ``z``) and f'(z) into ``grad_out``, sharing
        $\Phi$ and $\varphi$ between them (see `Activation.value_and_grad_into`)."""
        if all(a.flags.c_contiguous for a in (z, out, grad_out)):
            self._parts(z, out, grad_out)
        else:
            np.copyto(grad_out, self._grad(z))
            np.copyto(out, self._value(z))
        return out


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
