import numpy as np
import pytest
import sympy as sp

import nnspec as ns
from nnspec import _symbolic_network as _symbolic_parts
from nnspec import symbolic
from nnspec.activations import Activation
from nnspec.losses import MeanSquaredError
from nnspec.network import Dense

HIDDEN = ["tanh", "sigmoid", "softplus", "elu", "gelu", "identity"]
# (output activation, loss, from_logits): the sensible pairs
HEADS = [
    ("identity", "mse", False),
    ("sigmoid", "mse", False),
    ("sigmoid", "bce", False),
    ("identity", "bce", True),
    ("softmax", "cce", False),
    ("identity", "cce", True),
]
HEAD_IDS = ["mse", "sigmoid-mse", "bce", "bce-logits", "softmax-cce", "cce-logits"]


def _data(sizes, loss, batch, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(batch, sizes[0]))
    k = sizes[-1]
    if loss == "mse":
        Y = rng.normal(size=(batch, k))
    elif loss == "bce":
        Y = rng.integers(0, 2, size=(batch, k)).astype(float)
    else:
        Y = np.eye(k)[rng.integers(0, k, size=batch)]
    return X, Y


def _floor(grads, tolerance=1e-12):
    largest = max(float(np.max(np.abs(g))) for pair in grads for g in pair)
    return 10 * np.finfo(float).eps * largest / tolerance


def _agree(first, second, tolerance=1e-12):
    report = ns.gradcheck.compare_gradients(
        first, second, method="layerwise", tolerance=tolerance, floor=_floor(first, tolerance)
    )
    assert report.passed, str(report)


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize(("output", "loss", "from_logits"), HEADS, ids=HEAD_IDS)
def test_layerwise_matches_backprop_for_every_activation_and_head(hidden, output, loss, from_logits):
    sizes = (2, 3, 2)
    X, Y = _data(sizes, loss, batch=3, seed=len(hidden) + len(output))
    model = ns.MLP(sizes, activation=hidden, output=output, seed=1)
    with np.errstate(all="raise"):
        (report,) = symbolic.check_backprop(
            model, X, Y, loss, from_logits=from_logits, methods=["layerwise"]
        ).values()
    assert report.method == "layerwise" and report.passed, str(report)
    assert report.worst.relative_error <= 1e-12


# The whole-network expression takes SymPy 0.3-3 s to differentiate per structure: each hidden
# activation and each head once (their derivatives are what differs), not all 36 pairs.
@pytest.mark.parametrize(
    ("hidden", "output", "loss", "from_logits"),
    [(hidden, *head) for hidden, head in zip(HIDDEN, HEADS)],
    ids=[f"{head}-{hidden}" for hidden, head in zip(HIDDEN, HEAD_IDS)],
)
def test_both_methods_match_backprop(hidden, output, loss, from_logits):
    sizes = (2, 3, 2)
    X, Y = _data(sizes, loss, batch=3, seed=len(hidden) + len(output))
    model = ns.MLP(sizes, activation=hidden, output=output, seed=1)
    with np.errstate(all="raise"):
        reports = symbolic.check_backprop(model, X, Y, loss, from_logits=from_logits)
    assert list(reports) == ["layerwise", "expression"]
    for method, report in reports.items():
        assert report.method == method and report.passed, str(report)
        assert report.worst.relative_error <= 1e-12
    layerwise = symbolic.gradients(model, X, Y, loss, "layerwise", from_logits=from_logits)
    expression = symbolic.gradients(model, X, Y, loss, "expression", from_logits=from_logits)
    _agree(layerwise, expression)


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize(("output", "loss", "from_logits"), HEADS, ids=HEAD_IDS)
@pytest.mark.parametrize("sizes", [(3, 4, 2), (2, 3, 3, 2)])
def test_layerwise_matches_backprop_on_wider_and_deeper_networks(sizes, hidden, output, loss, from_logits):
    X, Y = _data(sizes, loss, batch=5, seed=len(sizes))
    model = ns.MLP(sizes, activation=hidden, output=output, seed=2)
    (report,) = symbolic.check_backprop(
        model, X, Y, loss, from_logits=from_logits, methods=["layerwise"]
    ).values()
    assert report.passed and report.worst.relative_error <= 1e-12, str(report)


@pytest.mark.parametrize(
    ("hidden", "loss", "from_logits"), [("tanh", "mse", False), ("sigmoid", "bce", True)]
)
def test_expression_matches_backprop_on_a_deeper_network(hidden, loss, from_logits):
    sizes = (2, 3, 3, 1)
    X, Y = _data(sizes, loss, batch=4, seed=3)
    model = ns.MLP(sizes, activation=hidden, seed=3)
    report = symbolic.check_backprop(model, X, Y, loss, from_logits=from_logits)["expression"]
    assert report.passed and report.worst.relative_error <= 1e-12, str(report)
    layerwise = symbolic.gradients(model, X, Y, loss, from_logits=from_logits)
    _agree(layerwise, symbolic.gradients(model, X, Y, loss, "expression", from_logits=from_logits))


@pytest.mark.parametrize("hidden", ["relu", "leaky_relu"])
def test_kinked_activations_follow_their_piecewise_definitions(hidden):
    X, Y = _data((2, 3, 2), "mse", batch=3, seed=4)
    model = ns.MLP((2, 3, 2), activation=hidden, seed=4)
    reports = symbolic.check_backprop(model, X, Y, "mse")
    assert all(report.passed for report in reports.values())


@pytest.mark.parametrize(
    ("hidden", "default"),
    [(ns.LeakyReLU(slope=0.2), ns.leaky_relu), (ns.ELU(alpha=0.5), ns.elu), (ns.ELU(alpha=3), ns.elu)],
    ids=repr,
)
def test_parameterized_activations_are_checked_with_their_parameters(hidden, default):
    sizes = (2, 4, 2)
    X, Y = _data(sizes, "mse", batch=4, seed=11)
    model = ns.MLP(sizes, activation=hidden, seed=11)
    assert (X @ model.layers[0].W + model.layers[0].b < 0).any()  # the parameter matters here
    reports = symbolic.check_backprop(model, X, Y, "mse")
    assert all(report.passed for report in reports.values()), reports
    # the symbolic side really read the parameter: the default gives other gradients
    with_default = ns.MLP(sizes, activation=default, seed=11)
    for method in symbolic.METHODS:
        ours = symbolic.gradients(model, X, Y, "mse", method)
        theirs = symbolic.gradients(with_default, X, Y, "mse", method)
        assert not np.allclose(ours[0][0], theirs[0][0], rtol=1e-6)


def test_equal_parameterized_activations_share_compiled_functions():
    symbolic.clear_cache()
    X, Y = _data((2, 3, 1), "mse", batch=3, seed=12)
    for slope in (0.2, 0.2, 0.3):
        symbolic.gradients(ns.MLP((2, 3, 1), activation=ns.LeakyReLU(slope)), X, Y, "mse")
    assert symbolic.cache_info()["layerwise"].misses == 2


def test_gradients_are_float64_arrays_shaped_like_the_parameters():
    model = ns.MLP((3, 4, 2), seed=0)
    X, Y = _data((3, 4, 2), "mse", batch=3, seed=0)
    for method in symbolic.METHODS:
        grads = symbolic.gradients(model, X, Y, "mse", method)
        assert [(dW.shape, db.shape) for dW, db in grads] == [((3, 4), (4,)), ((4, 2), (2,))]
        assert all(g.dtype == np.float64 for pair in grads for g in pair)


def test_compiled_functions_are_cached_per_structure():
    symbolic.clear_cache()
    model = ns.MLP((2, 3, 1), seed=0)
    X, Y = _data((2, 3, 1), "mse", batch=3, seed=5)
    for _ in range(2):
        symbolic.check_backprop(model, X, Y, "mse")
    info = symbolic.cache_info()
    assert (info["layerwise"].misses, info["layerwise"].hits) == (1, 1)
    assert (info["expression"].misses, info["expression"].hits) == (1, 1)
    # Another batch size: a new whole-loss expression, the same layer-wise plan.
    X4, Y4 = _data((2, 3, 1), "mse", batch=4, seed=6)
    symbolic.check_backprop(model, X4, Y4, "mse")
    info = symbolic.cache_info()
    assert (info["layerwise"].misses, info["layerwise"].hits) == (1, 2)
    assert (info["expression"].misses, info["expression"].hits) == (2, 1)
    # Other parameter values, same structure: nothing is derived again.
    symbolic.gradients(ns.MLP((2, 3, 1), seed=9), X, Y, "mse")
    assert symbolic.cache_info()["layerwise"].misses == 1


def test_layerwise_derivations_do_not_depend_on_the_widths():
    symbolic.clear_cache()
    for sizes in [(2, 3, 1), (5, 7, 6, 1)]:
        X, Y = _data(sizes, "mse", batch=3, seed=7)
        symbolic.gradients(ns.MLP(sizes, activation="sigmoid"), X, Y, "mse")
    # sigmoid and identity: each activation's f'(u) was derived once, for one scalar symbol
    assert _symbolic_parts.elementwise_parts.cache_info().misses == 2
    assert symbolic.cache_info()["layerwise"].misses == 2


@pytest.mark.parametrize(
    ("loss", "from_logits"), [("mse", False), ("bce", False), ("bce", True), ("cce", False), ("cce", True)]
)
def test_every_loss_is_the_batch_mean_of_its_rows(loss, from_logits):
    # The layer-wise method scales the one-row derivative by 1/batch; this is why.
    loss = ns.loss(loss)
    ys = sp.Matrix(3, 2, lambda b, j: sp.Symbol(f"y{b}{j}"))
    ps = sp.Matrix(3, 2, lambda b, j: sp.Symbol(f"p{b}{j}"))
    whole = loss.expr(ys, ps, from_logits=from_logits)
    rows = [loss.expr(ys[b, :], ps[b, :], from_logits=from_logits) for b in range(3)]
    assert sp.simplify(whole - sum(rows) / 3) == 0


class SummedSquares(MeanSquaredError):
    def _expr(self, rows_y, rows_p, from_logits):
        return sp.Add(*[(p - y) ** 2 for ry, rp in zip(rows_y, rows_p) for y, p in zip(ry, rp)])


def test_a_loss_that_is_not_a_batch_mean_is_refused_by_the_layerwise_method():
    X, Y = _data((2, 3, 1), "mse", batch=3, seed=8)
    with pytest.raises(ns.ArgumentError, match="batch mean"):
        symbolic.gradients(ns.MLP((2, 3, 1)), X, Y, SummedSquares(), "layerwise")


class Hostile(Activation):
    """An activation whose name is code; a variant whose expr smuggles in foreign names."""

    name = "__import__('os').system('exit 3')"

    def __init__(self, smuggle=None):
        self.smuggle = smuggle

    def _value(self, z):
        return np.tanh(z)

    def _grad(self, z):
        return 1 - np.tanh(z) ** 2

    def _expr(self, x):
        if self.smuggle == "function":
            return sp.Function("__import__('os').system")(x)
        if self.smuggle == "symbol":
            return sp.tanh(x) + sp.Symbol("os.system('exit 3')")
        return sp.tanh(x)


def test_user_text_never_reaches_lambdify():
    X, Y = _data((2, 3, 1), "mse", batch=3, seed=9)
    model = ns.MLP((2, 3, 1), activation=Hostile(), seed=0)
    assert all(report.passed for report in symbolic.check_backprop(model, X, Y, "mse").values())
    for smuggle in ("function", "symbol"):
        model = ns.MLP((2, 3, 1), activation=Hostile(smuggle), seed=0)
        for method in symbolic.METHODS:
            with pytest.raises(ns.ArgumentError, match="nnspec did not generate"):
                symbolic.gradients(model, X, Y, "mse", method)


def _plant(monkeypatch, layer, factor=1.001):
    original = Dense.backward

    def backward(self, dA, *, input_gradient=True):
        result = original(self, dA, input_gradient=input_gradient)
        if getattr(self, "planted", False):
            self.db = self.db * factor
        return result

    monkeypatch.setattr(Dense, "backward", backward)
    layer.planted = True


def test_a_planted_backprop_error_is_caught_by_both_methods(monkeypatch):
    model = ns.MLP((2, 3, 3, 1), seed=5)
    X, Y = _data((2, 3, 3, 1), "mse", batch=3, seed=5)
    _plant(monkeypatch, model.layers[1])
    reports = symbolic.check_backprop(model, X, Y, "mse")
    for report in reports.values():
        assert [e.name for e in report.entries if not e.passed] == ["layers[1].b"]
        assert report.worst.relative_error == pytest.approx(1e-3, rel=1e-2)
    with pytest.raises(ns.GradientMismatch) as info:
        symbolic.check_backprop(model, X, Y, "mse", methods=["layerwise"], raise_exception=True)
    assert info.value.parameter == "layers[1].b" and info.value.tolerance == 1e-12
    assert info.value.analytic == pytest.approx(1.001 * info.value.numeric, rel=1e-12)


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"method": "numeric"}, ns.ArgumentError, "method must be"),
        ({"X": np.ones((3, 5))}, ns.ShapeError, r"X must have shape \(batch, 2\)"),
        ({"Y": np.ones((2, 1))}, ns.ShapeError, r"Y must have shape \(3, 1\)"),
        ({"from_logits": True}, ns.ArgumentError, "mse has no from-logits form"),
        ({"loss": "hinge"}, ns.ArgumentError, "unknown loss"),
        ({"model": "MLP"}, ns.ArgumentError, "model must be an nnspec MLP"),
    ],
)
def test_argument_errors(change, error, message):
    X, Y = _data((2, 3, 1), "mse", batch=3, seed=0)
    arguments = {"model": ns.MLP((2, 3, 1)), "X": X, "Y": Y, "loss": "mse", **change}
    with pytest.raises(error, match=message):
        symbolic.gradients(**arguments)


def test_check_backprop_refuses_float32_and_bad_methods():
    X, Y = _data((2, 3, 1), "mse", batch=3, seed=0)
    with pytest.raises(ns.ArgumentError, match=r"float32.*model\.copy\(dtype=np\.float64\)"):
        symbolic.check_backprop(ns.MLP((2, 3, 1), dtype=np.float32), X, Y, "mse")
    with pytest.raises(ns.ArgumentError, match="methods must be"):
        symbolic.check_backprop(ns.MLP((2, 3, 1)), X, Y, "mse", methods=["central"])
