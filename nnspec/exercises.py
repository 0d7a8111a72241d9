"""Check a reader's answer to an exercise: mathematically, never by comparing strings.

The teaching pages carry exercises (``docs/exercises/<page>.md``); the site's Web Worker runs
`check_answer_json` in Pyodide, the tests run `check_answer`. Three kinds of answer:

* ``"expression"``: the text goes through nnspec's safe parser (`nnspec.expressions.parse`:
  an ``ast`` whitelist, so hostile text is refused before anything runs; the refusal is the
  message). It is accepted when ``sympy.simplify(given - expected) == 0`` after the named
  activations are replaced by their definitions, else when both agree at `POINTS` seeded
  points within the relative tolerance `AGREEMENT` (the message says which test accepted it).
  A wrong derivative is answered with its value at a point against the right one, or with
  what it is: the derivative of the inner function only, the chain rule without the inner
  derivative, a constant factor off.
* ``"number"``: any constant expression (``log(10)``, ``2/3``, ``0.667``) within the
  exercise's absolute ``tolerance``.
* ``"choice"``: the id of one of the ``choices``.

A listed wrong answer (``wrong: [{answer, feedback}]``) is recognised mathematically too and
answered with its feedback. The page stops a check that runs longer than `TIME_LIMIT` seconds
(the playground's limit) by terminating its worker. The module imports no numpy, so it runs wherever the expression
side runs.

Examples
--------
>>> spec = {"kind": "expression", "answer": "sigmoid(x)", "variables": ["x"],
...         "check": {"derive": {"expr": "softplus(x)", "wrt": "x"}}}
>>> check_answer(spec, "1/(1 + exp(-x))")["correct"]
True
>>> check_answer(spec, "exp(x)/(1 + exp(x))")["correct"]
True
>>> print(check_answer(spec, "__import__('os')")["message"])
character "'" is not allowed: strings are not allowed (column 12: "'")
"""

from __future__ import annotations

import json
import random

import sympy as sp

from .errors import ArgumentError, ExpressionTimeout
from .expressions import DEFAULT_TIMEOUT, chain_rule, expand_activations, parse
from .expressions.playground import TIME_LIMIT
from .expressions.time_limit import run_with_time_limit

__all__ = ["AGREEMENT", "POINTS", "TIME_LIMIT", "check_answer", "check_answer_json"]

#: Number of seeded points at which two expressions are compared when SymPy cannot decide.
POINTS = 8
#: Relative tolerance of that comparison (float64 rounding is far below it).
AGREEMENT = 1e-9
KINDS = ("expression", "number", "choice")


def _one_line(text) -> str:
    return " ".join(str(text).split())


def _result(correct: bool, message: str) -> dict:
    return {"correct": correct, "message": _one_line(message)}


def _number(value: sp.Expr) -> float | None:
    """A real float for a constant expression, or None (complex, infinite, undefined)."""
    exact = sp.N(value, 30)
    if not exact.is_number or exact.has(sp.zoo, sp.oo, -sp.oo, sp.nan) or not exact.is_real:
        return None
    return float(exact)


def _same(a: float, b: float, rtol: float) -> bool:
    return abs(a - b) <= rtol * max(abs(a), abs(b), 1.0)


def _points(names: list[str], seed: int = 0):
    """Endless seeded points with exact rational coordinates in [-2, 2] (k/8, never 0)."""
    rng = random.Random(seed)
    while True:
        yield {name: sp.Rational(rng.choice([k for k in range(-16, 17) if k]), 8) for name in names}


def _at(expr: sp.Expr, point: dict) -> float | None:
    symbols = {s: point[s.name] for s in expr.free_symbols if s.name in point}
    return _number(expand_activations(expr).subs(symbols))


def _agreement(given: sp.Expr, expected: sp.Expr, names: list[str]):
    """(True, None) when both agree at POINTS points; else (False, (point, given, expected))."""
    compared = tried = 0
    for point in _points(names):
        tried += 1
        if compared == POINTS or tried > 20 * POINTS:
            break
        a, b = _at(given, point), _at(expected, point)
        if b is None:
            continue  # outside the expected answer's domain (a log of a negative number)
        if a is None or not _same(a, b, AGREEMENT):
            return False, (point, a, b)
        compared += 1
    return compared == POINTS, None


def _equal(given: sp.Expr, expected: sp.Expr, names: list[str]) -> str | None:
    """How ``given`` was found equal to ``expected`` ("simplify" or "points"), or None.

    A disagreement at a point proves the two differ, so SymPy's (slow) simplification runs
    only for an answer that agrees at every point; it decides whether the answer equals the
    solution exactly, and agreement at the points is the fallback when it cannot tell.
    """
    agree, _ = _agreement(given, expected, names)
    if not agree:
        return None
    return "simplify" if sp.simplify(expand_activations(given - expected)) == 0 else "points"


def _constant_ratio(expected: sp.Expr, given: sp.Expr, names: list[str]) -> sp.Rational | float | None:
    """expected / given when it is the same number at every point, else None."""
    ratios = []
    for point, _ in zip(_points(names), range(POINTS)):
        a, b = _at(given, point), _at(expected, point)
        if a is None or b is None or a == 0:
            return None
        ratios.append(b / a)
    if not all(_same(r, ratios[0], AGREEMENT) for r in ratios):
        return None
    exact = sp.Rational(ratios[0]).limit_denominator(1000)
    return exact if _same(float(exact), ratios[0], AGREEMENT) else ratios[0]


def _names(spec: dict, expected: sp.Expr) -> list[str]:
    names = spec.get("variables") or sorted(s.name for s in expected.free_symbols)
    return [str(name) for name in names]


def _show(point: dict) -> str:
    return ", ".join(f"{name} = {value}" for name, value in point.items())


def _chain_diagnosis(given: sp.Expr, derive: dict) -> str | None:
    """What a wrong derivative is, when the exercise says which derivative it asks for."""
    try:
        steps = chain_rule(str(derive["expr"]), str(derive["wrt"]), simplify="none", timeout=None)
    except ArgumentError:
        return None
    level = steps
    inner_derivatives = []
    while len(level.paths) == 1 and level.paths[0].inner != level.variable:
        path = level.paths[0]
        inner_derivatives.append((path.inner, path.steps.derivative))
        level = path.steps
    names = sorted(s.name for s in steps.expression.free_symbols)
    if inner_derivatives:
        inner, d_inner = inner_derivatives[0]
        if _agreement(given, d_inner, names)[0]:
            return f"this is the derivative of the inner function {inner} only: multiply it by the outer derivative"
    expected = steps.derivative
    for inner, d_inner in inner_derivatives:
        if d_inner != 1 and _agreement(given * d_inner, expected, names)[0]:
            return (
                f"you left out the inner derivative d({inner})/d{derive['wrt']} = {d_inner}: "
                "the chain rule multiplies by it"
            )
    ratio = _constant_ratio(expected, given, names)
    if ratio is None or ratio == 1:
        return None
    if ratio == -1:
        return "the sign is wrong"
    return f"off by a constant factor: the right answer is {ratio} times yours"


def _wrong_feedback(spec: dict, matches) -> str | None:
    for entry in spec.get("wrong") or ():
        if matches(str(entry["answer"])):
            return str(entry["feedback"])
    return None


def _expression(spec: dict, text: str) -> dict:
    expected = parse(str(spec["answer"]), timeout=None)
    given = parse(text, timeout=None)
    names = _names(spec, expected)
    unknown = sorted(s.name for s in given.free_symbols if s.name not in names)
    if unknown:
        return _result(
            False, f"{', '.join(unknown)} is not a variable of this exercise; use {', '.join(names)}"
        )
    how = _equal(given, expected, names)
    if how == "simplify":
        return _result(True, "Correct: it equals the solution (SymPy simplifies the difference to 0).")
    if how == "points":
        return _result(
            True,
            f"Correct: it agrees with the solution at {POINTS} seeded points within a relative {AGREEMENT:g}.",
        )
    listed = _wrong_feedback(spec, lambda answer: _agreement(given, parse(answer, timeout=None), names)[0])
    derive = (spec.get("check") or {}).get("derive")
    diagnosis = listed or (_chain_diagnosis(given, derive) if derive else None)
    _, where = _agreement(given, expected, names)
    detail = ""
    if where is not None:
        point, a, b = where
        shown = "undefined" if a is None else f"{a:.6g}"
        detail = f" At {_show(point)} yours is {shown}, the right answer is {b:.6g}."
    return _result(
        False, f"Not yet: {diagnosis + '.' if diagnosis else 'this is not equal to the answer.'}{detail}"
    )


def _number_answer(spec: dict, text: str) -> dict:
    tolerance = float(spec.get("tolerance", 1e-9))
    expected = _number(parse(str(spec["answer"]), timeout=None))
    given_expr = parse(text, timeout=None)
    if given_expr.free_symbols:
        names = ", ".join(sorted(s.name for s in given_expr.free_symbols))
        return _result(False, f"the answer is a number; this has the variable(s) {names}")
    given = _number(given_expr)
    if given is None:
        return _result(False, "the answer is a finite real number; this is not one")
    if expected is not None and abs(given - expected) <= tolerance:
        return _result(True, f"Correct: within {tolerance:g} of the solution.")

    def matches(answer: str) -> bool:
        value = _number(parse(answer, timeout=None))
        return value is not None and abs(given - value) <= tolerance

    listed = _wrong_feedback(spec, matches)
    return _result(
        False,
        f"Not yet: {listed + '.' if listed else f'{given:.6g} is not within {tolerance:g} of the answer.'}",
    )


def _choice(spec: dict, text: str) -> dict:
    ids = [str(choice["id"]) for choice in spec.get("choices") or ()]
    chosen = text.strip()
    if chosen not in ids:
        return _result(False, f"choose one of {', '.join(ids)}")
    if chosen == str(spec["answer"]):
        return _result(True, "Correct.")
    listed = _wrong_feedback(spec, lambda answer: answer == chosen)
    return _result(False, f"Not yet: {listed + '.' if listed else 'that is not the one.'}")


def check_answer(spec: dict, text: str, *, timeout: float | None = DEFAULT_TIMEOUT) -> dict:
    """Check ``text`` against the exercise ``spec``.

    Parameters
    ----------
    spec : dict
        ``kind`` ("expression", "number" or "choice") and ``answer`` (text the field accepts);
        optionally ``variables`` (names an expression may use), ``tolerance`` (absolute, for
        numbers; default 1e-9), ``choices`` (``[{id, text}]``), ``wrong``
        (``[{answer, feedback}]``) and ``check`` (``{"derive": {"expr", "wrt"}}`` names the
        derivative asked for, which makes chain-rule mistakes recognisable).
    text : str
        The reader's answer.
    timeout : float or None
        Seconds allowed (default 5). Not enforced in Pyodide, where the page stops the worker.

    Returns
    -------
    dict
        ``{"correct": bool, "message": str}``, the message one line: why it is right, what is
        wrong with it, or the parser's refusal.

    Raises
    ------
    ArgumentError
        When ``spec`` itself is malformed (an unknown kind, a missing answer).

    Examples
    --------
    >>> check_answer({"kind": "number", "answer": "log(10)", "tolerance": 0.001}, "2.3026")
    {'correct': True, 'message': 'Correct: within 0.001 of the solution.'}
    """
    if not isinstance(spec, dict) or spec.get("kind") not in KINDS or "answer" not in spec:
        raise ArgumentError(f"spec must be a dict with kind in {KINDS} and an answer, got {spec!r}")
    if not isinstance(text, str):
        return _result(False, f"the answer must be text, got {type(text).__name__}")
    if not text.strip():
        return _result(False, "type an answer first")
    check = {"expression": _expression, "number": _number_answer, "choice": _choice}[spec["kind"]]
    try:
        return run_with_time_limit(check, (spec, text), timeout, "checking the answer")
    except (ArgumentError, ExpressionTimeout) as error:  # the parser's refusals and the time limit
        return _result(False, str(error))


def check_answer_json(spec_json: str, text: str) -> str:
    """`check_answer` for the Web Worker: the spec as JSON in, the result as JSON out.

    Examples
    --------
    >>> check_answer_json('{"kind": "choice", "answer": "b", "choices": [{"id": "a"}, {"id": "b"}]}', "b")
    '{"correct": true, "message": "Correct."}'
    """
    return json.dumps(check_answer(json.loads(spec_json), text, timeout=None))
