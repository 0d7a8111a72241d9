"""The results of `derivation` and `chain_rule` (internal; public from ``nnspec.expressions``)."""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..errors import ArgumentError
from .chain_steps import ChainStep
from .point import number_text, value_at
from .printing import latex, text

__all__ = ["ChainRule", "Derivation"]


@dataclass(frozen=True, eq=False)
class Derivation:
    """The partial derivatives of an expression, how far each was simplified, and values at a point.

    Attributes
    ----------
    text : str
        The expression as written.
    expression : sympy.Expr
        ``parse(text)``.
    partials : dict of str to sympy.Expr
        One derivative per requested name, in the order asked.
    simplify_level : dict of str to str
        The level each partial got: ``"full"`` (``sympy.simplify``), ``"normal"`` (a cheap
        normal form, ``sympy.factor_terms``) or ``"none"`` (the raw derivative).
    point : dict of str to sympy.Expr, or None
        The point ``at``, as exact numbers.
    value : float or None
        The expression at the point, correctly rounded to float64 (an
        `nnspec.expressions.point.Underflow` when the exact value is too small for float64).
    partial_values : dict of str to float, or None
        Each partial derivative at the point, likewise.

    Examples
    --------
    ``str()`` is what ``nnspec derive ... --at ...`` prints: every formula in the expression
    language (it reads back with `nnspec.parse`), every value the shortest decimal that reads
    back as the same float64:

    >>> import nnspec as ns
    >>> print(ns.derivation("x**2*y", ["x"], at="x=3, y=-1"))
    at x = 3, y = -1
    f = x**2*y = -9.0
    d/dx = 2*x*y = -6.0
    """

    text: str
    expression: sp.Expr
    partials: dict
    simplify_level: dict
    point: dict | None = None
    value: float | None = None
    partial_values: dict | None = None

    def __str__(self) -> str:
        lines = []
        if self.point is not None:
            lines.append("at " + ", ".join(f"{name} = {text(number)}" for name, number in self.point.items()))
            lines.append(f"f = {text(self.expression)} = {number_text(self.value)}")
        for name, partial in self.partials.items():
            value = "" if self.partial_values is None else f" = {number_text(self.partial_values[name])}"
            lines.append(f"d/d{name} = {text(partial)}{value}")
        return "\n".join(lines)


@dataclass(frozen=True, eq=False, repr=False)
class ChainRule(ChainStep):
    """The chain-rule steps of d ``expression`` / d ``variable``, as returned by `chain_rule`.

    A `ChainStep` (``outer``, ``paths``, ``derivative``, and for a
    single path ``inner``, ``outer_derivative``, ``inner_derivative``, ``product``) whose inner
    steps recurse through ``paths[i].steps``, plus the simplified result.

    Attributes
    ----------
    simplified : sympy.Expr
        ``derivative`` simplified at ``simplify_level``.
    simplify_level : str
        ``"full"``, ``"normal"`` or ``"none"``, as for `Derivation`.
    point : dict of str to sympy.Expr, or None
        The point ``at``; then `str` shows every step's value there, and `value_at`
        evaluates any expression of the steps.
    """

    simplified: sp.Expr
    simplify_level: str = "full"
    point: dict | None = None

    def value_at(self, expression: sp.Expr) -> float:
        """``expression`` (one of the steps) at ``point``, correctly rounded to float64 or refused."""
        if self.point is None:
            raise ArgumentError("this ChainRule has no point: pass at= to chain_rule")
        substitution = {s: self.point[s.name] for s in self.expression.free_symbols}
        return value_at(expression, substitution, f"d/d{self.variable} [{text(self.expression)}]")

    def __str__(self) -> str:
        lines = self.lines(at=None if self.point is None else self.value_at)
        if self.simplified != self.derivative:
            lines.append(
                f"simplified: d/d{self.variable} [{text(self.expression)}] = {text(self.simplified)}"
            )
        if self.point is not None:
            where = ", ".join(f"{name} = {text(number)}" for name, number in self.point.items())
            lines.append(f"at {where}: d/d{self.variable} = {number_text(self.value_at(self.derivative))}")
        return "\n".join(lines)

    def latex(self) -> str:
        r"""The steps as a two-column LaTeX ``array`` (put it inside ``$$ ... $$``).

        ``array`` rather than ``aligned``, so that every renderer typesets it: LaTeX, MathJax,
        KaTeX and the LaTeX-to-MathML converter of this project's site.

        The first rows derive the whole expression (ending with the simplified result); the
        rows after them derive each inner expression in turn; with a point, a last row gives
        the derivative's value there.
        """
        d = r"\partial" if len(self.expression.free_symbols) > 1 else "d"
        rows = self.latex_rows(d)
        if self.simplified != self.derivative:
            rows.insert(1 if self.elementary else 3, rf"&= {latex(self.simplified)}")
        if self.point is not None:
            where = r",\ ".join(f"{latex(sp.Symbol(n))} = {latex(v)}" for n, v in self.point.items())
            rows.append(
                rf"\left.\frac{{{d}}}{{{d} {latex(self.variable)}}}\right|_{{{where}}} &= "
                f"{self.value_at(self.derivative)!r}"
            )
        return "\\begin{array}{rl}\n" + " \\\\\n".join(rows) + "\n\\end{array}"
