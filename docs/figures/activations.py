"""Figures of the activation functions page: each elementwise activation and its derivative."""

import numpy as np
from _kit import figure, plt

import nnspec as ns

PANELS = [
    ("identity", "identity"),
    ("sigmoid", r"sigmoid $\sigma$"),
    ("tanh", "tanh"),
    ("relu", "ReLU"),
    ("leaky_relu", "leaky ReLU (slope 0.01)"),
    ("elu", r"ELU ($\alpha = 1$)"),
    ("softplus", "softplus"),
    ("gelu", "GELU (exact)"),
]


@figure("activations.svg")
def activations_and_derivatives():
    z = np.linspace(-4, 4, 801)
    fig, axes = plt.subplots(2, 4, figsize=(9.0, 4.6), sharex=True, sharey=True)
    for ax, (name, title) in zip(axes.flat, PANELS):
        f = ns.activation(name)
        ax.axhline(0, color="black", linewidth=0.6)
        ax.axvline(0, color="black", linewidth=0.6)
        ax.plot(z, f(z), color="#3949ab", linewidth=2, label="$f(z)$")
        slope = f.grad(z)
        if not f.smooth:
            # Break the derivative's line at the kink and mark nnspec's value at z = 0.
            slope = np.where(z > 0, slope, np.nan)
            ax.plot(z[z <= 0], f.grad(z[z <= 0]), color="#e65100", linewidth=1.8, linestyle="--")
            ax.plot(0.0, f.grad(0.0), "o", color="#e65100", markersize=4)
        ax.plot(z, slope, color="#e65100", linewidth=1.8, linestyle="--", label="$f'(z)$")
        ax.set_title(title, fontsize=10)
        ax.set(xlim=(-4, 4), ylim=(-1.5, 2.5), xticks=[-4, -2, 0, 2, 4], yticks=[-1, 0, 1, 2])
    for ax in axes[1]:
        ax.set_xlabel("$z$")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, bbox_to_anchor=(0.5, -0.04))
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig
