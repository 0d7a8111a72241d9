import math

import numpy as np
import pytest

import nnspec as ns
from nnspec import gradcheck
from nnspec.network import Dense

POINT = np.array([0.3, -0.7, 0.5])


def smooth(x):
    return np.sum(np.exp(np.sin(x)))


def smooth_derivative(x):
    return np.cos(x) * np.exp(np.sin(x))


def _slope(method, steps):
    exact = smooth_derivative(POINT)
    errors = [
        np.max(ns.relative_error(ns.numerical_gradient(smooth, POINT, method, h), exact)) for h in steps
    ]
    return np.polyfit(np.log(steps), np.log(errors), 1)[0]


def test_central_differences_converge_at_second_order():
    # h from 1e-1 to 1e-3: truncation error (~h^2) is far above round-off (~eps / h ~ 1e-13).
    assert _slope("central", np.logspace(-1, -3, 9)) == pytest.approx(2, abs=0.3)


def test_richardson_converges_at_fourth_order():
    # h from 0.3 to 0.03: truncation error ~h^4 stays above 1e-9, round-off is ~1e-14.
    assert _slope("richardson", np.logspace(-0.5, -1.5, 9)) == pytest.approx(4, abs=0.5)


@pytest.mark.parametrize(("method", "bound"), [("central", 1e-9), ("richardson", 1e-11), ("complex", 1e-15)])
def test_default_steps_are_accurate(method, bound):
    numeric = ns.numerical_gradient(smooth, POINT, method)
    assert numeric.shape == POINT.shape and numeric.dtype == np.float64
    assert np.max(ns.relative_error(numeric, smooth_derivative(POINT))) <= bound


def test_gradient_has_the_shape_of_x():
    x = np.arange(1.0, 7.0).reshape(2, 3) / 10
    numeric = ns.numerical_gradient(lambda v: np.sum(v**3), x, "complex")
    np.testing.assert_allclose(numeric, 3 * x**2, rtol=1e-15, atol=0)


def test_relative_error_definition():
    tiny = np.finfo(float).tiny
    assert float(ns.relative_error(3.0, 2.0)) == pytest.approx(1 / 3, rel=1e-15)
    np.testing.assert_array_equal(
        ns.relative_error([0.0, 0.0, 1.0, -2.0], [0.0, 5.0, -1.0, -2.0]), [0, 1, 2, 0]
    )
    assert float(ns.relative_error(0.0, tiny / 2)) == 0.5  # the floor tiny guards the division
    assert float(ns.relative_error(1e-9, 2e-9, floor=1e-3)) == pytest.approx(1e-6, rel=1e-12)


@pytest.mark.parametrize(
    ("f", "cause"),
    [
        (lambda x: float(np.sum(np.real(x) ** 2)), "returned a real"),
        (lambda x: np.sum(np.real(x) ** 2) + 0j, "exactly 0"),
        (lambda x: np.sum(x.astype(np.float64) ** 2), "discarded the imaginary part"),
        (lambda x: math.exp(complex(x[0])), "TypeError"),
        (lambda x: math.exp(x[0]), "discarded the imaginary part"),
        (lambda x: np.sum(np.abs(x) ** 2) + 0j * x[0], "exactly 0"),
    ],
    ids=["returns-float", "real-part", "cast", "math-complex", "math-numpy-scalar", "abs"],
)
def test_complex_unsafe_function_is_refused(f, cause):
    with pytest.raises(ns.ArgumentError, match=cause) as info:
        ns.numerical_gradient(f, POINT, "complex")
    assert "method='central'" in str(info.value)


def test_complex_step_of_a_0d_point_with_zero_derivative():
    # np.nonzero refuses 0-d arrays; the zero-derivative check must still work for a scalar x.
    assert ns.numerical_gradient(lambda x: x**2, np.array(0.0), "complex") == 0.0
    with pytest.raises(ns.ArgumentError, match=r"exactly 0 at index \(\)"):
        ns.numerical_gradient(lambda x: np.real(x) ** 2 + 0j, np.array(1.0), "complex")


def test_dropped_imaginary_part_names_the_index_plainly():
    with pytest.raises(ns.ArgumentError) as info:
        ns.numerical_gradient(lambda x: np.sum(np.real(x) ** 2) + 0j, np.ones((2, 2)), "complex")
    assert "at index (0, 0) " in str(info.value) and "np.int64" not in str(info.value)


def test_zero_derivative_is_not_mistaken_for_a_dropped_imaginary_part():
    # d/dx x^2 = 0 at 0: the complex step gives Im((ih)^2) = 0 and that is right.
    numeric = ns.numerical_gradient(lambda x: np.sum(x**2), np.array([0.0, 1.0]), "complex")
    np.testing.assert_array_equal(numeric, [0.0, 2.0])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "forward"}, "method must be one of"),
        ({"h": -1e-5}, "h must be a finite number > 0"),
        ({"x": np.array([1.0, np.nan])}, "x must be finite"),
        ({"x": np.ones(2, dtype=np.float32)}, "x is float32"),
        ({"f": lambda x: x}, "f must return a real scalar"),
        ({"f": lambda x: np.log(x[0] - 10)}, "f returned nan"),
        ({"f": "sin"}, "f must be callable"),
    ],
)
def test_numerical_gradient_argument_errors(kwargs, message):
    arguments = {"f": smooth, "x": np.array([0.5, 0.25]), **kwargs}
    with np.errstate(invalid="ignore"), pytest.raises(ns.ArgumentError, match=message):
        ns.numerical_gradient(**arguments)


RNG = np.random.default_rng(7)
X = RNG.normal(size=(5, 3))
Y_REAL = RNG.normal(size=(5, 2))
Y_BINARY = RNG.integers(0, 2, size=(5, 2)).astype(float)
Y_ONEHOT = np.eye(2)[RNG.integers(0, 2, size=5)]
NETWORKS = [
    ("identity", "mse", False, Y_REAL),
    ("sigmoid", "bce", False, Y_BINARY),
    ("identity", "bce", True, Y_BINARY),
    ("softmax", "cce", False, Y_ONEHOT),
    ("identity", "cce", True, Y_ONEHOT),
]
NETWORK_IDS = ["mse", "bce", "bce-logits", "cce-softmax", "cce-logits"]


@pytest.mark.parametrize("hidden", ["tanh", "sigmoid"])
@pytest.mark.parametrize(("output", "loss", "from_logits", "Y"), NETWORKS, ids=NETWORK_IDS)
def test_complex_step_matches_backprop_to_round_off(hidden, output, loss, from_logits, Y):
    model = ns.MLP((3, 4, 2), activation=hidden, output=output, seed=3)
    with np.errstate(all="raise"):
        report = ns.check_gradients(model, X, Y, loss, "complex", from_logits=from_logits)
    assert report.method == "complex" and report.passed
    assert report.worst.relative_error <= 1e-13
    assert [e.name for e in report.entries] == ["layers[0].W", "layers[0].b", "layers[1].W", "layers[1].b"]


@pytest.mark.parametrize(("method", "tolerance"), [("central", 1e-6), ("richardson", 1e-6)])
@pytest.mark.parametrize("hidden", ["tanh", "sigmoid", "softplus", "gelu"])
def test_finite_differences_pass_with_default_tolerances(hidden, method, tolerance):
    model = ns.MLP((3, 4, 3, 2), activation=hidden, output="sigmoid", seed=1)
    report = ns.check_gradients(model, X, Y_BINARY, "bce", method)
    assert report.passed and all(e.tolerance == tolerance for e in report.entries)


def test_kinked_network_gets_the_looser_tolerance_and_refuses_the_complex_step():
    model = ns.MLP((3, 4, 2), activation="relu", seed=0)
    report = ns.check_gradients(model, X, Y_REAL, "mse")
    assert report.passed and report.worst.tolerance == 1e-4
    with pytest.raises(ns.ArgumentError, match="layer 0 uses relu, which is not complex-analytic"):
        ns.check_gradients(model, X, Y_REAL, "mse", method="complex")
    with pytest.raises(ns.ArgumentError, match="gelu, which is not complex-analytic"):
        ns.check_gradients(ns.MLP((3, 4, 2), activation="gelu"), X, Y_REAL, "mse", method="complex")


def test_check_leaves_the_model_unchanged():
    model = ns.MLP((3, 4, 2), seed=2)
    before = [(W.copy(), b.copy()) for W, b in model.parameters()]
    ns.check_gradients(model, X, Y_REAL, "mse", "complex")
    ns.check_gradients(model, X, Y_REAL, "mse", "central")
    for (W, b), (W0, b0) in zip(model.parameters(), before):
        np.testing.assert_array_equal(W, W0)
        np.testing.assert_array_equal(b, b0)
        assert W.dtype == np.float64


def _plant(monkeypatch, layer, which, factor=1.001):
    """Make backward of the marked layer return a gradient off by 0.1%."""
    original = Dense.backward

    def backward(self, dA, *, input_gradient=True):
        result = original(self, dA, input_gradient=input_gradient)
        if getattr(self, "planted", False):
            setattr(self, which, getattr(self, which) * factor)
        return result

    monkeypatch.setattr(Dense, "backward", backward)
    layer.planted = True


@pytest.mark.parametrize("method", ["central", "richardson", "complex"])
@pytest.mark.parametrize(("index", "which"), [(0, "dW"), (1, "db"), (2, "dW")])
def test_planted_error_is_reported_with_its_layer(monkeypatch, method, index, which):
    model = ns.MLP((3, 4, 3, 2), activation="tanh", seed=4)
    _plant(monkeypatch, model.layers[index], which)
    report = ns.check_gradients(model, X, Y_REAL, "mse", method)
    name = f"layers[{index}].{which[1]}"
    assert not report.passed
    assert [e.name for e in report.entries if not e.passed] == [name]
    assert report.worst.name == name
    assert report.worst.relative_error == pytest.approx(1e-3, rel=1e-2)
    assert report.status == "failed" and report.worst.status == "failed"
    assert f"{name}" in str(report) and "FAILED" in str(report)


def test_raise_exception_names_parameter_index_values_and_tolerance(monkeypatch):
    model = ns.MLP((3, 4, 2), activation="sigmoid", seed=5)
    _plant(monkeypatch, model.layers[1], "dW")
    with pytest.raises(ns.GradientMismatch) as info:
        ns.check_gradients(model, X, Y_REAL, "mse", "complex", raise_exception=True)
    error = info.value
    assert error.parameter == "layers[1].W" and error.tolerance == 1e-6
    assert len(error.index) == 2 and all(0 <= i < n for i, n in zip(error.index, (4, 2)))
    assert error.analytic == pytest.approx(1.001 * error.numeric, rel=1e-9)
    assert error.relative_error == pytest.approx(1e-3, rel=1e-2)
    assert "layers[1].W" in str(error) and str(error.index) in str(error)


@pytest.mark.parametrize("cast", ["model", "X"])
def test_float32_is_refused_with_the_reason(cast):
    model = ns.MLP((3, 4, 2), dtype=np.float32 if cast == "model" else np.float64)
    data = X.astype(np.float32) if cast == "X" else X
    with pytest.raises(ns.ArgumentError, match="float32") as info:
        ns.check_gradients(model, data, Y_REAL, "mse")
    message = str(info.value)
    assert "eps**(1/3)" in message and "eps**(2/3)" in message
    assert "model.copy(dtype=np.float64)" in message and "X.astype(np.float64)" in message


def test_complex_step_of_probability_losses_keeps_the_imaginary_part():
    # The clipping of probabilities must not drop Im p where it is inactive.
    p_binary = np.array([[0.9, 0.2], [0.4, 0.6]])
    y_binary = np.array([[1.0, 0.0], [0.0, 1.0]])
    # 1 - 1e-12 is the upper clip bound, inside the clip (np.clip, ordering complex numbers
    # lexicographically, would clip 1 - 1e-12 + ih to 1 - 1e-12 and lose Im there).
    for y, p in ((y_binary, p_binary), (np.array([[0.0, 1.0]]), np.array([[1 - 1e-12, 0.5]]))):
        numeric = ns.numerical_gradient(lambda q, y=y: ns.binary_crossentropy(y, q), p, "complex")
        np.testing.assert_allclose(numeric, ns.binary_crossentropy.grad(y, p), rtol=1e-12)
    p_rows = ns.softmax(RNG.normal(size=(3, 4)))
    y_rows = ns.softmax(RNG.normal(size=(3, 4)))  # soft labels: no derivative is exactly 0
    numeric = ns.numerical_gradient(lambda q: ns.categorical_crossentropy(y_rows, q), p_rows, "complex")
    np.testing.assert_allclose(numeric, ns.categorical_crossentropy.grad(y_rows, p_rows), rtol=1e-14)


def test_report_types_and_compare_gradients():
    grads = [(np.array([[1.0, 2.0]]), np.array([3.0]))]
    reference = [(np.array([[1.0, 2.0 * (1 + 1e-5)]]), np.array([np.nan]))]
    report = ns.gradcheck.compare_gradients(grads, reference, method="central", tolerance=1e-6)
    assert isinstance(report, ns.GradientReport) and isinstance(report.worst, ns.ParameterCheck)
    first, second = report.entries
    assert first.index == (0, 1) and first.analytic == 2.0 and not first.passed
    assert second.name == "layers[0].b" and np.isnan(second.relative_error) and not second.passed
    assert report.worst is second  # NaN counts as the worst
    with pytest.raises(ns.GradientMismatch, match=r"layers\[0\]\.b"):
        report.raise_if_failed()
    with pytest.raises(ns.ShapeError, match="shape"):
        gradcheck.compare_gradients(grads, [(np.ones((2, 1)), np.ones(1))], method="x", tolerance=1e-6)
    passing = gradcheck.compare_gradients(grads, grads, method="layerwise", tolerance=1e-12)
    assert passing.passed and passing.worst.relative_error == 0
    passing.raise_if_failed()


def test_numerical_gradient_has_a_public_home():
    from nnspec import differences

    assert ns.numerical_gradient is differences.numerical_gradient is gradcheck.numerical_gradient
    assert not differences.__name__.split(".")[-1].startswith("_")


@pytest.mark.parametrize("method", ["central", "richardson", "complex"])
def test_directional_derivative_is_the_gradient_projected(method):
    x = np.array([[0.3, -0.7], [0.5, 1.2]])
    direction = np.array([[1.0, -2.0], [0.5, 3.0]])
    exact = np.sum(smooth_derivative(x) * direction)
    numeric = ns.gradcheck.directional_derivative(smooth, x, direction, method)
    assert isinstance(numeric, float)
    assert numeric == pytest.approx(
        exact, rel={"central": 1e-9, "richardson": 1e-11, "complex": 1e-15}[method]
    )


def test_directional_derivative_costs_two_evaluations_whatever_the_size():
    calls = []

    def f(v):
        calls.append(1)
        return np.sum(v**2)

    x = np.linspace(-1, 1, 1000)
    ns.gradcheck.directional_derivative(f, x, np.ones_like(x))
    assert len(calls) == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"direction": np.ones(3)}, "direction must have the shape of x"),
        ({"direction": np.ones(2, dtype=np.float32)}, "direction is float32"),
        ({"direction": np.array([1.0, np.inf])}, "direction must be finite"),
        ({"method": "forward"}, "method must be one of"),
        ({"f": None}, "f must be callable"),
    ],
)
def test_directional_derivative_argument_errors(kwargs, message):
    arguments = {"f": smooth, "x": np.array([0.5, 0.25]), "direction": np.ones(2), **kwargs}
    with pytest.raises(ns.ArgumentError, match=message):
        ns.gradcheck.directional_derivative(**arguments)


@pytest.mark.parametrize("method", ["central", "richardson", "complex"])
def test_random_directions_pass_on_a_correct_network(method):
    model = ns.MLP((3, 4, 2), activation="tanh", output="softmax", seed=3)
    report = ns.check_gradients(model, X, Y_ONEHOT, "cce", method, directions=5)
    assert report.passed and report.method == method
    assert [e.name for e in report.entries] == [f"direction[{j}]" for j in range(5)]
    assert all(e.index == () for e in report.entries)
    assert report.worst.relative_error <= report.worst.tolerance / 10


@pytest.mark.parametrize("method", ["central", "richardson", "complex"])
@pytest.mark.parametrize(("index", "which"), [(0, "dW"), (1, "db")])
def test_random_directions_catch_a_planted_error(monkeypatch, method, index, which):
    model = ns.MLP((3, 4, 2), activation="sigmoid", seed=5)
    _plant(monkeypatch, model.layers[index], which, factor=1.01)
    report = ns.check_gradients(model, X, Y_REAL, "mse", method, directions=4)
    assert not report.passed
    with pytest.raises(ns.GradientMismatch, match=r"direction\["):
        ns.check_gradients(model, X, Y_REAL, "mse", method, directions=4, raise_exception=True)


def test_random_directions_are_seeded_and_leave_the_model_unchanged():
    model = ns.MLP((3, 4, 2), seed=2)
    before = [(W.copy(), b.copy()) for W, b in model.parameters()]
    first = ns.check_gradients(model, X, Y_REAL, "mse", directions=3, seed=7)
    again = ns.check_gradients(model, X, Y_REAL, "mse", directions=3, seed=7)
    other = ns.check_gradients(model, X, Y_REAL, "mse", directions=3, seed=8)
    assert first == again
    assert [e.analytic for e in first.entries] != [e.analytic for e in other.entries]
    for (W, b), (W0, b0) in zip(model.parameters(), before):
        np.testing.assert_array_equal(W, W0)
        np.testing.assert_array_equal(b, b0)
    with pytest.raises(ns.ArgumentError, match="directions must be a positive integer"):
        ns.check_gradients(model, X, Y_REAL, "mse", directions=0)


def test_float16_model_is_refused_once_with_its_dtype(monkeypatch):
    model = ns.MLP((3, 4, 2), seed=2)
    monkeypatch.setattr(ns.MLP, "dtype", property(lambda self: np.dtype(np.float16)))
    with pytest.raises(ns.ArgumentError, match="the model must be float64, got float16"):
        ns.check_gradients(model, X, Y_REAL, "mse")


def test_complex_step_evaluates_f_once_per_entry_unless_a_derivative_is_zero():
    calls = []

    def f(v):
        calls.append(1)
        return np.sum(v**2)

    ns.numerical_gradient(f, np.array([0.5, -1.0, 2.0]), "complex")
    assert len(calls) == 3
    calls.clear()
    ns.numerical_gradient(f, np.array([0.0, 1.0]), "complex")  # Im (ih)^2 = 0: look closer at 0
    assert len(calls) > 2
