import math
import warnings

import mpmath
import numpy as np
import pytest
import sympy as sp

import nnspec as ns
from tests.reference import central_difference

RNG = np.random.default_rng(0)
Y_BINARY = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
P_BINARY = np.array([[0.9, 0.2], [0.4, 0.6], [0.7, 0.05]])
Y_ONEHOT = np.eye(3)[[0, 2, 1, 2]]
P_SOFTMAX = ns.softmax(RNG.normal(size=(4, 3)))
LOGITS = RNG.normal(size=(4, 3)) * 3

CASES = [
    ("mse", RNG.normal(size=(3, 2)), RNG.normal(size=(3, 2)), False),
    ("bce", Y_BINARY, P_BINARY, False),
    ("bce", Y_BINARY, RNG.normal(size=(3, 2)) * 4, True),
    ("cce", Y_ONEHOT, P_SOFTMAX, False),
    ("cce", Y_ONEHOT, LOGITS, True),
]
IDS = ["mse", "bce", "bce-logits", "cce", "cce-logits"]


def _symbolic(loss, y, p, from_logits):
    ys = sp.Matrix(y.shape[0], y.shape[1], lambda i, j: sp.Symbol(f"y_{i}_{j}", real=True))
    ps = sp.Matrix(p.shape[0], p.shape[1], lambda i, j: sp.Symbol(f"p_{i}_{j}", real=True))
    expr = loss.expr(ys, ps, from_logits=from_logits)
    values = dict(zip(list(ys) + list(ps), list(y.ravel()) + list(p.ravel())))
    with mpmath.workdps(40):
        value = float(expr.evalf(40, subs=values))
        grad = np.array([float(sp.diff(expr, s).evalf(40, subs=values)) for s in ps]).reshape(p.shape)
    return value, grad


@pytest.mark.parametrize(("name", "y", "p", "from_logits"), CASES, ids=IDS)
def test_value_and_grad_match_sympy(name, y, p, from_logits):
    loss = ns.loss(name)
    value, grad = _symbolic(loss, y, p, from_logits)
    assert loss(y, p, from_logits=from_logits) == pytest.approx(value, rel=1e-13)
    np.testing.assert_allclose(loss.grad(y, p, from_logits=from_logits), grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(("name", "y", "p", "from_logits"), CASES, ids=IDS)
def test_grad_matches_central_differences(name, y, p, from_logits):
    loss = ns.loss(name)
    numeric = central_difference(lambda q: loss(y, q, from_logits=from_logits), p, h=1e-7)
    np.testing.assert_allclose(loss.grad(y, p, from_logits=from_logits), numeric, rtol=1e-6, atol=1e-9)


def test_reductions():
    y, p = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.5, 2.0], [3.0, 2.0]])
    assert ns.mse(y, p) == (0.25 + 4.0) / 4  # mean over all elements
    labels, probs = np.array([1.0, 0.0]), np.array([0.8, 0.4])
    assert ns.binary_crossentropy(labels, probs) == pytest.approx(-(math.log(0.8) + math.log(0.6)) / 2)
    onehot, probs3 = (
        np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]),
        np.array([[0.2, 0.5, 0.3], [0.1, 0.1, 0.8]]),
    )
    # summed over classes, averaged over the batch
    assert ns.categorical_crossentropy(onehot, probs3) == pytest.approx(-(math.log(0.5) + math.log(0.1)) / 2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logits_up_to_1e4_are_exact_and_silent(dtype):
    z = np.array([[1e4, -1e4], [-1e4, 1e4]], dtype=dtype)
    y = np.array([[0.0, 1.0], [0.0, 1.0]])
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        bce = ns.binary_crossentropy(y, z, from_logits=True)
        bce_grad = ns.binary_crossentropy.grad(y, z, from_logits=True)
        cce = ns.categorical_crossentropy(y, z, from_logits=True)
        cce_grad = ns.categorical_crossentropy.grad(y, z, from_logits=True)
    # by hand: softplus(1e4) = 1e4, softplus(-1e4) + 1e4 = 1e4 (to double precision), 0 for the correct ones
    assert bce == (1e4 + 1e4 + 0 + 0) / 4
    assert cce == (2e4 + 0) / 2
    assert np.all(np.isfinite(bce_grad)) and np.all(np.isfinite(cce_grad))
    np.testing.assert_allclose(cce_grad, [[0.5, -0.5], [0, 0]], atol=1e-12)


def test_probabilities_are_clipped_and_flat_where_clipped():
    eps = ns.losses.EPSILON[np.dtype(np.float64)]
    y, p = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    with np.errstate(all="raise"):
        value = ns.binary_crossentropy(y, p)
        grad = ns.binary_crossentropy.grad(y, p)
    # both terms are -log(eps), up to the rounding of 1 - eps in float64
    assert value == pytest.approx(-math.log(eps), rel=1e-5)
    assert np.all(grad == 0)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: ns.mse(np.zeros((2, 3)), np.zeros((3, 2))),
            r"y_true has shape \(2, 3\) but y_pred has shape \(3, 2\)",
        ),
        (
            lambda: ns.binary_crossentropy([2.0, 0.0], [0.5, 0.5]),
            r"y_true must hold labels .* in \[0, 1\], got 2.0",
        ),
        (
            lambda: ns.binary_crossentropy([1.0, 0.0], [1.5, 0.5]),
            r"y_pred must hold probabilities .* got 1.5",
        ),
        (
            lambda: ns.categorical_crossentropy([[0.5, 0.2]], [[0.5, 0.5]]),
            r"each row of y_true must sum to 1",
        ),
        (
            lambda: ns.categorical_crossentropy([[1.0, 0.0]], [[0.5, 0.6]]),
            r"each row of y_pred must sum to 1",
        ),
        (lambda: ns.mse([1.0, 2.0], [np.nan, 1.0]), r"y_pred must be finite, but 1 entry is NaN or infinite"),
        (lambda: ns.mse([np.inf, 2.0], [1.0, 1.0]), r"y_true must be finite"),
        (lambda: ns.mse([1.0], np.array([1])), r"y_pred has dtype int64; expected a floating dtype"),
        (lambda: ns.mse([1.0], [1.0], from_logits=True), r"from_logits=True only has a meaning"),
        (lambda: ns.loss("hinge"), r"unknown loss 'hinge'; valid names are: bce, binary_crossentropy"),
    ],
)
def test_bad_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_expr_defaults_are_the_textbook_formulas():
    y, yhat, z = sp.symbols("y yhat z", real=True)
    assert sp.simplify(ns.mse.expr() - (yhat - y) ** 2) == 0
    bce = ns.binary_crossentropy.expr()
    assert sp.simplify(bce + y * sp.log(yhat) + (1 - y) * sp.log(1 - yhat)) == 0
    # d/dz of BCE from logits is sigmoid(z) - y
    assert (
        sp.simplify(sp.diff(ns.binary_crossentropy.expr(from_logits=True), z) - (1 / (1 + sp.exp(-z)) - y))
        == 0
    )


@pytest.mark.parametrize(("name", "y", "p", "from_logits"), CASES, ids=IDS)
def test_value_and_grad_equals_the_two_calls(name, y, p, from_logits):
    loss = ns.loss(name)
    value, grad = loss.value_and_grad(y, p, from_logits=from_logits)
    assert value == pytest.approx(loss(y, p, from_logits=from_logits), rel=1e-14)
    np.testing.assert_allclose(grad, loss.grad(y, p, from_logits=from_logits), rtol=1e-13, atol=1e-17)


@pytest.mark.parametrize(("name", "y", "p", "from_logits"), CASES, ids=IDS)
def test_value_and_grad_with_targets_checked_is_the_same(name, y, p, from_logits):
    loss = ns.loss(name)
    checked = loss.value_and_grad(y, p, from_logits=from_logits)
    trusted = loss.value_and_grad(loss.check_targets(y), p, from_logits=from_logits, targets_checked=True)
    assert trusted[0] == checked[0]
    np.testing.assert_array_equal(trusted[1], checked[1])


def test_check_targets_refuses_what_the_loss_refuses():
    with pytest.raises(ns.ArgumentError, match="y_true"):
        ns.categorical_crossentropy.check_targets([[0.5, 0.6]])
    with pytest.raises(ns.ArgumentError, match="y_true"):
        ns.binary_crossentropy.check_targets([[1.5]])
    with pytest.raises(ns.ArgumentError, match="finite"):
        ns.mse.check_targets([[np.inf]])
    with pytest.raises(ns.ShapeError):  # shapes are still compared when the targets are trusted
        ns.mse.value_and_grad(np.zeros((2, 1)), np.zeros((2, 2)), targets_checked=True)


def test_sympy_is_imported_only_by_the_symbolic_methods():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(ns.losses))
    top_level = [
        alias.name
        for node in tree.body
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    ] + [node.module for node in tree.body if isinstance(node, ast.ImportFrom) and node.module]
    assert not any(name.split(".")[0] == "sympy" for name in top_level)
    # and the symbolic methods still work
    assert sp.simplify(ns.mse.expr() - (sp.Symbol("yhat", real=True) - sp.Symbol("y", real=True)) ** 2) == 0
