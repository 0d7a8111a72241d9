r"""Chain-rule steps: how d/dx of a composition splits into outer and inner derivatives (internal).

Every sum, product, power or function application $f$ is read as an *outer* function
of its arguments, with a placeholder $u_i$ standing for each argument $g_i(x)$
that depends on $x$. The multivariate chain rule then gives one *path* per such argument,

$$
\frac{df}{dx} = \sum_i \left.\frac{\partial f}{\partial u_i}\right|_{u = g(x)} \frac{dg_i}{dx},
$$

and each $dg_i/dx$ is explained the same way, down to $dx/dx = 1$. With a single
path this is the familiar $f'(g(x))\,g'(x)$; the product rule is the two-path case
$\partial(u_1 u_2)/\partial u_1 = u_2$.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from ..errors import ArgumentError
from .printing import latex, text
from .simplification import differentiate

__all__ = ["ChainPath", "ChainStep", "explain"]

_RULES = {sp.Add: "sum rule", sp.Mul: "product rule", sp.Pow: "power rule"}


@dataclass(frozen=True, eq=False)
class ChainPath:
    """One term of the sum over paths: through the placeholder ``placeholder`` = ``inner``.

    Attributes
    ----------
    placeholder : sympy.Symbol
        The name ``u`` given to the inner expression inside the outer function.
    inner : sympy.Expr
        The inner expression $g(x)$ that ``placeholder`` stands for.
    partial : sympy.Expr
        $\\partial\\,\\mathrm{outer} / \\partial u$, written with the placeholders.
    outer_derivative : sympy.Expr
        ``partial`` with every placeholder replaced by its inner expression.
    steps : ChainStep
        How $dg/dx$ itself is obtained.
    """

    placeholder: sp.Symbol
    inner: sp.Expr
    partial: sp.Expr
    outer_derivative: sp.Expr
    steps: ChainStep

    @property
    def inner_derivative(self) -> sp.Expr:
        """$dg/dx$."""
        return self.steps.derivative

    @property
    def product(self) -> sp.Expr:
        """``outer_derivative * inner_derivative``, this path's share of the derivative."""
        return self.outer_derivative * self.inner_derivative


@dataclass(frozen=True, eq=False, repr=False)
class ChainStep:
    """The derivative of ``expression`` with respect to ``variable``, split into paths.

    Attributes
    ----------
    expression : sympy.Expr
    variable : sympy.Symbol
    rule : str
        ``"variable"`` (dx/dx = 1), ``"constant"``, ``"sum rule"``, ``"product rule"``,
        ``"power rule"``, ``"chain rule"`` (a function application) or ``"direct"`` (SymPy's
        derivative of anything else).
    outer : sympy.Expr
        ``expression`` with placeholders for the inner expressions that depend on ``variable``.
    paths : tuple of ChainPath
        One per inner expression that depends on ``variable``.
    derivative : sympy.Expr
        The sum of the paths' products.
    """

    expression: sp.Expr
    variable: sp.Symbol
    rule: str
    outer: sp.Expr
    paths: tuple[ChainPath, ...]
    derivative: sp.Expr

    @property
    def elementary(self) -> bool:
        """True when there is nothing to unfold: no path, or every inner expression is the variable."""
        return all(path.inner == self.variable for path in self.paths)

    def _single_path(self) -> ChainPath:
        if len(self.paths) != 1:
            raise ArgumentError(
                f"d/d{self.variable} of {self.expression} has {len(self.paths)} paths, not one; "
                "read them from .paths"
            )
        return self.paths[0]

    @property
    def inner(self) -> sp.Expr:
        """The inner expression $g(x)$ of $f(g(x))$ (for exactly one path)."""
        return self._single_path().inner

    @property
    def outer_derivative(self) -> sp.Expr:
        """$f'(g(x))$, the outer derivative at the inner expression (one path)."""
        return self._single_path().outer_derivative

    @property
    def inner_derivative(self) -> sp.Expr:
        """$g'(x)$ (one path)."""
        return self._single_path().inner_derivative

    @property
    def product(self) -> sp.Expr:
        """$f'(g(x))\\,g'(x)$ (one path)."""
        return self._single_path().product

    def lines(self, indent: int = 0, at=None) -> list[str]:
        """The readable steps, one string per line.

        ``at``, when given, maps an expression to its value at a point (a float); every
        derivative in the steps is then followed by ``= value``.
        """

        from .point import number_text

        def shown(expression) -> str:
            return text(expression) if at is None else f"{text(expression)} = {number_text(at(expression))}"

        pad, x = "  " * indent, self.variable
        head = f"{pad}d/d{x} [{text(self.expression)}] = {shown(self.derivative)}"
        if self.elementary:
            return [f"{head}   [{self.rule}]"]
        names = ", ".join(f"{path.placeholder} = {text(path.inner)}" for path in self.paths)
        many = len(self.paths) > 1
        label = f"{self.rule}, sum over {len(self.paths)} paths" if many else self.rule
        lines = [head, f"{pad}  {label}: outer {text(self.outer)} with {names}"]
        for path in self.paths:
            u = path.placeholder
            at_inner = path.partial == path.outer_derivative
            partial = (
                shown(path.partial) if at_inner else f"{text(path.partial)} -> {shown(path.outer_derivative)}"
            )
            lines.append(
                f"{pad}  {f'path {u}: ' if many else ''}d outer/d{u} = {partial};  "
                f"d{u}/d{x} = {shown(path.inner_derivative)};  product: {shown(path.product)}"
            )
        if many:
            lines.append(f"{pad}  sum over paths: {shown(self.derivative)}")
        for path in self.paths:
            if path.steps.rule != "variable":
                lines.extend(path.steps.lines(indent + 1, at))
        return lines

    def latex_rows(self, d: str = "d") -> list[str]:
        r"""Rows of a two-column ``array`` (``lhs &= rhs``); ``d`` is ``"d"`` or ``"\partial"``."""
        x = latex(self.variable)
        lhs = rf"\frac{{{d}}}{{{d} {x}}}\left[{latex(self.expression)}\right]"
        if self.elementary:
            return [rf"{lhs} &= {latex(self.derivative)}"]
        partial = r"\partial" if len(self.paths) > 1 else "d"
        outer = latex(self.outer)
        generic = " + ".join(
            rf"\frac{{{partial}}}{{{partial} {latex(p.placeholder)}}}\left({outer}\right)"
            rf"\frac{{{d} {latex(p.placeholder)}}}{{{d} {x}}}"
            for p in self.paths
        )
        names = r",\ ".join(f"{latex(p.placeholder)} = {latex(p.inner)}" for p in self.paths)
        specific = " + ".join(
            rf"\left({latex(p.outer_derivative)}\right)\left({latex(p.inner_derivative)}\right)"
            for p in self.paths
        )
        rows = [rf"{lhs} &= {generic}, \quad {names}", rf"&= {specific}", rf"&= {latex(self.derivative)}"]
        for path in self.paths:
            if path.steps.rule != "variable":
                rows.extend(path.steps.latex_rows(d))
        return rows

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(d/d{self.variable} [{text(self.expression)}] = {text(self.derivative)})"
        )


def placeholder_stem(expression: sp.Expr) -> str:
    """A placeholder name that clashes with no variable of ``expression`` (``u`` unless taken)."""
    names = {symbol.name for symbol in expression.free_symbols}
    for stem in ("u", "v", "t", "s", "g", "h"):
        if not any(re.fullmatch(rf"{stem}[0-9]*", name) for name in names):
            return stem
    return "u_" + "_" * max(len(name) for name in names)


def _rule(expression: sp.Expr) -> str | None:
    if type(expression) in _RULES:
        return _RULES[type(expression)]
    if expression.is_Function and all(isinstance(arg, sp.Expr) for arg in expression.args):
        return "chain rule"
    return None


def explain(expression: sp.Expr, variable: sp.Symbol, stem: str) -> ChainStep:
    """Unfold d ``expression`` / d ``variable`` into paths, recursively (placeholders named ``stem``)."""
    if expression == variable:
        return ChainStep(expression, variable, "variable", expression, (), sp.Integer(1))
    if not expression.has(variable):
        return ChainStep(expression, variable, "constant", expression, (), sp.Integer(0))
    rule = _rule(expression)
    if rule is None:
        return ChainStep(expression, variable, "direct", expression, (), differentiate(expression, variable))
    arguments = list(expression.args)
    dependent = [index for index, argument in enumerate(arguments) if argument.has(variable)]
    if rule == "power rule" and expression.exp.has(variable):
        rule = "exponential rule" if len(dependent) == 1 else "power rule with a variable exponent"
    elif rule == "product rule" and len(dependent) == 1:
        rule = "constant factor rule"
    names = [stem] if len(dependent) == 1 else [f"{stem}{k + 1}" for k in range(len(dependent))]
    placeholders = [sp.Symbol(name, real=True) for name in names]
    substitution = {u: arguments[index] for u, index in zip(placeholders, dependent)}
    for u, index in zip(placeholders, dependent):
        arguments[index] = u
    outer = expression.func(*arguments)
    paths = []
    for u in placeholders:
        partial = differentiate(outer, u)
        inner = substitution[u]
        paths.append(
            ChainPath(u, inner, partial, partial.xreplace(substitution), explain(inner, variable, stem))
        )
    derivative = sp.Add(*(path.product for path in paths))
    return ChainStep(expression, variable, rule, outer, tuple(paths), derivative)
