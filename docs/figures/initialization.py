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
