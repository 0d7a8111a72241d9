r"""The SymPy side of nnspec's activations: their definitions and named SymPy functions.

This module is the one home of every activation's SymPy definition; the numeric
`nnspec.activations` reads its ``.expr`` from `expression`. It imports SymPy but not
numpy, so the expression side of nnspec loads where numpy is absent.

``ns.parse("sigmoid(w*x)")`` gives ``sigmoid(w*x)``, not ``1/(1 + exp(-w*x))``, so a chain
rule reads $\sigma'(u) = \sigma(u)(1 - \sigma(u))$ instead of a quotient of
exponentials. Each `NetworkFunction` means exactly the activation of the same name:

* its definition is `expression` of that name (``definition()``), and exact numbers
  evaluate through it (``relu(-2) == 0``);
* its derivative (``fdiff``) is written in closed form and equals ``d/du`` of that
  definition, including the conventions at kinks (``relu'(0) = 0``, ``leaky_relu'(0)`` is
  the slope), through `step`, the unit step with ``step(0) = 0``, so that every derivative
  is again an expression of the language (``relu'(u) = step(u)``);
* parameters (leaky ReLU's ``slope``, ELU's ``alpha``) are class attributes read by both
  the definition and the derivative; `NetworkFunction.with_parameters` gives the function
  for other values (the parser's names use the defaults).

`expand_activations` replaces every such function by its definition, e.g. to compare
a derivative with one written by hand or to ``lambdify`` it.
"""

from __future__ import annotations

import sympy as sp
from mpmath.libmp import prec_to_dps

from .. import activation_parameters as parameters
from ..errors import ArgumentError

__all__ = [
    "NETWORK_FUNCTIONS",
    "NetworkFunction",
    "elu",
    "expand_activations",
    "expression",
    "gelu",
    "leaky_relu",
    "relu",
    "sigmoid",
    "softplus",
    "step",
]


def _above_zero(u, positive, otherwise):
    return sp.Piecewise((positive, u > 0), (otherwise, True))


def _normal_cdf(u):
    return (1 + sp.erf(u / sp.sqrt(2))) / 2


def _normal_density(u):
    return sp.exp(-(u**2) / 2) / sp.sqrt(2 * sp.pi)


# One definition per activation, as a function of a SymPy expression u and exact parameters.
_DEFINITIONS = {
    "identity": lambda u: u,
    "sigmoid": lambda u: 1 / (1 + sp.exp(-u)),
    "tanh": sp.tanh,
    "relu": lambda u: _above_zero(u, u, 0),
    "leaky_relu": lambda u, slope: _above_zero(u, u, slope * u),
    "elu": lambda u, alpha: _above_zero(u, u, alpha * (sp.exp(u) - 1)),
    "softplus": lambda u: sp.log(1 + sp.exp(u)),
    "gelu": lambda u: u * _normal_cdf(u),
}
_VALIDATORS = {"slope": parameters.slope, "alpha": parameters.alpha}


def _exact(values: dict) -> dict:
    """Validate parameter values and return them as exact SymPy rationals."""
    result = {}
    for name, value in values.items():
        fraction = parameters.exact(_VALIDATORS[name](value))
        result[name] = sp.Rational(fraction.numerator, fraction.denominator)
    return result


def expression(name: str, x=None, **values):
    r"""SymPy definition of nnspec's activation ``name`` applied to ``x``.

    Parameters
    ----------
    name : str
        ``"identity"``, ``"sigmoid"``, ``"tanh"``, ``"relu"``, ``"leaky_relu"``, ``"elu"``,
        ``"softplus"``, ``"gelu"`` or ``"softmax"``.
    x : sympy.Expr, or for softmax a sequence of them
        Default: the real symbol ``x`` (softmax: ``x0, x1, x2``).
    **values : float
        The activation's parameters (``slope``, ``alpha``), made exact with
        `nnspec.activation_parameters.exact`.

    Returns
    -------
    sympy.Expr, or for softmax a list $[e^{x_i} / \sum_j e^{x_j}]$

    Examples
    --------
    >>> u = sp.Symbol("u", real=True)
    >>> expression("leaky_relu", u, slope=0.2).subs(u, -5)
    -1
    """
    if name == "softmax":
        xs = sp.symbols("x0:3", real=True) if x is None else x
        xs = list(xs)
        if not xs or not all(isinstance(v, sp.Basic) for v in xs):
            raise ArgumentError("xs must be a non-empty sequence of SymPy expressions")
        total = sum(sp.exp(v) for v in xs)
        return [sp.exp(v) / total for v in xs]
    if x is None:
        x = sp.Symbol("x", real=True)
    if not isinstance(x, sp.Basic):
        raise ArgumentError(f"x must be a SymPy expression, got {type(x).__name__}")
    return _DEFINITIONS[name](x, **_exact(values))


class step(sp.Function):
    r"""The unit step: $\operatorname{step}(u) = 1$ for $u > 0$, else $0$ (so ``step(0) = 0``).

    The derivative of ``relu``, and a function of the expression language, so that derivatives
    print in the language and read back. Its own derivative is taken as 0 everywhere (the
    derivative almost everywhere, as automatic differentiation gives it).
    """

    nargs = 1

    @classmethod
    def eval(cls, arg):
        if not arg.is_number:  # assumptions on nested symbolic arguments cost exponential time
            return None
        if arg.is_extended_positive:
            return sp.Integer(1)
        if arg.is_extended_nonpositive:
            return sp.Integer(0)
        return None

    def fdiff(self, argindex=1):
        return sp.Integer(0)

    def definition(self) -> sp.Expr:
        """``Piecewise((1, u > 0), (0, True))``."""
        return _above_zero(self.args[0], 1, 0)

    def _eval_is_real(self):
        return self.args[0].is_extended_real

    def _eval_is_nonnegative(self):
        return self.args[0].is_extended_real

    def _eval_evalf(self, prec):
        return self.definition().evalf(prec_to_dps(prec))

    def _latex(self, printer, exp=None):
        power = "" if exp is None else f"^{{{exp}}}"
        return rf"\operatorname{{step}}{power}\left({printer._print(self.args[0])}\right)"


class NetworkFunction(sp.Function):
    """A one-argument SymPy function standing for an nnspec activation.

    A subclass is named like the activation, lists its parameters in ``parameter_names``
    (each a class attribute holding an exact SymPy number) and gives its derivative in
    `derivative`; the definition comes from `expression`.
    """

    nargs = 1
    parameter_names: tuple[str, ...] = ()

    @classmethod
    def parameters(cls) -> dict:
        """``{name: exact value}`` of this function's parameters."""
        return {name: getattr(cls, name) for name in cls.parameter_names}

    @classmethod
    def define(cls, u):
        """The activation's SymPy definition applied to ``u`` (with this class's parameters)."""
        return _DEFINITIONS[cls.__name__](u, **cls.parameters())

    @classmethod
    def derivative(cls, u):
        """Closed-form derivative at ``u``, in terms of named functions where that reads better."""
        raise NotImplementedError

    @classmethod
    def with_parameters(cls, **values) -> type[NetworkFunction]:
        """The same function with other parameter values (validated; the class itself for
        the defaults). Its printed form shows the values that differ from the defaults."""
        base = NETWORK_FUNCTIONS[cls.__name__]
        unknown = sorted(set(values) - set(base.parameter_names))
        if unknown:
            raise ArgumentError(
                f"{base.__name__} has parameters {list(base.parameter_names)}, got {', '.join(unknown)}"
            )
        exact = {**base.parameters(), **_exact(values)}
        if exact == base.parameters():
            return base
        key = (base.__name__, tuple(exact.items()))
        if key not in _BOUND:
            _BOUND[key] = type(base)(base.__name__, (base,), {"__module__": __name__, **exact})
        return _BOUND[key]

    @classmethod
    def eval(cls, arg):
        if arg.is_Rational:
            return cls.define(arg)
        return None

    def fdiff(self, argindex=1):
        return self.derivative(self.args[0])

    def definition(self) -> sp.Expr:
        """The activation's own SymPy definition applied to this function's argument."""
        return self.define(self.args[0])

    def _eval_is_real(self):
        return self.args[0].is_extended_real

    def _eval_evalf(self, prec):
        return self.definition().evalf(prec_to_dps(prec))  # SymPy passes bits, evalf takes digits

    def _changed_parameters(self, printer) -> str:
        base = NETWORK_FUNCTIONS[type(self).__name__]
        changed = [n for n in self.parameter_names if getattr(self, n) != getattr(base, n)]
        return "".join(f", {n}={printer._print(getattr(self, n))}" for n in changed)

    def _sympystr(self, printer):
        return f"{type(self).__name__}({printer._print(self.args[0])}{self._changed_parameters(printer)})"

    def _latex(self, printer, exp=None):
        escaped = type(self).__name__.replace("_", r"\_")
        name = getattr(self, "latex_name", None) or rf"\operatorname{{{escaped}}}"
        power = "" if exp is None else f"^{{{exp}}}"
        return rf"{name}{power}\left({printer._print(self.args[0])}{self._changed_parameters(printer)}\right)"


_BOUND: dict = {}


class sigmoid(NetworkFunction):
    r"""$\sigma(u) = 1/(1 + e^{-u})$, $\sigma'(u) = \sigma(u)(1 - \sigma(u))$."""

    latex_name = r"\sigma"

    @classmethod
    def derivative(cls, u):
        return cls(u) * (1 - cls(u))


class softplus(NetworkFunction):
    r"""$\log(1 + e^{u})$, whose derivative is $\sigma(u)$."""

    @classmethod
    def derivative(cls, u):
        return sigmoid(u)


class relu(NetworkFunction):
    r"""$\max(u, 0)$; derivative ``step(u)``: 1 for $u > 0$, else 0 (so $relu'(0) = 0$)."""

    @classmethod
    def derivative(cls, u):
        return step(u)


class leaky_relu(NetworkFunction):
    r"""$u$ for $u > 0$, else ``slope`` $\cdot u$; derivative 1, else ``slope``."""

    parameter_names = ("slope",)
    slope = _exact({"slope": parameters.LEAKY_RELU_SLOPE})["slope"]

    @classmethod
    def derivative(cls, u):
        return cls.slope + (1 - cls.slope) * step(u)


class elu(NetworkFunction):
    r"""$u$ for $u > 0$, else $\alpha(e^{u} - 1)$; derivative 1, else $\alpha e^{u}$."""

    parameter_names = ("alpha",)
    alpha = _exact({"alpha": parameters.ELU_ALPHA})["alpha"]

    @classmethod
    def derivative(cls, u):
        return step(u) + cls.alpha * sp.exp(u) * (1 - step(u))


class gelu(NetworkFunction):
    r"""Exact GELU $u\,\Phi(u)$; derivative $\Phi(u) + u\,\varphi(u)$.

    $\Phi(u) = (1 + \operatorname{erf}(u/\sqrt 2))/2$ and
    $\varphi(u) = e^{-u^2/2}/\sqrt{2\pi}$ (Hendrycks & Gimpel 2016).
    """

    @classmethod
    def derivative(cls, u):
        return _normal_cdf(u) + u * _normal_density(u)


# The classes are lower case because SymPy prints a function by its class name, and the printed
# form should read like (and parse back as) the input: "sigmoid(x)".
NETWORK_FUNCTIONS = {f.__name__: f for f in (sigmoid, softplus, relu, leaky_relu, elu, gelu)}


def expand_activations(expr: sp.Basic) -> sp.Basic:
    """Replace every activation function (and `step`) in ``expr`` by its SymPy definition.

    Examples
    --------
    >>> x = sp.Symbol("x", real=True)
    >>> expanded = expand_activations(sigmoid(x).diff(x))
    >>> expanded.has(sigmoid), sp.simplify(expanded - sp.exp(-x) / (1 + sp.exp(-x)) ** 2)
    (False, 0)
    """
    return expr.replace(lambda e: isinstance(e, (NetworkFunction, step)), lambda e: e.definition())
