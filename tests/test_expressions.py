"""nnspec.expressions: the safe parser, derive, chain_rule and the time limit."""

from __future__ import annotations

import builtins
import importlib.metadata
import importlib.util
import random
import signal
import subprocess
import sys
import threading
import time
import weakref
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy as sp
import sympy.parsing.sympy_parser

import nnspec as ns
from nnspec.cli.time_limit import run_with_time_limit  # the command line's SIGALRM timer
from nnspec.errors import ArgumentError, ExpressionError
from nnspec.expressions import ChainRule, ExpressionTimeout, expand_activations

x, y, w, b, u, v = sp.symbols("x y w b u v", real=True)
x1, x2, w1, w2 = sp.symbols("x1 x2 w1 w2", real=True)
SENTINEL = {"touched": False}  # a module global that an exploit reaching globals() could flip
HEAVY = "((x+1)**40*(y-2)**30 + sin(x*y)**7)/(exp(x) + tanh(y))**5"  # simplify runs for minutes


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


@pytest.fixture
def text_never_executed(monkeypatch):
    """Returns ``guard(text)``: from then on, a code-executing entry point given ``text`` fails.

    SymPy itself ``exec``-s code it generates (polynomial arithmetic inside ``simplify``), so
    around differentiation the entry points stay usable for everything except the user's text.
    """
    guarded = []

    def wrap(original):
        def checked(*args, **kwargs):
            for argument in [*args, *kwargs.values()]:
                if isinstance(argument, str) and any(text in argument for text in guarded):
                    raise AssertionError(f"user text reached {original.__name__}: {argument[:60]!r}")
            return original(*args, **kwargs)

        return checked

    for owner, name in _CODE_ENTRY_POINTS:
        monkeypatch.setattr(owner, name, wrap(getattr(owner, name)))
    return lambda text: guarded.append(text.strip())


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
    ("10**101", "**"),
    ("(x**100)**100", "**"),  # the combined exponent 10000
    ("exp(exp(exp(6)))", "exp(exp(6))"),  # about 10**175 already
    ("sin(exp(exp(exp(9))))", "exp(exp(9))"),  # a tower whose sine would need pi to 10**3500 digits
    ("x*exp(1000)", "exp(1000)"),
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
    ("relu(sqrt(-1))", "sqrt(-1)"),
    ("x*sqrt(-1)", "sqrt(-1)"),  # the imaginary unit: names are real, complex values refused
    ("log(-2) + x", "log(-2)"),
    ("I*x", "I"),
    ("oo + x", "oo"),
    ("x + nan", "nan"),
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


@pytest.mark.parametrize(("text", "token"), HOSTILE, ids=lambda value: repr(value)[:40])
def test_hostile_input_is_refused_before_any_costly_work_naming_token_and_column(
    text, token, no_code_execution
):
    # A refusal, not a time-out: 9**9**9 or exp(exp(exp(6))) would run out any generous limit if
    # they were computed before being refused.
    with pytest.raises(ExpressionError) as caught:
        ns.parse(text)
    assert not isinstance(caught.value, ExpressionTimeout)
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
        with pytest.raises(ExpressionError):
            ns.derive(text, "x")
    assert not target.exists()
    assert not hasattr(builtins, "PWNED")
    assert SENTINEL == {"touched": False}


def test_non_string_input_is_refused():
    for value in (b"x + 1", 3, None, sp.Symbol("x")):
        with pytest.raises(ExpressionError, match="must be a str"):
            ns.parse(value)


def test_limits_accept_their_boundary():
    assert ns.parse("10**100") == 10**100
    assert ns.parse("exp(230)") == sp.exp(230)  # about 7.7e99
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


def test_max_min_and_inexact_constants_are_built_as_written():
    # SymPy would compare every pair of arguments or evaluate the constant numerically
    # max of three is built as nested pairs, so that a three-way tie splits within the subdifferential
    assert ns.parse("max(x, y, 0)") == sp.Max(sp.Max(x, y, evaluate=False), 0, evaluate=False)
    assert ns.parse("max(2, 3)") == 3
    assert ns.parse("exp(log(2))") == sp.exp(sp.log(2), evaluate=False)
    assert sp.simplify(ns.parse("exp(log(2))") - 2) == 0


def test_parse_has_a_time_limit():
    text = "+".join(f"sqrt(p{i}**2+{i})" for i in range(60))
    with pytest.raises(ExpressionTimeout, match="parsing"):
        ns.parse(text, timeout=0.001)
    assert ns.parse(text) == sum(sp.sqrt(sp.Symbol(f"p{i}", real=True) ** 2 + i) for i in range(60))


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
    ("max(x, 0)", "x", sp.Max(x, 0), (1 + sp.sign(x)) / 2),  # 1/2 at the tie, as torch.maximum
    ("min(x, 1)", "x", sp.Min(x, 1), (1 + sp.sign(1 - x)) / 2),
    ("sin(pi*x)", "x", sp.sin(sp.pi * x), sp.pi * sp.cos(sp.pi * x)),  # pi is SymPy's constant
    ("E**x + e", "x", sp.exp(x) + sp.Symbol("e", real=True), sp.exp(x)),  # E is Euler's number
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


@pytest.mark.parametrize(("text", "name", "expected", "derivative"), LEGITIMATE, ids=lambda v: str(v)[:30])
def test_legitimate_expression_parses_and_differentiates(
    text, name, expected, derivative, text_never_executed
):
    with pytest.MonkeyPatch.context() as patch:
        for owner, entry_point in _CODE_ENTRY_POINTS:
            patch.setattr(owner, entry_point, _refuse)
        parsed = ns.parse(text)
    assert _same(parsed, expected)
    text_never_executed(text)
    result = ns.derive(text, name)
    assert list(result) == [name]
    assert _same(result[name], derivative)


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


def test_derive_several_names_in_order():
    result = ns.derive("tanh(w*x + b)", ["b", "w"])
    assert list(result) == ["b", "w"]
    assert sp.simplify(result["w"] - x * (1 - sp.tanh(w * x + b) ** 2)) == 0
    assert sp.simplify(result["b"] - (1 - sp.tanh(w * x + b) ** 2)) == 0


@pytest.mark.parametrize(
    ("wrt", "message"),
    [
        ("z", "z does not occur"),
        ("sin", "not a variable name"),
        ([], "non-empty"),
        (3, "name"),
        ("_x", "not a"),
    ],
)
def test_derive_refuses_bad_variables(wrt, message):
    with pytest.raises(ArgumentError, match=message):
        ns.derive("x*y", wrt)


def test_chain_rule_of_sin_of_square():
    steps = ns.chain_rule("sin(x**2)", "x")
    assert isinstance(steps, ChainRule)
    assert steps.rule == "chain rule"
    assert steps.outer == sp.sin(u) and steps.inner == x**2
    assert sp.simplify(steps.outer_derivative - sp.cos(x**2)) == 0
    assert sp.simplify(steps.inner_derivative - 2 * x) == 0
    assert sp.simplify(steps.product - 2 * x * sp.cos(x**2)) == 0
    assert sp.simplify(steps.paths[0].partial - sp.cos(u)) == 0
    for result in (steps.derivative, steps.simplified):
        assert sp.simplify(result - sp.diff(sp.sin(x**2), x)) == 0
    assert "chain rule: outer sin(u) with u = x**2" in str(steps)
    latex = steps.latex()
    assert latex.startswith(r"\begin{array}{rl}") and latex.endswith(r"\end{array}")
    assert sp.latex(2 * x * sp.cos(x**2)) in latex and r"\frac{d}{d u}" in latex


def test_chain_rule_recurses_through_three_levels():
    steps = ns.chain_rule("sigmoid(tanh(3*x))", "x")
    s = 1 / (1 + sp.exp(-sp.tanh(3 * x)))
    assert steps.outer.func.__name__ == "sigmoid" and steps.inner == sp.tanh(3 * x)
    assert _same(steps.outer_derivative, s * (1 - s))
    middle = steps.paths[0].steps
    assert middle.outer == sp.tanh(u) and middle.inner == 3 * x
    assert sp.simplify(middle.outer_derivative - (1 - sp.tanh(3 * x) ** 2)) == 0
    innermost = middle.paths[0].steps
    assert innermost.outer == 3 * u and innermost.inner == x and innermost.inner_derivative == 1
    assert innermost.derivative == 3
    expected = s * (1 - s) * (1 - sp.tanh(3 * x) ** 2) * 3
    assert _same(steps.derivative, expected) and _same(steps.simplified, expected)
    assert str(steps).count("chain rule: outer") == 2


@pytest.mark.parametrize(
    ("text", "products"),
    [
        ("x*sin(x)", [sp.sin(x), x * sp.cos(x)]),
        ("x**x", [x**x * sp.log(x), x * x ** (x - 1)]),
        (
            "max(x**2, sin(x))",
            [sp.cos(x) * (1 + sp.sign(sp.sin(x) - x**2)) / 2, 2 * x * (1 + sp.sign(x**2 - sp.sin(x))) / 2],
        ),
    ],
)
def test_chain_rule_sums_over_paths(text, products):
    steps = ns.chain_rule(text, "x")
    assert len(steps.paths) == 2
    got = [path.product for path in steps.paths]
    assert all(any(sp.simplify(g - p) == 0 for g in got) for p in products)
    assert sp.simplify(steps.derivative - sum(products)) == 0
    assert sp.simplify(steps.derivative - ns.derive(text, "x", simplify="none")["x"]) == 0
    if not steps.elementary:
        assert "sum over 2 paths" in str(steps)
    with pytest.raises(ArgumentError, match="2 paths"):
        steps.inner  # noqa: B018 - the property raises when there is more than one path


@pytest.mark.parametrize(("text", "name", "expected", "derivative"), LEGITIMATE, ids=lambda v: str(v)[:30])
def test_chain_rule_equals_direct_differentiation(text, name, expected, derivative):
    steps = ns.chain_rule(text, name)
    direct = ns.derive(text, name, simplify="none")[name]
    assert sp.simplify(expand_activations(steps.derivative - direct)) == 0
    assert sp.simplify(expand_activations(steps.simplified - direct)) == 0


def test_placeholders_avoid_the_expression_names():
    steps = ns.chain_rule("sin(u**2)", "u")
    assert steps.outer == sp.sin(v) and steps.paths[0].placeholder == v


HAS_TIMER = hasattr(signal, "setitimer")
needs_timer = pytest.mark.skipif(not HAS_TIMER, reason="this platform has no signal.setitimer")


def test_timeout_stops_a_slow_simplification():
    for function in (ns.derive, ns.chain_rule):
        with pytest.raises(ExpressionTimeout, match=r"timed out.*0\.2 s"):
            function(HEAVY, "x", simplify="full", timeout=0.2)


@needs_timer
def test_timeout_restores_previous_alarm_handler_and_timer():
    calls = []

    def handler(signum, frame):
        calls.append(signum)

    previous = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, 100)
    try:
        ns.derive("sin(x)", "x", timeout=1)
        for timeout in (0.1, 1e-9, 1e-300):
            with pytest.raises(ExpressionTimeout):
                ns.derive(HEAVY, "x", simplify="full", timeout=timeout)
            assert signal.getsignal(signal.SIGALRM) is handler
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 0 < remaining <= 100 and calls == []
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("timeout", [1e-9, 1e-6, 1e-3, 0.01, 0.05])
def test_any_small_timeout_gives_a_result_or_expression_timeout(timeout):
    # whatever instant the limit passes at, only nnspec's own error may leave (never _Expired)
    for function in (ns.derive, ns.chain_rule, ns.parse):
        arguments = ("tanh(w*x + b)**3",) if function is ns.parse else ("tanh(w*x + b)**3", "w")
        try:
            result = function(*arguments, timeout=timeout)
        except ExpressionTimeout as error:
            assert f"{timeout:g} s" in str(error)
        else:
            assert result is not None
    if HAS_TIMER:
        assert signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.default_int_handler, None)
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_timeout_none_means_no_limit_and_huge_values_are_refused():
    assert sp.simplify(ns.derive("x**3", "x", timeout=None)["x"] - 3 * x**2) == 0
    with pytest.raises(ArgumentError, match="at most 86400 s"):
        ns.derive("x", "x", timeout=1e10)
    with pytest.raises(ArgumentError, match="at most 86400 s"):
        ns.parse("x", timeout=float(10**300))


def _no_process_start(*args, **kwargs):
    raise AssertionError("a process was started")


def test_outside_the_main_thread_the_limit_holds():
    outcome = {}

    def work():
        outcome["derivative"] = ns.derive("tanh(w*x + b)", "w")["w"]
        try:
            ns.derive(HEAVY, "x", simplify="full", timeout=0.2)
        except ExpressionTimeout as error:
            outcome["timeout"] = error

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(120)
    assert sp.simplify(outcome["derivative"] - x * (1 - sp.tanh(w * x + b) ** 2)) == 0
    assert "0.2 s" in str(outcome["timeout"])


def test_without_setitimer_the_limit_still_holds(monkeypatch):
    monkeypatch.delattr(signal, "setitimer", raising=False)
    with pytest.raises(ExpressionTimeout, match=r"0\.2 s"):
        ns.derive(HEAVY, "x", simplify="full", timeout=0.2)
    assert ns.derive("x**2", "x")["x"] == 2 * x


def test_in_a_browser_a_finite_limit_is_accepted_but_left_to_the_caller(monkeypatch):
    # Pyodide has neither signals nor threads: the worker running it enforces the limit
    monkeypatch.setattr(sys, "platform", "emscripten")
    monkeypatch.setattr(threading.Timer, "start", _no_process_start)  # no thread may start
    for timeout in (5.0, 1e-9, None):
        assert ns.derive("x**3", "x", timeout=timeout)["x"] == 3 * x**2


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf"), "5", True])
def test_timeout_must_be_positive(timeout):
    with pytest.raises(ArgumentError, match="timeout"):
        ns.derive("x", "x", timeout=timeout)


# --- simplify levels, the derive corpus, values at a point, constants, lazy import -------------

_CORPUS_FILE = Path(__file__).resolve().parent.parent / "bench" / "derive_corpus.py"


def _corpus():
    spec = importlib.util.spec_from_file_location("derive_corpus", _CORPUS_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CORPUS


CORPUS = _corpus()


def _agree_numerically(a, b, symbols, seed: int) -> bool:
    """a == b at 5 seeded random points, both evaluated exactly (30 digits)."""
    rng = random.Random(seed)
    a, b = expand_activations(a), expand_activations(b)
    for _ in range(5):
        point = {s: sp.Rational(rng.randint(-300, 300), 100) for s in symbols}
        left, right = a.xreplace(point).evalf(30), b.xreplace(point).evalf(30)
        if not (left.is_finite and right.is_finite):
            continue  # a pole of both, e.g. x - y = 0 in a rational entry
        if abs(left - right) > 1e-20 * max(1, abs(left)):
            return False
    return True


@pytest.mark.parametrize(("family", "text", "wrt"), CORPUS, ids=lambda v: str(v)[:30])
def test_every_corpus_expression_auto_equals_raw(family, text, wrt):
    # How long "auto" takes is measured by bench/derive_corpus.py, not asserted here.
    raw = ns.derive(text, wrt, simplify="none", timeout=None)
    result = ns.derivation(text, wrt, simplify="auto", timeout=None)
    assert list(result.partials) == list(raw) == list(dict.fromkeys(wrt))
    symbols = sorted(result.expression.free_symbols, key=str)
    for name in wrt:
        assert result.simplify_level[name] in ("full", "normal", "none")
        assert _agree_numerically(result.partials[name], raw[name], symbols, seed=len(text))


def test_raw_derivative_is_sympy_diff_with_the_tie_convention():
    assert ns.derive("x**3*y", "x", simplify="none")["x"] == 3 * x**2 * y
    assert ns.derive("max(x, 0)", "x", simplify="none")["x"] == (1 + sp.sign(x)) / 2
    assert ns.derivation("x**3", "x", simplify="none").simplify_level == {"x": "none"}


def test_full_level_is_sympy_simplify():
    result = ns.derivation("sin(x)**2 + cos(x)**2 + x*y", ["x", "y"], simplify="full")
    assert result.partials == {"x": y, "y": x} and result.simplify_level == {"x": "full", "y": "full"}


def test_auto_falls_back_to_a_normal_form_instead_of_timing_out():
    text = "tan(tan(tan(tan(tan(tan(tan(tan(tan(tan(x))))))))))"  # sympy.simplify runs for minutes
    with pytest.raises(ExpressionTimeout):
        ns.derive(text, "x", simplify="full", timeout=1.0)
    result = ns.derivation(text, "x", timeout=10.0)  # simplify's budget (1 s) cannot fit; minutes
    assert result.simplify_level["x"] in ("normal", "none")  # "none" only if even the normal form ran out
    assert _agree_numerically(result.partials["x"], ns.derive(text, "x", simplify="none")["x"], [x], seed=1)


@pytest.mark.parametrize("simplify", ["fast", None, "FULL", 1])
def test_simplify_must_be_a_level(simplify):
    with pytest.raises(ArgumentError, match="simplify must be one of"):
        ns.derive("x", "x", simplify=simplify)


def test_relu_and_max_conventions_at_zero_are_both_subgradients():
    # relu'(0) = 0, as nnspec's .grad; max(x, 0) and min(x, 0) split a tie 1/2, 1/2 (torch.maximum)
    assert ns.activation("relu").grad(np.zeros(1))[0] == 0.0
    assert ns.derivation("relu(x)", "x", at="x=0").partial_values == {"x": 0.0}
    for text in ("max(x, 0)", "-min(-x, 0)"):
        assert ns.derivation(text, "x", at="x=0").partial_values == {"x": 0.5}
    for text in ("max(x, 0)", "relu(x)", "-min(-x, 0)"):
        assert ns.derivation(text, "x", at="x=1/10").partial_values == {"x": 1.0}
        assert ns.derivation(text, "x", at="x=-1/10").partial_values == {"x": 0.0}


def test_values_at_a_point_are_exact_then_rounded():
    result = ns.derivation("tanh(w*x + b)", ["w", "b"], at="w=0.5, x=-3, b=pi/4")
    with mpmath.workdps(50):
        z = mpmath.mpf(0.5) * -3 + mpmath.pi / 4
        local = 1 - mpmath.tanh(z) ** 2
        assert result.value == float(mpmath.tanh(z))
        assert result.partial_values == {"w": float(-3 * local), "b": float(local)}
    assert result.point == {"w": sp.Rational(1, 2), "x": -3, "b": sp.pi / 4}
    assert ns.derivation("a**2*b", ["a", "b"], at={"a": -4, "b": 2.5}).partial_values == {
        "a": -20.0,
        "b": 16.0,
    }


@pytest.mark.parametrize(
    ("at", "error", "message"),
    [
        ("x=1", ArgumentError, "no value for y"),
        ("x=1, y=2, z=3", ArgumentError, "z does not occur"),
        ("x=1, x=2, y=0", ArgumentError, "given twice"),
        ("x 1, y=2", ArgumentError, "name=value"),
        ("x=y, y=1", ExpressionError, "must be a constant"),
        ("x=sqrt(-1), y=1", ExpressionError, "not real"),
        ("x=__import__('os'), y=1", ExpressionError, "not allowed"),
        ("pi=1, y=1", ArgumentError, "not a variable name"),
        ({"x": "1", "y": [2]}, ArgumentError, "must be a number"),
        ("", ArgumentError, "name=value"),
    ],
)
def test_bad_points_are_refused_in_one_line(at, error, message):
    with pytest.raises(error, match=message) as caught:
        ns.derivation("x*y", ["x"], at=at)
    assert "\n" not in str(caught.value)


def test_a_point_where_a_value_is_undefined_is_refused():
    with pytest.raises(ExpressionError, match="not a finite real number"):
        ns.derivation("1/x", "x", at="x=0")
    with pytest.raises(ExpressionError, match="not a finite real number"):
        ns.derivation("log(x)", "x", at="x=-1")


def test_parse_point_reads_exact_values_safely():
    assert ns.parse_point("a=-4, b=0.1, c=max(1, 2)/3, d=pi") == {
        "a": -4,
        "b": sp.Rational(1, 10),
        "c": sp.Rational(2, 3),
        "d": sp.pi,
    }


def test_chain_rule_shows_each_step_at_the_point():
    steps = ns.chain_rule("sin(x**2)", "x", at="x=2")
    text = str(steps)
    assert f"2*x*cos(x**2) = {float(4 * mpmath.cos(4))!r}" in text
    assert "du/dx = 2*x = 4.0" in text and "cos(x**2) = " in text
    assert steps.value_at(steps.inner) == 4.0
    assert steps.latex().rstrip().endswith(f"{float(4 * mpmath.cos(4))!r}\n\\end{{array}}")
    with pytest.raises(ArgumentError, match="no point"):
        ns.chain_rule("sin(x)", "x").value_at(x)


def test_pi_and_e_are_sympys_constants_and_round_trip():
    assert ns.parse("pi") is sp.pi and ns.parse("E") is sp.E
    assert ns.parse(str(ns.parse("exp(1)"))) == sp.E
    assert ns.parse("e") == sp.Symbol("e", real=True)  # e stays a name: it prints as e, not E
    with pytest.raises(ArgumentError, match="not a variable name"):
        ns.derive("pi*x", "pi")


def test_import_nnspec_loads_neither_numpy_nor_sympy_and_expressions_need_no_numpy():
    code = (
        "import sys; import nnspec; assert 'sympy' not in sys.modules and 'numpy' not in sys.modules; "
        "import nnspec.expressions as e; assert 'numpy' not in sys.modules; "
        "assert str(e.derive('x**2', 'x')['x']) == '2*x'; assert 'numpy' not in sys.modules; "
        "import nnspec as ns; ns.MLP; assert 'numpy' in sys.modules"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_version_comes_from_the_installed_metadata():
    assert ns.__version__ == importlib.metadata.version("nnspec")


@needs_timer
def test_many_tiny_limits_leave_no_alarm_behind():
    # each run may stop anywhere, including while the limit is being lifted; an alarm left behind
    # would reach the default handler (pytest reports it) or raise outside the call
    for index in range(200):
        try:
            run_with_time_limit(ns.derive, ("tanh(w*x + b)**2", "w"), 1e-6 * (index % 50 + 1), "derive")
        except ExpressionTimeout:
            pass
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.default_int_handler, None)


def _busy(seconds):
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


class _SlowFinalizer:
    def __del__(self):
        _busy(0.01)  # a stop raised here cannot reach the computation


class _Referent:
    pass


def _slow_weakref_callback(reference):
    _busy(0.01)  # a stop raised in a weakref callback cannot reach the computation either


def _slow_finalizer():
    _SlowFinalizer()


def _slow_weakref():
    keep = _Referent()
    reference = weakref.ref(keep, _slow_weakref_callback)
    del keep  # the callback runs now
    return reference


@needs_timer
@pytest.mark.parametrize("finalizer", [_slow_finalizer, _slow_weakref], ids=["__del__", "weakref"])
@pytest.mark.parametrize("in_thread", [False])  # the command line's timer runs in its main thread
def test_the_limit_holds_when_a_stop_lands_in_a_finalizer(in_thread, finalizer, monkeypatch):
    lost = []
    monkeypatch.setattr(sys, "unraisablehook", lost.append)
    finished, outcome = [], []

    def work():
        for _ in range(500):  # about 5.5 s, 90 % of it inside a finalizer
            finalizer()
            _busy(0.001)
        finished.append(True)

    def limited():
        try:
            run_with_time_limit(work, (), 0.2, "the slow loop")
        except ExpressionTimeout as error:
            outcome.append(error)

    if in_thread:
        thread = threading.Thread(target=limited)
        thread.start()
        thread.join(60)
    else:
        limited()
    assert outcome  # ExpressionTimeout, whatever happened inside
    if finalizer is _slow_finalizer or in_thread:
        assert not finished  # stopped early, not at the end of the 5.5 s
    # A stop that landed in a finalizer was dropped there ("Exception ignored"), and a later
    # one, sooner and at an uneven interval (an even timer fell into step with this loop, so
    # that every stop landed in a finalizer), stopped the computation; nothing else was lost.
    assert all(type(entry.exc_value).__name__ == "_Expired" for entry in lost)
    assert sys.unraisablehook == lost.append
