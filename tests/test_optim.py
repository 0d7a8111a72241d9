import numpy as np
import pytest

import nnspec as ns


def test_sgd_moves_against_the_gradient_in_place():
    W, b = np.array([[1.0, 2.0]]), np.array([0.5])
    gW, gb = np.array([[0.5, -1.0]]), np.array([2.0])
    same_W = W
    ns.SGD(0.1).step([(W, b)], [(gW, gb)])
    assert same_W is W
    np.testing.assert_allclose(W, [[1.0 - 0.05, 2.0 + 0.1]], rtol=1e-15)
    np.testing.assert_allclose(b, [0.5 - 0.2], rtol=1e-15)


@pytest.mark.parametrize("rate", [0, -0.1, float("nan"), float("inf"), True, "0.1"])
def test_learning_rate_must_be_positive_and_finite(rate):
    with pytest.raises(ns.ArgumentError, match="learning_rate must be a finite number > 0"):
        ns.SGD(rate)


def test_step_checks_structure():
    with pytest.raises(ns.ShapeError, match=r"params\[0\] has shape \(2,\) but grads\[0\] has shape \(3,\)"):
        ns.SGD(0.1).step([np.zeros(2)], [np.zeros(3)])


def _regression(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(64, 3))
    Y = np.sin(X @ np.array([[1.0], [-2.0], [0.5]]))
    return X, Y


def test_training_is_deterministic_given_the_seed():
    X, Y = _regression()
    runs = []
    for _ in range(2):
        model = ns.MLP((3, 8, 1), seed=1)
        runs.append(ns.train(model, X, Y, loss="mse", learning_rate=0.05, epochs=20, batch_size=16, seed=3))
    np.testing.assert_array_equal(runs[0].batch_losses, runs[1].batch_losses)
    assert len(runs[0].losses) == 20 and len(runs[0].batch_losses) == 20 * 4


def test_good_rate_converges_and_huge_rate_diverges():
    X, Y = _regression()
    good = ns.train(ns.MLP((3, 8, 1), seed=1), X, Y, loss="mse", learning_rate=0.1, epochs=300)
    assert not good.diverged and good.final_loss < 0.1 * good.losses[0]
    bad = ns.train(ns.MLP((3, 8, 1), seed=1), X, Y, loss="mse", learning_rate=50.0, epochs=300)
    assert bad.diverged
    assert len(bad.losses) < 300  # training stopped at the divergence
    last = bad.batch_losses[-1]
    assert not np.isfinite(last) or last > 1e6 * bad.batch_losses[0]


def test_gradient_descent_on_a_parabola_is_a_geometric_sequence():
    for eta in (0.1, 0.4, 0.75):
        path = ns.gradient_descent(lambda x: 2 * x, 1.0, eta, 30)
        np.testing.assert_allclose(path, (1 - 2 * eta) ** np.arange(31), rtol=1e-12, atol=1e-300)


def test_gradient_descent_stops_at_the_last_finite_iterate():
    path = ns.gradient_descent(lambda x: 2 * x, 1.0, 10.0, 2000)
    assert len(path) < 2001 and np.all(np.isfinite(path))


def test_critical_learning_rate_is_two_over_the_largest_eigenvalue():
    H = np.array([[3.0, 1.0], [1.0, 3.0]])  # eigenvalues 2 and 4
    assert ns.critical_learning_rate(H) == pytest.approx(0.5, rel=1e-15)


@pytest.mark.parametrize(
    ("H", "message"),
    [
        (np.zeros((2, 3)), r"square matrix, got shape \(2, 3\)"),
        (np.array([[1.0, 2.0], [0.0, 1.0]]), r"hessian must be symmetric"),
        (-np.eye(2), r"no positive eigenvalue"),
        (np.array([[np.nan]]), r"hessian must be finite"),
    ],
)
def test_critical_learning_rate_refuses_bad_hessians(H, message):
    with pytest.raises(ValueError, match=message):
        ns.critical_learning_rate(H)


def test_train_validates_its_arguments():
    X, Y = _regression()
    with pytest.raises(ns.ArgumentError, match="epochs must be a positive integer, got 0"):
        ns.train(ns.MLP((3, 1)), X, Y, loss="mse", learning_rate=0.1, epochs=0)
    with pytest.raises(ns.ShapeError, match="same number of rows"):
        ns.train(ns.MLP((3, 1)), X, Y[:5], loss="mse", learning_rate=0.1, epochs=1)
