"""Figures of the neuron page: a diagram of one neuron, and XOR decision regions of one neuron
and of a 2-4-1 network."""

import numpy as np
from _kit import figure, plt
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

import nnspec as ns

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([[0.0], [1.0], [1.0], [0.0]])
DIAGRAM_X = np.array([0.5, -1.0, 2.0])
DIAGRAM_W = np.array([0.8, 0.3, -0.4])
DIAGRAM_B = 0.25


def _arrow(ax, start, end, **style):
    options = {"arrowstyle": "-|>", "mutation_scale": 14, "color": "black", "linewidth": 1.2}
    ax.add_patch(FancyArrowPatch(start, end, **{**options, **style}))


@figure("neuron-diagram.svg")
def neuron_diagram():
    """Inputs, weights, the sum with its bias, the activation and the output, with numbers."""
    neuron = ns.Dense(3, 1, activation="tanh")
    neuron.W[:, 0], neuron.b[0] = DIAGRAM_W, DIAGRAM_B
    z = float(DIAGRAM_X @ DIAGRAM_W + DIAGRAM_B)
    y = float(neuron.forward(DIAGRAM_X[None, :])[0, 0])

    fig, ax = plt.subplots(figsize=(8.0, 3.8))
    ax.set(xlim=(0, 10), ylim=(0, 5), aspect="equal")
    ax.axis("off")
    sum_centre, act_centre = (5.0, 2.5), (7.4, 2.5)
    for i, (x, w, height) in enumerate(zip(DIAGRAM_X, DIAGRAM_W, (4.2, 2.5, 0.8))):
        ax.add_patch(Circle((1.0, height), 0.42, facecolor="#dde6f7", edgecolor="black"))
        ax.text(1.0, height, f"$x_{i + 1}$\n{x:g}", ha="center", va="center", fontsize=9)
        _arrow(ax, (1.45, height), (4.45, 2.5 + (height - 2.5) * 0.18))
        ax.text(
            2.75,
            height + (2.5 - height) * 0.42 + (0.42 if i == 0 else 0.2),
            f"$w_{i + 1} = {w:g}$",
            fontsize=9,
            ha="center",
            color="#1f4e9c",
        )
    ax.add_patch(Circle(sum_centre, 0.55, facecolor="white", edgecolor="black", linewidth=1.5))
    ax.text(*sum_centre, r"$\Sigma$", ha="center", va="center", fontsize=16)
    ax.text(5.0, 4.3, f"bias $b = {DIAGRAM_B:g}$", ha="center", fontsize=9, color="#8a3b00")
    _arrow(ax, (5.0, 4.1), (5.0, 3.1), color="#8a3b00", linestyle="--")
    ax.text(
        5.0,
        1.5,
        f"$z = \\mathbf{{w}}^\\top\\mathbf{{x}} + b$\n$= {z:.2f}$",
        ha="center",
        va="top",
        fontsize=9,
    )
    ax.add_patch(
        FancyBboxPatch(
            (6.75, 1.95),
            1.3,
            1.1,
            boxstyle="round,pad=0.05",
            facecolor="#fbe3cf",
            edgecolor="black",
            linewidth=1.5,
        )
    )
    ax.text(*act_centre, "$f = \\tanh$", ha="center", va="center", fontsize=10)
    _arrow(ax, (5.57, 2.5), (6.7, 2.5))
    _arrow(ax, (8.1, 2.5), (9.2, 2.5))
    ax.text(9.3, 2.5, f"$y = f(z)$\n$= {y:.3f}$", ha="left", va="center", fontsize=9)
    ax.text(1.0, 4.85, "inputs", ha="center", fontsize=9)
    ax.text(7.4, 3.35, "activation", ha="center", fontsize=9)
    return fig


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
