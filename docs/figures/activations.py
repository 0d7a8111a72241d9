"""Figures of the activation functions page."""

import numpy as np
from _kit import figure, plt

import nnspec as ns


@figure("activations.svg")
def activations_and_derivatives():
    z = np.linspace(-5, 5, 801)
    fig, (left, right) = plt.subplots(1, 2, sharex=True)
    for name in ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "gelu"]:
        f = ns.activation(name)
        left.plot(z, f(z), label=name)
        right.plot(z, f.grad(z), label=name)
    left.set(title="f(z)", xlabel="z", ylim=(-1.5, 5))
    right.set(title="f'(z)", xlabel="z", ylim=(-0.2, 1.3))
    right.legend(loc="upper left", fontsize=8)
    return fig
