"""Figures of the gradient-checking page: error of three numerical derivatives against the step h."""

import numpy as np
import sympy as sp
from _kit import figure, plt

import nnspec as ns

BLUE, ORANGE, GREEN, GREY = "#3949ab", "#e65100", "#2e7d32", "#757575"

# The page's test function and points: f(x) = exp(sin 3x) / (1 + x^2) at eight points.
POINTS = np.linspace(0.2, 1.5, 8)


def f(x):
    return np.sum(np.exp(np.sin(3 * x)) / (1 + x**2))


def exact_derivative(points):
    """f' from SymPy, evaluated with 30 significant digits, then rounded to float64."""
    t = sp.Symbol("t", real=True)
    derivative = sp.diff(sp.exp(sp.sin(3 * t)) / (1 + t**2), t)
    return np.array([float(derivative.evalf(30, subs={t: sp.Float(p, 30)})) for p in points])


def worst_error(method, h, exact):
    """Largest relative error over the points of ``ns.numerical_gradient`` with step ``h``."""
    return float(np.max(ns.relative_error(ns.numerical_gradient(f, POINTS, method, h), exact)))


@figure("gradient-checking-error.svg")
def error_against_step():
    exact = exact_derivative(POINTS)
    eps = np.finfo(np.float64).eps
    fig, ax = plt.subplots(figsize=(7.5, 4.4))
    curves = [
        ("central", np.logspace(-0.5, -12, 47), BLUE, "central, $O(h^2)$"),
        ("richardson", np.logspace(-0.25, -12, 50), ORANGE, "Richardson, $O(h^4)$"),
        ("complex", np.logspace(-0.5, -20, 40), GREEN, "complex step"),
    ]
    for method, steps, colour, label in curves:
        errors = np.array([worst_error(method, h, exact) for h in steps])
        shown = np.maximum(errors, eps / 4)  # an exact match (error 0) would be drawn at eps/4
        style = {"linestyle": "--", "marker": "s", "markerfacecolor": "none"} if method == "complex" else {}
        ax.loglog(
            steps, shown, color=colour, markersize=3.5, linewidth=1.4, label=label, **{"marker": "o", **style}
        )
        if method != "complex":
            order = 2 if method == "central" else 4
            guide = errors[3] * (steps[:13] / steps[3]) ** order / 30
            ax.loglog(steps[:13], guide, ":", color=colour, linewidth=1.2)
            ax.text(
                steps[9] * 3, guide[9] / 3, f"slope {order}", color=colour, fontsize=9, ha="right", va="top"
            )
    hs = np.logspace(-4, -12, 9)
    ax.loglog(hs, eps / hs, ":", color=GREY, linewidth=1.2)
    ax.text(3e-8, 4e-11, r"round-off $\epsilon / h$", color=GREY, fontsize=9, ha="left", va="top")
    ax.axhline(eps, color=GREY, linewidth=0.8)
    ax.text(1e-10, eps / 2.2, r"machine epsilon $2.2 \times 10^{-16}$", color=GREY, fontsize=9, va="top")
    ax.set(
        xlabel="step $h$",
        ylabel="largest relative error over 8 points",
        title=r"Derivative of $e^{\sin 3x} / (1 + x^2)$ by three schemes",
        ylim=(2e-17, 1.0),
    )
    ax.invert_xaxis()
    ax.legend(loc="upper right")
    fig.tight_layout()
    return fig


def _trained_entry():
    """The 2-4-1 tanh network after 1,000 epochs on sin(x0), and one loss-of-t function per
    scheme along its first-layer weight (0, 1), the entry the old check failed."""
    rng = np.random.default_rng(0)
    model = ns.MLP((2, 4, 1), activation="tanh", seed=0)
    X = rng.uniform(-2, 2, size=(8, 2))
    Y = np.sin(X[:, :1])
    ns.train(model, X, Y, loss="mse", learning_rate=0.1, epochs=1000)
    twin = model.copy()
    W = twin.layers[0].W
    start = W[0, 1]

    def loss_at(t):
        W[0, 1] = start + t
        value = ns.mse(Y, twin.forward(X)), ns.gradcheck.loss_round_off(twin, X, Y, ns.mse)
        W[0, 1] = start
        return value

    _, grads = model.loss_and_grads(X, Y, "mse")
    return loss_at, float(grads[0][0][0, 1])


@figure("gradient-checking-bound.svg")
def error_and_bound_against_step():
    from nnspec.differences import derivative_with_bound

    loss_at, analytic = _trained_entry()
    fig, ax = plt.subplots(figsize=(7.5, 4.4))
    for method, colour, steps in (
        ("central", BLUE, np.logspace(-1, -9, 33)),
        ("richardson", ORANGE, np.logspace(-0.5, -7, 27)),
    ):
        results = [derivative_with_bound(loss_at, h, method) for h in steps]
        errors = np.array([abs(value - analytic) for value, *_ in results])
        bounds = np.array([rounding + truncation for _, rounding, truncation in results])
        ax.loglog(
            steps, np.maximum(errors, 1e-20), "o", color=colour, markersize=3.5, label=f"{method}: error"
        )
        ax.loglog(steps, bounds, "-", color=colour, linewidth=1.6, label=f"{method}: bound")
    ax.axhline(1e-6 * abs(analytic), color=GREY, linestyle="--", linewidth=1.0)
    ax.text(3e-8, 1.5e-6 * abs(analytic), r"tolerance $10^{-6} |a|$", color=GREY, fontsize=9, va="bottom")
    ax.set(
        xlabel="step $h$",
        ylabel=r"$|D - a|$ and its bound",
        title=f"One weight's derivative ({analytic:.2e}) after 1,000 epochs",
        ylim=(1e-18, 1e-4),
    )
    ax.invert_xaxis()
    ax.legend(loc="lower left", ncol=2, fontsize=8)
    fig.tight_layout()
    return fig
