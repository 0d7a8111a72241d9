import numpy as np
import pytest

import nnspec as ns
from tests.reference import central_difference, relative_error

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([[0.0], [1.0], [1.0], [0.0]])


def test_dense_is_the_formula():
    layer = ns.Dense(3, 2, activation="tanh", rng=5)
    layer.b[:] = [0.1, -0.2]
    X = np.random.default_rng(1).normal(size=(4, 3))
    expected = np.tanh(np.einsum("bi,ij->bj", X, layer.W) + layer.b)
    np.testing.assert_allclose(layer.forward(X), expected, rtol=1e-15)
    assert layer.W.shape == (3, 2) and layer.num_parameters == 3 * 2 + 2


def test_mlp_layout_and_counts():
    model = ns.MLP((2, 4, 3, 1), activation="sigmoid", output="identity", seed=0)
    assert [layer.W.shape for layer in model.layers] == [(2, 4), (4, 3), (3, 1)]
    assert model.num_parameters == (2 * 4 + 4) + (4 * 3 + 3) + (3 * 1 + 1)
    assert [layer.activation.name for layer in model.layers] == ["sigmoid", "sigmoid", "identity"]
    same = ns.MLP((2, 4, 3, 1), activation="sigmoid", seed=0)
    for (W1, _), (W2, _) in zip(model.parameters(), same.parameters()):
        np.testing.assert_array_equal(W1, W2)


def _flat_loss(model, X, Y, loss, layer, which, from_logits=False):
    def f(values):
        copy = model.copy()
        setattr(copy.layers[layer], which, values)
        return loss(Y, copy.forward(X), from_logits=from_logits)

    return f


def _worst_backprop_error(model, X, Y, loss, from_logits=False):
    _, grads = model.loss_and_grads(X, Y, loss, from_logits=from_logits)
    worst = 0.0
    for index, (dW, db) in enumerate(grads):
        for which, analytic in (("W", dW), ("b", db)):
            start = getattr(model.layers[index], which)
            numeric = central_difference(
                _flat_loss(model, X, Y, ns.loss(loss), index, which, from_logits), start
            )
            worst = max(worst, float(np.max(relative_error(analytic, numeric, floor=1e-8))))
    return worst


@pytest.mark.parametrize("hidden", ["tanh", "sigmoid", "relu"])
@pytest.mark.parametrize(
    ("output", "loss", "from_logits"),
    [("identity", "mse", False), ("sigmoid", "bce", False), ("identity", "bce", True)],
)
def test_backward_matches_central_differences(hidden, output, loss, from_logits):
    rng = np.random.default_rng(3)
    model = ns.MLP((3, 5, 4, 2), activation=hidden, output=output, seed=1)
    X, Y = rng.normal(size=(6, 3)), rng.integers(0, 2, size=(6, 2)).astype(float)
    assert _worst_backprop_error(model, X, Y, loss, from_logits) <= 1e-6


def test_softmax_output_with_cce_matches_the_logits_form():
    rng = np.random.default_rng(4)
    X, Y = rng.normal(size=(5, 3)), np.eye(4)[rng.integers(0, 4, 5)]
    probs = ns.MLP((3, 6, 4), output="softmax", seed=2)
    logits = ns.MLP((3, 6, 4), output="identity", seed=2)
    value_p, grads_p = probs.loss_and_grads(X, Y, "cce")
    value_z, grads_z = logits.loss_and_grads(X, Y, "cce", from_logits=True)
    assert value_p == pytest.approx(value_z, rel=1e-12)
    for (dW1, db1), (dW2, db2) in zip(grads_p, grads_z):
        np.testing.assert_allclose(dW1, dW2, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(db1, db2, rtol=1e-10, atol=1e-14)
    assert _worst_backprop_error(probs, X, Y, "cce") <= 1e-6


_RIGHT_BACKWARD = ns.Dense.backward


def _wrong_transpose(self, dA, *, input_gradient=True):
    dX = _RIGHT_BACKWARD(self, dA, input_gradient=input_gradient)  # delta @ W.T
    # bug: delta @ W instead of delta @ W.T, which only type-checks for square kernels
    return None if dX is None else dX @ np.linalg.inv(self.W.T) @ self.W


def _dropped_bias(self, dA, *, input_gradient=True):
    dX = _RIGHT_BACKWARD(self, dA, input_gradient=input_gradient)
    self.db = np.zeros_like(self.b)  # bug: the bias gradient is lost
    return dX


@pytest.mark.parametrize("bug", [_wrong_transpose, _dropped_bias], ids=["transpose", "bias"])
def test_planted_bugs_are_detected(monkeypatch, bug):
    rng = np.random.default_rng(5)
    model = ns.MLP((4, 4, 4, 4), activation="tanh", seed=3)
    X, Y = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    assert _worst_backprop_error(model, X, Y, "mse") <= 1e-6
    monkeypatch.setattr(ns.Dense, "backward", bug)
    assert _worst_backprop_error(model, X, Y, "mse") > 1e-3


def test_xor_reaches_full_accuracy_from_seed_0():
    model = ns.MLP((2, 4, 1), activation="tanh", output="sigmoid", seed=0)
    history = ns.train(model, XOR_X, XOR_Y, loss="bce", learning_rate=1.0, epochs=2000)
    assert not history.diverged
    predictions = model.forward(XOR_X) > 0.5
    assert np.array_equal(predictions, XOR_Y == 1)


def test_float32_model_stays_float32():
    model = ns.MLP((2, 3, 1), dtype=np.float32)
    output = model.forward(XOR_X)
    assert output.dtype == np.float32 and model.layers[0].W.dtype == np.float32


def test_forward_returns_independent_arrays():
    model = ns.MLP((2, 3, 1))
    first = model.forward(XOR_X)
    kept = first.copy()
    model.forward(XOR_X * 2)
    np.testing.assert_array_equal(first, kept)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ns.MLP((2, 4, 1)).forward(np.zeros((3, 3))), r"X has 3 columns but layer 0 expects 2"),
        (lambda: ns.MLP((2, 4, 1)).forward(np.zeros(2)), r"X must be a 2-D batch of shape \(batch, 2\)"),
        (lambda: ns.MLP((2, 4, 1)).forward(np.zeros((3, 2), dtype=int)), r"X has dtype int64"),
        (lambda: ns.MLP((2, 0, 1)), r"sizes\[1\] must be a positive integer, got 0"),
        (lambda: ns.MLP((2, -3, 1)), r"sizes\[1\] must be a positive integer, got -3"),
        (lambda: ns.MLP((2,)), r"sizes must be a sequence of at least 2 positive integers"),
        (lambda: ns.MLP((2, 1), activation="swish"), r"unknown activation 'swish'; valid names are"),
        (lambda: ns.MLP((2, 1), init="xavier"), r"unknown initializer 'xavier'"),
        (lambda: ns.Dense(2, 1).backward(np.zeros((1, 1))), r"backward needs a forward pass first"),
        (lambda: ns.MLP((2, 1), dtype=np.int64), r"dtype must be float32 or float64, got int64"),
    ],
)
def test_bad_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_backward_checks_the_upstream_shape():
    model = ns.MLP((2, 3, 1))
    model.forward(XOR_X)
    with pytest.raises(
        ns.ShapeError, match=r"dA has shape \(4, 2\) but the layer's output has shape \(4, 1\)"
    ):
        model.backward(np.zeros((4, 2)))


class _DropsBiasGradient(ns.Dense):
    """A layer with a planted bug in its own backward: the bias gradient is always 0."""

    def backward(self, dA, *, input_gradient=True):
        dX = super().backward(dA, input_gradient=input_gradient)
        self.db = np.zeros_like(self.db)
        return dX


def test_copy_keeps_the_classes_so_checks_see_a_subclass_backward():
    model = ns.MLP((2, 3, 1), seed=0)
    buggy = _DropsBiasGradient(3, 1)
    buggy.W[...] = model.layers[1].W
    model.layers[1] = buggy
    copy = model.copy(dtype=np.complex128)
    assert type(copy) is ns.MLP and [type(layer) for layer in copy.layers] == [ns.Dense, _DropsBiasGradient]
    assert copy.layers[1].W is not buggy.W and copy.layers[1].W.dtype == np.complex128
    X, Y = np.array([[0.5, -1.0], [2.0, 0.25]]), np.array([[1.0], [0.0]])
    report = ns.check_gradients(model, X, Y, "mse")  # checks a copy: it must have the bug too
    assert [entry.name for entry in report.entries if not entry.passed] == ["layers[1].b"]


@pytest.mark.parametrize("hidden", ["relu", "leaky_relu"])
def test_kinked_networks_pass_the_gradient_check(hidden):
    """The fused relu path (f and f' filled in one pass) and leaky_relu's vjp agree with
    central differences, with the noise floor and kink tolerance of check_gradients."""
    rng = np.random.default_rng(7)
    model = ns.MLP((3, 6, 5, 2), activation=hidden, output="identity", seed=2)
    X, Y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    report = ns.check_gradients(model, X, Y, "mse", "central")
    assert report.passed, str(report)
    assert report.worst.relative_error < 1e-6  # far from any kink, so far below the 1e-4 allowed


# --- the layer's update contract: backward_update hands each gradient to the optimizer ---


@pytest.mark.parametrize("make", [lambda: ns.SGD(0.1), lambda: ns.Momentum(0.1), lambda: ns.Adam(0.01)])
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_backward_update_is_backward_then_the_optimizers_update(make, activation):
    rng = np.random.default_rng(7)
    X, dA = rng.normal(size=(64, 300)), rng.normal(size=(64, 128))
    fused, plain = ns.Dense(300, 128, activation, rng=1), ns.Dense(300, 128, activation, rng=1)
    assert fused.W.size >= 16384  # the SGD case runs the single-gemm update
    fused.forward(X)
    plain.forward(X)
    dX = fused.backward_update(dA.copy(), make(), input_gradient=True).copy()
    expected_dX = plain.backward(dA).copy()  # from the weights before the update
    reference = make()
    reference.update(plain.W, plain.dW)
    reference.update(plain.b, plain.db)
    np.testing.assert_allclose(dX, expected_dX, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(fused.W, plain.W, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(fused.b, plain.b, rtol=1e-13, atol=1e-15)


def test_backward_update_leaves_dA_alone_unless_told_it_is_scratch():
    rng = np.random.default_rng(8)
    layer = ns.Dense(5, 4, "relu", rng=0)
    layer.forward(rng.normal(size=(6, 5)))
    dA = rng.normal(size=(6, 4))
    kept = dA.copy()
    layer.backward_update(dA, ns.SGD(0.1))
    np.testing.assert_array_equal(dA, kept)


def test_a_subclass_with_its_own_backward_is_trained_through_it():
    class HalfGradient(ns.Dense):  # a layer whose backward reports half the true gradients
        def backward(self, dA, *, input_gradient=True):
            dX = super().backward(dA, input_gradient=input_gradient)
            self.dW, self.db = 0.5 * self.dW, 0.5 * self.db
            return dX

    rng = np.random.default_rng(9)
    X, Y = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
    model, twin = ns.MLP((3, 4, 2), seed=0), ns.MLP((3, 4, 2), seed=0)
    custom = HalfGradient(4, 2, rng=5)
    custom.W[...], custom.b[...] = model.layers[1].W, model.layers[1].b
    model.layers[1] = custom
    ns.TrainStep(model, "mse", 0.1)(X, Y)
    _, grads = twin.loss_and_grads(X, Y, "mse")
    W0 = twin.layers[1].W.copy()
    np.testing.assert_allclose(model.layers[1].W, W0 - 0.1 * 0.5 * grads[1][0], rtol=1e-13)


def test_backward_update_needs_a_forward_pass_and_the_right_shape():
    layer = ns.Dense(3, 2)
    with pytest.raises(ns.ArgumentError, match="backward needs a forward pass first"):
        layer.backward_update(np.zeros((4, 2)), ns.SGD(0.1))
    layer.forward(np.zeros((4, 3)))
    with pytest.raises(
        ns.ShapeError, match=r"dA has shape \(4, 3\) but the layer's output has shape \(4, 2\)"
    ):
        layer.backward_update(np.zeros((4, 3)), ns.SGD(0.1))


def test_copy_is_independent_and_keeps_classes():
    model = ns.MLP((3, 4, 2), seed=0)
    twin = model.copy()
    twin.layers[0].W += 1
    assert not np.array_equal(model.layers[0].W, twin.layers[0].W)
    assert type(twin) is ns.MLP and all(type(layer) is ns.Dense for layer in twin.layers)
    complex_twin = model.copy(np.complex128)
    assert complex_twin.layers[0].W.dtype == np.complex128 and model.dtype == np.float64


def test_repr_spells_parameterized_activations_in_full():
    leaky = ns.MLP((2, 3, 1), activation=ns.LeakyReLU(0.2), output=ns.ELU(alpha=0.5))
    assert repr(leaky) == (
        "MLP(sizes=(2, 3, 1), activation=nnspec.LeakyReLU(slope=0.2), "
        "output=nnspec.ELU(alpha=0.5), dtype=float64)"
    )
    assert repr(ns.MLP((2, 3, 1), activation=ns.LeakyReLU())) == (
        "MLP(sizes=(2, 3, 1), activation='leaky_relu', output='identity', dtype=float64)"
    )
    assert (
        repr(ns.Dense(2, 3, ns.LeakyReLU(slope=-0.5)))
        == "Dense(2, 3, activation=nnspec.LeakyReLU(slope=-0.5))"
    )
    assert repr(ns.Dense(2, 3, "gelu")) == "Dense(2, 3, activation='gelu')"


def test_repr_of_a_users_activation_names_its_class():
    class Square(ns.Activation):
        name = "square"

        def _value(self, z):
            return z * z

        def _grad(self, z):
            return 2 * z

    text = repr(ns.Dense(2, 3, Square()))
    assert text == f"Dense(2, 3, activation=<{Square.__qualname__} activation 'square'>)"
    assert "nnspec." not in text


# --- ownership: backward's gradients belong to the caller; buffer reuse is asked for ---


def _trained_pair(seed=3):
    rng = np.random.default_rng(seed)
    model = ns.MLP((3, 5, 2), activation="relu", seed=seed)
    X, X2 = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    return model, X, X2, rng.normal(size=(6, 2)), rng.normal(size=(6, 2))


def test_a_kept_gradient_is_not_changed_by_the_next_backward():
    model, X, X2, d1, d2 = _trained_pair()
    model.forward(X)
    g1 = model.backward(d1)
    kept = [(dW.copy(), db.copy()) for dW, db in g1]
    model.forward(X2)
    g2 = model.backward(d2)
    for (dW, db), (dW0, db0), (dW2, _) in zip(g1, kept, g2):
        np.testing.assert_array_equal(dW, dW0)
        np.testing.assert_array_equal(db, db0)
        assert not np.shares_memory(dW, dW2)
    assert not np.allclose(g1[0][0], g2[0][0])  # the second pass did compute other values


def test_a_layers_returned_input_gradient_is_the_callers():
    rng = np.random.default_rng(4)
    layer = ns.Dense(3, 2, "tanh", rng=0)
    layer.forward(rng.normal(size=(4, 3)))
    dX = layer.backward(rng.normal(size=(4, 2)))
    dW = layer.dW
    kept_dX, kept_dW = dX.copy(), dW.copy()
    layer.forward(rng.normal(size=(4, 3)))
    layer.backward(rng.normal(size=(4, 2)))
    np.testing.assert_array_equal(dX, kept_dX)
    np.testing.assert_array_equal(dW, kept_dW)
    assert layer.dW is not dW  # the attribute names the latest gradient


def test_backward_out_refills_the_callers_arrays():
    model, X, X2, d1, d2 = _trained_pair()
    model.forward(X)
    grads = model.backward(d1)
    twin = model.copy()
    twin.forward(X2)
    expected = twin.backward(d2)
    model.forward(X2)
    refilled = model.backward(d2, out=grads)
    assert refilled is grads
    for (dW, db), (eW, eb), layer in zip(grads, expected, model.layers):
        np.testing.assert_allclose(dW, eW, rtol=1e-14, atol=1e-16)
        np.testing.assert_allclose(db, eb, rtol=1e-14, atol=1e-16)
        assert layer.dW is dW and layer.db is db


def test_backward_out_must_match_the_parameters():
    model, X, _, d1, _ = _trained_pair()
    model.forward(X)
    good = model.backward(d1)
    bad_shape = [(np.zeros((3, 4)), good[0][1]), good[1]]
    with pytest.raises(
        ns.ShapeError, match=r"out\[0\]\[0\] has shape \(3, 4\) but layer 0's W has shape \(3, 5\)"
    ):
        model.backward(d1, out=bad_shape)
    with pytest.raises(ns.ShapeError, match="out must hold one"):
        model.backward(d1, out=good[:1])
    bad_dtype = [(good[0][0].astype(np.float32), good[0][1]), good[1]]
    with pytest.raises(
        ns.ArgumentError, match=r"out\[0\]\[0\] has dtype float32 but layer 0's W has dtype float64"
    ):
        model.backward(d1, out=bad_dtype)
    frozen = good[1][0].copy()
    frozen.flags.writeable = False
    with pytest.raises(ns.ArgumentError, match=r"out\[1\]\[0\] must be a writeable"):
        model.backward(d1, out=[good[0], (frozen, good[1][1])])
    with pytest.raises(ns.ArgumentError, match="out must be"):
        model.backward(d1, out="buffers")
