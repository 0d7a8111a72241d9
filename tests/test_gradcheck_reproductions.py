"""The reproductions of issue 21, each with the outcome it had before and the one it has now.

Before: train-then-check, perfect fits, uncentred targets and random directions with one
large parameter FAILED correct models; a sign flip of layers[1].db[1] in the masked-residual
case PASSED. Now no correct model fails, the flip fails, and what cannot be told is said.
"""

import numpy as np
import pytest

import nnspec as ns
from tests.test_gradcheck_corpus import (
    _flip,
    least_squares_minimum,
    masked_residual,
    one_huge_parameter,
    perfect_linear,
    perfect_tanh,
    planted,
    trained,
    uncentred,
)


@pytest.mark.parametrize("epochs", [1000, 5000])
def test_train_then_check_passes(epochs):
    model, X, Y, loss = trained(epochs)
    report = ns.check_gradients(model, X, Y, loss)
    assert report.status == "passed" and report.passed
    # near the minimum the gradient is small, so the central differences alone could not tell
    alone = ns.check_gradients(model, X, Y, loss, escalate=False)
    assert alone.status in ("passed", "inconclusive")


@pytest.mark.parametrize("case", [perfect_linear, perfect_tanh])
@pytest.mark.parametrize("options", [{}, {"method": "richardson"}, {"method": "complex"}, {"directions": 3}])
def test_a_perfect_fit_is_inconclusive_not_failed(case, options):
    model, X, Y, loss = case()
    report = ns.check_gradients(model, X, Y, loss, **options)
    assert report.status == "inconclusive" and not report.passed
    # every unresolved entry is zero to within its bound: the report says so
    for entry in report.unresolved:
        assert max(abs(entry.analytic), abs(entry.reference)) <= entry.bound
        assert "stationary point" in entry.reason


def test_the_perfect_linear_fit_has_exactly_zero_analytic_gradients():
    model, X, Y, loss = perfect_linear()
    _, grads = model.loss_and_grads(X, Y, loss)
    assert all(not np.any(g) for pair in grads for g in pair)


@pytest.mark.parametrize("offset", [1e6, 1e4])
def test_uncentred_targets_pass(offset):
    model, X, Y, loss = uncentred(offset)
    report = ns.check_gradients(model, X, Y, loss)
    assert report.status == "passed"


def test_uncentred_targets_without_escalation_are_unresolved_not_failed():
    model, X, Y, loss = uncentred(1e6)
    report = ns.check_gradients(model, X, Y, loss, escalate=False)
    assert report.status == "inconclusive"
    assert any("round-off" in entry.reason for entry in report.unresolved)


def test_random_directions_with_one_huge_parameter_pass():
    model, X, Y, loss = one_huge_parameter()
    assert ns.check_gradients(model, X, Y, loss, directions=3).status == "passed"
    assert ns.check_gradients(model, X, Y, loss).status == "passed"


@pytest.mark.parametrize("method", ["complex", "central"])
def test_the_least_squares_minimum_never_fails(method):
    model, X, Y, loss = least_squares_minimum()
    report = ns.check_gradients(model, X, Y, loss, method=method)
    assert report.status == "inconclusive"
    weight, bias = report.entries
    assert weight.status == "passed" and bias.status == "inconclusive"  # dL/db = 0 exactly


def test_masked_residual_sign_flip_fails():
    model, X, Y, loss = masked_residual()
    bugged = planted(model, _flip(1, 1, 1))
    report = ns.check_gradients(bugged, X, Y, loss)
    assert report.status == "failed"
    entry = next(e for e in report.entries if e.name == "layers[1].b")
    assert entry.status == "failed" and entry.index == (1,)
    # the reference is the true entry to within its bound, and the analytic value its negative
    assert abs(entry.analytic + entry.reference) <= entry.bound
    # central differences alone cannot resolve it: the loss's rounding exceeds the entry
    alone = ns.check_gradients(bugged, X, Y, loss, escalate=False)
    bias = next(e for e in alone.entries if e.name == "layers[1].b")
    assert bias.status == "inconclusive" and bias.bound > abs(bias.reference)
    assert alone.status == "inconclusive"


def test_masked_residual_flip_is_diluted_along_random_directions():
    """A bug of 6e-6 projected on a direction whose derivative is ~100 is below 1e-6 of it:
    the directional check passes it, as its promise (tolerance times |g . d| plus the bound)
    allows. Directions dilute a bug confined to a few entries."""
    model, X, Y, loss = masked_residual()
    bugged = planted(model, _flip(1, 1, 1))
    report = ns.check_gradients(bugged, X, Y, loss, directions=4)
    _, right = model.loss_and_grads(X, Y, loss)
    size = 2 * abs(right[1][1][1])
    for entry in report.entries:
        assert entry.difference <= entry.applied_tolerance + entry.bound
        assert size <= entry.applied_tolerance  # the whole bug fits under the tolerance
