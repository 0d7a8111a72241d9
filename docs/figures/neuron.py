"""Figures of the neuron page: XOR decision regions of one neuron and of a 2-4-1 network."""

import numpy as np
from _kit import figure, plt

import nnspec as ns

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([[0.0], [1.0], [1.0], [0.0]])


def _regions(ax, model, title):
    """Shade where ``model`` predicts class 1 (output > 0.5) and mark the four XOR points."""
    grid = np.linspace(-0.5, 1.5, 201)
    g1, g2 = np.meshgrid(grid, grid)
    output = model.forward(np.column_stack([g1.ravel(), g2.ravel()])).reshape(g1.shape)
    ax.contourf(g1, g2, output > 0.5, levels=[-0.5, 0.5, 1.5], colors=["#ffffff", "#c9d4f5"])
    ax.contour(g1, g2, output, levels=[0.5], colors=["#3949ab"], linewidths=1.5)
    predicted = model.forward(XOR_X)[:, 0] > 0.5
    for (x1, x2), label, guess in zip(XOR_X, XOR_Y[:, 0], predicted):
        marker = "o" if label == 1 else "s"
        colour = "#2e7d32" if guess == (label == 1) else "#c62828"
        ax.plot(x1, x2, marker, markersize=11, color=colour, markeredgecolor="black")
    correct = int(np.sum(predicted == (XOR_Y[:, 0] == 1)))
    ax.set(title=f"{title}: {correct} of 4 correct", xlabel="$x_1$", ylabel="$x_2$", aspect="equal")
    ax.set(xlim=(-0.5, 1.5), ylim=(-0.5, 1.5), xticks=[0, 1], yticks=[0, 1])
    ax.grid(False)


@figure("neuron-xor.svg")
def xor_decision_regions():
    single = ns.MLP((2, 1), output="sigmoid")
    [(W, b)] = single.parameters()
    W[:, 0], b[0] = [1.0, 1.0], -0.5  # the OR neuron: 3 of 4 XOR points, the most one line allows

    net = ns.MLP((2, 4, 1), activation="tanh", output="sigmoid", seed=0)
    ns.train(net, XOR_X, XOR_Y, loss="binary_crossentropy", learning_rate=1.0, epochs=1000)

    fig, (left, right) = plt.subplots(1, 2, figsize=(8.0, 4.4))
    _regions(left, single, "One neuron")
    _regions(right, net, "2-4-1 network")
    handles = [
        plt.Line2D([], [], marker="o", ls="", color="grey", markeredgecolor="black", label="XOR = 1"),
        plt.Line2D([], [], marker="s", ls="", color="grey", markeredgecolor="black", label="XOR = 0"),
        plt.Line2D([], [], marker="o", ls="", color="#2e7d32", label="correct"),
        plt.Line2D([], [], marker="o", ls="", color="#c62828", label="wrong"),
    ]
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    fig.legend(handles=handles, loc="lower center", ncol=4)
    return fig
