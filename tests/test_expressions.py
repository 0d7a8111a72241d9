"""nnspec.expressions: the safe parser."""

from __future__ import annotations

import builtins
import time

import pytest
import sympy as sp
import sympy.parsing.sympy_parser

import nnspec as ns
from nnspec.errors import ExpressionError
from nnspec.expressions import expand_activations

x, y, w, b = sp.symbols("x y w b", real=True)
x1, x2, w1, w2 = sp.symbols("x1 x2 w1 w2", real=True)
SENTINEL = {"touched": False}  # a module global that an exploit reaching globals() could flip


_CODE_ENTRY_POINTS = [
    (builtins, "eval"),
    (builtins, "exec"),
    (sp, "sympify"),
    (sp, "parse_expr"),
    (sp, "lambdify"),
    (sympy.parsing.sympy_parser, "parse_expr"),
]


def _refuse(*args, **kwargs):
    raise AssertionError("the parsing path called eval, exec, sympify, parse_expr or lambdify")


@pytest.fixture
def no_code_execution(monkeypatch):
    """Any call of a code-executing entry point fails the test (for the parsing path)."""
    for owner, name in _CODE_ENTRY_POINTS:
        monkeypatch.setattr(owner, name, _refuse)


# (text, the token the error must name at its column; None where the refusal has no position)
HOSTILE = [
    ("x.__class__", ".__class__"),
    ("().__class__.__bases__[0].__subclasses__()", "["),
    ("__import__('os').system('echo hacked')", "'"),
    ("__import__(os)", "__import__"),
    ("__builtins__", "__builtins__"),
    ("x.__globals__", ".__globals__"),
    ("1 .real", ".real"),
    ("x.y(1)", "x.y"),
    ("lambda: 0", ":"),
    ("[x for x in y]", "["),
    ("(x for x in y)", "(x for x in y)"),
    ("{x for x in y}", "{"),
    ("f'{x}'", "'"),
    ("'x'", "'"),
    ("b'x'", "'"),
    ("...", "..."),
    ("9**9**9", "**"),
    ("2**100000", "**"),
    ("10**10**10", "**"),
    ("(10**12)**9", "**"),
    ("x**1000", "**"),
    ("x**sqrt(2)", "**"),
    ("(" * 200 + "x" + ")" * 200, "("),
    ("sin(" * 60 + "x" + ")" * 60, "("),
    ("-" * 5000 + "x", None),
    ("-" * 999 + "x", "-" * 949 + "x"),  # the first unary minus deeper than 50 levels
    ("x" * 10000, None),
    ("+".join(["x"] * 499), None),
    ("\u0445 + 1", "\u0445"),  # Cyrillic small letter ha, looks like x
    ("\uff58 + 1", "\uff58"),  # fullwidth x, which Python itself would normalise to x
    ("x + 1\u200b", "\u200b"),  # zero-width space
    ("(y := 1)", ":"),
    ("sin(*x)", "*x"),
    ("sin(x=1)", "="),
    ("sin(**k)", "**k"),
    ("x < y", "<"),
    ("x == y", "="),
    ("x in y", "in"),
    ("x is not y", "is not"),
    ("x[0]", "["),
    ("x; y", ";"),
    ("x\ny", "\n"),
    ("\tx", "\t"),
    ("x if y else z", "if"),
    ("x and y", "and"),
    ("not x", "not"),
    ("x // y", "//"),
    ("x % y", "%"),
    ("x ^ 2", "^"),
    ("x @ y", "@"),
    ("~x", "~"),
    ("x | y", "|"),
    ("1j", "1j"),
    ("0x1F", "0x1F"),
    ("1_000", "1_000"),
    ("True", "True"),
    ("None", "None"),
    ("1e13", "1e13"),
    ("123456789012345678901", "123456789012345678901"),
    ("1e-300", "1e-300"),
    ("getattr(x, y)", "getattr"),
    ("eval(x)", "eval"),
    ("open(x)", "open"),
    ("sin", "sin"),
    ("x(1)", "x"),
    ("sin(x, y)", "sin"),
    ("max(x)", "max"),
    ("1/0", "/"),
    ("x/(y - y)", "/"),
    ("0**-1", "**"),
    ("log(0)", "log(0)"),
    ("relu(sqrt(-1))", "relu"),
    ("await x", "await x"),
    ("(yield)", "yield"),
    ("x, y", "x, y"),
    ("x # comment", "#"),
    ("\\x", "\\"),
    ("`x`", "`"),
    ("a_very_long_name_that_is_over_32_chars", "a_very_long_name_that_is_over_32_chars"),
    ("_x", "_x"),
    ("sin(x", "("),
    ("x)", ")"),
    ("", None),
    ("   ", None),
]


def _exploits(path):
    """Texts that, if evaluated, would create ``path``, set builtins.PWNED or flip SENTINEL."""
    return [
        f"__import__('pathlib').Path({str(path)!r}).touch()",
        f"open({str(path)!r}, 'w').write('x')",
        'exec("import builtins; builtins.PWNED = 1")',
        "setattr(__builtins__, 'PWNED', 1)",
        "globals().update(SENTINEL={'touched': True})",
        "SENTINEL.update(touched=1)",
        "SENTINEL.clear()",
    ]


def test_there_are_at_least_40_hostile_inputs():
    assert len(HOSTILE) >= 40 and len({text for text, _ in HOSTILE}) == len(HOSTILE)


@pytest.mark.parametrize(("text", "token"), HOSTILE, ids=lambda value: repr(value)[:40])
def test_hostile_input_is_refused_quickly_naming_token_and_column(text, token, no_code_execution):
    started = time.perf_counter()
    with pytest.raises(ExpressionError) as caught:
        ns.parse(text)
    elapsed = time.perf_counter() - started
    assert elapsed < 0.1, f"refusing {text[:40]!r} took {elapsed:.3f} s"
    error = caught.value
    assert error.text == text
    if token is None:
        return
    assert error.token == (token if len(token) <= 24 else token[:21] + "...")
    assert error.column is not None and text[error.column - 1 :].startswith(token)
    assert f"column {error.column}" in str(error)


def test_exploits_have_no_side_effect(tmp_path, no_code_execution):
    target = tmp_path / "pwned"
    for text in _exploits(target):
        with pytest.raises(ExpressionError):
            ns.parse(text)
    assert not target.exists()
    assert not hasattr(builtins, "PWNED")
    assert SENTINEL == {"touched": False}


def test_non_string_input_is_refused():
    for value in (b"x + 1", 3, None, sp.Symbol("x")):
        with pytest.raises(ExpressionError, match="must be a str"):
            ns.parse(value)


def test_limits_accept_their_boundary():
    assert ns.parse("x**100") == x**100
    assert ns.parse("x**-100") == x**-100
    assert ns.parse("1e12") == 10**12
    assert ns.parse("2**100") == 2**100
    assert ns.parse("(" * 50 + "x" + ")" * 50) == x
    assert ns.parse("+".join(["x"] * 300)) == 300 * x  # 599 parts, 599 characters
    assert ns.parse("a" * 32) == sp.Symbol("a" * 32, real=True)


def test_symbolic_exponents_are_allowed_and_not_evaluated():
    assert ns.parse("x**y") == x**y
    assert ns.parse("2**x") == 2**x
    tower = ns.parse("x**x**x**x**x")
    assert tower == x ** (x ** (x ** (x**x)))


def test_numbers_are_exact_and_names_are_real_symbols():
    assert ns.parse("0.1") == sp.Rational(1, 10)
    assert ns.parse("2.5e-3*x") == sp.Rational(1, 400) * x
    assert ns.parse(".5") == sp.Rational(1, 2)
    assert ns.parse("w_1").is_real
    assert ns.parse("relu(-2) + relu(3) + sigmoid(0)") == 3 + sp.Rational(1, 2)


# (text, variable, the expression written by hand, its derivative written by hand)
_s = 1 / (1 + sp.exp(-x))
_z = w * x + b
_sz = 1 / (1 + sp.exp(-_z))
LEGITIMATE = [
    ("tanh(w*x + b)", "w", sp.tanh(_z), x * (1 - sp.tanh(_z) ** 2)),
    ("tanh(w*x + b)", "b", sp.tanh(_z), 1 - sp.tanh(_z) ** 2),
    ("sigmoid(x)", "x", _s, sp.exp(-x) / (1 + sp.exp(-x)) ** 2),
    ("sigmoid(w*x + b)", "w", _sz, x * _sz * (1 - _sz)),
    ("sin(x**2)", "x", sp.sin(x**2), 2 * x * sp.cos(x**2)),
    ("x*sin(x)", "x", x * sp.sin(x), sp.sin(x) + x * sp.cos(x)),
    ("exp(-x**2/2)", "x", sp.exp(-(x**2) / 2), -x * sp.exp(-(x**2) / 2)),
    ("log(1 + exp(x))", "x", sp.log(1 + sp.exp(x)), sp.exp(x) / (1 + sp.exp(x))),
    ("softplus(x)", "x", sp.log(1 + sp.exp(x)), 1 / (1 + sp.exp(-x))),
    ("softplus(-x)", "x", sp.log(1 + sp.exp(-x)), -1 / (1 + sp.exp(x))),
    ("relu(x)", "x", sp.Piecewise((x, x > 0), (0, True)), sp.Piecewise((1, x > 0), (0, True))),
    ("relu(w*x + b)", "w", sp.Piecewise((_z, _z > 0), (0, True)), sp.Piecewise((x, _z > 0), (0, True))),
    (
        "leaky_relu(x)",
        "x",
        sp.Piecewise((x, x > 0), (x / 100, True)),
        sp.Piecewise((1, x > 0), (sp.Rational(1, 100), True)),
    ),
    (
        "elu(x)",
        "x",
        sp.Piecewise((x, x > 0), (sp.exp(x) - 1, True)),
        sp.Piecewise((1, x > 0), (sp.exp(x), True)),
    ),
    (
        "gelu(x)",
        "x",
        x * (1 + sp.erf(x / sp.sqrt(2))) / 2,
        (1 + sp.erf(x / sp.sqrt(2))) / 2 + x * sp.exp(-(x**2) / 2) / sp.sqrt(2 * sp.pi),
    ),
    ("sqrt(x**2 + 1)", "x", sp.sqrt(x**2 + 1), x / sp.sqrt(x**2 + 1)),
    ("abs(x)", "x", sp.Abs(x), sp.sign(x)),
    ("x**3 - 2*x + 1", "x", x**3 - 2 * x + 1, 3 * x**2 - 2),
    ("1/x", "x", 1 / x, -1 / x**2),
    ("x/y", "y", x / y, -x / y**2),
    ("x**y", "y", x**y, x**y * sp.log(x)),
    ("2**x", "x", 2**x, 2**x * sp.log(2)),
    ("cos(3*x)", "x", sp.cos(3 * x), -3 * sp.sin(3 * x)),
    ("tan(x)", "x", sp.tan(x), 1 + sp.tan(x) ** 2),
    ("erf(x)", "x", sp.erf(x), 2 * sp.exp(-(x**2)) / sp.sqrt(sp.pi)),
    ("max(x, 0)", "x", sp.Max(x, 0), sp.Heaviside(x)),
    ("min(x, 1)", "x", sp.Min(x, 1), sp.Heaviside(1 - x)),
    ("0.5*(y - x)**2", "x", (y - x) ** 2 / 2, x - y),
    (
        "-(y*log(x) + (1 - y)*log(1 - x))",
        "x",
        -(y * sp.log(x) + (1 - y) * sp.log(1 - x)),
        -y / x + (1 - y) / (1 - x),
    ),
    (
        "tanh(sigmoid(x))",
        "x",
        sp.tanh(_s),
        (1 - sp.tanh(_s) ** 2) * sp.exp(-x) / (1 + sp.exp(-x)) ** 2,
    ),
    ("exp(x)*cos(x)", "x", sp.exp(x) * sp.cos(x), sp.exp(x) * (sp.cos(x) - sp.sin(x))),
    ("x**(1/2)", "x", sp.sqrt(x), 1 / (2 * sp.sqrt(x))),
    ("+x - -x", "x", 2 * x, 2),
    ("  3.5e-1 * x ", "x", sp.Rational(7, 20) * x, sp.Rational(7, 20)),
    ("log(x)/log(2)", "x", sp.log(x) / sp.log(2), 1 / (x * sp.log(2))),
    ("w1*x1 + w2*x2 + b", "w2", w1 * x1 + w2 * x2 + b, x2),
    ("x*y*exp(x*y)", "x", x * y * sp.exp(x * y), y * sp.exp(x * y) + x * y**2 * sp.exp(x * y)),
    ("(1 + x)**100", "x", (1 + x) ** 100, 100 * (1 + x) ** 99),
    ("sin(x)**2 + cos(x)**2", "x", sp.sin(x) ** 2 + sp.cos(x) ** 2, 0),
    ("exp(sin(x**2))", "x", sp.exp(sp.sin(x**2)), 2 * x * sp.cos(x**2) * sp.exp(sp.sin(x**2))),
]


def _same(a, b) -> bool:
    return sp.simplify(expand_activations(a) - b) == 0


def test_there_are_at_least_30_legitimate_inputs():
    assert len(LEGITIMATE) >= 30


@pytest.mark.parametrize(("text", "name", "expected", "derivative"), LEGITIMATE, ids=lambda v: str(v)[:30])
def test_legitimate_expression_parses_and_differentiates(text, name, expected, derivative):
    with pytest.MonkeyPatch.context() as patch:
        for owner, entry_point in _CODE_ENTRY_POINTS:
            patch.setattr(owner, entry_point, _refuse)
        parsed = ns.parse(text)
    assert _same(parsed, expected)
    assert _same(sp.diff(parsed, sp.Symbol(name, real=True)), derivative)


@pytest.mark.parametrize("name", ["sigmoid", "softplus", "relu", "leaky_relu", "elu", "gelu"])
def test_activation_functions_mean_what_the_activations_mean(name):
    activation = ns.activation(name)
    for argument in (x, 2 * x + 1):
        parsed = ns.parse(f"{name}({argument})")
        assert sp.simplify(expand_activations(parsed) - activation.expr(argument)) == 0
        derivative = expand_activations(sp.diff(parsed, x))
        assert sp.simplify(derivative - sp.diff(activation.expr(argument), x)) == 0
    for value in (-2, 0, sp.Rational(1, 3)):  # exact values, including the kink at 0
        assert sp.simplify(ns.parse(f"{name}({value})") - activation.expr(sp.Rational(value))) == 0
