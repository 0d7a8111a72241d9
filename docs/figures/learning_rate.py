"""Figures of the learning-rate page (computed the same way as the page's blocks)."""

import numpy as np
from _kit import figure, plt

import nnspec as ns

RATES = {1.0: "η = 1 (too large)", 0.1: "η = 0.1", 0.001: "η = 0.001 (too small)"}


@figure("learning-rate-loss.svg")
def loss_per_epoch():
    X = np.linspace(-2, 2, 64).reshape(-1, 1)
    Y = np.sin(2 * X)
    fig, ax = plt.subplots()
    for (eta, label), color in zip(RATES.items(), ["tab:red", "tab:blue", "tab:green"]):
        history = ns.train(ns.MLP((1, 16, 1), seed=0), X, Y, loss="mse", learning_rate=eta, epochs=1000)
        epochs = np.arange(1, len(history.losses) + 1)
        marker = "o" if history.diverged else None
        note = f" (diverged, stopped at epoch {len(epochs)})" if history.diverged else ""
        ax.plot(epochs, history.losses, color=color, marker=marker, markersize=4, label=label + note)
    ax.axhline(Y.var(), color="black", linestyle=":", linewidth=1, label="Var(y): predicting the mean")
    ax.set(xscale="log", yscale="log", xlabel="epoch", ylabel="training loss (MSE)")
    ax.legend(loc="upper right", fontsize=8)
    return fig


def _f(x):
    return x**4 - 3 * x**2 + x


def _grad(x):
    return 4 * x**3 - 6 * x + 1


@figure("learning-rate-double-well.svg")
def double_well_trajectories():
    x = np.linspace(-2.1, 2.1, 400)
    fig, axes = plt.subplots(1, 3, sharey=True, figsize=(9.0, 3.2))
    for ax, eta in zip(axes, (0.01, 0.1, 0.3)):
        path = ns.gradient_descent(_grad, 2.0, eta, 200)
        ax.plot(x, _f(x), color="black", linewidth=1)
        shown = path[np.abs(path) <= 2.1]
        if len(shown) < len(path):  # diverged: show the start and say where it went
            ax.plot(shown, _f(shown), "o", color="tab:red", markersize=5)
            ax.annotate(
                f"x₁ = {path[1]:.1f}\nx₂ = {path[2]:.0f}\n… diverges",
                xy=(-2.05, 2.0),
                xytext=(-1.5, 3.2),
                fontsize=8,
                arrowprops={"arrowstyle": "->", "color": "tab:red"},
            )
        else:
            ax.plot(path, _f(path), "-o", color="tab:blue", markersize=3, linewidth=0.8, alpha=0.8)
            ax.plot(path[-1], _f(path[-1]), "*", color="tab:orange", markersize=12)
        ax.plot(path[0], _f(path[0]), "s", color="black", markersize=5)
        ax.set(title=f"η = {eta}", xlabel="x", ylim=(-4.2, 7.0))
    axes[0].set_ylabel("f(x) = x⁴ − 3x² + x")
    return fig


H_2D = np.array([[5.0, 2.0], [2.0, 2.0]])  # eigenvalues 6 and 1: 2/λmax = 1/3, best rate 2/7
START = np.array([1.0, -1.0])


@figure("learning-rate-contours.svg")
def paths_on_contours():
    """Gradient-descent paths on f = θᵀHθ/2 below, at the best rate, near and above 2/λmax."""
    bound = ns.critical_learning_rate(H_2D)
    runs = [
        (0.5 * bound, "η = 0.5 · 2/λmax", 30),
        (2 / 7, "η = 2/(λmax + λmin), the best", 30),
        (0.95 * bound, "η = 0.95 · 2/λmax: zig-zag", 30),
        (1.05 * bound, "η = 1.05 · 2/λmax: diverges", 14),
    ]
    grid = np.linspace(-2.2, 2.2, 201)
    g1, g2 = np.meshgrid(grid, grid)
    values = 0.5 * (H_2D[0, 0] * g1**2 + 2 * H_2D[0, 1] * g1 * g2 + H_2D[1, 1] * g2**2)
    fig, axes = plt.subplots(2, 2, figsize=(8.0, 7.6), sharex=True, sharey=True)
    for ax, (eta, title, steps), colour in zip(
        axes.ravel(), runs, ["#0072b2", "#009e73", "#e69f00", "#d55e00"]
    ):
        path = ns.gradient_descent(lambda th: H_2D @ th, START, eta, steps)
        ax.contour(g1, g2, values, levels=[0.05, 0.2, 0.5, 1, 2, 4, 8], colors="#9e9e9e", linewidths=0.8)
        ax.plot(path[:, 0], path[:, 1], "-o", color=colour, markersize=3.5, linewidth=1.2)
        ax.plot(*START, "s", color="black", markersize=6)
        ax.plot(0, 0, "*", color="black", markersize=10)
        final = np.linalg.norm(path[-1])
        ax.set_title(f"{title}\n|θ| after {steps} steps: {final:.2g}", fontsize=9)
        ax.set(xlim=(-2.2, 2.2), ylim=(-2.2, 2.2), aspect="equal")
    for ax in axes[1]:
        ax.set_xlabel("θ₁")
    for ax in axes[:, 0]:
        ax.set_ylabel("θ₂")
    fig.tight_layout()
    return fig
