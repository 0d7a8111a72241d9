r"""Explore derivatives safely: parse text into SymPy, differentiate it, show the chain rule.

* `parse` turns text such as ``"tanh(w*x + b)"`` into a SymPy expression through an
  ``ast`` whitelist that builds SymPy objects directly; nothing is evaluated, so text is never
  code. The refusals and limits are listed in `nnspec.expressions.parser` and `nnspec.expressions.whitelist`.
* `derivation` differentiates (exact and cheap), then simplifies within a budget
  (``simplify="auto" | "full" | "none"``) and, given a point ``at``, evaluates the
  expression and each partial derivative there; `derive` returns just the partials.
* `chain_rule` shows how a derivative of a composition splits into outer and inner
  derivatives, one *path* per argument that depends on the variable:
  $\frac{df}{dx} = \sum_i \frac{\partial f}{\partial u_i}\big|_{u=g(x)}\,\frac{dg_i}{dx}$.
* `parse_point` reads a point such as ``"a=-4, b=2"`` with the same safe parser.

Calls run without a time limit unless asked (``timeout=None`` is the default). Given
``timeout=seconds``, the work runs in a warm worker process that is killed and replaced when
the limit passes, and `ExpressionTimeout` (a `TimeoutError`) is raised: nothing reaches into
the caller's thread, signals or timers (see `nnspec.expressions.time_limit`).
Values at a point are correctly rounded to float64 or refused (`nnspec.expressions.point`);
every formula prints in the expression language and reads back (`nnspec.expressions.printing`);
kinks follow one stated convention (`nnspec.expressions.simplification`).
``sigmoid``, ``relu``, ``softplus``, ``gelu``, ``elu`` and ``leaky_relu`` stay named
functions in the results (``sigmoid(x)*(1 - sigmoid(x))``); `expand_activations`
replaces them by nnspec's definitions. ``pi`` and ``E`` are SymPy's constants.

Examples
--------
>>> import nnspec as ns
>>> import sympy as sp
>>> a, b = sp.symbols("a b", real=True)  # the parser makes every name real
>>> result = ns.derivation("a**2*b", ["a", "b"], at="a=-4, b=2")
>>> result.partials == {"a": 2 * a * b, "b": a**2}
True
>>> result.value, result.partial_values
(32.0, {'a': -16.0, 'b': 16.0})
>>> steps = ns.chain_rule("sin(x**2)", "x")
>>> steps.outer, steps.inner, steps.outer_derivative, steps.inner_derivative
(sin(u), x**2, cos(x**2), 2*x)
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp

from ..errors import ArgumentError
from .chain_steps import ChainPath, ChainStep, explain, placeholder_stem
from .parser import check, parse, parse_now
from .point import Underflow, as_point, point_names, value_at
from .printing import in_language, latex, text
from .results import ChainRule, Derivation
from .simplification import check_simplify, differentiate, simplify_all
from .sympy_activations import expand_activations
from .time_limit import DEFAULT_TIMEOUT, ExpressionTimeout, check_timeout, quote, run_with_time_limit
from .whitelist import CONSTANTS, FUNCTIONS, NAME_PATTERN, RESERVED

__all__ = [
    "DEFAULT_TIMEOUT",
    "FUNCTIONS",
    "ChainPath",
    "ChainRule",
    "ChainStep",
    "Derivation",
    "ExpressionTimeout",
    "Underflow",
    "chain_rule",
    "derivation",
    "derive",
    "expand_activations",
    "in_language",
    "latex",
    "parse",
    "parse_point",
    "text",
]


def _names(wrt) -> list[str]:
    names = [wrt] if isinstance(wrt, str) else wrt
    if not isinstance(names, Sequence) or not names or not all(isinstance(n, str) for n in names):
        raise ArgumentError(f"wrt must be a name or a non-empty list of names, got {wrt!r}")
    for name in names:
        if not NAME_PATTERN.fullmatch(name) or name in FUNCTIONS or name in CONSTANTS or name in RESERVED:
            raise ArgumentError(f"wrt: {name!r} is not a variable name")
    return list(dict.fromkeys(names))


def _variables(expression: sp.Expr, names: list[str], text: str) -> list[sp.Symbol]:
    present = {symbol.name: symbol for symbol in expression.free_symbols}
    for name in names:
        if name not in present:
            found = ", ".join(sorted(present)) or "none"
            raise ArgumentError(f"wrt: {name} does not occur in {quote(text)} (its variables: {found})")
    return [present[name] for name in names]


def _derivation(text: str, names: list[str], at, simplify: str) -> Derivation:
    point = None if at is None else as_point(at)
    expression = parse_now(text)
    variables = _variables(expression, names, text)
    substitution = None if point is None else point_names(point, expression, text)
    raw = {s.name: differentiate(expression, s) for s in variables}
    partials, levels = simplify_all(raw, simplify)
    value = partial_values = None
    if substitution is not None:
        value = value_at(expression, substitution, quote(text))
        partial_values = {n: value_at(raw[n], substitution, f"d/d{n} of {quote(text)}") for n in raw}
    return Derivation(text, expression, partials, levels, point, value, partial_values)


def derivation(text: str, wrt, *, at=None, simplify: str = "auto", timeout=DEFAULT_TIMEOUT) -> Derivation:
    """Partial derivatives of ``text``, simplified within a budget, and their values at a point.

    Parameters
    ----------
    text : str
        An expression accepted by `parse`.
    wrt : str or sequence of str
        The variable(s); each must occur in ``text``.
    at : str or mapping, optional
        A point, ``"a=-4, b=2"`` (see `parse_point`) or ``{"a": -4, "b": 2}``; it must give
        a value to every variable of ``text`` and to nothing else.
    simplify : {"auto", "full", "none"}
        ``"none"``: the raw derivative. ``"full"``: ``sympy.simplify`` of it (may take long).
        ``"auto"`` (default): a cheap normal form (``factor_terms``, and ``cancel`` for a small
        rational function), decided by the expression, never by the clock; the level each
        result got is in ``simplify_level``.
    timeout : float or None
        None (default): no limit, the work runs in the caller's thread. Seconds (at most one
        day): the work runs in a worker process, stopped when the limit passes.

    Returns
    -------
    Derivation
        ``.partials`` in the order of ``wrt``; with ``at``, ``.value`` and
        ``.partial_values`` correctly rounded to float64 (or refused).

    Raises
    ------
    ExpressionError
        When ``text`` or a value of ``at`` is refused by the parser, or a value at the point is
        not real, beyond float64's range, or cannot be certified.
    ArgumentError
        For a ``wrt`` that is not a name occurring in ``text``, a point that misses a variable
        or names an unknown one, or a bad ``simplify`` or ``timeout``.
    ExpressionTimeout
        When the derivation takes longer than ``timeout``.

    Examples
    --------
    >>> d = derivation("relu(x)**2 + x/2", "x", at="x=3")
    >>> d.value, d.partial_values
    (10.5, {'x': 6.5})
    """
    check(text)  # fast refusals come before any worker
    names = _names(wrt)
    simplify = check_simplify(simplify)
    timeout = check_timeout(timeout)
    what = f"the derivative of {quote(text)}"
    return run_with_time_limit(_derivation, (text, names, at, simplify), timeout, what)


def derive(text: str, wrt, *, simplify: str = "auto", timeout=DEFAULT_TIMEOUT) -> dict[str, sp.Expr]:
    """Partial derivatives of the expression ``text``: ``derivation(...).partials``.

    Parameters
    ----------
    text : str
        An expression accepted by `parse`.
    wrt : str or sequence of str
        The variable(s); each must occur in ``text``.
    simplify : {"auto", "full", "none"}
        How far to simplify (see `derivation`).
    timeout : float or None
        Seconds allowed (run in a worker process); None (default) for no limit.

    Returns
    -------
    dict
        ``{name: d text / d name}`` in the order of ``wrt``.

    Examples
    --------
    >>> import sympy as sp
    >>> result = derive("tanh(w*x + b)", ["w", "b"])
    >>> list(result)
    ['w', 'b']
    >>> w, x, b = sp.symbols("w x b", real=True)
    >>> sp.simplify(result["w"] - x * (1 - sp.tanh(w * x + b) ** 2))
    0
    """
    return derivation(text, wrt, simplify=simplify, timeout=timeout).partials


def parse_point(text, *, timeout=DEFAULT_TIMEOUT) -> dict[str, sp.Expr]:
    """Read a point such as ``"a=-4, b=2"``: each value through the safe parser, exact.

    Parameters
    ----------
    text : str
        ``name=value`` pairs separated by commas; each value is an expression without
        variables (``"pi/4"``, ``"1/3"``, ``"max(1, 2)"``) that is a finite real number.
    timeout : float or None
        Seconds allowed (run in a worker process); None (default) for no limit.

    Returns
    -------
    dict of str to sympy.Expr

    Examples
    --------
    >>> parse_point("a=-4, b=0.5, c=pi/4")
    {'a': -4, 'b': 1/2, 'c': pi/4}
    """
    return run_with_time_limit(as_point, (text,), timeout, f"reading the point {quote(str(text))}")


def _chain_rule(text: str, names: list[str], at, simplify: str) -> ChainRule:
    point = None if at is None else as_point(at)
    expression = parse_now(text)
    (variable,) = _variables(expression, names, text)
    if point is not None:
        point_names(point, expression, text)
    root = explain(expression, variable, placeholder_stem(expression))
    fields = {name: getattr(root, name) for name in ChainStep.__dataclass_fields__}
    simplified, levels = simplify_all({variable.name: root.derivative}, simplify)
    return ChainRule(
        **fields, simplified=simplified[variable.name], simplify_level=levels[variable.name], point=point
    )


def chain_rule(text: str, wrt: str, *, at=None, simplify: str = "auto", timeout=DEFAULT_TIMEOUT) -> ChainRule:
    """The chain-rule steps of d ``text`` / d ``wrt``: outer, inner, their derivatives, products.

    Parameters
    ----------
    text : str
        An expression accepted by `parse`.
    wrt : str
        The variable; it must occur in ``text``.
    at : str or mapping, optional
        A point (as for `derivation`); ``str()`` then shows each step's value there.
    simplify : {"auto", "full", "none"}
        How far to simplify the final result (see `derivation`).
    timeout : float or None
        Seconds allowed (run in a worker process); None (default) for no limit.

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
    names = _names(wrt)
    simplify = check_simplify(simplify)
    timeout = check_timeout(timeout)
    what = f"the chain rule for {quote(text)}"
    return run_with_time_limit(_chain_rule, (text, names, at, simplify), timeout, what)
