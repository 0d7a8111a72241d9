import math
import subprocess
import sys
import textwrap
import warnings
from fractions import Fraction
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy as sp

import nnspec as ns
from nnspec.expressions import sympy_activations as symbolic_activations
from tests.reference import central_difference, high_precision, relative_error

PARAMETERIZED = [ns.LeakyReLU(0.2), ns.LeakyReLU(-0.5), ns.ELU(0.5), ns.ELU(2.0)]
ELEMENTWISE = [f for f in ns.ACTIVATIONS.values() if f.elementwise] + PARAMETERIZED
GRID = np.concatenate([np.linspace(-20, 20, 81), [-1e-8, 1e-8, 0.1, -0.1]])
EXTREMES = [-1e4, -1e3, -100.0, -30.0, -1e-8, 0.0, 1e-8, 30.0, 100.0, 1e3, 1e4]
x = sp.Symbol("x", real=True)


def test_every_name_in_the_design_is_exported():
    for name in ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "gelu", "softmax"]:
        assert ns.activation(name) is getattr(ns, name)


@pytest.mark.parametrize("f", ELEMENTWISE, ids=repr)
def test_value_matches_sympy_definition(f):
    reference = high_precision(f.expr(x), x, GRID)
    # a few units of float64 rounding (1.1e-16) for every activation, GELU's tail included
    assert np.max(relative_error(f(GRID), reference, floor=1e-30)) <= 2e-15


@pytest.mark.parametrize("f", ELEMENTWISE, ids=repr)
def test_grad_matches_sympy_derivative(f):
    """The derivative SymPy takes of .expr equals .grad; at kinks the Piecewise encodes the convention."""
    reference = high_precision(sp.diff(f.expr(x), x), x, GRID)
    assert np.max(relative_error(f.grad(GRID), reference, floor=1e-30)) <= 2e-15


@pytest.mark.parametrize("f", ELEMENTWISE, ids=repr)
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
@pytest.mark.parametrize("f", ELEMENTWISE, ids=repr)
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
    with pytest.raises(ns.ArgumentError, match="not elementwise"):
        ns.softmax.value_and_grad_into(np.zeros(3), np.empty(3), np.empty(3))
    out = np.empty((2, 3))
    assert ns.softmax.value_into(np.zeros((2, 3)), out) is out and np.allclose(out, 1 / 3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("f", ELEMENTWISE, ids=repr)
def test_fast_paths_match_value_and_grad(f, dtype):
    z = np.concatenate([GRID, EXTREMES]).astype(dtype)
    out = np.full_like(z, np.nan)
    assert f.value_into(z, out) is out
    np.testing.assert_array_equal(out, f(z))
    value, grad = np.full_like(z, np.nan), np.full_like(z, np.nan)
    assert f.value_and_grad_into(z, value, grad) is value
    np.testing.assert_array_equal(value, f(z))
    np.testing.assert_array_equal(grad, f.grad(z))
    alias, grad_alias = z.copy(), np.full_like(z, np.nan)  # out may be z itself
    f.value_and_grad_into(alias, alias, grad_alias)
    np.testing.assert_array_equal(alias, f(z))
    np.testing.assert_array_equal(grad_alias, f.grad(z))


def test_fused_activations_are_the_ones_with_a_one_pass_derivative():
    assert {f.name for f in ELEMENTWISE if f.fused} == {"relu", "gelu"}


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


# --- the SymPy side loads without numpy, the numeric side without SymPy ---------------------

PACKAGE = Path(ns.__file__).parent


def _run_with_stub_package(body: str) -> subprocess.CompletedProcess:
    """Run ``body`` in a fresh interpreter where ``nnspec`` is an empty package over the
    sources (its ``__init__`` is not run), so one module's own imports are what is measured."""
    prelude = f"""
        import sys, types
        package = types.ModuleType("nnspec")
        package.__path__ = [{str(PACKAGE)!r}]
        sys.modules["nnspec"] = package
    """
    code = textwrap.dedent(prelude) + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_sympy_definitions_import_without_numpy():
    result = _run_with_stub_package("""
        sys.modules["numpy"] = None  # any attempt to import numpy raises ImportError
        import sympy as sp
        from nnspec.expressions import sympy_activations as s
        x = sp.Symbol("x", real=True)
        assert s.relu(-2) == 0 and s.leaky_relu(-2) == sp.Rational(-1, 50)
        assert s.expression("elu", x, alpha=0.5).subs(x, 0) == 0
        print(sorted(n for n, m in sys.modules.items() if n.startswith("numpy") and m is not None))
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_numeric_activations_import_sympy_and_scipy_only_when_used():
    result = _run_with_stub_package("""
        import numpy as np
        from nnspec import activations
        assert activations.relu(np.array([-1.0, 2.0])).tolist() == [0.0, 2.0]
        print("sympy" in sys.modules, "scipy" in sys.modules)
        activations.relu.expr()
        activations.gelu(1.0)
        print("sympy" in sys.modules, "scipy" in sys.modules)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False", "True", "True"]


# --- parameters: one attribute gives the value, .grad, .expr and the SymPy function ----------


def test_parameterized_activations_use_their_parameter_everywhere():
    leaky, soft = ns.LeakyReLU(slope=0.2), ns.ELU(alpha=0.5)
    assert leaky.slope == 0.2 and soft.alpha == 0.5
    assert leaky(-5.0) == -1.0 and leaky.grad(-5.0) == 0.2 and leaky.grad(0.0) == 0.2
    assert soft(-np.inf) == -0.5 and soft.grad(0.0) == 0.5
    assert leaky.expr(x).subs(x, -5) == -1 and sp.diff(leaky.expr(x), x).subs(x, 0) == sp.Rational(1, 5)
    assert sp.simplify(soft.expr(x).subs(x, -1) - (sp.exp(-1) - 1) / 2) == 0
    assert not soft.smooth and ns.elu.smooth


def test_defaults_are_the_module_level_activations():
    assert ns.LeakyReLU() == ns.leaky_relu and ns.ELU() == ns.elu
    assert ns.leaky_relu.slope == 0.01 and ns.elu.alpha == 1.0
    assert ns.LeakyReLU(0.2) != ns.leaky_relu and ns.ELU(0.5) != ns.ELU(0.25)
    assert len({ns.LeakyReLU(0.2), ns.LeakyReLU(0.2), ns.leaky_relu}) == 2
    assert repr(ns.LeakyReLU(0.2)) == "nnspec.LeakyReLU(slope=0.2)" and repr(ns.ELU()) == "nnspec.elu"
    assert repr(ns.ELU(alpha=0.5)) == "nnspec.ELU(alpha=0.5)"
    # the SymPy default is the exact decimal of the numeric one: 1/100, not 0.01's binary value
    assert symbolic_activations.leaky_relu.slope == sp.Rational(1, 100)
    assert symbolic_activations.elu.alpha == 1


def test_parameters_are_read_only():
    with pytest.raises(AttributeError):
        ns.leaky_relu.slope = 0.2
    assert ns.leaky_relu.slope == 0.01


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: ns.LeakyReLU(math.nan), "slope must be finite, got nan"),
        (lambda: ns.LeakyReLU(math.inf), "slope must be finite"),
        (lambda: ns.LeakyReLU("0.2"), "slope must be a real number, got str"),
        (lambda: ns.LeakyReLU(True), "slope must be a real number, got bool"),
        (lambda: ns.ELU(0), "alpha must be > 0, got 0.0"),
        (lambda: ns.ELU(-1.0), "alpha must be > 0"),
        (lambda: ns.ELU(math.inf), "alpha must be finite"),
        (lambda: ns.ELU(1j), "alpha must be a real number, got complex"),
        (lambda: symbolic_activations.elu.with_parameters(alpha=-1), "alpha must be > 0"),
        (lambda: symbolic_activations.elu.with_parameters(slope=1), r"elu has parameters \['alpha'\]"),
    ],
)
def test_bad_parameters_are_refused(make, message):
    with pytest.raises(ns.ArgumentError, match=message):
        make()


def test_parameter_types_that_are_numbers_are_accepted():
    assert ns.LeakyReLU(np.float32(0.25)).slope == 0.25
    assert ns.LeakyReLU(Fraction(1, 4)).slope == 0.25 and ns.ELU(2).alpha == 2.0


def test_parameterized_activations_keep_float32():
    z = np.array([-3.0, 0.5], dtype=np.float32)
    for f in (ns.LeakyReLU(0.2), ns.ELU(0.5)):
        assert f(z).dtype == f.grad(z).dtype == np.float32


# --- the named SymPy functions: derivative rule == derivative of the definition --------------

NAMED = [
    *symbolic_activations.NETWORK_FUNCTIONS.values(),
    symbolic_activations.leaky_relu.with_parameters(slope=0.2),
    symbolic_activations.leaky_relu.with_parameters(slope=-3),
    symbolic_activations.elu.with_parameters(alpha=0.5),
]
POINTS = [sp.Rational(-7, 2), -1, sp.Rational(-1, 3), 0, sp.Rational(1, 5), 2]


@pytest.mark.parametrize("function", NAMED, ids=lambda f: f"{f.__name__}{f.parameters()}")
def test_derivative_rule_equals_derivative_of_definition(function):
    rule = symbolic_activations.expand_activations(sp.diff(function(x), x))
    direct = sp.diff(function.define(x), x)
    # exact comparison at rational points, the kink at 0 included
    for point in POINTS:
        assert sp.simplify(rule.subs(x, point) - direct.subs(x, point)) == 0, point
    # and as functions, on each side of 0
    for side in (sp.Symbol("p", positive=True), -sp.Symbol("p", positive=True)):
        assert sp.simplify((rule - direct).subs(x, side)) == 0


def test_named_functions_keep_the_kink_conventions():
    relu, leaky, elu = (symbolic_activations.NETWORK_FUNCTIONS[n] for n in ("relu", "leaky_relu", "elu"))
    assert sp.diff(relu(x), x).subs(x, 0) == 0
    assert sp.diff(leaky(x), x).subs(x, 0) == sp.Rational(1, 100)
    steep = leaky.with_parameters(slope=0.2)
    assert sp.diff(steep(x), x).subs(x, 0) == sp.Rational(1, 5) and steep(-5) == -1
    assert sp.diff(elu.with_parameters(alpha=0.5)(x), x).subs(x, 0) == sp.Rational(1, 2)


def test_named_functions_evaluate_exactly_and_numerically():
    named = symbolic_activations.NETWORK_FUNCTIONS
    assert named["relu"](-2) == 0 and named["relu"](sp.Rational(3, 2)) == sp.Rational(3, 2)
    assert named["leaky_relu"](-2) == sp.Rational(-1, 50)
    unevaluated = named["gelu"](sp.sqrt(2))  # not a rational: stays gelu(sqrt(2)) until evalf
    assert unevaluated.has(named["gelu"])
    with mpmath.workdps(40):
        expected = mpmath.sqrt(2) * mpmath.ncdf(mpmath.sqrt(2))
        assert abs(mpmath.mpf(str(unevaluated.evalf(35))) - expected) < mpmath.mpf(10) ** -33
    assert named["leaky_relu"].with_parameters(slope=0.01) is named["leaky_relu"]
    assert named["leaky_relu"].with_parameters(slope=0.2) is named["leaky_relu"].with_parameters(slope=0.2)


def test_a_non_default_parameter_shows_in_the_printed_form():
    steep = symbolic_activations.leaky_relu.with_parameters(slope=0.2)
    assert str(steep(x)) == "leaky_relu(x, slope=1/5)"
    assert str(symbolic_activations.leaky_relu(x)) == "leaky_relu(x)"


@pytest.mark.parametrize(
    "f", [f for f in ELEMENTWISE if f.name in symbolic_activations.NETWORK_FUNCTIONS], ids=repr
)
def test_numeric_grad_matches_the_named_function_derivative(f):
    """``.grad`` against the SymPy function's own derivative rule, evaluated with mpmath."""
    named = symbolic_activations.NETWORK_FUNCTIONS[f.name]
    rule = symbolic_activations.expand_activations(sp.diff(named.with_parameters(**f.parameters)(x), x))
    reference = high_precision(rule, x, GRID)
    assert np.max(relative_error(f.grad(GRID), reference, floor=1e-30)) <= 2e-15


# --- GELU and the error functions: exact to rounding in both tails ---------------------------

TAILS = np.concatenate(
    [np.linspace(-40, 40, 16001), [-1e-300, 1e-300, 0.0, -5e-324, 5e-324, -1e10, 1e10, 1e300, -1e300]]
)


def _mp(function, points, far=None):
    """``function`` at each point with mpmath at 40 digits; beyond |z| = 100, where the normal
    tail is below 1e-2000 (mpmath's erfc overflows at 1e300), ``far(z)``."""
    with mpmath.workdps(40):
        return np.array(
            [float(far(p) if far and abs(p) > 100 else function(mpmath.mpf(float(p)))) for p in points]
        )


def test_gelu_value_is_exact_to_rounding_everywhere():
    reference = _mp(lambda v: v * mpmath.ncdf(v), TAILS, far=lambda v: max(v, 0.0))
    # float64 rounding is 1.1e-16; the old erfc(-z/sqrt 2) form was 1.2e-13 off at z = -30
    assert np.max(relative_error(ns.gelu(TAILS), reference, floor=1e-300)) <= 2e-15
    assert ns.gelu(-30.0) == pytest.approx(float(_mp(lambda v: v * mpmath.ncdf(v), [-30.0])[0]), rel=2e-16)


def test_gelu_derivative_is_exact_to_rounding_of_its_two_terms():
    # f' = Phi(z) + z phi(z) crosses 0 near z = -0.75, where any float64 evaluation of the sum
    # cancels; the error is measured against the size of its terms, |Phi| + |z phi|.
    reference = _mp(lambda v: mpmath.ncdf(v) + v * mpmath.npdf(v), TAILS, far=lambda v: float(v > 0))
    scale = _mp(lambda v: mpmath.ncdf(v) + abs(v) * mpmath.npdf(v), TAILS, far=lambda v: float(v > 0))
    error = np.abs(ns.gelu.grad(TAILS) - reference)
    assert np.all(error <= 4e-15 * scale + 1e-300)
    away = np.abs(TAILS + 0.75) > 0.1
    assert np.max(relative_error(ns.gelu.grad(TAILS[away]), reference[away], floor=1e-300)) <= 4e-15


def test_public_erf_and_erfc_are_exact_to_rounding():
    points = np.concatenate(
        [np.linspace(-6, 27, 3301), np.geomspace(1e-300, 1, 61), -np.geomspace(1e-300, 1, 61)]
    )
    erf, erfc = ns.activations.erf, ns.activations.erfc
    assert np.max(relative_error(erf(points), _mp(mpmath.erf, points), floor=1e-300)) <= 4e-16
    assert np.max(relative_error(erfc(points), _mp(mpmath.erfc, points), floor=1e-300)) <= 1e-15


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_error_functions_are_silent_keep_dtype_and_take_the_limits(dtype):
    z = np.array([-np.inf, -1e30, -30.0, 0.0, 30.0, 1e30, np.inf, np.nan], dtype=dtype)
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        erf, erfc = ns.activations.erf(z), ns.activations.erfc(z)
    assert erf.dtype == erfc.dtype == dtype
    assert erf[:7].tolist() == [-1, -1, -1, 0, 1, 1, 1] and np.isnan(erf[7])
    assert erfc[:7].tolist() == [2, 2, 2, 1, 0, 0, 0] and np.isnan(erfc[7])  # erfc(30) < 1e-392


def test_gelu_takes_its_limits_at_infinity():
    z = np.array([-np.inf, np.inf, np.nan])
    with np.errstate(all="raise"):
        value, grad = ns.gelu(z), ns.gelu.grad(z)
    assert value[:2].tolist() == [0, np.inf] and grad[:2].tolist() == [0, 1]
    assert np.isnan(value[2]) and np.isnan(grad[2])


def test_gelu_is_the_same_on_strided_arrays_and_inside_a_network():
    rng = np.random.default_rng(3)
    z = rng.normal(size=(7, 9000)) * 10  # more elements than one chunk of the implementation
    strided = z[:, ::2]
    np.testing.assert_allclose(ns.gelu(strided), ns.gelu(strided.copy()), rtol=1e-15, atol=0)
    np.testing.assert_allclose(ns.gelu.grad(strided), ns.gelu.grad(strided.copy()), rtol=1e-15, atol=0)
    model = ns.MLP((3, 5000, 2), activation="gelu", seed=0)  # a (2, 5000) hidden layer
    X = rng.normal(size=(2, 3)) * 5
    (W1, b1), (W2, b2) = model.parameters()
    np.testing.assert_allclose(model.forward(X), ns.gelu(X @ W1 + b1) @ W2 + b2, rtol=1e-12, atol=1e-14)
    dY = rng.normal(size=(2, 2))
    (dW1, _), _ = model.backward(dY)
    expected = X.T @ ((dY @ W2.T) * ns.gelu.grad(X @ W1 + b1))
    np.testing.assert_allclose(dW1, expected, rtol=1e-12, atol=1e-14)
