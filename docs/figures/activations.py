"""Figures of the activation functions page: f and f' side by side, and all activations at a glance."""

import numpy as np
from _kit import figure, plt

import nnspec as ns

# Okabe-Ito colours (colour-blind safe); each line also has its own style.
SIDE_BY_SIDE = [
    ("sigmoid", r"sigmoid $\sigma$", "#0072B2", "-"),
    ("tanh", "tanh", "#D55E00", "--"),
    ("relu", "ReLU", "#009E73", "-."),
    ("gelu", "GELU", "#CC79A7", ":"),
]
SATURATED = 3.0  # |z| beyond which sigma' < 0.046 and tanh' < 0.01

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
def values_and_slopes():
    """Left: f(z); right: f'(z), for four activations, with the saturated range shaded."""
    z = np.linspace(-6, 6, 1201)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.0, 4.0))
    for ax in (left, right):
        for side in (-1, 1):
            ax.axvspan(side * SATURATED, side * 6, color="#bdbdbd", alpha=0.35, linewidth=0)
        ax.axhline(0, color="black", linewidth=0.6)
        ax.axvline(0, color="black", linewidth=0.6)
    for name, label, colour, style in SIDE_BY_SIDE:
        f = ns.activation(name)
        left.plot(z, f(z), color=colour, linestyle=style, linewidth=2, label=label)
        slope = f.grad(z)
        if not f.smooth:  # break the line at the kink and mark nnspec's value there
            slope = np.where(z == 0, np.nan, slope)
            right.plot(0.0, f.grad(0.0), "o", color=colour, markersize=5)
        right.plot(z, slope, color=colour, linestyle=style, linewidth=2, label=label)
    left.set(title="the activation $f(z)$", xlabel="$z$", xlim=(-6, 6), ylim=(-1.3, 3.0))
    right.set(title="its derivative $f'(z)$", xlabel="$z$", xlim=(-6, 6), ylim=(-0.25, 1.25))
    right.text(4.5, 0.62, "saturated:\n$\\sigma' < 0.05$\n$\\tanh' < 0.01$", ha="center", fontsize=9)
    right.text(-4.5, 0.62, "saturated", ha="center", fontsize=9)
    left.legend(loc="upper left")
    fig.tight_layout()
    return fig


@figure("activations-gallery.svg")
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
