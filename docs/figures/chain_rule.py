"""Figures of the chain-rule page (computed the same way as the page's blocks)."""

import numpy as np
from _kit import figure, plt

W, B = np.array([0.3, -0.8, 0.5]), 0.1
X0 = np.array([0.5, -1.0, 2.0])
DIRECTION = np.array([1.0, 2.0, -2.0]) / 3.0


def _neuron(x):
    return np.tanh(x @ W + B)


@figure("chain-rule-linear-approximation.svg")
def linear_approximation_error():
    gradient = (1 - _neuron(X0) ** 2) * W
    steps = 2.0 ** -np.arange(6, 16)
    fig, ax = plt.subplots()
    for vector, label, color in [
        (gradient, "v = ∇f(x₀): error ∝ h²", "tab:blue"),
        (1.1 * gradient, "v = 1.1 ∇f(x₀): error ∝ h", "tab:red"),
    ]:
        errors = [abs(_neuron(X0 + h * DIRECTION) - _neuron(X0) - h * vector @ DIRECTION) for h in steps]
        slope, _ = np.polyfit(np.log(steps), np.log(errors), 1)
        ax.plot(steps, errors, "o-", color=color, markersize=4, label=f"{label} (fitted slope {slope:.2f})")
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="step length h",
        ylabel="|f(x₀ + h d) − f(x₀) − h v·d|",
        title="Error of the linear approximation of f(x) = tanh(w·x + b)",
    )
    ax.legend(loc="lower right", fontsize=8)
    return fig


def _layout(output):
    """Columns by depth (inputs one column left of their first use) and rows spread per column."""
    nodes, edges = output.graph()
    depth = {}
    for node in nodes:  # inputs first
        depth[node] = 1 + max((depth[source] for source, _ in node.inputs), default=-1)
    for node in nodes:
        users = [e.target for e in edges if e.source is node]
        if not node.inputs and users:
            depth[node] = min(depth[user] for user in users) - 1
    columns = {}
    for node in nodes:
        columns.setdefault(depth[node], []).append(node)
    place = {}
    for column, members in columns.items():
        for row, node in enumerate(members):
            place[node] = (column * 3.0, 1.25 * ((len(members) - 1) / 2 - row))
    return nodes, edges, place


@figure("chain-rule-graph.svg")
def computational_graph():
    import nnspec as ns

    w, x, b = ns.Value(0.5, "w"), ns.Value(2.0, "x"), ns.Value(-0.5, "b")
    s = ((w * x + b).tanh()).sigmoid()
    s.backward()
    nodes, edges, place = _layout(s)
    names = {"*": "×", "+": "+", "tanh": "tanh", "sigmoid": "σ"}

    fig, ax = plt.subplots(figsize=(10.0, 3.4))
    for edge in edges:
        (x0, y0), (x1, y1) = place[edge.source], place[edge.target]
        ax.annotate("", xy=(x1 - 0.8, y1), xytext=(x0 + 0.8, y0),
                    arrowprops={"arrowstyle": "->", "color": "#555555", "lw": 1.3})  # fmt: skip
        ax.text((x0 + x1) / 2, (y0 + y1) / 2, f"local {edge.local:.4g}", ha="center",
                va="center", fontsize=9, color="#8a4500", style="italic",
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})  # fmt: skip
    for node in nodes:
        cx, cy = place[node]
        title = node.label or names[node.op]
        ax.add_patch(plt.Rectangle((cx - 0.8, cy - 0.45), 1.6, 0.9, facecolor="#eef1fb",
                                   edgecolor="#3949ab", lw=1.4))  # fmt: skip
        ax.text(cx, cy + 0.2, title, ha="center", va="center", fontsize=11, weight="bold")
        ax.text(cx, cy - 0.07, f"value {node.data:.4g}", ha="center", va="center", fontsize=8.5,
                color="#1a237e")  # fmt: skip
        ax.text(cx, cy - 0.28, f"grad {node.grad:.4g}", ha="center", va="center", fontsize=8.5,
                color="#b35900", weight="bold")  # fmt: skip
    ax.set(xlim=(-1.0, max(p[0] for p in place.values()) + 1.0), ylim=(-1.15, 1.15), aspect="equal")
    ax.set_title("s = σ(tanh(w·x + b)): forward values in the boxes, local derivatives on the edges,\n"
                 "grad = product of the locals along the path back from s (computed by ns.Value)",
                 fontsize=10)  # fmt: skip
    ax.axis("off")
    return fig
