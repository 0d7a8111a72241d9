"""Figures of the loss-likelihood page: negative log-likelihoods of a Bernoulli and a Gaussian."""

import numpy as np
from _kit import figure, plt

import nnspec as ns

BLUE, ORANGE, GREEN = "#3949ab", "#e65100", "#2e7d32"


@figure("loss-likelihood.svg")
def negative_log_likelihoods():
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.4, 3.6))

    p = np.linspace(0.001, 0.999, 999)
    for label, colour, style in [(1.0, BLUE, "-"), (0.0, ORANGE, "--")]:
        nll = [ns.binary_crossentropy([[label]], [[v]]) for v in p]  # -log p or -log(1 - p)
        left.plot(p, nll, color=colour, linestyle=style, linewidth=2, label=f"observed $y = {label:g}$")
    left.set(title="Bernoulli: $-\\log P(y \\mid p)$", xlabel="predicted probability $p$ of class 1",
             ylabel="negative log-likelihood", ylim=(0, 5))  # fmt: skip
    left.legend(loc="upper center")

    residual = np.linspace(-1.5, 1.5, 301)
    for sigma, colour, style in [(0.2, GREEN, "-"), (0.5, BLUE, "--"), (1.0, ORANGE, "-.")]:
        squared = np.array([ns.mse([[0.0]], [[r]]) for r in residual])
        nll = squared / (2 * sigma**2) + 0.5 * np.log(2 * np.pi * sigma**2)
        right.plot(residual, nll, color=colour, linestyle=style, linewidth=2, label=f"σ = {sigma:g}")
    right.axhline(0, color="black", linewidth=0.8)
    right.set(title="Gaussian: $-\\log p(y \\mid \\hat y)$", xlabel="residual $y - \\hat y$",
              ylabel="negative log-likelihood", ylim=(-1.5, 4))  # fmt: skip
    right.legend(loc="upper center")
    fig.tight_layout()
    return fig
