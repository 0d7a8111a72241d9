r"""Differentiate first, then simplify within a budget (internal; used by `derivation`).

Differentiating is exact and cheap (``sympy.diff`` of any expression the parser accepts takes
milliseconds); ``sympy.simplify`` is what can run for minutes. So the derivative is taken
first, and each result then gets one of three *levels*, recorded by name:

``"none"``
    the raw derivative, as ``sympy.diff`` returns it (with the kink convention below);
``"normal"``
    a cheap normal form: ``sympy.factor_terms`` (common factors pulled out of sums, without
    expanding anything), kept only when it is not longer (``sympy.count_ops``) than the raw
    form;
``"full"``
    ``sympy.simplify`` of the raw derivative.

``simplify="none"`` and ``"full"`` ask for that level (``"full"`` may time out).
``simplify="auto"`` computes the normal form, then tries ``sympy.simplify`` within
`AUTO_BUDGET` seconds (and never more than a quarter of the time the caller's limit has
left, so the fallback always fits), and returns the full result if it finished, else the normal form.
The corpus in ``bench/derive_corpus.py`` chose this order and the budget.

Kinks: SymPy's derivative of ``Max(x, 0)`` is ``Heaviside(x)``, which is 1/2 at 0; nnspec's
convention (``relu'(0) = 0``, also PyTorch's and TensorFlow's) is a derivative of 0 at a tie,
so every ``Heaviside(u)`` becomes ``Heaviside(u, 0)``.
"""

from __future__ import annotations

import time

import sympy as sp

from ..errors import ArgumentError, ExpressionError
from .time_limit import ExpressionTimeout, run_with_time_limit, time_left

__all__ = ["AUTO_BUDGET", "LEVELS", "SIMPLIFY", "differentiate", "simplify_all"]

#: Seconds ``simplify="auto"`` lets ``sympy.simplify`` run, over all requested partials.
AUTO_BUDGET = 1.0
#: The levels a result can get, from least to most simplified.
LEVELS = ("none", "normal", "full")
#: The values of the ``simplify`` argument.
SIMPLIFY = ("auto", "full", "none")


def check_simplify(simplify) -> str:
    if not isinstance(simplify, str) or simplify not in SIMPLIFY:
        raise ArgumentError(f"simplify must be one of {', '.join(map(repr, SIMPLIFY))}, got {simplify!r}")
    return simplify


def _tie_at_zero(expression: sp.Expr) -> sp.Expr:
    return expression.replace(
        lambda e: isinstance(e, sp.Heaviside) and e.args[1:] != (0,),
        lambda e: sp.Heaviside(e.args[0], 0),
    )


def differentiate(expression: sp.Expr, variable: sp.Symbol) -> sp.Expr:
    """``sympy.diff`` with nnspec's convention at kinks; refuses a complex result."""
    derivative = _tie_at_zero(sp.diff(expression, variable))
    if derivative.has(sp.I):
        raise ExpressionError(
            f"the derivative with respect to {variable} is not real ({derivative}): names are real, "
            "and complex values are refused"
        )
    return derivative


def _normal(derivative: sp.Expr) -> sp.Expr:
    normal = sp.factor_terms(derivative)
    return normal if sp.count_ops(normal) <= sp.count_ops(derivative) else derivative


def _full(derivative: sp.Expr) -> sp.Expr:
    return _tie_at_zero(sp.simplify(derivative))


def _within(function, expression, seconds):
    """``function(expression)`` or None when it does not finish within ``seconds``."""
    if seconds is not None and seconds <= 1e-3:
        return None
    try:
        return run_with_time_limit(function, (expression,), seconds, "simplifying")
    except ExpressionTimeout:
        return None


def _share(total: float | None, parts: int) -> float | None:
    """``total`` split in ``parts``, never more than a quarter of the caller's time left."""
    left = time_left()
    if left is None:
        return total
    return left / 4 / parts if total is None else min(total, left / 4) / parts


def simplify_all(derivatives: dict, simplify: str) -> tuple[dict, dict]:
    """Simplify each derivative at the requested level; return (results, level of each)."""
    if simplify == "none":
        return dict(derivatives), dict.fromkeys(derivatives, "none")
    if simplify == "full":
        return {name: _full(d) for name, d in derivatives.items()}, dict.fromkeys(derivatives, "full")
    results, levels = {}, {}
    for name, derivative in derivatives.items():
        normal = _within(_normal, derivative, _share(None, 2 * len(derivatives)))
        results[name], levels[name] = (derivative, "none") if normal is None else (normal, "normal")
    started = time.monotonic()
    for name, derivative in derivatives.items():  # in order: the first gets all it needs
        budget = _share(AUTO_BUDGET - (time.monotonic() - started), 1)
        full = _within(_full, derivative, budget)
        if full is not None:
            results[name], levels[name] = full, "full"
    return results, levels
