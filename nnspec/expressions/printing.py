r"""Print results in the expression language, as text that `parse` reads back, and as LaTeX.

SymPy's own ``str`` writes ``Max(x, y)``, ``Abs(x)`` and ``Heaviside(x - y, 0)``, which the
parser refuses (it knows ``max``, ``abs``, ``sign`` and ``step``). `text` writes every result
in the language's names, and `in_language` tells whether an expression uses only the
language's functions (a simplified form that does not is not used: see
`nnspec.expressions.simplification`). An integer beyond the parser's 1e12 literal limit is
written as a sum of multiples of ``10**12``, which reads back exactly.

`latex` writes ``\max``, ``\min``, ``\lvert x\rvert``, ``\operatorname{sign}`` and
``\operatorname{step}``, as a reader expects, never SymPy's ``\theta`` for a step.

Examples
--------
>>> import sympy as sp
>>> x, y = sp.symbols("x y", real=True)
>>> text(sp.Max(x, y) + sp.Abs(x) + 3 * 10**20 * x)
'(300000000*10**12)*x + abs(x) + max(x, y)'
>>> latex(sp.Max(x, y))
'\\max\\left(x, y\\right)'
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from .sympy_activations import NETWORK_FUNCTIONS, step

__all__ = ["in_language", "latex", "text"]

_NAMES = {sp.Max: "max", sp.Min: "min", sp.Abs: "abs"}
_LANGUAGE = (
    sp.sin,
    sp.cos,
    sp.tan,
    sp.exp,
    sp.log,
    sp.tanh,
    sp.erf,
    sp.Abs,
    sp.sign,
    sp.Max,
    sp.Min,
    step,
    *NETWORK_FUNCTIONS.values(),
)
_LITERAL = 10**12


def in_language(expression: sp.Basic) -> bool:
    """True when ``expression`` uses only numbers, real symbols, ``pi``, ``E`` and the language's functions."""
    allowed = (*_LANGUAGE, sp.Add, sp.Mul, sp.Pow, sp.Symbol, sp.Rational)
    return all(
        isinstance(node, allowed) or node in (sp.pi, sp.E) for node in sp.preorder_traversal(expression)
    )


def _integer(n: int) -> str:
    if abs(n) <= _LITERAL:
        return str(n)
    high, low = divmod(abs(n), _LITERAL)
    body = f"{_integer(high)}*10**12" + (f" + {low}" if low else "")
    return f"(-({body}))" if n < 0 else f"({body})"


class _Text(StrPrinter):
    def _print_Function(self, expr):
        name = _NAMES.get(expr.func)
        if name is None:
            return super()._print_Function(expr)
        return f"{name}({self.stringify(expr.args, ', ')})"

    _print_Max = _print_Min = _print_Abs = _print_Function

    def _print_Integer(self, expr):
        return _integer(int(expr))

    def _print_Rational(self, expr):
        if abs(expr.p) <= _LITERAL and expr.q <= _LITERAL:
            return super()._print_Rational(expr)
        return f"{_integer(expr.p)}/{_integer(expr.q)}"


class _Latex(LatexPrinter):
    def _print_sign(self, expr, exp=None):
        power = "" if exp is None else f"^{{{exp}}}"
        return rf"\operatorname{{sign}}{power}\left({self._print(expr.args[0])}\right)"

    def _print_Abs(self, expr, exp=None):
        body = rf"\left\lvert {self._print(expr.args[0])}\right\rvert"
        return body if exp is None else rf"{body}^{{{exp}}}"


def text(expression: sp.Basic) -> str:
    """``expression`` as text in the expression language (``max``, ``abs``, ``sign``, ``step``)."""
    return _Text({"order": None}).doprint(expression)


def latex(expression: sp.Basic) -> str:
    """``expression`` as LaTeX (``\\max``, ``\\lvert x\\rvert``, ``\\operatorname{sign}``, ...)."""
    return _Latex().doprint(expression)
