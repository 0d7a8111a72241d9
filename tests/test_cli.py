"""The nnspec command line, through subprocesses (python -m nnspec and the console script) and main()."""

from __future__ import annotations

import importlib.metadata
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import nnspec as ns
from nnspec import cli

ROOT = Path(__file__).resolve().parent.parent
x, w, b = sp.symbols("x w b", real=True)
HEAVY = "((x+1)**40*(y-2)**30 + sin(x*y)**7)/(exp(x) + tanh(y))**5"
NOTE = (
    "nnspec: note: {} not fully simplified (sympy.simplify did not finish within its budget); "
    "--simplify full --timeout SECONDS gives it longer\n"
)


def run(*args, command=(sys.executable, "-m", "nnspec")):
    environment = dict(
        os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    )
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, timeout=300, env=environment, cwd=ROOT, check=False
    )


def assert_one_line_error(result, *fragments):
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("nnspec"), result.stderr
    assert "error:" in lines[0] and "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_derive_prints_a_derivative_that_parses_back():
    result = run("derive", "tanh(w*x + b)", "--wrt", "w")
    # on a loaded machine sympy.simplify may not finish within auto's budget: then a note says so
    assert result.returncode == 0 and result.stderr in ("", NOTE.format("d/dw"))
    (line,) = result.stdout.splitlines()
    label, printed = line.split(" = ", 1)
    assert label == "d/dw"
    assert sp.simplify(ns.parse(printed) - x * (1 - sp.tanh(b + w * x) ** 2)) == 0


def test_console_script_derives_several_names_in_order():
    script = Path(sys.executable).with_name("nnspec")
    result = run("derive", "tanh(w*x + b)", "--wrt", "w, b", command=(str(script),))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(" = ")[0] for line in lines] == ["d/dw", "d/db"]
    expected = [x * (1 - sp.tanh(b + w * x) ** 2), 1 - sp.tanh(b + w * x) ** 2]
    for line, derivative in zip(lines, expected):
        assert sp.simplify(ns.parse(line.split(" = ", 1)[1]) - derivative) == 0


def test_derive_latex():
    result = run("derive", "sigmoid(w*x + b)", "--wrt", "w", "--latex")
    assert result.returncode == 0
    assert result.stdout.startswith(r"\frac{\partial}{\partial w}\left[\sigma\left(b + w x\right)\right] = ")


def test_chain_prints_the_steps():
    result = run("chain", "sin(x**2)", "--wrt", "x")
    assert result.returncode == 0 and result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0].startswith("d/dx [sin(x**2)] = ")
    assert sp.simplify(ns.parse(lines[0].split(" = ", 1)[1]) - 2 * x * sp.cos(x**2)) == 0
    assert "chain rule: outer sin(u) with u = x**2" in result.stdout
    assert any(line.strip().startswith("d/dx [x**2] = 2*x") for line in lines)


def test_chain_latex():
    result = run("chain", "sin(x**2)", "--wrt", "x", "--latex")
    assert result.returncode == 0
    text = result.stdout.strip()
    assert text.startswith(r"\begin{array}{rl}") and text.endswith(r"\end{array}")
    assert r"\frac{d}{d u}\left(\sin{\left(u \right)}\right)" in text


def test_check_prints_the_table_and_exits_0():
    result = run("check", "--sizes", "2,4,4,1")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    header = next(line for line in lines if line.startswith("parameter"))
    for title in ("SymPy layer-wise", "SymPy expression", "central differences"):
        assert title in header
    rows = [line.split() for line in lines if line.startswith("layers[")]
    assert [row[0] for row in rows] == [f"layers[{i}].{p}" for i in range(3) for p in "Wb"]
    for row in rows:
        errors, verdicts = row[1::2], row[2::2]
        assert verdicts == ["ok"] * 3 and all(0 <= float(e) < 1e-6 for e in errors)


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["derive", "x.__class__", "--wrt", "x"], ["attribute access", "column 2"]),
        (
            ["derive", "__import__('os').system('echo hacked')", "--wrt", "x"],
            ["strings are not allowed", "column 12"],
        ),
        (["derive", "x*y", "--wrt", "z"], ["z does not occur"]),
        (["derive", "x"], ["--wrt"]),
        ([], ["required"]),
        (["check", "--sizes", "2,x"], ["--sizes"]),
        (["derive", HEAVY, "--wrt", "x", "--simplify", "full", "--timeout", "0.2"], ["timed out", "0.2 s"]),
        (["derive", "tanh(x)", "--wrt", "x", "--timeout", "1e-9"], ["timed out", "1e-09 s"]),
        (["derive", "tanh(x)", "--wrt", "x", "--timeout", "1e10"], ["--timeout", "at most 86400 s"]),
        (["derive", "x*y", "--wrt", "x", "--at", "x=1"], ["no value for y"]),
        (["derive", "x*y", "--wrt", "x", "--at", "x=1,y=2,z=3"], ["z does not occur"]),
        (["derive", "x", "--wrt", "x", "--at", "x=sqrt(-1)"], ["not real"]),
        (["derive", "x", "--wrt", "x", "--simplify", "some"], ["--simplify", "invalid choice"]),
        (["check", "--timeout", "0.001"], ["check timed out"]),
        (["check", "--sizes", "4,8,8,1", "--batch", "100000"], ["too large to check", "--batch 100000"]),
    ],
)
def test_errors_are_one_line_with_exit_status_2(args, fragments):
    assert_one_line_error(run(*args), *fragments)


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["check", "--activation", "swish"], ["unknown activation 'swish'"]),
        (["check", "--loss", "hinge"], ["unknown loss 'hinge'"]),
        (["check", "--loss", "cce"], ["cce needs at least 2 outputs"]),
        (["check", "--batch", "0"], ["--batch"]),
        (["chain", "x*y", "--wrt", "x,y"], ["one variable"]),
        (["chain", "x", "--wrt", "x", "--timeout", "-1"], ["timeout"]),
        (["derive", "x +", "--wrt", "x"], ["invalid syntax"]),
        (["derive", "x\ny", "--wrt", "x"], ["control character"]),
        (["derive", "x", "--wrt", ""], ["--wrt"]),
        (["frobnicate"], ["invalid choice"]),
        (["check", "--sizes", "100,101"], ["too large to check", "10201 parameters"]),
    ],
)
def test_errors_in_process_are_one_line_with_exit_status_2(args, fragments, capsys):
    assert cli.main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("nnspec") and "error:" in lines[0]
    assert all(fragment in lines[0] for fragment in fragments), lines[0]


@pytest.mark.parametrize("command", [[], ["derive"], ["chain"], ["check"]])
def test_help_shows_examples(command):
    result = run(*command, "--help")
    assert result.returncode == 0 and result.stderr == ""
    assert "examples:" in result.stdout
    assert f"nnspec {command[0] if command else 'derive'} " in result.stdout.split("examples:")[1]


def _plant_backward_bug(monkeypatch, gradient: str, factor: float) -> None:
    """Make every Dense layer's ``gradient`` ("dW" or "db") ``factor`` times too large."""
    correct = ns.network.Dense.backward

    def scaled_backward(self, dA, *, input_gradient=True):
        dX = correct(self, dA, input_gradient=input_gradient)
        setattr(self, gradient, getattr(self, gradient) * factor)
        return dX

    monkeypatch.setattr(ns.network.Dense, "backward", scaled_backward)


def test_planted_backprop_bug_gives_exit_status_1(monkeypatch, capsys):
    _plant_backward_bug(monkeypatch, "dW", 1.001)  # a 0.1 % error in every kernel gradient
    assert cli.main(["check", "--sizes", "2,3,1"]) == 1
    output = capsys.readouterr().out
    rows = {line.split()[0]: line.split()[1:] for line in output.splitlines() if line.startswith("layers[")}
    assert rows["layers[0].W"][1::2] == ["FAIL"] * 3 and rows["layers[0].b"][1::2] == ["ok"] * 3
    for reference in ("SymPy layer-wise", "SymPy expression", "central differences"):
        assert f"MISMATCH layers[1].W vs {reference}" in output


def test_large_network_skips_the_expression_column(capsys):
    assert cli.main(["check", "--sizes", "10,20,10", "--activation", "relu"]) == 0
    output = capsys.readouterr().out
    assert "SymPy expression column skipped: 430 parameters x batch 4 is more than 60" in output
    header = next(line for line in output.splitlines() if line.startswith("parameter"))
    assert (
        "SymPy expression" not in header and "SymPy layer-wise" in header and "central differences" in header
    )


def test_check_chooses_valid_targets_and_output_for_each_loss(capsys, monkeypatch):
    seen = []
    original = ns.gradcheck.check_gradients

    def spy(model, X, Y, loss, method="central", **kwargs):
        seen.append((loss.name, model.layers[-1].activation.name, np.array(Y), kwargs["from_logits"]))
        return original(model, X, Y, loss, method, **kwargs)

    monkeypatch.setattr(ns.gradcheck, "check_gradients", spy)
    # the targets and the output layer are the point here, not the whole-network SymPy
    # derivation (3-6 s per structure): the layer-wise reference only
    compare_symbolically = ns.symbolic.check_backprop
    monkeypatch.setattr(
        ns.symbolic,
        "check_backprop",
        lambda *args, **kwargs: compare_symbolically(*args, **{**kwargs, "methods": ["layerwise"]}),
    )
    assert cli.main(["check", "--sizes", "2,3,3", "--loss", "cce", "--batch", "5"]) == 0
    assert cli.main(["check", "--sizes", "2,3,2", "--loss", "bce", "--batch", "6"]) == 0
    assert cli.main(["check", "--sizes", "2,3,2", "--loss", "bce", "--from-logits"]) == 0
    (cce, cce_output, Y, _), (bce, bce_output, labels, _), (_, logits_output, _, from_logits) = seen
    assert (cce, cce_output, Y.shape) == ("categorical_crossentropy", "softmax", (5, 3))
    assert np.all(Y.sum(axis=1) == 1) and set(np.unique(Y)) <= {0.0, 1.0}
    assert (bce, bce_output, labels.shape) == ("binary_crossentropy", "sigmoid", (6, 2))
    assert set(np.unique(labels)) <= {0.0, 1.0}
    assert logits_output == "identity" and from_logits is True
    capsys.readouterr()


def test_version_is_the_installed_one():
    result = run("--version")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == f"nnspec {importlib.metadata.version('nnspec')}\n"


def test_derive_at_a_point_prints_exact_values_rounded_once(capsys):
    assert cli.main(["derive", "a**2*b + relu(a - b)", "--wrt", "a,b", "--at", "a=-4,b=2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "at a = -4, b = 2"
    assert lines[1].endswith(" = 32.0") and lines[2].endswith(" = -16.0") and lines[3].endswith(" = 16.0")
    assert cli.main(["chain", "sin(x**2)", "--wrt", "x", "--at", "x=2"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"at x = 2: d/dx = {4 * math.cos(4)!r}"


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
def test_check_passes_a_correct_kinked_network_for_every_seed(activation, capsys):
    # with zero biases whole rows sit on the kink (z = 0); seeds 0 and 5 did for relu
    moved = 0
    for seed in range(20):
        status = cli.main(["check", "--sizes", "2,4,4,1", "--activation", activation, "--seed", str(seed)])
        output = capsys.readouterr().out
        assert status == 0, output
        moved += "kinks: moved" in output
    assert moved >= 1  # some seed needed its batch moved off the kink


def test_a_planted_bug_still_fails_with_a_kinked_activation(monkeypatch, capsys):
    _plant_backward_bug(monkeypatch, "db", 1.01)  # a 1 % error in every bias gradient
    for seed in (0, 5):
        assert cli.main(["check", "--sizes", "2,4,4,1", "--activation", "relu", "--seed", str(seed)]) == 1
        assert "MISMATCH layers[2].b vs central differences" in capsys.readouterr().out


def test_an_unexpected_failure_is_still_one_line_with_exit_status_2(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise TypeError("something inside SymPy\nwent wrong")

    monkeypatch.setattr(ns.expressions, "derivation", broken)
    assert cli.main(["derive", "x", "--wrt", "x"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "nnspec: error: internal error TypeError: something inside SymPy went wrong (please report it)\n"
    )
