r"""Explore derivatives safely: parse text into SymPy, differentiate it, show the chain rule.

* `parse` turns text such as ``"tanh(w*x + b)"`` into a SymPy expression through an
  ``ast`` whitelist that builds SymPy objects directly; nothing is evaluated, so text is never
  code. The refusals and limits are listed in `_parser` and `_whitelist`.
* `derive` gives the simplified partial derivatives with respect to one or more names.
* `chain_rule` shows how a derivative of a composition splits into outer and inner
  derivatives, one *path* per argument that depends on the variable:
  $\frac{df}{dx} = \sum_i \frac{\partial f}{\partial u_i}\big|_{u=g(x)}\,\frac{dg_i}{dx}$.

Each derivation runs under a time limit (``timeout``, default 5 s); past it,
`ExpressionTimeout` (an `ExpressionError`) is raised instead of
hanging. ``sigmoid``, ``relu``, ``softplus``, ``gelu``, ``elu`` and ``leaky_relu`` stay named
functions in the results (``sigmoid(x)*(1 - sigmoid(x))``); `expand_activations`
replaces them by nnspec's definitions.

Examples
--------
>>> import nnspec as ns
>>> ns.derive("tanh(w*x + b)", ["w", "b"])
{'w': -x*tanh(b + w*x)**2 + x, 'b': 1 - tanh(b + w*x)**2}
>>> steps = ns.chain_rule("sin(x**2)", "x")
>>> steps.outer, steps.inner, steps.outer_derivative, steps.inner_derivative
(sin(u), x**2, cos(x**2), 2*x)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sympy as sp

from ._chain_rule import ChainStep, Path, explain, placeholder_stem
from ._parser import FUNCTIONS, check, parse, parse_now
from ._sympy_activations import expand_activations
from ._time_limit import DEFAULT_TIMEOUT, ExpressionTimeout, quote, run_with_time_limit
from ._whitelist import NAME_PATTERN
from .errors import ArgumentError

__all__ = [
    "DEFAULT_TIMEOUT",
    "FUNCTIONS",
    "ChainRule",
    "ChainStep",
    "ExpressionTimeout",
    "Path",
    "chain_rule",
    "derive",
    "expand_activations",
    "parse",
]


@dataclass(frozen=True, eq=False, repr=False)
class ChainRule(ChainStep):
    """The chain-rule steps of d ``expression`` / d ``variable``, as returned by `chain_rule`.

    A `ChainStep` (``outer``, ``paths``, ``derivative``, and for a
    single path ``inner``, ``outer_derivative``, ``inner_derivative``, ``product``) whose inner
    steps recurse through ``paths[i].steps``, plus the simplified result.

    Attributes
    ----------
    simplified : sympy.Expr
        ``sympy.simplify(derivative)``.
    """

    simplified: sp.Expr

    def __str__(self) -> str:
        lines = self.lines()
        if self.simplified != self.derivative:
            lines.append(f"simplified: d/d{self.variable} [{self.expression}] = {self.simplified}")
        return "\n".join(lines)

    def latex(self) -> str:
        r"""The steps as a two-column LaTeX ``array`` (put it inside ``$$ ... $$``).

        ``array`` rather than ``aligned``, so that every renderer typesets it: LaTeX, MathJax,
        KaTeX and the LaTeX-to-MathML converter of this project's site.

        The first rows derive the whole expression (ending with the simplified result); the
        rows after them derive each inner expression in turn.
        """
        d = r"\partial" if len(self.expression.free_symbols) > 1 else "d"
        rows = self.latex_rows(d)
        if self.simplified != self.derivative:
            rows.insert(1 if self.elementary else 3, rf"&= {sp.latex(self.simplified)}")
        return "\\begin{array}{rl}\n" + " \\\\\n".join(rows) + "\n\\end{array}"


def _names(wrt) -> list[str]:
    names = [wrt] if isinstance(wrt, str) else wrt
    if not isinstance(names, Sequence) or not names or not all(isinstance(n, str) for n in names):
        raise ArgumentError(f"wrt must be a name or a non-empty list of names, got {wrt!r}")
    for name in names:
        if not NAME_PATTERN.fullmatch(name) or name in FUNCTIONS:
            raise ArgumentError(f"wrt: {name!r} is not a variable name")
    return list(dict.fromkeys(names))


def _variables(expression: sp.Expr, names: list[str], text: str) -> list[sp.Symbol]:
    present = {symbol.name: symbol for symbol in expression.free_symbols}
    for name in names:
        if name not in present:
            found = ", ".join(sorted(present)) or "none"
            raise ArgumentError(f"wrt: {name} does not occur in {quote(text)} (its variables: {found})")
    return [present[name] for name in names]


def _derivatives(text: str, names: list[str]) -> dict[str, sp.Expr]:
    expression = parse_now(text)
    return {s.name: sp.simplify(sp.diff(expression, s)) for s in _variables(expression, names, text)}


def derive(text: str, wrt, *, timeout: float = DEFAULT_TIMEOUT) -> dict[str, sp.Expr]:
    """Simplified partial derivatives of the expression ``text``.

    Parameters
    ----------
    text : str
        An expression accepted by `parse`.
    wrt : str or list of str
        The variable(s); each must occur in ``text``.
    timeout : float
        Seconds allowed for parsing, differentiating and simplifying (default 5).

    Returns
    -------
    dict
        ``{name: sympy.simplify(d text / d name)}`` in the order of ``wrt``.

    Raises
    ------
    ExpressionError
        When ``text`` is refused by the parser.
    ArgumentError
        For a ``wrt`` that is not a name occurring in ``text``.
    ExpressionTimeout
        When the derivation takes longer than ``timeout``.
    """
    check(text)  # fast refusals come before any timer or worker process
    what = f"the derivative of {quote(text)}"
    return run_with_time_limit(_derivatives, (text, _names(wrt)), timeout, what)


def _chain_rule(text: str, names: list[str]) -> ChainRule:
    expression = parse_now(text)
    (variable,) = _variables(expression, names, text)
    root = explain(expression, variable, placeholder_stem(expression))
    fields = {name: getattr(root, name) for name in ChainStep.__dataclass_fields__}
    return ChainRule(**fields, simplified=sp.simplify(root.derivative))


def chain_rule(text: str, wrt: str, *, timeout: float = DEFAULT_TIMEOUT) -> ChainRule:
    """The chain-rule steps of d ``text`` / d ``wrt``: outer, inner, their derivatives, products.

    Parameters
    ----------
    text : str
        An expression accepted by `parse`.
    wrt : str
        The variable; it must occur in ``text``.
    timeout : float
        Seconds allowed for the whole derivation (default 5).

    Returns
    -------
    ChainRule
        ``str()`` gives readable steps, ``.latex()`` a LaTeX ``array`` of the steps; ``.derivative``
        (the sum over paths) and ``.simplified`` both equal ``sympy.diff(parse(text), wrt)``.

    Examples
    --------
    >>> print(chain_rule("sin(x**2)", "x"))
    d/dx [sin(x**2)] = 2*x*cos(x**2)
      chain rule: outer sin(u) with u = x**2
      d outer/du = cos(u) -> cos(x**2);  du/dx = 2*x;  product: 2*x*cos(x**2)
      d/dx [x**2] = 2*x   [power rule]
    """
    if not isinstance(wrt, str):
        raise ArgumentError(f"wrt must be one variable name, got {wrt!r}")
    check(text)
    what = f"the chain rule for {quote(text)}"
    return run_with_time_limit(_chain_rule, (text, _names(wrt)), timeout, what)
