r"""The activations defined piecewise at 0: ReLU, leaky ReLU and ELU (internal; public as
`nnspec.relu`, `nnspec.LeakyReLU`, `nnspec.ELU`).

Leaky ReLU's slope and ELU's alpha are stored once, read-only; the value, ``.grad`` and,
through `nnspec.expressions.sympy_activations`, ``.expr`` and the parser's derivative rule all read
it. Two of them are equal (and hash alike) when their parameters are, so caches keyed on
the activation, such as `nnspec.symbolic`'s, are shared.
"""

from __future__ import annotations

import numpy as np

from .. import activation_parameters as parameters
from .base import Activation

__all__ = ["ELU", "LeakyReLU", "ReLU"]


class ReLU(Activation):
    r"""ReLU: $\max(z, 0)$; derivative 1 for $z > 0$, 0 otherwise (``grad(0) == 0``).

    Shapes: ``f(z)`` and ``f.grad(z)`` take floating ``z`` of any shape and return
    an array of that shape and dtype; Python numbers become float64.

    Examples
    --------
    >>> z = np.array([-2.0, 0.0, 3.0])
    >>> ns.relu(z).tolist(), ns.relu.grad(z).tolist()
    ([0.0, 0.0, 3.0], [0.0, 0.0, 1.0])
    """

    name, formula = "relu", r"\operatorname{relu}(z) = \max(z, 0)"
    smooth, complex_safe = False, False

    def _value(self, z):
        return np.maximum(z, 0)

    def value_into(self, z, out):
        return np.maximum(z, 0, out=out)

    def _grad(self, z):
        return np.sign(np.maximum(z, 0))

    def vjp(self, z, upstream, value=None, *, out=None):
        # sign(relu(z)) is relu's derivative (1 or 0, NaN for NaN), computed without a temporary
        mask = np.sign(self(z) if value is None else value, out=out)
        return np.multiply(mask, upstream, out=mask)

    fused = True

    def value_and_grad_into(self, z, out, grad_out):
        """``grad_out = (z > 0)`` and ``out = z * grad_out`` (see `Activation.value_and_grad_into`).

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

    Shapes: as `nnspec.relu`, ``f(z)`` and ``f.grad(z)`` keep the shape and dtype of ``z``.

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

    Shapes: as `nnspec.relu`, ``f(z)`` and ``f.grad(z)`` keep the shape and dtype of ``z``.

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
