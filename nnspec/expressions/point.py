r"""Points at which to evaluate an expression: ``"a=-4, b=2"`` -> exact numbers (internal).

Each value goes through the same safe parser as an expression (so ``"pi/4"``, ``"1/3"`` and
``"-2.5e-1"`` are allowed and exact) and must be a real constant.

A value at the point is **correctly rounded or refused** (`value_at`):

1. the expression, with the point substituted and the activations written out, is evaluated
   by SymPy's ``evalf(n, strict=True)`` (mpmath underneath), which raises rather than return
   fewer than ``n`` correct digits, however much cancellation there is (``gelu(-30)``,
   ``1 - tanh(200)**2``): its working precision grows up to `MAX_WORKING_DIGITS`;
2. the exact value lies within a relative ``10**(1 - n)`` of that result: when both ends of
   that interval round to the same float64, that float is the correctly rounded value;
   otherwise ``n`` grows (`DIGITS`) until they do;
3. a value ``evalf`` cannot tell from 0 is put through a bounded symbolic zero test
   (``cancel(together(...))``, then ``sympy.simplify`` when the expression has at most
   `ZERO_TEST_OPS` operations); proved zero, it is exactly ``0.0``
   (``d/dx [sigmoid(x) + sigmoid(-x)]`` at 3), else it is refused as not certifiable;
4. a value beyond float64's range is refused with its magnitude; one below the smallest
   subnormal is the signed zero it rounds to, an `Underflow` whose ``repr`` is the float's
   and whose `number_text` carries a note with the exact value's magnitude.

Printed with ``repr``, a float is the shortest decimal that reads back as the same float64.
"""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Mapping
from fractions import Fraction

import sympy as sp

from ..errors import ArgumentError, ExpressionError
from .parser import check
from .time_limit import quote
from .whitelist import CONSTANTS, NAME_PATTERN, RESERVED

__all__ = ["Underflow", "as_point", "number_text", "point_names", "split_point", "value_at"]

#: Significant digits asked of ``evalf``, in turn, until the float64 rounding is certain.
DIGITS = (20, 60, 200)
#: The working precision ``evalf`` may reach to get them (cancellation costs digits).
MAX_WORKING_DIGITS = 3000
#: The symbolic zero test runs ``sympy.simplify`` on expressions up to this many operations.
ZERO_TEST_OPS = 150


class Underflow(float):
    """A float64 that is the signed zero an exact value too small for float64 rounds to.

    ``exact`` holds the exact value to 5 significant digits, as text (e.g. ``"-1.4624e-348"``).
    """

    exact: str

    def __new__(cls, value: float, exact: str):
        number = super().__new__(cls, value)
        number.exact = exact
        return number

    def __repr__(self) -> str:
        return float.__repr__(self)


def number_text(value: float) -> str:
    """``repr(value)``, with a note when it is an `Underflow`."""
    if isinstance(value, Underflow):
        return f"{value!r} (underflow: the exact value {value.exact} is below float64's smallest subnormal)"
    return repr(value)


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


_NOT_FINITE = {"inf", "infinity", "nan", "oo", "-inf", "-infinity", "+inf", "-oo", "zoo"}


def _constant(name: str, value) -> sp.Expr:
    if isinstance(value, str):
        if value.strip().lower() in _NOT_FINITE:
            raise ExpressionError(f"at: the value of {name} must be a finite real number, got {value!r}")
        try:
            builder, tree = check(value)
            number = builder.build(tree)
        except ExpressionError as error:
            raise ExpressionError(f"at: the value of {name}, {quote(value)}, is refused: {error}") from None
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


def _approx(value) -> str:
    """``value`` to 5 significant digits, whatever its magnitude (``-1.4624e-348``)."""
    import mpmath

    return mpmath.nstr(mpmath.mpf(sp.Float(value, 10)._mpf_), 5)


def _where(substitution: dict) -> str:
    return ", ".join(f"{symbol}={number}" for symbol, number in substitution.items())


def _rounded(value: sp.Float, relative: Fraction) -> float | None:
    """The float64 every number within ``relative`` of ``value`` rounds to, or None."""
    exact = Fraction(*sp.Rational(value).as_numer_denom())
    ends = {float(exact * (1 - relative)), float(exact * (1 + relative))}  # OverflowError beyond range
    return ends.pop() if len(ends) == 1 else None


def _proved_zero(exact: sp.Expr) -> bool:
    if sp.cancel(sp.together(exact)) == 0:
        return True
    return sp.count_ops(exact) <= ZERO_TEST_OPS and sp.simplify(exact) == 0


def value_at(expression: sp.Expr, substitution: dict, what: str) -> float:
    """``expression`` at the point, correctly rounded to float64, or refused (see above).

    Raises
    ------
    ExpressionError
        When the value is not real, beyond float64's range, or cannot be certified.
    """
    from .sympy_activations import expand_activations

    exact = expand_activations(expression.xreplace(substitution))
    if exact.has(sp.I, sp.zoo, sp.nan, sp.oo, -sp.oo) or exact.free_symbols:
        raise ExpressionError(f"{what} is not a finite real number at {_where(substitution)} (it is {exact})")
    if exact.is_Rational:
        return _float(Fraction(int(exact.p), int(exact.q)), exact, what, substitution)
    for digits in DIGITS:
        try:
            value = exact.evalf(digits, strict=True, maxn=MAX_WORKING_DIGITS)
        except sp.core.evalf.PrecisionExhausted:
            break  # indistinguishable from 0 (or beyond the working precision): the zero test
        if not value.is_Number or not value.is_finite or value.has(sp.I):
            raise ExpressionError(
                f"{what} is not a finite real number at {_where(substitution)} (it is {value})"
            )
        if value == 0:
            break
        try:
            rounded = _rounded(value, Fraction(1, 10 ** (digits - 1)))
        except OverflowError:
            raise ExpressionError(
                f"{what} at {_where(substitution)} is about {_approx(value)}, beyond float64's range "
                f"(largest {sys.float_info.max:.4g})"
            ) from None
        if rounded is not None:
            if rounded == 0:
                return Underflow(rounded, _approx(value))
            if math.isinf(rounded):
                raise ExpressionError(
                    f"{what} at {_where(substitution)} is about {_approx(value)}, beyond float64's "
                    f"range (largest {sys.float_info.max:.4g})"
                )
            return rounded
    if _proved_zero(exact):
        return 0.0
    raise ExpressionError(
        f"{what} at {_where(substitution)} cannot be certified: it is indistinguishable from 0 at "
        f"{MAX_WORKING_DIGITS} digits and the symbolic zero test did not decide"
    )


def _float(exact: Fraction, number: sp.Expr, what: str, substitution: dict) -> float:
    try:
        rounded = float(exact)
    except OverflowError:
        rounded = math.inf
    if math.isinf(rounded):
        raise ExpressionError(
            f"{what} at {_where(substitution)} is about {_approx(number)}, beyond float64's range "
            f"(largest {sys.float_info.max:.4g})"
        )
    if rounded == 0 and exact != 0:
        return Underflow(rounded, _approx(number))
    return rounded
