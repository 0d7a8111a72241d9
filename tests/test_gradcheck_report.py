"""The report of a gradient check: three outcomes, bounds, applied tolerances, reasons."""

import numpy as np
import pytest

import nnspec as ns
from nnspec import gradcheck
from nnspec.differences import better_step, derivative_with_bound, direction_step
from tests.test_gradcheck_corpus import _flip, masked_residual, perfect_linear, planted

GRADS = [(np.array([[1.0, 2.0]]), np.array([3.0]))]


def compare(reference, bounds, tolerance=1e-6):
    return gradcheck.compare_gradients(GRADS, reference, method="central", tolerance=tolerance, bounds=bounds)


def test_an_entry_fails_only_beyond_tolerance_plus_bound():
    ref = [(np.array([[1.0, 2.0 + 1e-3]]), np.array([3.0]))]
    assert compare(ref, [(np.array([[0.0, 1e-3]]), np.zeros(1))]).status == "inconclusive"
    failed = compare(ref, [(np.array([[0.0, 0.9e-3]]), np.zeros(1))])
    assert failed.status == "failed" and not failed.passed
    entry = failed.entries[0]
    assert entry.index == (0, 1) and entry.status == "failed" and entry.failed_entries == 1
    assert entry.applied_tolerance == pytest.approx(1e-6 * (2.0 + 1e-3), rel=1e-15)
    assert entry.bound == 0.9e-3 and entry.difference == pytest.approx(1e-3, rel=1e-9)
    assert "exceeds the tolerance" in entry.reason


def test_an_entry_is_unresolved_when_its_bound_exceeds_its_tolerance():
    ref = [(np.array([[1.0, 2.0]]), np.array([3.0 + 1e-9]))]
    report = compare(ref, [(np.zeros((1, 2)), np.array([1e-5]))])
    bias = report.entries[1]
    assert report.status == "inconclusive" and not bias.resolved and bias.unresolved_entries == 1
    assert report.unresolved == (bias,) and report.worst is bias
    assert "bound 1.00e-05 exceeds the tolerance 3.00e-06" in bias.reason
    # the same bound below the tolerance: resolved and passed
    assert compare(ref, [(np.zeros((1, 2)), np.array([2e-6]))]).status == "passed"


def test_an_exact_match_is_resolved_whatever_the_bound():
    report = compare(GRADS, [(np.full((1, 2), 1e3), np.array([1e3]))])
    assert report.status == "passed" and all(e.resolved for e in report.entries)


def test_failed_beats_inconclusive_beats_passed():
    ref = [(np.array([[1.5, 2.0 + 1e-9]]), np.array([3.0]))]
    report = compare(ref, [(np.array([[0.0, 1e-3]]), np.zeros(1))])
    weights = report.entries[0]
    assert weights.status == "failed" and weights.failed_entries == 1 and weights.unresolved_entries == 1
    assert report.status == "failed"


def test_a_nan_reference_fails():
    report = compare([(np.array([[1.0, np.nan]]), np.array([3.0]))], None)
    assert report.status == "failed" and report.worst.index == (0, 1)


def test_the_table_shows_values_bound_applied_tolerance_and_outcome():
    ref = [(np.array([[1.0, 2.0]]), np.array([3.0 + 1e-9]))]
    text = compare(ref, [(np.zeros((1, 2)), np.array([1e-5]))]).table()
    lines = text.splitlines()
    assert lines[0] == "gradient check (central): inconclusive"
    assert lines[1].split() == [
        "parameter",
        "index",
        "analytic",
        "reference",
        "|a-b|",
        "bound",
        "tolerance",
        "outcome",
    ]
    assert lines[3].split()[-2:] == ["inconclusive", "(unresolved)"] and "1.00e-05" in lines[3]
    assert lines[4].startswith("  layers[0].b: the error bound")
    assert (
        all(line == line.rstrip() for line in lines) and str(compare(ref, None)) == compare(ref, None).table()
    )


def test_raise_exception_for_failed_and_for_inconclusive():
    model, X, Y, loss = masked_residual()
    bugged = planted(model, _flip(1, 1, 1))
    with pytest.raises(ns.GradientMismatch) as info:
        ns.check_gradients(bugged, X, Y, loss, raise_exception=True)
    assert info.value.parameter == "layers[1].b" and info.value.index == (1,)
    with pytest.raises(gradcheck.GradientCheckInconclusive) as info:
        ns.check_gradients(bugged, X, Y, loss, escalate=False, raise_exception=True)
    assert not isinstance(info.value, ns.GradientMismatch) and isinstance(info.value, AssertionError)
    worst = ns.check_gradients(bugged, X, Y, loss, escalate=False).worst  # the largest bound / tolerance
    assert (info.value.parameter, info.value.index, info.value.reason) == (
        worst.name,
        worst.index,
        worst.reason,
    )
    assert info.value.bound == worst.bound > info.value.tolerance == worst.applied_tolerance
    model, X, Y, loss = perfect_linear()
    with pytest.raises(gradcheck.GradientCheckInconclusive, match="stationary point"):
        ns.check_gradients(model, X, Y, loss, raise_exception=True)


def test_escalation_records_the_scheme_that_decided():
    model, X, Y, loss = masked_residual()
    report = ns.check_gradients(model, X, Y, loss)
    assert report.status == "passed" and report.method == "central"
    assert {e.method for e in report.entries} <= {"central", "richardson", "complex"}
    assert ns.check_gradients(model, X, Y, loss, escalate=False).status == "inconclusive"
    with pytest.raises(ns.ArgumentError, match="escalate must be True or False"):
        ns.check_gradients(model, X, Y, loss, escalate="yes")


def test_kinked_networks_do_not_escalate_to_the_complex_step():
    rng = np.random.default_rng(0)
    model = ns.MLP((3, 4, 2), activation="relu", seed=0)
    report = ns.check_gradients(model, rng.normal(size=(5, 3)), rng.normal(size=(5, 2)), "mse")
    assert report.status == "passed" and all(e.method in ("central", "richardson") for e in report.entries)
    assert all(e.tolerance == 1e-4 for e in report.entries)


def test_loss_round_off_grows_with_the_terms_not_with_the_loss():
    rng = np.random.default_rng(0)
    model = ns.MLP((3, 1), seed=0)
    X = rng.normal(size=(4, 3))
    near = model.forward(X) + 0.1
    small = gradcheck.loss_round_off(model, X, near, ns.mse)
    model.layers[0].b[:] = 1e6  # the same residuals, outputs a million times larger
    large = gradcheck.loss_round_off(model, X, model.forward(X) + 0.1, ns.mse)
    assert ns.mse(near, model.copy().forward(X) - 1e6) == pytest.approx(0.01, rel=1e-6)
    assert large > 1e5 * small


def test_derivative_with_bound_covers_the_true_error():
    for h in (1e-1, 1e-3, 1e-5, 1e-8):
        for method in ("central", "richardson"):
            value, rounding, truncation = derivative_with_bound(lambda t: (np.exp(0.5 + t), 4e-16), h, method)
            assert abs(value - np.exp(0.5)) <= rounding + truncation
    # a large step's bound is truncation, a tiny one's round-off
    _, r_big, t_big = derivative_with_bound(lambda t: (np.exp(t), 4e-16), 1e-1, "central")
    _, r_small, t_small = derivative_with_bound(lambda t: (np.exp(t), 4e-16), 1e-9, "central")
    assert t_big > r_big and r_small > t_small
    with pytest.raises(ns.ArgumentError, match="'central' or 'richardson'"):
        derivative_with_bound(np.exp, 1e-3, "complex")


def test_better_step_balances_round_off_and_truncation():
    assert better_step(1e-5, 1e-9, 1e-9 / 2, "central") == pytest.approx(1e-5)
    assert better_step(1e-5, 8e-6, 1e-12, "central") == pytest.approx(1e-3)  # capped at 100 h
    assert better_step(1e-5, 1.0, 0.0, "richardson") == pytest.approx(1e-3)


def test_the_directional_step_follows_the_component_along_d_not_the_largest_entry():
    x = np.array([1e3, 0.5, -0.5])
    d = np.array([0.0, 0.6, 0.8])
    assert direction_step(x, d, 1e-5) == pytest.approx(1e-5)  # d . x = -0.1: the step is h
    assert direction_step(x, 2 * d, 1e-5) == pytest.approx(0.5e-5)  # in units of d
    assert direction_step(x, np.array([1.0, 0.0, 0.0]), 1e-5) == pytest.approx(1e-2)
    assert direction_step(x, np.zeros(3), 1e-5) == 1e-5
