"""Figures of the weight-initialization page (computed the same way as the page's blocks)."""

import math

import numpy as np
from _kit import figure, plt
from matplotlib.ticker import NullFormatter

import nnspec as ns

LAYERS, WIDTH, BATCH = 20, 256, 512


def _tanh_stds(draw, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((BATCH, WIDTH))
    stds = []
    for _ in range(LAYERS):
        A = np.tanh(A @ draw((WIDTH, WIDTH), rng))
        stds.append(A.std())
    return np.array(stds)


def _recursion():
    xi, weights = np.polynomial.hermite_e.hermegauss(80)
    weights = weights / weights.sum()
    q, stds = 1.0, []
    for _ in range(LAYERS):
        q = weights @ np.tanh(np.sqrt(q) * xi) ** 2
        stds.append(math.sqrt(q))
    return np.array(stds)


@figure("initialization-tanh-depth.svg")
def activation_std_per_layer():
    layers = np.arange(1, LAYERS + 1)
    fig, (full, zoom) = plt.subplots(1, 2, figsize=(9.0, 3.8))
    runs = [
        ("N(0, 1)", lambda shape, rng: ns.random_normal(shape, rng, stddev=1.0), "tab:red"),
        ("N(0, 0.01²)", lambda shape, rng: ns.random_normal(shape, rng, stddev=0.01), "tab:gray"),
        ("he_normal", ns.he_normal, "tab:purple"),
        ("glorot_uniform", ns.glorot_uniform, "tab:green"),
        ("glorot_normal", ns.glorot_normal, "tab:blue"),
    ]
    for label, draw, color in runs:
        stds = _tanh_stds(draw)
        for ax in (full, zoom) if label != "N(0, 0.01²)" else (full,):
            ax.plot(layers, stds, color=color, marker="o", markersize=3, label=label)
    lecun = _tanh_stds(ns.lecun_normal)
    recursion = _recursion()
    for ax in (full, zoom):
        ax.plot(
            layers, lecun, "x", markersize=6, color="tab:orange", label="lecun_normal (= glorot_normal here)"
        )
        ax.plot(layers, recursion, "--", color="black", linewidth=1, label="variance recursion (Glorot)")
        ax.set(yscale="log", xlabel="layer", xticks=[1, 5, 10, 15, 20])
    full.set(ylabel="std of the activations", title="all six")
    zoom.set(ylim=(0.1, 1.2), title="zoom on 0.1 to 1")
    zoom.set_yticks([0.1, 0.2, 0.3, 0.5, 1.0], labels=["0.1", "0.2", "0.3", "0.5", "1"])
    zoom.yaxis.set_minor_formatter(NullFormatter())
    full.legend(loc="lower left", fontsize=7)
    return fig


@figure("initialization-histograms.svg")
def weight_histograms():
    shape = (800, 1250)
    fig, axes = plt.subplots(1, 3, sharex=True, sharey=True, figsize=(9.0, 3.0))
    for ax, init, color in zip(
        axes, (ns.glorot_normal, ns.glorot_uniform, ns.he_normal), ("tab:blue", "tab:green", "tab:purple")
    ):
        w = init(shape, 0)
        bound = init.bound(shape)
        counts, edges = np.histogram(w, bins=120, range=(-0.12, 0.12), density=True)
        ax.stairs(counts, edges, fill=True, color=color, alpha=0.6)
        if init.distribution == "truncated_normal":
            sigma = bound / 2  # the cut is at 2σ of the untruncated normal
            x = np.linspace(-0.12, 0.12, 400)
            pdf = np.exp(-((x / sigma) ** 2) / 2) / (sigma * math.sqrt(2 * math.pi))
            ax.plot(x, pdf, ":", color="black", linewidth=1, label="untruncated normal")
            ax.legend(loc="upper left", fontsize=7)
        for side in (-1, 1):
            ax.axvline(side * bound, color="black", linestyle="--", linewidth=1)
        ax.set(title=f"{init.name}\nbound ±{bound:.4f}", xlabel="weight", ylim=(0, 15))
    axes[0].set_ylabel("density")
    return fig


def _gradient_norms(activation, init, depth=20, width=128, stddev=None):
    """‖∂L/∂W‖ per layer of a depth-layer MLP for one random batch and one random dL/dY."""
    rng = np.random.default_rng(0)
    X, dY = rng.standard_normal((128, width)), rng.standard_normal((128, width))
    net = ns.MLP((width,) * (depth + 1), activation=activation, output=activation, init=init, seed=0)
    if stddev is not None:
        for k, layer in enumerate(net.layers):
            layer.W[:] = ns.random_normal(layer.W.shape, k, stddev=stddev)
    net.forward(X)
    return np.array([np.linalg.norm(dW) for dW, _ in net.backward(dY)])


@figure("initialization-gradient-norms.svg")
def gradient_norms_per_layer():
    layers = np.arange(1, 21)
    fig, (by_activation, by_init) = plt.subplots(1, 2, figsize=(9.0, 3.8), sharey=True)
    for activation, colour, marker in (
        ("sigmoid", "#d55e00", "s"),
        ("tanh", "#0072b2", "o"),
        ("relu", "#009e73", "^"),
    ):
        norms = _gradient_norms(activation, "glorot_uniform")
        by_activation.plot(layers, norms, marker=marker, color=colour, markersize=4, label=activation)
    by_activation.set(title="glorot_uniform, three activations", ylabel="‖∂L/∂W‖ of the layer")
    runs = [
        ("he_normal", "he_normal", None, "#009e73", "-", "^"),
        ("glorot_normal", "glorot_normal", None, "#0072b2", "--", "o"),
        ("N(0, 0.05²), Keras's default", "random_normal", None, "#999999", ":", "v"),
        ("N(0, 0.2²)", "random_normal", 0.2, "#d55e00", "-.", "s"),
    ]
    for label, init, stddev, colour, line, marker in runs:
        norms = _gradient_norms("relu", init, stddev=stddev)
        by_init.plot(layers, norms, line, marker=marker, color=colour, markersize=4, label=label)
    by_init.set(title="ReLU, four initializations")
    for ax in (by_activation, by_init):
        ax.set(
            yscale="log", ylim=(1e-13, 1e9), xlabel="layer (1 = nearest the input)", xticks=[1, 5, 10, 15, 20]
        )
        ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig
