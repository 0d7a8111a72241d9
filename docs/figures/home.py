"""The home page's picture: a 2-3-1 network, its forward pass and the gradients flowing back.

The numbers on the picture are computed by nnspec (a seeded MLP on one input), so the picture
shows what the pages compute: activations left to right, dL/da right to left.
"""

import numpy as np
from _kit import figure, plt
from matplotlib.patches import Circle, FancyArrowPatch

import nnspec as ns

BLUE, ORANGE, GREY = "#1f5fa8", "#b35806", "#555555"


def _values():
    """Forward activations and backward gradients dL/da of a seeded 2-3-1 tanh network."""
    model = ns.MLP((2, 3, 1), activation="tanh", output="identity", seed=3)
    x = np.array([[0.5, -1.0]])
    y = np.array([[1.0]])
    hidden = np.tanh(x @ model.layers[0].W + model.layers[0].b)
    output = model.forward(x)
    d_output = ns.mse.grad(y, output)  # dL/dŷ
    d_hidden = d_output @ model.layers[1].W.T  # dL/dh, by the chain rule
    return x[0], hidden[0], output[0], d_hidden[0], d_output[0]


@figure("home-network.svg")
def network_picture():
    x, hidden, output, d_hidden, d_output = _values()
    fig, ax = plt.subplots(figsize=(7.6, 5.0))
    columns = {0: [(0.0, 1.0), (0.0, -1.0)], 1: [(2.4, 1.9), (2.4, 0.0), (2.4, -1.9)], 2: [(4.8, 0.0)]}
    labels = {0: [f"x₁ = {x[0]:.1f}", f"x₂ = {x[1]:.1f}"]}
    labels[1] = [f"h = {h:+.2f}" for h in hidden]
    labels[2] = [f"ŷ = {output[0]:+.2f}"]
    grads = {1: [f"∂L/∂h = {g:+.2f}" for g in d_hidden], 2: [f"∂L/∂ŷ = {d_output[0]:+.2f}"]}
    for left, right in ((0, 1), (1, 2)):
        for a in columns[left]:
            for b in columns[right]:
                ax.add_patch(
                    FancyArrowPatch(
                        a, b, arrowstyle="-|>", mutation_scale=8, color=GREY, lw=0.8, shrinkA=14, shrinkB=14
                    )
                )
    for layer, points in columns.items():
        for i, (cx, cy) in enumerate(points):
            ax.add_patch(Circle((cx, cy), 0.22, facecolor="white", edgecolor=BLUE, lw=1.8))
            ax.text(
                cx - 0.3 if layer == 0 else cx,
                cy + 0.3,
                labels[layer][i],
                ha="right" if layer == 0 else "center",
                va="bottom",
                color=BLUE,
                fontsize=9,
            )
            if layer in grads:
                ax.text(cx, cy - 0.34, grads[layer][i], ha="center", va="top", color=ORANGE, fontsize=9)
    forward = {"arrowstyle": "-|>", "color": BLUE, "lw": 1.5}
    backward = {"arrowstyle": "-|>", "color": ORANGE, "lw": 1.5, "linestyle": "--"}
    ax.annotate("", xy=(5.2, -3.0), xytext=(-0.4, -3.0), arrowprops=forward)
    ax.text(2.4, -2.9, "forward pass: values", ha="center", va="bottom", color=BLUE)
    ax.annotate("", xy=(-0.4, -3.5), xytext=(5.2, -3.5), arrowprops=backward)
    ax.text(2.4, -3.6, "backward pass: gradients (chain rule)", ha="center", va="top", color=ORANGE)
    ax.set(xlim=(-1.0, 5.8), ylim=(-4.1, 2.7), aspect="equal")
    ax.axis("off")
    return fig
