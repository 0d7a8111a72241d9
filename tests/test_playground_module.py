"""The playground's Python (nnspec.expressions.playground), tested without a browser."""

from __future__ import annotations

import json
import re
from pathlib import Path

import sympy as sp

import nnspec as ns
from nnspec.expressions import playground
from nnspec.expressions.time_limit import INTERACTIVE_TIMEOUT

ROOT = Path(__file__).resolve().parent.parent


def test_a_derivative_comes_back_with_text_mathml_and_value():
    result = json.loads(playground.differentiate("tanh(w*x + b)", "w, b", "w=0.5, x=2, b=-1"))
    assert [p["name"] for p in result["partials"]] == ["w", "b"]
    w = sp.Symbol("w", real=True)
    x = sp.Symbol("x", real=True)
    b = sp.Symbol("b", real=True)
    expected = sp.diff(sp.tanh(w * x + b), w)
    text = result["partials"][0]["text"]
    assert sp.simplify(ns.parse(text) - expected) == 0
    value = float(expected.subs({w: sp.Rational(1, 2), x: 2, b: -1}))
    assert abs(result["partials"][0]["value"] - value) <= 1e-15 * abs(value)
    assert result["partials"][0]["mathml"].startswith('<math display="block">')
    assert "&PartialD;" in result["partials"][0]["mathml"]
    assert result["point"] == {"w": "1/2", "x": "2", "b": "-1"}


def test_one_variable_uses_a_straight_d_and_no_point_gives_no_value():
    result = json.loads(playground.differentiate("x**3", "x"))
    assert "&PartialD;" not in result["partials"][0]["mathml"]
    assert result["partials"][0]["value"] is None
    assert result["value"] is None and result["point"] is None


def test_refusals_are_one_line_errors():
    for text in ["__import__('os')", "x +", "open('f')"]:
        result = json.loads(playground.differentiate(text, "x"))
        assert set(result) == {"error"}
        assert "\n" not in result["error"] and result["error"]


def test_chain_rule_steps_in_text_and_mathml():
    result = json.loads(playground.differentiate("sin(x**2)", "x", "", "auto", True))
    [step] = result["steps"]
    assert step["name"] == "x" and "chain rule" in step["text"]
    assert step["mathml"].startswith("<math")


def test_runtime_line_names_the_versions():
    line = playground.describe_runtime()
    assert re.fullmatch(r"nnspec \S+, SymPy \S+, mpmath \S+, Python \d+\.\d+\.\d+", line)


def test_one_default_time_limit_for_the_page_and_the_command_line():
    assert playground.TIME_LIMIT == INTERACTIVE_TIMEOUT
    page = (ROOT / "docs" / "playground.md").read_text(encoding="utf-8")
    field = re.search(r'<input id="nnspec-timeout"[^>]*value="([^"]+)"', page)
    assert field is not None and float(field.group(1)) == INTERACTIVE_TIMEOUT
    from nnspec.cli import build_parser

    check = build_parser().parse_args(["derive", "x", "--wrt", "x"])
    assert check.timeout == INTERACTIVE_TIMEOUT
