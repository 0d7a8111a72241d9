import mpmath as mp
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


# --- the optimizers' update rules, against the papers' formulas written out by hand ---


def _grads(steps, shape=(3, 2), seed=4):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=shape) for _ in range(steps)]


def test_sgd_update_is_one_parameter_of_step():
    W, gW = np.array([[1.0, 2.0]]), np.array([[0.5, -1.0]])
    ns.SGD(0.1).update(W, gW)
    np.testing.assert_allclose(W, [[0.95, 2.1]], rtol=1e-15)
    np.testing.assert_array_equal(gW, [[0.5, -1.0]])  # the gradient is left alone


@pytest.mark.parametrize("momentum", [0.0, 0.5, 0.9])
def test_momentum_is_polyaks_heavy_ball(momentum):
    # Sutskever et al. (2013), eq. 1-2: v <- mu v - eta g ; theta <- theta + v
    theta0 = np.random.default_rng(0).normal(size=(3, 2))
    theta, opt = theta0.copy(), ns.Momentum(0.1, momentum=momentum)
    expected, v = theta0.copy(), np.zeros_like(theta0)
    for g in _grads(6):
        opt.update(theta, g)
        v = momentum * v - 0.1 * g
        expected = expected + v
    np.testing.assert_allclose(theta, expected, rtol=1e-14, atol=1e-15)


def test_nesterov_momentum_looks_ahead():
    # Nesterov in the form of Bengio et al. (2013) / Keras: v <- mu v - eta g ; theta <- theta + mu v - eta g
    theta, opt = np.zeros(4), ns.Momentum(0.2, momentum=0.8, nesterov=True)
    expected, v = np.zeros(4), np.zeros(4)
    for g in _grads(5, shape=(4,)):
        opt.update(theta, g)
        v = 0.8 * v - 0.2 * g
        expected = expected + 0.8 * v - 0.2 * g
    np.testing.assert_allclose(theta, expected, rtol=1e-14, atol=1e-15)


def test_momentum_under_a_constant_gradient_approaches_eta_g_over_one_minus_mu():
    theta, opt, g = np.zeros(1), ns.Momentum(0.1, momentum=0.9), np.ones(1)
    previous = 0.0
    for t in range(1, 301):
        opt.update(theta, g)
        step, previous = previous - theta[0], theta[0]
        # the geometric sum: step_t = eta g (1 - mu^t) / (1 - mu)
        assert step == pytest.approx(0.1 * (1 - 0.9**t) / (1 - 0.9), rel=1e-12)
    assert step == pytest.approx(1.0, rel=1e-12)


def test_adam_is_kingma_and_ba_algorithm_1():
    eta, b1, b2, eps = 0.01, 0.8, 0.99, 1e-7
    theta0 = np.random.default_rng(1).normal(size=(3, 2))
    theta, opt = theta0.copy(), ns.Adam(eta, beta1=b1, beta2=b2, epsilon=eps)
    expected, m, v = theta0.copy(), np.zeros_like(theta0), np.zeros_like(theta0)
    for t, g in enumerate(_grads(7), start=1):
        opt.update(theta, g)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        expected = expected - eta * m_hat / (np.sqrt(v_hat) + eps)
    np.testing.assert_allclose(theta, expected, rtol=1e-13, atol=1e-15)


def test_adams_first_step_is_eta_times_the_sign_of_the_gradient():
    # bias correction makes m_hat = g and v_hat = g^2 at t = 1, so the step is eta g / (|g| + eps)
    g = np.array([1e-3, -2.0, 40.0, -7e2])
    theta = np.zeros(4)
    ns.Adam(0.05, epsilon=1e-12).update(theta, g)
    np.testing.assert_allclose(theta, -0.05 * np.sign(g), rtol=1e-8)


def test_stateful_optimizers_keep_state_per_parameter():
    a, b = np.zeros(2), np.zeros(2)
    opt = ns.Momentum(0.1, momentum=0.5)
    opt.step([a, b], [np.ones(2), np.ones(2)])
    opt.step([a, b], [np.ones(2), np.ones(2)])
    np.testing.assert_allclose(a, [-0.25, -0.25], rtol=1e-15)  # -0.1, then -(0.05 + 0.1)
    np.testing.assert_array_equal(a, b)  # b did not share a's velocity


@pytest.mark.parametrize(
    "opt",
    [
        ns.SGD(0.1),
        ns.Momentum(0.1),
        ns.Momentum(0.1, nesterov=True),
        ns.Adam(0.1),
        ns.AdaGrad(0.1),
        ns.RMSProp(0.1),
        ns.AdamW(0.1),
    ],
    ids=repr,
)
def test_updates_allocate_nothing_after_the_first(opt):
    import tracemalloc

    W, g = np.zeros((256, 256)), np.ones((256, 256))
    opt.update(W, g)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        for _ in range(3):
            opt.update(W, g)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak - before < W.nbytes // 4  # no temporary the size of W


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: ns.Momentum(0.1, momentum=1.0), r"momentum must be a number in \[0, 1\), got 1.0"),
        (lambda: ns.Momentum(0.1, momentum="0.9"), r"momentum must be a number in \[0, 1\)"),
        (lambda: ns.Momentum(0.1, nesterov=1), "nesterov must be True or False"),
        (lambda: ns.Adam(beta1=-0.1), r"beta1 must be a number in \[0, 1\)"),
        (lambda: ns.Adam(beta2=1), r"beta2 must be a number in \[0, 1\)"),
        (lambda: ns.Adam(epsilon=0), "epsilon must be a finite number > 0"),
        (lambda: ns.Adam(learning_rate=float("nan")), "learning_rate must be a finite number > 0"),
        (lambda: ns.AdaGrad(0.1, epsilon=-1e-8), "epsilon must be a finite number > 0"),
        (lambda: ns.AdaGrad(0), "learning_rate must be a finite number > 0"),
        (lambda: ns.RMSProp(0.1, rho=1.0), r"rho must be a number in \[0, 1\), got 1.0"),
        (lambda: ns.RMSProp(0.1, epsilon=0), "epsilon must be a finite number > 0"),
        (lambda: ns.AdamW(weight_decay=-0.01), "weight_decay must be a finite number >= 0, got -0.01"),
        (lambda: ns.AdamW(weight_decay=float("inf")), "weight_decay must be a finite number >= 0"),
        (lambda: ns.AdamW(weight_decay="0.1"), "weight_decay must be a finite number >= 0"),
        (lambda: ns.AdamW(beta2=1.5), r"beta2 must be a number in \[0, 1\)"),
    ],
)
def test_optimizer_arguments_are_checked(make, message):
    with pytest.raises(ns.ArgumentError, match=message):
        make()


@pytest.mark.parametrize(
    "opt",
    [ns.SGD(0.1), ns.Momentum(0.1), ns.Adam(0.1), ns.AdaGrad(0.1), ns.RMSProp(0.1), ns.AdamW()],
    ids=repr,
)
def test_update_refuses_a_gradient_of_another_shape(opt):
    with pytest.raises(ns.ShapeError, match=r"grad has shape \(1, 3\) but param has shape \(3,\)"):
        opt.update(np.zeros(3), np.ones((1, 3)))


def test_train_takes_an_optimizer_and_it_matches_the_manual_loop():
    X, Y = _regression()
    for opt, twin in [
        (ns.SGD(0.05), ns.SGD(0.05)),
        (ns.Adam(0.01), ns.Adam(0.01)),
        (ns.Momentum(0.02), ns.Momentum(0.02)),
        (ns.AdaGrad(0.05), ns.AdaGrad(0.05)),
        (ns.RMSProp(0.01), ns.RMSProp(0.01)),
        (ns.AdamW(0.01, weight_decay=0.1), ns.AdamW(0.01, weight_decay=0.1)),
    ]:
        trained = ns.MLP((3, 8, 1), seed=1)
        history = ns.train(trained, X, Y, loss="mse", optimizer=opt, epochs=3)
        manual = ns.MLP((3, 8, 1), seed=1)
        losses = []
        for _ in range(3):  # the loop the pages teach, with the same optimizer rule
            output = manual.forward(X)
            losses.append(ns.mse(Y, output))
            twin.step(manual.parameters(), manual.backward(ns.mse.grad(Y, output)))
        np.testing.assert_allclose(history.batch_losses, losses, rtol=1e-12)
        for (W, b), (W2, b2) in zip(trained.parameters(), manual.parameters()):
            np.testing.assert_allclose(W, W2, rtol=1e-11, atol=1e-14)
            np.testing.assert_allclose(b, b2, rtol=1e-11, atol=1e-14)


def test_train_with_learning_rate_is_train_with_sgd():
    X, Y = _regression()
    a, b = ns.MLP((3, 8, 1), seed=1), ns.MLP((3, 8, 1), seed=1)
    ha = ns.train(a, X, Y, loss="mse", learning_rate=0.05, epochs=5, batch_size=16)
    hb = ns.train(b, X, Y, loss="mse", optimizer=ns.SGD(0.05), epochs=5, batch_size=16)
    np.testing.assert_array_equal(ha.batch_losses, hb.batch_losses)


def test_train_needs_exactly_one_of_learning_rate_and_optimizer():
    X, Y = _regression()
    with pytest.raises(ns.ArgumentError, match=r"either learning_rate .* or optimizer"):
        ns.train(ns.MLP((3, 1)), X, Y, loss="mse", epochs=1)
    with pytest.raises(ns.ArgumentError, match=r"either learning_rate .* or optimizer"):
        ns.train(ns.MLP((3, 1)), X, Y, loss="mse", learning_rate=0.1, optimizer=ns.SGD(0.1), epochs=1)
    with pytest.raises(ns.ArgumentError, match=r"optimizer must have an update\(param, grad\) method"):
        ns.train(ns.MLP((3, 1)), X, Y, loss="mse", optimizer=0.1, epochs=1)


def test_any_object_with_update_is_an_optimizer():
    class SignDescent:  # only the one-method contract, no update_product
        def update(self, param, grad):
            param -= 0.01 * np.sign(grad)

    X, Y = _regression()
    model = ns.MLP((3, 8, 1), seed=1)
    before = [W.copy() for W, _ in model.parameters()]
    ns.train(model, X, Y, loss="mse", optimizer=SignDescent(), epochs=1)
    for (W, _), W0 in zip(model.parameters(), before):
        moved = np.abs(W - W0)[W != W0]
        assert moved.size > W.size // 2
        np.testing.assert_allclose(moved, 0.01, rtol=1e-9)


# --- AdaGrad, RMSProp and AdamW against the papers' formulas in 40-digit arithmetic ---


def _mp_run(rule, steps=7, shape=(3, 2)):
    """Run ``rule(theta, g, t, state)`` (mpmath numbers, per entry) over the _grads sequence."""
    theta0 = np.random.default_rng(2).normal(size=shape)
    grads = _grads(steps, shape=shape)
    with mp.workdps(40):
        out = np.empty(shape)
        for index in np.ndindex(*shape):
            theta, state = mp.mpf(theta0[index]), {}
            for t, g in enumerate(grads, start=1):
                theta = rule(theta, mp.mpf(g[index]), t, state)
            out[index] = float(theta)
    return theta0, grads, out


def _apply(opt, theta0, grads):
    theta = theta0.copy()
    for g in grads:
        opt.update(theta, g)
    return theta


def test_adagrad_is_duchi_hazan_singer():
    eta, eps = mp.mpf("0.1"), mp.mpf("1e-8")

    def rule(theta, g, t, state):
        state["G"] = state.get("G", 0) + g * g
        return theta - eta * g / (mp.sqrt(state["G"]) + eps)

    theta0, grads, expected = _mp_run(rule)
    np.testing.assert_allclose(_apply(ns.AdaGrad(0.1), theta0, grads), expected, rtol=1e-14, atol=1e-16)


def test_adagrads_steps_shrink_like_one_over_root_t_under_a_constant_gradient():
    theta, opt = np.zeros(1), ns.AdaGrad(0.5, epsilon=1e-300)
    previous = 0.0
    for t in range(1, 50):
        opt.update(theta, np.array([-3.0]))
        step, previous = theta[0] - previous, theta[0]
        assert step == pytest.approx(0.5 / np.sqrt(t), rel=1e-14)  # eta * 3 / sqrt(9 t)


def test_rmsprop_is_tieleman_and_hinton():
    eta, rho, eps = mp.mpf("0.01"), mp.mpf("0.8"), mp.mpf("1e-7")

    def rule(theta, g, t, state):
        state["v"] = rho * state.get("v", 0) + (1 - rho) * g * g
        return theta - eta * g / (mp.sqrt(state["v"]) + eps)

    theta0, grads, expected = _mp_run(rule)
    opt = ns.RMSProp(0.01, rho=0.8, epsilon=1e-7)
    np.testing.assert_allclose(_apply(opt, theta0, grads), expected, rtol=1e-14, atol=1e-16)


def test_rmsprops_first_step_has_no_bias_correction():
    # v = (1 - rho) g^2, so the step is eta / sqrt(1 - rho) = eta * sqrt(10) for rho = 0.9
    theta = np.zeros(2)
    ns.RMSProp(0.01, epsilon=1e-300).update(theta, np.array([5.0, -1e-3]))
    np.testing.assert_allclose(theta, [-0.01 * np.sqrt(10), 0.01 * np.sqrt(10)], rtol=1e-14)


def test_adamw_is_loshchilov_and_hutter_algorithm_2():
    eta, b1, b2, eps, lam = (mp.mpf(x) for x in ("0.01", "0.8", "0.99", "1e-7", "0.3"))

    def rule(theta, g, t, state):
        state["m"] = b1 * state.get("m", 0) + (1 - b1) * g
        state["v"] = b2 * state.get("v", 0) + (1 - b2) * g * g
        m_hat, v_hat = state["m"] / (1 - b1**t), state["v"] / (1 - b2**t)
        return theta - eta * (m_hat / (mp.sqrt(v_hat) + eps) + lam * theta)

    theta0, grads, expected = _mp_run(rule)
    opt = ns.AdamW(0.01, beta1=0.8, beta2=0.99, epsilon=1e-7, weight_decay=0.3)
    np.testing.assert_allclose(_apply(opt, theta0, grads), expected, rtol=1e-13, atol=1e-15)


def test_adamw_without_decay_is_adam():
    theta0, grads = np.random.default_rng(3).normal(size=(4, 3)), _grads(5, shape=(4, 3))
    np.testing.assert_array_equal(
        _apply(ns.AdamW(0.02, weight_decay=0), theta0, grads), _apply(ns.Adam(0.02), theta0, grads)
    )


def test_adamws_decay_is_not_scaled_by_the_gradient_size():
    # decoupled: with the same adaptive step, a coordinate with a huge gradient and one with a
    # tiny gradient lose the same fraction eta * lambda of their value (L2 inside Adam would not)
    g = np.array([1e4, 1e-4])
    theta_w, theta_a = np.array([3.0, 3.0]), np.array([3.0, 3.0])
    ns.AdamW(0.1, weight_decay=0.5, epsilon=1e-300).update(theta_w, g)
    ns.Adam(0.1, epsilon=1e-300).update(theta_a, g)
    np.testing.assert_allclose(theta_a - theta_w, [3.0 * 0.05, 3.0 * 0.05], rtol=1e-13)


# --- clip_by_norm ---


def test_clip_by_norm_rescales_to_the_limit_keeping_the_direction():
    grads = [(np.array([[3.0]]), np.array([4.0, 12.0]))]  # global norm 13
    clipped = ns.clip_by_norm(grads, 6.5)
    np.testing.assert_allclose(clipped[0][0], [[1.5]], rtol=1e-15)
    np.testing.assert_allclose(clipped[0][1], [2.0, 6.0], rtol=1e-15)
    assert isinstance(clipped, list) and isinstance(clipped[0], tuple)
    np.testing.assert_array_equal(grads[0][1], [4.0, 12.0])  # the input is left unchanged


def test_clip_by_norm_returns_copies_below_the_limit():
    grads = [np.array([0.3, -0.4]), np.array([[0.0]])]
    clipped = ns.clip_by_norm(grads, 0.5)  # norm exactly 0.5: not scaled
    for new, old in zip(clipped, grads):
        np.testing.assert_array_equal(new, old)
        assert not np.shares_memory(new, old)
    clipped[0][0] = 9.0
    assert grads[0][0] == 0.3


def test_clip_by_norm_does_not_overflow_and_keeps_the_dtype():
    big = np.array([3e200, 4e200])
    np.testing.assert_allclose(ns.clip_by_norm(big, 1.0), [0.6, 0.8], rtol=1e-15)
    small = ns.clip_by_norm([np.array([3.0, 4.0], dtype=np.float32)], 1.0)[0]
    assert small.dtype == np.float32
    np.testing.assert_allclose(small, [0.6, 0.8], rtol=1e-7)
    np.testing.assert_array_equal(ns.clip_by_norm([np.zeros(3)], 1.0)[0], np.zeros(3))


def test_clip_by_norm_refuses_non_finite_gradients_and_bad_limits():
    with pytest.raises(ns.ArgumentError, match=r"grads\[1\] has NaN or infinite entries"):
        ns.clip_by_norm([np.ones(2), np.array([np.inf])], 1.0)
    for bad in (0, -1.0, float("nan")):
        with pytest.raises(ns.ArgumentError, match="max_norm must be a finite number > 0"):
            ns.clip_by_norm([np.ones(2)], bad)
    with pytest.raises(ns.ArgumentError, match="grads must be arrays"):
        ns.clip_by_norm([1.0, 2.0], 1.0)
