"""Figures of the learning-rate-in-practice page: optimizers on a narrow valley, schedule shapes."""

import numpy as np
from _kit import figure, plt

import nnspec as ns

VALLEY = np.array([1.0, 50.0])  # f = (x² + 50 y²)/2: condition number κ = 50
VALLEY_START = np.array([-4.0, 1.0])
VALLEY_STEPS = 100


def valley_runs():
    """Paths of SGD, heavy-ball momentum and Adam on the valley, as (label, path) pairs."""
    eta = 2 / (VALLEY[0] + VALLEY[1])  # the best fixed rate for plain gradient descent
    optimizers = [
        ("SGD, η = 2/51", ns.SGD(eta)),
        ("momentum 0.7, η = 2/51", ns.Momentum(eta, momentum=0.7)),
        ("Adam, η = 0.1", ns.Adam(0.1)),
    ]
    runs = []
    for label, optimizer in optimizers:
        theta, path = VALLEY_START.copy(), [VALLEY_START.copy()]
        for _ in range(VALLEY_STEPS):
            optimizer.update(theta, VALLEY * theta)
            path.append(theta.copy())
        runs.append((label, np.array(path)))
    return runs


@figure("learning-rate-optimizers.svg")
def optimizers_on_a_valley():
    grid_x, grid_y = np.meshgrid(np.linspace(-4.5, 4.5, 301), np.linspace(-1.3, 1.3, 201))
    values = 0.5 * (VALLEY[0] * grid_x**2 + VALLEY[1] * grid_y**2)
    fig, (paths, errors) = plt.subplots(1, 2, figsize=(9.5, 3.8), width_ratios=(1.5, 1))
    paths.contour(
        grid_x, grid_y, values, levels=[0.1, 0.5, 1.5, 4, 9, 16, 30], colors="#9e9e9e", linewidths=0.8
    )
    styles = [("#0072b2", "-", "o"), ("#d55e00", "--", "s"), ("#009e73", ":", "^")]
    for (label, path), (colour, line, marker) in zip(valley_runs(), styles):
        shown = path[:40]
        paths.plot(
            shown[:, 0],
            shown[:, 1],
            line,
            marker=marker,
            color=colour,
            markersize=3,
            linewidth=1.2,
            label=label,
        )
        errors.semilogy(
            np.linalg.norm(path, axis=1),
            line,
            color=colour,
            linewidth=1.5,
            marker=marker,
            markevery=10,
            markersize=4,
            label=label,
        )
    paths.plot(*VALLEY_START, "s", color="black", markersize=6)
    paths.plot(0, 0, "*", color="black", markersize=10)
    paths.set(xlabel="θ₁", ylabel="θ₂", title="first 40 steps on f = (θ₁² + 50 θ₂²)/2")
    errors.set(xlabel="step", ylabel="distance to the minimum", title="κ = 50")
    errors.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    return fig


def schedules(steps=1000, peak=0.1, warmup=100):
    """Rate per step for the four schedules of the page."""
    t = np.arange(steps)
    cosine = 0.5 * peak * (1 + np.cos(np.pi * t / steps))
    return {
        "constant": np.full(steps, peak),
        "step: ÷10 at 50% and 75%": peak * 0.1 ** ((t >= steps // 2) + (t >= 3 * steps // 4)),
        "cosine": cosine,
        "linear warm-up, then cosine": np.where(
            t < warmup,
            peak * (t + 1) / warmup,
            0.5 * peak * (1 + np.cos(np.pi * (t - warmup) / (steps - warmup))),
        ),
    }


@figure("learning-rate-schedules.svg")
def schedule_shapes():
    fig, ax = plt.subplots(figsize=(8.5, 3.4))
    styles = [("#0072b2", "-"), ("#d55e00", "--"), ("#009e73", "-."), ("#cc79a7", ":")]
    for (label, rates), (colour, line) in zip(schedules().items(), styles):
        ax.plot(rates, line, color=colour, linewidth=2, label=label)
    ax.set(xlabel="step", ylabel="learning rate", ylim=(0, 0.11))
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    return fig
