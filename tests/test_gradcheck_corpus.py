"""Corpora for `check_gradients` (issue 21): correct models that must never fail, planted bugs
that must never pass, and ordinary models that must plainly pass.

Each case is a function returning ``(model, X, Y, loss, options)``; the corpora list
``(name, case, options)`` where ``options`` adds the method, ``directions`` or
``from_logits``. Bugs are planted by `planted`, a subclass of the model's class whose
``loss_and_grads`` alters the correct gradients (``check_gradients`` checks a copy of the
model, and a copy keeps its class).
"""

from __future__ import annotations

import numpy as np
import pytest

import nnspec as ns


def planted(model, change):
    """A copy of ``model`` whose gradients are ``change(grads)`` (a list of [dW, db] lists)."""

    class Planted(type(model)):
        def loss_and_grads(self, X, Y, loss, *, from_logits=False):
            value, grads = super().loss_and_grads(X, Y, loss, from_logits=from_logits)
            return value, [tuple(pair) for pair in change([[dW.copy(), db.copy()] for dW, db in grads])]

    twin = model.copy()
    twin.__class__ = Planted
    return twin


# ---------------------------------------------------------------- the reproductions


def trained(epochs=1000):
    """The everyday path: train a 2-4-1 tanh network on 8 points of sin(x0), then check."""
    rng = np.random.default_rng(0)
    model = ns.MLP((2, 4, 1), activation="tanh", seed=0)
    X = rng.uniform(-2, 2, size=(8, 2))
    Y = np.sin(X[:, :1])
    ns.train(model, X, Y, loss="mse", learning_rate=0.1, epochs=epochs)
    return model, X, Y, "mse"


def perfect_linear():
    """A linear unit at a perfect fit: every gradient entry is exactly 0."""
    rng = np.random.default_rng(0)
    model = ns.MLP((3, 1), seed=0)
    X = rng.normal(size=(8, 3))
    return model, X, model.forward(X), "mse"


def perfect_tanh():
    """A 2-3-1 tanh network at a perfect fit."""
    rng = np.random.default_rng(1)
    model = ns.MLP((2, 3, 1), activation="tanh", seed=1)
    X = rng.normal(size=(6, 2))
    return model, X, model.forward(X), "mse"


def uncentred(offset=1e6):
    """Outputs near ``offset`` (a large output bias) with residuals of 0.1."""
    rng = np.random.default_rng(0)
    model = ns.MLP((3, 4, 1), activation="tanh", seed=0)
    model.layers[1].b[:] = offset
    X = rng.normal(size=(8, 3))
    return model, X, model.forward(X) + 0.1 * rng.normal(size=(8, 1)), "mse"


def one_huge_parameter():
    """One weight of 1e3 among weights of order 1."""
    rng = np.random.default_rng(2)
    model = ns.MLP((3, 4, 1), activation="tanh", seed=2)
    model.layers[1].W[0, 0] = 1e3
    X = rng.normal(size=(6, 3))
    return model, X, rng.normal(size=(6, 1)), "mse"


def least_squares_minimum():
    """The gradient-checking page's linear unit whose mean residual is 0 (so dL/db = 0)."""
    rng = np.random.default_rng(0)
    model = ns.MLP((3, 1), seed=0)
    X = rng.normal(size=(8, 3))
    residual = rng.normal(size=(8, 1))
    return model, X, model.forward(X) + residual - residual.mean(), "mse"


def masked_residual():
    """(3, 4, 2) tanh: output 0 has a residual of 1e3, output 1 is fitted to 1e-5."""
    rng = np.random.default_rng(0)
    model = ns.MLP((3, 4, 2), activation="tanh", seed=0)
    X = rng.normal(size=(6, 3))
    Y = model.forward(X) + 1e-5 * rng.normal(size=(6, 2))
    Y[:, 0] += 1e3
    return model, X, Y, "mse"


# ------------------------------------------------------------ scaled and saturated variants


def scaled_inputs(scale):
    rng = np.random.default_rng(3)
    model = ns.MLP((3, 4, 2), activation="tanh", seed=3)
    X = scale * rng.normal(size=(5, 3))
    return model, X, rng.normal(size=(5, 2)), "mse"


def offset_targets(offset):
    """Targets and outputs far from 0 (a large output bias), residuals of order 1."""
    rng = np.random.default_rng(4)
    model = ns.MLP((3, 4, 2), activation="sigmoid", seed=4)
    model.layers[1].b[:] = offset
    X = rng.normal(size=(5, 3))
    return model, X, model.forward(X) + rng.normal(size=(5, 2)), "mse"


def softmax_logits(scale=20.0, from_logits=True):
    """Logits in the tens: the softmax is saturated, the cross-entropy nearly 0 or large."""
    rng = np.random.default_rng(5)
    output = "identity" if from_logits else "softmax"
    model = ns.MLP((3, 4, 3), activation="tanh", output=output, seed=5)
    model.layers[1].W *= scale
    X = rng.normal(size=(5, 3))
    return model, X, np.eye(3)[rng.integers(0, 3, size=5)], "cce"


def saturated_sigmoid():
    rng = np.random.default_rng(6)
    model = ns.MLP((3, 4, 1), activation="sigmoid", output="sigmoid", seed=6)
    model.layers[0].W *= 8
    X = rng.normal(size=(6, 3))
    return model, X, rng.integers(0, 2, size=(6, 1)).astype(float), "bce"


def perfect_softmax():
    """Soft labels equal to the network's own softmax output: a stationary point of CCE."""
    rng = np.random.default_rng(7)
    model = ns.MLP((3, 4, 3), activation="tanh", output="softmax", seed=7)
    X = rng.normal(size=(4, 3))
    return model, X, model.forward(X), "cce"


def relu_near_kink(z):
    """A ReLU network whose first unit has pre-activation ``z`` for sample 0."""
    model = ns.MLP((2, 3, 1), activation="relu", seed=0)
    W = model.layers[0].W
    X = np.array([[1.0, 0.5], [-0.3, 0.8]])
    X[0, 0] += (z - (X @ W)[0, 0]) / W[0, 0]
    return model, X, np.array([[1.0], [0.0]]), "mse"


def randomized(seed):
    """A random configuration of the stress run that once failed a correct model: seed 10 has
    outputs near 1e6 and steps far outside the Taylor range along directions, seed 21 a
    saturated softmax whose first-layer gradients are about 1e-300 (near underflow)."""
    rng = np.random.default_rng(1000 + seed)
    activation = ["tanh", "sigmoid", "softplus", "gelu", "relu", "leaky_relu", "elu"][seed % 7]
    loss = ["mse", "cce"][seed % 2]
    output = {"mse": "identity", "cce": "softmax"}[loss]
    model = ns.MLP((3, int(rng.integers(2, 6)), 3), activation=activation, output=output, seed=seed)
    X = rng.normal(size=(int(rng.integers(2, 9)), 3)) * 10.0 ** rng.uniform(-3, 3)
    n = X.shape[0]
    if loss == "mse":
        Y = rng.normal(size=(n, 3)) + 10.0 ** rng.uniform(0, 6) * rng.integers(0, 2)
        if rng.random() < 0.5:
            model.layers[-1].b[:] = Y.mean()
    else:
        Y = np.eye(3)[rng.integers(0, 3, n)]
    if rng.random() < 0.3:
        model.layers[-1].W *= 10.0 ** rng.uniform(0, 1.5)
    return model, X, Y, loss


def ordinary(activation, loss="mse"):
    rng = np.random.default_rng(8)
    output = {"mse": "identity", "cce": "softmax"}[loss]
    model = ns.MLP((3, 5, 4, 3), activation=activation, output=output, seed=8)
    X = rng.normal(size=(6, 3))
    Y = rng.normal(size=(6, 3)) if loss == "mse" else np.eye(3)[rng.integers(0, 3, size=6)]
    return model, X, Y, loss


CORRECT = [
    ("trained-1000", lambda: trained(1000), {}),
    ("trained-5000", lambda: trained(5000), {}),
    ("trained-1000-richardson", lambda: trained(1000), {"method": "richardson"}),
    ("perfect-linear", perfect_linear, {}),
    ("perfect-linear-directions", perfect_linear, {"directions": 3}),
    ("perfect-tanh", perfect_tanh, {}),
    ("uncentred-1e6", uncentred, {}),
    ("uncentred-1e4", lambda: uncentred(1e4), {}),
    ("huge-parameter-directions", one_huge_parameter, {"directions": 3}),
    ("huge-parameter", one_huge_parameter, {}),
    ("least-squares-complex", least_squares_minimum, {"method": "complex"}),
    ("least-squares-central", least_squares_minimum, {}),
    ("masked-residual", masked_residual, {}),
    ("masked-residual-richardson", masked_residual, {"method": "richardson"}),
    ("inputs-1e-4", lambda: scaled_inputs(1e-4), {}),
    ("inputs-1e4", lambda: scaled_inputs(1e4), {}),
    ("offset-1e3", lambda: offset_targets(1e3), {}),
    ("offset-1e5-complex", lambda: offset_targets(1e5), {"method": "complex"}),
    ("softmax-logits-20", softmax_logits, {"from_logits": True}),
    ("softmax-output-20", lambda: softmax_logits(20.0, False), {}),
    ("softmax-logits-20-directions", softmax_logits, {"from_logits": True, "directions": 3}),
    ("saturated-sigmoid", saturated_sigmoid, {}),
    ("perfect-softmax", perfect_softmax, {}),
    ("relu-z-1e-7", lambda: relu_near_kink(1e-7), {}),
    ("relu-z-1e-14", lambda: relu_near_kink(1e-14), {}),
    ("relu-z-1e-14-richardson", lambda: relu_near_kink(1e-14), {"method": "richardson"}),
    ("leaky-relu-ordinary", lambda: ordinary("leaky_relu"), {}),
    ("elu-half-ordinary", lambda: ordinary(ns.ELU(alpha=0.5)), {}),
    ("random-10-directions", lambda: randomized(10), {"directions": 3}),
    ("random-10-directions-richardson", lambda: randomized(10), {"directions": 3, "method": "richardson"}),
    ("random-21-underflow", lambda: randomized(21), {}),
    ("random-21-underflow-complex", lambda: randomized(21), {"method": "complex"}),
]


def _flip(layer, which, index):
    def change(grads):
        grads[layer][which][index] *= -1
        return grads

    return change


def _scale(layer, which, factor):
    def change(grads):
        grads[layer][which] *= factor
        return grads

    return change


def _swap(layer, first, second):
    def change(grads):
        dW = grads[layer][0]
        dW[first], dW[second] = dW[second], dW[first]
        return grads

    return change


def _drop_bias(layer):
    def change(grads):
        grads[layer][1] = np.zeros_like(grads[layer][1])
        return grads

    return change


def _along_random_direction(size, seed):
    """Add ``size`` times the gradient's norm along a seeded random unit vector."""

    def change(grads):
        flat = np.concatenate([g.ravel() for pair in grads for g in pair])
        u = np.random.default_rng(seed).standard_normal(flat.size)
        flat = flat + size * np.linalg.norm(flat) * u / np.linalg.norm(u)
        start = 0
        for pair in grads:
            for k, g in enumerate(pair):
                pair[k] = flat[start : start + g.size].reshape(g.shape)
                start += g.size
        return grads

    return change


def with_bug(case, change):
    def make():
        model, X, Y, loss = case()
        return planted(model, change), X, Y, loss

    return make


BUGGY = [
    ("masked-residual-flip-db1", with_bug(masked_residual, _flip(1, 1, 1)), {}),
    ("ordinary-flip-W", with_bug(lambda: ordinary("tanh"), _flip(0, 0, (1, 2))), {}),
    ("ordinary-flip-b", with_bug(lambda: ordinary("sigmoid"), _flip(2, 1, 0)), {}),
    ("ordinary-factor-2", with_bug(lambda: ordinary("tanh"), _scale(1, 0, 2.0)), {}),
    (
        "ordinary-factor-2-directions",
        with_bug(lambda: ordinary("tanh"), _scale(1, 0, 2.0)),
        {"directions": 3},
    ),
    ("ordinary-swap", with_bug(lambda: ordinary("softplus"), _swap(1, (0, 1), (2, 3))), {}),
    ("ordinary-drop-bias", with_bug(lambda: ordinary("gelu"), _drop_bias(1)), {}),
    ("cce-drop-bias", with_bug(lambda: ordinary("tanh", "cce"), _drop_bias(2)), {}),
    ("random-3pct", with_bug(lambda: ordinary("tanh"), _along_random_direction(0.03, 0)), {}),
    (
        "random-3pct-directions",
        with_bug(lambda: ordinary("tanh"), _along_random_direction(0.03, 1)),
        {"directions": 4},
    ),
    ("trained-flip", with_bug(trained, _flip(0, 0, (0, 1))), {}),
    ("uncentred-factor-2", with_bug(uncentred, _scale(0, 0, 2.0)), {}),
    ("huge-parameter-flip", with_bug(one_huge_parameter, _flip(1, 1, 0)), {}),
    ("softmax-logits-flip", with_bug(softmax_logits, _flip(1, 0, (0, 0))), {"from_logits": True}),
    (
        "least-squares-drop-bias-complex",
        with_bug(least_squares_minimum, _scale(0, 0, 1.05)),
        {"method": "complex"},
    ),
]

ORDINARY = [
    (f"{activation}-{loss}-{method}", (lambda a=activation, lo=loss: ordinary(a, lo)), {"method": method})
    for activation in ("tanh", "sigmoid", "softplus", "gelu")
    for loss in ("mse", "cce")
    for method in ("central", "richardson")
] + [
    (f"{activation}-{loss}-complex", (lambda a=activation, lo=loss: ordinary(a, lo)), {"method": "complex"})
    for activation in ("tanh", "sigmoid", "softplus")
    for loss in ("mse", "cce")
]


def run(case, options):
    model, X, Y, loss = case()
    return ns.check_gradients(model, X, Y, loss, **options)


@pytest.mark.parametrize(("name", "case", "options"), CORRECT, ids=[c[0] for c in CORRECT])
def test_a_correct_model_never_fails(name, case, options):
    with np.errstate(all="raise", under="ignore"):
        report = run(case, options)
    assert report.status in ("passed", "inconclusive"), str(report)
    assert not any(entry.status == "failed" for entry in report.entries)


@pytest.mark.parametrize(("name", "case", "options"), BUGGY, ids=[c[0] for c in BUGGY])
def test_a_planted_bug_never_passes(name, case, options):
    with np.errstate(all="raise", under="ignore"):
        report = run(case, options)
    assert report.status in ("failed", "inconclusive"), str(report)
    assert not report.passed


@pytest.mark.parametrize(("name", "case", "options"), ORDINARY, ids=[c[0] for c in ORDINARY])
def test_an_ordinary_correct_model_plainly_passes(name, case, options):
    with np.errstate(all="raise", under="ignore"):
        report = run(case, options)
    assert report.status == "passed", str(report)
    assert all(entry.resolved for entry in report.entries)


@pytest.mark.parametrize("seed", range(24))
def test_random_correct_models_never_fail(seed):
    """Seeded random scales (inputs 1e-3..1e3, targets offset up to 1e6, large output weights),
    every activation, MSE and softmax cross-entropy, entry by entry and along directions."""
    model, X, Y, loss = randomized(seed)
    for options in ({}, {"method": "richardson"}, {"directions": 3}):
        with np.errstate(all="raise", under="ignore"):
            report = ns.check_gradients(model, X, Y, loss, **options)
        assert report.status != "failed", str(report)
