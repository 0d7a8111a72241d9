"""Figures of the loss page: each loss against the prediction, and its gradient in the logit."""

import numpy as np
from _kit import figure, plt

import nnspec as ns

BLUE, ORANGE = "#3949ab", "#e65100"


def _per_prediction(loss, y_true, predictions, **options):
    """The loss of each single prediction row against the one target row ``y_true``."""
    return np.array([loss(y_true, row[None, :], **options) for row in predictions])


@figure("loss.svg")
def losses_against_prediction():
    fig, axes = plt.subplots(2, 2, figsize=(8.0, 6.0))
    (mse_ax, bce_ax), (cce_ax, grad_ax) = axes

    y_hat = np.linspace(-1.0, 3.0, 401)
    mse = _per_prediction(ns.mse, np.array([[1.0]]), y_hat[:, None])
    mse_ax.plot(y_hat, mse, color=BLUE, linewidth=2)
    mse_ax.set(title="Mean squared error, target $y = 1$", xlabel=r"prediction $\hat y$", ylabel="loss")

    p = np.linspace(0.001, 0.999, 999)
    for label, colour in [(1.0, BLUE), (0.0, ORANGE)]:
        bce = _per_prediction(ns.binary_crossentropy, np.array([[label]]), p[:, None])
        bce_ax.plot(p, bce, color=colour, linewidth=2, label=f"$y = {label:g}$")
    bce_ax.set(title="Binary cross-entropy", xlabel="predicted probability $p$", ylabel="loss")
    bce_ax.set_ylim(0, 7)
    bce_ax.legend(loc="upper center")

    rest = (1 - p) / 2  # the remaining probability, split between two other classes
    rows = np.column_stack([p, rest, rest])
    cce = _per_prediction(ns.categorical_crossentropy, np.array([[1.0, 0.0, 0.0]]), rows)
    cce_ax.plot(p, cce, color=BLUE, linewidth=2)
    cce_ax.set(
        title="Categorical cross-entropy (3 classes)",
        xlabel="probability of the true class",
        ylabel="loss",
        ylim=(0, 7),
    )

    z = np.linspace(-12.0, 6.0, 361)
    target = np.array([[1.0]])
    # dL/dz for one sample, as on the page: the MSE through the sigmoid by the chain rule,
    # the cross-entropy directly from the logit.
    mse_slope = [(ns.mse.grad(target, ns.sigmoid([[v]])) * ns.sigmoid.grad(v))[0, 0] for v in z]
    bce_slope = [ns.binary_crossentropy.grad(target, [[v]], from_logits=True)[0, 0] for v in z]
    grad_ax.plot(z, np.abs(bce_slope), color=BLUE, linewidth=2, label="cross-entropy (from logits)")
    grad_ax.plot(z, np.abs(mse_slope), color=ORANGE, linewidth=2, label=r"MSE on $\sigma(z)$")
    grad_ax.set(
        title="Gradient size in the logit, target $y = 1$",
        xlabel="logit $z$",
        ylabel=r"$|\partial L / \partial z|$",
        ylim=(0, 1.05),
    )
    grad_ax.legend(loc="center left")
    fig.tight_layout()
    return fig
