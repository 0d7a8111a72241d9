"""The playground's Python: what the site's Web Worker calls, as JSON in and JSON out.

The playground page (``docs/playground.md``) runs this module inside Pyodide in a Web Worker;
it is a plain module of the expression side, so it is linted and tested without a browser.
User text only ever reaches nnspec's parser, which builds SymPy objects from an `ast`
whitelist and never evaluates it.

The browser cannot interrupt Python (no signals in a Web Worker): the page enforces the time
limit by terminating the worker and starting a fresh one. The limit it uses by default is
`TIME_LIMIT`, the same number as the command line's default ``--timeout``, so an expression
that the command line finishes is not stopped by the page, and the other way round.

Every ``"text"`` is in the expression language (it reads back with `nnspec.parse`); every
value comes with ``"value_text"``, the shortest decimal that reads back as the same float64
(with a note when the exact value underflows), since JavaScript's ``String`` of a number
drops the sign of ``-0.0``.

Examples
--------
>>> import json
>>> from nnspec.expressions.playground import differentiate
>>> result = json.loads(differentiate("x**3", "x", "x=2"))
>>> result["partials"][0]["text"], result["partials"][0]["value"], result["partials"][0]["value_text"]
('3*x**2', 12.0, '12.0')
>>> error = json.loads(differentiate("x +", "x", ""))["error"]  # a refusal is one line
>>> error.startswith("invalid syntax") and "column 3" in error and "\\n" not in error
True
"""

from __future__ import annotations

import json

from ..errors import ArgumentError, ExpressionTimeout
from .point import number_text
from .printing import text as as_text
from .time_limit import INTERACTIVE_TIMEOUT

__all__ = ["TIME_LIMIT", "describe_runtime", "differentiate"]

#: Seconds the page waits for one answer before it stops the worker (the CLI's default too).
TIME_LIMIT = INTERACTIVE_TIMEOUT


def _one_line(text) -> str:
    return " ".join(str(text).split())


def _math(left: str, expr) -> str:
    from sympy.printing.mathml import mathml

    body = mathml(expr, printer="presentation").replace("<mo>-</mo>", "<mo>&minus;</mo>")
    return f'<math display="block">{left}<mo>=</mo>{body}</math>'


def _partial_left(d: str, name: str) -> str:
    return f"<mfrac><mo>{d}</mo><mrow><mo>{d}</mo><mi>{name}</mi></mrow></mfrac>"


def _number(value) -> float | None:
    return None if value is None else float(value)


def _number_text(value) -> str | None:
    return None if value is None else number_text(value)


def differentiate(text: str, wrt: str, at: str = "", simplify: str = "auto", steps: bool = False) -> str:
    """Differentiate ``text`` for the playground page; return the result as a JSON string.

    Parameters
    ----------
    text : str
        The expression, as the reader typed it.
    wrt : str
        Comma-separated variable names.
    at : str
        A point such as ``"x=1, y=2"``, or blank for none.
    simplify : {"auto", "full", "none"}
        How hard to simplify each partial derivative.
    steps : bool
        Also explain the chain rule for each variable (plain text and MathML).

    Returns
    -------
    str
        JSON of ``{"expression": {"text", "mathml"}, "partials": [{"name", "text", "mathml",
        "simplify", "value", "value_text"}], "point": {name: text} | null, "value": float | null,
        "value_text": str | null}`` (plus
        ``"steps"`` when asked), or ``{"error": "<one line>"}`` for anything nnspec refuses.
    """
    from . import chain_rule, derivation

    try:
        names = [name.strip() for name in wrt.split(",")]
        point = at.strip() or None
        found = derivation(text, names, at=point, simplify=simplify, timeout=None)
        expression = found.expression
        d = "&PartialD;" if len(expression.free_symbols) > 1 else "d"
        partials = []
        for name, partial in found.partials.items():
            value = None if found.partial_values is None else found.partial_values[name]
            partials.append(
                {
                    "name": name,
                    "text": as_text(partial),
                    "mathml": _math(_partial_left(d, name), partial),
                    "simplify": found.simplify_level[name],
                    "value": _number(value),
                    "value_text": _number_text(value),
                }
            )
        result = {
            "expression": {"text": as_text(expression), "mathml": _math("<mi>f</mi>", expression)},
            "partials": partials,
            "point": None if found.point is None else {name: as_text(v) for name, v in found.point.items()},
            "value": _number(found.value),
            "value_text": _number_text(found.value),
        }
        if steps:
            from latex2mathml.converter import convert

            result["steps"] = []
            for name in names:
                chain = chain_rule(text, name, at=point, simplify=simplify)
                result["steps"].append(
                    {"name": name, "text": str(chain), "mathml": convert(chain.latex(), display="block")}
                )
        return json.dumps(result)
    except (ArgumentError, ExpressionTimeout) as error:
        return json.dumps({"error": _one_line(error)})


def describe_runtime() -> str:
    """One line naming the versions the page runs: nnspec, SymPy, mpmath and Python."""
    import sys

    import mpmath
    import sympy

    from .. import __version__

    return (
        f"nnspec {__version__}, SymPy {sympy.__version__}, mpmath {mpmath.__version__}, "
        f"Python {sys.version.split()[0]}"
    )
