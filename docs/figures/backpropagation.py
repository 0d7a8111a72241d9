"""Figures of the backpropagation page: the computational graph of a 2-2-1 network."""

import numpy as np
from _kit import figure, plt

import nnspec as ns

BLACK, RED, GREY = "#212121", "#c62828", "#757575"
FILL = {"input": "#eceff1", "hidden": "#c5cae9", "output": "#ffe0b2", "loss": "#ffcdd2"}


def _node(ax, xy, label, kind):
    ax.add_patch(plt.Circle(xy, 0.42, facecolor=FILL[kind], edgecolor=BLACK, linewidth=1.2, zorder=3))
    ax.text(*xy, label, ha="center", va="center", fontsize=12, zorder=4)


def _edge(ax, start, end, label=None, where=0.5, offset=(0.0, 0.14)):
    (x0, y0), (x1, y1) = start, end
    length = np.hypot(x1 - x0, y1 - y0)
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    ax.annotate(
        "",
        xy=(x1 - 0.44 * ux, y1 - 0.44 * uy),
        xytext=(x0 + 0.44 * ux, y0 + 0.44 * uy),
        arrowprops={"arrowstyle": "-|>", "color": BLACK, "linewidth": 1.1, "shrinkA": 0, "shrinkB": 0},
        zorder=2,
    )
    if label:
        x, y = x0 + where * (x1 - x0) + offset[0], y0 + where * (y1 - y0) + offset[1]
        ax.text(
            x,
            y,
            label,
            ha="center",
            va="center",
            fontsize=10,
            color=BLACK,
            zorder=5,
            bbox={"boxstyle": "round,pad=0.12", "facecolor": "white", "edgecolor": "none"},
        )


def _value(ax, xy, text, colour, dy):
    ax.text(xy[0], xy[1] + dy, text, ha="center", va="center", fontsize=8.5, color=colour)


@figure("backpropagation-graph.svg")
def computational_graph():
    # The page's 2-2-1 network: tanh hidden layer, identity output, squared error of one sample.
    model = ns.MLP((2, 2, 1), activation="tanh", output="identity", seed=0)
    (W1, b1), (W2, b2) = model.parameters()
    x, y = np.array([[0.5, -1.0]]), np.array([[1.0]])
    z1 = x @ W1 + b1
    a1 = np.tanh(z1)
    z2 = a1 @ W2 + b2
    dL_dy = ns.mse.grad(y, z2)  # identity output: a2 = z2, f' = 1
    delta2 = dL_dy
    delta1 = (delta2 @ W2.T) * (1 - a1**2)

    fig, ax = plt.subplots(figsize=(9.5, 4.8))
    X = {1: (0.0, 1.3), 2: (0.0, -1.3)}
    Z = {1: (3.0, 1.3), 2: (3.0, -1.3)}
    A = {1: (5.0, 1.3), 2: (5.0, -1.3)}
    out, yhat, loss, target = (7.4, 0.0), (9.3, 0.0), (11.2, 0.0), (11.2, -1.8)

    for i in (1, 2):
        for j in (1, 2):
            if i == j:
                _edge(ax, X[i], Z[j], rf"$W^{{(1)}}_{{{i}{j}}}$", offset=(0.0, 0.24 if i == 1 else -0.24))
            else:
                _edge(ax, X[i], Z[j], rf"$W^{{(1)}}_{{{i}{j}}}$", where=0.3, offset=(0.32, 0.0))
    for j in (1, 2):
        _edge(ax, Z[j], A[j], "tanh", offset=(0.0, 0.24 if j == 1 else -0.24))
        _edge(ax, A[j], out, rf"$W^{{(2)}}_{{{j}1}}$", offset=(-0.2, 0.26 if j == 1 else -0.26))
    _edge(ax, out, yhat, "identity", offset=(0.0, 0.24))
    _edge(ax, yhat, loss, r"$(\hat y - y)^2$", offset=(0.0, 0.26))
    _edge(ax, target, loss)

    for i in (1, 2):
        _node(ax, X[i], f"$x_{i}$", "input")
    for j in (1, 2):
        _node(ax, Z[j], rf"$z^{{(1)}}_{j}$", "hidden")
        _node(ax, A[j], rf"$a^{{(1)}}_{j}$", "hidden")
    _node(ax, out, "$z^{(2)}$", "output")
    _node(ax, yhat, r"$\hat y$", "output")
    _node(ax, loss, "$L$", "loss")
    _node(ax, target, "$y$", "input")

    # Forward values (black) above each node, backward quantities (red) below.
    values = [(X[i], x[0, i - 1]) for i in (1, 2)]
    values += [(Z[j], z1[0, j - 1]) for j in (1, 2)] + [(A[j], a1[0, j - 1]) for j in (1, 2)]
    values += [(out, z2[0, 0]), (yhat, z2[0, 0]), (loss, ns.mse(y, z2))]
    for xy, v in values:
        _value(ax, xy, f"{v:.3f}", BLACK, 0.62)
    _value(ax, target, f"{y[0, 0]:.3f}", BLACK, -0.62)
    for j in (1, 2):
        _value(ax, Z[j], rf"$\delta^{{(1)}}_{j}$ = {delta1[0, j - 1]:.3f}", RED, -0.64)
    _value(ax, out, rf"$\delta^{{(2)}}$ = {delta2[0, 0]:.3f}", RED, -0.64)
    _value(ax, yhat, rf"$\partial L/\partial \hat y$ = {dL_dy[0, 0]:.3f}", RED, -0.64)

    ax.annotate(
        "",
        xy=(11.2, 2.55),
        xytext=(0.0, 2.55),
        arrowprops={"arrowstyle": "-|>", "color": BLACK, "linewidth": 1.5},
    )
    ax.text(5.6, 2.8, "forward pass: values (black)", ha="center", fontsize=10, color=BLACK)
    ax.annotate(
        "",
        xy=(0.0, -2.75),
        xytext=(11.2, -2.75),
        arrowprops={"arrowstyle": "-|>", "color": RED, "linewidth": 1.5},
    )
    ax.text(
        5.6,
        -3.1,
        r"backward pass: $\delta^{(2)} = \partial L/\partial \hat y \odot f'(z^{(2)})$,"
        r"  $\delta^{(1)} = (\delta^{(2)} W^{(2)\top}) \odot f'(z^{(1)})$  (red)",
        ha="center",
        fontsize=10,
        color=RED,
    )

    ax.set(xlim=(-0.7, 11.9), ylim=(-3.35, 3.1), aspect="equal")
    ax.axis("off")
    return fig
