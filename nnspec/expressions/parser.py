"""Safe expression parser: text -> SymPy expression, with no eval (internal; public as ``ns.parse``).

The text goes through three gates, each refusing with an `ExpressionError`
that names the offending token and its 1-based column:

1. characters: at most `MAX_LENGTH` of them, printable ASCII letters, digits, spaces and
   ``_ + - * / ( ) , .`` only (so no strings, brackets, comparisons, ``=`` or look-alike letters);
2. `parse` in ``"eval"`` mode, which only parses; then the tree's size and nesting
   depth are bounded (a chain ``a + b - c`` or ``a * b / c`` counts as one level);
3. a whitelist walk that builds SymPy objects directly: numbers, names, ``+ - * / **``, unary
   ``-`` and ``+``, and calls of the functions in ``nnspec.expressions.FUNCTIONS``. Anything else is refused.

Numbers are exact (``0.1`` is 1/10) and every constant stays within 10**100; a constant
exponent must be rational with magnitude at most 100, while ``x**y`` is allowed: see
`nnspec.expressions.whitelist`. Building the SymPy objects (the only step that can be slow) runs
under a time limit when one is asked for.
"""

from __future__ import annotations

import ast
import string
import unicodedata
import warnings

import sympy as sp

from ..errors import ExpressionError
from .time_limit import DEFAULT_TIMEOUT, quote, run_with_time_limit
from .whitelist import MAX_DEPTH, MAX_LENGTH, TreeBuilder, refusal

__all__ = ["check", "parse", "parse_now"]

_ALLOWED_CHARACTERS = frozenset(string.ascii_letters + string.digits + " _+-*/().,")
_CHARACTER_HINTS = {
    "^": "; write powers as x**2",
    "[": ": subscripts and lists are not allowed",
    "]": ": subscripts and lists are not allowed",
    "'": ": strings are not allowed",
    '"': ": strings are not allowed",
    "=": ": assignments, keyword arguments and comparisons are not allowed",
    "<": ": comparisons are not allowed",
    ">": ": comparisons are not allowed",
    ":": ": lambdas, slices and := are not allowed",
    ";": ": give a single expression, not statements",
}


def _check_characters(text: str) -> None:
    depth = 0
    for offset, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth > MAX_DEPTH:
            raise refusal(text, f"parentheses are nested more than {MAX_DEPTH} deep", offset, char)
        if char in _ALLOWED_CHARACTERS:
            continue
        if not char.isascii():
            name = unicodedata.name(char, "unnamed")
            reason = (
                f"non-ASCII character U+{ord(char):04X} ({name}) is not allowed: expressions are plain ASCII"
            )
        elif not char.isprintable():
            reason = f"control character {char!r} is not allowed: an expression is a single line"
        else:
            reason = f"character {char!r} is not allowed{_CHARACTER_HINTS.get(char, '')}"
        raise refusal(text, reason, offset, char)


def check(text: str) -> tuple[TreeBuilder, ast.expr]:
    """Run the gates that need no SymPy; return the builder and the measured tree."""
    if not isinstance(text, str):
        raise ExpressionError(f"the expression must be a str, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise refusal(
            text, f"the expression has {len(text)} characters; at most {MAX_LENGTH} are allowed", None, None
        )
    _check_characters(text)
    source = text.lstrip(" ")
    if not source.strip():
        raise refusal(text, "the expression is empty", None, None)
    shift = len(text) - len(source)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            tree = ast.parse(source, mode="eval")
    except SyntaxError as error:
        offset = None if error.offset is None else min(error.offset - 1, len(source) - 1)
        if offset is not None and offset < 0:  # CPython's offset 0: at the end of the text ("x +")
            offset = len(source) - 1
        token = None if offset is None else source[offset]
        raise refusal(
            text, f"invalid syntax: {error.msg}", None if offset is None else offset + shift, token
        ) from None
    except (MemoryError, RecursionError, ValueError, OverflowError) as error:
        raise refusal(text, f"the expression cannot be parsed ({type(error).__name__})", None, None) from None
    builder = TreeBuilder(text, source, shift)
    builder.measure(tree.body)
    return builder, tree.body


def parse_now(text: str) -> sp.Expr:
    """`parse` without a time limit, for use inside one."""
    builder, tree = check(text)
    return builder.build(tree)


def parse(text: str, *, timeout: float | None = DEFAULT_TIMEOUT) -> sp.Expr:
    """Parse ``text`` into a SymPy expression, without eval: an ``ast`` whitelist builds it.

    Parameters
    ----------
    text : str
        One line of at most 1000 ASCII characters, e.g. ``"tanh(w*x + b)"``. Names become
        real SymPy symbols, except ``pi`` and ``E``, which are SymPy's constants (``I``,
        ``oo``, ``nan`` and SymPy's other constant names are refused); the functions are those in `FUNCTIONS`, where ``log`` is the
        natural logarithm and ``sigmoid``, ``relu``, ``softplus``, ``gelu``, ``elu`` and
        ``leaky_relu`` mean exactly nnspec's activations of the same name.
    timeout : float or None
        None (default): no limit. Seconds: building the SymPy expression runs in a worker
        process, stopped past the limit. The checks that need no SymPy (characters, syntax,
        size, nesting) come first, in the caller's process.

    Returns
    -------
    sympy.Expr

    Raises
    ------
    ExpressionError
        For anything outside the whitelist or the limits, naming the token and its column.
    ExpressionTimeout
        When SymPy takes longer than ``timeout`` to build the expression (numeric towers such
        as ``sin(exp(exp(exp(9))))`` are built unevaluated to avoid that).

    Examples
    --------
    >>> parse("tanh(w*x + b)")
    tanh(b + w*x)
    >>> parse("0.5*x**2")
    x**2/2
    >>> parse("x.__class__")
    Traceback (most recent call last):
    ...
    nnspec.errors.ExpressionError: attribute access is not allowed (column 2: '.__class__')
    """
    check(text)  # refuse what can be refused without SymPy, without starting a timer
    return run_with_time_limit(parse_now, (text,), timeout, f"parsing {quote(text)}")
