"""Figures of the chain-rule page (computed the same way as the page's blocks)."""

import numpy as np
from _kit import figure, plt

W, B = np.array([0.3, -0.8, 0.5]), 0.1
X0 = np.array([0.5, -1.0, 2.0])
DIRECTION = np.array([1.0, 2.0, -2.0]) / 3.0


def _neuron(x):
    return np.tanh(x @ W + B)


@figure("chain-rule-linear-approximation.svg")
def linear_approximation_error():
    gradient = (1 - _neuron(X0) ** 2) * W
    steps = 2.0 ** -np.arange(6, 16)
    fig, ax = plt.subplots()
    for vector, label, color in [
        (gradient, "v = ∇f(x₀): error ∝ h²", "tab:blue"),
        (1.1 * gradient, "v = 1.1 ∇f(x₀): error ∝ h", "tab:red"),
    ]:
        errors = [abs(_neuron(X0 + h * DIRECTION) - _neuron(X0) - h * vector @ DIRECTION) for h in steps]
        slope, _ = np.polyfit(np.log(steps), np.log(errors), 1)
        ax.plot(steps, errors, "o-", color=color, markersize=4, label=f"{label} (fitted slope {slope:.2f})")
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="step length h",
        ylabel="|f(x₀ + h d) − f(x₀) − h v·d|",
        title="Error of the linear approximation of f(x) = tanh(w·x + b)",
    )
    ax.legend(loc="lower right", fontsize=8)
    return fig
