r"""Points at which to evaluate an expression: ``"a=-4, b=2"`` -> exact numbers (internal).

Each value goes through the same safe parser as an expression (so ``"pi/4"``, ``"1/3"`` and
``"-2.5e-1"`` are allowed and exact) and must be a real constant. A value is evaluated with
SymPy's arbitrary-precision ``evalf`` (mpmath) to 30 significant digits and only then rounded
to the nearest float64, so the float is the correctly rounded value in all but ties.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from fractions import Fraction

import sympy as sp

from ..errors import ArgumentError, ExpressionError
from .parser import check
from .time_limit import quote
from .whitelist import CONSTANTS, NAME_PATTERN, RESERVED

__all__ = ["as_point", "point_names", "split_point", "value_at"]

#: Significant digits of the exact evaluation before rounding to float64.
DIGITS = 30


def split_point(text: str) -> list[tuple[str, str]]:
    """``"a=-4, b=max(1, 2)"`` -> ``[("a", "-4"), ("b", "max(1, 2)")]`` (commas inside calls kept)."""
    if not isinstance(text, str):
        raise ArgumentError(f"at must be a str such as 'a=-4, b=2' or a dict, got {type(text).__name__}")
    items, depth, start = [], 0, 0
    for offset, char in enumerate(text + ","):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth <= 0:
            items.append(text[start:offset])
            start = offset + 1
    pairs = []
    for item in items:
        name, equals, value = item.partition("=")
        if not equals or not name.strip() or not value.strip():
            raise ArgumentError(
                f"at: expected name=value pairs separated by commas, got {quote(item.strip())}"
            )
        pairs.append((name.strip(), value.strip()))
    return pairs


def _name(name) -> str:
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name) or name in CONSTANTS or name in RESERVED:
        raise ArgumentError(f"at: {name!r} is not a variable name")
    return name


def _constant(name: str, value) -> sp.Expr:
    if isinstance(value, str):
        builder, tree = check(value)
        number = builder.build(tree)
    elif isinstance(value, sp.Basic):
        number = value
    elif isinstance(value, (numbers.Rational, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):  # Fraction() cannot take these
            raise ExpressionError(f"at: the value of {name} must be a finite real number, got {value!r}")
        number = sp.Rational(Fraction(value))  # a float is taken at its exact binary value
    else:
        raise ArgumentError(f"at: the value of {name} must be a number or a str, got {value!r}")
    if not isinstance(number, sp.Expr) or number.free_symbols:
        raise ExpressionError(f"at: the value of {name} must be a constant, got {value!r}")
    if number.is_extended_real is not True or not number.is_finite:
        raise ExpressionError(f"at: the value of {name} must be a finite real number, got {value!r}")
    return number


def as_point(at) -> dict[str, sp.Expr]:
    """``at`` (a ``"name=value, ..."`` str or a ``{name: value}`` mapping) as exact SymPy numbers."""
    pairs = list(at.items()) if isinstance(at, Mapping) else split_point(at)
    point = {}
    for name, value in pairs:
        name = _name(name)
        if name in point:
            raise ArgumentError(f"at: {name} is given twice")
        point[name] = _constant(name, value)
    if not point:
        raise ArgumentError("at: give at least one name=value")
    return point


def point_names(point: dict, expression: sp.Expr, text: str) -> dict[sp.Symbol, sp.Expr]:
    """The point keyed by the expression's symbols; every variable needs a value, and no other."""
    present = {symbol.name: symbol for symbol in expression.free_symbols}
    found = ", ".join(sorted(present)) or "none"
    for name in point:
        if name not in present:
            raise ArgumentError(f"at: {name} does not occur in {quote(text)} (its variables: {found})")
    missing = [name for name in sorted(present) if name not in point]
    if missing:
        raise ArgumentError(
            f"at: no value for {', '.join(missing)} (the variables of {quote(text)}: {found})"
        )
    return {present[name]: value for name, value in point.items()}


def value_at(expression: sp.Expr, substitution: dict, what: str) -> float:
    """``expression`` at the point, evaluated exactly then rounded to float64."""
    exact = expression.xreplace(substitution)
    value = exact.evalf(DIGITS)
    if not value.is_Number or value.has(sp.I) or not value.is_finite:
        where = ", ".join(f"{symbol}={number}" for symbol, number in substitution.items())
        raise ExpressionError(f"{what} is not a finite real number at {where} (it is {value})")
    return float(value)
