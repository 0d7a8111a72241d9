"""The properties that make a training step fast: it reuses its buffers and allocates nothing big."""

import tracemalloc

import numpy as np
import pytest

import nnspec as ns
from nnspec.training import TrainStep


def _setup(dtype=np.float32, batch=128):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(batch, 200)).astype(dtype)
    Y = np.eye(10, dtype=dtype)[rng.integers(0, 10, batch)]
    model = ns.MLP(
        (200, 160, 160, 10), activation="relu", output="identity", init="he_normal", seed=1, dtype=dtype
    )
    return model, X, Y


def _buffers(model):
    return [
        id(array)
        for layer in model.layers
        for buffers in layer._workspace.values()
        for array in buffers.values()
    ]


def test_a_step_reuses_the_same_arrays():
    model, X, Y = _setup()
    step = TrainStep(model, "cce", 0.01, from_logits=True)
    step(X, Y)
    params = [id(array) for pair in model.parameters() for array in pair]
    buffers = _buffers(model)
    for _ in range(3):
        step(X, Y)
    assert [id(array) for pair in model.parameters() for array in pair] == params  # updated in place
    assert _buffers(model) == buffers and len(buffers) == 3 * 8  # no new buffers either


def test_after_the_first_step_no_large_array_is_allocated():
    model, X, Y = _setup(np.float32)
    step = TrainStep(model, "cce", 0.01, from_logits=True)
    step(X, Y)
    hidden = [layer._workspace[(128, np.dtype(np.float32))] for layer in model.layers[:-1]]
    smallest = min(
        array.nbytes for buffers in hidden for name, array in buffers.items() if name not in ("db", "ones")
    )
    assert smallest > 64 * 1024  # so allocating any one of them again would break the bound below
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        for _ in range(3):
            step(X, Y)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak - before <= 64 * 1024


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_step_is_the_sgd_update(dtype):
    model, X, Y = _setup(dtype, batch=16)
    reference = model.copy()
    value, grads = reference.loss_and_grads(X, Y, "cce", from_logits=True)
    step_value = TrainStep(model, "cce", 0.05, from_logits=True)(X, Y)
    assert step_value == pytest.approx(value, rel=1e-6 if dtype == np.float32 else 1e-13)
    tolerance = 1e-5 if dtype == np.float32 else 1e-13
    for (W, b), (W0, b0), (dW, db) in zip(model.parameters(), reference.parameters(), grads):
        np.testing.assert_allclose(W, W0 - 0.05 * dW, rtol=tolerance, atol=tolerance)
        np.testing.assert_allclose(b, b0 - 0.05 * db, rtol=tolerance, atol=tolerance)


def test_public_results_are_not_overwritten_by_later_passes():
    model, X, _ = _setup(np.float64, batch=8)
    first_output = model.forward(X)
    first = model.backward(np.ones_like(first_output))
    kept = [(dW.copy(), db.copy()) for dW, db in first]
    model.forward(2 * X)
    model.backward(-np.ones_like(first_output))
    for (dW, db), (dW0, db0) in zip(first, kept):
        np.testing.assert_array_equal(dW, dW0)
        np.testing.assert_array_equal(db, db0)


def test_non_finite_output_is_reported_not_applied():
    model, X, Y = _setup(np.float64, batch=8)
    model.layers[0].W[0, 0] = np.inf
    before = [W.copy() for W, _ in model.parameters()]
    with np.errstate(invalid="ignore", over="ignore"):
        value = TrainStep(model, "cce", 0.1, from_logits=True)(X, Y)
    assert value == float("inf")
    for (W, _), W0 in zip(model.parameters(), before):
        np.testing.assert_array_equal(W, W0)


def test_a_step_refuses_inputs_of_the_wrong_shape_with_a_clear_message():
    model, X, Y = _setup(np.float64, batch=8)
    step = TrainStep(model, "cce", 0.1, from_logits=True)
    with pytest.raises(ns.ShapeError, match="X has 199 columns but the model expects 200"):
        step(X[:, :199], Y)
    with pytest.raises(ns.ShapeError, match=r"Y must have the output's shape \(8, 10\), got \(8,\)"):
        step(X, Y.argmax(axis=1))  # labels instead of one-hot rows would broadcast silently
    with pytest.raises(ns.ShapeError, match="2-D batch"):
        step(X[0], Y)


def test_a_step_converts_lists_and_other_dtypes():
    model, X, Y = _setup(np.float64, batch=8)
    twin = model.copy()
    first = TrainStep(model, "cce", 0.1, from_logits=True)(X.astype(np.float32).tolist(), Y.tolist())
    second = TrainStep(twin, "cce", 0.1, from_logits=True)(X.astype(np.float32), Y)
    assert first == second
    for (W, _), (W2, _) in zip(model.parameters(), twin.parameters()):
        np.testing.assert_array_equal(W, W2)
