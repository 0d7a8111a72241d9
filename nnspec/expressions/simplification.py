r"""Differentiate first, then simplify by rules that depend on the expression alone (internal).

Differentiating is exact and cheap (``sympy.diff`` of any expression the parser accepts takes
milliseconds); ``sympy.simplify`` is what can run for minutes. So the derivative is taken
first, and each result then gets one of three *levels*, recorded by name:

``"none"``
    the raw derivative, as ``sympy.diff`` returns it (with the kink convention below);
``"normal"``
    a cheap normal form: ``sympy.factor_terms`` (common factors pulled out of sums, without
    expanding anything), and for a small rational function of the variables (at most
    `AUTO_OPS` operations and `AUTO_NODES` nodes, no other function) ``sympy.factor`` (one
    fraction in lowest terms, numerator and denominator factored), whichever is shortest (``sympy.count_ops``),
    never longer than the raw form;
``"full"``
    ``sympy.simplify`` of the raw derivative, kept when it is in the expression language
    (`nnspec.expressions.printing.in_language`), so that it prints and reads back.

``simplify="none"`` and ``"full"`` ask for that level. ``simplify="auto"`` (the default) gives
the normal form: it decides by the expression alone, never by the clock, so a given input
gives the same result on any machine under any load, and it never runs ``sympy.simplify``,
which takes a tenth of a second even on a derivative of two operations and minutes on some
of twenty (``bench/derive_corpus.py`` measured both).

Kinks (a stated convention; each value is an element of the Clarke subdifferential):

* ``max(u, v)`` and ``min(u, v)``: SymPy's derivative contains ``Heaviside(u - v)``; nnspec
  writes it ``(1 + sign(u - v))/2``, which is 1/2 at a tie, so the gradient of ``max(x, y)``
  at ``x = y`` is ``(1/2, 1/2)`` (as ``torch.maximum`` gives), and ``max(x, y) + min(x, y)``
  has gradient ``(1, 1)`` there;
* ``abs'(0) = sign(0) = 0``; ``relu'(0) = step(0) = 0`` (PyTorch's, TensorFlow's and nnspec's
  numeric ``relu.grad``); ``leaky_relu'(0)`` is the slope;
* the derivative of ``sign`` and ``step`` is 0 everywhere (SymPy's ``DiracDelta`` terms are
  dropped): the derivative almost everywhere, as automatic differentiation gives it.

No rule applied operation by operation can be right for every way of writing a function:
``relu(x) - relu(-x)`` is ``x``, yet its derivative at 0 is ``step(0) + step(0) = 0``
(Kakade & Lee 2018, "Provably correct automatic subdifferentiation for qualified programs").
"""

from __future__ import annotations

import sympy as sp

from ..errors import ArgumentError, ExpressionError
from .printing import in_language

__all__ = ["AUTO_NODES", "AUTO_OPS", "LEVELS", "SIMPLIFY", "differentiate", "simplify_all"]

#: The normal form cancels a rational function of at most this many operations
AUTO_OPS = 24
#: ... and at most this many nodes in its expression tree.
AUTO_NODES = 80
#: The levels a result can get, from least to most simplified.
LEVELS = ("none", "normal", "full")
#: The values of the ``simplify`` argument.
SIMPLIFY = ("auto", "full", "none")


def check_simplify(simplify) -> str:
    if not isinstance(simplify, str) or simplify not in SIMPLIFY:
        raise ArgumentError(f"simplify must be one of {', '.join(map(repr, SIMPLIFY))}, got {simplify!r}")
    return simplify


def _kinks(expression: sp.Expr) -> sp.Expr:
    """Heaviside(u) -> (1 + sign(u))/2, DiracDelta(...) -> 0: the convention above."""
    expression = expression.replace(lambda e: isinstance(e, sp.DiracDelta), lambda e: sp.Integer(0))
    return expression.replace(lambda e: isinstance(e, sp.Heaviside), lambda e: (1 + sp.sign(e.args[0])) / 2)


def differentiate(expression: sp.Expr, variable: sp.Symbol) -> sp.Expr:
    """``sympy.diff`` with nnspec's convention at kinks; refuses a complex result."""
    derivative = _kinks(sp.diff(expression, variable))
    if derivative.has(sp.I):
        raise ExpressionError(
            f"the derivative with respect to {variable} is not real ({derivative}): names are real, "
            "and complex values are refused"
        )
    return derivative


def _normal(derivative: sp.Expr) -> sp.Expr:
    candidates = [derivative]
    if _small(derivative) and derivative.is_rational_function():
        candidates.append(sp.factor(derivative))  # one fraction, numerator and denominator factored
    candidates.append(sp.factor_terms(derivative))
    return min(candidates, key=sp.count_ops)  # the first of the shortest: the raw form on a tie


def _full(derivative: sp.Expr) -> sp.Expr | None:
    """``sympy.simplify`` of ``derivative`` when it stays in the language (else None)."""
    full = _kinks(sp.simplify(derivative))
    return full if in_language(full) else None


def _small(derivative: sp.Expr) -> bool:
    if sp.count_ops(derivative) > AUTO_OPS:
        return False
    return sum(1 for _ in zip(range(AUTO_NODES + 1), sp.preorder_traversal(derivative))) <= AUTO_NODES


def simplify_all(derivatives: dict, simplify: str) -> tuple[dict, dict]:
    """Simplify each derivative at the requested level; return (results, level of each)."""
    if simplify == "none":
        return dict(derivatives), dict.fromkeys(derivatives, "none")
    results, levels = {}, {}
    for name, derivative in derivatives.items():
        results[name], levels[name] = _normal(derivative), "normal"
        if simplify == "full":
            full = _full(derivative)
            if full is not None:
                results[name], levels[name] = full, "full"
    return results, levels
