r"""nnspec's activations as named SymPy functions, for readable derivatives (internal).

``ns.parse("sigmoid(w*x)")`` gives ``sigmoid(w*x)``, not ``1/(1 + exp(-w*x))``, so a chain
rule reads $\sigma'(u) = \sigma(u)(1 - \sigma(u))$ instead of a quotient of
exponentials. Each function here means exactly what the activation of the same name means:

* its definition is ``nnspec.<name>.expr(u)`` (`definition`), and
  exact numbers evaluate through it (``relu(-2) == 0``);
* its derivative (``fdiff``) is written in closed form and equals ``d/du`` of that
  definition, including the conventions at kinks (``relu'(0) = 0``, ``leaky_relu'(0) = 0.01``).

`expand_activations` replaces every such function by its definition, e.g. to compare
a derivative with one written by hand or to ``lambdify`` it.
"""

from __future__ import annotations

import sympy as sp
from mpmath.libmp import prec_to_dps

from . import activations

__all__ = [
    "NETWORK_FUNCTIONS",
    "NetworkFunction",
    "elu",
    "expand_activations",
    "gelu",
    "leaky_relu",
    "relu",
    "sigmoid",
    "softplus",
]


class NetworkFunction(sp.Function):
    """A one-argument SymPy function standing for an nnspec activation."""

    nargs = 1
    activation: activations.Activation

    @classmethod
    def eval(cls, arg):
        if arg.is_Rational:
            return cls.activation.expr(arg)
        return None

    def definition(self) -> sp.Expr:
        """The activation's own SymPy definition applied to this function's argument."""
        return self.activation.expr(self.args[0])

    def _eval_is_real(self):
        return self.args[0].is_extended_real

    def _eval_evalf(self, prec):
        return self.definition().evalf(prec_to_dps(prec))  # SymPy passes bits, evalf takes digits

    def _latex(self, printer, exp=None):
        escaped = type(self).__name__.replace("_", r"\_")
        name = getattr(self, "latex_name", None) or rf"\operatorname{{{escaped}}}"
        power = "" if exp is None else f"^{{{exp}}}"
        return rf"{name}{power}\left({printer._print(self.args[0])}\right)"


class sigmoid(NetworkFunction):
    r"""$\sigma(u) = 1/(1 + e^{-u})$, $\sigma'(u) = \sigma(u)(1 - \sigma(u))$."""

    activation = activations.sigmoid
    latex_name = r"\sigma"

    def fdiff(self, argindex=1):
        return self * (1 - self)


class softplus(NetworkFunction):
    r"""$\log(1 + e^{u})$, whose derivative is $\sigma(u)$."""

    activation = activations.softplus

    def fdiff(self, argindex=1):
        return sigmoid(self.args[0])


class relu(NetworkFunction):
    r"""$\max(u, 0)$; derivative 1 for $u > 0$, else 0 (so $relu'(0) = 0$)."""

    activation = activations.relu

    def fdiff(self, argindex=1):
        return sp.Piecewise((1, self.args[0] > 0), (0, True))


class leaky_relu(NetworkFunction):
    r"""$u$ for $u > 0$, else $u/100$; derivative 1, else 1/100."""

    activation = activations.leaky_relu

    def fdiff(self, argindex=1):
        return sp.Piecewise((1, self.args[0] > 0), (sp.Rational(1, 100), True))


class elu(NetworkFunction):
    r"""$u$ for $u > 0$, else $e^{u} - 1$; derivative 1, else $e^{u}$."""

    activation = activations.elu

    def fdiff(self, argindex=1):
        return sp.Piecewise((1, self.args[0] > 0), (sp.exp(self.args[0]), True))


class gelu(NetworkFunction):
    r"""Exact GELU $u\,\Phi(u)$; derivative $\Phi(u) + u\,\varphi(u)$.

    $\Phi(u) = (1 + \operatorname{erf}(u/\sqrt 2))/2$ and
    $\varphi(u) = e^{-u^2/2}/\sqrt{2\pi}$ (Hendrycks & Gimpel 2016).
    """

    activation = activations.gelu

    def fdiff(self, argindex=1):
        u = self.args[0]
        cdf = (1 + sp.erf(u / sp.sqrt(2))) / 2
        density = sp.exp(-(u**2) / 2) / sp.sqrt(2 * sp.pi)
        return cdf + u * density


# The classes are lower case because SymPy prints a function by its class name, and the printed
# form should read like (and parse back as) the input: "sigmoid(x)".
NETWORK_FUNCTIONS = {f.__name__: f for f in (sigmoid, softplus, relu, leaky_relu, elu, gelu)}


def expand_activations(expr: sp.Basic) -> sp.Basic:
    """Replace every activation function in ``expr`` by its SymPy definition.

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> expand_activations(sigmoid(x).diff(x))
    (1 - 1/(1 + exp(-x)))/(1 + exp(-x))
    """
    return expr.replace(lambda e: isinstance(e, NetworkFunction), lambda e: e.definition())
