import math
import warnings

import numpy as np
import pytest
import sympy as sp

import nnspec as ns
from tests.reference import central_difference, high_precision, relative_error

ELEMENTWISE = [f for f in ns.ACTIVATIONS.values() if f.elementwise]
GRID = np.concatenate([np.linspace(-20, 20, 81), [-1e-8, 1e-8, 0.1, -0.1]])
EXTREMES = [-1e4, -1e3, -100.0, -30.0, -1e-8, 0.0, 1e-8, 30.0, 100.0, 1e3, 1e4]
x = sp.Symbol("x", real=True)


def test_every_name_in_the_design_is_exported():
    for name in ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "gelu", "softmax"]:
        assert ns.activation(name) is getattr(ns, name)


@pytest.mark.parametrize("f", ELEMENTWISE, ids=lambda f: f.name)
def test_value_matches_sympy_definition(f):
    reference = high_precision(f.expr(x), x, GRID)
    # 1e-13 allows for the conditioning of erfc's argument z/sqrt(2) deep in GELU's tail
    assert np.max(relative_error(f(GRID), reference, floor=1e-30)) <= 1e-13


@pytest.mark.parametrize("f", ELEMENTWISE, ids=lambda f: f.name)
def test_grad_matches_sympy_derivative(f):
    """The derivative SymPy takes of .expr equals .grad; at kinks the Piecewise encodes the convention."""
    reference = high_precision(sp.diff(f.expr(x), x), x, GRID)
    assert np.max(relative_error(f.grad(GRID), reference, floor=1e-30)) <= 1e-13


@pytest.mark.parametrize("f", ELEMENTWISE, ids=lambda f: f.name)
def test_grad_matches_central_differences(f):
    points = GRID[np.abs(GRID) > 1e-3]  # away from the kinks of relu and leaky_relu
    numeric = np.array([central_difference(lambda v: float(f(v)), p) for p in points])
    # central differences carry O(h^2) truncation and eps*|f|/h round-off: rtol 1e-7, atol 1e-9
    np.testing.assert_allclose(numeric, f.grad(points), rtol=1e-7, atol=1e-9)


def test_conventions_at_kinks():
    assert ns.relu.grad(0.0) == 0.0
    assert ns.leaky_relu.grad(0.0) == 0.01
    assert ns.leaky_relu(-2.0) == -0.02
    assert ns.elu.grad(0.0) == 1.0 and ns.elu(-math.inf) == -1.0
    # GELU is the exact erf form, not the tanh approximation
    assert ns.gelu(1.0) == pytest.approx(0.5 * (1 + math.erf(1 / math.sqrt(2))), rel=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("f", ELEMENTWISE, ids=lambda f: f.name)
def test_extreme_inputs_are_finite_and_silent(f, dtype):
    z = np.array(EXTREMES, dtype=dtype)
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        value, grad = f(z), f.grad(z)
        infinite = (
            f(np.array([-np.inf, np.inf], dtype=dtype)),
            f.grad(np.array([-np.inf, np.inf], dtype=dtype)),
        )
        nan_value, nan_grad = f(np.array([np.nan], dtype=dtype)), f.grad(np.array([np.nan], dtype=dtype))
    assert value.dtype == grad.dtype == dtype
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(grad))
    assert not np.isnan(infinite[0]).any() and not np.isnan(infinite[1]).any()
    assert np.isnan(nan_value).all() and np.isnan(nan_grad).all()


def test_stability_promises():
    with np.errstate(all="raise"):
        assert 0 <= ns.sigmoid(-1000.0) < 1e-300
        assert ns.softplus(1000.0) == 1000.0
        assert ns.sigmoid(np.float32(-1000.0)).dtype == np.float32
        assert ns.tanh.grad(20.0) > 0  # 1 - tanh(20)**2 would round to 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_rows_and_invariance(dtype):
    z = np.random.default_rng(0).normal(size=(5, 4)).astype(dtype) * 100
    with np.errstate(all="raise"):
        s = ns.softmax(z)
        shifted = ns.softmax(z + dtype(1e3))
        extreme = ns.softmax(np.array([[1e4, -1e4, 0.0]], dtype=dtype))
    assert s.dtype == dtype
    np.testing.assert_allclose(s.sum(axis=-1), 1, rtol=1e-6 if dtype == np.float32 else 1e-15)
    np.testing.assert_allclose(shifted, s, atol=1e-6 if dtype == np.float32 else 1e-12)
    assert extreme[0, 0] == 1 and np.all(np.isfinite(extreme))


def test_softmax_jacobian_matches_sympy_and_vjp():
    z = np.array([[0.3, -1.2, 2.0], [1.0, 1.0, 1.0]])
    xs = sp.symbols("x0:3", real=True)
    exprs = ns.softmax.expr(xs)
    jac_expr = sp.Matrix(exprs).jacobian(xs)
    compiled = sp.lambdify(xs, jac_expr, "numpy")
    expected = np.stack([np.array(compiled(*row), dtype=float) for row in z])
    np.testing.assert_allclose(ns.softmax.jacobian(z), expected, rtol=1e-13, atol=1e-15)
    upstream = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, 1.0]])
    vjp = ns.softmax.vjp(z, upstream)
    np.testing.assert_allclose(vjp, np.einsum("bi,bij->bj", upstream, expected), rtol=1e-13, atol=1e-15)


def test_softmax_is_not_elementwise():
    with pytest.raises(ns.ArgumentError, match="not elementwise"):
        ns.softmax.grad(np.zeros(3))


def test_unknown_name_lists_valid_ones():
    with pytest.raises(ns.ArgumentError, match=r"unknown activation 'swish'.*gelu.*tanh"):
        ns.activation("swish")


def test_integer_and_object_arrays_are_refused():
    with pytest.raises(ns.ArgumentError, match="z has dtype int64; expected a floating dtype"):
        ns.tanh(np.arange(3))
    with pytest.raises(ns.ArgumentError, match="z has dtype object"):
        ns.tanh(np.array(["a"], dtype=object))


def test_python_numbers_become_float64():
    assert ns.relu(3).dtype == np.float64


def test_kinked_activations_refuse_complex_input():
    with pytest.raises(ns.ArgumentError, match="relu is not complex-analytic"):
        ns.relu(np.array([1 + 1e-20j]))


@pytest.mark.parametrize("f", [ns.sigmoid, ns.tanh, ns.softplus, ns.identity, ns.elu], ids=lambda f: f.name)
def test_complex_step_gives_derivative(f):
    points = np.array([-3.0, -0.5, 0.7, 4.0])
    h = 1e-20
    complex_step = np.imag(f(points + 1j * h)) / h
    np.testing.assert_allclose(complex_step, f.grad(points), rtol=1e-14)


def test_expr_refuses_text():
    with pytest.raises(ns.ArgumentError, match="SymPy expression"):
        ns.tanh.expr("x")
