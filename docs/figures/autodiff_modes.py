"""Figure of the forward-and-reverse-mode page: the cost of a gradient in each mode, counted."""

from functools import partial

import numpy as np
from _kit import figure, plt

import nnspec as ns

BLUE, VERMILLION, GREY = "#0072B2", "#D55E00", "#555555"
BATCH = 16
WIDTHS = [2, 4, 8, 16, 32, 64, 128, 256]  # networks (16, w, w, 1)


def multiply_adds(run):
    """Multiply-adds of every ``np.matmul`` that ``run()`` makes: r*s*c for an (r x s) @ (s x c)."""
    counts, original = [], np.matmul

    def counting(a, b, *args, **kwargs):
        rows = a.shape[0] if a.ndim == 2 else 1
        counts.append(rows * a.shape[-1] * (b.shape[1] if b.ndim == 2 else 1))
        return original(a, b, *args, **kwargs)

    np.matmul = counting
    try:
        run()
    finally:
        np.matmul = original
    return sum(counts)


def costs():
    """Parameters, one forward pass, reverse mode and forward mode (multiply-adds) per width."""
    rng = np.random.default_rng(0)
    rows = []
    for width in WIDTHS:
        model = ns.MLP((16, width, width, 1), seed=0)
        X, dY = rng.normal(size=(BATCH, 16)), rng.normal(size=(BATCH, 1))
        forward = multiply_adds(partial(model.forward, X))
        reverse = forward + multiply_adds(partial(model.backward, dY))
        twin = model.copy(dtype=np.complex128)  # forward mode: the complex step, one pass per parameter
        one_tangent = multiply_adds(partial(twin.forward, X.astype(np.complex128)))
        rows.append((model.num_parameters, forward, reverse, model.num_parameters * one_tangent))
    return np.array(rows, dtype=float)


@figure("forward-reverse-cost.svg")
def gradient_cost():
    P, forward, reverse, forward_mode = costs().T
    fig, ax = plt.subplots(figsize=(7.0, 4.2))
    ax.loglog(P, forward_mode, "s--", color=VERMILLION, label="forward mode: one pass per parameter")
    ax.loglog(P, reverse, "o-", color=BLUE, label="reverse mode (backpropagation)")
    ax.loglog(P, forward, ":", color=GREY, label="one forward pass")
    for p, f, r in zip(P[::3], forward[::3], reverse[::3]):
        label = f"{r / f:.2f} forward passes"
        ax.annotate(
            label, (p, r), textcoords="offset points", xytext=(-8, 9), ha="left", fontsize=8, color=BLUE
        )
    ax.set(
        xlabel="parameters $P$ of the network (16, w, w, 1)",
        ylabel="multiply-adds in np.matmul, batch of 16",
        title="Cost of one gradient, counted",
    )
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig
