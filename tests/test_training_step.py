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


def _allocated(run, repeats=3):
    """Bytes numpy and Python hold after, and at most during, ``repeats`` calls of ``run``."""
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        for _ in range(repeats):
            run()
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return after - before, peak - before


def _manual_step(model, X, Y, opt, out=None):
    output = model.forward(X)
    grads = model.backward(ns.categorical_crossentropy.grad(Y, output, from_logits=True), out=out)
    opt.step(model.parameters(), grads)
    return grads


def test_a_step_updates_the_parameters_in_place():
    model, X, Y = _setup()
    step = TrainStep(model, "cce", 0.01, from_logits=True)
    params = model.parameters()
    before = [W.copy() for W, _ in params]
    step(X, Y)
    assert all(a is b for pair, pair2 in zip(params, model.parameters()) for a, b in zip(pair, pair2))
    assert all(not np.array_equal(W, W0) for (W, _), W0 in zip(params, before))


def _one_step(path, model, X, Y):
    """A function taking one SGD step (rate 0.01) on ``(X, Y)`` by the named path."""
    if path == "TrainStep":
        step = TrainStep(model, "cce", 0.01, from_logits=True)
        return lambda: step(X, Y)
    optimizer = ns.SGD(0.01)
    if path == "manual loop, out=":
        grads = [(np.empty_like(W), np.empty_like(b)) for W, b in model.parameters()]
        return lambda: _manual_step(model, X, Y, optimizer, out=grads)
    return lambda: _manual_step(model, X, Y, optimizer)


@pytest.mark.parametrize("path", ["TrainStep", "manual loop, out="])
def test_after_the_first_step_no_large_array_is_allocated(path):
    """The buffers are reused: no array the size of an activation or a kernel is made per step."""
    model, X, Y = _setup(np.float32)
    smallest = min(min(layer.W.nbytes, X.shape[0] * layer.fan_out * 4) for layer in model.layers[:-1])
    assert smallest > 64 * 1024  # so allocating any one of them again would break the bound below
    run = _one_step(path, model, X, Y)
    run()
    growth, peak = _allocated(run)
    assert peak <= 64 * 1024 and growth <= 4 * 1024


def test_the_plain_manual_loop_allocates_the_gradients_and_nothing_else_large():
    """Without out=, each step's gradients are new arrays (the caller's to keep): one set per
    step, which the layers' dW and db name until the next step replaces them."""
    model, X, Y = _setup(np.float32)
    gradient_bytes = sum(W.nbytes + b.nbytes for W, b in model.parameters())
    run = _one_step("manual loop", model, X, Y)
    run()
    growth, peak = _allocated(run, repeats=3)
    # a layer's new dW is made while the attribute still names the previous step's
    largest = max(W.nbytes + b.nbytes for W, b in model.parameters())
    assert gradient_bytes <= peak <= gradient_bytes + largest + 64 * 1024
    assert gradient_bytes <= growth <= gradient_bytes + 4 * 1024  # the latest set, not three


@pytest.mark.parametrize("path", ["TrainStep", "manual loop", "manual loop, out="])
def test_memory_does_not_grow_over_many_steps(path):
    model, X, Y = _setup(np.float32, batch=32)
    run = _one_step(path, model, X, Y)
    run()
    held = sum(W.nbytes + b.nbytes for W, b in model.parameters()) if path == "manual loop" else 0
    growth, _ = _allocated(run, repeats=100)
    assert growth <= held + 4 * 1024  # at most the latest gradients, which the layers name


def test_the_manual_loops_gradients_are_the_callers_to_keep():
    """Ownership, as documented in MLP.backward: a later step leaves a step's gradients alone."""
    model, X, Y = _setup(np.float64, batch=8)
    _, expected = model.copy().loss_and_grads(X, Y, "cce", from_logits=True)
    opt = ns.SGD(0.01)
    first = _manual_step(model, X, Y, opt)
    second = _manual_step(model, X[::-1].copy(), Y[::-1].copy(), opt)
    for (dW, db), (dW2, db2), (dW0, db0) in zip(first, second, expected):
        assert not np.shares_memory(dW, dW2) and not np.shares_memory(db, db2)
        np.testing.assert_allclose(dW, dW0, rtol=1e-13, atol=1e-15)  # still the first step's values
        np.testing.assert_allclose(db, db0, rtol=1e-13, atol=1e-15)
    assert not np.allclose(first[0][0], second[0][0])


def test_out_reuses_the_callers_arrays_step_after_step():
    model, X, Y = _setup(np.float64, batch=8)
    twin = model.copy()
    grads = [(np.empty_like(W), np.empty_like(b)) for W, b in model.parameters()]
    opt, twin_opt = ns.SGD(0.01), ns.SGD(0.01)
    for _ in range(3):
        assert _manual_step(model, X, Y, opt, out=grads) is grads
        expected = _manual_step(twin, X, Y, twin_opt)
    for (dW, db), (eW, eb) in zip(grads, expected):
        np.testing.assert_allclose(dW, eW, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(db, eb, rtol=1e-13, atol=1e-15)


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
    with pytest.raises(ns.ShapeError, match="X has 199 columns but layer 0 expects 200"):
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


def test_a_step_still_refuses_invalid_target_values():
    model, X, Y = _setup(np.float64, batch=8)
    step = TrainStep(model, "cce", 0.1, from_logits=True)
    with pytest.raises(ns.ArgumentError, match="y_true"):
        step(X, 2 * Y)  # rows summing to 2 are not class probabilities
    with pytest.raises(ns.ArgumentError, match="finite"):
        step(X, np.where(Y == 1, np.nan, Y))


def test_train_checks_all_its_targets_once_then_trains_as_the_steps_do():
    model, X, Y = _setup(np.float64, batch=64)
    bad = Y.copy()
    bad[-1] = 0.5  # one invalid row, in the last batch
    with pytest.raises(ns.ArgumentError, match="y_true"):
        ns.train(model, X, bad, loss="cce", learning_rate=0.1, epochs=1, batch_size=16, from_logits=True)
    with pytest.raises(ns.ShapeError, match="Y has 9 columns but the model has 10 outputs"):
        ns.train(model, X, Y[:, :9], loss="cce", learning_rate=0.1, epochs=1, batch_size=16, from_logits=True)
    twin = model.copy()
    history = ns.train(model, X, Y, loss="cce", learning_rate=0.1, epochs=1, batch_size=64, from_logits=True)
    step = TrainStep(twin, "cce", 0.1, from_logits=True)
    assert history.batch_losses.tolist() == [step(X, Y)]
    for (W, _), (W2, _) in zip(model.parameters(), twin.parameters()):
        np.testing.assert_array_equal(W, W2)
