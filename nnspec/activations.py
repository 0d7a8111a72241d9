r"""Activation functions: each keeps its value, its derivative and its SymPy definition together.

Every elementwise activation is an `Activation` object ``f`` with

* ``f(z)`` -- the value, same shape and dtype as ``z`` (float32 stays float32);
* ``f.grad(z)`` -- the elementwise derivative $f'(z)$;
* ``f.expr(x)`` -- the SymPy expression of the symbol ``x`` that defines it (SymPy is
  imported on this first use; the definitions live in `nnspec._sympy_activations`).

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

from . import _activation_parameters as parameters
from ._activation import Activation, minus_abs, propagate_nan
from ._erf import erf, erfc, normal_cdf_and_density
from ._softmax import Softmax
from ._validation import lookup

__all__ = [
    "ACTIVATIONS",
    "ELU",
    "Activation",
    "LeakyReLU",
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
    r"""$f(z) = z$, $f'(z) = 1$."""

    name, formula = "identity", "z"

    def _value(self, z):
        return z.copy()

    def _grad(self, z):
        return propagate_nan(z, np.ones_like(z))

    def _value_into(self, z, out):
        np.copyto(out, z)
        return out

    def vjp(self, z, upstream, value=None, *, out=None):
        return upstream


class Sigmoid(Activation):
    r"""$\sigma(z) = 1/(1 + e^{-z})$, $\sigma'(z) = \sigma(z)(1 - \sigma(z))$.

    Computed from $e = e^{-|z|} \in (0, 1]$: $1/(1+e)$ for $z \ge 0$ and
    $e/(1+e)$ otherwise, so no exponential overflows; the derivative is
    $e/(1+e)^2$, which keeps full relative precision in both tails.
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
    """

    name, formula = "tanh", r"\tanh z = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}"

    def _value(self, z):
        return np.tanh(z)

    def _value_into(self, z, out):
        return np.tanh(z, out=out)

    def _grad(self, z):
        e = np.exp(2 * minus_abs(z))
        return 4 * e / ((1 + e) * (1 + e))


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


class _Parameterized(Activation):
    """An activation with parameters: equal (and hashed) by class and parameter values."""

    def __eq__(self, other):
        return type(other) is type(self) and other.parameters == self.parameters

    def __hash__(self):
        return hash((type(self), tuple(self.parameters.items())))

    def __repr__(self) -> str:
        if self == type(self)():
            return f"nnspec.{self.name}"
        values = ", ".join(f"{name}={value!r}" for name, value in self.parameters.items())
        return f"nnspec.{type(self).__name__}({values})"


class LeakyReLU(_Parameterized):
    r"""Leaky ReLU: $z$ for $z > 0$, else $a z$; derivative 1, else $a$ (``grad(0) == a``).

    Parameters
    ----------
    slope : float, default 0.01
        $a$, any finite number (PyTorch's ``negative_slope``; Maas et al. 2013 used 0.01).

    Examples
    --------
    >>> leaky = ns.LeakyReLU(slope=0.2)
    >>> leaky(np.array([-2.0, 0.0, 3.0])).tolist(), leaky.grad(np.array([-2.0, 0.0, 3.0])).tolist()
    ([-0.4, 0.0, 3.0], [0.2, 0.2, 1.0])
    """

    name, formula = "leaky_relu", r"\operatorname{leaky}(z) = \max(z, a z)"
    smooth, complex_safe = False, False

    def __init__(self, slope=parameters.LEAKY_RELU_SLOPE):
        self._slope = parameters.slope(slope)

    @property
    def slope(self) -> float:
        """$a$, the slope for $z \\le 0$ (read-only: make a new `LeakyReLU` to change it)."""
        return self._slope

    @property
    def parameters(self) -> dict:
        return {"slope": self._slope}

    def _value(self, z):
        return np.where(z > 0, z, self._slope * z)

    def _grad(self, z):
        return self._slope + (1 - self._slope) * np.sign(np.maximum(z, 0))


class ELU(_Parameterized):
    r"""ELU: $z$ for $z > 0$, else $\alpha(e^{z} - 1)$ (Clevert et al. 2016).

    The derivative is 1 for $z > 0$ and $\alpha e^{z}$ otherwise (so ``grad(0) == alpha``);
    with $\alpha = 1$ both sides give 1 at 0, and ELU is continuously differentiable.

    Parameters
    ----------
    alpha : float, default 1.0
        $\alpha > 0$, the magnitude of the negative saturation value.

    Examples
    --------
    >>> soft = ns.ELU(alpha=0.5)
    >>> float(soft(-np.inf)), float(soft.grad(0.0)), soft.smooth
    (-0.5, 0.5, False)
    """

    name, formula = (
        "elu",
        r"\operatorname{elu}(z) = \begin{cases} z & z > 0 \\ \alpha(e^{z} - 1) & z \le 0 \end{cases}",
    )

    def __init__(self, alpha=parameters.ELU_ALPHA):
        self._alpha = parameters.alpha(alpha)

    @property
    def alpha(self) -> float:
        r"""$\alpha$ (read-only: make a new `ELU` to change it)."""
        return self._alpha

    @property
    def parameters(self) -> dict:
        return {"alpha": self._alpha}

    @property
    def smooth(self) -> bool:
        """True only for alpha = 1, where both one-sided derivatives at 0 are 1."""
        return self._alpha == 1

    def _value(self, z):
        negative = np.where(z.real > 0, 0, z)
        return np.where(z.real > 0, z, self._alpha * np.expm1(negative))

    def _grad(self, z):
        negative = np.where(z.real > 0, 0, z)
        return np.where(z.real > 0, 1, self._alpha * np.exp(negative))


class Softplus(Activation):
    r"""$\log(1 + e^{z}) = \max(z, 0) + \log(1 + e^{-|z|})$; derivative $\sigma(z)$."""

    name, formula = "softplus", r"\operatorname{softplus}(z) = \log\left(1 + e^{z}\right)"

    def _value(self, z):
        positive_part = np.where(z.real > 0, z, 0)
        return positive_part + np.log1p(np.exp(minus_abs(z)))

    def _grad(self, z):
        return sigmoid._value(z)


class GELU(Activation):
    r"""Exact GELU: $z\,\Phi(z) = \tfrac{z}{2}\left(1 + \operatorname{erf}(z/\sqrt{2})\right)$.

    The derivative is $\Phi(z) + z\,\varphi(z)$ with $\varphi$ the standard normal density
    (Hendrycks & Gimpel 2016). $\Phi$ and $\varphi$ come from `nnspec._erf`, exact to
    rounding in both tails (SciPy's ``erfcx`` with an exactly split $e^{-z^2/2}$), so
    ``gelu(-30)`` keeps full relative precision. Near $z \approx -0.75$, where $f'$ crosses 0,
    the sum $\Phi + z\varphi$ cancels and $f'$ is exact to rounding of its two terms.
    """

    name, formula = (
        "gelu",
        r"\operatorname{gelu}(z) = z\,\Phi(z) = \frac{z}{2}\left(1 + \operatorname{erf}\frac{z}{\sqrt 2}\right)",
    )
    complex_safe = False

    @staticmethod
    def _finite(z):
        return np.clip(z, -np.finfo(np.float64).max, np.finfo(np.float64).max)

    def _value(self, z):
        cdf, _ = normal_cdf_and_density(z)
        return np.where(np.isfinite(z), self._finite(z) * cdf, np.maximum(z, 0))

    def _grad(self, z):
        cdf, density = normal_cdf_and_density(z)
        return cdf + np.clip(z, -40, 40) * density

    def _value_and_grad_into(self, z, out, grad_out):
        r"""Dense layers' path: f(z) into ``out`` (which may be ``z``) and f'(z) into ``grad_out``,
        sharing $\Phi$ and $\varphi$ between them."""
        with np.errstate(under="ignore"):
            cdf, density = normal_cdf_and_density(z)
            np.copyto(grad_out, cdf + np.clip(z, -40, 40) * density)
            value = np.where(np.isfinite(z), self._finite(z) * cdf, np.maximum(z, 0))
        np.copyto(out, value)
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
