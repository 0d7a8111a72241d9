"""The ``ast`` whitelist behind `parse`: limits, functions, and the tree builder (internal).

`TreeBuilder` walks the tree that `parse` made and builds SymPy objects
directly, refusing every node type not listed here. Numbers are exact (``0.1`` is 1/10). A
literal has at most 20 digits and magnitude at most 1e12. Every constant computed while
parsing stays within 10**100: exact ones in numerator and denominator, checked *before* a power
is evaluated (so ``9**9**9`` is refused at once instead of computed), inexact ones such as
``exp(230)`` in magnitude, checked by a 15-digit evaluation as each is built (so a tower like
``exp(exp(exp(6)))`` never reaches SymPy's numeric sign tests). A constant exponent must be
rational with magnitude at most 100; an exponent containing a variable (``x**y``, ``2**x``) is
allowed, since nothing is evaluated. Calls on inexact constants, and ``max``/``min`` of
anything but exact numbers, are built as written (SymPy's ``evaluate=False``); ``max`` and
``min`` of more than two arguments are built as nested pairs, left to right
(``max(a, b, c)`` is ``max(max(a, b), c)``), so that the derivative at a tie of three or
more splits as the two-argument rule does and stays in the subdifferential.
"""

from __future__ import annotations

import ast
import math
import re
from fractions import Fraction

import sympy as sp

from ..errors import ExpressionError
from .sympy_activations import NETWORK_FUNCTIONS, step

__all__ = [
    "CONSTANTS",
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_LENGTH",
    "MAX_NODES",
    "NAME_PATTERN",
    "RESERVED",
    "TreeBuilder",
    "refusal",
]

MAX_LENGTH = 1000
MAX_DEPTH = 50
MAX_NODES = 600
MAX_NAME_LENGTH = 32
MAX_DIGITS = 20
MAX_LITERAL = 10**12
MAX_EXPONENT = 100
MAX_CONSTANT = 10**100
_CONSTANT_DIGITS = 100 + 1e-9  # log10(MAX_CONSTANT), with room for rounding at the boundary

#: name -> (SymPy constructor, minimum and maximum number of arguments; None = no maximum)
FUNCTIONS = {
    "sin": (sp.sin, 1, 1),
    "cos": (sp.cos, 1, 1),
    "tan": (sp.tan, 1, 1),
    "exp": (sp.exp, 1, 1),
    "log": (sp.log, 1, 1),
    "sqrt": (sp.sqrt, 1, 1),
    "abs": (sp.Abs, 1, 1),
    "tanh": (sp.tanh, 1, 1),
    "erf": (sp.erf, 1, 1),
    "sign": (sp.sign, 1, 1),
    "step": (step, 1, 1),
    "max": (sp.Max, 2, None),
    "min": (sp.Min, 2, None),
    **{name: (function, 1, 1) for name, function in NETWORK_FUNCTIONS.items()},
}

#: Names that mean SymPy's constants (``e`` stays an ordinary name: it prints as ``e``).
CONSTANTS = {"pi": sp.pi, "E": sp.E}
#: Names SymPy prints for its other constants: as variables they would read as those constants.
RESERVED = {
    "I": "the imaginary unit (names are real and complex values are refused)",
    "oo": "infinity",
    "zoo": "complex infinity",
    "nan": "not-a-number",
    "EulerGamma": "the Euler-Mascheroni constant",
    "GoldenRatio": "the golden ratio",
    "Catalan": "Catalan's constant",
    "TribonacciConstant": "the Tribonacci constant",
}

NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_NUMBER = re.compile(r"(?P<mantissa>[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?(?P<exponent>[0-9]+))?")
_UNDEFINED = (sp.zoo, sp.nan, sp.oo, -sp.oo)
_GROUPS = {ast.Add: "+", ast.Sub: "+", ast.Mult: "*", ast.Div: "*"}
_SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.FloorDiv: "//"}
_REFUSED = {
    ast.Attribute: "attribute access is",
    ast.Subscript: "subscripts are",
    ast.Lambda: "lambdas are",
    ast.IfExp: "conditional expressions are",
    ast.Compare: "comparisons are",
    ast.BoolOp: "boolean operators are",
    ast.GeneratorExp: "generator expressions are",
    ast.Tuple: "tuples are",
    ast.Await: "await is",
    ast.Yield: "yield is",
    ast.NamedExpr: "assignment expressions are",
    ast.Starred: "starred arguments are",
}


def refusal(text: str, reason: str, offset: int | None, token: str | None) -> ExpressionError:
    if token is not None and len(token) > 24:
        token = token[:21] + "..."
    column = None if offset is None else offset + 1
    return ExpressionError(reason, text=text, column=column, token=token)


class TreeBuilder:
    """Walks a measured tree and builds the SymPy expression, refusing anything not whitelisted."""

    def __init__(self, original: str, source: str, shift: int):
        self.original, self.source, self.shift = original, source, shift

    def fail(self, reason: str, offset: int | None, token: str | None):
        raise refusal(self.original, reason, None if offset is None else offset + self.shift, token)

    def segment(self, node) -> str:
        return ast.get_source_segment(self.source, node) or ""

    def operator_offset(self, symbol: str, start: int, end: int) -> int:
        found = self.source.find(symbol, start, end)
        return found if found >= 0 else start

    def measure(self, root: ast.expr) -> None:
        """Bound the node count and nesting depth without recursion."""
        stack, count = [(root, 1)], 0
        while stack:
            node, depth = stack.pop()
            count += 1
            if count > MAX_NODES:
                self.fail(f"the expression has more than {MAX_NODES} parts", None, None)
            if depth > MAX_DEPTH:
                self.fail(
                    f"the expression is nested more than {MAX_DEPTH} levels deep",
                    node.col_offset,
                    self.segment(node),
                )
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr):
                    same_chain = (
                        isinstance(node, ast.BinOp)
                        and child is node.left
                        and isinstance(child, ast.BinOp)
                        and _GROUPS.get(type(child.op)) == _GROUPS.get(type(node.op), "")
                    )
                    stack.append((child, depth if same_chain else depth + 1))

    def build(self, node: ast.expr) -> sp.Expr:
        try:
            value = self.dispatch(node)
        except ExpressionError:
            raise
        except (ArithmeticError, TypeError, ValueError, RecursionError) as error:
            reason = f"SymPy cannot build this ({type(error).__name__}: {error})"
            self.fail(reason, node.col_offset, self.segment(node))
        if value.is_Rational and max(abs(value.p), value.q) > MAX_CONSTANT:
            self.fail("a constant computed here exceeds 10**100", node.col_offset, self.segment(node))
        if value.is_number and not value.is_Rational:
            # Bound inexact constants too (exp(exp(exp(6))) is about 10**(10**175)): SymPy answers
            # questions such as "is it negative?" by evaluating them, which must stay cheap.
            magnitude = sp.Abs(value.evalf(15))
            if not magnitude.is_Number or magnitude > MAX_CONSTANT:
                self.fail("a constant computed here exceeds 10**100", node.col_offset, self.segment(node))
        if value.has(sp.I) or (value.is_number and value.is_extended_real is False):
            self.fail(
                f"the expression is not real here ({value}): names are real, and complex values are refused",
                node.col_offset,
                self.segment(node),
            )
        if any(part in _UNDEFINED for part in (value, *value.args)):
            self.fail(
                "the expression is undefined here (division by zero or similar)",
                node.col_offset,
                self.segment(node),
            )
        return value

    def dispatch(self, node: ast.expr) -> sp.Expr:
        if isinstance(node, ast.BinOp):
            return self.power(node) if isinstance(node.op, ast.Pow) else self.chain(node)
        if isinstance(node, ast.UnaryOp):
            return self.unary(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                self.fail(f"{node.id} is a function: call it as {node.id}(...)", node.col_offset, node.id)
            if node.id in CONSTANTS:
                return CONSTANTS[node.id]
            if node.id in RESERVED:
                self.fail(
                    f"{node.id} is SymPy's name for {RESERVED[node.id]}; it cannot be a variable",
                    node.col_offset,
                    node.id,
                )
            return sp.Symbol(self.name(node.id, node), real=True)
        if isinstance(node, ast.Constant):
            return self.number(node)
        self.refuse(node)

    def refuse(self, node) -> None:
        what = _REFUSED.get(type(node), f"{type(node).__name__} expressions are")
        offset, token = node.col_offset, self.segment(node)
        if isinstance(node, ast.Attribute):
            offset = self.operator_offset(".", node.value.end_col_offset, node.end_col_offset)
            token = "." + node.attr
        elif isinstance(node, (ast.Compare, ast.BoolOp)):
            left, right = (
                (node.left, node.comparators[0]) if isinstance(node, ast.Compare) else node.values[:2]
            )
            between = self.source[left.end_col_offset : right.col_offset]
            token = between.strip(" ()")
            offset = left.end_col_offset + between.find(token)
        elif isinstance(node, ast.IfExp):
            offset, token = self.operator_offset("if", node.body.end_col_offset, node.test.col_offset), "if"
        self.fail(f"{what} not allowed", offset, token)

    def name(self, identifier: str, node) -> str:
        if identifier.startswith("_"):
            self.fail("names starting with an underscore are not allowed", node.col_offset, identifier)
        if not NAME_PATTERN.fullmatch(identifier) or len(identifier) > MAX_NAME_LENGTH:
            self.fail(
                f"a name is an ASCII letter followed by at most {MAX_NAME_LENGTH - 1} letters, digits or underscores",
                node.col_offset,
                identifier,
            )
        return identifier

    def number(self, node: ast.Constant) -> sp.Rational:
        written = self.segment(node)
        match = _NUMBER.fullmatch(written)
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)) or match is None:
            self.fail(
                "only plain decimal numbers such as 3, 0.5 or 1e-3 are allowed", node.col_offset, written
            )
        digits = sum(char.isdigit() for char in match["mantissa"])
        if digits > MAX_DIGITS or len(match["exponent"] or "") > 3:
            self.fail(f"a number has at most {MAX_DIGITS} digits", node.col_offset, written)
        value = Fraction(written)
        if abs(value) > MAX_LITERAL or value.denominator > MAX_CONSTANT:
            self.fail(
                "numbers are limited to magnitude 1e12 and 100 decimal places", node.col_offset, written
            )
        return sp.Rational(value.numerator, value.denominator)

    def chain(self, node: ast.BinOp) -> sp.Expr:
        """A left-nested chain of + and - (or of * and /), built in one SymPy call."""
        group = _GROUPS.get(type(node.op))
        links = []
        while isinstance(node, ast.BinOp) and _GROUPS.get(type(node.op)) == group and group:
            links.append(node)
            node = node.left
        if not links:
            symbol = _SYMBOLS.get(type(node.op), type(node.op).__name__)
            offset = self.operator_offset(symbol, node.left.end_col_offset, node.right.col_offset)
            self.fail(f"the operator {symbol} is not allowed", offset, symbol)
        terms = [self.build(node)]
        for link in reversed(links):
            right = self.build(link.right)
            if isinstance(link.op, ast.Div) and right == 0:  # structural: is_zero may evaluate numerically
                offset = self.operator_offset("/", link.left.end_col_offset, link.right.col_offset)
                self.fail("division by zero", offset, "/")
            negate, invert = isinstance(link.op, ast.Sub), isinstance(link.op, ast.Div)
            terms.append(-right if negate else sp.Pow(right, -1) if invert else right)
        return sp.Add(*terms) if group == "+" else sp.Mul(*terms)

    def power(self, node: ast.BinOp) -> sp.Expr:
        base, exponent = self.build(node.left), self.build(node.right)
        offset = self.operator_offset("**", node.left.end_col_offset, node.right.col_offset)
        if exponent.free_symbols:
            return sp.Pow(base, exponent)
        if not exponent.is_Rational:
            self.fail("a constant exponent must be a rational number such as 2, -1 or 1/2", offset, "**")
        if abs(exponent) > MAX_EXPONENT:
            self.fail(f"exponent {exponent} exceeds {MAX_EXPONENT} in magnitude", offset, "**")
        if base == 0 and exponent.is_negative:
            self.fail("zero to a negative power (division by zero)", offset, "**")
        if base.is_Rational and abs(exponent) * math.log10(max(abs(base.p), base.q)) > _CONSTANT_DIGITS:
            self.fail("this power would exceed 10**100", offset, "**")
        # a constant base that is not exact (sqrt(exp(exp(9)) - 1)) stays as written: evaluating
        # its power may ask SymPy for the constant's sign, which it finds numerically
        power = sp.Pow(base, exponent, evaluate=not (base.is_number and not base.is_Rational))
        if power.is_Pow and power.exp.is_Rational and abs(power.exp) > MAX_EXPONENT:
            self.fail(f"the combined exponent {power.exp} exceeds {MAX_EXPONENT} in magnitude", offset, "**")
        return power

    def unary(self, node: ast.UnaryOp) -> sp.Expr:
        if isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.build(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        token = {ast.Not: "not", ast.Invert: "~"}.get(type(node.op), type(node.op).__name__)
        self.fail(f"the operator {token} is not allowed", node.col_offset, token)

    def call(self, node: ast.Call) -> sp.Expr:
        if not isinstance(node.func, ast.Name):
            self.fail("only the named functions can be called", node.func.col_offset, self.segment(node.func))
        name = self.name(node.func.id, node.func)
        if name not in FUNCTIONS:
            self.fail(
                f"unknown function {name}; the functions are {', '.join(FUNCTIONS)}", node.col_offset, name
            )
        for keyword in node.keywords:
            self.fail("keyword arguments are not allowed", keyword.col_offset, self.segment(keyword))
        for argument in node.args:
            if isinstance(argument, ast.Starred):
                self.refuse(argument)
        function, least, most = FUNCTIONS[name]
        if len(node.args) < least or (most is not None and len(node.args) > most):
            wanted = f"{least}" if least == most else f"at least {least}"
            self.fail(f"{name} takes {wanted} argument(s), got {len(node.args)}", node.col_offset, name)
        arguments = [self.build(argument) for argument in node.args]
        if name in NETWORK_FUNCTIONS and arguments[0].is_extended_real is False:
            self.fail(f"{name} is defined for real arguments only", node.col_offset, name)
        # SymPy's automatic evaluation is cheap on exact numbers but may compare or numerically
        # evaluate other constants (sin(exp(exp(exp(9))))) or, for max/min, compare every pair
        # of symbolic arguments: such calls are built as they are written.
        exact = all(argument.is_Rational for argument in arguments)
        numeric = any(argument.is_number and not argument.is_Rational for argument in arguments)
        if name in ("max", "min") and not exact:
            nested = arguments[0]
            for argument in arguments[1:]:
                nested = function(nested, argument, evaluate=False)
            return nested
        if numeric:
            return function(*arguments, evaluate=False)
        return function(*arguments)
